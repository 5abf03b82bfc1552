-- The type stubs (stdlib/meta/*.lua, LuaCATS for lua-language-server) against
-- the runtime they describe, inside reel (busted --lua=reel): every public
-- name of vidu, media, async, json, storyboard and reel is in the stubs, and
-- every name in the stubs exists; the objects' methods and fields likewise;
-- and each create call's options class lists exactly vidu.options(kind). The
-- stubs are read by the same parser that writes docs/lua-api.md
-- (tools/lua_api_doc.lua), so what the manual says is what is checked here.
local SOURCE = os.getenv("REEL_SOURCE_DIR") or "."
local REEL = os.getenv("REEL") or (SOURCE .. "/build/reel")
local ASSETS = SOURCE .. "/scripts/assets/"

local doc = assert(loadfile(SOURCE .. "/tools/lua_api_doc.lua"))("--module")
local api = doc.parse(SOURCE)
local storyboard = require "storyboard"

local KINDS = { "text2video", "img2video", "start_end", "reference", "extend", "multiframe" }

-- The keys of t, sorted; "__" metamethods and __name left out.
local function keys(t)
  local out = {}
  for k in pairs(t) do
    if type(k) == "string" and not k:match("^__") then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- Fails naming every difference between what runs and what the stubs say.
-- `partial`: the runtime shows only some of the names (fields that are nil
-- are not there), so names only the stubs have are fine.
local function same_names(what, runtime, stubs, partial)
  local in_runtime, in_stubs = set(runtime), set(stubs)
  local missing, extra = {}, {}
  for _, n in ipairs(runtime) do
    if not in_stubs[n] then missing[#missing + 1] = n end
  end
  if not partial then
    for _, n in ipairs(stubs) do
      if not in_runtime[n] then extra[#extra + 1] = n end
    end
  end
  table.sort(missing)
  table.sort(extra)
  local problems = {}
  if #missing > 0 then
    problems[#problems + 1] = "in reel but not in the stubs: " .. table.concat(missing, ", ")
  end
  if #extra > 0 then
    problems[#problems + 1] = "in the stubs but not in reel: " .. table.concat(extra, ", ")
  end
  assert(#problems == 0, ("%s: %s (stdlib/meta/*.lua; then run lua5.4 tools/lua_api_doc.lua)")
         :format(what, table.concat(problems, "; ")))
end

local function class(name)
  local c = api.classes[name]
  assert(c, "stdlib/meta declares no class " .. name)
  return c
end

local function field_names(name)
  local out = {}
  for _, f in ipairs(doc.all_fields(api, name)) do out[#out + 1] = f.name end
  return out
end

local function function_names(name)
  local out = {}
  for _, fn in ipairs(class(name).functions) do out[#out + 1] = fn.name end
  return out
end

-- The class of a Lua expression in the stubs ("vidu.Error", "storyboard.Board").
local function class_of(expr)
  for _, m in ipairs(api.modules) do
    for _, a in ipairs(m.assigns) do
      if a.owner .. "." .. a.key == expr and a.class then return a.class end
    end
  end
  error("stdlib/meta assigns no class to " .. expr)
end

-- The stub function `display` ("vidu.text2video").
local function stub_function(display)
  for _, m in ipairs(api.modules) do
    for _, fn in ipairs(m.functions) do
      if fn.display == display then return fn end
    end
  end
  error("stdlib/meta has no function " .. display)
end

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  return dir
end

-- Every stub function of a module is a function at runtime.
local function functions_are_functions(name, runtime)
  for _, fn in ipairs(class(name).functions) do
    assert(type(runtime[fn.name]) == "function",
           ("%s.%s is a function in the stubs but a %s in reel"):format(name, fn.name, type(runtime[fn.name])))
  end
end

describe("the type stubs", function()
  it("have one file per module, each declaring its module class", function()
    local names = {}
    for _, m in ipairs(api.modules) do names[#names + 1] = m.name end
    same_names("stdlib/meta", { "async", "json", "media", "reel", "storyboard", "vidu" }, names)
    for _, m in ipairs(api.modules) do
      assert.is_truthy(api.classes[m.name], m.path .. " declares no ---@class " .. m.name)
      assert.are_not.equal("", m.desc, m.path .. " has no module description")
    end
  end)

  for _, name in ipairs{ "vidu", "media", "async", "json" } do
    it("name every member of the " .. name .. " global, and no other", function()
      same_names(name, keys(_G[name]), doc.members(api, name))
      functions_are_functions(name, _G[name])
    end)
  end

  it("name every member of require \"storyboard\", and no other", function()
    same_names("storyboard", keys(storyboard), doc.members(api, "storyboard"))
    functions_are_functions("storyboard", storyboard)
  end)

  it("name every member of the reel global, and no other", function()
    if _G.reel == nil then  -- not rawget: modules may be loaded on first use
      pending("the reel global (reel.sandbox, reel.version) is not in this build yet")
    end
    same_names("reel", keys(reel), doc.members(api, "reel"))
    functions_are_functions("reel", reel)
    assert.is_string(reel.version)
  end)

  it("give every function a description and an example", function()
    for _, m in ipairs(api.modules) do
      for _, fn in ipairs(m.functions) do
        assert(fn.desc ~= "", fn.display .. " has no description in " .. m.path)
        assert(fn.example and fn.example ~= "", fn.display .. " has no Example: block in " .. m.path)
      end
    end
  end)
end)

describe("the vidu stubs", function()
  it("list the Task's methods and fields as vidu.Task does", function()
    same_names("vidu.Task methods", keys(vidu.Task.methods), function_names("vidu.Task"))
    local fields = {}
    for _, f in ipairs(vidu.Task.fields) do fields[#fields + 1] = f end
    same_names("vidu.Task fields", fields, field_names("vidu.Task"))
  end)

  it("list the Clip's methods", function()
    same_names("vidu.Clip methods", keys(vidu.Clip), function_names(class_of("vidu.Clip")))
  end)

  it("list vidu.Error's functions and the fields errors carry", function()
    same_names("vidu.Error functions", keys(vidu.Error), function_names(class_of("vidu.Error")))
    local seen = {}
    local _, refused = vidu.validate("text2video", { model = "viduq2", prompt = "x", duration = 99, bogus = 1 })
    local _, unreadable = pcall(media.probe, ASSETS .. "no-such-file.png")
    for _, err in ipairs{ refused, unreadable } do
      assert.is_true(vidu.Error.is(err))
      for k in pairs(err) do seen[#seen + 1] = k end
    end
    same_names("vidu.Error fields", seen, field_names("vidu.Error"), true)
    same_names("vidu.Problem fields", keys(refused.problems[1]), field_names("vidu.Problem"))
  end)

  for _, kind in ipairs(KINDS) do
    it("document exactly vidu.options(\"" .. kind .. "\") in vidu." .. kind .. "'s options", function()
      local fn = stub_function("vidu." .. kind)
      assert.are.equal(1, #fn.params, "vidu." .. kind .. " takes one options table")
      local options = fn.params[1].type
      same_names(options, vidu.options(kind), field_names(options))
    end)
  end

  it("list every model of each kind, in both dialects", function()
    for _, kind in ipairs(KINDS) do
      local model_type
      for _, f in ipairs(doc.all_fields(api, stub_function("vidu." .. kind).params[1].type)) do
        if f.name == "model" then model_type = f.type end
      end
      local alias = assert(api.aliases[model_type], "vidu." .. kind .. "'s model is no ---@alias")
      local documented = {}
      for _, v in ipairs(alias.values) do documented[#documented + 1] = v.value:match('^"(.*)"$') end
      local offered = {}
      for _, dialect in ipairs{ "vidu", "vtrix" } do
        local p = assert(io.popen(("VIDU_DIALECT=%s '%s' -e 'print(table.concat(vidu.models(%q), \" \"))'")
                                  :format(dialect, REEL, kind)))
        local line = p:read("l") or ""
        p:close()
        assert(line ~= "", ("%s -e vidu.models(%q) printed nothing under %s"):format(REEL, kind, dialect))
        for m in line:gmatch("%S+") do
          if not set(offered)[m] then offered[#offered + 1] = m end
        end
      end
      same_names(model_type, offered, documented)
    end
  end)
end)

describe("the media stubs", function()
  local dir

  setup(function() dir = tmpdir() end)
  teardown(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("list the fields of a probe", function()
    local info = media.probe(ASSETS .. "cliff.png")
    same_names("media.Info fields", keys(info), field_names("media.Info"), true)
    same_names("media.VideoInfo fields", keys(info.video), field_names("media.VideoInfo"))
  end)

  it("list the fields of a Frame and a strip", function()
    local frame = media.frame(ASSETS .. "cliff.png", { out = dir .. "/f.png", width = 64 })
    assert.are.equal("media.Frame", getmetatable(frame).__name)
    same_names("media.Frame fields", keys(frame), field_names("media.Frame"))
    local strip = media.strip({ frame }, dir .. "/s.png", { height = 32 })
    same_names("media.Strip fields", keys(strip), field_names("media.Strip"))
  end)
end)

describe("the async stubs", function()
  it("list the Handle's methods and fields", function()
    local h = async.spawn(function() end)
    h:wait()
    local meta = getmetatable(h)
    same_names("async.Handle methods", keys(meta.methods), function_names("async.Handle"))
    same_names("async.Handle fields", { "state" }, field_names("async.Handle"))
  end)
end)

describe("the storyboard stubs", function()
  it("list the Board's methods and the fields of a board, a shot and a plan", function()
    same_names("storyboard.Board methods", keys(storyboard.Board),
               function_names(class_of("storyboard.Board")))
    local out = tmpdir()
    finally(function() os.execute("rm -rf '" .. out .. "'") end)
    local sb = storyboard.new{ title = "Meta", model = "viduq2", resolution = "540p",
                               aspect_ratio = "16:9", duration = 5, seed = 1, timeout = 60,
                               out = out }
    same_names("storyboard.Board fields", keys(sb), field_names("storyboard.Board"))
    local open = sb:shot{ id = "open", text = "a lighthouse", group = "a" }
    local push = sb:shot{ id = "push", extend = "open", prompt = "closer", model = "viduq2-pro" }
    local plan = sb:plan{ quiet = true }
    same_names("storyboard.Shot fields", keys(open), field_names("storyboard.Shot"), true)
    same_names("storyboard.Plan fields", keys(plan), field_names("storyboard.Plan"))
    same_names("storyboard.Ref fields", keys(push.refs[1]), field_names("storyboard.Ref"))
  end)
end)
