--- The shot graph of a storyboard: which shots a shot needs, the order they
--- can run in, the cut, and the chain rules that can be checked before
--- anything is submitted (vidu-api.md: an extended video lasts 4-60 s;
--- start and end frames within 0.8-1.25 of each other in size).
local M = {}

local function is_ref(v) return type(v) == "string" and v:match("^[%a_][%w_%-]*$") ~= nil end

local function fail(code, message, extra)
  local e = { code = code, message = message }
  for k, v in pairs(extra or {}) do e[k] = v end
  error(vidu.Error.new(e), 0)
end

--- The other shots a shot uses: { { id =, use = "last" | "first" | "clip", as = option } }.
function M.refs(shot)
  local s, refs = shot.spec, {}
  local function add(v, use, as)
    if is_ref(v) then refs[#refs + 1] = { id = v, use = use, as = as } end
  end
  add(s.image, "last", "image")
  add(s.from, "last", "from")
  add(s.to, "first", "to")
  add(s.extend, "clip", "extend")
  add(s.last, "first", "last")
  if s.reference ~= nil then
    for _, v in ipairs(type(s.reference) == "table" and s.reference or { s.reference }) do
      add(v, "last", "reference")
    end
  end
  for _, v in ipairs(s.videos or {}) do add(v, "clip", "videos") end
  if type(s.multiframe) == "table" then
    add(s.multiframe.start, "last", "multiframe.start")
    for _, f in ipairs(s.multiframe.frames or {}) do add(f.image, "last", "multiframe.frames") end
  end
  return refs
end

-- Seconds a shot's clip will last, as far as the declaration says.
local function default_duration(model) return model:match("^vidu2") and 4 or 5 end

local function predicted_duration(board, shot, seen)
  if shot.predicted then return shot.predicted end
  local s = shot.spec
  local d
  if shot.kind == "extend" then
    local source = board.by_id[s.extend]
    d = predicted_duration(board, source, seen) + (s.duration or board.duration or 5)
  elseif shot.kind == "multiframe" then
    d = 0
    for _, f in ipairs(s.multiframe.frames or {}) do d = d + (f.duration or 5) end
  else
    d = s.duration or board.duration or default_duration(shot.model)
  end
  shot.predicted = d
  return d
end

-- Pixels of a frame at each resolution (16:9 and its turns and squares keep
-- about the same count: Vidu sizes by the short side).
local SHORT_SIDE = { ["360p"] = 360, ["540p"] = 540, ["720p"] = 720, ["1080p"] = 1080 }
local ASPECT = { ["16:9"] = 16 / 9, ["9:16"] = 9 / 16, ["1:1"] = 1, ["4:3"] = 4 / 3, ["3:4"] = 3 / 4 }

-- Width x height of an image input (a file or a Frame); nil when unknown (a URL).
local function image_pixels(v)
  if type(v) == "table" and v.width and v.height then return v.width * v.height end
  if type(v) ~= "string" or v:match("^%a+://") then return nil end
  local ok, facts = pcall(media.probe, v)
  if ok and facts.video then return facts.video.width * facts.video.height end
  return nil
end

-- The pixels of a shot's frames, as far as its declaration says.
local function shot_pixels(board, shot)
  local s = shot.spec
  if shot.kind == "extend" then return shot_pixels(board, board.by_id[s.extend]) end
  local short = SHORT_SIDE[s.resolution or board.resolution or ""]
  if not short then return nil end
  local aspect = ASPECT[s.aspect_ratio or board.aspect_ratio or "16:9"] or 16 / 9
  return short * short * math.max(aspect, 1 / aspect)
end

local function pixels_of(board, v)
  if is_ref(v) then return shot_pixels(board, board.by_id[v]) end
  return image_pixels(v)
end

--- Checks the whole board; returns the plan: shots in an order they can run
--- in (each after what it needs), the cut, credits.
function M.check(board)
  if #board.shots == 0 then
    fail("BoardInvalid", ("storyboard %q has no shots; add some with sb:shot{...}"):format(board.title))
  end
  local extended_by = {}
  for _, shot in ipairs(board.shots) do
    for _, r in ipairs(shot.refs) do
      if not board.by_id[r.id] then
        fail("ShotInvalid", ("shot %q: %s = %q names no shot of this board (shots: %s); a file "
             .. "name needs a dot or a slash, e.g. \"./%s.png\""):format(shot.id, r.as, r.id,
             table.concat((function() local t = {} for _, x in ipairs(board.shots) do t[#t + 1] = x.id end return t end)(), ", "),
             r.id), { shot = shot.id, field = r.as })
      end
      if r.id == shot.id then
        fail("ShotInvalid", ("shot %q uses itself (%s)"):format(shot.id, r.as), { shot = shot.id })
      end
    end
    if shot.kind == "extend" then
      local other = extended_by[shot.spec.extend]
      if other then
        fail("ShotInvalid", ("shot %q extends %q, which %q already extends; an extension takes "
             .. "its source's place in the cut, so extend %q instead"):format(shot.id,
             shot.spec.extend, other, other), { shot = shot.id, field = "extend" })
      end
      extended_by[shot.spec.extend] = shot.id
    end
  end

  -- Order: depth-first, reporting the cycle it meets.
  local order, mark, stack = {}, {}, {}
  local function visit(shot)
    if mark[shot] == "done" then return end
    if mark[shot] == "active" then
      local cycle, started = {}, false
      for _, s in ipairs(stack) do
        if s == shot then started = true end
        if started then cycle[#cycle + 1] = s.id end
      end
      cycle[#cycle + 1] = shot.id
      fail("ShotInvalid", ("shots wait for each other in a cycle: %s; one of them must start "
           .. "from an image instead"):format(table.concat(cycle, " -> ")), { shot = shot.id })
    end
    mark[shot] = "active"
    stack[#stack + 1] = shot
    for _, r in ipairs(shot.refs) do visit(board.by_id[r.id]) end
    stack[#stack] = nil
    mark[shot] = "done"
    order[#order + 1] = shot
  end
  for _, shot in ipairs(board.shots) do visit(shot) end

  -- Chains that cannot work.
  for _, shot in ipairs(board.shots) do
    local s = shot.spec
    if shot.kind == "extend" then
      local source = board.by_id[s.extend]
      local d = predicted_duration(board, source)
      if d < 4 or d > 60 then
        fail("ChainInvalid", ("shot %q extends %q, which will last about %g s; Vidu extends "
             .. "videos of 4 to 60 s, so give %q a duration in that range"):format(shot.id,
             source.id, d, source.id), { shot = shot.id, field = "extend" })
      end
    end
    if shot.kind == "start_end" then
      local a, b = pixels_of(board, s.from), pixels_of(board, s.to)
      if a and b and (a / b < 0.8 or a / b > 1.25) then
        fail("ChainInvalid", ("shot %q: its start frame (%s, about %d pixels) and end frame "
             .. "(%s, about %d pixels) differ %.2f times in size; Vidu needs start/end within "
             .. "0.8-1.25, so use an end image of the start frame's size or change the "
             .. "resolution"):format(shot.id, tostring(s.from), a, tostring(s.to), b, a / b),
             { shot = shot.id, field = "to" })
      end
    end
  end

  -- The cut: declaration order, each shot replaced by the last shot of its
  -- extension chain.
  local cut = {}
  for _, shot in ipairs(board.shots) do
    if shot.kind ~= "extend" then
      local last = shot
      while extended_by[last.id] do last = board.by_id[extended_by[last.id]] end
      cut[#cut + 1] = last
    end
  end
  local credits = 0
  for _, shot in ipairs(board.shots) do
    credits = credits + shot.credits
    shot.extended_by = extended_by[shot.id]
    predicted_duration(board, shot)
  end
  return { order = order, cut = cut, credits = credits, shots = board.shots }
end

return M
