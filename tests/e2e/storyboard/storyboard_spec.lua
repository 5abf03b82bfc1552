-- The example storyboards (scripts/) rendered end to end by the real
-- `reel run --sim` (the simulator in process, real HTTP, real MP4s), then
-- checked from outside with the reference tools: ffprobe and ffmpeg for the
-- film and the chained frames, sqlite3 for the journal, Debian's chromium
-- for the contact sheet. Run by lua5.4 (ctest storyboard_e2e).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "../client/?.lua;" .. package.path
local S = require "support"
if not S.configured then S.skip(describe, pending) return end
S.bind{ assert = assert }
local q, sh, slurp, trim = S.q, S.sh, S.slurp, S.trim

local SOURCE = assert(os.getenv("REEL_SOURCE_DIR"), "REEL_SOURCE_DIR is not set")
local SPEED = os.getenv("REEL_STORYBOARD_SPEED") or "50"

-- TAP comments, so the figures can be quoted from a ctest log.
local function note(fmt, ...) io.stdout:write("# ", fmt:format(...), "\n"); io.stdout:flush() end
local function now() return tonumber((select(2, sh("date +%s.%N")))) end

-- `reel run --sim` of a script in its own folder (cwd), with its journal
-- and --out there; `script` is a path, or a name in scripts/.
local function render(dir, script, args, extra)
  local t0 = now()
  local path = script:find("/", 1, true) and script or (SOURCE .. "/scripts/" .. script)
  local code, out, err = sh(("cd %s && %s run --sim --speed %s %s --out out --journal journal.db %s %s")
    :format(q(dir), q(S.REEL), SPEED, extra or "", q(path), args or ""))
  return { code = code, out = out, err = err, seconds = now() - t0 }
end

local function manifest(dir, board)
  local text = slurp(dir .. "/out/" .. board .. "/storyboard.json")
  assert.is_string(text, "no storyboard.json for " .. board)
  local m = S.json.decode(text)
  m.by_id = {}
  for _, shot in ipairs(m.shots) do m.by_id[shot.id] = shot end
  return m
end

local function journal_calls(dir)
  local code, out = sh("sqlite3 " .. q(dir .. "/journal.db") .. " 'select count(*) from calls'")
  assert.are.equal(0, code)
  return tonumber(trim(out))
end

-- A frame of a video as a PNG, by the ffmpeg CLI (the reference decoder).
local function ffmpeg_frame(video, which, out)
  local input = which == "last" and ("-sseof -0.5 -i " .. q(video) .. " -update 1")
                or ("-i " .. q(video) .. " -frames:v 1")
  local code, _, err = sh(("ffmpeg -v error -y %s %s"):format(input, q(out)))
  assert(code == 0, "ffmpeg could not take the " .. which .. " frame of " .. video .. ": " .. err)
  return out
end

-- PSNR (dB) of two pictures, by ffmpeg's psnr filter, the second scaled to
-- the first's size (an img2video clip follows its image's shape at its own
-- resolution, e.g. 982x540 from a 960x528 frame).
local function psnr(a, b)
  local _, _, err = sh(("ffmpeg -v info -i %s -i %s -lavfi '[1][0]scale2ref[b][a];[a][b]psnr' -f null -")
    :format(q(a), q(b)))
  local db = err:match("average:([%d%.]+)") or (err:match("average:inf") and "99")
  assert(db, "no PSNR in: " .. err)
  return tonumber(db)
end

local function chromium_dom(page)
  local code, out, err = sh(("chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files "
    .. "--virtual-time-budget=10000 --dump-dom %s"):format(q("file://" .. page)))
  assert(code == 0, "chromium failed: " .. err)
  return out
end

local dir, first

