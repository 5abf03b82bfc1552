-- A ten-shot storyboard in plain Lua on vidu.* (no storyboard module), the
-- script the journal's end-to-end specs kill and run again (issue 6). Every
-- shot has an explicit name and seed, so the simulator renders the same
-- bytes for it whatever run or simulator process makes it.
--
--   reel run --out DIR [--journal FILE] storyboard.lua [MEDIA_DIR]
--
-- MEDIA_DIR (default $REEL_TEST_MEDIA) holds the fixtures made by
-- tests/media/make_fixtures.sh. Prints one line per shot, tab-separated:
--   shot <TAB> name <TAB> task id <TAB> file
-- then `film <TAB> file` for the joined film (in the order of the cut).
local MEDIA = arg[1] or os.getenv("REEL_TEST_MEDIA")
assert(MEDIA and MEDIA ~= "", "usage: storyboard.lua MEDIA_DIR (or set REEL_TEST_MEDIA)")
local PNG, JPG, WEBP = MEDIA .. "/image.png", MEDIA .. "/image.jpg", MEDIA .. "/image.webp"

local LOOK = { resolution = "540p" }
local function shot(name, seed, opts)
  opts.name, opts.seed = name, seed
  for k, v in pairs(LOOK) do if opts[k] == nil then opts[k] = v end end
  return opts
end

local tasks = {}

-- First wave: six shots in flight at once (the simulator runs five at a
-- time, so one queues).
tasks.dawn = vidu.text2video(shot("dawn", 101, { model = "viduq2", duration = 4,
  aspect_ratio = "16:9", prompt = "a lighthouse at dawn, the lamp still turning" }))
tasks.sea = vidu.text2video(shot("sea", 102, { model = "viduq2", duration = 1,
  aspect_ratio = "16:9", prompt = "grey waves breaking on the rocks below" }))
tasks.gull = vidu.text2video(shot("gull", 103, { model = "viduq2", duration = 1,
  aspect_ratio = "16:9", prompt = "a gull hanging in the wind over the sea" }))
tasks.keeper = vidu.img2video(shot("keeper", 104, { model = "viduq2-turbo", duration = 1,
  image = PNG, prompt = "the keeper's window, light moving across it" }))
tasks.storm = vidu.text2video(shot("storm", 105, { model = "viduq2", duration = 1,
  aspect_ratio = "16:9", prompt = "storm clouds rolling in from the west" }))
tasks.crew = vidu.reference(shot("crew", 106, { model = "viduq2", duration = 1,
  aspect_ratio = "16:9", images = { JPG, WEBP }, prompt = "the crew of the supply boat" }))

local first = async.all{ tasks.dawn, tasks.sea, tasks.gull, tasks.storm }
local dawn, sea, gull, storm = first[1], first[2], first[3], first[4]

-- Second wave, from the first wave's clips and frames, again all at once.
tasks.dawn_more = vidu.extend(shot("dawn_more", 107, { model = "viduq2-pro", duration = 1,
  video = dawn, prompt = "the sun clears the horizon" }))
tasks.bridge = vidu.start_end(shot("bridge", 108, { model = "viduq2-pro", duration = 1,
  first = sea:last_frame(), last = gull:first_frame(), prompt = "from the waves up to the gull" }))
tasks.lamp = vidu.img2video(shot("lamp", 109, { model = "viduq2-pro", duration = 1,
  image = storm:last_frame(), prompt = "the lamp lights against the storm" }))
tasks.night = vidu.text2video(shot("night", 110, { model = "viduq2", duration = 1,
  aspect_ratio = "16:9", prompt = "night, the beam sweeping the dark water" }))

-- The cut: the extension takes the place of the shot it continues.
local CUT = { "dawn_more", "sea", "bridge", "gull", "keeper", "crew", "storm", "lamp", "night" }
local ALL = { "dawn", "sea", "gull", "keeper", "storm", "crew", "dawn_more", "bridge", "lamp", "night" }

local waiting = {}
for i, name in ipairs(ALL) do waiting[i] = tasks[name] end
local clips = {}
for i, clip in ipairs(async.all(waiting)) do clips[ALL[i]] = clip end

local reel_out = clips.dawn.path:match("^(.*)/[^/]+$")
local cut = {}
for i, name in ipairs(CUT) do cut[i] = clips[name] end
local film = media.concat(cut, reel_out .. "/film.mp4")

for _, name in ipairs(ALL) do
  io.stdout:write(("shot\t%s\t%s\t%s\n"):format(name, tasks[name].id, clips[name].path))
end
io.stdout:write(("film\t%s\n"):format(film))
