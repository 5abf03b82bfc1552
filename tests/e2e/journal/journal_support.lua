-- Helpers for the journal's end-to-end specs (issue 6): the ten-shot
-- storyboard.lua in this folder run by the real `reel run` against a real
-- `reel sim` process, with its own --journal and --out, interrupted (SIGKILL,
-- or the network cut by the simulator's faults) and run again until it
-- completes; then the simulator's GET /_sim/stats and the files in --out are
-- compared with an uninterrupted run's.
--
-- Built on tests/e2e/client/support.lua (the simulator process, stats, shell
-- and folder helpers), which it requires by path and does not change.
-- Runs under the reference interpreter (busted --lua=lua5.4) with REEL and
-- REEL_TEST_MEDIA set (ctest journal_e2e_* sets both). A spec loads it with
--   local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
--   package.path = here .. "?.lua;" .. here .. "../client/?.lua;" .. package.path
--   local J = require "journal_support"
--   if not J.configured then J.skip(describe, pending) return end
--   J.bind{ assert = assert }
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. here .. "../client/?.lua;" .. package.path
local S = require "support"

if not S.configured then
  return {
    configured = false,
    skip = function(describe, pending)
      describe("reel journal end-to-end", function()
        pending("REEL is not set: run through ctest (journal_e2e_*) or set REEL to the reel binary")
      end)
    end,
  }
end

local assert = assert  -- busted's, once J.bind has run
local q, sh, trim = S.q, S.sh, S.trim

-- The script, run in place: its path is part of the journal's identity of
-- each call, so every run of a spec runs the same file.
local SCRIPT = (function()
  local dir = here:sub(1, 1) == "/" and here or (trim(select(2, sh("pwd"))) .. "/" .. here)
  return dir .. "storyboard.lua"
end)()

-- The ten calls the script makes (its shot names): the distinct calls, so
-- the number of tasks a simulator may have created for one storyboard.
local SHOTS = { "dawn", "sea", "gull", "keeper", "storm", "crew", "dawn_more", "bridge", "lamp", "night" }

-- Wall-clock seconds, sub-second.
local function now() return tonumber((select(2, sh("date +%s.%N")))) end

-- TAP comment lines (busted -o TAP passes stdout through), so the figures
-- can be quoted from a ctest log.
local function note(fmt, ...)
  local text = select("#", ...) > 0 and fmt:format(...) or fmt
  for line in (text .. "\n"):gmatch("(.-)\n") do io.stdout:write("# ", line, "\n") end
  io.stdout:flush()
end

-- Does this reel know `run --journal`? (Until issue 6 lands it does not; the
-- specs then run without it, say so, and fail on the task count.)
local journal_flag
local function has_journal_flag()
  if journal_flag == nil then
    local _, out, err = sh(q(S.REEL) .. " run --help")
    journal_flag = (out .. err):find("--journal", 1, true) ~= nil
    if not journal_flag then
      note("NOTE: this reel's `run` has no --journal option yet: the runs go without it")
    end
  end
  return journal_flag
end

-- One series of runs shares a simulator, a journal and an output folder:
--   { sim, dir, out, journal, runs = 0 }
local function new_series(sim, label)
  local dir = S.newdir(label or "series")
  return { sim = sim, dir = dir, out = dir .. "/out", journal = dir .. "/journal.db", runs = 0 }
end

-- Runs the storyboard once in `series` (cwd: the series folder, so a default
-- .reel/journal.db would land there too). opts: kill_after (seconds: SIGKILL
-- then, through timeout(1), which signals reel itself, not a shell),
-- limit (seconds before a TERM, then KILL 5 s later; default 120; such a
-- run comes back with code 124 and `hung` set), retry_failed (adds
-- --retry-failed), loud (progress lines on stderr instead of --quiet).
-- Returns { code, out, err, wall, killed, hung, shots = {name = {id, path}},
-- film } (shots and film as the script printed them).
local MEDIA = os.getenv("REEL_TEST_MEDIA")
local function run(series, opts)
  opts = opts or {}
  S.media("image.png")  -- REEL_TEST_MEDIA is set and made (it raises otherwise)
  series.runs = series.runs + 1
  local sim = series.sim
  local env = { "env", "-u VIDU_API_KEY", "-u REEL_KEY_FILE", "-u VIDU_DIALECT", "-u REEL_OUT",
                "-u REEL_QUIET", "-u REEL_TIME_SCALE", "-u VIDU_BASE_URL",
                "VIDU_BASE_URL=" .. q(sim.base), "VIDU_API_KEY=" .. q(sim.key),
                "REEL_TIME_SCALE=" .. sim.speed }
  local args = { opts.loud and "" or "--quiet", "--out " .. q(series.out) }
  if has_journal_flag() then args[#args + 1] = "--journal " .. q(series.journal) end
  if opts.retry_failed then args[#args + 1] = "--retry-failed" end
  local timeout
  if opts.kill_after then
    -- timeout 0 would mean no limit at all.
    timeout = ("timeout -s KILL %.3f"):format(math.max(opts.kill_after, 0.001))
  else
    timeout = ("timeout -k 5 %d"):format(opts.limit or 120)
  end
  local cmd = ("cd %s && %s %s %s run %s %s %s"):format(
    q(series.dir), table.concat(env, " "), timeout, q(S.REEL), table.concat(args, " "),
    q(SCRIPT), q(MEDIA))
  local t0, code, out, err
  -- 126/127 from timeout(1): reel could not be started at all, as while
  -- the build tree relinks it; that is no run, so it is tried again.
  for _ = 1, 60 do
    t0 = now()
    code, out, err = sh(cmd)
    if not ((code == 126 or code == 127) and err:find("failed to run command", 1, true)) then break end
    S.sleep(1)
  end
  local wall = now() - t0
  local r = { code = code, out = out, err = err, wall = wall, cmd = cmd, shots = {} }
  r.killed = opts.kill_after ~= nil and code == 137
  r.hung = opts.kill_after == nil and (code == 124 or code == 137)
  for line in out:gmatch("[^\n]+") do
    local name, id, path = line:match("^shot\t([^\t]+)\t([^\t]*)\t(.+)$")
    if name then
      r.shots[name] = { id = id, path = path }
    else
      local film = line:match("^film\t(.+)$")
      if film then r.film = film end
    end
  end
  return r
end

local function show(r)
  return ("exit %s after %.2f s\n--- stdout\n%s--- stderr\n%s"):format(
    tostring(r.code), r.wall or 0, r.out, r.err)
end

-- The first line of a run's stderr that is not a progress line (those read
-- "reel: NAME   STATE   1.2 s ..."), for the notes.
local function first_line(text)
  local first
  for line in text:gmatch("[^\n]+") do
    first = first or line
    if not line:find("^reel: [%w_#%-]+%s%s+%a+%s+[%d.]+ s") then return line:sub(1, 240) end
  end
  return (first or ""):sub(1, 240)
end

-- The last n lines of a text.
local function last_lines(text, n)
  local lines = {}
  for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
  return table.concat(lines, "\n", math.max(1, #lines - n + 1))
end

local function sha256(path)
  local code, out = sh("sha256sum " .. q(path))
  if code ~= 0 then return nil end
  return out:match("^(%x+)")
end

-- What a completed run made: sha256 of each shot's clip by name, and of the
-- film; nil and a reason when the run did not report them.
local function outputs(r)
  local o = { shots = {} }
  for _, name in ipairs(SHOTS) do
    local shot = r.shots[name]
    if not shot then return nil, "no line for shot " .. name end
    o.shots[name] = sha256(shot.path)
    if not o.shots[name] then return nil, "cannot read " .. shot.path end
  end
  if not r.film then return nil, "no film line" end
  o.film = sha256(r.film)
  if not o.film then return nil, "cannot read " .. r.film end
  return o
end

-- The names in --out with each shot's task id replaced by "ID", sorted, so
-- two runs on two simulators can be compared.
local function normalized_listing(out_dir, r)
  local names = {}
  for _, name in ipairs(S.ls(out_dir)) do
    for shot, info in pairs(r.shots) do
      if info.id ~= "" then
        local prefix = shot .. "-" .. info.id
        if name:sub(1, #prefix) == prefix then
          name = shot .. "-ID" .. name:sub(#prefix + 1)
          break
        end
      end
    end
    names[#names + 1] = name
  end
  table.sort(names)
  return names
end

-- Names that look like a file still being written: reel's downloads
-- (NAME.part), joins (.NAME.PID-N.part), frames (NAME.tmp-...), or any
-- hidden file.
local function temporaries(out_dir)
  local found = {}
  for _, name in ipairs(S.ls(out_dir)) do
    if name:find("%.part$") or name:find("%.tmp") or name:sub(1, 1) == "." or name:find("~$") then
      found[#found + 1] = name
    end
  end
  return found
end

-- The uninterrupted run on a fresh simulator, journal and folder: the
-- reference outputs and wall time. Returns { wall, outputs, listing, run,
-- tasks }.
local function reference(sim_opts)
  local sim = S.start_sim(sim_opts)
  local ok, res = pcall(function()
    local series = new_series(sim, "reference")
    local r = run(series)
    assert.are.equal(0, r.code, "the uninterrupted run: " .. show(r))
    local o, why = outputs(r)
    assert.is_table(o, "the uninterrupted run's outputs: " .. tostring(why) .. "\n" .. show(r))
    assert.are.same({}, temporaries(series.out), "the uninterrupted run leaves no temporary file")
    local st = S.stats(sim)
    assert.are.equal(#SHOTS, S.tasks_created(st),
      "the uninterrupted run makes one task per call: " .. S.json.encode(st.tasks_created))
    return { wall = r.wall, outputs = o, listing = normalized_listing(series.out, r), run = r,
             tasks = S.tasks_created(st) }
  end)
  S.stop_sim(sim)
  if not ok then error(res, 0) end
  return res
end

-- Compares the final run of a series with the reference; returns the list of
-- problems (empty when everything holds) and the number of tasks created.
-- The task count is read last of all, after everything else was compared.
local function problems_after(series, final, ref)
  local problems = {}
  local function problem(fmt, ...) problems[#problems + 1] = fmt:format(...) end
  if final.code ~= 0 then
    problem("the final run exited %s: %s", tostring(final.code), first_line(final.err))
  else
    local o, why = outputs(final)
    if not o then
      problem("the final run's outputs: %s", why)
    else
      for _, name in ipairs(SHOTS) do
        if o.shots[name] ~= ref.outputs.shots[name] then
          problem("shot %s differs from the uninterrupted run's: %s (sha256 %s, want %s)", name,
            final.shots[name].path, o.shots[name], ref.outputs.shots[name])
        end
      end
      if o.film ~= ref.outputs.film then
        problem("the film differs from the uninterrupted run's (sha256 %s, want %s)", o.film,
          ref.outputs.film)
      end
    end
  end
  local temps = temporaries(series.out)
  if #temps > 0 then
    problem("temporary files left in --out: %s", table.concat(temps, " "))
  end
  local listing = normalized_listing(series.out, final)
  local want, have = {}, {}
  for _, n in ipairs(ref.listing) do want[n] = true end
  for _, n in ipairs(listing) do have[n] = true end
  local extra, missing = {}, {}
  local temp = {}
  for _, n in ipairs(temps) do temp[n] = true end
  for _, n in ipairs(listing) do
    if not want[n] and not temp[n] then extra[#extra + 1] = n end
  end
  for _, n in ipairs(ref.listing) do if not have[n] then missing[#missing + 1] = n end end
  if #extra > 0 then
    problem("%d file(s) in --out that the uninterrupted run did not make: %s%s", #extra,
      table.concat(extra, " ", 1, math.min(#extra, 12)), #extra > 12 and " ..." or "")
  end
  if #missing > 0 then
    problem("file(s) missing from --out: %s", table.concat(missing, " "))
  end
  local st = S.stats(series.sim)
  local created = S.tasks_created(st)
  if created ~= #SHOTS then
    problem("the simulator created %d tasks for %d distinct calls (%s)", created, #SHOTS,
      S.json.encode(st.tasks_created))
  end
  return problems, created, st
end

local function assert_none(problems, ctx)
  assert.is_true(#problems == 0,
    ("%s:\n  - %s"):format(ctx, table.concat(problems, "\n  - ")))
end

local J = {
  configured = true, S = S, SCRIPT = SCRIPT, SHOTS = SHOTS, now = now, note = note,
  has_journal_flag = has_journal_flag, new_series = new_series, run = run, show = show,
  first_line = first_line, last_lines = last_lines, sha256 = sha256, outputs = outputs,
  normalized_listing = normalized_listing, temporaries = temporaries, reference = reference,
  problems_after = problems_after, assert_none = assert_none,
}

function J.bind(env)
  assert = env.assert
  S.bind(env)
end

-- A seed for the random choices of a spec: REEL_JOURNAL_SEED replays one.
function J.seed()
  local s = tonumber(os.getenv("REEL_JOURNAL_SEED") or "")
  if not s then s = os.time() end
  return math.floor(s)
end

-- Uniform numbers in [0, 1) from `seed` (support.lua's splitmix64).
J.random = S.random

-- A positive integer from the environment, or the default.
function J.count(var, default)
  local n = tonumber(os.getenv(var) or "")
  if n and n >= 1 then return math.floor(n) end
  return default
end

return J