describe("scripts/lighthouse.lua on the simulator", function()
  setup(function() dir = S.newdir("lighthouse") end)

  it("renders six shots into a film, a manifest and a contact sheet", function()
    first = render(dir, "lighthouse.lua")
    assert.are.equal(0, first.code, S.show(first))
    note("lighthouse, first render: %.1f s", first.seconds)
    assert.truthy(first.out:find("film:%s+out/lighthouse/film.mp4"), first.out)
    assert.truthy(first.out:find("contact sheet:%s+out/lighthouse/index.html"), first.out)
    -- sb:plan() printed every shot and the total before rendering.
    assert.truthy(first.out:find('storyboard "Lighthouse": 6 shots, 5 in the cut', 1, true), first.out)

    local m = manifest(dir, "lighthouse")
    assert.are.same({ "push", "noon", "dusk", "keeper", "night" }, m.cut)
    assert.are.equal(6, #m.shots)
    local ids, credits = {}, 0
    for _, shot in ipairs(m.shots) do
      assert.are.equal("success", shot.state, shot.id)
      assert.is_string(shot.task_id, shot.id)
      assert.is_nil(ids[shot.task_id], "two shots share task " .. shot.task_id)
      ids[shot.task_id] = true
      assert.is_true(shot.credits > 0, shot.id)
      credits = credits + shot.credits
      local p = S.probe(dir .. "/out/lighthouse/" .. shot.file)
      assert.is_true(math.abs(p.duration - shot.duration) < 0.05, shot.id .. " duration")
      assert.is_table(shot.request, shot.id)
    end
    assert.are.equal(credits, m.credits)
    assert.are.equal("dawn", m.by_id.dawn.id)
    assert.is_false(m.by_id.dawn.in_cut)
    assert.are.equal("push", m.by_id.dawn.extended_by)
    assert.are.equal("last frame of noon", m.by_id.dusk.request.first)
    assert.are.equal("clip of dawn", m.by_id.push.request.video)
    assert.are.equal("start_end", m.by_id.dusk.kind)
    assert.are.equal("reference", m.by_id.keeper.kind)
    assert.are.equal(2, #m.by_id.keeper.request.images)
  end)

  it("makes a film as long as its cut, within one frame", function()
    local m = manifest(dir, "lighthouse")
    local sum, fps = 0, 24
    for _, id in ipairs(m.cut) do
      sum = sum + S.probe(dir .. "/out/lighthouse/" .. m.by_id[id].file).duration
      fps = m.by_id[id].fps or fps
    end
    local film = S.probe(dir .. "/out/lighthouse/film.mp4")
    note("film %.3f s, cut %.3f s (one frame: %.3f s)", film.duration, sum, 1 / fps)
    assert.is_true(math.abs(film.duration - sum) <= 1 / fps + 1e-6,
                   ("film %.3f s, sum of the cut %.3f s"):format(film.duration, sum))
    assert.are.equal("h264", film.codec)
  end)

  it("starts every chained shot on the frame it was chained to", function()
    local m = manifest(dir, "lighthouse")
    local tmp = S.newdir("frames")
    local function file(id) return dir .. "/out/lighthouse/" .. m.by_id[id].file end
    -- start/end from noon's last frame; img2video from keeper's; the
    -- extension begins with the clip it extends.
    for _, chain in ipairs{ { "noon", "last", "dusk" }, { "keeper", "last", "night" },
                            { "dawn", "first", "push" } } do
      local from, which, to = chain[1], chain[2], chain[3]
      local a = ffmpeg_frame(file(from), which, ("%s/%s-%s.png"):format(tmp, from, which))
      local b = ffmpeg_frame(file(to), "first", ("%s/%s-first.png"):format(tmp, to))
      local db = psnr(a, b)
      note("%s first frame vs %s %s frame: PSNR %.1f dB", to, from, which, db)
      assert.is_true(db >= 30, ("%s does not start on %s's %s frame (PSNR %.1f dB)"):format(to, from, which, db))
    end
    -- And a frame that is not the chained one is told apart (the check can fail).
    local other = ffmpeg_frame(file("dawn"), "first", tmp .. "/dawn-first-2.png")
    local dusk = tmp .. "/dusk-first.png"
    assert.is_true(psnr(other, dusk) < 25, "the PSNR check cannot tell frames apart")
  end)

  it("writes a contact sheet whose every picture loads in a browser", function()
    local page = dir .. "/out/lighthouse/index.html"
    local dom = chromium_dom(page)
    local loaded = tonumber(dom:match('data%-loaded="(%d+)"'))
    local total = tonumber(dom:match('data%-total="(%d+)"'))
    note("contact sheet: %s of %s pictures loaded", tostring(loaded), tostring(total))
    -- Three thumbnails per shot and the strip.
    assert.are.equal(6 * 3 + 1, total)
    assert.are.equal(total, loaded)
    for _, id in ipairs{ "dawn", "push", "noon", "dusk", "keeper", "night" } do
      assert.truthy(dom:find('id="shot-' .. id .. '"', 1, true), id)
    end
    assert.truthy(dom:find('<video controls="" preload="metadata" src="film.mp4"', 1, true), "film player")
    local shot = dir .. "/sheet.png"
    local code, _, err = sh(("chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files "
      .. "--hide-scrollbars --window-size=1280,2400 --screenshot=%s %s"):format(q(shot), q("file://" .. page)))
    assert(code == 0, err)
    local p = S.probe(shot)
    assert.are.equal(1280, p.width)
    -- A picture of the page, not an empty one: it compresses to more than a blank page would.
    assert.is_true(#slurp(shot) > 50000, "the screenshot is nearly empty")
    -- A missing picture is seen as missing (the check can fail).
    local broken = dir .. "/out/lighthouse/broken.html"
    S.write_file(broken, (slurp(page):gsub('src="thumbs/dawn', 'src="thumbs/none', 1)))
    local dom2 = chromium_dom(broken)
    assert.are.equal(total - 1, tonumber(dom2:match('data%-loaded="(%d+)"')))
    os.remove(broken)
  end)

  it("renders again from the journal: no new task, in seconds", function()
    local calls = journal_calls(dir)
    assert.are.equal(6, calls)
    local before = manifest(dir, "lighthouse")
    local again = render(dir, "lighthouse.lua")
    assert.are.equal(0, again.code, S.show(again))
    note("lighthouse, second render: %.1f s (first %.1f s), journal calls %d -> %d",
         again.seconds, first.seconds, calls, journal_calls(dir))
    assert.are.equal(calls, journal_calls(dir))
    local m = manifest(dir, "lighthouse")
    for _, shot in ipairs(m.shots) do
      assert.is_true(shot.replayed, shot.id .. " was not replayed")
      assert.are.equal(before.by_id[shot.id].task_id, shot.task_id)
    end
    assert.is_true(again.seconds < 15, ("the second render took %.1f s"):format(again.seconds))
  end)

  it("re-renders the chosen shots only (render{only})", function()
    local calls = journal_calls(dir)
    local before = manifest(dir, "lighthouse")
    local r = render(dir, "lighthouse.lua", "noon")
    assert.are.equal(0, r.code, S.show(r))
    local m = manifest(dir, "lighthouse")
    -- The call's row now holds its new task.
    assert.are.equal(calls, journal_calls(dir))
    assert.are_not.equal(before.by_id.noon.task_id, m.by_id.noon.task_id)
    assert.is_false(m.by_id.noon.replayed)
    -- The simulator makes the same clip for the same request, so the shot
    -- chained to noon gets the same start frame and comes from the journal.
    for _, id in ipairs{ "dawn", "push", "dusk", "keeper", "night" } do
      assert.are.equal(before.by_id[id].task_id, m.by_id[id].task_id, id)
    end
  end)
end)

describe("scripts/variants.lua and scripts/team_style.lua", function()
  it("renders three seeds side by side, with no film", function()
    local d = S.newdir("variants")
    local r = render(d, "variants.lua")
    assert.are.equal(0, r.code, S.show(r))
    local m = manifest(d, "lighthouse-variants")
    assert.are.equal(3, #m.shots)
    local seeds = {}
    for _, shot in ipairs(m.shots) do
      assert.are.equal("storm", shot.group)
      seeds[#seeds + 1] = shot.request.seed
    end
    assert.are.same({ 11, 22, 33 }, seeds)
    assert.is_nil(m.film)
    assert.is_false(S.exists(d .. "/out/lighthouse-variants/film.mp4"))
    local html = slurp(d .. "/out/lighthouse-variants/index.html")
    local row = html:match('<div class="row group">(.-)</div><script>') or html:match('<div class="row group">(.*)')
    local n = 0
    for _ in row:gmatch('<article class="shot') do n = n + 1 end
    assert.are.equal(3, n)
    -- Three seeds, three different clips.
    local sums = {}
    for _, shot in ipairs(m.shots) do
      local _, out = sh("sha256sum " .. q(d .. "/out/lighthouse-variants/" .. shot.file))
      sums[out:sub(1, 64)] = true
    end
    local distinct = 0
    for _ in pairs(sums) do distinct = distinct + 1 end
    assert.are.equal(3, distinct)
  end)

  it("builds a board with a team library", function()
    local d = S.newdir("team")
    local r = render(d, "team_style.lua")
    assert.are.equal(0, r.code, S.show(r))
    local m = manifest(d, "harbour")
    assert.are.same({ "boats", "nets", "sail" }, m.cut)
    assert.truthy(m.by_id.nets.prompt:find("35mm film", 1, true))
    assert.is_true(S.exists(d .. "/out/harbour/film.mp4"))
  end)
end)

describe("progress on a terminal", function()
  it("shows one live row per shot: waiting on X, then the task's state, and the board's credits", function()
    local d = S.newdir("live")
    local session = "reel-storyboard-" .. tostring(os.time()) .. "-" .. tostring(math.random(1e6))
    local cmd = ("cd %s && %s run --sim --speed 5 --out out --journal j.db %s >/dev/null; sleep 60")
      :format(q(d), q(S.REEL), q(SOURCE .. "/scripts/lighthouse.lua"))
    assert.are.equal(0, (sh(("tmux new-session -d -s %s -x 160 -y 40 %s"):format(session, q(cmd)))))
    local seen, screens = {}, {}
    local deadline = now() + 40
    while now() < deadline and not seen.finished do
      local _, screen = sh("tmux capture-pane -p -t " .. session)
      screens[#screens + 1] = screen
      if screen:find("push%s+waiting%s+[%d.]+ s%s+on dawn") then seen.waiting = true end
      if screen:find("dawn%s+processing") or screen:find("dawn%s+queueing") then seen.processing = true end
      if screen:find("Lighthouse%s+rendering%s+[%d.]+ s%s+%d of 6 shots, %d+ credits so far") then seen.board = true end
      if screen:find("Lighthouse%s+done%s+[%d.]+ s%s+6 of 6 shots, 260 credits") then seen.finished = true end
      S.sleep(0.2)
    end
    sh("tmux kill-session -t " .. session)
    local last = screens[#screens] or ""
    assert.is_true(seen.waiting == true, "no waiting row; last screen:\n" .. last)
    assert.is_true(seen.processing == true, "no processing row; last screen:\n" .. last)
    assert.is_true(seen.board == true, "no board row; last screen:\n" .. last)
    assert.is_true(seen.finished == true, "no final board line; last screen:\n" .. last)
  end)
end)

describe("a board of every kind of shot", function()
  it("chains multiframe, extend to an image, reference with a shot's clip, and start/end to a later shot", function()
    local d = S.newdir("kinds")
    local assets = SOURCE .. "/scripts/assets/"
    S.write_file(d .. "/board.lua", ([[
      local storyboard = require "storyboard"
      local A = %q
      local sb = storyboard.new{ title = "Kinds", model = "viduq2-pro", resolution = "540p",
                                 aspect_ratio = "16:9" }
      sb:shot{ id = "a", text = "a harbour at dawn", model = "viduq2", duration = 5 }
      sb:shot{ id = "s", from = A .. "cliff.png", to = "m", prompt = "into the keyframes", duration = 2 }
      sb:shot{ id = "m", multiframe = { start = "a", frames = {
                 { image = A .. "dusk.png", prompt = "to dusk", duration = 2 },
                 { image = A .. "cliff.png", prompt = "back to day", duration = 2 } } } }
      sb:shot{ id = "e", extend = "a", last = A .. "dusk.png", prompt = "ends at dusk", duration = 2 }
      sb:shot{ id = "r", reference = { A .. "keeper.png" }, videos = { "a" }, prompt = "the keeper", duration = 2 }
      sb:render()
    ]]):format(assets))
    local r = render(d, d .. "/board.lua")
    local code, err = r.code, r.err
    assert.are.equal(0, code, S.show(r))
    local m = manifest(d, "kinds")
    assert.are.same({ "e", "s", "m", "r" }, m.cut)
    assert.are.equal("multiframe", m.by_id.m.kind)
    assert.are.equal("last frame of a", m.by_id.m.request.start)
    assert.are.equal(2, #m.by_id.m.request.frames)
    assert.are.equal("first frame of m", m.by_id.s.request.last)
    assert.are.equal(assets .. "dusk.png", m.by_id.e.request.last)
    assert.are.equal("clip of a", m.by_id.r.request.videos[1])
    assert.is_true(math.abs(m.by_id.m.duration - 4) < 0.1, "multiframe lasts its segments")
    assert.is_true(math.abs(m.by_id.e.duration - 7) < 0.1, "the extension adds 2 s to 5 s")
    local sum = 0
    for _, id in ipairs(m.cut) do sum = sum + m.by_id[id].duration end
    assert.is_true(math.abs(S.probe(d .. "/out/kinds/film.mp4").duration - sum) <= 1 / 24 + 1e-6)
    -- Shots waiting for others said so (progress lines: stderr is not a terminal).
    assert.truthy(err:find("s%s+waiting%s.-on m"), err)
  end)
end)

describe("a board rendered twice in one run", function()
  it("keeps its clips, and makes again only what render{only} names and what needs it", function()
    local d = S.newdir("twice")
    S.write_file(d .. "/board.lua", [[
      local storyboard = require "storyboard"
      local sb = storyboard.new{ title = "Twice", model = "viduq2", resolution = "540p", duration = 4 }
      sb:shot{ id = "a", text = "first" }
      sb:shot{ id = "b", text = "second" }
      sb:shot{ id = "c", from = "a", model = "viduq2-pro", prompt = "after the first" }
      local one = sb:render()
      local two = sb:render()
      local three = sb:render{ only = { "a" } }
      for _, id in ipairs{ "a", "b", "c" } do
        print(id, one.shots[id].task_id, two.shots[id].task_id, three.shots[id].task_id)
      end
    ]])
    local r = render(d, d .. "/board.lua", "", "--quiet")
    assert.are.equal(0, r.code, S.show(r))
    local ids = {}
    for id, one, two, three in r.out:gmatch("(%a)\t(%d+)\t(%d+)\t(%d+)") do ids[id] = { one, two, three } end
    for _, id in ipairs{ "a", "b", "c" } do
      assert.are.equal(ids[id][1], ids[id][2], id .. ": the second render made a new task")
    end
    assert.are_not.equal(ids.a[1], ids.a[3])
    assert.are.equal(ids.b[1], ids.b[3])
    assert.are_not.equal(ids.c[1], ids.c[3])  -- it starts from a's new last frame
    assert.are.equal(5, journal_calls(d))
  end)
end)

describe("a board over the account's balance", function()
  it("is refused before any task is created", function()
    local d = S.newdir("balance")
    -- 200 shots of 512 credits: over the simulator's 100 000.
    S.write_file(d .. "/board.lua", [[
      local storyboard = require "storyboard"
      local sb = storyboard.new{ title = "Dear", model = "viduq3-pro", resolution = "1080p", duration = 16 }
      for i = 1, 200 do sb:shot{ id = "s" .. i, text = "shot " .. i } end
      sb:render{ budget = 1e9 }
    ]])
    local r = render(d, d .. "/board.lua", "", "--quiet")
    local code, err = r.code, r.err
    assert.are.equal(1, code, S.show(r))
    assert.truthy(err:find("would cost about 102400 credits and the account has 100000", 1, true), err)
    local _, rows = sh("sqlite3 " .. q(d .. "/journal.db") .. " 'select count(*) from calls' 2>/dev/null || echo 0")
    assert.are.equal("0", trim(rows))
  end)
end)

describe("a board with a failed shot", function()
  it("keeps the other shots, skips its dependents, writes the sheet and exits 3", function()
    local d = S.newdir("failed")
    S.write_file(d .. "/board.lua", [[
      local storyboard = require "storyboard"
      local sb = storyboard.new{ title = "Fails", model = "viduq2", resolution = "540p", duration = 4 }
      sb:shot{ id = "a", text = "the first shot" }
      sb:shot{ id = "b", from = "a", model = "viduq2-pro", prompt = "after the first" }
      sb:render()
    ]])
    local r = render(d, d .. "/board.lua", "", "--faults fail=1")
    local code, err = r.code, r.err
    assert.are.equal(3, code, S.show(r))
    assert.truthy(err:find('2 shots have no clip (a, b)', 1, true) or err:find("2 of 2 shots", 1, true), err)
    local m = S.json.decode(slurp(d .. "/out/fails/storyboard.json"))
    assert.are.equal("failed", m.shots[1].state)
    assert.are.equal("TaskFailed", m.shots[1].error.code)
    assert.are.equal("skipped", m.shots[2].state)
    assert.are.equal("ShotSkipped", m.shots[2].error.code)
    assert.is_false(S.exists(d .. "/out/fails/film.mp4"))
    assert.truthy(slurp(d .. "/out/fails/index.html"):find("No film", 1, true))
  end)

  teardown(S.cleanup)
end)
