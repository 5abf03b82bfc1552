-- The flagship storyboard: a day at a lighthouse in six shots, using every
-- way a shot can follow another (extend, start/end, reference, img2video).
--
--   reel run --sim --speed 20 scripts/lighthouse.lua      (the simulator: free)
--   reel run --plan scripts/lighthouse.lua                (what it would cost)
--   VIDU_API_KEY=... reel run scripts/lighthouse.lua       (the real service)
--
-- The images in assets/ are drawn by assets/make_assets.sh (free of rights).
-- Run it again and every finished shot comes from the journal: no new task.
local storyboard = require "storyboard"

local here = arg and arg[0] and arg[0]:match("^(.*)/") or "."
local function asset(name) return here .. "/assets/" .. name end

local sb = storyboard.new{
  title = "Lighthouse", model = "viduq2-pro", resolution = "540p", aspect_ratio = "16:9",
  duration = 4,
}

-- Text to video, on a model of its own.
sb:shot{ id = "dawn", model = "viduq2", duration = 5,
         text = "A lighthouse on a cliff at dawn, waves breaking on the rocks below" }
-- Continue it: the extension takes its place in the cut.
sb:shot{ id = "push", extend = "dawn", duration = 3,
         prompt = "the camera pushes in towards the lamp room" }
-- Image to video, from a drawing.
sb:shot{ id = "noon", image = asset("cliff.png"),
         prompt = "gulls circle the lighthouse in the afternoon sun" }
-- Start and end frames: from the last frame of the shot before to an image.
sb:shot{ id = "dusk", from = "noon", to = asset("dusk.png"),
         prompt = "the day turns to night and the lamp comes on" }
-- Reference to video with two images: the keeper and the lamp.
sb:shot{ id = "keeper", reference = { asset("keeper.png"), asset("lamp.png") },
         prompt = "the keeper in a yellow coat climbs the stairs and trims the lamp" }
-- From the keeper's last frame into the night.
sb:shot{ id = "night", from = "keeper",
         prompt = "the beam sweeps over the dark sea as a ship passes" }

-- `reel run scripts/lighthouse.lua noon dusk` makes those shots again.
local only = arg and #arg > 0 and { table.unpack(arg) } or nil

sb:plan()
local film = sb:render{ budget = 2000, only = only }
if film.path then  -- (reel run --plan makes no film)
  print(("film:          %s (%.2f s, %d credits)"):format(film.path, film.duration, film.credits))
  print(("contact sheet: %s"):format(film.sheet))
end
