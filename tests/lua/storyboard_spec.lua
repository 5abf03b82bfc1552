-- The storyboard module inside reel (busted --lua=reel), with no server and
-- no key: everything a board refuses, it refuses before anything could be
-- sent (a render that got past its checks would stop at NoApiKey or at a
-- connection; these end at the check). Rendering on the simulator is
-- tests/e2e/storyboard.
local storyboard = require "storyboard"

local SOURCE = os.getenv("REEL_SOURCE_DIR") or "."
local ASSETS = SOURCE .. "/scripts/assets/"

local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(vidu.Error.is(err), "a vidu.Error, not " .. tostring(err))
  return err
end

local function assert_mentions(text, ...)
  for _, word in ipairs{ ... } do
    assert.truthy(tostring(text):find(word, 1, true), ("%q does not mention %q"):format(tostring(text), word))
  end
end

local function board(opts)
  local o = { title = "Spec", model = "viduq2-pro", resolution = "540p", aspect_ratio = "16:9" }
  for k, v in pairs(opts or {}) do o[k] = v end
  return storyboard.new(o)
end

describe("storyboard declarations", function()
  it("refuse an unknown board option, naming the options", function()
    local err = raised(storyboard.new, { title = "x", resolutoin = "720p" })
    assert.are.equal("BoardInvalid", err.code)
    assert_mentions(err, "resolutoin", "resolution", "aspect_ratio")
  end)

  it("refuse an unknown shot option at the declaration, naming the shot", function()
    local sb = board()
    local err = raised(sb.shot, sb, { id = "open", text = "a lighthouse", durration = 5 })
    assert_mentions(err, 'shot "open"', "durration")
    assert.are.equal("open", err.shot)
    assert.are.equal(0, #sb.shots)
  end)

  it("refuse a shot with two kinds or none", function()
    local sb = board()
    assert_mentions(raised(sb.shot, sb, { id = "a", text = "x", image = ASSETS .. "cliff.png" }),
                    'shot "a"', "exactly one of", "text2video and img2video")
    assert_mentions(raised(sb.shot, sb, { id = "b", prompt = "x" }), 'shot "b"', "none given")
    assert_mentions(raised(sb.shot, sb, { id = "c", to = ASSETS .. "dusk.png", prompt = "x" }),
                    'shot "c"', "to needs from")
  end)

  it("refuse a bad id and a second shot of the same id", function()
    local sb = board()
    assert_mentions(raised(sb.shot, sb, { id = "two words", text = "x" }), "id must be")
    sb:shot{ id = "open", text = "x", model = "viduq2" }
    assert_mentions(raised(sb.shot, sb, { id = "open", text = "y", model = "viduq2" }),
                    'shot "open" is declared twice')
  end)

  it("pick the board's model when it makes the kind, else name the models that do", function()
    local sb = board{ model = "viduq2-pro" }
    local err = raised(sb.shot, sb, { id = "open", text = "a lighthouse" })
    assert.are.equal("model", err.field)
    assert_mentions(err, 'shot "open"', "viduq2-pro", "text2video", "viduq2")
    local shot = sb:shot{ id = "noon", image = ASSETS .. "cliff.png", prompt = "gulls" }
    assert.are.equal("viduq2-pro", shot.model)
    assert.are.equal("viduq2", sb:shot{ id = "t", text = "x", model = "viduq2" }.model)
  end)

  it("check a shot's API options with the client's rules, files included", function()
    local sb = board()
    assert_mentions(raised(sb.shot, sb, { id = "a", image = ASSETS .. "missing.png", prompt = "x" }),
                    'shot "a"', "missing.png")
    assert_mentions(raised(sb.shot, sb, { id = "b", text = "x", model = "viduq2", duration = 99 }),
                    'shot "b"', "duration")
  end)
end)

describe("storyboard graphs", function()
  it("refuse an unknown shot id before anything is submitted", function()
    local sb = board()
    sb:shot{ id = "dusk", from = "noon", to = ASSETS .. "dusk.png", prompt = "x" }
    local err = raised(sb.plan, sb, { quiet = true })
    assert.are.equal("dusk", err.shot)
    assert_mentions(err, 'shot "dusk"', 'from = "noon"', "names no shot", "./noon.png")
    assert_mentions(raised(sb.render, sb), 'shot "dusk"', "names no shot")
  end)

  it("refuse a cycle, naming it", function()
    local sb = board()
    sb:shot{ id = "a", from = "b", prompt = "x" }
    sb:shot{ id = "b", from = "c", prompt = "x" }
    sb:shot{ id = "c", from = "a", prompt = "x" }
    assert_mentions(raised(sb.plan, sb, { quiet = true }), "cycle", "a -> b -> c -> a")
  end)

  it("refuse extending a clip shorter than 4 s", function()
    local sb = board()
    sb:shot{ id = "short", text = "x", model = "viduq2", duration = 2 }
    sb:shot{ id = "more", extend = "short", prompt = "y" }
    local err = raised(sb.plan, sb, { quiet = true })
    assert.are.equal("ChainInvalid", err.code)
    assert_mentions(err, 'shot "more"', '"short"', "2 s", "4 to 60 s")
  end)

  it("refuse start/end frames too far apart in size", function()
    local sb = board{ resolution = "1080p" }
    sb:shot{ id = "wide", text = "x", model = "viduq2" }
    sb:shot{ id = "to_small", from = "wide", to = ASSETS .. "keeper.png", prompt = "y" }
    local err = raised(sb.plan, sb, { quiet = true })
    assert.are.equal("ChainInvalid", err.code)
    assert_mentions(err, 'shot "to_small"', "keeper.png", "0.8-1.25")
  end)

  it("refuse two extensions of one shot", function()
    local sb = board()
    sb:shot{ id = "open", text = "x", model = "viduq2" }
    sb:shot{ id = "a", extend = "open", prompt = "y" }
    sb:shot{ id = "b", extend = "open", prompt = "z" }
    assert_mentions(raised(sb.plan, sb, { quiet = true }), 'shot "b"', 'extend "a" instead')
  end)

  it("cut in declaration order, extensions in their source's place", function()
    local sb = board()
    sb:shot{ id = "open", text = "x", model = "viduq2" }
    sb:shot{ id = "noon", image = ASSETS .. "cliff.png", prompt = "y" }
    sb:shot{ id = "push", extend = "open", prompt = "z", duration = 3 }
    sb:shot{ id = "more", extend = "push", prompt = "w", duration = 2 }
    local plan = sb:plan{ quiet = true }
    local cut = {}
    for _, shot in ipairs(plan.cut) do cut[#cut + 1] = shot.id end
    assert.are.same({ "more", "noon" }, cut)
    assert.are.equal(10, plan.cut[1].predicted)
    -- Every shot after the shots it needs.
    local at = {}
    for i, shot in ipairs(plan.order) do at[shot.id] = i end
    assert.is_true(at.open < at.push and at.push < at.more)
  end)

  it("plan the credits of every shot as vidu.estimate does", function()
    local sb = board()
    sb:shot{ id = "open", text = "x", model = "viduq2", duration = 5 }
    sb:shot{ id = "noon", image = ASSETS .. "cliff.png", prompt = "y", duration = 4 }
    local plan = sb:plan{ quiet = true }
    local want = vidu.estimate("text2video", { model = "viduq2", prompt = "x", duration = 5,
                                               resolution = "540p", aspect_ratio = "16:9" })
               + vidu.estimate("img2video", { model = "viduq2-pro", image = ASSETS .. "cliff.png",
                                              prompt = "y", duration = 4, resolution = "540p" })
    assert.are.equal(want, plan.credits)
    assert.is_true(plan.credits > 0)
  end)

  it("refuse a render over its budget before asking anything", function()
    local sb = board()
    sb:shot{ id = "open", text = "x", model = "viduq2" }
    local err = raised(sb.render, sb, { budget = 1 })
    assert.are.equal("OverBudget", err.code)
    assert_mentions(err, "over its budget of 1")
    assert_mentions(raised(sb.render, sb, { only = { "nope" } }), '"nope" is not a shot')
    assert_mentions(raised(sb.render, sb, { bugdet = 5 }), "unknown option")
  end)
end)
