--- Storyboards: shots declared as a graph, rendered through the vidu client
--- (and so through the journal), cut in declaration order into one film,
--- with a manifest and a contact sheet. See README "Storyboards".
---
---   local sb = storyboard.new{ title = "Lighthouse", model = "viduq2-pro" }
---   sb:shot{ id = "open", text = "A lighthouse at dawn", model = "viduq2" }
---   sb:shot{ id = "push", extend = "open", prompt = "the camera pushes in" }
---   local film = sb:render()   --> { path, sheet, manifest, strip, credits, shots }
---
--- Everything that can be refused is refused before anything is paid for:
--- unknown keys and bad options when a shot is declared (the vidu client's own
--- checks, with placeholders for the frames other shots will make), unknown
--- shot ids, cycles and impossible chains when the board is planned or
--- rendered, before the first submission.
local graph = require "storyboard.graph"

local M = {}

local Board = {}
Board.__index = Board
Board.__name = "storyboard.Board"

-- The keys of a shot that are the storyboard's own; every other key is an
-- API option passed through to the vidu call (and checked by it).
local SHOT_KEYS = {
  id = true, text = true, prompt = true, image = true, reference = true, videos = true,
  from = true, to = true, extend = true, last = true, multiframe = true, model = true,
  duration = true, resolution = true, aspect_ratio = true, seed = true, group = true,
  timeout = true,
}
local BOARD_KEYS = {
  title = true, model = true, resolution = true, aspect_ratio = true, duration = true,
  seed = true, out = true, film = true, timeout = true,
}
-- Which vidu call each kind of shot is, and the options its API takes from
-- the board's defaults.
local TAKES_ASPECT = { text2video = true, reference = true }

local function fail(code, message, extra)
  local e = { code = code, message = message }
  for k, v in pairs(extra or {}) do e[k] = v end
  error(vidu.Error.new(e), 3)
end
M.fail = fail

local function check_type(where, key, value, want)
  if value ~= nil and type(value) ~= want then
    fail("ShotInvalid", ("%s: %s must be a %s, not a %s (%s)"):format(where, key, want,
         type(value), tostring(value)), { field = key })
  end
end

-- The folder a board writes to: --out (REEL_OUT) / the title as a file name.
local function slug(title)
  local s = title:lower():gsub("[^%w]+", "-"):gsub("^%-+", ""):gsub("%-+$", "")
  return s ~= "" and s or "storyboard"
end

