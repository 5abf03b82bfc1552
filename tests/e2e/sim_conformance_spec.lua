-- Conformance of `reel sim` to the Vidu API as documented in
-- shared/reference/vidu-api.md (section numbers below point there) and to the
-- simulator contract in shared/DESIGN.md "The simulator".
--
-- Written from the reference, not from the simulator's code: every request is
-- plain HTTP made by the curl CLI, results are checked with ffprobe and
-- sha256sum, callback signatures with the openssl CLI, and callbacks are
-- received by a small perl (perl-base) listener. Runs under the reference
-- interpreter: busted --lua=lua5.4, with REEL naming the reel binary and
-- REEL_TEST_MEDIA the folder made by tests/media/make_fixtures.sh.
local REEL = os.getenv("REEL")
local MEDIA = os.getenv("REEL_TEST_MEDIA")

if not REEL or REEL == "" then
  describe("reel sim conformance", function()
    pending("REEL is not set: run through ctest (sim_conformance) or set REEL to the reel binary")
  end)
  return
end

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

local TMP = trim(select(2, run("mktemp -d /tmp/sim-conformance.XXXXXX")))

local function tmpfile(name) return TMP .. "/" .. name end

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

local function port_is_free(p)
  -- curl exit 7: could not connect, so nobody listens there.
  local code = run(("curl -s -o /dev/null --max-time 1 http://127.0.0.1:%d/"):format(p))
  return code == 7
end

math.randomseed(os.time())
local function pick_port()
  for _ = 1, 100 do
    local p = 20000 + (os.time() + math.random(0, 19999)) % 20000
    if port_is_free(p) then return p end
  end
  error("no free port found in 20000-39999")
end

local function alive(pid)
  return (run("kill -0 " .. pid .. " 2>/dev/null")) == 0
end

-- Starts `reel sim` with extra options; returns { port, pid, base, log }.
local function start_sim(extra)
  local last_log = ""
  for attempt = 1, 5 do
    local port = pick_port()
    local log = tmpfile(("sim-%d-%d.log"):format(port, attempt))
    -- Under timeout(1), so a simulator outlives a killed busted by 20 min at most.
    local cmd = ("timeout -k 5 1200 %s sim --port %d %s >%s 2>&1 & echo $!"):format(sh_quote(REEL), port, extra or "", sh_quote(log))
    local h = assert(io.popen(cmd))
    local pid = tonumber(h:read("l"))
    h:close()
    assert(pid, "could not start " .. cmd)
    local base = ("http://127.0.0.1:%d"):format(port)
    local deadline = os.time() + 20
    while os.time() < deadline do
      local code, out = run(("curl -s -o /dev/null -w '%%{http_code}' --max-time 2 %s/_sim/stats"):format(base))
      if code == 0 and out == "200" then
        return { port = port, pid = pid, base = base, log = log, extra = extra }
      end
      if not alive(pid) then break end
      sleep(0.1)
    end
    last_log = slurp(log) or ""
    if alive(pid) then run("kill " .. pid) end
    if not last_log:lower():find("in use", 1, true) and not last_log:lower():find("bind", 1, true) then
      break
    end
  end
  error("reel sim " .. (extra or "") .. " did not answer GET /_sim/stats; its output:\n" .. last_log)
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
local UNBUILT
do
  local port = pick_port()
  local code, out, err = run(("timeout 3 %s sim --port %d --quiet"):format(sh_quote(REEL), port))
  local text = (out or "") .. (err or "")
  if code ~= 124 and (text:find("not built yet", 1, true) or
                      text:find("undefined symbol: _ZN4reel3sim9Simulator", 1, true)) then
    UNBUILT = "the simulator is not built yet: " .. trim(text):gsub("\n.*", "")
  end
end

local test = it
if UNBUILT then
  test = function(name) pending(name .. " -- " .. UNBUILT) end
end

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

---------------------------------------------------------------------------
-- The suite
---------------------------------------------------------------------------

