-- Compatibility proof: reel's lua command line against Debian's lua5.4.
--
--   lua5.4 tests/e2e/lua_compat.lua /path/to/reel /path/to/output.md
--
-- Every case runs under the reference interpreter (the lua5.4 running this
-- file) and under the binary given as arg[1], with stdin from a file and
-- stdout/stderr captured separately. The only normalisation is the program
-- name (each interpreter's own path becomes PROG), because lua.c prints it in
-- messages, in the usage text and as arg[-n]. Everything else must be byte
-- for byte the same. The side-by-side table goes to the output file and to
-- stdout; the last line is "N passed, M failed"; the exit status is 0 only
-- when every case matches.
--
-- Developing without reel: pass lua5.4 itself as the binary under test
--   lua5.4 tests/e2e/lua_compat.lua /usr/bin/lua5.4 /tmp/x.md
-- which must report every case as the same.

local TIMEOUT = 20 -- seconds per run; a hang (e.g. waiting on a tty) fails the case

---------------------------------------------------------------------------
-- Small helpers
---------------------------------------------------------------------------

local function shq(s) -- quote one word for /bin/sh
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function capture(cmd) -- stdout of a shell command, trailing newline cut
  local p = assert(io.popen(cmd, "r"))
  local s = p:read("a")
  p:close()
  return (s:gsub("\n$", ""))
end

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function writefile(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- Paths must be absolute: cases run in other working directories.
local PWD = capture("pwd")
local function absolute(p)
  if p:sub(1, 1) == "/" then return p end
  return PWD .. "/" .. p
end

-- A program: a path as given, or a bare name looked up in PATH (as the
-- shell did when it started this harness with "lua5.4 ...").
local function program(p)
  local f = not p:find("/", 1, true) and io.open(p, "rb")
  if f then f:close() end
  if f or p:find("/", 1, true) then return absolute(p) end
  local found = capture("command -v " .. shq(p) .. " 2>/dev/null")
  return found ~= "" and found or absolute(p)
end

local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end

---------------------------------------------------------------------------
-- Arguments and environment of the harness itself
---------------------------------------------------------------------------

local lo = 0
while arg[lo - 1] do lo = lo - 1 end
local REF = program(arg[lo])      -- the lua5.4 running this harness
local REEL = arg[1] and program(arg[1])
local OUT = arg[2]
if not REEL or not OUT then
  io.stderr:write("usage: lua5.4 lua_compat.lua /path/to/reel /path/to/output.md\n")
  os.exit(2)
end
local probe = io.open(REEL, "rb")
if not probe then
  io.stderr:write("lua_compat: binary under test not found: " .. REEL .. "\n")
  os.exit(2)
end
probe:close()

local FIX = absolute(dirname(arg[0])) .. "/fixtures"
local TMP = capture("mktemp -d")

-- Every run starts from the same environment: no Lua variables inherited
-- from the caller (a case sets the ones it is about), and a fixed TERM so
-- readline behaves the same wherever the test runs.
local LUA_VARS = { "LUA_INIT", "LUA_INIT_5_4", "LUA_PATH", "LUA_PATH_5_4",
                   "LUA_CPATH", "LUA_CPATH_5_4" }

---------------------------------------------------------------------------
-- The cases
--   argv   words after the program name; "{FIX}" / "{TMP}" expand to the
--          fixtures folder / a scratch folder
--   stdin  text fed on stdin (default: empty file, so stdin is never a tty)
--   stdin_file  a fixture whose content is fed on stdin instead
--   env    variables set for the run (all LUA_* are unset otherwise)
--   cwd    working directory (default: the fixtures folder)
---------------------------------------------------------------------------

local NO_PATHS = { LUA_PATH = "/nonexistent/?.lua", LUA_CPATH = "/nonexistent/?.so" }
local HERE = { LUA_PATH = "./?.lua", LUA_CPATH = "./?.so" }

local cases = {
  -- the arg table, negative indices included
  { name = "script with args", argv = { "args.lua", "a", "b" } },
  { name = "script without args", argv = { "args.lua" } },
  { name = "args with spaces, empty, pipe", argv = { "args.lua", "a b", "", "c|d" } },
  { name = "-e before script shifts arg", argv = { "-e", "x=1", "args.lua", "a", "b" } },
  { name = "-W before script", argv = { "-W", "args.lua", "a" } },
  { name = "-- before script", argv = { "--", "args.lua", "a" } },
  { name = "options after script are args", argv = { "args.lua", "-e", "x", "-i", "--", "-" } },
  { name = "absolute script path, other cwd", argv = { "{FIX}/args.lua", "z" }, cwd = "{TMP}" },
  { name = "- runs stdin with args", argv = { "-", "a", "b" }, stdin_file = "args.lua" },
  { name = "- runs stdin, no args", argv = { "-" }, stdin_file = "args.lua" },
  { name = "-e only: arg[0] is the program",
    argv = { "-e", "for i = -1, #arg do print(i, arg[i]) end" } },
  { name = "no args, stdin not a tty runs stdin",
    argv = {}, stdin = "print('from stdin', ...)\nprint(arg[0], #arg, arg[-1])\n" },
  { name = "-- alone: no script, runs stdin", argv = { "--" },
    stdin = "print('stdin ran', arg[0], #arg, arg[1])\n" },
  { name = "-e then --: stdin not run", argv = { "-e", "print(1)", "--" },
    stdin = "print('stdin must not run')\n" },
  { name = "-v then - runs stdin", argv = { "-v", "-", "x" }, stdin = "print('stdin ran', arg[0], ...)\n" },
  { name = "print(...) and shebang in script", argv = { "shebang.lua", "x", "y" } },
  { name = "shebang line via stdin", argv = { "-", "s" }, stdin_file = "shebang.lua" },

  -- -e
  { name = "-e twice", argv = { "-e", "print(1)", "-e", "print(2)" } },
  { name = "-e chunk gets no varargs", argv = { "-e", "print(select('#', ...))", "args.lua", "a" } },
  { name = "-e concatenated", argv = { "-eprint(1)", "-eprint(2)", "-e", "print(3)" } },
  { name = "-e runtime error", argv = { "-e", "error('e-fail')" } },
  { name = "-e syntax error", argv = { "-e", "x=" } },
  { name = "-e missing argument", argv = { "-e" } },
  { name = "-e output without newline, stderr write",
    argv = { "-e", "io.stderr:write('to stderr\\n') io.write('no newline')" } },

  -- -l
  { name = "-l mod", argv = { "-l", "mod", "-e", "print(mod.name)" }, env = HERE },
  { name = "-l g=mod", argv = { "-l", "g=mod", "-e", "print(g.name, mod)" }, env = HERE },
  { name = "-lmod concatenated", argv = { "-lmod", "-e", "print(mod.name)" }, env = HERE },
  { name = "-l before script", argv = { "-l", "mod", "args.lua", "q" }, env = HERE },
  { name = "-l missing module", argv = { "-l", "nosuch" }, env = NO_PATHS },
  { name = "-l g=missing module", argv = { "-l", "g=no.such" }, env = NO_PATHS },
  { name = "-l module raising an error", argv = { "-l", "badmod" }, env = HERE },
  { name = "-l missing argument", argv = { "-l" } },

  -- -v
  { name = "-v", argv = { "-v" } },
  { name = "-v with script", argv = { "-v", "args.lua", "a" } },

  -- -i with piped stdin: Debian's lua5.4 uses readline, which echoes prompt
  -- and line when stdin is not a tty; the banner and final newline too
  { name = "-i with piped lines",
    argv = { "-i" },
    stdin = "print('hi')\n1+1\nreturn 1, nil, 'three'\nx =\n2\nprint(x)\nerror('oops')\n=1\n" },
  { name = "-i with empty stdin", argv = { "-i" } },
  { name = "-e then -i", argv = { "-e", "x=5", "-i" }, stdin = "print(x)\n" },
  { name = "-i with script and args", argv = { "-i", "args.lua", "a" }, stdin = "print(#arg, arg[0])\n" },
  { name = "-i script error skips REPL", argv = { "-i", "err_string.lua" }, stdin = "print('repl')\n" },
  { name = "-i os.exit inside REPL", argv = { "-i" }, stdin = "print(1)\nos.exit(4)\nprint(2)\n" },
  { name = "-i last line without newline", argv = { "-i" }, stdin = "print('a')\nprint('b')" },
  { name = "-i incomplete statement at EOF", argv = { "-i" }, stdin = "t = {\n1,\n" },

  -- package.path / package.cpath and the environment
  { name = "package paths, LUA_PATH unset (defaults)", argv = { "paths.lua" } },
  { name = "LUA_PATH and LUA_CPATH", argv = { "paths.lua" },
    env = { LUA_PATH = "/p/?.lua", LUA_CPATH = "/c/?.so" } },
  { name = "';;' inserts the defaults", argv = { "paths.lua" },
    env = { LUA_PATH = "/p/?.lua;;", LUA_CPATH = ";;/c/?.so" } },
  { name = "LUA_PATH_5_4 beats LUA_PATH", argv = { "paths.lua" },
    env = { LUA_PATH = "/old/?.lua", LUA_PATH_5_4 = "/new/?.lua",
            LUA_CPATH = "/old/?.so", LUA_CPATH_5_4 = "/new/?.so" } },
  { name = "-E ignores LUA_PATH, LUA_CPATH, LUA_INIT", argv = { "-E", "paths.lua" },
    env = { LUA_PATH = "/p/?.lua", LUA_CPATH = "/c/?.so",
            LUA_INIT = "print('init must not run')" } },
  { name = "-E ignores LUA_INIT_5_4", argv = { "-E", "-e", "print(X)" },
    env = { LUA_INIT_5_4 = "X = 'init ran'" } },
  { name = "LUA_INIT as code", argv = { "-e", "print(X)" },
    env = { LUA_INIT = "X = 1 print('from LUA_INIT', #arg)" } },
  { name = "LUA_INIT as @file", argv = { "paths.lua" }, env = { LUA_INIT = "@init.lua" } },
  { name = "LUA_INIT_5_4 beats LUA_INIT", argv = { "-e", "print(X)" },
    env = { LUA_INIT = "X = 'plain'", LUA_INIT_5_4 = "X = 'versioned'" } },
  { name = "LUA_INIT_5_4 syntax error", argv = { "-e", "print('not reached')" },
    env = { LUA_INIT_5_4 = "x =" } },
  { name = "LUA_INIT @file runtime error", argv = { "args.lua" }, env = { LUA_INIT = "@init_err.lua" } },
  { name = "LUA_INIT @file missing", argv = { "args.lua" }, env = { LUA_INIT = "@missing.lua" } },

  -- -W and warn()
  { name = "-W with warn", argv = { "-W", "warn.lua" } },
  { name = "warn without -W", argv = { "warn.lua" } },

  -- usage errors
  { name = "bad option -x", argv = { "-x" } },
  { name = "bad option after -e", argv = { "-e", "print(1)", "-x" } },
  { name = "--bad", argv = { "--bad" } },
  { name = "-- then -e is a script name", argv = { "--", "-e" } },
  { name = "-e followed by an option", argv = { "-e", "-x" } },
  { name = "-l followed by an option", argv = { "-l", "-e", "print(1)" } },
  { name = "-v with extra characters", argv = { "-vx" } },
  { name = "-E with extra characters", argv = { "-Ex" } },
  { name = "script not found", argv = { "nosuch.lua" } },
  { name = "script is a directory", argv = { "." } },

  -- errors and their tracebacks
  { name = "syntax error in script", argv = { "syntax.lua" } },
  { name = "syntax error on stdin", argv = {}, stdin = "print(1)\nlocal = 2\n" },
  { name = "runtime error: string", argv = { "err_string.lua" } },
  { name = "runtime error: number", argv = { "err_number.lua" } },
  { name = "runtime error: __tostring table", argv = { "err_tostring.lua" } },
  { name = "runtime error: plain table", argv = { "err_table.lua" } },
  { name = "runtime error: nil", argv = { "err_nil.lua" } },
  { name = "runtime error: level 0", argv = { "err_level0.lua" } },
  { name = "runtime error in coroutine.wrap", argv = { "err_coroutine.lua" } },
  { name = "runtime error on stdin", argv = { "-" }, stdin = "local t = nil\nprint(t.x)\n" },
  -- lua.c ignores the status of stdin run without arguments: exit 0
  { name = "runtime error on stdin, no args", argv = {}, stdin = "print('ran')\nerror('late')\n" },
  { name = "stdout flushed before error exit",
    argv = { "-e", "for i = 1, 3000 do io.write(i, ' ') end error('after output')" } },

  -- exit statuses
  { name = "os.exit(3)", argv = { "exit3.lua" } },
  { name = "os.exit(true)", argv = { "-e", "os.exit(true)" } },
  { name = "os.exit(false)", argv = { "-e", "os.exit(false)" } },
  { name = "os.exit() default", argv = { "-e", "io.write('x') os.exit()" } },
  { name = "os.exit(5, true) closes the state", argv = { "exit_close.lua" } },
  { name = "os.exit inside a coroutine",
    argv = { "-e", "coroutine.wrap(function() print('in co') os.exit(6) end)()" } },

  -- stdin and the main thread
  { name = "io.read from stdin", argv = { "stdin_read.lua" }, stdin = "one\ntwo\n\nlast" },
  { name = "main chunk thread: isyieldable, running", argv = { "coro.lua" } },
  { name = "coroutine.yield at top level", argv = { "yield.lua" } },
  { name = "coroutine.yield in -e", argv = { "-e", "coroutine.yield()" } },
}

---------------------------------------------------------------------------
-- Running one case under one interpreter
---------------------------------------------------------------------------

local function expand(s)
  return (s:gsub("{FIX}", function() return FIX end):gsub("{TMP}", function() return TMP end))
end

local function plain(s) -- escape a string for use as a gsub pattern
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local function stdin_text(case)
  if case.stdin_file then return assert(readfile(FIX .. "/" .. case.stdin_file)) end
  return case.stdin or ""
end

local function run(prog, case, tag)
  local base = TMP .. "/" .. tag
  writefile(base .. ".in", stdin_text(case))
  local words = { "env" }
  for _, v in ipairs(LUA_VARS) do words[#words + 1] = "-u " .. v end
  words[#words + 1] = "TERM=dumb"
  local names = {}
  for k in pairs(case.env or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do words[#words + 1] = shq(k .. "=" .. expand(case.env[k])) end
  words[#words + 1] = "timeout -k 2 " .. TIMEOUT
  words[#words + 1] = shq(prog)
  for _, a in ipairs(case.argv) do words[#words + 1] = shq(expand(a)) end
  local cmd = ("cd %s && %s <%s >%s 2>%s"):format(shq(expand(case.cwd or FIX)),
    table.concat(words, " "), shq(base .. ".in"), shq(base .. ".out"), shq(base .. ".err"))
  local _, how, code = os.execute(cmd)
  local status = how .. " " .. tostring(code)
  -- The shell reports a child killed by signal N as 128+N.
  if how == "exit" and code == 124 then status = status .. " (timed out?)"
  elseif how == "exit" and code > 128 then status = ("%s (signal %d?)"):format(status, code - 128) end
  -- Only the program name is normalised: each interpreter's own path.
  local pat = plain(prog)
  local function norm(s) return (s:gsub(pat, "PROG")) end
  return {
    status = status,
    out = norm(readfile(base .. ".out") or ""),
    err = norm(readfile(base .. ".err") or ""),
  }
end

---------------------------------------------------------------------------
-- Markdown rendering
---------------------------------------------------------------------------

-- A word as a user would type it in a shell.
local function display_word(s)
  if s ~= "" and s:match("^[%w%._/=:,@+{}-]+$") then return s end
  return shq(s)
end

-- Cut to n UTF-8 characters so "⏎" is never split (bytes if not UTF-8).
local function abbrev(s, n)
  local len = utf8.len(s)
  if not len then return #s > n and s:sub(1, n) .. "…" or s end
  if len > n then return s:sub(1, utf8.offset(s, n + 1) - 1) .. "…" end
  return s
end

-- One table cell fragment: newlines as ⏎, tabs as ⇥, | escaped, in a code
-- span whose fence is longer than any backtick run inside.
local function cell_text(s, n, outside_table)
  s = abbrev(s:gsub("\n", "⏎"):gsub("\t", "⇥"), n or 90)
  if not outside_table then s = s:gsub("|", "\\|") end
  if s == "" then return "∅" end
  local longest = 0
  for run_ in s:gmatch("`+") do longest = math.max(longest, #run_) end
  local fence = ("`"):rep(longest + 1)
  local pad = (s:sub(1, 1) == "`" or s:sub(-1) == "`") and " " or ""
  return fence .. pad .. s .. pad .. fence
end

-- The command line with its stdin, environment and folder; in the diff
-- section (outside the table) nothing is cut and | needs no escape.
local function command_cell(case, outside_table)
  local n = outside_table and math.huge or nil
  local function code(s, width) return cell_text(s, n or width, outside_table) end
  local words = { "PROG" }
  for _, a in ipairs(case.argv) do words[#words + 1] = display_word(a) end
  local parts = { code(table.concat(words, " "), 200) }
  if case.env then
    local names = {}
    for k in pairs(case.env) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do parts[#parts + 1] = "env " .. code(k .. "=" .. case.env[k], 60) end
  end
  if case.stdin_file then
    parts[#parts + 1] = "stdin ← " .. code(case.stdin_file)
  elseif case.stdin then
    parts[#parts + 1] = "stdin " .. code(case.stdin, 60)
  end
  if case.cwd then parts[#parts + 1] = "cwd " .. code(case.cwd) end
  return table.concat(parts, "<br>")
end

local function result_cell(r)
  return ("%s<br>out %s<br>err %s"):format(r.status, cell_text(r.out), cell_text(r.err))
end

-- Line diff (LCS; outputs are small) marking lua5.4 lines "-" and reel "+".
local function lines(s, is_stream)
  local t = {}
  if s == "" then return t end
  for l in (s .. "\n"):gmatch("(.-)\n") do t[#t + 1] = l end
  if s:sub(-1) == "\n" then t[#t] = nil                  -- the split left an empty tail
  elseif is_stream then t[#t] = t[#t] .. "  ⟵ (no newline at end)" end
  return t
end

local function diff(a, b, is_stream)
  local x, y = lines(a, is_stream), lines(b, is_stream)
  local L = {}
  for i = #x + 1, 1, -1 do
    L[i] = {}
    for j = #y + 1, 1, -1 do
      if i > #x or j > #y then L[i][j] = 0
      elseif x[i] == y[j] then L[i][j] = L[i + 1][j + 1] + 1
      else L[i][j] = math.max(L[i + 1][j], L[i][j + 1]) end
    end
  end
  local out, i, j = {}, 1, 1
  while i <= #x or j <= #y do
    if i <= #x and j <= #y and x[i] == y[j] then
      out[#out + 1] = "  " .. x[i]; i, j = i + 1, j + 1
    elseif j > #y or (i <= #x and L[i + 1][j] >= L[i][j + 1]) then
      out[#out + 1] = "- " .. x[i]; i = i + 1
    else
      out[#out + 1] = "+ " .. y[j]; j = j + 1
    end
  end
  return table.concat(out, "\n")
end

local function fenced(s)
  local longest = 2
  for run_ in s:gmatch("`+") do longest = math.max(longest, #run_) end
  local fence = ("`"):rep(longest + 1)
  return fence .. "diff\n" .. s .. "\n" .. fence
end

---------------------------------------------------------------------------
-- Main
---------------------------------------------------------------------------

local doc = {
  "# lua5.4 command-line compatibility",
  "",
  ("Reference: `%s` (shown as PROG) · under test: `%s` (shown as PROG) · %d cases. "
    .. "Cells: exit status, stdout, stderr; ⏎ newline, ⇥ tab, ∅ empty, … abbreviated. "
    .. "`{FIX}` is `%s`."):format(REF, REEL, #cases, FIX),
  "",
  "| # | command line | lua5.4 (exit, stdout, stderr abbreviated) | reel (same) | same? |",
  "|---|---|---|---|---|",
}
local details, passed, failed = {}, 0, 0

for n, case in ipairs(cases) do
  local a = run(REF, case, n .. "-lua")
  local b = run(REEL, case, n .. "-reel")
  local same = a.status == b.status and a.out == b.out and a.err == b.err
  if same then passed = passed + 1 else failed = failed + 1 end
  doc[#doc + 1] = ("| %d | %s<br>*%s* | %s | %s | %s |"):format(n, command_cell(case),
    case.name:gsub("|", "\\|"), result_cell(a), result_cell(b), same and "yes" or "**NO**")
  if not same then
    local d = { ("### #%d %s"):format(n, case.name), "", command_cell(case, true), "" }
    for _, f in ipairs({ { "exit status", "status" }, { "stdout", "out" }, { "stderr", "err" } }) do
      local k = f[2]
      if a[k] ~= b[k] then
        local note = ""
        if a[k] == "" then note = " (lua5.4's is empty)" elseif b[k] == "" then note = " (reel's is empty)" end
        d[#d + 1] = ("%s (- lua5.4, + reel)%s:"):format(f[1], note)
        d[#d + 1] = ""
        d[#d + 1] = fenced(diff(a[k], b[k], k ~= "status"))
        d[#d + 1] = ""
      end
    end
    details[#details + 1] = table.concat(d, "\n", 1, #d - 1)
  end
end

if #details > 0 then
  doc[#doc + 1] = ""
  doc[#doc + 1] = "## Differences"
  for _, d in ipairs(details) do doc[#doc + 1] = ""; doc[#doc + 1] = d end
end
doc[#doc + 1] = ""
doc[#doc + 1] = ("%d passed, %d failed"):format(passed, failed)

local text = table.concat(doc, "\n") .. "\n"
writefile(OUT, text)
io.write(text)
os.execute("rm -rf " .. shq(TMP))
os.exit(failed == 0 and 0 or 1)
