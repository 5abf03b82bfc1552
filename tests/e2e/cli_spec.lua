-- The reel binary driven from outside, as a user's shell drives it. Runs under
-- the reference lua5.4 (busted --lua=lua5.4), with REEL naming the binary.
local REEL = assert(os.getenv("REEL"), "set REEL to the reel binary")
local SRC = assert(os.getenv("REEL_SOURCE_DIR"), "set REEL_SOURCE_DIR")

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Runs a shell command line; returns exit status, stdout, stderr.
local function run(cmdline, stdin)
  local out, err, inp = os.tmpname(), os.tmpname(), os.tmpname()
  local f = assert(io.open(inp, "w")); f:write(stdin or ""); f:close()
  local _, _, code = os.execute(("{ %s; } <%s >%s 2>%s"):format(cmdline, inp, out, err))
  local function slurp(p) local h = assert(io.open(p)); local s = h:read("a"); h:close(); os.remove(p); return s end
  os.remove(inp)
  return code, slurp(out), slurp(err)
end

local function reel(args, stdin) return run(sh_quote(REEL) .. " " .. args, stdin) end

local function write_file(path, text)
  local f = assert(io.open(path, "w")); f:write(text); f:close()
end

describe("reel run", function()
  it("runs a script with its arguments, reel's words before it as negative indices", function()
    local code, out = reel("run " .. sh_quote(SRC .. "/tests/e2e/fixtures/args.lua") .. " a b")
    assert.are.equal(0, code)
    assert.matches("arg%[%-2%]=[^\n]*reel\n", out)
    assert.matches("arg%[%-1%]=run\n", out)
    assert.matches("arg%[1%]=a\narg%[2%]=b\n", out)
  end)

  it("reports an error object whose __tostring raises, instead of failing in the report", function()
    local code, _, err = reel("-e " .. sh_quote('error(setmetatable({}, { __tostring = function() error("inner") end }))'))
    assert.are.equal(1, code)
    assert.truthy(err:find("(error object whose __tostring raised: (command line):1: inner)", 1, true), err)
  end)

  it("needs a script", function()
    local code, _, err = reel("run")
    assert.are.equal(2, code)
    assert.matches("usage: reel run SCRIPT.lua", err)
  end)

  it("answers `reel callbacks` without --listen as a usage error, status 2", function()
    local code, _, err = reel("callbacks")
    assert.are.equal(2, code)
    assert.truthy(err:find("--listen", 1, true), err)
    assert.is_nil(err:find("not built yet", 1, true), err)
  end)

  it("refuses an unknown option of its own with status 2 and a pointer to help", function()
    local code, _, err = reel("run --no-such-flag x.lua")
    assert.are.equal(2, code)
    assert.truthy(err:find("unknown option '--no-such-flag'", 1, true), err)
    assert.truthy(err:find("reel --help", 1, true), err)
  end)

  it("prints help and version", function()
    local code, out = reel("--help")
    assert.are.equal(0, code)
    for _, word in ipairs{ "run", "repl", "probe", "sim", "tasks", "-e stat" } do
      assert.truthy(out:find(word, 1, true), word)
    end
    code, out = reel("--version")
    assert.are.equal(0, code)
    assert.matches("^reel %d+%.%d+%.%d+", out)
  end)

  it("lists module paths in lookup order, Debian's folders included", function()
    local code, out = reel("--paths")
    assert.are.equal(0, code)
    assert.truthy(out:find("/usr/share/lua/5.4/?.lua", 1, true))
    assert.truthy(out:find("/usr/lib/x86_64-linux-gnu/lua/5.4/?.so", 1, true) or
                  out:find("/lua/5.4/?.so", 1, true))
  end)
end)

describe("exit statuses", function()
  it("is 1 for a script error, with the message and a traceback", function()
    local code, _, err = reel("-e \"error('boom')\"")
    assert.are.equal(1, code)
    assert.matches(": %(command line%):1: boom\nstack traceback:", err)
  end)

  it("is 1 when a spawned task failed and nobody waited for it", function()
    local code, _, err = reel("-e \"async.spawn(function() async.sleep(0.01) error('lost') end)\"")
    assert.are.equal(1, code)
    assert.matches("an async task failed and nobody waited for it", err)
    assert.matches("lost", err)
  end)

  it("waits for background tasks before exiting", function()
    local code, out = reel("-e \"async.spawn(function() async.sleep(0.05) print('late') end)\"")
    assert.are.equal(0, code)
    assert.are.equal("late\n", out)
  end)

  it("reports a wait that can never end instead of hanging", function()
    local code, _, err = reel([[-e "local a, b; a = async.spawn(function() async.sleep(0) b:wait() end); b = async.spawn(function() async.sleep(0) a:wait() end); a:wait()"]])
    assert.are.equal(1, code)
    assert.matches("can never happen", err)
  end)

  local function interrupt(code_text)
    -- Started in the background by sh, which would make SIGINT ignored; reel
    -- installs its own handler while a chunk runs, as lua.c does.
    return run(("%s -e %s & pid=$!; sleep 0.5; kill -INT $pid; wait $pid"):format(
      sh_quote(REEL), sh_quote(code_text)))
  end

  it("is 130 when Ctrl-C arrives while the script waits", function()
    local code, _, err = interrupt("async.sleep(30)")
    assert.are.equal(130, code)
    assert.matches("interrupted!", err)
  end)

  it("is 130 when Ctrl-C arrives while Lua computes", function()
    local code, _, err = interrupt("while true do end")
    assert.are.equal(130, code)
    assert.matches("interrupted!", err)
  end)
end)

