-- The Vtrix dialect (§16), served by the same simulator.
--
-- Part of the conformance suite of `reel sim` in this folder; support.lua
-- holds the shared helpers and says how the suite is written and run.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end

S.bind{ assert = assert, it = it, pending = pending }
local KEY, sleep, tmpfile, start_sim, stop_sim, UNBUILT = S.KEY, S.sleep, S.tmpfile, S.start_sim, S.stop_sim, S.UNBUILT
local download, ffprobe, video_stream, run_ok, tasks_created, vtrix = S.download, S.ffprobe, S.video_stream, S.run_ok, S.tasks_created, S.vtrix
local test, cleanup = S.test, S.cleanup

describe("reel sim conformance", function()
  -- Every simulator is stopped by its own block; this removes the
  -- downloads and captured requests.
  strict_teardown(function() cleanup() end)

  describe("reel sim (official dialect, --speed 50 --url-ttl 5)", function()
    local sim
    local finished = {}   -- tasks known finished: { id=, creation_id=, credits=, duration= }

    strict_setup(function()
      if UNBUILT then return end
      sim = start_sim("--speed 50 --key " .. KEY .. " --url-ttl 5 --quiet")
    end)
    strict_teardown(function() stop_sim(sim) end)

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
  end)
end)
