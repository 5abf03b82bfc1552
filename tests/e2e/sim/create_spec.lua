-- The create endpoints (§3-§8) and their outputs (§10, §15).
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
local KEY, sleep, PNG, JPG, WEBP, start_sim = S.KEY, S.sleep, S.PNG, S.JPG, S.WEBP, S.start_sim
local stop_sim, UNBUILT, http, PIXELS, assert_error, ISO_UTC = S.stop_sim, S.UNBUILT, S.http, S.PIXELS, S.assert_error, S.ISO_UTC
local wait_task, create, create_ok, run_ok, fetch_result, assert_media = S.wait_task, S.create, S.create_ok, S.run_ok, S.fetch_result, S.assert_media
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
  end)
end)
