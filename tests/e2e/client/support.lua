-- Shared helpers for the end-to-end specs of the Vidu client in this folder:
-- the real `reel run` binary, driven from outside, against a real `reel sim`
-- process on a free loopback port (DESIGN.md "The Lua API", "The simulator").
--
-- Each spec writes small Lua scripts to a temporary folder, runs them with
-- `reel run --quiet --out DIR`, pointed at the simulator through the
-- environment the client reads (VIDU_BASE_URL, VIDU_API_KEY or --key-file,
-- VIDU_DIALECT, REEL_TIME_SCALE), and checks the exit status, what the script
-- printed (one JSON line per result, see PRELUDE), the files in --out (with
-- the ffprobe CLI) and the simulator's GET /_sim/stats (with the curl CLI).
--
-- Runs under the reference interpreter: busted --lua=lua5.4, with REEL naming
-- the reel binary and REEL_TEST_MEDIA the folder made by
-- tests/media/make_fixtures.sh (ctest client_e2e sets both). A spec loads it
-- with package.path set to this folder, then binds busted's assert:
--   local S = require "support"
--   if not S.configured then S.skip(describe, pending) return end
--   S.bind{ assert = assert }
local REEL = os.getenv("REEL")
local MEDIA = os.getenv("REEL_TEST_MEDIA")

local function skip(describe, pending)
  describe("reel client end-to-end", function()
    pending("REEL is not set: run through ctest (client_e2e) or set REEL to the reel binary")
  end)
end

if not REEL or REEL == "" then
  return { configured = false, skip = skip }
end

local assert = assert  -- busted's, once S.bind has run
local json = require "dkjson"

---------------------------------------------------------------------------
-- Shell and files
---------------------------------------------------------------------------

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function slurp(path)
  local h = io.open(path, "rb"); if not h then return nil end
  local s = h:read("a"); h:close(); return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "wb")); f:write(text); f:close()
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- Runs a shell command line; returns exit status, stdout, stderr.
local function sh(cmdline)
  local out, err = os.tmpname(), os.tmpname()
  local _, _, code = os.execute(("{ %s; } </dev/null >%s 2>%s"):format(cmdline, out, err))
  local o, e = slurp(out) or "", slurp(err) or ""
  os.remove(out); os.remove(err)
  return code, o, e
end

local function sleep(s) os.execute("sleep " .. s) end

local function exists(path) return (sh("test -e " .. q(path))) == 0 end

-- Names in a folder (not recursive), sorted; {} when it does not exist.
local function ls(dir)
  local code, out = sh("ls -A " .. q(dir))
  local names = {}
  if code ~= 0 then return names end
  for name in out:gmatch("[^\n]+") do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- One temporary folder per spec file, removed by cleanup().
local TMP
local function tmpdir()
  if not TMP then TMP = trim(select(2, sh("mktemp -d /tmp/reel-client-e2e.XXXXXX"))) end
  return TMP
end

local dir_n = 0
-- A fresh folder under the spec's temporary folder.
local function newdir(label)
  dir_n = dir_n + 1
  local d = ("%s/%s-%d"):format(tmpdir(), (label or "d"):gsub("[^%w_-]", "_"), dir_n)
  assert(sh("mkdir -p " .. q(d)) == 0)
  return d
end

local function cleanup()
  if TMP then os.execute("rm -rf " .. q(TMP)) end
  TMP = nil
end

local function media(name)
  assert(MEDIA and MEDIA ~= "", "REEL_TEST_MEDIA is not set (tests/media/make_fixtures.sh DIR)")
  local p = MEDIA .. "/" .. name
  assert(slurp(p), "test media missing: " .. p)
  return p
end

---------------------------------------------------------------------------
-- The simulator process
---------------------------------------------------------------------------

local sim_process = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "../sim_process.lua")

-- A zombie (exited, not yet reaped by whoever adopted it) counts as dead.
local function alive(pid)
  local code, out = sh("ps -o stat= -p " .. pid)
  return code == 0 and out:match("%S") ~= nil and not out:match("^%s*Z")
end

local function curl_json(url)
  local code, out = sh(("curl -s --max-time 10 %s"):format(q(url)))
  if code ~= 0 then return nil, out end
  return json.decode(out), out
end

local DEFAULT_KEY = "client-e2e-key"