describe("modules from Debian", function()
  it("loads penlight with -l and reaches it by its dotted name", function()
    local code, out, err = reel([[-l pl.pretty -e "print(pl.pretty.write{1})"]])
    assert.are.equal(0, code, err)
    assert.are.equal("{\n  1\n}\n", out)
  end)

  it("loads a C module that links against the host's Lua", function()
    local code, out, err = reel([[-l lfs -e "print(type(lfs.currentdir()))"]])
    assert.are.equal(0, code, err)
    assert.are.equal("string\n", out)
  end)

  it("honours LUA_PATH for the script's own modules", function()
    local dir = os.tmpname(); os.remove(dir); assert(os.execute("mkdir -p " .. dir))
    write_file(dir .. "/teammod.lua", "return { hello = function() return 'from teammod' end }")
    local code, out = run(("LUA_PATH=%s %s -e %s"):format(sh_quote(dir .. "/?.lua"), sh_quote(REEL),
      sh_quote("print(require('teammod').hello())")))
    os.execute("rm -rf " .. dir)
    assert.are.equal(0, code)
    assert.are.equal("from teammod\n", out)
  end)
end)

describe("reel probe", function()
  local MEDIA = os.getenv("REEL_TEST_MEDIA")
  if not MEDIA then
    pending("REEL_TEST_MEDIA is not set")
    return
  end
  local function f(name) return sh_quote(MEDIA .. "/" .. name) end

  it("prints the facts of several files", function()
    local code, out, err = reel("probe " .. f("h264_aac.mp4") .. " " .. f("image.webp"))
    assert.are.equal(0, code, err)
    assert.truthy(out:find("video: h264 1280x720", 1, true), out)
    assert.truthy(out:find("audio: aac", 1, true), out)
    assert.truthy(out:find("image.webp: image", 1, true), out)
  end)

  it("prints JSON that json.decode reads back", function()
    local code, out = reel("probe --json " .. f("rotated.mp4"))
    assert.are.equal(0, code)
    local decoded = select(2, reel("-e " .. sh_quote("local j = json.decode(io.read('a')) print(j.files[1].video.width, j.files[1].video.rotation, j.ok)"), out))
    assert.matches("^720\t%-?90\ttrue\n$", decoded)
  end)

  it("exits 1 and says why when a file does not fit the use", function()
    local code, out = reel("probe --for extend " .. f("src_3.5s.mp4") .. " " .. f("src_4s.mp4"))
    assert.are.equal(1, code)
    assert.truthy(out:find("not ok for extend", 1, true), out)
    assert.truthy(out:find("ok for extend", 1, true), out)
    code = reel("probe --for extend " .. f("src_60s.mp4"))
    assert.are.equal(0, code)
  end)

  it("checks two images for start_end, and wants exactly two", function()
    assert.are.equal(0, (reel("probe --for start_end " .. f("image.png") .. " " .. f("image.jpg"))))
    assert.are.equal(1, (reel("probe --for start_end " .. f("image.png") .. " " .. f("tall_1x5.png"))))
    local code, _, err = reel("probe --for start_end " .. f("image.png"))
    assert.are.equal(2, code)
    assert.truthy(err:find("two images", 1, true), err)
  end)

  it("names the file and the reason for unreadable input, exit 1", function()
    local code, _, err = reel("probe " .. f("garbage.mp4"))
    assert.are.equal(1, code)
    assert.truthy(err:find("garbage.mp4", 1, true), err)
  end)

  it("refuses an unknown use with status 2", function()
    local code = reel("probe --for thumbnail " .. f("image.png"))
    assert.are.equal(2, code)
  end)
end)

describe("reel run --sim", function()
  it("starts the simulator in process on a loopback port and points VIDU_BASE_URL at it", function()
    local script = os.tmpname()
    write_file(script, [[
      local url = assert(os.getenv("VIDU_BASE_URL"))
      print(url)
      local h = io.popen("curl -s -o /dev/null -w '%{http_code}' " .. url .. "/_sim/stats")
      print(h:read("a"))
      h:close()
    ]])
    local code, out, err = reel("run --sim " .. sh_quote(script))
    os.remove(script)
    assert.are.equal(0, code, err)
    assert.matches("^http://127%.0%.0%.1:%d+\n200\n$", out)
  end)

  it("stops the simulator when the script ends", function()
    local script = os.tmpname()
    write_file(script, "print(os.getenv('VIDU_BASE_URL'))")
    local _, out = reel("run --sim " .. sh_quote(script))
    os.remove(script)
    local url = out:match("^(%S+)")
    local code = run("curl -s -o /dev/null --max-time 2 " .. sh_quote(url .. "/_sim/stats"))
    assert.are_not.equal(0, code)  -- nothing listens there any more
  end)
end)
