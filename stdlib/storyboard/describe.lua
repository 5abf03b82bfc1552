--- Words for a storyboard: a shot's request as a person reads it (frames of
--- other shots named, never inlined), and the plan printed by sb:plan().
local storyboard = require "storyboard"

local M = {}

local USE_WORDS = { last = "last frame of ", first = "first frame of ", clip = "clip of " }
M.USE_WORDS = USE_WORDS

--- The shot's request with other shots' outputs named ("last frame of open")
--- and Frames shown by their file: what storyboard.json and the plan show.
function M.request(board, shot)
  return storyboard.request(board, shot, function(ref, use) return USE_WORDS[use] .. ref end)
end

local function show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) ~= "table" then return tostring(v) end
  if v.path then return ("%q"):format(v.path) end
  local parts = {}
  if #v > 0 then
    for _, x in ipairs(v) do parts[#parts + 1] = show(x) end
    return "{ " .. table.concat(parts, ", ") .. " }"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. " = " .. show(v[k]) end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

--- One line of options, sorted, without model (shown apart).
function M.options_line(opts)
  local keys = {}
  for k in pairs(opts) do
    if k ~= "model" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. " = " .. show(opts[k]) end
  return table.concat(parts, ", ")
end

function M.plan(board, plan)
  local out = {}
  local function line(fmt, ...) out[#out + 1] = fmt:format(...) end
  line("storyboard %q: %d shot%s, %d in the cut, ~%d credits in total", board.title,
       #board.shots, #board.shots == 1 and "" or "s", #plan.cut, plan.credits)
  line("  %-12s %-11s %-14s %8s  %s", "SHOT", "KIND", "MODEL", "CREDITS", "AFTER")
  for _, shot in ipairs(plan.order) do
    local after = {}
    for _, r in ipairs(shot.refs) do after[#after + 1] = USE_WORDS[r.use] .. r.id end
    line("  %-12s %-11s %-14s %8s  %s", shot.id, shot.kind, shot.model, "~" .. shot.credits,
         #after > 0 and table.concat(after, ", ") or "-")
    line("  %12s %s", "", M.options_line(M.request(board, shot)))
  end
  local cut = {}
  for _, shot in ipairs(plan.cut) do
    cut[#cut + 1] = shot.id .. ("%s"):format(shot.predicted and (" (~" .. shot.predicted .. " s)") or "")
  end
  line("  cut: %s", table.concat(cut, " | "))
  return table.concat(out, "\n") .. "\n"
end

return M
