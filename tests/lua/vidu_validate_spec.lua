-- vidu.validate / vidu.estimate / vidu.Error inside reel (busted --lua=reel):
-- the local checks only, on the test media of tests/media/make_fixtures.sh
-- (REEL_TEST_MEDIA). Prices are cross-checked with vidu-api.md §14.
local MEDIA = os.getenv("REEL_TEST_MEDIA")

local function file(name) return MEDIA .. "/" .. name end

-- The problem with `field` in err.problems, or nil.
local function problem(err, field)
  for _, p in ipairs(err.problems) do
    if p.field == field then return p end
  end
end

local function assert_mentions(text, ...)
  for _, word in ipairs{ ... } do
    assert.truthy(text:find(word, 1, true), ("%q does not mention %q"):format(text, word))
  end
end

describe("vidu.validate", function()
  if not MEDIA then
    pending("REEL_TEST_MEDIA is not set")
    return
  end

  it("is a global that require returns", function()
    assert.are.equal(vidu, require("vidu"))
    assert.is_function(vidu.validate)
    assert.is_function(vidu.estimate)
  end)

  it("needs no API key and no network", function()
    -- There is no network code behind validate yet; this pins that it keeps
    -- working without a key (the specs run without VIDU_API_KEY).
    if os.getenv("VIDU_API_KEY") then
      pending("VIDU_API_KEY is set in this environment")
      return
    end
    assert.is_true(vidu.validate("text2video", { model = "viduq2", prompt = "a lighthouse" }))
  end)

  it("accepts minimal valid options for each kind", function()
    local image = file("image.png")
    assert.is_true(vidu.validate("text2video", { model = "viduq2", prompt = "a cat" }))
    assert.is_true(vidu.validate("img2video", { model = "viduq2-pro", image = image }))
    assert.is_true(vidu.validate("start_end", { model = "viduq2-pro", first = image,
                                                last = file("image.jpg") }))
    assert.is_true(vidu.validate("reference", { model = "viduq2-pro", images = { image },
                                                prompt = "the keeper" }))
    assert.is_true(vidu.validate("extend", { model = "viduq2-pro", video = file("src_4s.mp4") }))
    assert.is_true(vidu.validate("multiframe", {
      model = "viduq2-turbo", start = image,
      frames = { { image = image, prompt = "a", duration = 3 }, { image = file("image.jpg") } },
    }))
  end)

  it("accepts URLs and the API's own names", function()
    assert.is_true(vidu.validate("multiframe", {
      model = "viduq2-pro", start_image = "https://example.com/a.png",
      image_settings = { { key_image = "https://example.com/b.png" },
                         { key_image = "https://example.com/c.png", duration = 7 } },
    }))
    assert.is_true(vidu.validate("extend", { model = "viduq2-turbo",
                                             video_url = "https://example.com/v.mp4" }))
  end)

  it("passes every documented request field through", function()
    assert.is_true(vidu.validate("text2video", {
      model = "viduq2", prompt = "x", duration = 5, resolution = "1080p", aspect_ratio = "9:16",
      seed = 7, bgm = true, off_peak = true, watermark = true, wm_position = 2,
      wm_url = "https://example.com/wm.png", meta_data = '{"Label":"x"}', payload = "p",
      callback_url = "https://example.com/cb", movement_amplitude = "auto", style = "general",
    }))
    assert.is_true(vidu.validate("img2video", { model = "viduq2-pro", image = file("image.png"),
                                                is_rec = true, audio = false }))
  end)

  it("accepts local files inside reference subjects", function()
    assert.is_true(vidu.validate("reference", {
      model = "viduq2", prompt = "@1 walks",
      subjects = { { id = "1", images = { file("image.png"), "https://example.com/b.png" } } },
    }))
    local ok, err = vidu.validate("reference", {
      model = "viduq2", prompt = "@1 walks",
      subjects = { { id = "1", images = { file("small_100.png") } } },
    })
    assert.is_nil(ok)
    assert.are.equal("subjects[0].images[0]", err.field)
    assert_mentions(err.message, "small_100.png", "128×128")
  end)

  it("accepts a Frame and a Clip", function()
    local out = os.tmpname() .. ".png"
    local frame = media.frame(file("src_4s.mp4"), { at = "last", out = out })
    assert.is_true(vidu.validate("img2video", { model = "viduq2-pro", image = frame }))
    -- A Clip from this API goes as video_creation_id: its file is not needed.
    local clip = { creation_id = "c-123", path = "/nowhere/clip.mp4" }
    assert.is_true(vidu.validate("extend", { model = "viduq2-pro", video = clip, last = frame }))
    os.remove(out)
  end)

  it("reports a duration out of range with field, value and allowed values", function()
    local ok, err = vidu.validate("text2video", { model = "viduq2", prompt = "x", duration = 20 })
    assert.is_nil(ok)
    assert.are.equal("FieldInvalid", err.code)
    assert.are.equal("duration", err.field)
    assert_mentions(err.message, "duration", "20", "viduq2", "1–10")
  end)

  it("reports a resolution the model does not offer", function()
    local ok, err = vidu.validate("text2video", { model = "viduq1", prompt = "x",
                                                  resolution = "720p" })
    assert.is_nil(ok)
    assert.are.equal("FieldInvalid", err.code)
    assert.are.equal("resolution", err.field)
    assert_mentions(err.message, "resolution", "720p", "1080p")
  end)

  it("reports a missing prompt where it is required", function()
    local ok, err = vidu.validate("text2video", { model = "viduq2" })
    assert.is_nil(ok)
    assert.are.equal("FieldLacking", err.code)
    assert.are.equal("prompt", err.field)
    assert_mentions(err.message, "prompt", "required")
  end)

  it("reports too many images", function()
    local images = {}
    for i = 1, 8 do images[i] = "https://example.com/" .. i .. ".png" end
    local ok, err = vidu.validate("reference", { model = "viduq2", images = images, prompt = "x" })
    assert.is_nil(ok)
    assert.are.equal("FieldItemCountOutOfRange", err.code)
    assert.are.equal("images", err.field)
    assert_mentions(err.message, "images", "8", "1–7")
  end)

  it("reports a bad aspect ratio", function()
    local ok, err = vidu.validate("text2video", { model = "viduq2", prompt = "x",
                                                  aspect_ratio = "2:1" })
    assert.is_nil(ok)
    assert.are.equal("FieldInvalid", err.code)
    assert.are.equal("aspect_ratio", err.field)
    assert_mentions(err.message, "aspect_ratio", "2:1", "16:9", "9:16")
  end)

  it("reports an unknown option and lists the accepted ones", function()
    local ok, err = vidu.validate("img2video", { model = "viduq2-pro", image = file("image.png"),
                                                 colour = "red" })
    assert.is_nil(ok)
    assert.are.equal("FieldUnwanted", err.code)
    assert.are.equal("colour", err.field)
    assert_mentions(err.message, "colour", "red", "image", "prompt", "duration")
  end)

  it("reports a model the endpoint does not offer", function()
    local ok, err = vidu.validate("extend", { model = "viduq2", video = file("src_4s.mp4") })
    assert.is_nil(ok)
    assert.are.equal("ModelUnavailable", err.code)
    assert.are.equal("model", err.field)
    assert_mentions(err.message, "viduq2", "viduq2-pro", "viduq2-turbo")
  end)

  it("reports every problem at once", function()
    local ok, err = vidu.validate("text2video", { model = "viduq2", duration = 20,
                                                  resolution = "4k", aspect_ratio = "2:1",
                                                  foo = 1 })
    assert.is_nil(ok)
    assert.are.equal(5, #err.problems)
    for _, field in ipairs{ "prompt", "duration", "resolution", "aspect_ratio", "foo" } do
      local p = problem(err, field)
      assert.truthy(p, field)
      assert.is_string(p.code)
      assert_mentions(p.message, field)
    end
    assert.are.equal(err.problems[1].code, err.code)
    assert.are.equal(err.problems[1].field, err.field)
  end)

  it("names the file for each media problem", function()
    local ok, err = vidu.validate("reference", {
      model = "viduq2-pro", prompt = "x",
      images = { file("tall_1x5.png"), file("small_100.png"), file("garbage.mp4") },
    })
    assert.is_nil(ok)
    assert.are.equal(3, #err.problems)
    local ratio, small, garbage = problem(err, "images[0]"), problem(err, "images[1]"),
        problem(err, "images[2]")
    assert.are.equal("PageSizeOutOfRange", ratio.code)
    assert_mentions(ratio.message, "tall_1x5.png", "1:4", "4:1")
    assert.are.equal("PageSizeOutOfRange", small.code)
    assert_mentions(small.message, "small_100.png", "100×100", "128×128")
    assert.are.equal("ImageFormatInvalid", garbage.code)
    assert_mentions(garbage.message, "garbage.mp4")
  end)

  it("refuses an extend source shorter than 4 s", function()
    local ok, err = vidu.validate("extend", { model = "viduq2-pro", video = file("src_3.5s.mp4") })
    assert.is_nil(ok)
    assert.are.equal("FieldInvalid", err.code)
    assert.are.equal("video_url", err.field)
    assert_mentions(err.message, "src_3.5s.mp4", "3.5", "4–60 s")
  end)

  it("refuses a start/end pair that does not match", function()
    local ok, err = vidu.validate("start_end", { model = "viduq2-pro",
                                                 first = file("image_1280x720.jpg"),
                                                 last = file("square_480.png") })
    assert.is_nil(ok)
    assert.are.equal("FieldInvalid", err.code)
    assert.are.equal("images", err.field)
    assert_mentions(err.message, "image_1280x720.jpg", "square_480.png", "0.8–1.25")
  end)

  it("refuses a start/end pair missing its last frame", function()
    local ok, err = vidu.validate("start_end", { model = "viduq2-pro", first = file("image.png") })
    assert.is_nil(ok)
    assert.truthy(problem(err, "last"))
    assert.are.equal("FieldLacking", problem(err, "last").code)
  end)

  it("raises at the call for an unknown kind or non-table options", function()
    assert.has_error(function() vidu.validate("text2image", {}) end)
    assert.has_error(function() vidu.validate("text2video", "prompt") end)
    assert.has_error(function() vidu.validate("text2video", { prompt = print }) end)
  end)
end)

describe("vidu.estimate", function()
  if not MEDIA then
    pending("REEL_TEST_MEDIA is not set")
    return
  end

  it("prices a request from the capability table (§14)", function()
    -- q2 t2v 720p: 0.075 + 0.025·(5−1) USD = 35 credits; 1080p: 0.10 + 0.05·4 = 60.
    assert.are.equal(35, vidu.estimate("text2video", { model = "viduq2", prompt = "x" }))
    assert.are.equal(60, vidu.estimate("text2video", { model = "viduq2", prompt = "x",
                                                       resolution = "1080p" }))
    -- q3-pro t2v 720p: 30 credits/s.
    assert.are.equal(150, vidu.estimate("text2video", { model = "viduq3-pro", prompt = "x" }))
    -- q2-pro i2v 720p 5 s: 0.075 + 0.05·4 = 55; is_rec adds 10.
    local image = file("image.png")
    assert.are.equal(55, vidu.estimate("img2video", { model = "viduq2-pro", image = image }))
    assert.are.equal(65, vidu.estimate("img2video", { model = "viduq2-pro", image = image,
                                                      is_rec = true }))
    -- q2-pro extend 720p 4 s: 0.15 + 0.05·3 = 60.
    assert.are.equal(60, vidu.estimate("extend", { model = "viduq2-pro",
                                                   video = { creation_id = "c" }, duration = 4 }))
    -- q2-turbo multiframe 720p, 2 segments of 3 + 5 s: 2·0.075 + 8·0.025 = 70.
    assert.are.equal(70, vidu.estimate("multiframe", {
      model = "viduq2-turbo", start = image,
      frames = { { image = image, duration = 3 }, { image = image } },
    }))
  end)

  it("raises the vidu.Error when the options are invalid", function()
    local ok, err = pcall(vidu.estimate, "text2video", { model = "viduq2", duration = 20 })
    assert.is_false(ok)
    assert.is_true(vidu.Error.is(err))
    assert.are.equal(2, #err.problems)
  end)
end)

describe("vidu.Error", function()
  it("is the class of the errors, with is()", function()
    local _, err = vidu.validate("text2video", { model = "viduq2" })
    assert.are.equal(vidu.Error, getmetatable(err))
    assert.is_true(vidu.Error.is(err))
    assert.is_false(vidu.Error.is({ code = "FieldLacking" }))
    assert.is_false(vidu.Error.is("FieldLacking"))
    assert.is_false(vidu.Error.is(nil))
  end)

  it("reads as one sentence", function()
    local _, err = vidu.validate("text2video", { model = "viduq2" })
    assert.are.equal(err.message, tostring(err))
    assert_mentions(tostring(err), "prompt")
    assert.is_nil(tostring(err):find("\n", 1, true))
  end)
end)
