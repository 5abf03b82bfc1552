-- `reel run --plan SCRIPT` (DESIGN.md): the script runs on the built-in
-- simulator and every request it would submit is printed with its estimated
-- credits, then the total; no key is needed and nothing of the user's (the
-- journal, the out folder) is read or written, and the plan's own temporary
-- folder is gone afterwards. Also the script's own progress rows
-- (vidu.progress, for shots that have no task yet) in plain-lines mode.
--
-- Every run is in a fresh working folder with no Vidu settings in the
-- environment, and TMPDIR pointing at a folder of its own, to see that the
-- plan leaves nothing behind there either.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

local q, lit, media = S.q, S.lit, S.media

-- Variables a user may have set that must not matter here.
local UNSET = { "VIDU_API_KEY", "REEL_KEY_FILE", "VIDU_DIALECT", "REEL_OUT", "REEL_QUIET",
                "REEL_TIME_SCALE", "VIDU_BASE_URL", "REEL_JOURNAL", "REEL_RETRY_FAILED",
                "REEL_PLAN" }

-- Runs `reel ARGS` in a new working folder holding `script` as script.lua.
-- Returns { code, out, err, dir, tmp } (tmp: the run's TMPDIR).
local function run(script, args)
  local dir = S.newdir("plan")
  local tmp = S.newdir("tmpdir")
  S.write_file(dir .. "/script.lua", script)
  local env = { "env" }
  for _, name in ipairs(UNSET) do env[#env + 1] = "-u " .. name end
  env[#env + 1] = "TMPDIR=" .. q(tmp)
  local code, out, err = S.sh(("cd %s && %s timeout -k 5 120 %s %s"):format(
    q(dir), table.concat(env, " "), q(S.REEL), args))
  return { code = code, out = out, err = err, dir = dir, tmp = tmp }
end

local function show(r)
  return ("exit %s\n--- stdout\n%s--- stderr\n%s"):format(tostring(r.code), r.out, r.err)
end

-- The plan lines: { name, kind, model, options (decoded), credits } and the
-- total line's figures.
local function plan_lines(out)
  local lines, total = {}, nil
  for line in out:gmatch("[^\n]+") do
    local n, credits = line:match("^plan: (%d+) requests?, ~(%d+) credits in total %(nothing was sent to the real service%)$")
    if n then
      total = { requests = tonumber(n), credits = tonumber(credits) }
    elseif line:find("^plan: ") then
      local name, kind, model, options, c = line:match("^plan: (%S+) (%S+) (%S+) (%b{}) ~(%d+) credits$")
      assert.is_string(name, "a plan line as documented: " .. line)
      lines[#lines + 1] = { name = name, kind = kind, model = model,
                            options = S.json.decode(options), credits = tonumber(c), text = line }
    end
  end
  return lines, total
end

-- vidu.estimate of each request, by the same binary outside any plan.
local function estimates(calls)
  local code, out, err = S.sh(("env -u VIDU_DIALECT %s -e %s"):format(q(S.REEL), q(
    ("for _, c in ipairs{ %s } do print(vidu.estimate(c[1], c[2])) end"):format(calls))))
  assert.are.equal(0, code, err)
  local list = {}
  for n in out:gmatch("%d+") do list[#list + 1] = tonumber(n) end
  return list
end

local SCRIPT = [[
local t = vidu.text2video{ model = "viduq2", prompt = "a lighthouse at dawn", duration = 5,
                           resolution = "540p", aspect_ratio = "16:9", name = "dawn" }
local clip = t:wait()
local from_frame = vidu.img2video{ model = "viduq2-pro", image = clip:last_frame(),
                                   prompt = "the lamp lights up", duration = 4,
                                   resolution = "540p", name = "dusk" }
local longer = vidu.extend{ model = "viduq2-pro", video = clip, prompt = "the camera pushes in",
                            duration = 4, resolution = "540p" }
async.all{ from_frame, longer }
print("script: REEL_PLAN=" .. tostring(os.getenv("REEL_PLAN")))
]]

describe("reel run --plan", function()
  strict_teardown(function() S.cleanup() end)

  it("prints each request with its credits and the total, with no key, leaving nothing", function()
    local r = run(SCRIPT, "run --plan script.lua")
    assert.are.equal(0, r.code, show(r))
    assert.truthy(r.out:find("script: REEL_PLAN=1", 1, true), show(r))
    local lines, total = plan_lines(r.out)
    assert.are.equal(3, #lines, show(r))

    assert.are.same({ "dawn", "text2video", "viduq2" }, { lines[1].name, lines[1].kind, lines[1].model })
    assert.are.same({ aspect_ratio = "16:9", duration = 5, prompt = "a lighthouse at dawn",
                      resolution = "540p" }, lines[1].options)
    assert.are.same({ "dusk", "img2video", "viduq2-pro" }, { lines[2].name, lines[2].kind, lines[2].model })
    -- The frame is in the plan's throwaway out folder, shown as such.
    assert.truthy(lines[2].options.image:find("^frame:<out>/dawn%-[%w_-]+%-last%.png$"), lines[2].text)
    assert.is_nil(r.out:find(r.tmp, 1, true), "no temporary path on a plan line")
    assert.are.same({ "extend#1", "extend", "viduq2-pro" }, { lines[3].name, lines[3].kind, lines[3].model })
    assert.are.equal("clip:dawn", lines[3].options.video, lines[3].text)
    assert.is_nil(r.out:find("base64", 1, true), "no inline data on a plan line")

    -- The credits are vidu.estimate's for the same options (the frame and the
    -- clip stand in as a file of the same kind).
    local want = estimates(([[
      { "text2video", { model = "viduq2", prompt = "a lighthouse at dawn", duration = 5,
                        resolution = "540p", aspect_ratio = "16:9" } },
      { "img2video", { model = "viduq2-pro", image = %s, prompt = "the lamp lights up",
                       duration = 4, resolution = "540p" } },
      { "extend", { model = "viduq2-pro", video = %s, prompt = "the camera pushes in",
                    duration = 4, resolution = "540p" } },
    ]]):format(lit(media("image.png")), lit(media("src_4s.mp4"))))
    assert.are.equal(3, #want)
    local sum = 0
    for i, line in ipairs(lines) do
      assert.are.equal(want[i], line.credits, line.text)
      sum = sum + want[i]
    end
    assert.are.same({ requests = 3, credits = sum }, total, show(r))
    assert.truthy(r.out:find("\nplan: 3 requests, [^\n]*\n$"), "the total is the last line: " .. r.out)

    assert.are.same({ "script.lua" }, S.ls(r.dir), "no .reel/ or out/ in the working folder")
    assert.are.same({}, S.ls(r.tmp), "the plan's temporary folder is gone")
  end)

  it("wins over --sim, --journal and --out, which stay untouched", function()
    local r = run(SCRIPT, "run --plan --sim --journal j/journal.db --out clips script.lua")
    assert.are.equal(0, r.code, show(r))
    local lines, total = plan_lines(r.out)
    assert.are.equal(3, #lines, show(r))
    assert.are.equal(3, total.requests)
    assert.are.same({ "script.lua" }, S.ls(r.dir), "no journal, no clips")
    assert.are.same({}, S.ls(r.tmp))
  end)

  it("ends with the script's status, the total and no folder after os.exit or an error", function()
    local r = run([[
vidu.text2video{ model = "viduq2", prompt = "one", duration = 5, resolution = "540p" }
os.exit(3)
]], "run --plan script.lua")
    assert.are.equal(3, r.code, show(r))
    local lines, total = plan_lines(r.out)
    assert.are.equal(1, #lines, show(r))
    assert.are.same({ requests = 1, credits = lines[1].credits }, total, show(r))
    assert.truthy(r.out:find("plan: 1 request, ", 1, true), r.out)
    assert.are.same({ "script.lua" }, S.ls(r.dir))
    assert.are.same({}, S.ls(r.tmp), "removed at exit too")

    r = run('error("no more")\n', "run --plan script.lua")
    assert.are.equal(1, r.code, show(r))
    assert.truthy(r.err:find("no more", 1, true), show(r))
    local _, none = plan_lines(r.out)
    assert.are.same({ requests = 0, credits = 0 }, none, show(r))
    assert.are.same({}, S.ls(r.tmp))
  end)

  it("with --faults is a usage error", function()
    local r = run(SCRIPT, "run --plan --faults fail=1 script.lua")
    assert.are.equal(2, r.code, show(r))
    assert.truthy(r.err:find("--faults", 1, true), show(r))
    assert.are.equal("", r.out)
    assert.are.same({}, S.ls(r.tmp), "no folder made for a refused plan")
  end)
end)

describe("vidu.progress", function()
  strict_teardown(function() S.cleanup() end)

  local ROWS = [[
vidu.progress{ name = "dusk", state = "waiting", detail = "on push" }
vidu.progress{ name = "dusk", state = "waiting", detail = "on push, noon" }  -- same state
vidu.progress{ name = "noon", state = "waiting", detail = "on dawn" }
vidu.progress{ name = "dusk", state = "ready" }
vidu.progress{ name = "dusk", done = true }
vidu.progress{ name = "never shown", done = true }
vidu.progress{ name = "board", state = "rendering", detail = "3/7 shots, 120 credits", final = true }
local bad = {
  { state = "waiting" },
  { name = 7, state = "waiting" },
  { name = "dusk", state = "waiting", colour = "red" },
  { name = "dusk" },
  { name = "dusk", state = "waiting", detail = 3 },
  { name = "dusk", done = true, final = true },
}
for i, opts in ipairs(bad) do
  local ok, err = pcall(vidu.progress, opts)
  print(("mistake %d: %s %s"):format(i, tostring(ok), tostring(err)))
end
print("rows done")
]]

  it("prints a plain line per change of state off a terminal, needing no key or journal", function()
    local r = run(ROWS, "run script.lua")
    assert.are.equal(0, r.code, show(r))
    assert.truthy(r.out:find("rows done", 1, true), show(r))
    local lines = {}
    for line in r.err:gmatch("[^\n]+") do lines[#lines + 1] = line end
    local want = {
      "^reel: dusk +waiting +%d+%.%d s +on push$",
      "^reel: noon +waiting +%d+%.%d s +on dawn$",
      "^reel: dusk +ready +%d+%.%d s$",
      "^reel: board +rendering +%d+%.%d s +3/7 shots, 120 credits$",
    }
    assert.are.equal(#want, #lines, show(r))
    for i, pattern in ipairs(want) do assert.truthy(lines[i]:find(pattern), lines[i]) end
    assert.is_nil(r.err:find("\27", 1, true), "no escapes off a terminal")
    assert.are.same({ "script.lua" }, S.ls(r.dir), "no journal opened for a row")
  end)

  it("raises a programmer's mistakes at the call, and says nothing with --quiet", function()
    local r = run(ROWS, "run --quiet script.lua")
    assert.are.equal(0, r.code, show(r))
    assert.are.equal("", r.err)
    local want = { "name must be a non%-empty string", "name must be a non%-empty string",
                   'unknown option "colour"', "state must be a string", "detail must be a string",
                   "done .* and final .* exclude each other" }
    for i, pattern in ipairs(want) do
      local line = r.out:match("mistake " .. i .. ": ([^\n]*)")
      assert.is_string(line, show(r))
      assert.truthy(line:find("^false vidu%.progress: " .. pattern), line)
    end
  end)
end)
