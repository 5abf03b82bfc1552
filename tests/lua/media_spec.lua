-- The media module inside reel (busted --lua=reel), on the test media of
-- tests/media/make_fixtures.sh (REEL_TEST_MEDIA).
local MEDIA = os.getenv("REEL_TEST_MEDIA")

local function file(name) return MEDIA .. "/" .. name end

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir))
  return dir
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

describe("media", function()
  if not MEDIA then
    pending("REEL_TEST_MEDIA is not set")
    return
  end

  it("is a global that require returns, loaded on first use", function()
    assert.are.equal(media, require("media"))
    assert.is_function(media.probe)
  end)

  it("probes a video: container, streams, displayed size", function()
    local info = media.probe(file("rotated.mp4"))
    assert.are.equal("video", info.kind)
    assert.are.equal("video/mp4", info.mime)
    assert.is_true(math.abs(info.duration - 5.0) < 0.1)
    assert.are.equal("h264", info.video.codec)
    assert.are.equal(720, info.video.width)      -- displayed: rotated
    assert.are.equal(1280, info.video.height)
    assert.are.equal(1280, info.video.coded_width)
    assert.are.equal("aac", info.audio.codec)
    assert.are.equal(2, info.audio.channels)
  end)

  it("probes images by content, whatever their name", function()
    local info = media.probe(file("png_named.jpg"))
    assert.are.equal("image", info.kind)
    assert.are.equal("image/png", info.mime)
    assert.are.equal(640, info.video.width)
    assert.is_nil(info.audio)
  end)

  it("raises a vidu.Error naming the file for unreadable input", function()
    for _, name in ipairs{ "empty.mp4", "garbage.mp4", "truncated.mp4" } do
      local ok, err = pcall(media.probe, file(name))
      assert.is_false(ok, name)
      assert.are.equal("MediaInvalid", err.code, name)
      assert.are.equal(file(name), err.path, name)
      assert.truthy(tostring(err):find(name, 1, true), tostring(err))
    end
  end)

  it("checks a file for a use and lists every problem", function()
    assert.is_true(media.check(file("src_4s.mp4"), "extend"))
    local ok, problems = media.check(file("src_3.5s.mp4"), "extend")
    assert.is_nil(ok)
    assert.are.equal(1, #problems)
    assert.truthy(problems[1]:find("4", 1, true), problems[1])
    ok, problems = media.check(file("small_100.png"), "reference")
    assert.is_nil(ok)
    assert.truthy(#problems >= 1)
    assert.is_true(media.check({ file("image.png"), file("image.jpg") }, "start_end"))
    ok = media.check({ file("image.png"), file("tall_1x5.png") }, "start_end")
    assert.is_nil(ok)
  end)

  it("treats an unreadable file as a problem, not a crash", function()
    local ok, problems = media.check(file("garbage.mp4"), "extend")
    assert.is_nil(ok)
    assert.truthy(problems[1]:find("garbage.mp4", 1, true))
  end)

  it("refuses an unknown use at the call", function()
    assert.has_error(function() media.check(file("image.png"), "thumbnail") end)
  end)

  it("writes the last frame as a PNG Frame", function()
    local dir = tmpdir()
    local frame = media.frame(file("gop_2s_1080p.mp4"), { at = "last", out = dir .. "/last.png" })
    assert.are.equal(dir .. "/last.png", frame.path)
    assert.are.equal(1920, frame.width)
    assert.are.equal(1080, frame.height)
    assert.is_true(frame.time > 4.9)
    assert.are.equal("image", media.probe(frame.path).kind)
    assert.truthy(tostring(frame):find("1920x1080", 1, true))
    os.execute("rm -rf " .. dir)
  end)

  it("leaves nothing behind when a frame cannot be had", function()
    local dir = tmpdir()
    assert.has_error(function() media.frame(file("garbage.mp4"), { at = "last", out = dir .. "/x.png" }) end)
    local listing = io.popen("ls -A " .. dir):read("a")
    assert.are.equal("", listing)
    os.execute("rm -rf " .. dir)
  end)

  it("scales a frame to a width or a height, keeping the aspect ratio", function()
    local dir = tmpdir()
    local frame = media.frame(file("h264_aac.mp4"), { out = dir .. "/w.png", width = 320 })
    assert.are.equal(320, frame.width)
    assert.are.equal(180, frame.height)
    local info = media.probe(frame.path)
    assert.are.equal(320, info.video.width)
    assert.are.equal(180, info.video.height)
    frame = media.frame(file("rotated.mp4"), { at = "last", out = dir .. "/h.png", height = 640.0 })
    assert.are.equal(360, frame.width)    -- displayed 720x1280
    assert.are.equal(640, frame.height)
    os.execute("rm -rf " .. dir)
  end)

  it("refuses a bad width or height at the call, naming the option", function()
    local dir = tmpdir()
    for _, bad in ipairs{ { width = 0 }, { width = -5 }, { width = 320.5 }, { width = 9000 },
                          { width = "320" }, { height = 0 }, { height = 8193 } } do
      local key = next(bad)
      bad.out = dir .. "/x.png"
      local ok, err = pcall(media.frame, file("h264_aac.mp4"), bad)
      assert.is_false(ok)
      assert.are.equal("MediaInvalid", err.code, tostring(err))
      assert.are.equal(key, err.field)
      assert.truthy(tostring(err):find("media.frame: " .. key, 1, true), tostring(err))
      assert.truthy(tostring(err):find("1 to 8192", 1, true), tostring(err))
    end
    assert.are.equal("", io.popen("ls -A " .. dir):read("a"))
    os.execute("rm -rf " .. dir)
  end)

  it("lays frames and pictures side by side with media.strip", function()
    local dir = tmpdir()
    local a = media.frame(file("h264_aac.mp4"), { out = dir .. "/a.png", width = 320 })
    local strip = media.strip({ a, file("image.jpg"), file("tall_1x5.png") }, dir .. "/strip.png",
                              { height = 90, gap = 6 })
    assert.are.equal(dir .. "/strip.png", strip.path)
    assert.are.equal(160 + 6 + 160 + 6 + 18, strip.width)
    assert.are.equal(90, strip.height)
    local info = media.probe(strip.path)
    assert.are.equal("image/png", info.mime)
    assert.are.equal(strip.width, info.video.width)
    -- Defaults: 180 px high, 4 px apart.
    strip = media.strip({ a.path, a }, dir .. "/default.png")
    assert.are.same({ path = dir .. "/default.png", width = 644, height = 180 }, strip)
    os.execute("rm -rf " .. dir)
  end)

  it("raises clear errors from media.strip and leaves nothing behind", function()
    local dir = tmpdir()
    local out = dir .. "/strip.png"
    local function fails(pictures, where, opts)
      local ok, err = pcall(media.strip, pictures, where, opts)
      assert.is_false(ok)
      assert.are.equal("MediaInvalid", err.code, tostring(err))
      return err
    end
    local err = fails({}, out)
    assert.are.equal("pictures", err.field)
    assert.truthy(tostring(err):find("empty", 1, true), tostring(err))
    err = fails({ file("image.png") }, out, { height = 8 })
    assert.are.equal("height", err.field)
    assert.truthy(tostring(err):find("height=8 is out of range; use a whole number of pixels from 16 to 2160",
                                     1, true), tostring(err))
    err = fails({ file("image.png"), 42 }, out)
    assert.truthy(tostring(err):find("picture 2 is a number", 1, true), tostring(err))
    err = fails({ file("image.png"), dir .. "/missing.png" }, out)
    assert.are.equal(dir .. "/missing.png", err.path)
    assert.truthy(tostring(err):find("picture 2 of 2", 1, true), tostring(err))
    assert.truthy(tostring(err):find("not found", 1, true), tostring(err))
    err = fails({ file("garbage.mp4") }, out)
    assert.truthy(tostring(err):find("not a PNG, JPEG or WebP", 1, true), tostring(err))
    err = fails({ file("image.png") }, dir .. "/no/such/strip.png")
    assert.are.equal(dir .. "/no/such/strip.png", err.path)
    assert.truthy(tostring(err):find("does not exist", 1, true), tostring(err))
    assert.are.equal("", io.popen("ls -A " .. dir):read("a"))
    os.execute("rm -rf " .. dir)
  end)

  it("joins clips and reports what it re-encoded", function()
    local dir = tmpdir()
    local out, result = media.concat({ file("cat_01.mp4"), file("cat_02.mp4") }, dir .. "/film.mp4",
                                     { mode = "copy" })
    assert.are.equal(dir .. "/film.mp4", out)
    assert.is_true(math.abs(result.duration - 10) < 0.05, tostring(result.duration))
    assert.are.same({ false, false }, result.reencoded)
    assert.is_true(math.abs(media.probe(out).duration - 10) < 0.05)
    os.execute("rm -rf " .. dir)
  end)

  it("runs media work off the Lua thread: other tasks keep going meanwhile", function()
    local dir = tmpdir()
    local ticks, done = 0, false
    local ticker = async.spawn(function()
      while not done do async.sleep(0.005); ticks = ticks + 1 end
    end)
    -- The last frame of a single-GOP 1080p clip means decoding all of it.
    media.frame(file("gop_single_1080p.mp4"), { at = "last", out = dir .. "/last.png" })
    done = true
    ticker:wait()
    assert.is_true(ticks >= 5, "ticks: " .. ticks)
    os.execute("rm -rf " .. dir)
  end)
end)
