-- Every create endpoint through the real client, in both dialects: the clip
-- comes home to --out under its documented name, lasts what was asked and
-- has the asked size (ffprobe), and no temporary file is left. Also the
-- inputs a script can pass: a Frame (clip:last_frame()), a result URL passed
-- through, a local video, a Clip (official: video_creation_id). Where Vtrix
-- does not sell a model the call fails locally, before any request.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

local lit, media = S.lit, S.media

-- The whole tour in one script, independent tasks at once. `mf_model` is the
-- multiframe model the dialect sells.
local function tour_script(mf_model)
  return ([[
local PNG, JPG, WEBP, SRC4 = %s, %s, %s, %s
local t = {}
t.opening = vidu.text2video{ model = "viduq2", prompt = "a lighthouse at dawn", duration = 4,
                             resolution = "540p", aspect_ratio = "16:9", name = "opening" }
t.start_end = vidu.start_end{ model = "viduq2-pro", first = PNG, last = JPG, prompt = "fade",
                              duration = 1, resolution = "540p" }
t.reference = vidu.reference{ model = "viduq2", images = { PNG, WEBP }, prompt = "pan",
                              duration = 1, resolution = "540p", aspect_ratio = "16:9" }
t.reference_video = vidu.reference{ model = "viduq2-pro", images = { PNG }, videos = { SRC4 },
                                    prompt = "like the video", duration = 1, resolution = "540p",
                                    aspect_ratio = "16:9", name = "with video" }
t.extend_file = vidu.extend{ model = "viduq2-pro", video = SRC4, prompt = "go on", duration = 1,
                             resolution = "540p" }
t.multiframe = vidu.multiframe{ model = %s, start = PNG, resolution = "540p",
                                frames = { { image = JPG, prompt = "one", duration = 2 },
                                           { image = WEBP, prompt = "two", duration = 2 } } }
local opening = t.opening:wait()
emit{ kind = "opening", clip = clip_info(opening), id = t.opening.id, state = t.opening.state,
      task_kind = t.opening.kind, name = t.opening.name, credits = t.opening.credits }
local frame = opening:last_frame()
emit{ kind = "frame", path = frame.path, width = frame.width, height = frame.height }
t.from_frame = vidu.img2video{ model = "viduq2-pro", image = frame, prompt = "from the frame",
                               duration = 1, resolution = "540p" }
t.from_url = vidu.img2video{ model = "viduq2-turbo", image = opening.cover_url,
                             prompt = "from the cover URL", duration = 1, resolution = "540p" }
t.extend_clip = vidu.extend{ model = "viduq2-pro", video = opening, last = PNG,
                             prompt = "and on to the image", duration = 1, resolution = "540p" }
t.extend_url = vidu.extend{ model = "viduq2-turbo", video = opening.url, prompt = "from the URL",
                            duration = 1, resolution = "540p" }
for _, k in ipairs{ "start_end", "reference", "reference_video", "extend_file", "multiframe",
                    "from_frame", "from_url", "extend_clip", "extend_url" } do
  local ok, c = pcall(t[k].wait, t[k])
  if ok then
    emit{ kind = k, clip = clip_info(c), id = t[k].id, state = t[k].state, task_kind = t[k].kind,
          name = t[k].name, same = (t[k].clip == c) }
  else
    emit{ kind = k, error = fail_info(c) }
  end
end
]]):format(lit(media("image.png")), lit(media("image.jpg")), lit(media("image.webp")),
             lit(media("src_4s.mp4")), lit(mf_model))
end

-- What each result should be: file name, duration, size.
local EXPECT = {
  opening = { name = "opening", duration = 4, size = { 960, 528 }, task_kind = "text2video" },
  start_end = { name = "start_end_1", duration = 1, size = "540p", task_kind = "start_end" },
  reference = { name = "reference_1", duration = 1, size = { 960, 528 }, task_kind = "reference" },
  reference_video = { name = "with_video", duration = 1, size = { 960, 528 }, task_kind = "reference" },
  extend_file = { name = "extend_1", duration = 5, size = "540p", task_kind = "extend" },
  multiframe = { name = "multiframe_1", duration = 4, size = "540p", task_kind = "multiframe" },
  from_frame = { name = "img2video_1", duration = 1, size = "540p", task_kind = "img2video" },
  from_url = { name = "img2video_2", duration = 1, size = "540p", task_kind = "img2video" },
  extend_clip = { name = "extend_2", duration = 5, size = "540p", task_kind = "extend" },
  extend_url = { name = "extend_3", duration = 5, size = "540p", task_kind = "extend" },
}

