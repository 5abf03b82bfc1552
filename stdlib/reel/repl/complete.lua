--- The REPL's Tab completion (see reel.repl.complete).
---
--- Everything here only looks: tables are walked with rawget and next, and
--- the only code run is the loading of reel's own lazy modules (vidu, media),
--- vidu.options and vidu.models. An __index function of an unknown object is
--- never called.
local pretty = require "reel.repl.pretty"

local M = {}

local is_identifier = pretty.is_identifier

-- The vidu calls whose options table is completed.
local KINDS = {
  text2video = true, img2video = true, start_end = true, reference = true,
  extend = true, multiframe = true,
}

-- The REPL's own commands, completed on a first line that starts with ".".
M.COMMANDS = { ".exit", ".help", ".tasks" }

-- A sorted list of the distinct `prefix .. name` for names starting with
-- `partial`. Metamethods (__index, __name) only when the partial asks for them.
local function finish(names, partial, prefix)
  local seen, out = {}, {}
  local hidden = partial:match("^__") and "^$" or "^__"
  for _, name in ipairs(names) do
    if name:sub(1, #partial) == partial and not seen[name] and not name:match(hidden) then
      seen[name] = true
      out[#out + 1] = (prefix or "") .. name
    end
  end
  table.sort(out)
  return out
end

local function metatable(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt or nil
end

-- reel's lazy modules are empty proxies until first used; pairs loads them.
local function loaded(name, v)
  local mt = type(v) == "table" and metatable(v)
  if mt and rawget(mt, "__pairs") and package.loaded[name] == v then pcall(pairs, v) end
  return v
end

-- The tables a value's keys are looked up in: itself (a table), then the
-- __index tables of its metatables (a Clip's methods, a string's library),
-- a few levels deep.
local function sources(v)
  local list = {}
  if type(v) == "table" then list[1] = { t = v, own = true } end
  local seen = { [v] = true }
  local cur = v
  for _ = 1, 4 do
    local mt = metatable(cur)
    if not mt then break end
    local methods = rawget(mt, "methods")
    if type(methods) == "table" then list[#list + 1] = { t = methods, methods = true } end
    local fields = rawget(mt, "fields")
    if type(fields) == "table" then list[#list + 1] = { fields = fields } end
    local index = rawget(mt, "__index")
    if type(index) ~= "table" or seen[index] then break end
    seen[index] = true
    list[#list + 1] = { t = index }
    cur = index
  end
  return list
end

-- v[key] without running code: raw in the value, then in its sources.
local function lookup(v, key)
  for _, s in ipairs(sources(v)) do
    if s.t then
      local x = rawget(s.t, key)
      if x ~= nil then return x end
    end
  end
end

-- The completable keys of v: after "." every identifier key, after ":" the
-- function-valued ones.
local function keys(v, methods_only)
  local names = {}
  for _, s in ipairs(sources(v)) do
    if s.fields then
      if not methods_only then
        for _, name in ipairs(s.fields) do
          if is_identifier(name) then names[#names + 1] = name end
        end
      end
    elseif s.t and (methods_only or not s.methods) then  -- t:wait, not t.wait
      for k, x in next, s.t do
        if is_identifier(k) and (not methods_only or type(x) == "function") then
          names[#names + 1] = k
        end
      end
    end
  end
  return names
end

-- Names, fields and methods: `word` ends in a dotted path such as vidu.te or
-- clip:la (anything before it, like "x-" in "x-vidu.te", is kept as is).
local function complete_path(word, prefix)
  local head, expr = "", word
  if not word:match("^[:.][%w_]*$") then  -- not ("x"):fo
    local at = word:find("[%a_][%w_%.:]*$") or (#word + 1)
    head, expr = word:sub(1, at - 1), word:sub(at)
    if expr == "" and head:match("[%w_.:]$") then return {} end  -- 2, x.. or a.b-c.
  end
  local path, sep, partial = expr:match("^(.-)([%.:])([%w_]*)$")
  if not path then
    -- A bare name: globals and keywords ("(x):" style methods are below).
    local names = keys(_G)
    for k in pairs(pretty.KEYWORDS) do names[#names + 1] = k end
    return finish(names, expr, head)
  end
  local v
  if path == "" then
    -- ("text"):fo -- a string's methods, the only value a word-less : can name cheaply.
    if sep ~= ":" or not prefix:match("[\"'%]]%)$") then return {} end
    v = ""
  else
    if path:find(":", 1, true) or path:find("%.%.") or path:match("%.$") then return {} end
    v = _G
    for step in path:gmatch("[^.]+") do
      if not is_identifier(step) then return {} end
      local ok, x = pcall(lookup, v, step)
      if not ok or x == nil then return {} end
      v = v == _G and loaded(step, x) or x
    end
  end
  return finish(keys(v, sep == ":"), partial, head .. path .. sep)
end

-- Scans Lua text (cheaply: strings and comments skipped, brackets matched)
-- and returns the stack of open brackets at its end, each { ch, kind, given },
-- where kind is set for the table of a vidu.<kind>{ or vidu.<kind>({ call and
-- given holds the keys already written in it; and the last two tokens.
local function scan(text)
  local stack, tokens = {}, {}
  local i, n = 1, #text
  local function push_token(tok)
    tokens[#tokens + 1] = tok
    if #tokens > 8 then table.remove(tokens, 1) end
  end
  local function last(k) return tokens[#tokens - k + 1] end
  while i <= n do
    local c = text:sub(i, i)
    local long = text:match("^%[(=*)%[", i)
    if text:sub(i, i + 1) == "--" then
      local level = text:match("^%-%-%[(=*)%[", i)
      local close
      if level then
        close = select(2, text:find("]" .. level .. "]", i, true))
      else
        close = text:find("\n", i, true)
      end
      i = (close or n) + 1
    elseif long then
      local _, close = text:find("]" .. long .. "]", i, true)
      push_token("<str>")
      i = (close or n) + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= n and text:sub(j, j) ~= c and text:sub(j, j) ~= "\n" do
        j = j + (text:sub(j, j) == "\\" and 2 or 1)
      end
      push_token("<str>")
      i = j + 1
    elseif c:match("[%a_]") then
      local name = text:match("^[%w_]+", i)
      push_token(name)
      i = i + #name
    elseif c:match("%s") then
      i = i + 1
    else
      local op = text:match("^[=~<>]=", i) or text:match("^%.%.%.?", i) or c
      if op == "{" or op == "(" or op == "[" then
        local kind
        local a, b, d = last(1), last(2), last(3)
        if op == "{" and a == "(" then a, b, d = b, d, last(4) end
        if op ~= "[" and KINDS[a] and b == "." and d == "vidu" then kind = a end
        stack[#stack + 1] = { ch = op, kind = kind, given = {} }
      elseif op == "}" or op == ")" or op == "]" then
        stack[#stack] = nil
      elseif op == "=" then
        local top = stack[#stack]
        local sep = last(2)
        if top and top.kind and is_identifier(last(1)) and (sep == "{" or sep == "," or sep == ";") then
          top.given[last(1)] = true
        end
      end
      push_token(op)
      i = i + #op
    end
  end
  return stack, tokens[#tokens], tokens[#tokens - 1]
end

local function names_from(fn, kind)
  if type(fn) ~= "function" then return {} end
  local ok, list = pcall(fn, kind)
  return ok and type(list) == "table" and list or {}
end

--- complete(before, word) -> sorted list of replacements for word.
function M.complete(before, word)
  before, word = before or "", word or ""
  local prefix = before
  if word ~= "" and before:sub(-#word) == word then prefix = before:sub(1, -#word - 1) end

  if prefix == "" and word:match("^%.%a*$") then return finish(M.COMMANDS, word) end

  -- model = "viduq2-p: the models that make this kind.
  local quoted = prefix:match("^(.*)[\"']$")
  if quoted then
    local stack, a, b = scan(quoted)
    local top = stack[#stack]
    if top and top.kind and a == "=" and b == "model" then
      local vidu = loaded("vidu", rawget(_G, "vidu"))
      return finish(names_from(type(vidu) == "table" and rawget(vidu, "models"), top.kind), word)
    end
    return complete_path(word, prefix)
  end

  -- vidu.text2video{ model = "viduq2", pro: the options not yet given.
  if word:match("^[%a_]?[%w_]*$") then
    local stack, a = scan(prefix)
    local top = stack[#stack]
    if top and top.kind and (a == "{" or a == "," or a == ";") then
      local vidu = loaded("vidu", rawget(_G, "vidu"))
      local names = {}
      for _, name in ipairs(names_from(type(vidu) == "table" and rawget(vidu, "options"), top.kind)) do
        if not top.given[name] then names[#names + 1] = name end
      end
      return finish(names, word)
    end
  end

  return complete_path(word, prefix)
end

return M
