-- Invalid requests (§13) and authentication (§1.1).
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
local KEY, b64_file, media, PNG, JPG, start_sim = S.KEY, S.b64_file, S.media, S.PNG, S.JPG, S.start_sim
local stop_sim, UNBUILT, http, assert_error, create, run_ok = S.stop_sim, S.UNBUILT, S.http, S.assert_error, S.create, S.run_ok
local tasks_created, test, cleanup = S.tasks_created, S.test, S.cleanup

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

      -- The extend case of "a value out of its documented range" names an
      -- earlier creation (finished[1]); in the one-file suite the create tests
      -- made it.
      local c, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "a lighthouse at dawn, slow push-in" })
      finished[#finished + 1] = { id = c.task_id, creation_id = done.creations[1].id, credits = c.credits, duration = 5 }
    end)
    strict_teardown(function() stop_sim(sim) end)

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
  end)
end)