--- storyboard.new{ title=, model=, resolution=, aspect_ratio=, duration=,
---   seed=, out=, film=, timeout= } -> Board
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then
    fail("BoardInvalid", "storyboard.new takes an options table, e.g. storyboard.new{ title = \"x\" }")
  end
  for k in pairs(opts) do
    if not BOARD_KEYS[k] then
      local names = {}
      for name in pairs(BOARD_KEYS) do names[#names + 1] = name end
      table.sort(names)
      fail("BoardInvalid", ("storyboard.new: unknown option %q; the options are %s")
           :format(tostring(k), table.concat(names, ", ")), { field = tostring(k) })
    end
  end
  for _, key in ipairs{ "title", "model", "resolution", "aspect_ratio", "out" } do
    check_type("storyboard.new", key, opts[key], "string")
  end
  check_type("storyboard.new", "duration", opts.duration, "number")
  local title = opts.title or "storyboard"
  local board = setmetatable({
    title = title,
    model = opts.model,
    resolution = opts.resolution,
    aspect_ratio = opts.aspect_ratio,
    duration = opts.duration,
    seed = opts.seed,
    timeout = opts.timeout,
    film = opts.film ~= false,
    out = opts.out or ((os.getenv("REEL_OUT") or "out") .. "/" .. slug(title)),
    shots = {},   -- in declaration order
    by_id = {},
    rendered = {},  -- id -> { task, clip } of an earlier render in this run
  }, Board)
  return board
end

-- A string names a shot when it looks like an identifier; anything with a
-- dot or a slash is a file or a URL. So "dusk" is a shot and "dusk.png" or
-- "./dusk" a file.
local ID_PATTERN = "^[%a_][%w_%-]*$"
local function is_ref(v) return type(v) == "string" and v:match(ID_PATTERN) ~= nil end
M.is_ref = is_ref

-- The kind of shot a declaration asks for, from its kind keys.
local function kind_of(where, s)
  local kinds = {}
  if s.text ~= nil then kinds[#kinds + 1] = "text2video" end
  if s.image ~= nil then kinds[#kinds + 1] = "img2video" end
  if s.reference ~= nil then kinds[#kinds + 1] = "reference" end
  if s.extend ~= nil then kinds[#kinds + 1] = "extend" end
  if s.multiframe ~= nil then kinds[#kinds + 1] = "multiframe" end
  if s.from ~= nil or s.to ~= nil then
    -- from alone starts an img2video from that frame; with to it is start/end.
    kinds[#kinds + 1] = s.to ~= nil and "start_end" or "img2video"
  end
  if #kinds ~= 1 then
    fail("ShotInvalid", ("%s: give exactly one of text, image, reference, from/to, extend or "
         .. "multiframe (%s)"):format(where, #kinds == 0 and "none given"
         or ("got " .. table.concat(kinds, " and "))))
  end
  if kinds[1] == "start_end" and s.from == nil then
    fail("ShotInvalid", where .. ": to needs from (a start/end shot has both frames); add "
         .. "from = a shot id or an image")
  end
  if s.text ~= nil and s.prompt ~= nil then
    fail("ShotInvalid", where .. ": text is the prompt of a text shot; give text or prompt, not both")
  end
  if s.last ~= nil and kinds[1] ~= "extend" then
    fail("ShotInvalid", where .. ": last (the end image of an extension) is for extend shots")
  end
  if s.videos ~= nil and kinds[1] ~= "reference" then
    fail("ShotInvalid", where .. ": videos are for reference shots")
  end
  return kinds[1]
end

--- sb:shot{ id=, text= | image= | reference= | from=[, to=] | extend=[, last=] |
---   multiframe=, prompt=, model=, duration=, ..., API options } -> shot
function Board:shot(s)
  if getmetatable(self) ~= Board then
    fail("ShotInvalid", "sb:shot{...} is a method: call it with a colon")
  end
  if type(s) ~= "table" then fail("ShotInvalid", "sb:shot takes an options table, e.g. sb:shot{ id = \"open\", text = \"...\" }") end
  if type(s.id) ~= "string" or not s.id:match(ID_PATTERN) then
    fail("ShotInvalid", ("sb:shot: id must be a name of letters, digits, _ and - "
         .. "(starting with a letter or _), not %s"):format(tostring(s.id)), { field = "id" })
  end
  local where = ("shot %q"):format(s.id)
  if self.by_id[s.id] then
    fail("ShotInvalid", where .. " is declared twice; give each shot its own id", { shot = s.id })
  end
  for k in pairs(s) do
    if type(k) ~= "string" then
      fail("ShotInvalid", ("%s: option keys are names, not %s"):format(where, tostring(k)), { shot = s.id })
    end
  end
  check_type(where, "text", s.text, "string")
  check_type(where, "prompt", s.prompt, "string")
  check_type(where, "group", s.group, "string")
  check_type(where, "extend", s.extend, "string")
  if s.extend ~= nil and not is_ref(s.extend) then
    fail("ShotInvalid", ("%s: extend names the shot to continue, not %q; to extend a file, "
         .. "use vidu.extend"):format(where, s.extend), { shot = s.id, field = "extend" })
  end
  local kind = kind_of(where, s)
  local shot = { id = s.id, kind = kind, spec = s, index = #self.shots + 1, group = s.group }
  shot.model = s.model or self.model
  if not shot.model then
    fail("ShotInvalid", where .. ": no model; give the shot a model or the board one "
         .. "(storyboard.new{ model = ... })", { shot = s.id, field = "model" })
  end
  shot.refs = graph.refs(shot)
  -- The request with placeholders for other shots' frames and clips, checked
  -- now by the client's own rules, so a typo costs nothing.
  local opts = M.request(self, shot, nil)
  local ok, err = vidu.validate(kind == "img2video" and "img2video" or kind, opts)
  if not ok and err.field == "model" and not s.model then
    fail(err.code, ("%s: the board's model %s does not make %s shots (%s); give this shot "
         .. "its own model"):format(where, shot.model, kind, err.message:match("allowed: .*") or err.message),
         { shot = s.id, field = "model" })
  elseif not ok then
    fail(err.code, ("%s: %s"):format(where, err.message), { shot = s.id, field = err.field,
         problems = err.problems })
  end
  shot.credits = vidu.estimate(kind, opts)
  self.shots[#self.shots + 1] = shot
  self.by_id[s.id] = shot
  return shot
end

-- Options the board gives every shot whose kind takes them.
local function defaults(board, shot, opts)
  local s = shot.spec
  opts.model = shot.model
  opts.resolution = s.resolution or board.resolution
  if TAKES_ASPECT[shot.kind] then opts.aspect_ratio = s.aspect_ratio or board.aspect_ratio end
  if shot.kind ~= "multiframe" then opts.duration = s.duration or board.duration end
  opts.seed = s.seed or board.seed
end

--- The vidu options of a shot. `inputs(ref, use)` gives what another shot
--- made ("last"/"first" frame, or "clip"); without it, placeholders stand in
--- (URLs the client does not fetch), for checking and estimating.
function M.request(board, shot, inputs)
  inputs = inputs or function(ref, use)
    return ("https://storyboard.invalid/%s-%s.%s"):format(ref, use, use == "clip" and "mp4" or "png")
  end
  local function image(v, use)
    if is_ref(v) then return inputs(v, use or "last") end
    return v
  end
  local s = shot.spec
  local opts = {}
  for k, v in pairs(s) do
    if not SHOT_KEYS[k] then opts[k] = v end  -- API options, as given
  end
  defaults(board, shot, opts)
  opts.prompt = s.text or s.prompt
  local kind = shot.kind
  if kind == "img2video" then
    opts.image = image(s.image or s.from)
  elseif kind == "start_end" then
    opts.first = image(s.from, "last")
    opts.last = image(s.to, "first")
  elseif kind == "extend" then
    opts.video = inputs(s.extend, "clip")
    if s.last ~= nil then opts.last = image(s.last, "first") end
  elseif kind == "reference" then
    local images = {}
    for i, v in ipairs(type(s.reference) == "table" and s.reference or { s.reference }) do
      images[i] = image(v)
    end
    opts.images = images
    if s.videos then
      local videos = {}
      for i, v in ipairs(s.videos) do videos[i] = is_ref(v) and inputs(v, "clip") or v end
      opts.videos = videos
    end
  elseif kind == "multiframe" then
    local m = s.multiframe
    local frames = {}
    for i, f in ipairs(m.frames or {}) do
      frames[i] = { image = image(f.image), prompt = f.prompt, duration = f.duration }
    end
    opts.start = image(m.start)
    opts.frames = frames
  end
  return opts
end

--- sb:plan() prints the shot graph, each request and the estimated credits,
--- submits nothing, and returns { shots = { {id, kind, model, credits,
--- after, request} ... }, cut = { ids }, credits = total }.
function Board:plan(opts)
  local plan = graph.check(self)
  if not (opts and opts.quiet) then io.stdout:write(require("storyboard.describe").plan(self, plan)) end
  return plan
end

--- sb:render{ only = { ids }, budget = N } -> { path, sheet, manifest, strip,
--- credits, shots = { [id] = clip } }
function Board:render(opts)
  return require("storyboard.render").render(self, opts or {})
end

M.Board = Board
return M
