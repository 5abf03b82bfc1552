--- The policy of `reel repl`, in Lua: how results and errors read, what Tab
--- offers, and the dot commands. The line editing is C++ (bindings/repl.cpp);
--- it calls these functions.
---
---   repl.eval(fn)               --> true, text|nil  or  false, text
---   repl.results(n, ...)        --> the values of a line, pretty, tab-separated
---   repl.pretty(v [, opts])     --> one value, readable
---   repl.error_line(err)        --> "<code> (shot "x"): <message>" for a vidu.Error
---   repl.describe_error(err, traceback)
---   repl.complete(before, word) --> { replacement, ... }
---   repl.command(".tasks 5")    --> text
local pretty = require "reel.repl.pretty"
local complete = require "reel.repl.complete"

local M = {}

local is_vidu_error = pretty.is_vidu_error

--- repl.error_line(err) -> "<code>: <message>", naming the shot when the
--- message does not.
function M.error_line(err)
  if type(err) ~= "table" then return tostring(err) end
  local code = err.code ~= nil and tostring(err.code) or nil
  local message = err.message ~= nil and tostring(err.message) or tostring(err)
  local shot = err.shot or err.name
  if shot ~= nil and not message:find(('"%s"'):format(tostring(shot)), 1, true) then
    code = ("%s (shot %q)"):format(code or "error", tostring(shot))
  end
  return code and (code .. ": " .. message) or message
end

