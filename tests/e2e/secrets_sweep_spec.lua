-- The secrets sweep (issue 10): with a distinctive API key set, run every
-- example script (scripts/*.lua, `reel run --sim`), a REPL session in a
-- terminal (tmux), a fault run against a separate `reel sim` process and a
-- short fault soak (tests/soak/soak.lua: kill -9 and re-runs), then `reel
-- tasks list --json` and `reel tasks show 1` on each journal. The key is given
-- through VIDU_API_KEY, and to every example, the REPL and the fault run once
-- more through --key-file (a file outside the searched folders). Then every
-- file the runs left (stdout and stderr, journals with their -wal/-shm, --out,
-- the simulator's folder, the terminal's capture and its piped output, the
-- REPL history) and the `reel sim` request log are searched for the key in
-- every form it could take in a log: itself, Base64 (standard and URL-safe,
-- with and without padding, and the groups that depend only on the key at each
-- of the three alignments, so a key inside a longer Base64 text is caught),
-- percent-encoded, hex and reversed. Zero hits. A failure names the file and
-- the form, never the key. Run by lua5.4 (ctest secrets_sweep), with REEL,
-- REEL_TEST_MEDIA and REEL_SOURCE_DIR set.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "client/?.lua;" .. package.path
local S = require "support"
if not S.configured then S.skip(describe, pending) return end
S.bind{ assert = assert }
local q, sh, slurp, trim = S.q, S.sh, S.slurp, S.trim

local SOURCE = os.getenv("REEL_SOURCE_DIR") or (here .. "../..")
local SPEED = 50

local function note(fmt, ...) io.stdout:write("# ", fmt:format(...), "\n"); io.stdout:flush() end
local function now() return tonumber((select(2, sh("date +%s.%N")))) end
local T0 = now()

---------------------------------------------------------------------------
-- The key and its forms
---------------------------------------------------------------------------

local KEY = "reel-secret-" .. trim(select(2, sh("od -An -tx1 -N20 /dev/urandom | tr -d ' \\n'")))
assert(#KEY == 12 + 40, "could not make a random key")

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s, pad)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chars = #s - i + 2  -- 2, 3 or 4 (or more) characters carry bits
    for j = 1, 4 do
      if j <= chars then
        local v = (n >> (6 * (4 - j))) & 63
        out[#out + 1] = B64:sub(v + 1, v + 1)
      elseif pad then
        out[#out + 1] = "="
      end
    end
  end
  return table.concat(out)
end
local function urlsafe(s) return (s:gsub("%+", "-"):gsub("/", "_")) end

-- The Base64 characters that depend only on the key's bytes when it follows
-- `off` other bytes (modulo 3): what any Base64 text holding the key holds.
local function b64_groups(off)
  local b = base64(("x"):rep(off) .. KEY, false)
  local groups, g = {}, math.ceil(off / 3)
  while 3 * g + 3 <= off + #KEY do
    groups[#groups + 1] = b:sub(4 * g + 1, 4 * g + 4)
    g = g + 1
  end
  return table.concat(groups)
end

local FORMS = {}  -- { name =, text = }, no two alike
do
  local seen = {}
  local function add(name, text)
    if not seen[text] then seen[text] = true; FORMS[#FORMS + 1] = { name = name, text = text } end
  end
  add("the key", KEY)
  add("the key upper-cased", KEY:upper())
  add("Base64 (padded)", base64(KEY, true))
  add("Base64 (unpadded)", base64(KEY, false))
  add("URL-safe Base64 (padded)", urlsafe(base64(KEY, true)))
  add("URL-safe Base64 (unpadded)", urlsafe(base64(KEY, false)))
  for off = 0, 2 do
    add(("Base64 inside a longer text, alignment %d"):format(off), b64_groups(off))
    add(("URL-safe Base64 inside a longer text, alignment %d"):format(off), urlsafe(b64_groups(off)))
  end
  add("percent-encoded, every byte (upper-case hex)", (KEY:gsub(".", function(c) return ("%%%02X"):format(c:byte()) end)))
  add("percent-encoded, every byte (lower-case hex)", (KEY:gsub(".", function(c) return ("%%%02x"):format(c:byte()) end)))
  add("URL-encoded (unreserved characters kept)",
      (KEY:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end)))
  add("hex (lower-case)", (KEY:gsub(".", function(c) return ("%02x"):format(c:byte()) end)))
  add("hex (upper-case)", (KEY:gsub(".", function(c) return ("%02X"):format(c:byte()) end)))
  add("reversed", KEY:reverse())
end

-- Text with every form of the key replaced by its name: what a failure
-- message may show.
local function redact(s)
  s = tostring(s)
  for _, f in ipairs(FORMS) do
    local i = 1
    while true do
      local a, b = s:find(f.text, i, true)
      if not a then break end
      local r = "<" .. f.name .. ">"
      s = s:sub(1, a - 1) .. r .. s:sub(b + 1)
      i = a + #r
    end
  end
  return s
end
local function show(r) return redact(S.show(r)) end

-- Every regular file under the roots (recursively), searched for every
-- form. Returns hits ({ "FILE: FORM" }), files searched, bytes searched.
local function search(roots)
  local hits, files, bytes = {}, 0, 0
  for _, root in ipairs(roots) do
    local code, list = sh("find " .. q(root) .. " -type f -print0")
    assert(code == 0, "find failed under " .. root)
    for path in list:gmatch("([^%z]+)%z") do
      local text = slurp(path)
      if text then
        files, bytes = files + 1, bytes + #text
        for _, f in ipairs(FORMS) do
          if text:find(f.text, 1, true) then hits[#hits + 1] = path .. ": " .. f.name end
        end
      else
        hits[#hits + 1] = path .. ": could not be read"
      end
    end
  end
  return hits, files, bytes
end

---------------------------------------------------------------------------
-- Runs
---------------------------------------------------------------------------

local KEYDIR = trim(select(2, sh("mktemp -d /tmp/reel-secrets-keys.XXXXXX")))
local KEYFILE = KEYDIR .. "/vidu.key"
S.write_file(KEYFILE, KEY .. "\n")

-- The environment a run starts from: none of the user's settings.
local CLEAN = "env -u VIDU_API_KEY -u REEL_KEY_FILE -u VIDU_DIALECT -u REEL_OUT -u REEL_QUIET "
  .. "-u REEL_TIME_SCALE -u VIDU_BASE_URL -u REEL_JOURNAL -u REEL_RETRY_FAILED -u XDG_STATE_HOME"

-- How a run is given the key: env prefix (after CLEAN) and options.
local MODES = {
  { name = "env", env = "VIDU_API_KEY=" .. q(KEY), args = "" },
  { name = "keyfile", env = "", args = "--key-file " .. q(KEYFILE) },
}

local journals = {}  -- { dir =, journal =, label = }: `reel tasks` is run on each

local function has_vidu(path)
  local src = slurp(path) or ""
  return src:find("vidu%.") ~= nil or src:find('require%s*%(?%s*"storyboard"') ~= nil
end

local function mp4s(dir)
  local _, out = sh("find " .. q(dir) .. " -name '*.mp4' -type f")
  local n = 0
  for _ in out:gmatch("[^\n]+") do n = n + 1 end
  return n
end

local function probe_ok(path)
  return S.exists(path) and (sh("ffprobe -v error -show_format " .. q(path))) == 0
end

---------------------------------------------------------------------------
-- The terminal (tmux, a server of the spec's own)
---------------------------------------------------------------------------

local SOCKET = ("reel-secrets-%d-%d"):format(os.time(), math.random(1e6))
local function tmux(args) return sh("tmux -u -L " .. SOCKET .. " " .. args) end

local function screen(name)
  local _, out = tmux("capture-pane -p -J -S - -t " .. name)
  return (out:gsub("[ \t]+\n", "\n"):gsub("%s+$", ""))
end

local function wait_for(name, pattern, seconds, what)
  local deadline = now() + seconds
  local text
  repeat
    text = screen(name)
    for line in (text .. "\n"):gmatch("([^\n]*)\n") do
      if line:find(pattern) then return text end
    end
    S.sleep(0.1)
  until now() > deadline
  error(("no line matching %q (%s) on the screen:\n%s"):format(pattern, what, redact(text)), 2)
end

local function type_line(name, text)
  tmux(("send-keys -t %s -l %s"):format(name, q(text)))
  tmux(("send-keys -t %s Enter"):format(name))
end

---------------------------------------------------------------------------
-- The spec
---------------------------------------------------------------------------

describe("the API key never shows, in any form, anywhere reel writes", function()
  local sim
  teardown(function()
    S.stop_sim(sim)
    tmux("kill-server")
    sh("rm -f " .. q((os.getenv("TMUX_TMPDIR") or "/tmp") .. "/tmux-" .. trim(select(2, sh("id -u")))
       .. "/" .. SOCKET))
    S.cleanup()
    os.execute("rm -rf " .. q(KEYDIR))
  end)

  it("runs every example script with --sim, the key in VIDU_API_KEY and in --key-file", function()
    local _, names = sh("ls " .. q(SOURCE .. "/scripts") .. " | grep '\\.lua$'")
    local scripts = {}
    for n in names:gmatch("[^\n]+") do scripts[#scripts + 1] = n end
    assert.is_true(#scripts >= 4, "the examples in scripts/: " .. names)
    -- All at once, each in a fresh folder: stdout, stderr and the status there.
    local jobs, runs = {}, {}
    for _, mode in ipairs(MODES) do
      for _, name in ipairs(scripts) do
        local dir = S.newdir(mode.name .. "-" .. name:gsub("%.lua$", ""))
        local cmd = ("(cd %s && %s %s timeout -k 5 120 %s run --sim --speed %d --out out --journal j.db %s %s "
          .. ">stdout 2>stderr; echo $? >status) &"):format(q(dir), CLEAN, mode.env, q(S.REEL), SPEED,
          mode.args, q(SOURCE .. "/scripts/" .. name))
        jobs[#jobs + 1] = cmd
        runs[#runs + 1] = { dir = dir, name = name, mode = mode.name }
      end
    end
    local t0 = now()
    sh(table.concat(jobs, "\n") .. "\nwait")
    note("%d example runs in %.1f s", #runs, now() - t0)
    for _, r in ipairs(runs) do
      local ctx = r.mode .. " " .. r.name
      local status = tonumber(trim(slurp(r.dir .. "/status") or ""))
      local detail = redact(("--- stdout\n%s--- stderr\n%s"):format(slurp(r.dir .. "/stdout") or "",
                                                                      slurp(r.dir .. "/stderr") or ""))
      assert.are.equal(0, status, ctx .. " exit status\n" .. detail)
      if has_vidu(SOURCE .. "/scripts/" .. r.name) then
        assert.is_true(mp4s(r.dir .. "/out") >= 1, ctx .. ": clips in out/\n" .. detail)
        assert.is_true(S.exists(r.dir .. "/sim/tasks.jsonl"), ctx .. ": the simulator's folder")
        journals[#journals + 1] = { dir = r.dir, journal = "j.db", label = ctx }
      end
    end
    -- The films, as the examples make them.
    for _, mode in ipairs(MODES) do
      for _, r in ipairs(runs) do
        if r.mode == mode.name then
          if r.name == "lighthouse.lua" then
            assert.is_true(probe_ok(r.dir .. "/out/lighthouse/film.mp4"), r.mode .. " lighthouse film")
            assert.are.equal(6, mp4s(r.dir .. "/out/lighthouse/clips"), r.mode .. " lighthouse: six clips")
          elseif r.name == "team_style.lua" then
            assert.is_true(probe_ok(r.dir .. "/out/harbour/film.mp4"), r.mode .. " team_style film")
          elseif r.name == "variants.lua" then
            assert.is_true(mp4s(r.dir .. "/out") >= 3, r.mode .. " variants: three clips")
          elseif r.name == "first_shots.lua" then
            assert.are.equal(3, mp4s(r.dir .. "/out"), r.mode .. " first_shots: three clips")
          end
        end
      end
    end
    assert.is_true(#journals >= 2 * 3, "the vidu examples made journals")
  end)

  it("runs a REPL session in a terminal, with the key in VIDU_API_KEY and in --key-file", function()
    for _, mode in ipairs(MODES) do
      local dir = S.newdir("repl-" .. mode.name)
      local name = "s" .. math.random(1e8)
      local cmd = ("cd %s && %s HOME=%s TERM=xterm %s %s repl --sim --speed %d --journal j.db --out out %s; "
        .. "echo $? > status; sleep 60"):format(q(dir), CLEAN, q(dir), mode.env, q(S.REEL), SPEED, mode.args)
      assert.are.equal(0, (tmux(("new-session -d -s %s -x 150 -y 40 %s"):format(name, q(cmd)))))
      tmux(("pipe-pane -o -t %s %s"):format(name, q("cat >> " .. q(dir .. "/terminal.log"))))
      wait_for(name, "^>$", 10, "the first prompt")
      type_line(name, 't = vidu.text2video{ model = "viduq2", prompt = "a secret garden at night", '
        .. 'duration = 2, resolution = "540p", name = "garden" }')
      type_line(name, "clip = t:wait()")
      wait_for(name, "^garden%s+done", 30, "the task done")
      type_line(name, "clip")
      wait_for(name, "^vidu%.Clip%(out/garden%-%d+%.mp4", 10, "the clip printed")
      type_line(name, 'vidu.text2video{ model = "viduq2", prompt = "x", duration = 99 }')
      wait_for(name, "^error: ", 10, "a refused call")
      type_line(name, "print(vidu.credits())")
      type_line(name, ".tasks")
      wait_for(name, "^1%s+garden%s+text2video%s+viduq2%s+success", 10, ".tasks")
      S.write_file(dir .. "/pane-before-exit.txt", screen(name))
      tmux(("send-keys -t %s C-d"):format(name))
      local status
      for _ = 1, 100 do
        status = slurp(dir .. "/status")
        if status and status:match("%d") then break end
        S.sleep(0.1)
      end
      assert.are.equal("0", status and status:match("%d+"), mode.name .. ": the REPL exit status")
      S.write_file(dir .. "/pane.txt", screen(name))
      tmux("kill-session -t " .. name)
      assert.is_true(mp4s(dir .. "/out") >= 1, mode.name .. ": the REPL's clip in out/")
      assert.is_true(#(slurp(dir .. "/terminal.log") or "") > 0, mode.name .. ": the piped terminal output")
      journals[#journals + 1] = { dir = dir, journal = "j.db", label = "repl " .. mode.name }
    end
  end)

  it("runs ~10 tasks at once against `reel sim` with faults, tolerating failures", function()
    -- The request log on (no --quiet), the data folder inside the searched
    -- folders; the log lives apart from them (the key is on the simulator's
    -- command line) and is searched too.
    sim = S.start_sim{ speed = SPEED, key = KEY, data = S.newdir("simdata"), log_requests = true,
                       faults = "429=0.2,500=0.1,drop=0.05,truncate=0.1,fail=0.1" }

    local SCRIPT = [[
local n = %d
local jobs = {}
for i = 1, n do
  jobs[i] = function()
    local ok, r = pcall(function()
      return vidu.text2video{ model = "viduq2", prompt = "a secret harbour, take " .. i, duration = 1,
                              resolution = "540p", seed = i, name = "soak" .. i }:wait()
    end)
    if ok then return { ok = true, clip = clip_info(r) } end
    return { ok = false, error = fail_info(r) }
  end
end
for _, r in ipairs(async.all(jobs)) do emit(r) end
local ok, credits = pcall(vidu.credits)
emit{ credits_ok = ok }
]]
    local ok_total, failed_total = 0, 0
    for _, case in ipairs{ { mode = "env", n = 10, opts = {} },
                           { mode = "keyfile", n = 4, opts = { key = false, key_file = KEYFILE } } } do
      local dir = S.newdir("fault-" .. case.mode)
      local opts = case.opts
      opts.dir, opts.loud, opts.timeout, opts.args = dir, true, 120, "--journal j.db"
      local r = S.reel(sim, SCRIPT:format(case.n), opts)
      S.write_file(dir .. "/stdout", r.out)
      S.write_file(dir .. "/stderr", r.err)
      assert.are.equal(0, r.code, case.mode .. ": " .. show(r))
      assert.are.equal(case.n + 1, #r.results, case.mode .. ": " .. show(r))
      for i = 1, case.n do
        if r.results[i].ok then ok_total = ok_total + 1 else failed_total = failed_total + 1 end
      end
      journals[#journals + 1] = { dir = dir, journal = "j.db", label = "fault " .. case.mode }
    end
    local st = S.stats(sim)
    local faults = 0
    for route, by_status in pairs(st.requests or {}) do
      if not route:find(" /_sim/", 1, true) then
        for status, c in pairs(by_status) do
          if status ~= "200" then faults = faults + c end
        end
      end
    end
    note("fault run: %d tasks created, %d API requests (%d not 200), %d clips, %d failures",
         S.tasks_created(st), S.api_requests(st), faults, ok_total, failed_total)
    assert.is_true(S.tasks_created(st) >= 10, "tasks were created: " .. S.tasks_created(st))
    assert.is_true(ok_total >= 1, "some clips came through the faults")
    assert.is_true(#(slurp(sim.log) or "") > 0, "the simulator logged its requests")
  end)

  it("runs the fault soak (storyboards, every fault, kill -9 and re-runs) with the key", function()
    local dir = S.newdir("soak")
    local code, out = sh(("%s lua5.4 %s --reel %s --boards 3 --shots 5 --kill-every 1 --seed 5 "
      .. "--key %s --out %s 2>&1"):format(CLEAN, q(SOURCE .. "/tests/soak/soak.lua"), q(S.REEL), q(KEY),
      q(dir)))
    S.write_file(dir .. "/soak.out", out)
    assert.are.equal(0, code, "the soak's proofs\n" .. redact(out))
    for n = 1, 3 do
      local board = ("%s/boards/b%03d"):format(dir, n)
      journals[#journals + 1] = { dir = board, journal = "journal.db", label = "soak board " .. n }
    end
  end)

  it("runs `reel tasks list --json` and `reel tasks show 1` on each journal", function()
    assert.is_true(#journals >= 10, "journals to look at: " .. #journals)
    for i, j in ipairs(journals) do
      local base = ("cd %s && %s VIDU_API_KEY=%s %s tasks"):format(q(j.dir), CLEAN, q(KEY), q(S.REEL))
      local code = sh(("%s list --json --all --journal %s >tasks-list.json 2>tasks-list.err"):format(base, q(j.journal)))
      local list = slurp(j.dir .. "/tasks-list.json") or ""
      assert.are.equal(0, code, j.label .. ": reel tasks list\n" .. redact(list .. (slurp(j.dir .. "/tasks-list.err") or "")))
      local rows = S.json.decode(list)
      assert.is_true(type(rows) == "table" and #rows >= 1, j.label .. ": the journal holds tasks\n" .. redact(list))
      code = sh(("%s show 1 --journal %s >tasks-show.txt 2>tasks-show.err"):format(base, q(j.journal)))
      assert.are.equal(0, code, j.label .. ": reel tasks show 1\n" .. redact((slurp(j.dir .. "/tasks-show.txt") or "")
        .. (slurp(j.dir .. "/tasks-show.err") or "")))
      sh(("%s show 1 --json --journal %s >tasks-show.json 2>>tasks-show.err"):format(base, q(j.journal)))
    end
  end)

  it("finds no form of the key in any file the runs left, nor in the simulator's log", function()
    local hits, files, bytes = search{ S.tmpdir(), sim and sim.logdir }
    note("searched %d files, %.1f MB, for %d forms of the key: %d hits", files, bytes / 1e6, #FORMS, #hits)
    assert.is_true(files >= 100, "the runs left files to search: " .. files)
    assert.are.same({}, hits, "forms of the key found (file: form)")
    note("total run time %.1f s", now() - T0)
  end)

  it("(the search finds each form, also Base64 of a text holding the key at any offset)", function()
    local probe = S.newdir("probe")
    for i, f in ipairs(FORMS) do
      S.write_file(("%s/form-%d.txt"):format(probe, i), "Authorization: Token " .. f.text .. "\n")
    end
    for off = 0, 2 do
      local text = ("y"):rep(off) .. "Authorization: Token " .. KEY .. " end"
      S.write_file(("%s/b64-%d.txt"):format(probe, off), base64(text, true))
      S.write_file(("%s/b64url-%d.txt"):format(probe, off), urlsafe(base64(text, false)))
    end
    local hits = search{ probe }
    local found = {}
    for _, h in ipairs(hits) do
      local file, form = h:match("^.*/([^/]+): (.*)$")
      found[file] = found[file] or {}
      found[file][form] = true
    end
    for i, f in ipairs(FORMS) do
      assert.is_true((found[("form-%d.txt"):format(i)] or {})[f.name], "the search finds " .. f.name)
    end
    for off = 0, 2 do
      assert.is_table(found[("b64-%d.txt"):format(off)], "Base64 at offset " .. off)
      assert.is_table(found[("b64url-%d.txt"):format(off)], "URL-safe Base64 at offset " .. off)
    end
    assert.is_nil(redact(table.concat(hits, "\n")):find(KEY, 1, true), "redact hides the key")
    os.execute("rm -rf " .. q(probe))
  end)
end)