-- opts: speed (default 40), faults, key (default DEFAULT_KEY), concurrency,
-- credits, url_ttl, data (the simulator's --data folder), log_requests (no
-- --quiet: the log holds every request). Returns { base, port, pid, key,
-- speed, log, logdir }.
local function start_sim(opts)
  opts = opts or {}
  local args = { "--speed " .. (opts.speed or 40) }
  if not opts.log_requests then args[#args + 1] = "--quiet" end
  local key = opts.key or DEFAULT_KEY
  args[#args + 1] = "--key " .. q(key)
  if opts.faults then args[#args + 1] = "--faults " .. q(opts.faults) end
  if opts.concurrency then args[#args + 1] = "--concurrency " .. opts.concurrency end
  if opts.credits then args[#args + 1] = "--credits " .. opts.credits end
  if opts.url_ttl then args[#args + 1] = "--url-ttl " .. opts.url_ttl end
  if opts.data then args[#args + 1] = "--data " .. q(opts.data) end
  -- The simulator is told the key on its command line, so its log lives
  -- apart from the client's folders (the secrecy specs grep those).
  local logdir = trim(select(2, sh("mktemp -d /tmp/reel-client-e2e-sim.XXXXXX")))
  local log = logdir .. "/sim.log"
  -- Under timeout(1), so a simulator outlives a killed busted by 10 min at most.
  local ok, p = pcall(sim_process.start, REEL, table.concat(args, " "), log, { prefix = "timeout -k 5 600" })
  if not ok then
    os.execute("rm -rf " .. q(logdir))
    error(p, 2)
  end
  return { port = p.port, pid = p.pid, base = p.base, key = key, speed = opts.speed or 40,
           log = log, logdir = logdir }
end

local function stop_sim(sim)
  if not sim or not sim.pid then return end
  sh("kill " .. sim.pid .. " 2>/dev/null")
  for _ = 1, 100 do
    if not alive(sim.pid) then break end
    sleep(0.02)
  end
  if alive(sim.pid) then sh("kill -9 " .. sim.pid .. " 2>/dev/null") end
  sim.pid = nil
  if sim.logdir then os.execute("rm -rf " .. q(sim.logdir)) end
end

-- GET /_sim/stats (host/sim/simulator.cpp: requests by "METHOD route" and
-- status, tasks_created by kind, credits, concurrency).
local function stats(sim)
  local body, raw = curl_json(sim.base .. "/_sim/stats")
  assert(type(body) == "table", "GET /_sim/stats: " .. tostring(raw))
  return body
end

-- Requests to a route, e.g. "GET /ent/v2/tasks/{id}/creations", with a given
-- status ("200") or with any.
local function requests(st, route, status)
  local by_status = (st.requests or {})[route]
  if not by_status then return 0 end
  if status then return by_status[tostring(status)] or 0 end
  local n = 0
  for _, c in pairs(by_status) do n = n + c end
  return n
end

-- Requests that reached the API or its files (not /_sim).
local function api_requests(st)
  local n = 0
  for route, by_status in pairs(st.requests or {}) do
    if not route:find(" /_sim/", 1, true) then
      for _, c in pairs(by_status) do n = n + c end
    end
  end
  return n
end

local function tasks_created(st)
  local n = 0
  for _, c in pairs(st.tasks_created or {}) do n = n + c end
  return n
end

---------------------------------------------------------------------------
-- reel run
---------------------------------------------------------------------------

-- What every script starts with: emit(t) prints one JSON line; fail_info(e)
-- turns a raised error (a vidu.Error or anything else) into a table.
local PRELUDE = [[
local function emit(t) io.stdout:write(json.encode(t), "\n"); io.stdout:flush() end
local function fail_info(e)
  if type(e) ~= "table" then return { code = "LuaError", message = tostring(e) } end
  return { code = e.code, message = tostring(e), field = e.field, task_id = e.task_id,
           err_code = e.err_code, http_status = e.http_status, retryable = e.retryable,
           is_vidu = vidu.Error.is(e) }
end
local function clip_info(c)
  return { path = c.path, url = c.url, cover_url = c.cover_url, creation_id = c.creation_id,
           task_id = c.task_id, credits = c.credits, duration = c.duration, width = c.width,
           height = c.height, fps = c.fps }
end
]]

local run_n = 0
-- Runs `script` (Lua text, PRELUDE prepended) with reel run against `sim`.
-- opts: dialect ("vtrix"), key (default sim.key; false: no VIDU_API_KEY),
-- key_file (passed as --key-file), time_scale (default sim.speed), out
-- (default a new folder), dir (where the script is written), timeout (s),
-- env (table of extra variables), loud (no --quiet: progress lines), name
-- (the script's file name in dir: the same name in the same dir is the same
-- script to the journal), args (more options for reel run, a string).
-- Returns { code, out, err, out_dir, dir, results } where results are the
-- JSON lines the script printed.
local function reel(sim, script, opts)
  opts = opts or {}
  run_n = run_n + 1
  local dir = opts.dir or newdir("run")
  local out_dir = opts.out or (dir .. "/out")
  local path = opts.name and (dir .. "/" .. opts.name) or ("%s/script-%d.lua"):format(dir, run_n)
  write_file(path, PRELUDE .. script)
  local env = { "env", "-u VIDU_API_KEY", "-u REEL_KEY_FILE", "-u VIDU_DIALECT", "-u REEL_OUT",
                "-u REEL_QUIET", "-u REEL_TIME_SCALE", "-u VIDU_BASE_URL", "-u REEL_JOURNAL",
                "-u REEL_RETRY_FAILED" }
  if sim then
    env[#env + 1] = "VIDU_BASE_URL=" .. q(sim.base)
    env[#env + 1] = "REEL_TIME_SCALE=" .. (opts.time_scale or sim.speed)
  end
  local key = opts.key
  if key == nil and sim and not opts.key_file then key = sim.key end
  if key then env[#env + 1] = "VIDU_API_KEY=" .. q(key) end
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "=" .. q(v) end
  local args = { opts.loud and "" or "--quiet", "--out " .. q(out_dir) }
  if opts.dialect then args[#args + 1] = "--dialect " .. opts.dialect end
  if opts.key_file then args[#args + 1] = "--key-file " .. q(opts.key_file) end
  if opts.args then args[#args + 1] = opts.args end
  local cmd = ("cd %s && %s timeout -k 5 %d %s run %s %s"):format(
    q(dir), table.concat(env, " "), opts.timeout or 120, q(REEL), table.concat(args, " "), q(path))
  -- REEL_E2E_TIMING=1 says how long each run took (to keep the suite fast).
  local timing = os.getenv("REEL_E2E_TIMING")
  local function now() return tonumber((select(2, sh("date +%s.%N")))) end
  local t0 = timing and now()
  local code, out, err = sh(cmd)
  if timing then io.stderr:write(("[reel run %s: %.2f s]\n"):format(path, now() - t0)) end
  local results = {}
  for line in out:gmatch("[^\n]+") do
    if line:sub(1, 1) == "{" then
      local v = json.decode(line)
      if v then results[#results + 1] = v end
    end
  end
  return { code = code, out = out, err = err, out_dir = out_dir, dir = dir, results = results,
           cmd = cmd }
end

-- A description of a run for assertion messages.
local function show(r)
  return ("exit %s\n--- stdout\n%s--- stderr\n%s"):format(tostring(r.code), r.out, r.err)
end

-- Lua source for a string literal.
local function lit(s) return ("%q"):format(s) end

---------------------------------------------------------------------------
-- Media checks
---------------------------------------------------------------------------

-- ffprobe's view of a file: { duration, width, height, codec, format }.
local function probe(path)
  local code, out, err = sh("ffprobe -v error -print_format json -show_format -show_streams " .. q(path))
  assert(code == 0, "ffprobe failed on " .. path .. ": " .. err)
  local p = json.decode(out)
  local info = { duration = tonumber(p.format.duration), format = p.format.format_name }
  for _, s in ipairs(p.streams or {}) do
    if s.codec_type == "video" then
      info.width, info.height, info.codec = s.width, s.height, s.codec_name
      break
    end
  end
  return info
end

-- §15: output sizes by tier and aspect ratio (text2video, reference).
local PIXELS = {
  ["540p"] = { ["16:9"] = { 960, 528 }, ["9:16"] = { 528, 960 }, ["1:1"] = { 720, 720 } },
  ["720p"] = { ["16:9"] = { 1280, 720 }, ["9:16"] = { 720, 1280 }, ["1:1"] = { 960, 960 } },
}

-- A clip file in --out: named NAME-TASKID.mp4 (DESIGN: "<name>-<taskid>.mp4",
-- default name "<kind>#<n>" with '#' -> '_'), an H.264 MP4 lasting
-- `duration` s (±0.15); `size` is {w, h}, or a tier ("540p") when the output
-- follows an input's shape (then the short side is the tier's).
local function assert_clip(clip, opts, ctx)
  ctx = ctx or ""
  assert.is_table(clip, ctx .. " clip")
  local file = clip.path:match("[^/]+$")
  if opts.name then
    assert.are.equal(opts.name .. "-" .. clip.task_id .. ".mp4", file, ctx .. " file name")
  end
  if opts.out_dir then
    assert.are.equal(opts.out_dir .. "/" .. file, clip.path, ctx .. " file is in --out")
  end
  assert.is_true(exists(clip.path), ctx .. " file exists: " .. clip.path)
  local p = probe(clip.path)
  assert.truthy(p.format:find("mp4", 1, true), ctx .. " container " .. tostring(p.format))
  assert.are.equal("h264", p.codec, ctx .. " codec")
  if opts.duration then
    assert.is_true(math.abs(p.duration - opts.duration) <= 0.15,
      ("%s ffprobe duration %.3f, want %.3f"):format(ctx, p.duration, opts.duration))
    assert.is_true(math.abs(clip.duration - p.duration) <= 0.05, ctx .. " clip.duration agrees with ffprobe")
  end
  if type(opts.size) == "table" then
    assert.are.same(opts.size, { p.width, p.height }, ctx .. " pixel size")
  elseif type(opts.size) == "string" then
    local tier = tonumber(opts.size:match("^(%d+)p$"))
    assert.are.equal(tier, math.min(p.width, p.height), ctx .. " short side for " .. opts.size)
  end
  assert.are.same({ p.width, p.height }, { clip.width, clip.height }, ctx .. " clip.width/height agree with ffprobe")
  return p
end

-- No ".part" (or any other temporary) file is left in a folder.
local function assert_no_part(dir, ctx)
  for _, name in ipairs(ls(dir)) do
    assert.is_nil(name:find("%.part$"), (ctx or "") .. " leftover temporary file " .. dir .. "/" .. name)
  end
end

local function count_mp4(dir)
  local n = 0
  for _, name in ipairs(ls(dir)) do if name:find("%.mp4$") then n = n + 1 end end
  return n
end

-- The sqlite3 CLI on a database (mode: "-json" and the like); its output.
local function sqlite(path, statements, mode)
  local code, out, err = sh(("sqlite3 %s %s %s"):format(mode or "", q(path), q(statements)))
  assert(code == 0, "sqlite3 " .. statements .. ": " .. err)
  return out
end

-- A new journal at `path` with reel's schema, made by journal_init (named
-- by REEL_JOURNAL_INIT; ctest sets it for the specs that need it).
local function init_journal(path)
  local init = os.getenv("REEL_JOURNAL_INIT")
  local code, _, err = sh(q(init) .. " " .. q(path))
  assert(code == 0, "journal_init " .. path .. ": " .. err)
  return path
end

-- Uniform numbers in [0, 1) from `seed` (splitmix64, good from any seed,
-- small ones included), apart from math.random; one stream per use, so one
-- use's draws do not move another's.
local function random(seed)
  local x = math.tointeger(seed) or 0
  return function()
    x = x + 0x9E3779B97F4A7C15
    local z = x
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    return (z >> 11) / (1 << 53)
  end
end

---------------------------------------------------------------------------
-- The module
---------------------------------------------------------------------------

local S = {
  configured = true, skip = skip, json = json, REEL = REEL, DEFAULT_KEY = DEFAULT_KEY,
  q = q, slurp = slurp, write_file = write_file, trim = trim, sh = sh, sleep = sleep,
  exists = exists, ls = ls, tmpdir = tmpdir, newdir = newdir, cleanup = cleanup, media = media,
  start_sim = start_sim, stop_sim = stop_sim, sim_process = sim_process, stats = stats, requests = requests,
  api_requests = api_requests, tasks_created = tasks_created, curl_json = curl_json,
  reel = reel, show = show, lit = lit, probe = probe, PIXELS = PIXELS, assert_clip = assert_clip,
  assert_no_part = assert_no_part, count_mp4 = count_mp4, random = random,
  sqlite = sqlite, init_journal = init_journal,
}

function S.bind(env) assert = env.assert end

return S
