-- The REPL driven as a person drives it: tmux runs `reel repl --sim` in a
-- terminal, send-keys types, capture-pane reads what the screen shows. The
-- simulator runs in the reel process (real HTTP, real MP4s); the journal,
-- --out and the history file are in a fresh folder per session. Run by
-- lua5.4 (ctest repl_e2e); also `reel repl` with a pipe for stdin.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "client/?.lua;" .. package.path
local S = require "support"
if not S.configured then S.skip(describe, pending) return end
S.bind{ assert = assert }
local q, sh, slurp = S.q, S.sh, S.slurp

local function now() return tonumber((select(2, sh("date +%s.%N")))) end

-- A tmux server of the spec's own (never the user's), one session per test.
local SOCKET = ("reel-repl-e2e-%d-%d"):format(os.time(), math.random(1e6))
local function tmux(args) return sh("tmux -u -L " .. SOCKET .. " " .. args) end

local Term = {}
Term.__index = Term

-- `reel repl ARGS` in a 150x40 terminal, in folder `dir` with HOME there
-- (so the history goes to dir/.local/state/reel/history). When reel exits,
-- its status is written to dir/status.
function Term.start(dir, args)
  local name = "s" .. math.random(1e8)
  local cmd = ("cd %s && env -u XDG_STATE_HOME HOME=%s TERM=xterm %s repl %s; echo $? > status; sleep 60")
    :format(q(dir), q(dir), q(S.REEL), args or "")
  assert.are.equal(0, (tmux(("new-session -d -s %s -x 150 -y 40 %s"):format(name, q(cmd)))))
  local t = setmetatable({ name = name, dir = dir }, Term)
  t:wait_for("^>$", 10, "the first prompt")
  return t
end

function Term:type(text) tmux(("send-keys -t %s -l %s"):format(self.name, q(text))) end
function Term:key(...) tmux(("send-keys -t %s %s"):format(self.name, table.concat({ ... }, " "))) end
function Term:line(text) self:type(text); self:key("Enter") end

-- The screen's lines, wrapped lines joined, trailing blanks dropped (tmux
-- drops those of each line: an empty prompt reads ">").
function Term:screen()
  local _, out = tmux("capture-pane -p -J -t " .. self.name)
  return (out:gsub("[ \t]+\n", "\n"):gsub("%s+$", ""))
end

function Term:last_line()
  return (self:screen():match("([^\n]*)$"))
end

-- Polls the screen until a line matches `pattern`; returns the screen.
function Term:wait_for(pattern, seconds, what)
  local deadline = now() + (seconds or 10)
  local screen
  repeat
    screen = self:screen()
    for line in (screen .. "\n"):gmatch("([^\n]*)\n") do
      if line:find(pattern) then return screen end
    end
    S.sleep(0.1)
  until now() > deadline
  error(("no line matching %q (%s) on the screen:\n%s"):format(pattern, what or "", screen), 2)
end

