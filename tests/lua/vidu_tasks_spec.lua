-- The create calls inside reel (busted --lua=reel), without a server: what
-- happens before anything is sent. The remote part (tasks on the simulator)
-- is tests/e2e/client. These specs run with no VIDU_API_KEY, so a call that
-- got past its checks would stop at NoApiKey: a check that raises first
-- proves it ran before any network.
local MEDIA = os.getenv("REEL_TEST_MEDIA")

local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function assert_mentions(text, ...)
  for _, word in ipairs{ ... } do
    assert.truthy(tostring(text):find(word, 1, true), ("%q does not mention %q"):format(text, word))
  end
end

describe("vidu create calls", function()
  if os.getenv("VIDU_API_KEY") or os.getenv("REEL_KEY_FILE") then
    pending("an API key is set in this environment")
    return
  end

  it("are functions beside the Task and Clip classes", function()
    for _, kind in ipairs{ "text2video", "img2video", "start_end", "reference", "extend",
                           "multiframe", "task", "credits" } do
      assert.is_function(vidu[kind], kind)
    end
    assert.is_table(vidu.Task)
    assert.is_table(vidu.Clip)
    assert.is_function(vidu.Clip.last_frame)
    assert.is_function(vidu.Clip.first_frame)
  end)

  it("refuse a bad field before anything else, as a vidu.Error naming it", function()
    local err = raised(vidu.text2video, { model = "viduq2", prompt = "x", duration = 11 })
    assert.is_true(vidu.Error.is(err))
    assert.are.equal("FieldInvalid", err.code)
    assert.are.equal("duration", err.field)
    assert_mentions(err.message, "duration", "11", "allowed")
  end)

  it("refuse a model the dialect does not sell", function()
    local err = raised(vidu.text2video, { model = "viduq2-pro-fast", prompt = "x" })
    assert.are.equal("model", err.field)
    assert_mentions(err.message, "viduq2-pro-fast", "vtrix")
  end)

  it("check the shot name, which is reel's and never sent", function()
    local err = raised(vidu.text2video, { model = "viduq2", prompt = "x", name = 5 })
    assert.are.equal("name", err.field)
    assert_mentions(err.message, "1 to 64 characters")
    err = raised(vidu.text2video, { model = "viduq2", prompt = "x", name = ("n"):rep(65) })
    assert.are.equal("name", err.field)
  end)

  it("refuse to extend a Clip shorter than 4 s without asking the server", function()
    local clip = setmetatable({ creation_id = "123", duration = 2.5, path = "x.mp4" }, vidu.Clip)
    local err = raised(vidu.extend, { model = "viduq2-pro", video = clip, duration = 4 })
    assert.are.equal("video", err.field)
    assert_mentions(err.message, "2.5 s", "4–60 s", "creation 123")
  end)

  it("probe local files before anything is sent", function()
    if not MEDIA then
      pending("REEL_TEST_MEDIA is not set")
      return
    end
    local err = raised(vidu.img2video, { model = "viduq2-pro", image = MEDIA .. "/garbage.mp4" })
    assert.are.equal("images[0]", err.field)
    assert_mentions(err.message, "garbage.mp4")
  end)

  it("need a key once the request is good, and say where to put it", function()
    local err = raised(vidu.text2video, { model = "viduq2", prompt = "a lighthouse" })
    assert.are.equal("NoApiKey", err.code)
    assert_mentions(err.message, "VIDU_API_KEY", "--key-file")
  end)

  it("raise a plain error for a programmer's mistake", function()
    local err = raised(vidu.text2video, "viduq2")
    assert.is_string(err)
    assert_mentions(err, "vidu.text2video", "table of options")
    err = raised(vidu.task, "12 34")
    assert_mentions(err, "task id")
  end)
end)