describe("reel sim conformance", function()
  -- Every simulator and receiver is stopped by its own block; this removes the
  -- downloads and captured requests.
  strict_teardown(function() os.execute("rm -rf " .. sh_quote(TMP)) end)

  describe("reel sim (official dialect, --speed 50 --url-ttl 5)", function()
    local sim
    local finished = {}   -- tasks known finished: { id=, creation_id=, credits=, duration= }

    strict_setup(function()
      if UNBUILT then return end
      sim = start_sim("--speed 50 --key " .. KEY .. " --url-ttl 5 --quiet")
    end)
    strict_teardown(function() stop_sim(sim) end)

    describe("create endpoints (§3-§8), minimal valid requests", function()
      test("text2video: creation response has §10's fields; the file is 720p 16:9, 5 s by default", function()
        local req = { model = "viduq2", prompt = "a lighthouse at dawn, slow push-in" }
        local c = create_ok(sim, "text2video", req)
        assert.matches("^%d+$", c.task_id, "task_id is a numeric string")
        assert.are.equal("created", c.state)
        assert.are.equal("viduq2", c.model)
        assert.are.equal(req.prompt, c.prompt)
        assert.are.equal(5, c.duration)
        assert.are.equal("720p", c.resolution)
        assert.are.equal("16:9", c.aspect_ratio)
        assert.is_number(c.seed); assert.are.equal(math.type(c.seed), "integer")
        assert.are_not.equal(0, c.seed, "the seed actually used is echoed, not 0")
        assert.is_number(c.credits); assert.is_true(c.credits > 0, "credits > 0")
        assert.are.equal(math.type(c.credits), "integer")
        assert.are.equal(false, c.off_peak)
        assert.are.equal(false, c.watermark)
        assert.are.equal(false, c.bgm)
        assert.is_string(c.created_at); assert.matches(ISO_UTC, c.created_at)
        local done = wait_task(sim, c.task_id)
        assert.are.equal("success", done.state)
        assert.are.equal(c.credits, done.credits, "query credits equal creation credits")
        local r = fetch_result(done)
        assert_media(r, 1280, 720, 5, "text2video")
        finished[#finished + 1] = { id = c.task_id, creation_id = r.creation.id, credits = c.credits, duration = 5 }
      end)

      test("text2video honours duration, resolution and every aspect ratio (§15 pixel table)", function()
        local ids = {}
        for _, ar in ipairs{ "16:9", "9:16", "1:1", "4:3", "3:4" } do
          local c = create_ok(sim, "text2video", { model = "viduq2", prompt = "ratio " .. ar, duration = 1,
                                                   resolution = "540p", aspect_ratio = ar })
          assert.are.equal(ar, c.aspect_ratio); assert.are.equal("540p", c.resolution); assert.are.equal(1, c.duration)
          ids[#ids + 1] = { c.task_id, ar }
        end
        local c = create_ok(sim, "text2video", { model = "viduq2", prompt = "tall and short", duration = 2,
                                                 resolution = "1080p", aspect_ratio = "9:16", seed = 7 })
        assert.are.equal(7, c.seed)
        ids[#ids + 1] = { c.task_id, "9:16", "1080p", 2 }
        -- Fetch each as soon as it finishes: URLs live 5 s here.
        local left, deadline = #ids, os.time() + 180
        while left > 0 and os.time() < deadline do
          for _, t in ipairs(ids) do
            if not t.done then
              local status, done, raw = http(sim, "GET", "/ent/v2/tasks/" .. t[1] .. "/creations")
              assert.are.equal(200, status, raw)
              assert.are_not.equal("failed", done.state, raw)
              if done.state == "success" then
                t.done, left = true, left - 1
                local px = PIXELS[t[3] or "540p"][t[2]]
                assert_media(fetch_result(done), px[1], px[2], t[4] or 1, t[2] .. " " .. (t[3] or "540p"))
              end
            end
          end
          sleep(0.05)
        end
        assert.are.equal(0, left, "all finished")
      end)

      test("img2video: one start image; output follows the image's 16:9 ratio at 720p, 5 s", function()
        local c, done = run_ok(sim, "img2video", { model = "viduq2-pro", images = { PNG() } })
        assert.are.equal("created", c.state)
        assert.is_table(c.images, "images echoed (§4)"); assert.are.equal(1, #c.images)
        assert.are.equal("viduq2-pro", c.model)
        assert.is_true(c.credits > 0)
        assert.matches(ISO_UTC, c.created_at)
        assert_media(fetch_result(done), 1280, 720, 5, "img2video")
      end)

      test("start-end2video: two frames (png + jpeg) give a 720p 16:9 clip of the requested length", function()
        local c, done = run_ok(sim, "start-end2video", { model = "viduq2-pro", images = { PNG(), JPG() }, duration = 2 })
        assert.are.equal(2, c.duration)
        assert.is_true(c.credits > 0)
        assert.are.equal("created", c.state)
        assert.is_table(c.images, "images echoed (§5)"); assert.are.equal(2, #c.images)
        assert_media(fetch_result(done), 1280, 720, 2, "start-end2video")
      end)

      test("reference2video (images): 1:1 at 720p is 960x960", function()
        local c, done = run_ok(sim, "reference2video", { model = "viduq2", images = { PNG(), WEBP() },
                                                          prompt = "the figure walks across a plaza",
                                                          aspect_ratio = "1:1", duration = 2 })
        assert.are.equal("1:1", c.aspect_ratio)
        assert_media(fetch_result(done), 960, 960, 2, "reference2video")
      end)

      test("reference2video (subjects): @1 in the prompt, default 16:9 720p", function()
        local _, done = run_ok(sim, "reference2video", { model = "viduq2", duration = 1,
                                                          subjects = { { id = "1", images = { PNG() } } },
                                                          prompt = "@1 walks into the light" })
        assert_media(fetch_result(done), 1280, 720, 1, "reference2video subjects")
      end)

      test("extend: video_creation_id of an earlier creation; result is the source plus the added seconds", function()
        -- §7: the source must last 4-60 s.
        local src_c, src = run_ok(sim, "text2video", { model = "viduq2", prompt = "source for extend", duration = 4 })
        local creation_id = src.creations[1].id
        assert.is_string(creation_id, "creations[].id")
        local c, done = run_ok(sim, "extend", { model = "viduq2-pro", video_creation_id = creation_id, duration = 2 })
        assert.are.equal(2, c.duration)
        assert.is_true(c.credits > 0)
        assert_media(fetch_result(done), 1280, 720, 6, "extend")
        finished[#finished + 1] = { id = src_c.task_id, creation_id = creation_id, credits = src_c.credits, duration = 4 }
      end)

      test("extend: video_url of a reachable clip works; a source under 4 s is 400 FieldInvalid", function()
        local _, src = run_ok(sim, "text2video", { model = "viduq2", prompt = "url source", duration = 4 })
        local fresh = wait_task(sim, src.id)   -- a just-issued URL (they live 5 s here)
        local c, done = run_ok(sim, "extend", { model = "viduq2-pro", video_url = fresh.creations[1].url, duration = 1 })
        assert.are.equal(1, c.duration)
        assert_media(fetch_result(done), 1280, 720, 5, "extend by url")
        local _, short = run_ok(sim, "text2video", { model = "viduq2", prompt = "too short", duration = 2 })
        local status, body, raw = create(sim, "extend", { model = "viduq2-pro", video_creation_id = short.creations[1].id })
        assert_error(status, body, raw, 400, "FieldInvalid", "2 s source")
      end)

      test("multiframe: start_image + 2 key images; the clip lasts the sum of the segments", function()
        local c, done = run_ok(sim, "multiframe", { model = "viduq2-turbo", start_image = PNG(),
                                                     image_settings = { { key_image = JPG(), duration = 2, prompt = "turn" },
                                                                        { key_image = WEBP(), duration = 3 } } })
        assert.are.equal("created", c.state)
        assert.is_true(c.credits > 0)
        assert.matches(ISO_UTC, c.created_at)
        assert_media(fetch_result(done), 1280, 720, 5, "multiframe")
      end)
    end)

    describe("validation (§13): documented reason and HTTP status, no task created", function()
      test("a missing required field is 400 FieldLacking naming the field", function()
        local before = tasks_created(sim)
        local cases = {
          { "text2video", { model = "viduq2" }, "prompt" },
          { "text2video", { prompt = "no model" }, "model" },
          { "img2video", { model = "viduq2-pro", prompt = "no image" }, "images" },
          { "start-end2video", { model = "viduq2-pro" }, "images" },
          { "reference2video", { model = "viduq2", images = { PNG() } }, "prompt" },
          { "extend", { model = "viduq2-pro", prompt = "no source" }, "video" },
          { "multiframe", { model = "viduq2-pro", image_settings = { { key_image = JPG() }, { key_image = JPG() } } }, "start_image" },
        }
        for _, k in ipairs(cases) do
          local status, body, raw = create(sim, k[1], k[2])
          assert_error(status, body, raw, 400, "FieldLacking", k[1] .. " without " .. k[3])
          assert.truthy(body.message:find(k[3], 1, true), k[1] .. ": message names " .. k[3] .. ": " .. body.message)
        end
        assert.are.equal(before, tasks_created(sim))
      end)

      test("a value out of its documented range is 400 FieldInvalid", function()
        local before = tasks_created(sim)
        local cases = {
          { "text2video", { model = "viduq2", prompt = "x", duration = 11 }, "duration 11 (q2: 1-10)" },
          { "text2video", { model = "viduq2", prompt = "x", resolution = "4k" }, "resolution 4k" },
          { "text2video", { model = "viduq2", prompt = "x", aspect_ratio = "2:1" }, "aspect_ratio 2:1" },
          { "text2video", { model = "viduq2", prompt = string.rep("p", 5001) }, "prompt over 5000" },
          { "text2video", { model = "viduq2", prompt = "x", payload = string.rep("a", 1048577) }, "payload over 1,048,576" },
          { "img2video", { model = "viduq2-pro-fast", images = { PNG() }, resolution = "540p" }, "540p on q2-pro-fast" },
          { "start-end2video", { model = "viduq2-pro", images = { PNG(), JPG() }, duration = 9 }, "start-end q2 duration 9 (1-8)" },
          { "extend", { model = "viduq2-pro", video_creation_id = finished[1] and finished[1].creation_id or "1",
                        duration = 8 }, "extend duration 8 (1-7)" },
          { "multiframe", { model = "viduq2-pro", start_image = PNG(),
                            image_settings = { { key_image = JPG(), duration = 1 }, { key_image = JPG() } } }, "segment 1 s (2-7)" },
        }
        for _, k in ipairs(cases) do
          local status, body, raw = create(sim, k[1], k[2])
          assert_error(status, body, raw, 400, "FieldInvalid", k[1] .. " " .. k[3])
        end
        assert.are.equal(before, tasks_created(sim))
      end)

      test("a wrong number of items is 400 FieldItemCountOutOfRange", function()
        local before = tasks_created(sim)
        local function n_images(n) local t = {} for i = 1, n do t[i] = PNG() end return t end
        local settings = function(n) local t = {} for i = 1, n do t[i] = { key_image = JPG() } end return t end
        local cases = {
          { "img2video", { model = "viduq2-pro", images = n_images(2) }, "img2video with 2 images" },
          { "start-end2video", { model = "viduq2-pro", images = n_images(1) }, "start-end with 1 image" },
          { "start-end2video", { model = "viduq2-pro", images = n_images(3) }, "start-end with 3 images" },
          { "reference2video", { model = "viduq2", images = n_images(8), prompt = "x" }, "reference with 8 images" },
          { "multiframe", { model = "viduq2-pro", start_image = PNG(), image_settings = settings(1) }, "multiframe with 1 key" },
          { "multiframe", { model = "viduq2-pro", start_image = PNG(), image_settings = settings(10) }, "multiframe with 10 keys" },
        }
        for _, k in ipairs(cases) do
          local status, body, raw = create(sim, k[1], k[2])
          assert_error(status, body, raw, 400, "FieldItemCountOutOfRange", k[3])
        end
        assert.are.equal(before, tasks_created(sim))
      end)

      test("bytes that are not an image are 400 ImageFormatInvalid", function()
        local before = tasks_created(sim)
        local junk = "data:image/png;base64," .. b64_file(media("notes.txt"))
        local status, body, raw = create(sim, "img2video", { model = "viduq2-pro", images = { junk } })
        assert_error(status, body, raw, 400, "ImageFormatInvalid", "text bytes as png")
        local trunc = "data:image/png;base64," .. b64_file(media("truncated.png"))
        status, body, raw = create(sim, "start-end2video", { model = "viduq2-pro", images = { PNG(), trunc } })
        assert_error(status, body, raw, 400, "ImageFormatInvalid", "truncated png")
        assert.are.equal(before, tasks_created(sim))
      end)

      test("a body over 20 MB is refused with an error body (400 or 413), no task", function()
        local before = tasks_created(sim)
        -- 21 MB of base64 characters: a decodable-looking but oversized image.
        local big = '{"model":"viduq2-pro","images":["data:image/png;base64,' .. string.rep("QUFB", 21 * 1024 * 1024 // 4) .. '"]}'
        local status, body, raw = create(sim, "img2video", big)
        assert.truthy(status == 400 or status == 413, "status " .. tostring(status))
        assert_error(status, body, raw, status, nil, "20 MB body")
        assert.are.equal(before, tasks_created(sim))
      end)

      test("malformed JSON is 400 BadRequest", function()
        local before = tasks_created(sim)
        local status, body, raw = create(sim, "text2video", '{"model": "viduq2", "prompt": ')
        assert_error(status, body, raw, 400, "BadRequest", "truncated JSON")
        status, body, raw = create(sim, "text2video", '["model", "viduq2"]')
        assert.are.equal(400, status, "a JSON array is not a request: " .. tostring(raw))
        assert.are.equal(before, tasks_created(sim))
      end)

      test("an unknown task id is 404 TaskNotFound for query and cancel", function()
        local status, body, raw = http(sim, "GET", "/ent/v2/tasks/999999999999999999/creations")
        assert_error(status, body, raw, 404, "TaskNotFound", "query unknown id")
        status, body, raw = http(sim, "POST", "/ent/v2/tasks/999999999999999999/cancel", { body = { id = "999999999999999999" } })
        assert_error(status, body, raw, 404, "TaskNotFound", "cancel unknown id")
      end)
    end)

    describe("authentication (§1.1, §13: 401 Unauthorized)", function()
      test("a missing, wrong or Bearer-scheme key is 401 with code/reason/message/metadata.trace_id", function()
        local before = tasks_created(sim)
        local req = { model = "viduq2", prompt = "unauthorised" }
        local variants = {
          { false, "no Authorization header" },
          { "Token wrong-key", "wrong key" },
          { "Bearer " .. KEY, "Bearer scheme on /ent/v2" },
          { KEY, "bare key" },
          { "Token ", "empty key" },
        }
        for _, v in ipairs(variants) do
          local status, body, raw = http(sim, "POST", "/ent/v2/text2video", { body = req, auth = v[1] })
          assert_error(status, body, raw, 401, "Unauthorized", v[2])
        end
        for _, path in ipairs{ "/ent/v2/tasks/1/creations", "/ent/v2/tasks", "/ent/v2/credits" } do
          local status, body, raw = http(sim, "GET", path, { auth = false })
          assert_error(status, body, raw, 401, "Unauthorized", "GET " .. path .. " without key")
        end
        local status, body, raw = http(sim, "POST", "/ent/v2/tasks/1/cancel", { body = { id = "1" }, auth = "Token nope" })
        assert_error(status, body, raw, 401, "Unauthorized", "cancel with wrong key")
        assert.are.equal(before, tasks_created(sim))
      end)
    end)

    describe("task lifecycle (§11.1, §11.2)", function()
      test("states advance created -> (queueing) -> processing -> success, never backwards", function()
        local c = create_ok(sim, "text2video", { model = "viduq2", prompt = "watch the states", duration = 3,
                                                 payload = "lifecycle" })
        assert.are.equal("created", c.state)
        local done, states = wait_task(sim, c.task_id)
        local seen = table.concat(states, ",")
        local rank = 1
        for _, s in ipairs(states) do
          assert.is_not_nil(STATE_ORDER[s], "unknown state " .. tostring(s) .. " in " .. seen)
          assert.is_true(STATE_ORDER[s] >= rank, "state went backwards: " .. seen)
          rank = STATE_ORDER[s]
        end
        assert.is_true(list_has(states, "processing"), "processing observed: " .. seen)
        assert.are.equal("success", states[#states], seen)
        -- The finished query (§11.2).
        assert.are.equal(c.task_id, done.id)
        assert.are.equal("", done.err_code or "")
        assert.are.equal(c.credits, done.credits)
        assert.are.equal("lifecycle", done.payload)
        local cr = done.creations[1]
        assert.is_string(cr.id); assert.are_not.equal("", cr.id)
        assert.matches("^https?://", cr.url); assert.matches("^https?://", cr.cover_url)
        finished[#finished + 1] = { id = c.task_id, creation_id = cr.id, credits = c.credits, duration = 3 }
      end)

      test("result and cover URLs stop working after --url-ttl (5 s)", function()
        local _, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "short-lived", duration = 1 })
        local cr = done.creations[1]
        local fresh = tmpfile("fresh.mp4")
        assert.are.equal(200, download(cr.url, fresh))
        assert.are.equal(200, download(cr.cover_url, tmpfile("fresh-cover")))
        sleep(6)
        local s1 = download(cr.url, tmpfile("stale.mp4"))
        local s2 = download(cr.cover_url, tmpfile("stale-cover"))
        assert.is_true(s1 >= 400 and s1 < 500, "expired url answers 4xx, got " .. tostring(s1))
        assert.is_true(s2 >= 400 and s2 < 500, "expired cover_url answers 4xx, got " .. tostring(s2))
      end)

      test("payload is echoed at creation and in the query, unchanged", function()
        local payload = 'opaque {"shot": 3} — ünïcödé & <tags>\n' .. string.rep("z", 1000)
        local c, done = run_ok(sim, "img2video", { model = "viduq2-pro", images = { PNG() }, duration = 1, payload = payload })
        assert.are.equal(payload, c.payload)
        assert.are.equal(payload, done.payload)
      end)

      test("the same request with the same seed gives a byte-identical file", function()
        local req = { model = "viduq2", prompt = "determinism", duration = 1, resolution = "540p", seed = 42 }
        local a, da = run_ok(sim, "text2video", req)
        local ra = fetch_result(da)
        local b, db = run_ok(sim, "text2video", req)
        local rb = fetch_result(db)
        assert.are.equal(42, a.seed); assert.are.equal(42, b.seed)
        assert.are_not.equal(a.task_id, b.task_id)
        assert.are.equal(sha256(ra.mp4), sha256(rb.mp4), "same seed, same bytes")
        assert.are.equal(sha256(ra.cover), sha256(rb.cover), "same seed, same cover")
      end)

      test("cancelling a finished task is 400 (§11.4) and leaves it a success", function()
        local _, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "done already", duration = 1 })
        local status, body, raw = http(sim, "POST", "/ent/v2/tasks/" .. done.id .. "/cancel", { body = { id = done.id } })
        assert_error(status, body, raw, 400, nil, "cancel a finished task")
        assert.are.equal("success", (wait_task(sim, done.id)).state)
      end)
    end)

    describe("listing (§11.3)", function()
      test("GET /ent/v2/tasks lists tasks, filters by task_ids and states, and pages", function()
        local a = run_ok(sim, "text2video", { model = "viduq2", prompt = "list a", duration = 1 })
        local b = run_ok(sim, "text2video", { model = "viduq2", prompt = "list b", duration = 1 })
        local status, body, raw = http(sim, "GET", "/ent/v2/tasks")
        assert.are.equal(200, status, raw)
        assert.is_table(body.tasks, raw)
        local ids = {}
        for _, t in ipairs(body.tasks) do ids[#ids + 1] = t.id end
        assert.is_true(#body.tasks >= 1 and #body.tasks <= 10, "default page size 10")

        status, body, raw = http(sim, "GET", ("/ent/v2/tasks?task_ids=%s&task_ids=%s"):format(a.task_id, b.task_id))
        assert.are.equal(200, status, raw)
        ids = {}
        for _, t in ipairs(body.tasks) do
          ids[#ids + 1] = t.id
          assert.is_string(t.model); assert.is_string(t.prompt)
          assert.is_table(t.creations)
          assert.matches("^https?://", t.creations[1].url)
        end
        table.sort(ids)
        local want = { a.task_id, b.task_id }; table.sort(want)
        assert.are.same(want, ids)

        status, body, raw = http(sim, "GET", "/ent/v2/tasks?states=success&pager.pagesz=100")
        assert.are.equal(200, status, raw)
        assert.is_true(#body.tasks >= 2, raw)
        for _, t in ipairs(body.tasks) do assert.are.equal("success", t.state, "states=success filter") end

        status, body, raw = http(sim, "GET", "/ent/v2/tasks?pager.pagesz=1")
        assert.are.equal(200, status, raw)
        assert.are.equal(1, #body.tasks, raw)
        assert.is_string(body.next_page_token); assert.are_not.equal("", body.next_page_token)
        local first = body.tasks[1].id
        status, body, raw = http(sim, "GET", "/ent/v2/tasks?pager.pagesz=1&pager.page_token=" .. body.next_page_token)
        assert.are.equal(200, status, raw)
        assert.are.equal(1, #body.tasks, raw)
        assert.are_not.equal(first, body.tasks[1].id, "the next page holds another task")
      end)
    end)

    describe("Vtrix dialect (§16) on the same server", function()
      local function vtrix_id(b) return b.id or b.task_id end

      local function vtrix_wait(id, timeout)
        local deadline, seen = os.time() + (timeout or 180), {}
        while os.time() < deadline do
          local status, body, raw = vtrix(sim, "GET", "/model/v1/generation/task/" .. id)
          assert.are.equal(200, status, raw)
          if seen[#seen] ~= body.status then seen[#seen + 1] = body.status end
          if body.status == "completed" or body.status == "failed" then return body, seen, raw end
          sleep(0.05)
        end
        error("vtrix task " .. id .. " did not finish; statuses: " .. table.concat(seen, ","))
      end

      local function vtrix_video(body, raw)
        assert.is_table(body.output, raw)
        local item = body.output[1].content[1]
        assert.truthy(item.type == "video" or item.type == "video_url", "content type " .. tostring(item.type))
        assert.matches("^https?://", item.url)
        local path = tmpfile("vtrix-" .. vtrix_id(body) .. ".mp4")
        assert.are.equal(200, download(item.url, path))
        return ffprobe(path), item
      end

      test("text2video via POST /model/v1/generation with Bearer: status/output/usage, real MP4", function()
        local status, body, raw = vtrix(sim, "POST", "/model/v1/generation", {
          model = "viduq2_pro_fast_text2video",
          input = { { params = { prompt = "a harbour at night", duration = 1, resolution = "720p", aspect_ratio = "16:9" } } } })
        assert.are.equal(200, status, raw)
        local id = vtrix_id(body)
        assert.is_string(id, raw)
        assert.truthy(({ pending = true, in_progress = true, processing = true })[body.status], "initial status " .. tostring(body.status))
        assert.are.equal("viduq2_pro_fast_text2video", body.model)
        assert.is_nil(body.output, "output only when completed")
        local done, seen, draw = vtrix_wait(id)
        assert.are.equal("completed", done.status, draw)
        for _, s in ipairs(seen) do
          assert.truthy(({ pending = true, in_progress = true, processing = true, completed = true })[s], "status " .. s)
        end
        local probe = vtrix_video(done, draw)
        local v = video_stream(probe)
        assert.are.equal("h264", v.codec_name)
        assert.are.same({ 1280, 720 }, { v.width, v.height })
        assert.is_true(math.abs(tonumber(probe.format.duration) - 1) <= 0.15)
        assert.is_table(done.usage, draw)
        assert.truthy(done.usage.cost ~= nil or done.usage.credits ~= nil, "usage has cost or credits: " .. draw)
        assert.is_nil(done.error, "no error on success")
      end)

      test("viduq2_pro_extend continues an official creation (video_creation_id)", function()
        local _, src = run_ok(sim, "text2video", { model = "viduq2", prompt = "vtrix extend source", duration = 4 })
        local status, body, raw = vtrix(sim, "POST", "/model/v1/generation", {
          model = "viduq2_pro_extend",
          input = { { params = { video_creation_id = src.creations[1].id, prompt = "keep going", duration = 2,
                                 resolution = "720p" } } } })
        assert.are.equal(200, status, raw)
        local done, _, draw = vtrix_wait(vtrix_id(body))
        assert.are.equal("completed", done.status, draw)
        local probe = vtrix_video(done, draw)
        local v = video_stream(probe)
        assert.are.same({ 1280, 720 }, { v.width, v.height })
        assert.is_true(math.abs(tonumber(probe.format.duration) - 6) <= 0.15, "source 4 s + 2 s added")
      end)

      test("a bad request gets a 4xx with a numeric error code (extend without a video: 008012001)", function()
        local before = tasks_created(sim)
        local status, body, raw = vtrix(sim, "POST", "/model/v1/generation", {
          model = "viduq2_pro_extend", input = { { params = { prompt = "no video", duration = 2 } } } })
        assert.is_true(status >= 400 and status < 500, "status " .. status .. ": " .. tostring(raw))
        assert.is_table(body, raw)
        assert.is_table(body.error, raw)
        local code = body.error.code
        assert.is_not_nil(tonumber(code), "numeric error code: " .. raw)
        assert.are.equal(8012001, tonumber(code), raw)
        local msg = body.error.message or body.error.error_message
        assert.is_string(msg, raw)
        status, body, raw = vtrix(sim, "POST", "/model/v1/generation", {
          model = "viduq2_pro_extend", input = { { params = { video_creation_id = "1", duration = 9 } } } })
        assert.is_true(status >= 400 and status < 500, raw)
        assert.are.equal(8012005, tonumber(body.error.code), "duration invalid: " .. raw)
        assert.are.equal(before, tasks_created(sim))
      end)

      test("the Token scheme or no key is 401 on /model/v1", function()
        local req = { model = "viduq2_pro_fast_text2video", input = { { params = { prompt = "x" } } } }
        for _, auth in ipairs{ false, "Token " .. KEY, "Bearer wrong" } do
          local status, _, raw = vtrix(sim, "POST", "/model/v1/generation", req, auth)
          assert.are.equal(401, status, tostring(auth) .. ": " .. tostring(raw))
        end
        local status = vtrix(sim, "GET", "/model/v1/generation/task/1", nil, false)
        assert.are.equal(401, status)
      end)
    end)

    describe("/_sim/stats", function()
      test("counts every accepted create request as exactly one task (whole run)", function()
        -- Also one more round here: 2 accepted, 2 refused.
        local before = tasks_created(sim)
        create_ok(sim, "text2video", { model = "viduq2", prompt = "counted 1", duration = 1 })
        create(sim, "text2video", { model = "viduq2" })
        create(sim, "text2video", { model = "viduq2", prompt = "x" }, { key = "wrong" })
        create_ok(sim, "img2video", { model = "viduq2-pro", images = { PNG() }, duration = 1 })
        assert.are.equal(before + 2, tasks_created(sim))
        assert.are.equal(accepted[sim], tasks_created(sim), "tasks created == create requests accepted in this run")
      end)
    end)
  end)

  describe("reel sim --concurrency 2 (§11.1, §11.4, §11.6)", function()
    local sim
    strict_setup(function()
      if UNBUILT then return end
      sim = start_sim("--concurrency 2 --speed 10 --key " .. KEY .. " --quiet")
    end)
    strict_teardown(function() stop_sim(sim) end)

    test("tasks past the limit queue, start in submission order, cancel only while queued", function()
      -- 5 tasks with a limit of 2; task 2 runs longest, so task 3 takes task
      -- 1's slot while 4 still waits (if the clock scales with duration).
      local durations = { 2, 6, 2, 2, 2 }
      local ids = {}
      for i, d in ipairs(durations) do
        local c = create_ok(sim, "text2video", { model = "viduq2", prompt = "queue " .. i, duration = d, resolution = "540p" })
        ids[i] = c.task_id
      end
      local function state(id)
        local status, body, raw = http(sim, "GET", "/ent/v2/tasks/" .. id .. "/creations")
        assert.are.equal(200, status, raw)
        return body.state, body
      end
      local function poll(s) for i = 1, #ids do s[i] = state(ids[i]) end return s end
      -- Wait until the first two run.
      local deadline, s = os.time() + 60, {}
      repeat
        poll(s)
        if s[1] == "processing" and s[2] == "processing" then break end
        sleep(0.05)
      until os.time() > deadline
      assert.are.same({ "processing", "processing", "queueing", "queueing", "queueing" }, s)

      -- §11.5: the credits call reports the limit and the load.
      local status, cred, raw = http(sim, "GET", "/ent/v2/credits")
      assert.are.equal(200, status, raw)
      local remains = cred.remains or cred.remaining_credits
      assert.is_table(remains, raw)
      local limit, current, queued
      for _, r in ipairs(remains) do
        if r.concurrency_limit then limit = (limit or 0) + r.concurrency_limit end
        if r.current_concurrency then current = (current or 0) + r.current_concurrency end
        if r.queue_count then queued = (queued or 0) + r.queue_count end
      end
      assert.are.equal(2, limit, raw); assert.are.equal(2, current, raw); assert.are.equal(3, queued, raw)

      -- Cancel the last queued task: {} and failed/UserCancelled with 0 credits,
      -- the task's credits back in the balance.
      local function balance()
        local st2, b, r2 = http(sim, "GET", "/ent/v2/credits")
        assert.are.equal(200, st2, r2)
        local total = 0
        for _, r in ipairs(b.remains or b.remaining_credits) do total = total + r.credit_remain end
        return total
      end
      local _, q5 = state(ids[5])
      local charged, before = q5.credits, balance()
      assert.is_true(charged > 0, "a queued task shows its credits")
      local body
      status, body, raw = http(sim, "POST", "/ent/v2/tasks/" .. ids[5] .. "/cancel", { body = { id = ids[5] } })
      assert.are.equal(200, status, raw)
      assert.are.equal("{}", trim(raw))
      local st, q = state(ids[5])
      assert.are.equal("failed", st)
      assert.are.equal("UserCancelled", q.err_code)
      assert.are.equal(0, q.credits)
      assert.are.equal(before + charged, balance(), "cancelled task refunded")

      -- Cancelling a running task is 400, and it keeps running.
      status, body, raw = http(sim, "POST", "/ent/v2/tasks/" .. ids[1] .. "/cancel", { body = { id = ids[1] } })
      assert_error(status, body, raw, 400, nil, "cancel a processing task")
      assert.are.equal("processing", (state(ids[1])))

      -- Until all finish: never more than 2 running, no task runs while an
      -- earlier one still queues, the cancelled one never runs.
      local ran = function(x) return x == "processing" or x == "success" end
      deadline = os.time() + 180
      while os.time() < deadline do
        poll(s)
        local seen = table.concat(s, ",")
        local running = 0
        for i = 1, 4 do if s[i] == "processing" then running = running + 1 end end
        assert.is_true(running <= 2, "at most 2 processing: " .. seen)
        assert.are.equal("failed", s[5], "cancelled stays failed")
        for i = 1, 4 do
          for j = i + 1, 4 do
            assert.is_false(ran(s[j]) and s[i] == "queueing", "submission order: " .. seen)
          end
        end
        if s[1] == "success" and s[2] == "success" and s[3] == "success" and s[4] == "success" then break end
        sleep(0.05)
      end
      assert.are.same({ "success", "success", "success", "success", "failed" }, s)
    end)
  end)

  describe("reel sim credits (§11.5, §13 CreditInsufficient)", function()
    local rich, poor
    strict_setup(function()
      if UNBUILT then return end
      rich = start_sim("--speed 50 --credits 100000 --key " .. KEY .. " --quiet")
      poor = start_sim("--speed 50 --credits 1 --key " .. KEY .. " --quiet")
    end)
    strict_teardown(function() stop_sim(rich); stop_sim(poor) end)

    local function balance(sim)
      local status, body, raw = http(sim, "GET", "/ent/v2/credits")
      assert.are.equal(200, status, raw)
      local remains = body.remains or body.remaining_credits
      assert.is_table(remains, raw)
      local total = 0
      for _, r in ipairs(remains) do
        assert.is_string(r.type, raw)
        total = total + r.credit_remain
      end
      return total, body
    end

    test("GET /ent/v2/credits starts at --credits and goes down by each task's credits", function()
      assert.are.equal(100000, (balance(rich)))
      local a = run_ok(rich, "text2video", { model = "viduq2", prompt = "spend a", duration = 1 })
      assert.are.equal(100000 - a.credits, (balance(rich)))
      local b = run_ok(rich, "start-end2video", { model = "viduq2-pro", images = { PNG(), JPG() }, duration = 2 })
      assert.are.equal(100000 - a.credits - b.credits, (balance(rich)))
      assert.is_true(b.credits > 0)
      local status, detail, raw = http(rich, "GET", "/ent/v2/credits?show_detail=true")
      assert.are.equal(200, status, raw)
      assert.is_table(detail.packages, "show_detail=true lists packages: " .. raw)
    end)

    test("with --credits 1 a create is 400 CreditInsufficient and no task exists", function()
      local status, body, raw = create(poor, "text2video", { model = "viduq2", prompt = "too expensive" })
      assert_error(status, body, raw, 400, "CreditInsufficient", "credits 1")
      assert.are.equal(0, tasks_created(poor))
      assert.are.equal(1, (balance(poor)), "nothing charged")
    end)
  end)

  describe("reel sim callbacks (§12)", function()
    local sim
    local receivers = {}

    -- A tiny HTTP receiver in perl (perl-base): stores each request in DIR as
    -- req-NNNN.txt (head, blank line, body) and answers STATUS.
    local RECEIVER = [[
  use strict; use warnings; use IO::Socket::INET;
  my ($portfile, $dir, $status) = @ARGV;
  my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 64,
                                  ReuseAddr => 1, Proto => 'tcp') or die "listen: $!";
  open(my $pf, '>', "$portfile.tmp") or die; print $pf $srv->sockport, "\n"; close $pf;
  rename("$portfile.tmp", $portfile);
  my $n = 0;
  while (my $c = $srv->accept) {
    binmode $c; my $head = '';
    while (defined(my $line = <$c>)) { $head .= $line; last if $line =~ /^\r?\n$/; }
    if ($head =~ /^expect:\s*100-continue/mi) { print $c "HTTP/1.1 100 Continue\r\n\r\n"; }
    my $body = '';
    if ($head =~ /^content-length:\s*(\d+)/mi) {
      my $len = $1;
      while (length($body) < $len) { my $r = read($c, my $buf, $len - length($body)); last unless $r; $body .= $buf; }
    } elsif ($head =~ /^transfer-encoding:\s*chunked/mi) {
      while (defined(my $sz = <$c>)) { $sz =~ s/\r?\n$//; my $k = hex($sz); last if $k == 0;
        my $buf = ''; while (length($buf) < $k) { my $r = read($c, my $b2, $k - length($buf)); last unless $r; $buf .= $b2; }
        $body .= $buf; my $crlf = <$c>; }
    }
    $n++;
    my $f = sprintf("%s/req-%04d", $dir, $n);
    open(my $out, '>', "$f.tmp") or die; binmode $out; print $out $head, $body; close $out; rename("$f.tmp", "$f.txt");
    print $c "HTTP/1.1 $status X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    close $c;
  }
  ]]

    local function start_receiver(status)
      local n = #receivers + 1
      local dir = tmpfile("callbacks-" .. n)
      os.execute("mkdir -p " .. sh_quote(dir))
      local script = tmpfile("receiver.pl")
      write_file(script, RECEIVER)
      local portfile = dir .. ".port"
      local h = assert(io.popen(("timeout -k 5 1200 perl %s %s %s %d >%s.log 2>&1 & echo $!"):format(
        sh_quote(script), sh_quote(portfile), sh_quote(dir), status, sh_quote(dir))))
      local pid = tonumber(h:read("l")); h:close()
      local port
      for _ = 1, 100 do
        port = tonumber(slurp(portfile) or "")
        if port then break end
        sleep(0.05)
      end
      assert(port, "callback receiver did not start: " .. (slurp(dir .. ".log") or ""))
      local r = { pid = pid, port = port, dir = dir }
      receivers[n] = r
      return r
    end

    -- Reads the captured requests: { method, target, headers (lower-case name ->
    -- value), body, json }.
    local function received(r)
      local code, out = run("ls " .. sh_quote(r.dir) .. " | grep '^req-[0-9]*[.]txt$' | sort")
      local list = {}
      for name in out:gmatch("[^\n]+") do
        local text = slurp(r.dir .. "/" .. name)
        local head, body = text:match("^(.-)\r?\n\r?\n(.*)$")
        local method, target = head:match("^(%u+) (%S+) HTTP/1%.%d")
        local headers = {}
        for line in head:gmatch("[^\r\n]+") do
          local k, v = line:match("^([^:]+):%s*(.-)%s*$")
          if k then headers[k:lower()] = v end
        end
        list[#list + 1] = { method = method, target = target, headers = headers, body = body, json = decode(body) }
      end
      return list
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

    strict_setup(function()
      if UNBUILT then return end
      sim = start_sim("--speed 50 --key " .. KEY .. " --quiet")
    end)
    strict_teardown(function()
      stop_sim(sim)
      for _, r in ipairs(receivers) do run("kill " .. r.pid .. " 2>/dev/null") end
    end)

    local function wait_for(pred, seconds)
      local deadline = os.time() + seconds
      while os.time() < deadline do
        if pred() then return true end
        sleep(0.1)
      end
      return pred()
    end

    test("processing and success are POSTed (§12.1: only processing/success/failed), in the query's shape, signed per §12.2", function()
      local r = start_receiver(200)
      local url = ("http://127.0.0.1:%d/vidu/callback?name=james&age=36"):format(r.port)
      local c, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "call me back", duration = 1,
                                                 callback_url = url, payload = "cb-payload" })
      local function has_success()
        for _, q in ipairs(received(r)) do if q.json and q.json.state == "success" then return true end end
      end
      assert.is_true(wait_for(has_success, 15), "a success callback arrives")
      local got = received(r)
      local states, nonces = {}, {}
      for _, q in ipairs(got) do
        assert.are.equal("POST", q.method)
        assert.are.equal("/vidu/callback?name=james&age=36", q.target)
        local h = q.headers
        assert.are.equal("hmac-sha256", h["x-hmac-algorithm"])
        assert.are.equal("vidu", h["x-hmac-access-key"])
        assert.is_string(h["date"]); assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$", h["date"])
        assert.is_string(h["x-request-nonce"]); assert.are_not.equal("", h["x-request-nonce"])
        assert.is_nil(nonces[h["x-request-nonce"]], "nonces are not reused")
        nonces[h["x-request-nonce"]] = true
        local want, names = expected_signature(KEY, "POST", "/vidu/callback", "name=james&age=36", h)
        local lower = {}
        for _, n in ipairs(names) do lower[#lower + 1] = n:lower() end
        assert.is_true(list_has(lower, "date") and list_has(lower, "x-request-nonce"),
                       "Date and x-request-nonce are signed: " .. tostring(h["x-hmac-signed-headers"]))
        assert.are.equal(want, h["x-hmac-signature"], "HMAC-SHA256 signature")
        local wrong = expected_signature("not-the-key", "POST", "/vidu/callback", "name=james&age=36", h)
        assert.are_not.equal(wrong, h["x-hmac-signature"], "the key matters")
        assert.is_table(q.json, q.body)
        assert.truthy(({ processing = true, success = true, failed = true })[q.json.state], "pushed state " .. tostring(q.json.state) .. "; §12.1 pushes only processing, success, failed")
        assert.are.equal(c.task_id, q.json.id)
        assert.are.equal("cb-payload", q.json.payload)
        states[#states + 1] = q.json.state
      end
      assert.is_true(list_has(states, "processing"), "processing pushed: " .. table.concat(states, ","))
      assert.are.equal("success", states[#states], "success pushed last")
      local last = got[#got].json
      assert.are.equal(c.credits, last.credits)
      assert.matches("^https?://", last.creations[1].url)
      assert.are.equal(done.creations[1].id, last.creations[1].id)
    end)

    test("cancelling a queued task pushes failed/UserCancelled, signed, and nothing else", function()
      local r = start_receiver(200)
      local one = start_sim("--speed 50 --concurrency 1 --key " .. KEY .. " --quiet")
      local ok, err = pcall(function()
        create_ok(one, "text2video", { model = "viduq2", prompt = "blocker", duration = 3, resolution = "540p" })
        local url = ("http://127.0.0.1:%d/cancelled"):format(r.port)
        local c = create_ok(one, "text2video", { model = "viduq2", prompt = "to cancel", duration = 1, callback_url = url })
        local status, _, raw = http(one, "POST", "/ent/v2/tasks/" .. c.task_id .. "/cancel", { body = { id = c.task_id } })
        assert.are.equal(200, status, raw)
        local function failed_pushed()
          for _, q in ipairs(received(r)) do if q.json and q.json.state == "failed" then return true end end
        end
        assert.is_true(wait_for(failed_pushed, 15), "a failed callback arrives")
        sleep(1)
        -- Only the failure (queueing is no pushed state: checked above).
        local got, q = {}, nil
        for _, x in ipairs(received(r)) do
          assert.are_not.equal("processing", x.json.state, "a cancelled task never ran")
          assert.are_not.equal("success", x.json.state, "a cancelled task never ran")
          if x.json.state == "failed" then got[#got + 1] = x end
        end
        assert.are.equal(1, #got, "one failed callback")
        q = got[1]
        assert.are.equal(c.task_id, q.json.id)
        assert.are.equal("UserCancelled", q.json.err_code)
        assert.are.equal(0, q.json.credits)
        assert.are.equal(expected_signature(KEY, "POST", "/cancelled", "", q.headers), q.headers["x-hmac-signature"])
      end)
      stop_sim(one)
      assert(ok, err)
    end)

    test("a failing receiver gets the final state 1 + 3 times (three retries)", function()
      local r = start_receiver(500)
      local url = ("http://127.0.0.1:%d/hook"):format(r.port)
      run_ok(sim, "text2video", { model = "viduq2", prompt = "retry me", duration = 1, callback_url = url })
      local function successes()
        local n = 0
        for _, q in ipairs(received(r)) do if q.json and q.json.state == "success" then n = n + 1 end end
        return n
      end
      wait_for(function() return successes() >= 4 end, 60)
      sleep(3)
      assert.are.equal(4, successes())
      for _, q in ipairs(received(r)) do
        local want = expected_signature(KEY, "POST", "/hook", "", q.headers)
        assert.are.equal(want, q.headers["x-hmac-signature"], "retries are signed too (empty query)")
      end
    end)
  end)
end)
