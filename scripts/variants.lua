-- Three seeds of one shot, rendered at once and shown side by side on the
-- contact sheet, to pick one before building the rest of a board on it.
--
--   reel run --sim --speed 20 scripts/variants.lua [PROMPT]
local storyboard = require "storyboard"

local prompt = arg and arg[1] or "A lighthouse in a storm, waves crashing over the gallery"
local sb = storyboard.new{
  title = "Lighthouse variants", model = "viduq2", resolution = "540p", aspect_ratio = "16:9",
  duration = 4, film = false,  -- variants are alternatives, not a sequence
}
for _, seed in ipairs{ 11, 22, 33 } do
  sb:shot{ id = "storm_" .. seed, text = prompt, seed = seed, group = "storm" }
end

local board = sb:render()
for _, seed in ipairs{ 11, 22, 33 } do
  local clip = board.shots["storm_" .. seed]
  print(("seed %d: %s (%.2f s)"):format(seed, clip.path, clip.duration))
end
if board.sheet then print(("contact sheet: %s"):format(board.sheet)) end
