-- Team libraries (issue 9) from outside: where `require` finds them, the
-- _REEL_MIN_VERSION check, `reel --paths`, and `reel test` on a library of
-- its own. Run by lua5.4 with REEL naming the binary (ctest libraries_e2e).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "client/?.lua;" .. package.path
local S = require "support"
if not S.configured then S.skip(describe, pending) return end
S.bind{ assert = assert }
local q, sh = S.q, S.sh

-- A module `which` in `dir` that says where it was found.
local function which_in(dir, label)
  assert(sh("mkdir -p " .. q(dir)) == 0)
  S.write_file(dir .. "/which.lua", ("return %q"):format(label))
end

teardown(S.cleanup)

describe("library folders", function()
  it("are searched in order: the script's folder and its lib/, ./lib, --lib, REEL_PATH, then package.path", function()
    local d = S.newdir("order")
    assert(sh("mkdir -p " .. q(d .. "/app")) == 0)
    S.write_file(d .. "/app/main.lua", "print((require 'which'))")
    which_in(d .. "/app", "script folder")
    which_in(d .. "/app/lib", "script lib")
    which_in(d .. "/lib", "./lib")
    which_in(d .. "/cli", "--lib")
    which_in(d .. "/env", "REEL_PATH")
    which_in(d .. "/luapath", "LUA_PATH")
    local function run()
      local code, out, err = sh(("cd %s && REEL_PATH=env LUA_PATH='luapath/?.lua;;' %s run --lib cli app/main.lua")
        :format(q(d), q(S.REEL)))
      assert.are.equal(0, code, err)
      return (out:gsub("\n$", ""))
    end
    local seen = {}
    for _, folder in ipairs{ "app/which.lua", "app/lib", "lib", "cli", "env", "luapath" } do
      seen[#seen + 1] = run()
      assert(sh("rm -rf " .. q(d .. "/" .. folder)) == 0)
    end
    assert.are.same({ "script folder", "script lib", "./lib", "--lib", "REEL_PATH", "LUA_PATH" }, seen)
  end)

  it("are not read with -E, as lua5.4 ignores LUA_PATH there", function()
    local d = S.newdir("noenv")
    which_in(d .. "/env", "REEL_PATH")
    local code, _, err = sh(("cd %s && REEL_PATH=env %s -E -e \"require 'which'\""):format(q(d), q(S.REEL)))
    assert.are.equal(1, code)
    assert.truthy(err:find("module 'which' not found", 1, true), err)
  end)

  it("are listed by reel --paths before package.path", function()
    local d = S.newdir("paths")
    assert(sh("mkdir -p " .. q(d .. "/lib") .. " " .. q(d .. "/team")) == 0)
    local code, out = sh(("cd %s && REEL_PATH=%s %s --paths"):format(q(d), q(d .. "/team"), q(S.REEL)))
    assert.are.equal(0, code)
    local lib_at = out:find("  lib/?.lua", 1, true)
    local team_at = out:find("  " .. d .. "/team/?.lua", 1, true)
    local path_at = out:find("package.path:", 1, true)
    assert.truthy(lib_at and team_at and path_at, out)
    assert.is_true(lib_at < team_at and team_at < path_at, out)
  end)
end)

describe("_REEL_MIN_VERSION", function()
  local function require_in(dir, version, where)
    S.write_file(dir .. "/" .. where .. "/needy.lua",
      ("local M = { _REEL_MIN_VERSION = %q }\nM.ran = true\nNEEDY_RAN = true\nreturn M"):format(version))
    return sh(("cd %s && LUA_PATH='luapath/?.lua;;' %s -e \"print(pcall(require, 'needy')) print(NEEDY_RAN)\"")
      :format(q(dir), q(S.REEL)))
  end

  it("refuses a library that needs a newer reel, before running it, naming both versions", function()
    local d = S.newdir("newer")
    assert(sh("mkdir -p " .. q(d .. "/lib")) == 0)
    local code, out = require_in(d, "99.1", "lib")
    assert.are.equal(0, code)
    assert.truthy(out:find("^false\tmodule 'needy' %(lib/needy%.lua%) needs reel 99%.1 or newer"), out)
    assert.truthy(out:find("this is reel 0%.1%.0"), out)
    assert.truthy(out:find("\nnil\n$"), "the library ran: " .. out)
  end)

  it("checks libraries found on LUA_PATH too, and loads those this reel satisfies", function()
    local d = S.newdir("lua_path")
    assert(sh("mkdir -p " .. q(d .. "/luapath")) == 0)
    local _, out = require_in(d, "99", "luapath")
    assert.truthy(out:find("needs reel 99 or newer", 1, true), out)
    _, out = require_in(d, "0.1", "luapath")
    assert.truthy(out:find("^true\t"), out)
    assert.truthy(out:find("\ntrue\n$"), out)
  end)

  it("is a plain field: lua5.4 requires the same library", function()
    local d = S.newdir("plain")
    assert(sh("mkdir -p " .. q(d .. "/luapath")) == 0)
    S.write_file(d .. "/luapath/needy.lua", 'return { _REEL_MIN_VERSION = "0.1", ok = true }')
    local code, out = sh(("cd %s && LUA_PATH='luapath/?.lua;;' lua5.4 -e \"print(require('needy').ok)\""):format(q(d)))
    assert.are.same({ 0, "true\n" }, { code, out })
  end)
end)

describe("the example library", function()
  it("is a rock: its rockspec names modules that are its files", function()
    local dir = os.getenv("REEL_SOURCE_DIR") .. "/scripts/lib"
    local spec = {}
    assert(loadfile(dir .. "/house_style-scm-1.rockspec", "t", spec))()
    assert.are.equal("house_style", spec.package)
    assert.are.equal("builtin", spec.build.type)
    for module, file in pairs(spec.build.modules) do
      assert.truthy(S.slurp(dir .. "/" .. file), module .. ": no file " .. file)
      local code = sh(("cd %s && lua5.4 -e %s"):format(q(dir), q(("require %q"):format(module))))
      assert.are.equal(0, code, module .. " is not a plain Lua module")
    end
  end)
end)

describe("reel test", function()
  it("runs a library's specs with the simulator in process, no key, and says failures in its exit status", function()
    local d = S.newdir("lib")
    assert(sh("mkdir -p " .. q(d .. "/spec")) == 0)
    S.write_file(d .. "/greet.lua", 'return { hello = function(n) return "hello " .. n end }')
    S.write_file(d .. "/spec/greet_spec.lua", [[
      local greet = require "greet"
      describe("greet", function()
        it("greets", function() assert.are.equal("hello you", greet.hello("you")) end)
        it("makes a clip on the simulator", function()
          local clip = vidu.text2video{ model = "viduq2", prompt = "a wave", duration = 1, resolution = "540p" }:wait()
          assert.are.equal(1, math.floor(clip.duration + 0.5))
        end)
        it("fails on purpose", function() assert.are.equal(1, 2) end)
      end)
    ]])
    local elsewhere = S.newdir("elsewhere")
    local code, out = sh(("cd %s && env -u VIDU_API_KEY %s test %s -o TAP"):format(q(elsewhere), q(S.REEL), q(d)))
    assert.are.equal(1, code, out)
    assert.truthy(out:find("ok 1 - greet greets", 1, true), out)
    assert.truthy(out:find("ok 2 - greet makes a clip on the simulator", 1, true), out)
    assert.truthy(out:find("not ok 3 - greet fails on purpose", 1, true), out)
    -- Nothing written where it ran, nor in the library.
    assert.are.same({}, S.ls(elsewhere))
    assert.are.same({ "greet.lua", "spec" }, S.ls(d))
  end)

  it("refuses a folder that is not there with a usage error", function()
    local code, _, err = sh(q(S.REEL) .. " test /nonexistent/lib")
    assert.are.equal(2, code)
    assert.truthy(err:find("/nonexistent/lib is not a folder", 1, true), err)
  end)
end)
