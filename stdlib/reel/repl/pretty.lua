--- The REPL's pretty printer: one value as readable text.
---
---   pretty.value({ 1, 2, a = "x" })   --> { 1, 2, a = "x" }
---
--- Tables are shown sorted (array part, then identifier keys, then the rest),
--- on one line when they fit in opts.width columns, else one entry a line.
--- Objects with __tostring are one line; vidu.Error goes through
--- opts.error_line so the REPL shows every error the same way.
local M = {}

local KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[word] = true
end
M.KEYWORDS = KEYWORDS

function M.is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil and not KEYWORDS[s]
end

-- Display width: UTF-8 characters count once (the … of `{…}` included).
local function width(s)
  return utf8.len(s) or #s
end

local ESCAPES = {
  ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
  ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f", ["\v"] = "\\v",
}

-- Like %q, but a newline reads as \n, and UTF-8 text stays as it is; bytes
-- that are not valid UTF-8 show as \xHH so the terminal is not garbled.
function M.quote(s)
  local body = s:gsub('[%c\\"]', function(c)
    return ESCAPES[c] or ("\\%03d"):format(c:byte())
  end)
  if not utf8.len(body) then
    body = body:gsub("[\128-\255]", function(c) return ("\\x%02X"):format(c:byte()) end)
  end
  return '"' .. body .. '"'
end

-- tostring that never raises and always gives a string.
local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  local mt = getmetatable(v)
  local name = type(mt) == "table" and rawget(mt, "__name")
  return (type(name) == "string" and name or type(v)) .. ": (tostring failed)"
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

-- vidu.Error.is without loading vidu: nothing made one if it is not loaded.
function M.is_vidu_error(v)
  local vidu = rawget(_G, "vidu")
  local Error = type(vidu) == "table" and rawget(vidu, "Error")
  return type(v) == "table" and type(Error) == "table" and getmetatable(v) == Error
end

-- Every (key, value) of t, through __pairs when there is one (reel's lazy
-- modules load that way); an iterator that raises ends the list.
local function entries(t)
  local list = {}
  pcall(function()
    for k, v in pairs(t) do list[#list + 1] = { k, v } end
  end)
  return list
end

local TYPE_ORDER = { boolean = 1, number = 2, string = 3 }

-- Other keys: by type (booleans, numbers, strings, then the rest by type
-- name), then by value.
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    local oa, ob = TYPE_ORDER[ta] or 9, TYPE_ORDER[tb] or 9
    if oa ~= ob then return oa < ob end
    return ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return (not a) and b end
  return safe_tostring(a) < safe_tostring(b)
end

-- The entries of t in display order, each { label or nil, value }.
local function ordered(t)
  local all = entries(t)
  local by_key = {}
  for _, e in ipairs(all) do by_key[e[1]] = e end
  local out, n = {}, 0
  while by_key[n + 1] do  -- the array part: 1..n without a hole
    n = n + 1
    out[n] = { nil, by_key[n][2] }
  end
  local names, others = {}, {}
  for _, e in ipairs(all) do
    local k = e[1]
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      if M.is_identifier(k) then names[#names + 1] = k else others[#others + 1] = k end
    end
  end
  table.sort(names)
  table.sort(others, key_less)
  for _, k in ipairs(names) do out[#out + 1] = { k, by_key[k][2] } end
  for _, k in ipairs(others) do
    local label
    if type(k) == "string" then
      label = "[" .. M.quote(k) .. "]"
    elseif type(k) == "number" or type(k) == "boolean" then
      label = "[" .. tostring(k) .. "]"
    else
      label = "[" .. safe_tostring(k) .. "]"
    end
    out[#out + 1] = { label, by_key[k][2] }
  end
  return out
end

local render

-- A table at nesting `level` (1 at the top), starting at column `col`,
-- its entries indented by `indent` + two spaces.
local function render_table(t, o, level, col, indent, ancestors)
  if ancestors[t] then return "<cycle>" end
  local mt = getmetatable(t)
  local lazy = type(mt) == "table" and rawget(mt, "__pairs") ~= nil
  if next(t) == nil and not lazy then return "{}" end
  if level > o.depth then return "{…}" end
  local list = ordered(t)
  if #list == 0 then return "{}" end
  ancestors[t] = true
  local inner = indent .. "  "
  local parts, flat = {}, true
  for i = 1, math.min(#list, o.items) do
    local label, v = list[i][1], list[i][2]
    local head = label and (label .. " = ") or ""
    local text = head .. render(v, o, level + 1, #inner + width(head), inner, ancestors)
    parts[#parts + 1] = text
    if text:find("\n", 1, true) then flat = false end
  end
  ancestors[t] = nil
  if #list > o.items then parts[#parts + 1] = ("… %d more"):format(#list - o.items) end
  local line = "{ " .. table.concat(parts, ", ") .. " }"
  if flat and col + width(line) <= o.width then return line end
  return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
end

function render(v, o, level, col, indent, ancestors)
  local tv = type(v)
  if tv == "string" then return M.quote(v) end
  if tv == "number" or tv == "boolean" or tv == "nil" then return tostring(v) end
  if M.is_vidu_error(v) and o.error_line then return o.error_line(v) end
  if has_tostring(v) then
    -- One line: an object's own text, its first line if it has several.
    return (safe_tostring(v):gsub("\n.*", " …"))
  end
  if tv == "table" then return render_table(v, o, level, col, indent, ancestors) end
  return safe_tostring(v)
end

--- pretty.value(v [, opts]) -> string. opts: width (72), depth (4),
--- items (50), error_line (how to show a vidu.Error).
function M.value(v, opts)
  opts = opts or {}
  local o = {
    width = opts.width or 72,
    depth = opts.depth or 4,
    items = opts.items or 50,
    error_line = opts.error_line,
  }
  return render(v, o, 1, 0, "", {})
end

return M