local function check_tour(r, dialect)
  assert.are.equal(0, r.code, S.show(r))
  local by_kind = {}
  for _, v in ipairs(r.results) do by_kind[v.kind] = v end
  for kind, want in pairs(EXPECT) do
    local v = by_kind[kind]
    assert.is_table(v, dialect .. " " .. kind .. " reported: " .. S.show(r))
    assert.is_nil(v.error, dialect .. " " .. kind .. " failed: " .. S.json.encode(v.error or {}))
    local ctx = dialect .. " " .. kind
    S.assert_clip(v.clip, { name = want.name, out_dir = r.out_dir, duration = want.duration,
                            size = want.size }, ctx)
    assert.are.equal(v.id, v.clip.task_id, ctx .. " clip.task_id is the task's id")
    assert.are.equal("success", v.state, ctx .. " state")
    assert.are.equal(want.task_kind, v.task_kind, ctx .. " t.kind")
    assert.matches("^https?://", v.clip.url, ctx .. " clip.url")
    assert.is_true((v.clip.credits or 0) > 0, ctx .. " clip.credits")
    if kind ~= "opening" then assert.is_true(v.same, ctx .. " t.clip is what wait returned") end
    if dialect == "vidu" then
      assert.is_string(v.clip.creation_id, ctx .. " creation_id (official)")
    end
  end
  assert.are.equal("opening", by_kind.opening.name)
  local frame = by_kind.frame
  assert.are.same({ 960, 528 }, { frame.width, frame.height }, "the last frame has the clip's size")
  assert.is_true(S.exists(frame.path), "the frame is a file")
  S.assert_no_part(r.out_dir, dialect)
  assert.are.equal(10, S.count_mp4(r.out_dir), dialect .. " one file per task: " .. table.concat(S.ls(r.out_dir), " "))
end

describe("reel run against reel sim: every endpoint", function()
  strict_teardown(function() S.cleanup() end)

  describe("official dialect", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("text2video, img2video (Frame, URL), start_end, reference (images, video), extend (file, Clip + last image, URL), multiframe", function()
      local r = S.reel(sim, tour_script("viduq2-pro"))
      check_tour(r, "vidu")
      local st = S.stats(sim)
      assert.are.same({ text2video = 1, img2video = 2, ["start-end2video"] = 1, reference2video = 2,
                        extend = 3, multiframe = 1 }, st.tasks_created, S.json.encode(st))
      -- One create each, all answered at once.
      local creates = 0
      for route, by_status in pairs(st.requests) do
        if route:match("^POST /ent/v2/[%w%-]+$") then creates = creates + (by_status["200"] or 0) end
      end
      assert.are.equal(10, creates, S.json.encode(st.requests))
      -- One download per clip (the simulator reads its own URLs given as
      -- inputs from its disk).
      assert.are.equal(10, S.requests(st, "GET /files", 200), S.json.encode(st.requests))
    end)
  end)

  describe("vtrix dialect", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("models Vtrix does not sell fail locally, naming the model and the alternatives", function()
      local r = S.reel(sim, ([==[
for _, call in ipairs{
  { "multiframe", { model = "viduq2-pro", start = %s, resolution = "540p",
                    frames = { { image = %s, duration = 2 }, { image = %s, duration = 2 } } } },
  { "reference", { model = "viduq3-mix", images = { %s }, prompt = "x", duration = 1 } },
  { "start_end", { model = "vidu2.0", first = %s, last = %s, duration = 4 } },
} do
  local ok, err = pcall(vidu[call[1]], call[2])
  emit{ call = call[1], ok = ok, error = not ok and fail_info(err) or nil }
end
]==]):format(lit(media("image.png")), lit(media("image.jpg")), lit(media("image.webp")),
           lit(media("image.png")), lit(media("image.png")), lit(media("image.jpg"))),
        { dialect = "vtrix" })
      assert.are.equal(0, r.code, S.show(r))
      assert.are.equal(3, #r.results, S.show(r))
      for _, v in ipairs(r.results) do
        assert.is_false(v.ok, v.call .. " should be refused")
        assert.are.equal("ModelUnavailable", v.error.code, S.json.encode(v))
        assert.are.equal("model", v.error.field)
        assert.is_true(v.error.is_vidu)
        assert.truthy(v.error.message:find("vtrix", 1, true), v.error.message)
        assert.truthy(v.error.message:find("allowed", 1, true), v.error.message)
      end
      assert.are.equal(0, S.api_requests(S.stats(sim)), "nothing was sent")
    end)

    it("the same tour, with the multiframe model Vtrix sells", function()
      local r = S.reel(sim, tour_script("viduq2-turbo"), { dialect = "vtrix" })
      check_tour(r, "vtrix")
      local st = S.stats(sim)
      assert.are.equal(10, S.requests(st, "POST /model/v1/generation", 200), S.json.encode(st.requests))
      assert.are.equal(10, S.tasks_created(st))
      for route in pairs(st.requests) do
        assert.is_nil(route:find("/ent/v2/", 1, true), "no official call in Vtrix: " .. route)
      end
    end)
  end)
end)