--- repl.pretty(value [, opts]) -> string. opts: width (72), depth (4), items (50).
function M.pretty(value, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.error_line = o.error_line or M.error_line
  return pretty.value(value, o)
end

--- repl.results(n, ...) -> nil when n == 0, else each value pretty, joined by tabs.
function M.results(n, ...)
  if not n or n == 0 then return nil end
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    local ok, text = pcall(M.pretty, v)
    parts[i] = ok and text or tostring(v)
  end
  return table.concat(parts, "\t")
end

-- The traceback lines that belong to the line typed, not to the REPL that ran
-- it (this module, xpcall, the C entry).
local function user_traceback(traceback)
  if type(traceback) ~= "string" then return nil end
  local at = traceback:find("stack traceback:", 1, true)
  if not at then return nil end
  local kept = {}
  for line in traceback:sub(at):gmatch("[^\n]+") do
    local machinery = line:find("reel/repl[%./]") or line:find("[C]: in function 'xpcall'", 1, true)
        or line:match("^%s*%[C%]: in %?$") or line == "stack traceback:"
    if not machinery then kept[#kept + 1] = line end
  end
  if #kept == 0 then return nil end
  return "stack traceback:\n" .. table.concat(kept, "\n")
end

--- repl.describe_error(err, traceback) -> what the REPL prints for an error.
function M.describe_error(err, traceback)
  if is_vidu_error(err) then return "error: " .. M.error_line(err) end
  local message
  if type(err) == "string" or type(err) == "number" then
    message = tostring(err)
  else
    local mt = getmetatable(err)
    if type(mt) == "table" and rawget(mt, "__tostring") then
      local ok, s = pcall(tostring, err)
      message = ok and s or ("(error object is a %s value)"):format(type(err))
    else
      message = ("(error object is a %s value)"):format(type(err))
    end
  end
  local tb = user_traceback(traceback)
  return tb and (message .. "\n" .. tb) or message
end

--- repl.eval(fn) -> true, text|nil on success, false, text on error. Runs in
--- the caller's fiber: fn may wait (xpcall is yieldable in Lua 5.4).
function M.eval(fn)
  local traceback
  local function handler(e)
    -- Level 2: from where the error was raised, not from this handler.
    traceback = debug.traceback(type(e) == "string" and e or nil, 2)
    return e
  end
  local r = table.pack(xpcall(fn, handler))
  if r[1] then return true, M.results(r.n - 1, table.unpack(r, 2, r.n)) end
  return false, M.describe_error(r[2], traceback)
end

--- repl.complete(before, word) -> sorted replacements for word (see complete.lua).
M.complete = complete.complete

-- "12 s", "3 m", "2 h", "5 d": whole units, rounded down, as `reel tasks` shows them.
local function age(seconds)
  local s = math.max(0, math.floor(seconds))
  if s < 60 then return s .. " s" end
  if s < 3600 then return s // 60 .. " m" end
  if s < 86400 then return s // 3600 .. " h" end
  return s // 86400 .. " d"
end

local function cell(v)
  if v == nil or v == "" then return "-" end
  if math.type(v) == "float" and v == math.floor(v) then v = math.tointeger(v) end
  return tostring(v)
end

--- repl.format_tasks(rows, path, now) -> the .tasks table. rows come newest
--- first (vidu.journal); they are shown oldest first, the newest next to the prompt.
function M.format_tasks(rows, path, now)
  if #rows == 0 then return ("the journal holds no tasks yet (%s)"):format(path or "?") end
  now = now or os.time()
  local lines = { { "ID", "SHOT", "KIND", "MODEL", "STATE", "CREDITS", "AGE", "FILE" } }
  for i = #rows, 1, -1 do
    local r = rows[i]
    local state = cell(r.state)
    if r.err_code and r.err_code ~= "" then state = ("%s (%s)"):format(state, r.err_code) end
    local created = tonumber(r.created_at)
    lines[#lines + 1] = {
      cell(r.id), cell(r.shot), cell(r.kind), cell(r.model), state, cell(r.credits),
      (created and created > 0) and age(now - created) or "-",
      cell(type(r.file) == "string" and r.file:match("[^/]*$") or nil),
    }
  end
  local widths = {}
  for _, line in ipairs(lines) do
    for c, text in ipairs(line) do widths[c] = math.max(widths[c] or 0, utf8.len(text) or #text) end
  end
  local out = {}
  for _, line in ipairs(lines) do
    local padded = {}
    for c, text in ipairs(line) do
      padded[c] = c < #line and text .. (" "):rep(widths[c] - (utf8.len(text) or #text)) or text
    end
    out[#out + 1] = table.concat(padded, "  ")
  end
  return table.concat(out, "\n")
end

local HELP = [[
reel repl: Lua 5.4 with reel's modules loaded

modules
  vidu        the Vidu client: vidu.text2video{...}, img2video, start_end,
              reference, extend, multiframe give a Task at once; t:wait() a Clip
  media       FFmpeg in process: media.probe, check, frame, strip, concat
  async       fibers: async.spawn(fn), handle:wait(), async.all{...}, async.sleep
  json        json.encode(value), json.decode(text)
  storyboard  require "storyboard": shots as a graph, rendered into one film

commands
  .help       this text
  .tasks [N]  the journal's N most recent tasks (default 10), newest last
  .exit       leave the REPL

keys and habits
  Tab         completes names, fields, methods, and option names inside
              vidu.<kind>{...} (and model names after model = ")
  =expr       prints the value of expr, as does a bare expression
  t:wait()    shows live progress; Ctrl-C stops waiting (the task keeps
              running and stays in the journal)
  Ctrl-D      exits
history: $XDG_STATE_HOME/reel/history (default ~/.local/state/reel/history)]]

local function tasks(arg)
  local n = 10
  if arg ~= "" then
    n = arg:match("^%d+$") and tonumber(arg)
    if not n or n < 1 then
      return (".tasks takes a positive whole number of tasks to show, not %q"):format(arg)
    end
  end
  local vidu = rawget(_G, "vidu")
  local journal = type(vidu) == "table" and vidu.journal
  if type(journal) ~= "function" then return "this reel has no vidu.journal" end
  -- One more than asked, to tell whether there are more.
  local ok, rows, path = pcall(journal, { limit = n + 1 })
  if not ok then return M.describe_error(rows) end
  local more = #rows > n
  local shown = table.move(rows, 1, math.min(#rows, n), 1, {})
  local text = M.format_tasks(shown, path, os.time())
  if more then text = text .. ("\n(the %d most recent; .tasks %d shows more)"):format(n, n * 2) end
  return text
end

--- repl.command(line) -> the text a dot command prints.
function M.command(line)
  local name, arg = line:match("^%s*%.(%a[%w_]*)%s*(.-)%s*$")
  if name == "help" then return HELP end
  if name == "tasks" then return tasks(arg) end
  if name == "exit" then return "" end  -- the C++ side ends the loop
  return ("unknown command .%s; .help lists the commands"):format(name or line:match("^%s*%.?(%S*)"))
end

return M