-- Types a line and waits for the prompt that follows its output; returns
-- the lines printed between the typed line and that prompt. Typing the next
-- line only then keeps the screen plain: keys typed while a line runs are
-- echoed by the terminal and then drawn again at the prompt.
function Term:run(text, seconds)
  local before = select(2, self:screen():gsub("\n", ""))
  self:line(text)
  local deadline = now() + (seconds or 10)
  repeat
    local screen = self:screen()
    local lines = {}
    for line in (screen .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
    if #lines > before + 1 and lines[#lines] == ">" then
      for i = #lines - 1, 1, -1 do
        if lines[i] == "> " .. text then
          return table.concat(lines, "\n", i + 1, #lines - 1)
        end
      end
    end
    S.sleep(0.1)
  until now() > deadline
  error(("%q did not come back to the prompt; screen:\n%s"):format(text, self:screen()), 2)
end

function Term:stop() tmux("kill-session -t " .. self.name) end

-- Waits for reel to exit; its exit status.
function Term:exit_status(seconds)
  local deadline = now() + (seconds or 10)
  repeat
    local s = slurp(self.dir .. "/status")
    if s and s:match("%d") then return tonumber(s:match("%d+")) end
    S.sleep(0.1)
  until now() > deadline
  return nil
end

local function session(label, args)
  return Term.start(S.newdir(label), (args or "") .. " --sim --speed 10 --journal j.db --out out")
end

local SHOT = 'vidu.text2video{ model = "viduq2", prompt = "a lighthouse at dawn", duration = %d, resolution = "540p", name = %q }'

teardown(function()
  tmux("kill-server")
  S.cleanup()
end)

describe("reel repl in a terminal", function()
  it("submits a shot, waits on it with a live progress line, and prints the clip's duration", function()
    local t = session("shot")
    t:run("t = " .. SHOT:format(8, "open"))
    t:line("clip = t:wait()")
    -- While it waits: one live line for the task, redrawn in place.
    local screen = t:wait_for("^open%s+processing%s+[%d.]+ s", 20, "the live progress line")
    assert.truthy(screen:find("open%s+processing%s+[%d.]+ s%s+~%d+ s left%s+50 credits"), screen)
    t:wait_for("^open%s+done", 30, "the final line")
    t:wait_for("^>$", 10, "the prompt after the wait")
    assert.are.equal("8.0", t:run("=clip.duration"))
    assert.are.equal("528", t:run("clip.height"))  -- 540p at 16:9, in whole macroblocks
    assert.truthy(t:run("clip"):find('^vidu%.Clip%(out/open%-%d+%.mp4, 8%.00 s, 960x528%)$'))
    assert.are.equal('"success"', t:run("t.state"))
    t:stop()
  end)

  it("shows a task that finishes while the prompt waits in one line above it, keeping what was typed", function()
    local t = session("notice")
    t:run("t = " .. SHOT:format(4, "bg"))
    t:type("x = 42")  -- typed, not entered: the prompt is waiting
    local screen = t:wait_for("^bg%s+done", 30, "the notice")
    local notice = screen:match("\n(bg%s+done[^\n]*)\n> x = 42$")
    assert.truthy(notice, "the notice is not right above the prompt with its input:\n" .. screen)
    assert.truthy(notice:find("out/bg%-%d+%.mp4%s+%d+ credits%s+task %d+"), notice)
    -- One notice, and the typed line still works.
    assert.are.equal(1, select(2, screen:gsub("bg%s+done", "")))
    t:key("Enter")
    assert.are.equal("42", t:run("x"))
    t:stop()
  end)

  it("completes globals, fields, methods and the option names of a create call", function()
    local t = session("complete")
    t:type("vidu.te"); t:key("Tab")
    t:wait_for("^> vidu%.text2video$", 5, "vidu.te<TAB>")
    t:key("C-u")
    t:run("t = " .. SHOT:format(2, "c"))
    t:run("clip = t:wait()", 30)
    t:type("clip:la"); t:key("Tab")
    t:wait_for("^> clip:last_frame$", 5, "clip:la<TAB>")
    t:key("C-u")
    t:type("t:wa"); t:key("Tab")
    t:wait_for("^> t:wait$", 5, "t:wa<TAB>")
    t:key("C-u")
    t:type('vidu.text2video{ model = "viduq2", pro'); t:key("Tab")
    t:wait_for('^> vidu%.text2video{ model = "viduq2", prompt$', 5, "an option name")
    t:key("C-u")
    -- Two candidates: both listed, the prompt and its input drawn again.
    t:type('vidu.text2video{ model = "viduq2", p'); t:key("Tab"); t:key("Tab")
    local screen = t:wait_for("payload%s+prompt", 5, "the list of candidates")
    assert.are.equal('> vidu.text2video{ model = "viduq2", p', screen:match("([^\n]*)$"))
    t:key("C-u")
    t:stop()
  end)

  it("stops waiting at Ctrl-C and the task goes on, in the background and in the journal", function()
    local t = session("interrupt", "")
    t:run("u = " .. SHOT:format(8, "long"))
    t:line("u:wait()")
    t:wait_for("^long%s+processing", 20, "the task running")
    t:key("C-c")
    t:wait_for("^interrupted; tasks already submitted keep running", 5, "the interrupt")
    assert.are.equal(">", t:last_line())
    local state = t:run("u.state")
    assert.truthy(state == '"processing"' or state == '"queueing"', state)
    t:wait_for("^long%s+done", 30, "the task finishing after the interrupt")
    assert.are.equal("8.0", t:run("u:wait().duration"))
    local tasks = t:run(".tasks")
    assert.truthy(tasks:find("\n1%s+long%s+text2video%s+viduq2%s+success%s+50%s"), tasks)
    t:stop()
  end)

  it("reads multi-line chunks, pretty-prints, says errors in one sentence, and Ctrl-C drops a typed line", function()
    local t = session("lines")
    t:line("function twice(a)")
    t:line("  return a * 2")
    t:line("end")
    t:wait_for("^>$", 5)
    assert.are.equal("42", t:run("twice(21)"))
    assert.are.equal('{ 3, 1, a = "x", b = { c = true } }', t:run('{ 3, 1, b = { c = true }, a = "x" }'))
    local err = t:run('vidu.text2video{ model = "viduq2", prompt = "x", duration = 99 }')
    assert.truthy(err:find("^error: %a+: [^\n]*duration"), err)
    assert.is_nil(err:find("\n"), "one line: " .. err)
    t:type("half typed")
    t:key("C-c")
    t:wait_for("^> half typed$", 5)
    assert.are.equal(">", t:last_line())
    assert.are.equal("7", t:run("3 + 4"))
    -- Characters beyond ASCII are edited and kept whole, whatever LANG says.
    assert.are.equal('"café — ok"', t:run('="café — ok"'))
    t:stop()
  end)

  it("lists modules and commands with .help, and leaves at Ctrl-D with history kept for the next session", function()
    local dir = S.newdir("history")
    local args = "--sim --journal j.db --out out"
    local t = Term.start(dir, args)
    local help = t:run(".help")
    for _, word in ipairs{ "vidu", "media", "async", "json", "storyboard", ".help", ".tasks", ".exit", "Ctrl-C", "Ctrl-D" } do
      assert.truthy(help:find(word, 1, true), word .. " is not in .help:\n" .. help)
    end
    assert.truthy(t:run(".nope"):find(".help", 1, true))
    t:run("answer = 6 * 7")
    t:key("C-d")
    assert.are.equal(0, t:exit_status())
    local history = slurp(dir .. "/.local/state/reel/history")
    assert.truthy(history and history:find("answer"), "no history file with the line")
    assert.are.equal("-rw-------", (select(2, sh("stat -c %A " .. q(dir .. "/.local/state/reel/history")))):match("%S+"))
    t:stop()
    -- A new session recalls it with the up arrow.
    local again = Term.start(dir, args)
    again:key("Up")
    again:wait_for("^> answer = 6 %* 7$", 5, "the line from history")
    again:key("Enter")
    assert.are.equal("42", again:run("answer"))
    again:stop()
  end)
end)

describe("reel repl with a pipe", function()
  it("runs what it reads, prints results, no prompt", function()
    local code, out, err = sh("echo 'print(1)' | " .. q(S.REEL) .. " repl")
    assert.are.same({ 0, "1\n", "" }, { code, out, err })
    code, out = sh("printf 'x = 20 +\\n 1\\n=x * 2\\n{1, 2}\\n' | " .. q(S.REEL) .. " repl")
    assert.are.same({ 0, "42\n{ 1, 2 }\n" }, { code, out })
  end)

  it("says errors on stderr and exits 1 when a chunk failed", function()
    local code, out, err = sh("printf 'error(\"boom\")\\nprint(2)\\n' | " .. q(S.REEL) .. " repl")
    assert.are.equal(1, code)
    assert.are.equal("2\n", out)
    assert.truthy(err:find("stdin:1: boom", 1, true), err)
  end)
end)
