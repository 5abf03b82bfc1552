-- Three shots on the built-in simulator: one from text, then, at once, its
-- continuation and a shot that starts from its last frame.
--   reel run --sim --speed 10 scripts/first_shots.lua
local open = vidu.text2video{
  name = "open", model = "viduq2", duration = 5, resolution = "540p",
  prompt = "A lighthouse at dawn, waves breaking on the rocks below",
}
local clip = open:wait()

local push = vidu.extend{
  name = "push", model = "viduq2-pro", video = clip, duration = 4,
  prompt = "the camera pushes in towards the lamp room",
}
local keeper = vidu.img2video{
  name = "keeper", model = "viduq2-pro", image = clip:last_frame(), duration = 4,
  prompt = "the keeper steps out and looks at the sea",
}

for _, c in ipairs{ clip, table.unpack(async.all{ push, keeper }) } do
  print(("%-40s %5.2f s  %dx%d  %d credits"):format(c.path, c.duration, c.width, c.height,
                                                      c.credits))
end
