--- What a rendered board leaves in its folder:
---   clips/            the shots' clips (downloaded there by the client)
---   thumbs/           first, middle and last frame of each clip, 320 px wide
---   film.mp4          the cut joined by media.concat in auto mode
---   strip.png         the shots' middle frames side by side
---   storyboard.json   every shot's request, task, state, credits, file, duration
---   index.html        the contact sheet (storyboard.sheet)
--- Work already done for the same clips (thumbnails, the film, the strip) is
--- kept, so rendering an unchanged board again takes seconds.
local describe = require "storyboard.describe"
local sheet = require "storyboard.sheet"

local M = {}

local THUMB_WIDTH = 320
local STRIP_HEIGHT = 120

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- reel.mkdir, which works under --sandbox too (for folders under --out); its
-- reason kept, its fix made the board's. A SandboxViolation goes up as it is.
function M.ensure_dir(dir)
  local ok, err = pcall(reel.mkdir, dir)
  if ok then return end
  if not (vidu.Error.is(err) and err.code == "OutputFailed") then error(err, 0) end
  local prefix = ("reel.mkdir: cannot make the folder %s: "):format(dir)
  local why = err.message:sub(1, #prefix) == prefix and err.message:sub(#prefix + 1):match("^[^;]*")
  why = why and (" (" .. why .. ")") or ""
  error(vidu.Error.new{ code = "OutputFailed", message = ("cannot create the folder %s%s; "
        .. "choose another with --out or storyboard.new{ out = ... }"):format(dir, why), path = dir }, 0)
end

-- Whole or not at all: written beside, then renamed over.
local function write_file(path, text)
  local temp = ("%s.%d.part"):format(path, math.random(1, 1 << 30))
  local f, err = io.open(temp, "wb")
  if not f then
    error(vidu.Error.new{ code = "OutputFailed", message = ("cannot write %s: %s"):format(path, err), path = path }, 0)
  end
  f:write(text)
  f:close()
  assert(os.rename(temp, path))
end
M.write_file = write_file

local function relative(board, path)
  if not path then return nil end
  local prefix = board.out .. "/"
  return path:sub(1, #prefix) == prefix and path:sub(#prefix + 1) or path
end

local function basename(path) return (path:match("([^/]+)$") or path):gsub("%.mp4$", "") end

local function read_manifest(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local ok, value = pcall(json.decode, text)
  return ok and type(value) == "table" and value or nil
end

-- First, middle and last frame of every clip, made once per clip file.
local function thumbnails(board, state)
  local dir = board.out .. "/thumbs"
  M.ensure_dir(dir)
  local jobs, thumbs = {}, {}
  for id, st in pairs(state) do
    if st.clip then
      local base = dir .. "/" .. basename(st.clip.path)
      local t = { first = base .. "-first.png", middle = base .. "-middle.png", last = base .. "-last.png" }
      thumbs[id] = t
      for which, at in pairs{ first = "first", middle = st.clip.duration / 2, last = "last" } do
        if not exists(t[which]) then
          jobs[#jobs + 1] = function()
            media.frame(st.clip.path, { at = at, out = t[which], width = THUMB_WIDTH })
          end
        end
      end
    end
  end
  async.all(jobs)
  return thumbs
end

local function same_list(a, b)
  if type(a) ~= "table" or type(b) ~= "table" or #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- The film, joined again only when its clips changed.
local function film(board, plan, state, previous)
  local inputs, paths = {}, {}
  for _, shot in ipairs(plan.cut) do
    local clip = state[shot.id] and state[shot.id].clip
    if not clip then return nil end  -- a shot of the cut has no clip: no film
    paths[#paths + 1] = clip.path
    inputs[#inputs + 1] = relative(board, clip.path)
  end
  local out = board.out .. "/film.mp4"
  local before = previous and previous.film
  if before and same_list(before.inputs, inputs) and exists(out) then return before, out end
  local _, info = media.concat(paths, out, { mode = "auto" })
  return { path = "film.mp4", duration = info.duration, inputs = inputs, reencoded = info.reencoded }, out
end

local function strip(board, plan, thumbs, previous)
  local frames, inputs = {}, {}
  for _, shot in ipairs(plan.cut) do
    if thumbs[shot.id] then
      frames[#frames + 1] = thumbs[shot.id].middle
      inputs[#inputs + 1] = relative(board, thumbs[shot.id].middle)
    end
  end
  if #frames == 0 then return nil end
  local out = board.out .. "/strip.png"
  local before = previous and previous.strip
  if not (before and same_list(before.inputs, inputs) and exists(out)) then
    media.strip(frames, out, { height = STRIP_HEIGHT })
  end
  return { path = "strip.png", inputs = inputs }, out
end

local function shot_entry(board, plan, shot, st, thumbs, in_cut)
  local task, clip, err = st.task, st.clip, st.error
  local after = {}
  for _, r in ipairs(shot.refs) do after[#after + 1] = { shot = r.id, use = r.use, as = r.as } end
  local t = thumbs[shot.id]
  return {
    id = shot.id,
    kind = shot.kind,
    model = shot.model,
    group = shot.group,
    prompt = shot.spec.text or shot.spec.prompt,
    request = describe.request(board, shot),
    after = json.array(after),
    in_cut = in_cut,
    extended_by = shot.extended_by,
    estimated_credits = shot.credits,
    task_id = task and task.id or nil,
    state = task and task.state or (err and "skipped") or "not started",
    replayed = task and (task.replayed == true),  -- came from the journal, no new task
    credits = clip and clip.credits or (task and task.credits) or nil,
    file = clip and relative(board, clip.path) or nil,
    duration = clip and clip.duration or nil,
    width = clip and clip.width or nil,
    height = clip and clip.height or nil,
    fps = clip and clip.fps or nil,
    seconds = st.finished and (st.finished - st.started) or nil,
    thumbs = t and { first = relative(board, t.first), middle = relative(board, t.middle),
                     last = relative(board, t.last) } or nil,
    error = err and { code = type(err) == "table" and err.code or "ScriptError",
                      message = tostring(type(err) == "table" and err.message or err) } or nil,
  }
end

function M.write(board, plan, state)
  local manifest_path = board.out .. "/storyboard.json"
  local previous = read_manifest(manifest_path)
  local thumbs = thumbnails(board, state)
  local in_cut = {}
  for _, shot in ipairs(plan.cut) do in_cut[shot.id] = true end

  local film_entry, film_path
  if board.film then film_entry, film_path = film(board, plan, state, previous) end
  local strip_entry, strip_path = strip(board, plan, thumbs, previous)

  local credits, shots, cut, clips = 0, {}, {}, {}
  for _, shot in ipairs(board.shots) do
    local st = state[shot.id] or {}
    local entry = shot_entry(board, plan, shot, st, thumbs, in_cut[shot.id] == true)
    credits = credits + (entry.credits or 0)
    shots[#shots + 1] = entry
    clips[shot.id] = st.clip
  end
  for _, shot in ipairs(plan.cut) do cut[#cut + 1] = shot.id end
  local manifest = {
    title = board.title,
    credits = credits,
    estimated_credits = plan.credits,
    film = film_entry,
    film_wanted = board.film,
    strip = strip_entry,
    cut = json.array(cut),
    shots = json.array(shots),
  }
  write_file(manifest_path, json.encode(manifest, { indent = 2 }) .. "\n")
  local sheet_path = board.out .. "/index.html"
  write_file(sheet_path, sheet.html(manifest))
  return {
    path = film_path,
    sheet = sheet_path,
    manifest = manifest_path,
    strip = strip_path,
    credits = credits,
    duration = film_entry and film_entry.duration or nil,
    shots = clips,
  }
end

return M
