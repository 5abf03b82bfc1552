-- Shared helpers for the conformance specs of `reel sim` in this folder: the
-- Vidu API as documented in shared/reference/vidu-api.md (section numbers
-- point there) and the simulator contract in shared/DESIGN.md "The simulator".
--
-- Written from the reference, not from the simulator's code: every request is
-- plain HTTP made by the curl CLI, results are checked with ffprobe and
-- sha256sum, callback signatures with the openssl CLI, and callbacks are
-- received by a small perl (perl-base) listener. Runs under the reference
-- interpreter: busted --lua=lua5.4, with REEL naming the reel binary and
-- REEL_TEST_MEDIA the folder made by tests/media/make_fixtures.sh.
--
-- A spec loads it with package.path set to this folder, then binds busted's
-- assert/it/pending (they live in the spec's environment, not in _G):
--   local S = require "support"
--   if not S.configured then S.skip(describe, pending) return end
--   S.bind{ assert = assert, it = it, pending = pending }
local REEL = os.getenv("REEL")
local MEDIA = os.getenv("REEL_TEST_MEDIA")

-- Without REEL every spec declares one pending test and nothing else.
local function skip(describe, pending)
  describe("reel sim conformance", function()
    pending("REEL is not set: run through ctest (sim_conformance) or set REEL to the reel binary")
  end)
end

if not REEL or REEL == "" then
  return { configured = false, skip = skip }
end

-- busted's assert (luassert); S.bind sets it, as it is not a global of _G.
local assert = assert

local json = require "dkjson"

local KEY = "test-key"

---------------------------------------------------------------------------
-- Shell, files, JSON
---------------------------------------------------------------------------

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function slurp(path)
  local h = io.open(path, "rb"); if not h then return nil end
  local s = h:read("a"); h:close(); return s
end

local function write_file(path, text)
  local f = assert(io.open(path, "wb")); f:write(text); f:close()
end

-- Runs a shell command line; returns exit status, stdout, stderr.
local function run(cmdline)
  local out, err = os.tmpname(), os.tmpname()
  local _, _, code = os.execute(("{ %s; } </dev/null >%s 2>%s"):format(cmdline, out, err))
  local o, e = slurp(out), slurp(err)
  os.remove(out); os.remove(err)
  return code, o, e
end

local function sleep(s) os.execute("sleep " .. s) end

local function decode(text)
  if not text or text == "" then return nil end
  local v = json.decode(text)
  return v
end

local function encode(v) return json.encode(v) end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

local function b64_file(path)
  local code, out, err = run("base64 -w0 " .. sh_quote(path))
  assert(code == 0, err)
  return out
end

local function sha256(path)
  local code, out = run("sha256sum " .. sh_quote(path))
  assert(code == 0)
  return out:match("^(%x+)")
end

-- Downloads and captured requests go to one temporary folder, made on first
-- use and removed by cleanup() (each spec file's outermost teardown).
local TMP
local function tmpdir()
  if not TMP then TMP = trim(select(2, run("mktemp -d /tmp/sim-conformance.XXXXXX"))) end
  return TMP
end

local function tmpfile(name) return tmpdir() .. "/" .. name end

local function cleanup()
  if TMP then os.execute("rm -rf " .. sh_quote(TMP)) end
  TMP = nil
end

---------------------------------------------------------------------------
-- Media inputs (§1.2: data URIs with a MIME prefix)
---------------------------------------------------------------------------

local function media(name)
  local dir = MEDIA
  if not dir or dir == "" or not slurp(dir .. "/image.png") then dir = "/tmp/media-fx" end
  local p = dir .. "/" .. name
  assert(slurp(p), "test media missing: " .. p .. " (run tests/media/make_fixtures.sh DIR, set REEL_TEST_MEDIA)")
  return p
end

local uri_cache = {}
local function data_uri(name, mime)
  if not uri_cache[name] then
    uri_cache[name] = "data:" .. mime .. ";base64," .. b64_file(media(name))
  end
  return uri_cache[name]
end
local function PNG() return data_uri("image.png", "image/png") end    -- 640x360, 16:9
local function JPG() return data_uri("image.jpg", "image/jpeg") end   -- 640x360, 16:9
local function WEBP() return data_uri("image.webp", "image/webp") end -- 640x360, 16:9

---------------------------------------------------------------------------
-- The simulator process
---------------------------------------------------------------------------

local sim_process = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "../sim_process.lua")

local alive = sim_process.alive

-- Starts `reel sim` with extra options; returns { port, pid, base, log }.
local sims_started = 0
local function start_sim(extra)
  sims_started = sims_started + 1
  local log = tmpfile(("sim-%d.log"):format(sims_started))
  -- Under timeout(1), so a simulator outlives a killed busted by 20 min at most.
  local p = sim_process.start(REEL, extra, log, { prefix = "timeout -k 5 1200" })
  return { port = p.port, pid = p.pid, base = p.base, log = log, extra = extra }
end

local function stop_sim(sim)
  if not sim or not sim.pid then return end
  run("kill " .. sim.pid .. " 2>/dev/null")
  for _ = 1, 30 do
    if not alive(sim.pid) then break end
    sleep(0.1)
  end
  if alive(sim.pid) then run("kill -9 " .. sim.pid .. " 2>/dev/null") end
  sim.pid = nil
end

-- Is the simulator clearly not built yet (it says so, or its module lacks the
-- Simulator class itself)? Decided once, before any test is declared; only
-- then are the tests declared pending. Any other start failure fails them.
-- busted loads each spec file insulated (so this module again per file); the
-- answer is kept in the Lua registry, which insulation leaves alone, so the
-- probe (3 s when the simulator starts fine) runs once per busted run.
local REGISTRY_KEY = "reel.tests.e2e.sim.unbuilt:" .. REEL
local UNBUILT = debug.getregistry()[REGISTRY_KEY]
if UNBUILT == nil then
  local code, out, err = run(("timeout 3 %s sim --port 0 --quiet"):format(sh_quote(REEL)))
  local text = (out or "") .. (err or "")
  if code ~= 124 and (text:find("not built yet", 1, true) or
                      text:find("undefined symbol: _ZN4reel3sim9Simulator", 1, true)) then
    UNBUILT = "the simulator is not built yet: " .. trim(text):gsub("\n.*", "")
  end
  debug.getregistry()[REGISTRY_KEY] = UNBUILT or false
end
UNBUILT = UNBUILT or nil

---------------------------------------------------------------------------
-- HTTP through the curl CLI
---------------------------------------------------------------------------

-- opts: body (string or table, sent as JSON), auth (false: none; string: the
-- whole Authorization value; default "Token test-key"), key, headers, query.
-- Returns status, json (or nil), raw body, headers (lower-case names).
local req_n = 0
local function http(sim, method, path, opts)
  opts = opts or {}
  req_n = req_n + 1
  local bodyf, hdrf = tmpfile("resp-" .. req_n), tmpfile("hdr-" .. req_n)
  local args = { "curl -s --max-time " .. (opts.timeout or 60), "-o", sh_quote(bodyf), "-D", sh_quote(hdrf),
                 "-w", "'%{http_code}'", "-X", method, "-H", sh_quote("Expect:") }
  local auth = opts.auth
  if auth == nil then auth = "Token " .. (opts.key or KEY) end
  if auth then args[#args + 1] = "-H " .. sh_quote("Authorization: " .. auth) end
  args[#args + 1] = "-H " .. sh_quote("Content-Type: application/json")
  for _, h in ipairs(opts.headers or {}) do args[#args + 1] = "-H " .. sh_quote(h) end
  if opts.body ~= nil then
    local reqf = tmpfile("req-" .. req_n)
    write_file(reqf, type(opts.body) == "string" and opts.body or encode(opts.body))
    args[#args + 1] = "--data-binary @" .. sh_quote(reqf)
    opts.reqf = reqf
  end
  local base = type(sim) == "string" and sim or sim.base
  args[#args + 1] = sh_quote(base .. path)
  local code, out, err = run(table.concat(args, " "))
  local body = slurp(bodyf) or ""
  local headers = {}
  for line in (slurp(hdrf) or ""):gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then headers[k:lower()] = v end
  end
  os.remove(bodyf); os.remove(hdrf)
  if opts.reqf then os.remove(opts.reqf) end
  local status = tonumber(out) or 0
  if code ~= 0 and status == 0 then status = -code end  -- curl failure: negative curl code
  return status, decode(body), body, headers, err
end

local function download(url, path)
  local code, out = run(("curl -s --max-time 60 -o %s -w '%%{http_code}' %s"):format(sh_quote(path), sh_quote(url)))
  if code ~= 0 then return -code end
  return tonumber(out)
end

local function ffprobe(path)
  local code, out, err = run("ffprobe -v error -print_format json -show_format -show_streams " .. sh_quote(path))
  assert(code == 0, "ffprobe failed on " .. path .. ": " .. (err or ""))
  return decode(out)
end

local function video_stream(probe)
  for _, s in ipairs(probe.streams or {}) do
    if s.codec_type == "video" then return s end
  end
end

---------------------------------------------------------------------------
-- Contract helpers
---------------------------------------------------------------------------

-- §15: output pixel sizes by tier and aspect ratio.
local PIXELS = {
  ["360p"]  = { ["16:9"] = { 640, 352 },  ["9:16"] = { 352, 640 },  ["1:1"] = { 480, 480 },   ["4:3"] = { 544, 400 },   ["3:4"] = { 400, 544 } },
  ["540p"]  = { ["16:9"] = { 960, 528 },  ["9:16"] = { 528, 960 },  ["1:1"] = { 720, 720 },   ["4:3"] = { 816, 608 },   ["3:4"] = { 608, 816 } },
  ["720p"]  = { ["16:9"] = { 1280, 720 }, ["9:16"] = { 720, 1280 }, ["1:1"] = { 960, 960 },   ["4:3"] = { 1104, 816 },  ["3:4"] = { 816, 1104 } },
  ["1080p"] = { ["16:9"] = { 1920, 1080 },["9:16"] = { 1080, 1920 },["1:1"] = { 1440, 1440 }, ["4:3"] = { 1674, 1238 }, ["3:4"] = { 1238, 1674 } },
}

-- §13.1: {"code": <http status>, "reason": "...", "message": "...", "metadata": {"trace_id": "<hex>"}}
local function assert_error(status, body, raw, want_status, want_reason, ctx)
  ctx = ctx or ""
  assert.are.equal(want_status, status, ctx .. " HTTP status; body: " .. tostring(raw))
  assert.is_table(body, ctx .. " error body is JSON: " .. tostring(raw))
  assert.are.equal(want_status, body.code, ctx .. " code mirrors the HTTP status")
  if want_reason then assert.are.equal(want_reason, body.reason, ctx .. " reason; body: " .. tostring(raw)) end
  assert.is_string(body.reason, ctx .. " reason")
  assert.is_string(body.message, ctx .. " message")
  assert.is_table(body.metadata, ctx .. " metadata")
  assert.is_string(body.metadata.trace_id, ctx .. " metadata.trace_id")
  assert.matches("^%x+$", body.metadata.trace_id, ctx .. " trace_id is hex")
end

local ISO_UTC = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.?%d*Z$"

local STATE_ORDER = { created = 1, queueing = 2, processing = 3, success = 4, failed = 4 }

-- Polls GET /ent/v2/tasks/{id}/creations until success/failed. Returns the
-- final body and the list of distinct states seen in order.
local function wait_task(sim, id, timeout)
  local states, last = {}, nil
  local deadline = os.time() + (timeout or 180)
  while os.time() < deadline do
    local status, body, raw = http(sim, "GET", "/ent/v2/tasks/" .. id .. "/creations")
    assert.are.equal(200, status, "query " .. id .. ": " .. tostring(raw))
    assert.is_table(body, raw)
    if body.state ~= last then states[#states + 1] = body.state; last = body.state end
    if body.state == "success" or body.state == "failed" then return body, states end
    sleep(0.05)
  end
  error("task " .. id .. " did not finish in time; states seen: " .. table.concat(states, ","))
end

-- Accepted create requests per simulator, to compare with /_sim/stats.
local accepted = setmetatable({}, { __mode = "k" })

local function create(sim, endpoint, req, opts)
  local status, body, raw = http(sim, "POST", "/ent/v2/" .. endpoint, { body = req, key = opts and opts.key })
  if status == 200 then accepted[sim] = (accepted[sim] or 0) + 1 end
  return status, body, raw
end

local function create_ok(sim, endpoint, req)
  local status, body, raw = create(sim, endpoint, req)
  assert.are.equal(200, status, endpoint .. " " .. encode(req):sub(1, 300) .. " -> " .. tostring(raw):sub(1, 600))
  assert.is_table(body)
  assert.is_string(body.task_id, raw)
  return body
end

local function run_ok(sim, endpoint, req, timeout)
  local created = create_ok(sim, endpoint, req)
  local done, states = wait_task(sim, created.task_id, timeout)
  assert.are.equal("success", done.state, endpoint .. " finished as " .. tostring(done.state) ..
                   " err_code=" .. tostring(done.err_code))
  return created, done, states
end

-- Downloads the result and cover of a finished task at once (URLs expire);
-- returns the paths and their ffprobe reports.
local dl_n = 0
local function fetch_result(done)
  assert.is_table(done.creations, "creations")
  local c = done.creations[1]
  assert.is_table(c, "creations[1]")
  assert.is_string(c.url); assert.is_string(c.cover_url)
  dl_n = dl_n + 1
  local mp4, cover = tmpfile(("out-%d.mp4"):format(dl_n)), tmpfile(("cover-%d"):format(dl_n))
  assert.are.equal(200, download(c.url, mp4), "download " .. c.url)
  assert.are.equal(200, download(c.cover_url, cover), "download " .. c.cover_url)
  return { mp4 = mp4, cover = cover, video = ffprobe(mp4), image = ffprobe(cover), creation = c }
end

-- The result is an H.264 MP4 of the given size and duration (±0.15 s), and the
-- cover an image of the same size.
local function assert_media(r, w, h, duration, ctx)
  ctx = ctx or ""
  assert.truthy(r.video.format.format_name:find("mp4", 1, true), ctx .. " container " .. r.video.format.format_name)
  local v = video_stream(r.video)
  assert.is_table(v, ctx .. " has a video stream")
  assert.are.equal("h264", v.codec_name, ctx .. " codec")
  assert.are.same({ w, h }, { v.width, v.height }, ctx .. " pixel size")
  local d = tonumber(r.video.format.duration)
  assert.is_true(math.abs(d - duration) <= 0.15, ("%s duration %.3f, want %.3f"):format(ctx, d, duration))
  local img = video_stream(r.image)
  assert.is_table(img, ctx .. " cover is an image")
  assert.truthy(({ mjpeg = true, png = true, webp = true })[img.codec_name], ctx .. " cover codec " .. tostring(img.codec_name))
  assert.are.same({ w, h }, { img.width, img.height }, ctx .. " cover size")
  -- §11.2: creations[].video, when present, agrees with the file.
  local meta = r.creation.video
  if meta then
    assert.is_true(math.abs(tonumber(meta.duration) - d) <= 0.1, ctx .. " creations[].video.duration")
    if meta.resolution then
      assert.are.same({ w, h }, { meta.resolution.width, meta.resolution.height }, ctx .. " creations[].video.resolution")
    end
  end
end

local function stats(sim)
  local status, body, raw = http(sim, "GET", "/_sim/stats", { auth = false })
  assert.are.equal(200, status, raw)
  assert.is_table(body, raw)
  return body, raw
end

-- Tasks created, as /_sim/stats names it (DESIGN: "requests by endpoint,
-- tasks created"); the spelling is the simulator's choice.
local function tasks_created(sim)
  local s, raw = stats(sim)
  -- A map of counts (by kind or endpoint) adds up to the total.
  if type(s.tasks_created) == "table" then
    local total = 0
    for _, v in pairs(s.tasks_created) do
      assert(type(v) == "number", "/_sim/stats tasks_created holds counts: " .. raw)
      total = total + v
    end
    return total
  end
  local candidates = {
    s.tasks_created, type(s.tasks) == "table" and s.tasks.created or nil,
    type(s.tasks) == "number" and s.tasks or nil, s.created_tasks, s.created,
    type(s.counts) == "table" and s.counts.tasks_created or nil,
  }
  for i = 1, 6 do
    if type(candidates[i]) == "number" then return candidates[i] end
  end
  error("/_sim/stats has no tasks-created count: " .. raw)
end

local function vtrix(sim, method, path, body, auth)
  local status, b, raw, h = http(sim, method, path, { body = body, auth = auth == nil and ("Bearer " .. KEY) or auth })
  if status == 200 and method == "POST" and path == "/model/v1/generation" then
    accepted[sim] = (accepted[sim] or 0) + 1
  end
  return status, b, raw, h
end

local function list_has(list, v)
  for _, x in ipairs(list or {}) do if x == v then return true end end
  return false
end

-- §12.2, computed with the openssl CLI, independently of the simulator.
local function expected_signature(secret, method, path, query, headers)
  local names = {}
  for name in (headers["x-hmac-signed-headers"] or ""):gmatch("[^;]+") do names[#names + 1] = name end
  local s = method:upper() .. "\n" .. path .. "\n" .. query .. "\n" .. "vidu" .. "\n" .. headers["date"] .. "\n"
  for _, name in ipairs(names) do
    s = s .. name .. ":" .. assert(headers[name:lower()], "signed header present: " .. name) .. "\n"
  end
  local f = tmpfile("signing-string")
  write_file(f, s)
  local code, out, err = run(("openssl dgst -sha256 -hmac %s -binary %s | base64 -w0"):format(sh_quote(secret), sh_quote(f)))
  assert(code == 0, err)
  return trim(out), names
end

local function wait_for(pred, seconds)
  local deadline = os.time() + seconds
  while os.time() < deadline do
    if pred() then return true end
    sleep(0.1)
  end
  return pred()
end

---------------------------------------------------------------------------
-- The module
---------------------------------------------------------------------------

local S = {
  configured = true, skip = skip,
  json = json,
  KEY = KEY,
  sh_quote = sh_quote,
  slurp = slurp,
  write_file = write_file,
  run = run,
  sleep = sleep,
  decode = decode,
  encode = encode,
  trim = trim,
  b64_file = b64_file,
  sha256 = sha256,
  tmpfile = tmpfile,
  cleanup = cleanup,
  media = media,
  data_uri = data_uri,
  PNG = PNG,
  JPG = JPG,
  WEBP = WEBP,
  alive = alive,
  start_sim = start_sim,
  stop_sim = stop_sim,
  UNBUILT = UNBUILT,
  http = http,
  download = download,
  ffprobe = ffprobe,
  video_stream = video_stream,
  PIXELS = PIXELS,
  assert_error = assert_error,
  ISO_UTC = ISO_UTC,
  STATE_ORDER = STATE_ORDER,
  wait_task = wait_task,
  accepted = accepted,
  create = create,
  create_ok = create_ok,
  run_ok = run_ok,
  fetch_result = fetch_result,
  assert_media = assert_media,
  stats = stats,
  tasks_created = tasks_created,
  vtrix = vtrix,
  list_has = list_has,
  expected_signature = expected_signature,
  wait_for = wait_for,
}

-- Binds busted's assert, it and pending; S.test is `it`, or, when the
-- simulator is not built yet, a pending test saying so.
function S.bind(env)
  assert = env.assert
  S.test = env.it
  if UNBUILT then
    S.test = function(name) env.pending(name .. " -- " .. UNBUILT) end
  end
end

return S
