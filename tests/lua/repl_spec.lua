-- reel.repl, the Lua side of `reel repl`, inside reel (busted --lua=reel):
-- how results and errors read, what Tab offers, and the dot commands. The
-- line editing around it is C++ and tested end to end.
local repl = require "reel.repl"

local function assert_mentions(text, ...)
  for _, word in ipairs{ ... } do
    assert.truthy(tostring(text):find(word, 1, true), ("%q does not mention %q"):format(tostring(text), word))
  end
end

local function contains(list, value)
  for _, v in ipairs(list) do
    if v == value then return true end
  end
  return false
end

local function clip()
  return setmetatable({ path = "/tmp/open.mp4", duration = 5, width = 1280, height = 720 }, vidu.Clip)
end

describe("repl.pretty", function()
  it("shows scalars as Lua would read them, strings quoted with readable escapes", function()
    assert.are.equal("42", repl.pretty(42))
    assert.are.equal("2.5", repl.pretty(2.5))
    assert.are.equal("nil", repl.pretty(nil))
    assert.are.equal("false", repl.pretty(false))
    assert.are.equal([["a\nb"]], repl.pretty("a\nb"))
    assert.are.equal([["say \"hi\"\t\\ \001"]], repl.pretty('say "hi"\t\\ \1'))
    assert.are.equal([["café ☕"]], repl.pretty("café ☕"))
    assert.are.equal([["\xFF\xFE"]], repl.pretty("\255\254"))
  end)

  it("puts a short table on one line: array part, then names, then other keys", function()
    assert.are.equal("{}", repl.pretty({}))
    assert.are.equal('{ 1, 2, a = "x" }', repl.pretty({ 1, 2, a = "x" }))
    local t = { "a", "b", zeta = 1, alpha = 2, ["x y"] = 3, ["end"] = 4, [true] = 5,
                [false] = 6, [2.5] = 7, [10] = 8, [-1] = 9 }
    assert.are.equal('{ "a", "b", alpha = 2, zeta = 1, [false] = 6, [true] = 5, [-1] = 9, '
                     .. '[2.5] = 7, [10] = 8, ["end"] = 4, ["x y"] = 3 }',
                     repl.pretty(t, { width = 200 }))
  end)

  it("puts one entry a line, indented by two, when the table does not fit", function()
    local t = { name = "open", prompt = ("a lighthouse at dawn, "):rep(3),
                size = { width = 1280, height = 720 }, tags = {} }
    assert.are.equal(table.concat({
      "{",
      '  name = "open",',
      '  prompt = "a lighthouse at dawn, a lighthouse at dawn, a lighthouse at dawn, ",',
      "  size = { height = 720, width = 1280 },",
      "  tags = {}",
      "}",
    }, "\n"), repl.pretty(t))
    assert.are.equal("{\n  1,\n  2,\n  3\n}", repl.pretty({ 1, 2, 3 }, { width = 8 }))
  end)

  it("indents nested tables that do not fit either", function()
    local t = { shots = { { id = "open", text = ("waves "):rep(8) }, { id = "push" } } }
    assert.are.equal(table.concat({
      "{",
      "  shots = {",
      "    {",
      '      id = "open",',
      '      text = "waves waves waves waves waves waves waves waves "',
      "    },",
      '    { id = "push" }',
      "  }",
      "}",
    }, "\n"), repl.pretty(t))
  end)

  it("marks cycles, cuts deep tables and long ones", function()
    local t = { name = "loop" }
    t.self = t
    t.list = { t, 1 }
    assert.are.equal('{ list = { <cycle>, 1 }, name = "loop", self = <cycle> }', repl.pretty(t))
    -- The same table twice is not a cycle.
    local shared = { 1 }
    assert.are.equal("{ { 1 }, { 1 } }", repl.pretty({ shared, shared }))

    assert.are.equal("{ { { { {…} } } } }", repl.pretty({ { { { { 1 } } } } }))
    assert.are.equal("{ { {…} } }", repl.pretty({ { { 1 } } }, { depth = 2 }))
    assert.are.equal("{ { {} } }", repl.pretty({ { {} } }, { depth = 2 }))

    local long = {}
    for i = 1, 60 do long[i] = i end
    assert.are.equal("{ 1, 2, 3, … 57 more }", repl.pretty(long, { items = 3 }))
    local lines = {}
    for line in repl.pretty(long):gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(53, #lines)  -- {, 50 entries, … 10 more, }
    assert.are.equal("  50,", lines[51])
    assert.are.equal("  … 10 more", lines[52])
  end)

  it("shows an object with __tostring as its one line", function()
    local c = clip()
    assert.are.equal(tostring(c), repl.pretty(c))
    assert_mentions(repl.pretty(c), "vidu.Clip", "/tmp/open.mp4")
    assert.are.equal("{ clip = " .. tostring(c) .. ", n = 1 }", repl.pretty({ clip = c, n = 1 }))
    local two_lines = setmetatable({}, { __tostring = function() return "first\nsecond" end })
    assert.are.equal("first …", repl.pretty(two_lines))
    local broken = setmetatable({}, { __tostring = function() error("no") end, __name = "Broken" })
    assert.are.equal("Broken: (tostring failed)", repl.pretty(broken))
  end)

  it("shows a vidu.Error as its error line, also inside a table", function()
    local err = vidu.Error.new{ code = "TaskFailed", message = "task 8123 failed: boom", shot = "open" }
    assert.are.equal('TaskFailed (shot "open"): task 8123 failed: boom', repl.pretty(err))
    assert.are.equal('{ error = TaskFailed (shot "open"): task 8123 failed: boom }',
                     repl.pretty({ error = err }))
  end)

  it("shows functions and threads briefly", function()
    assert.are.equal(tostring(print), repl.pretty(print))
    assert.truthy(repl.pretty(coroutine.create(print)):match("^thread: "))
  end)
end)

describe("repl.results", function()
  it("is nil without results and joins several with tabs, each pretty", function()
    assert.is_nil(repl.results(0))
    assert.are.equal("nil", repl.results(1, nil))
    assert.are.equal('nil\t"x"\t1.5\t{ 1 }', repl.results(4, nil, "x", 1.5, { 1 }))
    assert.are.equal("1\tnil", repl.results(2, 1))
  end)
end)

describe("repl.error_line", function()
  it("is the code and the message", function()
    local err = vidu.Error.new{ code = "FieldInvalid", message = "duration must be 4 to 8, not 12" }
    assert.are.equal("FieldInvalid: duration must be 4 to 8, not 12", repl.error_line(err))
  end)

  it("names the shot, unless the message does already", function()
    local err = vidu.Error.new{ code = "TaskFailed", message = "task 8123 failed: boom", shot = "open" }
    assert.are.equal('TaskFailed (shot "open"): task 8123 failed: boom', repl.error_line(err))
    local named = vidu.Error.new{ code = "ShotInvalid", message = 'shot "open": bad id', shot = "open" }
    assert.are.equal('ShotInvalid: shot "open": bad id', repl.error_line(named))
    local by_name = vidu.Error.new{ code = "TaskFailed", message = "no credits", name = "dusk" }
    assert.are.equal('TaskFailed (shot "dusk"): no credits', repl.error_line(by_name))
  end)
end)

describe("repl.describe_error", function()
  it("shows a vidu.Error as one line, never a traceback", function()
    local err = vidu.Error.new{ code = "MediaInvalid", message = "/x.mp4: no such file" }
    assert.are.equal("error: MediaInvalid: /x.mp4: no such file",
                     repl.describe_error(err, "x\nstack traceback:\n\tstdin:1: in main chunk"))
  end)

  it("keeps the traceback lines of the code typed, not of the REPL", function()
    local traceback = table.concat({
      "stdin:1: boom",
      "stack traceback:",
      "\t[C]: in function 'error'",
      "\tstdin:1: in main chunk",
      "\t[C]: in function 'xpcall'",
      "\t...work/main/stdlib/reel/repl.lua:98: in function 'reel.repl.eval'",
      "\t[C]: in ?",
    }, "\n")
    assert.are.equal("stdin:1: boom\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk",
                     repl.describe_error("stdin:1: boom", traceback))
    local only_ours = "x\nstack traceback:\n\t[C]: in function 'xpcall'\n\t[C]: in ?"
    assert.are.equal("stdin:1: x", repl.describe_error("stdin:1: x", only_ours))
    assert.are.equal("stdin:1: x", repl.describe_error("stdin:1: x", nil))
  end)

  it("works on the traceback of a real xpcall", function()
    local traceback
    local ok, err = xpcall(function() error("boom") end, function(e)
      traceback = debug.traceback(e, 2)
      return e
    end)
    assert.is_false(ok)
    local text = repl.describe_error(err, traceback)
    assert.truthy(text:find("^[^\n]*repl_spec.lua:%d+: boom\nstack traceback:\n\t%[C%]: in function 'error'\n"), text)
    assert.is_nil(text:find("in function 'xpcall'", 1, true))
  end)

  it("shows other error values as lua5.4 does", function()
    assert.are.equal("(error object is a table value)", repl.describe_error({}))
    assert.are.equal("(error object is a nil value)", repl.describe_error(nil))
    assert.are.equal("42", repl.describe_error(42))
    local custom = setmetatable({}, { __tostring = function() return "custom failure" end })
    assert.are.equal("custom failure", repl.describe_error(custom))
  end)
end)

describe("repl.eval", function()
  it("returns the results as text", function()
    assert.are.same({ true, '1\tnil\t"z"' }, { repl.eval(function() return 1, nil, "z" end) })
    assert.are.same({ true }, { repl.eval(function() end) })
  end)

  it("may wait inside (the line runs in a fiber)", function()
    local ok, text = repl.eval(function()
      async.sleep(0.01)
      local h = async.spawn(function() async.sleep(0.01) return "late" end)
      return h:wait()
    end)
    assert.is_true(ok, text)
    assert.are.equal('"late"', text)
  end)

  it("describes a failure with the traceback from where it was raised", function()
    local chunk = assert(load("local x = nil\nreturn x.y", "=stdin"))
    local ok, text = repl.eval(chunk)
    assert.is_false(ok)
    assert.truthy(text:find("^stdin:2: attempt to index a nil value %(local 'x'%)\nstack traceback:\n"
                            .. "\tstdin:2: in main chunk\n"), text)
    assert.is_nil(text:find("repl.lua", 1, true), text)
    assert.is_nil(text:find("xpcall", 1, true), text)

    local failed = assert(load("error('late', 0)", "=stdin"))
    ok, text = repl.eval(function() async.sleep(0.01) return failed() end)
    assert.is_false(ok)
    assert.truthy(text:find("^late\nstack traceback:\n\t%[C%]: in function 'error'\n\tstdin:1: in "), text)
  end)

  it("shows a vidu.Error as one line", function()
    local ok, text = repl.eval(function()
      error(vidu.Error.new{ code = "FieldInvalid", message = "prompt is required", shot = "open" })
    end)
    assert.is_false(ok)
    assert.are.equal('error: FieldInvalid (shot "open"): prompt is required', text)
  end)
end)

describe("repl.complete", function()
  after_each(function()
    _G.spec_clip, _G.spec_task, _G.spec_text = nil, nil, nil
  end)

  it("offers globals and keywords for a bare word", function()
    assert.is_true(contains(repl.complete("vi", "vi"), "vidu"))
    assert.are.same({ "while" }, repl.complete("whi", "whi"))
    assert.are.same({ "print" }, repl.complete("x = pri", "pri"))
    assert.are.same({}, repl.complete("zzz_nothing", "zzz_nothing"))
  end)

  it("walks dotted paths from the globals, loading vidu and media", function()
    assert.are.same({ "vidu.text2video" }, repl.complete("vidu.te", "vidu.te"))
    assert.are.same({ "string.format" }, repl.complete("string.for", "string.for"))
    assert.are.same({ "x-vidu.text2video" }, repl.complete("x-vidu.te", "x-vidu.te"))
    assert.is_true(contains(repl.complete("media.", "media."), "media.probe"))
    assert.are.same({ "vidu.Error.is", "vidu.Error.new" }, repl.complete("vidu.Error.", "vidu.Error."))
    -- Metamethods only when asked for.
    assert.are.same({ "vidu.Error.__name", "vidu.Error.__tostring" },
                    repl.complete("vidu.Error.__", "vidu.Error.__"))
    assert.are.same({}, repl.complete("nope.x", "nope.x"))
    assert.are.same({}, repl.complete("string..", "string.."))
  end)

  it("offers a Clip's fields after . and its methods after :", function()
    _G.spec_clip = clip()
    assert.are.same({ "spec_clip:last_frame" }, repl.complete("spec_clip:la", "spec_clip:la"))
    assert.are.same({ "spec_clip:first_frame", "spec_clip:last_frame" },
                    repl.complete("spec_clip:", "spec_clip:"))
    assert.are.same({ "spec_clip.duration", "spec_clip.first_frame", "spec_clip.height",
                      "spec_clip.last_frame", "spec_clip.path", "spec_clip.width" },
                    repl.complete("spec_clip.", "spec_clip."))
  end)

  it("offers a Task's fields after . and its methods after :, from vidu.Task", function()
    -- A Task needs a server; the completion reads only the metatable.
    _G.spec_task = setmetatable({}, vidu.Task)
    assert.are.same({ "spec_task:cancel", "spec_task:wait" }, repl.complete("spec_task:", "spec_task:"))
    local fields = repl.complete("spec_task.", "spec_task.")
    for _, name in ipairs(getmetatable(_G.spec_task).fields) do
      assert.is_true(contains(fields, "spec_task." .. name), name)
    end
    assert.is_false(contains(fields, "spec_task.wait"))
    assert.are.same({ "spec_task.state" }, repl.complete("spec_task.st", "spec_task.st"))
  end)

  it("offers a string's methods", function()
    _G.spec_text = "abc"
    assert.are.same({ "spec_text:upper" }, repl.complete("spec_text:up", "spec_text:up"))
    assert.are.same({ ":format" }, repl.complete('("x"):fo', ":fo"))
  end)

  it("never calls an __index function", function()
    local called = false
    _G.spec_text = setmetatable({ a = 1 }, { __index = function() called = true end })
    assert.are.same({ "spec_text.a" }, repl.complete("spec_text.", "spec_text."))
    assert.are.same({}, repl.complete("spec_text.b.", "spec_text.b."))
    assert.is_false(called)
  end)

  it("offers the options of a vidu call at a key position, less those given", function()
    local options = repl.complete('vidu.text2video{ model = "viduq2", pro', "pro")
    assert.is_true(contains(options, "prompt"))
    for _, name in ipairs(options) do assert.are.equal("pro", name:sub(1, 3)) end
    local all = repl.complete('vidu.text2video{ model = "viduq2",\n  ', "")
    assert.is_true(contains(all, "duration"))
    assert.is_false(contains(all, "model"))
    assert.are.equal(#vidu.options("text2video") - 1, #all)
    assert.are.same({ "seed" }, repl.complete('vidu.img2video({ model = "viduq2"; se', "se"))
    assert.are.same({ "duration" }, repl.complete("vidu.text2video{ -- a { comment\n du", "du"))
    assert.is_true(contains(repl.complete('vidu.extend{ prompt = "a { b", vid', "vid"), "video"))
  end)

  it("offers names, not options, after = and outside the call", function()
    assert.are.same({ "print" }, repl.complete("vidu.text2video{ prompt = pri", "pri"))
    assert.are.same({ "print" }, repl.complete("vidu.text2video{}; pri", "pri"))
    assert.is_false(contains(repl.complete("vidu.text2video{ meta_data = { pro", "pro"), "prompt"))
  end)

  it("offers the models that make the kind after model = \"", function()
    local models = repl.complete('vidu.img2video({ model = "viduq2-p', "viduq2-p")
    local expected = {}
    for _, m in ipairs(vidu.models("img2video")) do
      if m:sub(1, 8) == "viduq2-p" then expected[#expected + 1] = m end
    end
    table.sort(expected)
    assert.is_true(contains(models, "viduq2-pro"))
    assert.are.same(expected, models)
    local all = repl.complete('vidu.text2video{ prompt = "x", model = "', "")
    assert.are.equal(#vidu.models("text2video"), #all)
  end)

  it("offers the dot commands on a first line", function()
    assert.are.same({ ".help" }, repl.complete(".he", ".he"))
    assert.are.same({ ".exit", ".help", ".tasks" }, repl.complete(".", "."))
  end)
end)

describe("repl.command", function()
  it(".help names every module, command and key", function()
    local text = repl.command(".help")
    assert_mentions(text, "vidu", "media", "async", "json", 'require "storyboard"',
                    ".help", ".tasks [N]", ".exit", "Tab", "Ctrl-C", "Ctrl-D", "=expr", "t:wait()",
                    "$XDG_STATE_HOME/reel/history", "~/.local/state/reel/history")
    assert.is_nil(text:find("\n$"))
  end)

  it("names an unknown command", function()
    assert.are.equal("unknown command .x; .help lists the commands", repl.command(".x"))
  end)

  it(".tasks refuses a count that is not a positive whole number", function()
    for _, bad in ipairs{ "0", "-1", "2.5", "x", "3 4" } do
      local text = repl.command(".tasks " .. bad)
      assert_mentions(text, "positive whole number", bad)
      assert.is_nil(text:find("\n"), text)
    end
  end)

  it(".tasks reads the journal", function()
    -- Whatever the journal of this folder holds: a table or the empty message.
    local text = repl.command(".tasks 3")
    assert.truthy(text:find("^the journal holds no tasks yet %(") or text:find("^ID%s+SHOT%s+KIND"), text)
  end)

  it("formats the journal's rows oldest first, aligned", function()
    local now = 1700000000
    local rows = {  -- as vidu.journal gives them: newest first
      { id = 3, shot = "dusk", kind = "start_end", model = "viduq2-pro", state = "failed",
        err_code = "TaskFailed", task_id = "8123", file = "", created_at = now - 7200,
        updated_at = now - 7000, script = "lighthouse.lua" },
      { id = 2, shot = "", kind = "extend", model = "viduq2-turbo", state = "processing",
        err_code = "", task_id = "8122", created_at = now - 200, updated_at = now - 100 },
      { id = 1, shot = "open", kind = "text2video", model = "viduq2", state = "success",
        err_code = "", credits = 20, task_id = "8121", file = "/tmp/out/lighthouse/open.mp4",
        created_at = now - 12, updated_at = now - 5, script = "lighthouse.lua" },
    }
    assert.are.equal(table.concat({
      "ID  SHOT  KIND        MODEL         STATE                CREDITS  AGE   FILE",
      "1   open  text2video  viduq2        success              20       12 s  open.mp4",
      "2   -     extend      viduq2-turbo  processing           -        3 m   -",
      "3   dusk  start_end   viduq2-pro    failed (TaskFailed)  -        2 h   -",
    }, "\n"), repl.format_tasks(rows, "/tmp/j.db", now))
    rows[1].created_at = now - 5 * 86400 - 1
    assert_mentions(repl.format_tasks(rows, "/tmp/j.db", now), "5 d")
  end)

  it("says when the journal holds nothing, naming it", function()
    assert.are.equal("the journal holds no tasks yet (.reel/journal.db)",
                     repl.format_tasks({}, ".reel/journal.db", os.time()))
  end)
end)
