-- Writes docs/lua-api.md, the reference manual of reel's Lua API, from the
-- LuaCATS type stubs in stdlib/meta/*.lua (what lua-language-server reads).
--
--   lua5.4 tools/lua_api_doc.lua [--root DIR] [--out FILE]
--
-- DIR is the source tree (default: the folder above this script), FILE the
-- manual (default DIR/docs/lua-api.md; "-" for stdout). The output depends on
-- the stubs alone, so a diff with the committed manual says it is stale
-- (tests/e2e/lua_api_doc_check.sh). Loaded with the argument "--module"
-- (loadfile(path)("--module")) it returns the parser instead, which
-- tests/lua/meta_spec.lua uses to compare the stubs with the runtime.
--
-- What the stubs say beyond LuaCATS, in their `---` description lines:
--   Errors:                      a list of what the function raises,
--   - `Code`: meaning            one item each (continued on lines that
--                                start with two spaces);
--   Example:                     a short example, in a ```lua fenced block.
-- A class whose name ends in "Options" is the options table of the function
-- that takes it: its fields (inherited ones too) are listed there.

local M = {}

-- The order of the modules in the manual; other stub files follow by name.
M.ORDER = { "vidu", "media", "async", "json", "storyboard", "reel" }

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- Reads one LuaCATS type at s[i..]: up to whitespace outside brackets and
-- quotes; "fun(...): T" and "T | U" read as one. Returns the type and the rest.
local function read_type(s)
  s = s:gsub("^%s+", "")
  local depth, quote, i = 0, nil, 1
  while i <= #s do
    local c = s:sub(i, i)
    if quote then
      if c == quote then quote = nil end
    elseif c == '"' or c == "`" then
      quote = c
    elseif c == "(" or c == "{" or c == "[" or c == "<" then
      depth = depth + 1
    elseif c == ")" or c == "}" or c == "]" or c == ">" then
      depth = depth - 1
    elseif depth == 0 and c:match("%s") then
      local rest = s:sub(i):gsub("^%s+", "")
      local prev = s:sub(i - 1, i - 1)
      if prev == ":" or prev == "|" or prev == "," then
        i = i + #s:sub(i):match("^%s+") - 1  -- "fun(): T", "A | B": go on
      elseif rest:sub(1, 1) == "|" then
        i = i + #s:sub(i):match("^%s+") - 1
      else
        return s:sub(1, i - 1), rest
      end
    end
    i = i + 1
  end
  return s, ""
end
M.read_type = read_type

-- Splits a function's description into text, errors and example.
local function split_description(lines)
  local text, errors, example = {}, {}, nil
  local mode = "text"
  for _, line in ipairs(lines) do
    if mode == "example" then
      if line:match("^```") and example.open then
        mode = "text"
      elseif line:match("^```") then
        example.open = true
      else
        example[#example + 1] = line
      end
    elseif line == "Errors:" then
      mode = "errors"
    elseif line == "Example:" then
      mode, example = "example", { open = false }
    elseif mode == "errors" and line:match("^%- ") then
      errors[#errors + 1] = line:sub(3)
    elseif mode == "errors" and line:match("^  %S") and #errors > 0 then
      errors[#errors] = errors[#errors] .. " " .. trim(line)
    elseif mode == "errors" and line == "" then
      mode = "text"
    else
      mode = "text"
      text[#text + 1] = line
    end
  end
  while text[#text] == "" do text[#text] = nil end
  while text[1] == "" do table.remove(text, 1) end
  local code = nil
  if example then
    example.open = nil
    code = table.concat(example, "\n")
  end
  return table.concat(text, "\n"), errors, code
end

-- Parses one stub file into `api` (classes and aliases are shared by all files).
local function parse_file(api, name, path)
  local f = assert(io.open(path, "r"))
  local source = f:read("a")
  f:close()
  local mod = { name = name, path = path, classes = {}, aliases = {}, functions = {}, assigns = {} }
  local bindings = {}  -- Lua expression ("vidu", "Task", "vidu.Clip") -> class name

  local block = {}  -- the pending `---` lines
  local function flush(code)
    local desc, class, alias, field_desc = {}, nil, nil, {}
    local fn = { params = {}, returns = {}, tags = {} }
    local last_class
    for _, line in ipairs(block) do
      local tag, rest = line:match("^%-%-%-@(%w+)%s*(.*)$")
      if tag == "class" then
        local exact = rest:match("^%(exact%)%s*") ~= nil
        rest = rest:gsub("^%(exact%)%s*", "")
        local cname, parents = rest:match("^([%w_%.]+)%s*:?%s*(.*)$")
        class = { name = cname, exact = exact, parents = {}, fields = {}, functions = {},
                  desc = trim(table.concat(desc, "\n")), module = name }
        for p in parents:gmatch("[%w_%.]+") do class.parents[#class.parents + 1] = p end
        assert(not api.classes[cname], path .. ": class " .. cname .. " declared twice")
        api.classes[cname] = class
        mod.classes[#mod.classes + 1] = cname
        desc, field_desc, last_class = {}, {}, class
      elseif tag == "field" then
        assert(last_class, path .. ": @field outside a class: " .. line)
        local fname, optional
        if rest:match("^%[") then
          fname, rest = rest:match("^(%b[])%s*(.*)$")
          optional = false
        else
          fname, optional, rest = rest:match("^([%w_]+)(%??)%s*(.*)$")
          optional = optional == "?"
        end
        local ftype, text = read_type(rest)
        local d = trim(table.concat(field_desc, " ") .. " " .. text)
        last_class.fields[#last_class.fields + 1] =
          { name = fname, type = ftype, optional = optional, desc = d }
        field_desc = {}
      elseif tag == "alias" then
        local aname, atype = rest:match("^([%w_%.]+)%s*(.*)$")
        alias = { name = aname, type = trim(atype), values = {},
                  desc = trim(table.concat(desc, "\n")), module = name }
        api.aliases[aname] = alias
        mod.aliases[#mod.aliases + 1] = aname
        desc = {}
      elseif tag == "param" then
        local pname, optional, prest = rest:match("^([%w_%.]+)(%??)%s*(.*)$")
        local ptype, text = read_type(prest)
        fn.params[#fn.params + 1] = { name = pname, type = ptype, optional = optional == "?",
                                      desc = trim(text) }
      elseif tag == "return" then
        local rtype, text = read_type(rest)
        local rname, rdesc = text:match("^([%a_][%w_]*)%s*(.*)$")
        if not rname then rname, rdesc = text:match("^(%.%.%.)%s*(.*)$") end
        if not rname or text:match("^#") then rname, rdesc = nil, text:gsub("^#%s*", "") end
        fn.returns[#fn.returns + 1] = { type = rtype, name = rname, desc = trim(rdesc or "") }
      elseif tag then
        fn.tags[tag] = true  -- meta, async, nodiscard, generic, overload, ...
      elseif line:match("^%-%-%-|") then
        assert(alias, path .. ": ---| outside an alias: " .. line)
        local value, text = line:match("^%-%-%-|%s*(%S+)%s*#?%s*(.*)$")
        alias.values[#alias.values + 1] = { value = value, desc = trim(text) }
      else
        local text = line:gsub("^%-%-%-", ""):gsub("^ ", "")
        if last_class then field_desc[#field_desc + 1] = trim(text) else desc[#desc + 1] = text end
      end
    end
    block = {}
    if not code then return end

    local fname, args = code:match("^function%s+([%w_%.:]+)%s*%((.-)%)")
    if fname then
      local owner, sep, key = fname:match("^(.*)([%.:])([%w_]+)$")
      fn.name, fn.owner, fn.method, fn.args, fn.display = key, owner, sep == ":", args, fname
      fn.desc, fn.errors, fn.example = split_description(desc)
      fn.module = name
      mod.functions[#mod.functions + 1] = fn
      return
    end
    local is_local, lhs, rhs = code:match("^(local%s+)([%w_]+)%s*=%s*(.-)%s*$")
    if not lhs then lhs, rhs = code:match("^([%w_%.]+)%s*=%s*(.-)%s*$") end
    if lhs then
      local bound = class and class.name or bindings[rhs]
      bindings[lhs] = bound
      if not is_local and lhs:find(".", 1, true) then
        local owner, key = lhs:match("^(.*)%.([%w_]+)$")
        mod.assigns[#mod.assigns + 1] = { owner = owner, key = key, class = bound,
                                          desc = trim(table.concat(desc, " ")) }
      end
      if class and class.name then class.bound = lhs end
    end
  end

  for line in (source .. "\n"):gmatch("(.-)\r?\n") do
    if line:match("^%-%-%-") then
      block[#block + 1] = line
    elseif line:match("^%s*$") or line:match("^%-%-") then
      flush(nil)
    else
      flush(line)
    end
  end
  flush(nil)

  -- Each function and assignment belongs to the class its owner is bound to.
  for _, fn in ipairs(mod.functions) do
    fn.class = bindings[fn.owner]
    assert(fn.class, path .. ": function " .. fn.display .. " has no class for " .. fn.owner)
    -- A method of a local (Task:wait) is shown under its class's name.
    if not fn.owner:find(".", 1, true) and fn.owner ~= fn.class and not api.classes[fn.owner] then
      fn.display = fn.class .. (fn.method and ":" or ".") .. fn.name
    end
    local c = api.classes[fn.class]
    c.functions[#c.functions + 1] = fn
  end
  for _, a in ipairs(mod.assigns) do a.owner_class = bindings[a.owner] end
  mod.desc = api.classes[name] and api.classes[name].desc or ""
  return mod
end

-- The stub files of `root`/stdlib/meta, in M.ORDER and then by name.
function M.files(root)
  local dir = root .. "/stdlib/meta"
  local names, seen = {}, {}
  for _, n in ipairs(M.ORDER) do
    local f = io.open(dir .. "/" .. n .. ".lua", "r")
    if f then
      f:close()
      names[#names + 1], seen[n] = n, true
    end
  end
  local ok, ls = pcall(io.popen, "ls -1 '" .. dir:gsub("'", "'\\''") .. "' 2>/dev/null")
  if ok and ls then
    local extra = {}
    for file in ls:lines() do
      local n = file:match("^(.+)%.lua$")
      if n and not seen[n] then extra[#extra + 1] = n end
    end
    ls:close()
    table.sort(extra)
    for _, n in ipairs(extra) do names[#names + 1] = n end
  end
  local files = {}
  for _, n in ipairs(names) do files[#files + 1] = { name = n, path = dir .. "/" .. n .. ".lua" } end
  return files
end

-- Parses every stub: { modules = {mod...}, classes = {name -> class}, aliases = {name -> alias} }.
function M.parse(root)
  local api = { modules = {}, classes = {}, aliases = {} }
  for _, f in ipairs(M.files(root)) do
    api.modules[#api.modules + 1] = parse_file(api, f.name, f.path)
  end
  return api
end

-- A class's fields, its own first, then its parents' (not shadowed).
function M.all_fields(api, cname, out, seen)
  out, seen = out or {}, seen or {}
  local c = api.classes[cname]
  if not c then return out end
  for _, f in ipairs(c.fields) do
    if not seen[f.name] then
      out[#out + 1], seen[f.name] = f, true
    end
  end
  for _, p in ipairs(c.parents) do M.all_fields(api, p, out, seen) end
  return out
end

-- Names a class answers: fields, functions and assigned members, in order.
function M.members(api, cname)
  local names, seen = {}, {}
  local function add(n)
    if not seen[n] and not n:match("^%[") then names[#names + 1], seen[n] = n, true end
  end
  local c = api.classes[cname]
  if not c then return names end
  for _, f in ipairs(c.fields) do add(f.name) end
  for _, fn in ipairs(c.functions) do add(fn.name) end
  for _, m in ipairs(api.modules) do
    for _, a in ipairs(m.assigns) do
      if a.owner_class == cname then add(a.key) end
    end
  end
  return names
end

-- --- the manual --------------------------------------------------------------

local function anchor(heading)
  return (heading:lower():gsub("[^%w%s_%-]", ""):gsub("%s", "-"))
end

local function cell(s) return (s:gsub("|", "\\|"):gsub("\n", " ")) end

-- A type, with the names of declared types linked; `|` escaped unless
-- `plain` (outside a table).
local function type_cell(api, t, headings, plain)
  local whole, suffix = t:match("^([%w_%.]+)([%[%]%?]*)$")
  if whole and headings[whole] then
    return ("[`%s`](#%s)%s"):format(whole, headings[whole], suffix ~= "" and ("`" .. suffix .. "`") or "")
  end
  local linked = plain and ("`" .. t .. "`") or cell("`" .. t .. "`")
  local names, seen = {}, {}
  for n in t:gmatch("[%a_][%w_]*%.[%w_%.]*[%w_]") do
    if headings[n] and not seen[n] then names[#names + 1], seen[n] = n, true end
  end
  if #names == 0 then return linked end
  local links = {}
  for _, n in ipairs(names) do links[#links + 1] = ("[%s](#%s)"):format(n, headings[n]) end
  return linked .. " (" .. table.concat(links, ", ") .. ")"
end

-- "T?", or "(T)?" when T is not a plain name.
local function optional_type(t)
  return t:match("^[%w_%.%[%]]+$") and (t .. "?") or ("(" .. t .. ")?")
end

local function is_options(cname) return cname:match("Options$") ~= nil end

local function signature(fn)
  local params = {}
  for _, p in ipairs(fn.params) do
    params[#params + 1] = p.name .. (p.optional and "?" or "") .. ": " .. p.type
  end
  local rets = {}
  for _, r in ipairs(fn.returns) do rets[#rets + 1] = r.type end
  local s = fn.display .. "(" .. table.concat(params, ", ") .. ")"
  if #rets > 0 then s = s .. " -> " .. table.concat(rets, ", ") end
  return s
end

local function render_fields(out, api, fields, headings, what)
  out[#out + 1] = ("| %s | type | meaning |"):format(what)
  out[#out + 1] = "|---|---|---|"
  for _, f in ipairs(fields) do
    local name = f.name:match("^%[") and ("any other key (`" .. f.name .. "`)") or ("`" .. f.name .. "`")
    local t = f.optional and optional_type(f.type) or f.type
    out[#out + 1] = ("| %s | %s | %s |"):format(name, type_cell(api, t, headings),
                                                cell(f.desc ~= "" and f.desc or "-"))
  end
  out[#out + 1] = ""
end

local function render_function(out, api, fn, level, headings)
  out[#out + 1] = ("%s %s(%s)"):format(level, fn.display, fn.args)
  out[#out + 1] = ""
  out[#out + 1] = "`" .. signature(fn) .. "`" .. (fn.tags.async and " *(waits)*" or "")
  out[#out + 1] = ""
  if fn.desc ~= "" then
    out[#out + 1] = fn.desc
    out[#out + 1] = ""
  end
  if #fn.params > 0 then
    out[#out + 1] = "| parameter | type | meaning |"
    out[#out + 1] = "|---|---|---|"
    for _, p in ipairs(fn.params) do
      local t = p.optional and optional_type(p.type) or p.type
      local meaning = p.desc ~= "" and p.desc
        or (is_options(p.type) and api.classes[p.type] and "the options below") or "-"
      out[#out + 1] = ("| `%s` | %s | %s |"):format(p.name, type_cell(api, t, headings), cell(meaning))
    end
    out[#out + 1] = ""
    for _, p in ipairs(fn.params) do
      if is_options(p.type) and api.classes[p.type] then
        out[#out + 1] = ("Options of `%s` (`%s`):"):format(p.name, p.type)
        out[#out + 1] = ""
        local c = api.classes[p.type]
        if c.desc ~= "" then
          out[#out + 1] = c.desc
          out[#out + 1] = ""
        end
        render_fields(out, api, M.all_fields(api, p.type), headings, "option")
      end
    end
  end
  if #fn.returns > 0 then
    out[#out + 1] = "Returns:"
    out[#out + 1] = ""
    for _, r in ipairs(fn.returns) do
      local t = type_cell(api, r.type, headings, true)
      local text = r.name and ("`" .. r.name .. "` (" .. t .. ")") or t
      out[#out + 1] = ("- %s%s"):format(text, r.desc ~= "" and (": " .. r.desc) or "")
    end
    out[#out + 1] = ""
  end
  if #fn.errors > 0 then
    out[#out + 1] = "Errors:"
    out[#out + 1] = ""
    for _, e in ipairs(fn.errors) do out[#out + 1] = "- " .. e end
    out[#out + 1] = ""
  end
  if fn.example then
    out[#out + 1] = "Example:"
    out[#out + 1] = ""
    out[#out + 1] = "```lua"
    out[#out + 1] = fn.example
    out[#out + 1] = "```"
    out[#out + 1] = ""
  end
end

local function first_sentence(text)
  local s = text:gsub("\n", " ")
  return s:match("^(.-%.)%s") or s
end

-- The manual as one string.
function M.render(api)
  local out = {}
  -- Anchors of every type heading, for links.
  local headings = {}
  for _, m in ipairs(api.modules) do
    for _, n in ipairs(m.aliases) do headings[n] = anchor(n) end
    for _, n in ipairs(m.classes) do
      if n ~= m.name and not is_options(n) then headings[n] = anchor(n) end
    end
  end

  -- An options class links to the first function that takes it.
  for _, m in ipairs(api.modules) do
    for _, fn in ipairs(m.functions) do
      for _, p in ipairs(fn.params) do
        if is_options(p.type) and api.classes[p.type] and not headings[p.type] then
          headings[p.type] = anchor(fn.display .. "(" .. fn.args .. ")")
        end
      end
    end
  end

  out[#out + 1] = "# reel Lua API"
  out[#out + 1] = ""
  out[#out + 1] = "<!-- Generated by tools/lua_api_doc.lua from stdlib/meta/*.lua; do not edit."
  out[#out + 1] = "     Run `lua5.4 tools/lua_api_doc.lua` after changing a stub. -->"
  out[#out + 1] = ""
  out[#out + 1] = "Every function, option, error and type a script sees, made from the type stubs"
  out[#out + 1] = "in `stdlib/meta/` (LuaCATS annotations: point lua-language-server's"
  out[#out + 1] = "`workspace.library` at that folder and an editor completes and checks"
  out[#out + 1] = "scripts). `tests/lua/meta_spec.lua` keeps the stubs' names in step with the"
  out[#out + 1] = "runtime. Errors named by a code (`FieldInvalid`) are raised as `vidu.Error`"
  out[#out + 1] = "objects (see [vidu.Error](#viduerror)); \"a plain Lua error\" is a string, a"
  out[#out + 1] = "programming mistake. Functions marked *(waits)* yield the calling task while"
  out[#out + 1] = "other tasks run: they work in the main chunk and in `async` tasks, not inside a"
  out[#out + 1] = "coroutine the script made itself."
  out[#out + 1] = ""
  for _, m in ipairs(api.modules) do
    out[#out + 1] = ("- [%s](#%s): %s"):format(m.name, anchor(m.name), first_sentence(m.desc))
  end
  out[#out + 1] = ""

  for _, m in ipairs(api.modules) do
    local mclass = api.classes[m.name]
    out[#out + 1] = "## " .. m.name
    out[#out + 1] = ""
    if m.desc ~= "" then
      out[#out + 1] = m.desc
      out[#out + 1] = ""
    end
    -- The module's fields, and the tables assigned to it (vidu.Clip, ...).
    local fields = {}
    for _, f in ipairs(mclass and mclass.fields or {}) do
      fields[#fields + 1] = { name = m.name .. "." .. f.name, type = f.type, desc = f.desc }
    end
    for _, a in ipairs(m.assigns) do
      if a.owner_class == m.name then
        local c = a.class and api.classes[a.class]
        local desc = a.desc ~= "" and a.desc or (c and first_sentence(c.desc)) or ""
        fields[#fields + 1] = { name = m.name .. "." .. a.key, type = a.class or "table", desc = desc }
      end
    end
    if #fields > 0 then
      out[#out + 1] = "### Fields"
      out[#out + 1] = ""
      render_fields(out, api, fields, headings, "field")
    end
    if mclass and #mclass.functions > 0 then
      out[#out + 1] = "### Functions"
      out[#out + 1] = ""
      for _, fn in ipairs(mclass.functions) do render_function(out, api, fn, "####", headings) end
    end
    local types = {}  -- objects first, then the aliases
    for _, n in ipairs(m.classes) do
      if n ~= m.name and not is_options(n) then types[#types + 1] = { class = api.classes[n] } end
    end
    for _, n in ipairs(m.aliases) do types[#types + 1] = { alias = api.aliases[n] } end
    if #types > 0 then
      out[#out + 1] = "### Types"
      out[#out + 1] = ""
    end
    for _, t in ipairs(types) do
      if t.alias then
        local a = t.alias
        out[#out + 1] = "#### " .. a.name
        out[#out + 1] = ""
        if a.desc ~= "" then
          out[#out + 1] = a.desc
          out[#out + 1] = ""
        end
        if a.type ~= "" then
          out[#out + 1] = "Type: " .. type_cell(api, a.type, headings, true)
          out[#out + 1] = ""
        end
        if #a.values > 0 then
          out[#out + 1] = "| value | meaning |"
          out[#out + 1] = "|---|---|"
          for _, v in ipairs(a.values) do
            out[#out + 1] = ("| `%s` | %s |"):format(cell(v.value), cell(v.desc ~= "" and v.desc or "-"))
          end
          out[#out + 1] = ""
        end
      else
        local c = t.class
        out[#out + 1] = "#### " .. c.name
        out[#out + 1] = ""
        if c.desc ~= "" then
          out[#out + 1] = c.desc
          out[#out + 1] = ""
        end
        if c.bound and c.bound:find(".", 1, true) and c.bound ~= c.name then
          out[#out + 1] = ("Reached as `%s`."):format(c.bound)
          out[#out + 1] = ""
        end
        if #c.parents > 0 then
          out[#out + 1] = "Also has the fields of " .. table.concat(c.parents, ", ") .. "."
          out[#out + 1] = ""
        end
        if #c.fields > 0 then render_fields(out, api, c.fields, headings, "field") end
        for _, fn in ipairs(c.functions) do render_function(out, api, fn, "#####", headings) end
      end
    end
  end
  while out[#out] == "" do out[#out] = nil end
  return table.concat(out, "\n") .. "\n"
end

-- --- command line ----------------------------------------------------------------

if ... == "--module" then return M end

local root, out
local args = { ... }
local i = 1
while i <= #args do
  if args[i] == "--root" then
    root, i = args[i + 1], i + 2
  elseif args[i] == "--out" then
    out, i = args[i + 1], i + 2
  else
    io.stderr:write("usage: lua5.4 tools/lua_api_doc.lua [--root DIR] [--out FILE|-]\n")
    os.exit(2)
  end
end
if not root then
  local script = arg and arg[0] or "tools/lua_api_doc.lua"
  local dir = script:match("^(.*)/[^/]*$") or "."
  root = dir .. "/.."
end
out = out or (root .. "/docs/lua-api.md")
local text = M.render(M.parse(root))
if out == "-" then
  io.stdout:write(text)
else
  local f = assert(io.open(out, "w"))
  f:write(text)
  f:close()
end
