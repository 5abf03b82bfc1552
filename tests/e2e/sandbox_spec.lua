-- The sandbox (issue 9) from outside: every escape attempt below is a small
-- script run by the real `reel run --sandbox --out out script.lua` (or, for
-- reel.sandbox, `reel run` of a script that sandboxes one call) in a fresh
-- folder. Each must fail with exit status 1 and a message that says
-- "sandbox" (or names the limit), and leave nothing behind: the folder tree
-- outside --out is as it was (names, sizes, times, link targets), the file
-- a spawned program would make is absent, and the marker outside is intact.
-- Then what must keep working does. Run by lua5.4 (ctest sandbox_e2e; the
-- part on the simulator, tagged #sim, is sandbox_sim_e2e).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "client/?.lua;" .. package.path
local S = require "support"
if not S.configured then S.skip(describe, pending) return end
S.bind{ assert = assert }
local q, sh, slurp, write_file = S.q, S.sh, S.slurp, S.write_file

local KEY = "sk-sandbox-test-key-0123456789"
local LFS = package.searchpath("lfs", package.cpath)  -- Debian's lua-filesystem
local MARKER = "untouched marker\n"

-- The budget and limit are small so runaway code is stopped quickly.
local ENV = "REEL_SANDBOX_INSTRUCTIONS=2e6 REEL_SANDBOX_MEMORY=32 VIDU_API_KEY=" .. KEY

-- A fresh case folder:
--   work/            the script's folder and cwd: script.lua, data.txt,
--                    lib/util.lua, clip.mp4, evil.luac, key.txt
--   work/out/        --out
--   outside/         target.txt (the marker), secret.txt, evil.lua
local function make_case(name)
  local dir = S.newdir(name)
  assert(sh(("mkdir -p %s/work/lib %s/work/out %s/outside"):format(q(dir), q(dir), q(dir))) == 0)
  write_file(dir .. "/work/data.txt", "hello from the script's folder\n")
  write_file(dir .. "/work/lib/util.lua", "return { twice = function(x) return 2 * x end }\n")
  write_file(dir .. "/work/key.txt", KEY .. "\n")
  write_file(dir .. "/outside/target.txt", MARKER)
  write_file(dir .. "/outside/secret.txt", "secret\n")
  write_file(dir .. "/outside/evil.lua", ("os.execute('touch %s')\n"):format(dir .. "/PWNED"))
  local touch = load(("return function() os.execute('touch %s') end"):format(dir .. "/PWNED"))()
  write_file(dir .. "/work/evil.luac", string.dump(touch))
  assert(sh(("cp %s %s/work/clip.mp4"):format(q(S.media("video_only.mp4")), q(dir))) == 0)
  return dir
end

-- Everything outside --out, one line per entry, sorted.
local function snapshot(dir)
  local code, out = sh(("cd %s && find . -path ./work/out -prune -o -printf '%%p %%y %%s %%T@ %%l\\n' | sort")
    :format(q(dir)))
  assert(code == 0)
  return out
end

-- Writes the case's script (and runs its setup) in work/.
local function prepare(dir, script, opts)
  if opts.binary then
    write_file(dir .. "/work/script.lua", slurp(dir .. "/work/evil.luac"))
  else
    local prelude = ("local PWN, OUTSIDE, LFS = %q, %q, %q\n"):format(dir .. "/PWNED", dir .. "/outside", LFS or "")
    write_file(dir .. "/work/script.lua", prelude .. script)
  end
  if opts.setup then assert(sh(("cd %s/work && %s"):format(q(dir), opts.setup)) == 0, opts.setup) end
end

-- Runs the script prepared; returns exit status, stdout, stderr.
local function launch(dir, opts)
  return sh(("cd %s/work && %s REEL_JOURNAL=%s %s %s run %s --out out %s script.lua")
    :format(q(dir), ENV, q(dir .. "/../journal.db"), opts.env or "", q(S.REEL),
            opts.call and "" or "--sandbox", opts.args or ""))
end

-- The case's folder, prepared; its snapshot; and the run's results.
local function run(name, script, opts)
  opts = opts or {}
  local dir = make_case(name)
  prepare(dir, script, opts)
  local before = snapshot(dir)
  local code, out, err = launch(dir, opts)
  return dir, before, code, out, err, ("\n--- stdout\n%s\n--- stderr\n%s"):format(out, err)
end

-- name, script, and what stderr must say (default "sandbox").
local ESCAPES = {
  -- programs and the process
  { "os.execute runs no program", [[os.execute("touch " .. PWN)]] },
  { "io.popen runs no program", [[io.popen("touch " .. PWN)]] },
  { "os.exit does not end reel early", [[os.exit(0)]] },
  { "os.tmpname makes no file outside --out", [[os.tmpname()]] },
  { "io.tmpfile makes no file outside --out", [[io.tmpfile()]] },
  { "os.setlocale cannot change the process", [[os.setlocale("C")]] },
  -- C code
  { "package.loadlib loads no C library", [[package.loadlib(LFS, "luaopen_lfs")]] },
  { "require of a C module by name", [[require "lfs"]] },
  { "require of a C module by path (package.cpath)", [[package.cpath = "./?.so"; require "mylfs"]],
    setup = "cp " .. q(LFS) .. " mylfs.so" },
  { "a searcher of its own loads no C code",
    [[table.insert(package.searchers, 1, function() return package.loadlib(LFS, "luaopen_lfs") end)
      require "lfs"]] },
  { "loadfile of a shared object", [[assert(loadfile(LFS))()]] },
  -- binary chunks
  { "string.dump is gone", [[load(string.dump(function() end))]] },
  { "load with mode 'b'", [[load("return 1", "=x", "b")]] },
  { "load of binary bytes", [[load(assert(io.open("evil.luac", "rb")):read("a"))()]] },
  { "load of a binary chunk through a reader",
    [[local bytes, given = assert(io.open("evil.luac", "rb")):read("a"), false
      load(function() if given then return nil end given = true return bytes end)()]] },
  { "dofile of a binary chunk", [[dofile("evil.luac")]] },
  { "a binary main script", nil, expect = "binary chunk", binary = true },
  -- debug
  { "debug.getregistry", [[debug.getregistry()._LOADED.io.popen("touch " .. PWN)]] },
  { "debug.getupvalue on require", [[local _, up = debug.getupvalue(require, 1)]] },
  { "debug.setmetatable on strings", [[debug.setmetatable("", { __index = os })]] },
  { "debug.upvaluejoin to borrow an _ENV", [[debug.upvaluejoin(function() return io end, 1, require, 1)]] },
  { "debug.sethook removed, then a busy loop", [[pcall(debug.sethook); while true do end]],
    expect = "REEL_SANDBOX_INSTRUCTIONS" },
  -- metatables
  { "the string metatable's __index replaced",
    [[getmetatable("").__index = function() return os.execute end]] },
  { "rawset on the string metatable", [[rawset(getmetatable(""), "__index", {})]] },
  { "setmetatable on the string metatable", [[setmetatable(getmetatable(""), { __newindex = rawset })]] },
  { "a file handle's methods changed", [[getmetatable(io.stdout).__index.write = print]] },
  { "a task's finalizer called by hand", [[local h = async.spawn(function() end)
      getmetatable(h).__gc(h); h:wait()]] },
  { "a file's finalizer called by hand", [[getmetatable(io.stdout).__gc(io.stdout)]] },
  -- the real libraries
  { "package.loaded.io is the sandbox's", [[package.loaded.io.popen("touch " .. PWN)]] },
  { "package.loaded._G.os is the sandbox's", [[package.loaded._G.os.execute("touch " .. PWN)]] },
  { "rawget(_G, 'io') is the sandbox's", [[rawget(_G, "io").popen("touch " .. PWN)]] },
  { "_G.io put back from require", [[_G.io = nil; package.loaded.io = nil; io = require "io"
      io.popen("touch " .. PWN)]] },
  -- reading
  { "io.open('../../etc/passwd')", [[io.open("../../../../../../../../../etc/passwd")]] },
  { "io.open of an absolute path", [[io.open("/etc/passwd")]] },
  { "io.lines of a file outside", [[for l in io.lines(OUTSIDE .. "/secret.txt") do print(l) end]] },
  { "io.input of a file outside", [[io.input(OUTSIDE .. "/secret.txt"); print(io.read("a"))]] },
  { "dofile of a file outside", [[dofile(OUTSIDE .. "/evil.lua")]] },
  { "loadfile of /etc/passwd", [[loadfile("/etc/passwd")]] },
  { "require through package.path outside", [[package.path = OUTSIDE .. "/?.lua"; require "evil"]] },
  { "media.probe of a file outside", ("media.probe(%q)"):format(S.media("h264_aac.mp4")) },
  { "media.probe through a path metamethod",
    [[media.probe(setmetatable({}, { __index = function() return "/etc/passwd" end }))]] },
  { "vidu with a local file outside",
    [[vidu.validate("img2video", { model = "viduq2-pro", image = "/etc/passwd", prompt = "x" })]] },
  -- writing
  { "a file written beside the script", [[io.open("new.txt", "w")]] },
  { "a file written outside --out", [[io.open(OUTSIDE .. "/new.txt", "w")]] },
  { "appending to a file outside", [[io.open(OUTSIDE .. "/target.txt", "a"):write("pwned")]] },
  { "io.output to a file outside", [[io.output(OUTSIDE .. "/target.txt")]] },
  { "r+ on a readable file", [[io.open("data.txt", "r+"):write("pwned")]] },
  { "'..' out of --out", [[io.open("out/../escaped.txt", "w")]] },
  { "a symlink in --out to a file outside", [[io.open("out/link.txt", "w"):write("pwned")]],
    setup = "ln -s ../../outside/target.txt out/link.txt" },
  { "a dangling symlink in --out", [[io.open("out/dangling", "w"):write("pwned")]],
    setup = "ln -s ../../outside/created.txt out/dangling" },
  { "a symlinked folder in --out", [[io.open("out/dir/new.txt", "w"):write("pwned")]],
    setup = "ln -s ../../outside out/dir" },
  { "a hard link in --out", [[io.open("out/hard.txt", "w"):write("pwned")]],
    setup = "ln ../outside/target.txt out/hard.txt" },
  { "os.rename out of --out", [[local f = io.open("out/x.txt", "w"); f:write("x"); f:close()
      os.rename("out/x.txt", OUTSIDE .. "/x.txt")]] },
  { "os.rename of a file outside into --out", [[os.rename(OUTSIDE .. "/target.txt", "out/stolen.txt")]] },
  { "os.remove of a file outside", [[os.remove(OUTSIDE .. "/target.txt")]] },
  { "media.frame into a file outside", [[media.frame("clip.mp4", { out = OUTSIDE .. "/frame.png" })]] },
  { "media.concat over a file outside", [[media.concat({ "clip.mp4" }, OUTSIDE .. "/target.txt")]] },
  { "vidu's out outside --out",
    [[vidu.validate("text2video", { model = "viduq2", prompt = "x", out = OUTSIDE })]] },
  { "reel.mkdir outside --out", [[reel.mkdir(OUTSIDE .. "/made/deep")]] },
  { "reel.mkdir beside the script", [[reel.mkdir("made")]] },
  { "reel.mkdir '..' out of --out", [[reel.mkdir("out/../made")]] },
  { "reel.mkdir through a symlinked folder in --out", [[reel.mkdir("out/dir/made")]],
    setup = "ln -s ../../outside out/dir" },
  { "reel.mkdir through a dangling symlink in --out", [[reel.mkdir("out/dangling/made")]],
    setup = "ln -s ../../outside/made out/dangling" },
  -- the API key
  { "the environment of the process", [[local k = os.getenv("VIDU_API_KEY") or os.getenv("REEL_KEY_FILE")
      if k then print("KEY " .. k) end
      print(io.open("/proc/self/environ"):read("a"))]] },
  { "the key file", [[print(io.open("key.txt"):read("a"))]], args = "--key-file key.txt",
    expect = "API key file" },
  -- limits
  { "collectgarbage('stop') then allocation", [[collectgarbage("stop"); local t = {} for i = 1, 1e8 do t[i] = {} end]] },
  { "collectgarbage('setpause')", [[collectgarbage("setpause", 1000)]] },
  { "full collections in a loop", [[local t = {} for i = 1, 1e4 do t[i] = {} end
      while true do collectgarbage() end]], expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "a runaway loop", [[while true do end]], expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "a memory bomb", [[local s = "x" while true do s = s .. s end]], expect = "REEL_SANDBOX_MEMORY" },
  { "a table bomb", [[local t = {} for i = 1, 1e9 do t[i] = ("x"):rep(1000) .. i end]],
    expect = "REEL_SANDBOX_MEMORY" },
  { "one huge string", [[local s = ("x"):rep(1 << 30)]], expect = "REEL_SANDBOX_MEMORY" },
  -- coroutines and error handling
  { "coroutine.wrap around io.popen", [[coroutine.wrap(function() io.popen("touch " .. PWN) end)()]] },
  { "coroutine.wrap around a busy loop", [[coroutine.wrap(function() while true do end end)()]],
    expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "short coroutines to dodge the hook",
    [[while true do coroutine.wrap(function() for i = 1, 900 do end end)() end]],
    expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "async.spawn around io.popen", [[async.spawn(function() io.popen("touch " .. PWN) end):wait()]] },
  { "pcall catching the refusal, then trying again",
    [[for i = 1, 3 do pcall(os.execute, "touch " .. PWN) end os.execute("touch " .. PWN)]] },
  { "pcall catching the budget, then carrying on",
    [[while true do pcall(function() while true do end end) end]], expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "an error object whose __tostring runs a program",
    [[error(setmetatable({}, { __tostring = function() io.popen("touch " .. PWN) return "x" end }))]] },
  { "an error object whose __tostring never ends",
    [[error(setmetatable({}, { __tostring = function() while true do end end }))]],
    expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "a finalizer that runs a program",
    [[local result
      setmetatable({}, { __gc = function() result = { pcall(os.execute, "touch " .. PWN) } end })
      collectgarbage(); collectgarbage()
      error(result and result[2] or "the finalizer did not run")]] },
}

-- One sandboxed call from a script that is not sandboxed.
local CALLS = {
  { "reel.sandbox: os.execute", [[reel.sandbox(function() os.execute("touch " .. PWN) end)]] },
  { "reel.sandbox: a C module", [[reel.sandbox(function() return require "lfs" end)]] },
  { "reel.sandbox: a module required outside is not shared",
    [[local lfs = require "lfs"; reel.sandbox(function() return require("lfs").touch(PWN) end)]] },
  { "reel.sandbox: package.loaded.io", [[reel.sandbox(function() package.loaded.io.popen("touch " .. PWN) end)]] },
  { "reel.sandbox: a function made inside, called outside",
    [[local f = reel.sandbox(function() return function() io.popen("touch " .. PWN) end end); f()]] },
  { "reel.sandbox: a coroutine made inside, resumed outside",
    [[local co = reel.sandbox(function()
        return coroutine.wrap(function() media.frame("clip.mp4", { out = OUTSIDE .. "/f.png" }) end)
      end)
      co()]] },
  { "reel.sandbox: a __gc finalizer", [[reel.sandbox(function() setmetatable({}, { __gc = print }) end)]] },
  { "reel.sandbox: reel's modules are read-only", [[reel.sandbox(function() vidu.text2video = print end)]] },
  { "reel.sandbox: reel.mkdir outside --out", [[reel.sandbox(function() reel.mkdir(OUTSIDE .. "/made") end)]] },
  { "reel.sandbox: a runaway loop", [[reel.sandbox(function() while true do end end)]],
    expect = "REEL_SANDBOX_INSTRUCTIONS" },
  { "reel.sandbox: a memory bomb", [[reel.sandbox(function() local s = "x" while true do s = s .. s end end)]],
    expect = "REEL_SANDBOX_MEMORY" },
}

local function check_escape(case, call)
  local dir, before, code, out, err, shown = run(case[1], case[2],
    { setup = case.setup, args = case.args, binary = case.binary, call = call })
  assert.are.equal(1, code, "exit status" .. shown)
  assert.is_truthy(err:find(case.expect or "sandbox", 1, true), "the message names the rule" .. shown)
  assert.is_nil(slurp(dir .. "/PWNED"), "a program ran" .. shown)
  assert.are.equal(MARKER, slurp(dir .. "/outside/target.txt"), "the marker outside changed" .. shown)
  assert.are.equal(before, snapshot(dir), "something changed outside --out" .. shown)
  assert.is_nil((out .. err):find(KEY, 1, true), "the API key was shown" .. shown)
end

describe("reel run --sandbox", function()
  teardown(S.cleanup)

  it("knows at least 25 escape attempts", function()
    assert.is_true(#ESCAPES + #CALLS >= 25)
    assert.is_string(LFS, "lua-filesystem (lfs) is not installed")
  end)

  for _, case in ipairs(ESCAPES) do
    it("refuses: " .. case[1], function() check_escape(case, false) end)
  end

  for _, case in ipairs(CALLS) do
    it("refuses: " .. case[1], function() check_escape(case, true) end)
  end

  it("still runs a library's ordinary work", function()
    local dir, before, code, out, err, shown = run("ordinary", [[
      local util = require "util"                      -- ./lib
      local text = assert(io.open("data.txt")):read("a")
      local n = 0
      for _ in io.lines("data.txt") do n = n + 1 end
      local f = assert(io.open("out/result.txt", "w"))
      f:write(text:upper(), util.twice(21), "\n")
      f:close()
      assert(os.rename("out/result.txt", "out/final.txt"))
      print("lines", n)
      print("valid", vidu.validate("text2video", { model = "viduq2", prompt = "a lighthouse", duration = 5 }))
      print("credits", vidu.estimate("text2video", { model = "viduq2", prompt = "a lighthouse", duration = 5 }))
      print("json", json.encode({ a = 1 }))
      async.sleep(0.01)
      print("probe", media.probe("clip.mp4").video.width)
      print("frame", media.frame("clip.mp4", { out = "out/first.png" }).path)
      print("load", load("return 1 + 1")(), select("#", pcall(debug.traceback)))
      print("env", os.getenv("HOME") ~= nil, os.getenv("VIDU_API_KEY"))
      print("string", ("%d"):format(7), getmetatable("").__index.upper("x"))
      print("gc", collectgarbage("count") > 0)
      print("version", reel.version)
      print("mkdir", reel.mkdir("out/made/deep"), reel.mkdir("out/made"), reel.mkdir("out"))
    ]])
    assert.are.equal(0, code, shown)
    assert.is_truthy(out:find("lines\t1", 1, true), shown)
    assert.is_truthy(out:find("valid\ttrue", 1, true), shown)
    assert.is_truthy(out:find("credits\t%d+"), shown)
    assert.is_truthy(out:find("probe\t640", 1, true), shown)
    assert.is_truthy(out:find("load\t2\t2", 1, true), shown)
    assert.is_truthy(out:find("env\ttrue\tnil", 1, true), shown)
    assert.is_truthy(out:find("string\t7\tX", 1, true), shown)
    assert.is_truthy(out:find("mkdir\ttrue\ttrue\ttrue", 1, true), shown)
    assert.are.equal("HELLO FROM THE SCRIPT'S FOLDER\n42\n", slurp(dir .. "/work/out/final.txt"))
    assert.is_string(slurp(dir .. "/work/out/first.png"))
    assert.are.equal(before, snapshot(dir), "only --out changes")
  end)

  it("puts media.frame's default frame under --out, wherever it is", function()
    local dir = make_case("frames")
    write_file(dir .. "/work/script.lua", [[print("frame", media.frame("clip.mp4").path)]])
    local before = snapshot(dir)
    local code, out, err = sh(("cd %s/work && %s %s run --sandbox --out out/results script.lua")
      :format(q(dir), ENV, q(S.REEL)))
    local shown = ("\n--- stdout\n%s\n--- stderr\n%s"):format(out, err)
    assert.are.equal(0, code, shown)
    assert.is_truthy(out:find("frame\tout/results/frames/clip%-first%.png"), shown)
    assert.is_string(slurp(dir .. "/work/out/results/frames/clip-first.png"), shown)
    assert.are.equal(before, snapshot(dir), "only --out changes")
  end)

  it("gives reel.sandbox's results back and leaves the caller as it was", function()
    local _, _, code, out, _, shown = run("call", [[
      print(reel.sandbox(function(a, b) return a + b, io.popen == nil end, 1, 2))
      local ok, e = pcall(reel.sandbox, function() return io.popen("ls") end)
      print(ok, e.code)
      local util = reel.sandbox(function() return require "util" end)
      print(util.twice(4), package.loaded.util)
      local p = io.popen("echo outside")           -- the caller keeps its io
      print(p:read("l")); p:close()
      print(reel.sandbox(function() async.sleep(0.01) return "waited" end))
      -- a call left suspended in a coroutine ends when the coroutine goes
      local co = coroutine.wrap(function() reel.sandbox(function() coroutine.yield() end) end)
      co(); co = nil
      collectgarbage(); collectgarbage()
      local t = {}
      for i = 1, 2e5 do t[i] = ("x"):rep(200) .. i end  -- over the 32 MiB a call may use
      print(#t)
    ]], { call = true })
    assert.are.equal(0, code, shown)
    assert.are.equal("3\tfalse\nfalse\tSandboxViolation\n8\tnil\noutside\nwaited\n200000\n", out, shown)
  end)
end)

describe("reel run --sandbox --sim #sim", function()
  teardown(S.cleanup)

  -- The flagship storyboard, sandboxed, from a fresh folder: it makes its
  -- folders with reel.mkdir. The journal and the simulator's data (reel's
  -- own, not the script's) are kept beside the case folder.
  it("renders scripts/lighthouse.lua into --out", function()
    local SOURCE = assert(os.getenv("REEL_SOURCE_DIR"), "REEL_SOURCE_DIR is not set")
    local scripts = SOURCE .. "/scripts"
    local listing = "find . -printf '%p %y %s %T@ %l\\n' | sort"
    local function scripts_now() return select(2, sh(("cd %s && %s"):format(q(scripts), listing))) end
    local dir = S.newdir("lighthouse")
    assert(sh(("mkdir -p %s/work %s/state"):format(q(dir), q(dir))) == 0)
    local before, scripts_before = snapshot(dir), scripts_now()
    local code, out, err = sh(("cd %s/work && VIDU_API_KEY=%s %s run --sandbox --sim --speed 50 --quiet "
      .. "--journal %s --out out %s"):format(q(dir), KEY, q(S.REEL), q(dir .. "/state/journal.db"),
      q(scripts .. "/lighthouse.lua")))
    local shown = ("\n--- stdout\n%s\n--- stderr\n%s"):format(out, err)
    assert.are.equal(0, code, shown)
    for _, name in ipairs{ "film.mp4", "index.html", "storyboard.json" } do
      local bytes = slurp(dir .. "/work/out/lighthouse/" .. name)
      assert.is_truthy(bytes and #bytes > 0, name .. " is missing" .. shown)
    end
    assert.is_truthy(out:find("film:%s+out/lighthouse/film%.mp4"), shown)
    -- Outside --out only reel's own state changed (the journal and the
    -- simulator), and work/ itself, for --out was made in it.
    local function without_state(listing_text)
      return (listing_text:gsub("[^\n]*%./state[^\n]*\n", ""):gsub("%./work d [^\n]*\n", ""))
    end
    assert.are.equal(without_state(before), without_state(snapshot(dir)), "only --out changes" .. shown)
    assert.are.equal(scripts_before, scripts_now(), "the script's folder changed" .. shown)
  end)

  it("lets vidu calls run, wait and take frames", function()
    local dir, before, code, out, _, shown = run("sim", [[
      local t = vidu.text2video{ model = "viduq2", prompt = "a lighthouse at dawn", duration = 4, name = "open" }
      local clip = t:wait{ timeout = 120 }
      print("clip", clip.path, clip.duration)
      print("frame", clip:last_frame().path)
      print(pcall(clip.first_frame, clip, { out = OUTSIDE .. "/f.png" }))
    ]], { args = "--sim --speed 50 --quiet" })
    assert.are.equal(0, code, shown)
    assert.is_truthy(out:find("clip\tout/open%-[%w]+%.mp4\t4"), shown)
    assert.is_truthy(out:find("frame\tout/open%-[%w]+%-last%.png"), shown)
    assert.is_truthy(out:find("false\tsandbox: media.frame out", 1, true), shown)
    assert.is_nil(slurp(dir .. "/outside/f.png"))
    assert.are.equal(before, snapshot(dir), "only --out changes")
  end)
end)
