-- house_style's own specs, run by `reel test scripts/lib` (and by `make
-- test`): busted inside reel, with the simulator in the same process, so the
-- board really renders, with no key and no credits.
local storyboard = require "storyboard"
local style = require "house_style"

local function harbour_board(title)
  local sb = storyboard.new{ title = title, model = style.model, resolution = "540p",
                             aspect_ratio = "16:9" }
  style.establishing(sb, "harbour", "a fishing harbour at first light", { duration = 4 })
  style.push_in(sb, "boats", "harbour", "the moored boats")
  style.beat(sb, "nets", "an old fisherman mends his nets", { after = "boats", duration = 2 })
  return sb
end

describe("house_style", function()
  it("words every shot in the house look", function()
    local plan = harbour_board("Look"):plan{ quiet = true }
    assert.are.equal(3, #plan.shots)
    for _, shot in ipairs(plan.shots) do
      local words = shot.spec.text or shot.spec.prompt
      assert.truthy(words:find(style.look, 1, true), shot.id .. ": " .. words)
    end
  end)

  it("opens on text-to-video and follows with the house model", function()
    local plan = harbour_board("Models"):plan{ quiet = true }
    local kinds = {}
    for _, shot in ipairs(plan.shots) do kinds[shot.id] = shot.kind end
    assert.are.same({ harbour = "text2video", boats = "extend", nets = "img2video" }, kinds)
    assert.are.equal(style.model, plan.shots[3].spec.model)
  end)

  it("lets a push-in take the place of the shot it extends in the cut", function()
    local plan = harbour_board("Cut"):plan{ quiet = true }
    local ids = {}
    for _, shot in ipairs(plan.cut) do ids[#ids + 1] = shot.id or shot end
    assert.are.same({ "boats", "nets" }, ids)
  end)

  it("refuses a beat that does not say what it follows", function()
    local sb = storyboard.new{ title = "Lost", model = style.model }
    local ok, err = pcall(style.beat, sb, "lost", "a beat from nowhere", {})
    assert.is_false(ok)
    assert.truthy(tostring(err):find("opts.after", 1, true))
  end)

  it("renders on the simulator into one film as long as its cut", function()
    local film = harbour_board("Harbour"):render()
    local info = media.probe(film.path)
    -- harbour 4 s extended by 3 s, then 2 s from its last frame.
    assert.is_true(math.abs(info.duration - 9) < 0.2, "film lasts " .. info.duration .. " s")
    assert.are.equal(film.shots.boats.width, info.video.width)  -- the first clip's frame
    assert.is_true(film.credits > 0)
    assert.are.equal(7, math.floor(film.shots.boats.duration + 0.5))
  end)
end)
