-- A board built with a team's shared library (scripts/lib/house_style.lua,
-- found in the script's lib/ folder; `reel test scripts/lib` runs its specs):
-- the library decides model, wording and pacing; the script tells the story.
--
--   reel run --sim --speed 20 scripts/team_style.lua
local storyboard = require "storyboard"
local style = require "house_style"

local sb = storyboard.new{ title = "Harbour", model = style.model, resolution = "540p",
                           aspect_ratio = "16:9" }
style.establishing(sb, "harbour", "a fishing harbour at first light")
style.push_in(sb, "boats", "harbour", "the moored boats")
style.beat(sb, "nets", "an old fisherman mends his nets on the quay", { after = "boats" })
style.beat(sb, "sail", "the boats leave the harbour one by one", { after = "nets" })

local film = sb:render()
if film.path then  -- (reel run --plan makes no film)
  print(("film:          %s (%.2f s, %d credits)"):format(film.path, film.duration, film.credits))
  print(("contact sheet: %s"):format(film.sheet))
end
