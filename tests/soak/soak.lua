-- Soak test (issue 10): many storyboards through one simulator with faults
-- on, reel killed with SIGKILL at random and run again, then proofs read
-- from the simulator's stats, the journals and the files left behind.
--
-- Usage (from anywhere; needs lua5.4, lua-dkjson, curl, sqlite3, ffprobe,
-- GNU time at /usr/bin/time):
--
--   lua5.4 tests/soak/soak.lua --reel build/reel --boards 10 --shots 10
--   lua5.4 tests/soak/soak.lua --reel build/reel --boards 200 --shots 10 \
--       --kill-every 2 --seed 7 --out /tmp/soak-long
--
-- Options:
--   --reel PATH        the reel binary (required)
--   --boards N         storyboards, one script file and one journal each (10)
--   --shots M          shots per storyboard (10)
--   --kill-every S     a random running reel gets SIGKILL about every S s (2;
--                      0 turns the killer off)
--   --seed S           boards, faults and kills follow this seed (the clock)
--   --out DIR          where everything goes (a new /tmp/reel-soak.* folder);
--                      the report is DIR/report.json
--   --parallel P       reel processes at once (4)
--   --speed X          the simulator's clock (200)
--   --faults SPEC      replaces the fault list (see host/sim/faults.hpp)
--   --key KEY          the API key the simulator takes and reel sends
--                      ("soak-key"; the secrets sweep passes its own)
--   --clean            remove the folder when every proof holds (ctest's
--                      short soak; a failed soak's folder is always kept)
--
-- Exit status 0 when every proof holds, 1 otherwise (2: bad arguments).
-- See tests/soak/README.md for what is proved and why.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. here .. "../e2e/client/?.lua;" .. package.path

---------------------------------------------------------------------------
-- Options
---------------------------------------------------------------------------

local USAGE = "usage: lua5.4 tests/soak/soak.lua --reel PATH [--boards N] [--shots M] "
  .. "[--kill-every S] [--seed S] [--out DIR] [--parallel P] [--speed X] [--faults SPEC] [--key KEY] [--clean]"

-- Rates low enough that reel's own retries get through (a run that gives up
-- on the network exits 1, which the soak counts as a failure), high enough
-- that every kind shows up in a 100-task run.
local DEFAULT_FAULTS = table.concat({
  "429=0.04:1",       -- bursts of TooManyRequests with Retry-After: 1
  "500=0.02", "502=0.01", "503=0.01",
  "drop=0.02",        -- connection closed without an answer
  "slow=0.05:400",    -- answer 400 ms late
  "fail=0.03",        -- task fails remotely (refunded): the shot's clear failure
  "empty=0.01",       -- task succeeds with an empty video
  "truncate=0.05",    -- download cut at half (resumed with Range)
  "expire=0.05",      -- result URL already expired (refreshed by asking again)
}, ",")

local function parse_args(argv)
  local o = { boards = 10, shots = 10, kill_every = 2, parallel = 4, speed = 200,
              faults = DEFAULT_FAULTS, key = "soak-key" }
  local numeric = { ["--boards"] = "boards", ["--shots"] = "shots", ["--kill-every"] = "kill_every",
                    ["--seed"] = "seed", ["--parallel"] = "parallel", ["--speed"] = "speed" }
  local text = { ["--reel"] = "reel", ["--out"] = "out", ["--faults"] = "faults", ["--key"] = "key" }
  local i = 1
  while i <= #argv do
    local a, v = argv[i], argv[i + 1]
    if a == "-h" or a == "--help" then print(USAGE) os.exit(0) end
    if a == "--clean" then
      o.clean, i = true, i + 1
    else
      if v == nil or not (numeric[a] or text[a]) then
        io.stderr:write(("soak: bad argument %q\n%s\n"):format(a, USAGE)) os.exit(2)
      end
      if numeric[a] then
        o[numeric[a]] = tonumber(v)
        if not o[numeric[a]] or o[numeric[a]] < 0 then
          io.stderr:write(("soak: %s takes a number >= 0, not %q\n"):format(a, v)) os.exit(2)
        end
      else
        o[text[a]] = v
      end
      i = i + 2
    end
  end
  if not o.reel then io.stderr:write("soak: --reel is required\n" .. USAGE .. "\n") os.exit(2) end
  o.seed = math.floor(o.seed or os.time())
  o.boards, o.shots, o.parallel = math.floor(o.boards), math.floor(o.shots), math.max(1, math.floor(o.parallel))
  if o.boards < 1 or o.shots < 1 then io.stderr:write("soak: --boards and --shots must be >= 1\n") os.exit(2) end
  return o
end

local OPT = parse_args(arg)

-- support.lua reads the binary from REEL when it is loaded; give it ours
-- without asking the caller to export anything.
local real_getenv = os.getenv
local REEL = OPT.reel:sub(1, 1) == "/" and OPT.reel or (real_getenv("PWD") .. "/" .. OPT.reel)
os.getenv = function(name) if name == "REEL" then return REEL end return real_getenv(name) end
local S = require "support"
os.getenv = real_getenv
assert(S.configured, "support.lua did not take the reel binary")
local proofs = require "proofs"
local json, q, sh, slurp, trim = S.json, S.q, S.sh, S.slurp, S.trim

---------------------------------------------------------------------------
-- Small helpers
---------------------------------------------------------------------------

-- Seconds since boot, sub-second, without forking a process.
local function now()
  local f = assert(io.open("/proc/uptime"))
  local t = f:read("n")
  f:close()
  return t
end
local T0 = now()
local function elapsed() return now() - T0 end

local function say(fmt, ...)
  io.stdout:write(("[%6.1f s] "):format(elapsed()), fmt:format(...), "\n")
  io.stdout:flush()
end

-- One random stream per use (support.lua's splitmix64), so the boards do
-- not change when the kills do.
local random = S.random

local function pid_alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local stat = f:read("a")
  f:close()
  return not stat:match("^%d+ %b() Z")  -- a zombie has exited
end

---------------------------------------------------------------------------
-- The simulator: one process for the whole soak, with its own --data folder
---------------------------------------------------------------------------

local KEY = OPT.key

local function start_sim(root)
  local faults = OPT.faults .. ",seed=" .. (OPT.seed % 1000003 + 1)
  -- Credits for every shot at a generous 100 each: the default balance
  -- would run out in a long soak and turn into CreditInsufficient.
  local credits = math.max(100000, OPT.boards * OPT.shots * 100)
  local args = ("--speed %s --key %s --faults %s --data %s --concurrency 16 --credits %d --quiet")
    :format(OPT.speed, q(KEY), q(faults), q(root .. "/sim-data"), credits)
  -- No prefix: the pid must be reel's own, whose memory is sampled.
  local p = S.sim_process.start(REEL, args, root .. "/sim.log")
  return { pid = p.pid, base = p.base, faults = faults, rss = {} }
end

-- The simulator lives for the whole soak: its resident memory, sampled, is
-- the memory that could creep.
local function sample_sim_rss(sim)
  local f = io.open("/proc/" .. sim.pid .. "/status")
  if not f then return end
  local kb = f:read("a"):match("VmRSS:%s*(%d+)")
  f:close()
  local stats = S.curl_json(sim.base .. "/_sim/stats")
  if kb then
    sim.rss[#sim.rss + 1] = { t = elapsed(), kb = tonumber(kb),
                              tasks = type(stats) == "table" and S.tasks_created(stats) or nil }
  end
end

---------------------------------------------------------------------------
-- The storyboards: one generated script per board (the journal keys each
-- call by the script's path, so boards must not share a file)
---------------------------------------------------------------------------

local SUBJECTS = { "a harbour", "a lighthouse", "a market", "a forest road", "a train station",
                   "a rooftop garden", "a desert camp", "a fishing boat", "a mountain hut", "a tram" }
local MOODS = { "at dawn", "in the rain", "at noon", "at dusk", "under snow", "at night" }

-- The shots of one board: the first is text (4 s, so it can be extended);
-- then text, img2video from the previous shot's last frame, or an extension
-- of a 4 s text shot no other shot extends yet.
local function plan_board(n, m)
  local rand = random(OPT.seed * 1000 + n)
  local shots, extendable = {}, {}
  local function pick(list) return list[math.floor(rand() * #list) + 1] end
  for i = 1, m do
    local id, r = ("s%02d"):format(i), rand()
    local shot = { id = id, seed = n * 100 + i }
    if i == 1 or r < 0.4 then
      shot.kind = "text"
      shot.duration = (i == 1 or rand() < 0.5) and 4 or 1
      shot.text = ("%s %s, shot %d of board %d"):format(pick(SUBJECTS), pick(MOODS), i, n)
      if shot.duration == 4 then extendable[#extendable + 1] = id end
    elseif r < 0.75 or #extendable == 0 then
      shot.kind, shot.from = "from", shots[i - 1].id
      shot.prompt = ("the camera moves on from %s"):format(shots[i - 1].id)
    else
      shot.kind, shot.duration = "extend", 2
      shot.extend = table.remove(extendable, math.floor(rand() * #extendable) + 1)
      shot.prompt = ("%s goes on"):format(shot.extend)
    end
    shots[i] = shot
  end
  return shots
end

local function board_source(n, shots)
  local lines = {
    ("-- Soak board %d, written by tests/soak/soak.lua (seed %d)."):format(n, OPT.seed),
    "local storyboard = require \"storyboard\"",
    ("local sb = storyboard.new{ title = \"board-%03d\", model = \"viduq2-pro\", resolution = \"540p\","):format(n),
    "                           aspect_ratio = \"16:9\", duration = 1 }",
  }
  for _, s in ipairs(shots) do
    local line
    if s.kind == "text" then
      line = ("sb:shot{ id = %q, model = \"viduq2\", duration = %d, seed = %d, text = %q }")
        :format(s.id, s.duration, s.seed, s.text)
    elseif s.kind == "from" then
      line = ("sb:shot{ id = %q, from = %q, seed = %d, prompt = %q }"):format(s.id, s.from, s.seed, s.prompt)
    else
      line = ("sb:shot{ id = %q, extend = %q, duration = %d, seed = %d, prompt = %q }")
        :format(s.id, s.extend, s.duration, s.seed, s.prompt)
    end
    lines[#lines + 1] = line
  end
  lines[#lines + 1] = "local film = sb:render()"
  lines[#lines + 1] = "print((\"film\\t%s\\t%.3f\"):format(film.path, film.duration))"
  return table.concat(lines, "\n") .. "\n"
end

local function make_boards(root)
  local boards = {}
  for n = 1, OPT.boards do
    local dir = ("%s/boards/b%03d"):format(root, n)
    assert(sh("mkdir -p " .. q(dir .. "/logs")) == 0)
    local shots = plan_board(n, OPT.shots)
    S.write_file(dir .. "/board.lua", board_source(n, shots))
    boards[n] = { n = n, dir = dir, script = dir .. "/board.lua", journal = dir .. "/journal.db",
                  out = dir .. "/out", folder = ("%s/out/board-%03d"):format(dir, n),
                  runs = 0, kills = 0, exits = {}, done = false }
  end
  return boards
end

---------------------------------------------------------------------------
-- Runs: reel in the background under GNU time (peak RSS), its pid written by
-- the shell that execs it (so SIGKILL reaches reel itself)
---------------------------------------------------------------------------

local function start_run(board, sim)
  board.runs = board.runs + 1
  local base = ("%s/logs/run-%d"):format(board.dir, board.runs)
  local env = ("env -u REEL_KEY_FILE -u VIDU_DIALECT -u REEL_OUT -u REEL_QUIET -u REEL_JOURNAL "
    .. "-u REEL_RETRY_FAILED VIDU_BASE_URL=%s VIDU_API_KEY=%s REEL_TIME_SCALE=%s")
    :format(q(sim.base), q(KEY), OPT.speed)
  local reel = ("%s run --quiet --out %s --journal %s %s"):format(q(REEL), q(board.out),
    q(board.journal), q(board.script))
  local cmd = ("( cd %s && %s /usr/bin/time -f %%M -o %s sh -c 'echo $$ >%s; exec \"$@\"' sh %s "
    .. ">%s 2>%s; echo $? >%s ) </dev/null >/dev/null 2>&1 &")
    :format(q(board.dir), env, q(base .. ".rss"), q(base .. ".pid"), reel, q(base .. ".out"),
      q(base .. ".err"), q(base .. ".rc"))
  os.execute(cmd)
  return { board = board, base = base, started = now(), attempt = board.runs }
end

-- nil while the run goes on; then its exit status.
local function run_status(run)
  local text = slurp(run.base .. ".rc")
  return text and tonumber(text:match("%d+")) or nil
end

local function run_pid(run)
  if not run.pid then run.pid = tonumber((slurp(run.base .. ".pid") or ""):match("%d+")) end
  return run.pid
end

-- GNU time writes "Command terminated by signal 9" first for a killed run;
-- the figure is the last line.
local function peak_rss_kb(run)
  local text = slurp(run.base .. ".rss") or ""
  local last
  for n in text:gmatch("(%d+)%s*\n?") do last = tonumber(n) end
  return last
end

-- SIGKILL to reel; true when the signal was delivered (it was still running).
local function kill_run(run)
  local pid = run_pid(run)
  if not pid or not pid_alive(pid) then return false end
  return (sh("kill -9 " .. pid)) == 0
end

---------------------------------------------------------------------------
-- The driver: P runs at once, a killer, each board run again until it ends
-- with 0 (a film) or 3 (shots failed remotely; then once more, which must
-- end the same way without paying)
---------------------------------------------------------------------------

local RUN_LIMIT = 300     -- seconds before a run counts as hung
local MAX_RUNS = 60       -- runs of one board before the soak gives up on it
-- Kills of one board after which its runs are spared. Near the end few runs
-- are left and the killer hits the same one every few seconds; a run that
-- needs longer than that (say a lost create's lookup through thousands of
-- recent tasks) would never end. Sparing it lets the soak end, and the
-- report lists such boards with their uninterrupted run's time.
local SPARE_AFTER_KILLS = 12

local function failed_shots(board)
  local m = json.decode(slurp(board.folder .. "/storyboard.json") or "null")
  local ids = {}
  if type(m) ~= "table" then return nil end
  for _, s in ipairs(m.shots or {}) do if not s.file then ids[#ids + 1] = s.id end end
  return table.concat(ids, ",")
end

local function finish_run(run, code, st)
  local board = run.board
  local r = { board = board.n, attempt = run.attempt, code = code, killed = run.killed == true,
              wall = now() - run.started, rss_kb = peak_rss_kb(run), finished = elapsed() }
  st.runs[#st.runs + 1] = r
  board.exits[#board.exits + 1] = code
  if r.killed then return end
  if board.kills >= SPARE_AFTER_KILLS and not board.spared_wall then
    board.spared_wall = r.wall
    st.spared[#st.spared + 1] = { board = board.n, kills = board.kills, run_wall = r.wall, code = code }
    say("board %03d: spared after %d kills, its run took %.1f s", board.n, board.kills, r.wall)
  end
  if code == 0 then
    board.done, board.status = true, 0
    say("board %03d: film after %d run(s), %d kill(s)", board.n, board.runs, board.kills)
  elseif code == 3 then
    local failed = failed_shots(board)
    if board.first_failure == nil then
      -- Run it once more: the journal must raise the same failures again
      -- without a new task (no --retry-failed).
      board.first_failure = failed or "?"
      st.confirm_runs = st.confirm_runs + 1
    else
      board.done, board.status = true, 3
      if failed ~= board.first_failure then
        st.problems[#st.problems + 1] = ("board %03d: failed shots %s, then %s on the re-run")
          :format(board.n, board.first_failure, tostring(failed))
      end
      say("board %03d: shots without a clip (%s) after %d run(s), %d kill(s)", board.n,
        tostring(failed), board.runs, board.kills)
    end
  else
    local err = slurp(run.base .. ".err") or ""
    st.problems[#st.problems + 1] = ("board %03d run %d exited %d by itself: %s"):format(board.n,
      run.attempt, code, (err:match("[^\n]+") or ""):sub(1, 300))
    say("board %03d run %d exited %d: %s", board.n, run.attempt, code, (err:match("[^\n]+") or ""):sub(1, 200))
  end
  if board.first_failure and code == 0 then
    st.problems[#st.problems + 1] = ("board %03d: exited 3 (%s), then 0 on a re-run")
      :format(board.n, board.first_failure)
  end
end

-- A board run MAX_RUNS times without an end is given up (killed runs too).
local function give_up_if_endless(board, st)
  if not board.done and board.runs >= MAX_RUNS then
    board.done, board.status = true, nil
    st.problems[#st.problems + 1] = ("board %03d: not finished after %d runs (exits %s)")
      :format(board.n, board.runs, table.concat(board.exits, " "))
  end
end

local function drive(boards, sim)
  local st = { runs = {}, problems = {}, kills = 0, confirm_runs = 0, hung = 0, spared = {} }
  local rand = random(OPT.seed + 12345)
  local queue, running = {}, {}
  for _, b in ipairs(boards) do queue[#queue + 1] = b end
  local next_kill = OPT.kill_every > 0 and now() + OPT.kill_every or math.huge
  local next_sample = 0
  while #queue > 0 or #running > 0 do
    while #running < OPT.parallel and #queue > 0 do
      running[#running + 1] = start_run(table.remove(queue, 1), sim)
    end
    S.sleep(0.1)
    for i = #running, 1, -1 do
      local run = running[i]
      local code = run_status(run)
      if not code and not run.hung and now() - run.started > RUN_LIMIT then
        -- A hang: kill it and say so; it is run again like a killed run.
        st.problems[#st.problems + 1] = ("board %03d run %d hung for %d s"):format(run.board.n, run.attempt, RUN_LIMIT)
        st.hung, run.hung = st.hung + 1, true
        if kill_run(run) then run.killed = true end
      end
      if code then
        table.remove(running, i)
        finish_run(run, code, st)
        give_up_if_endless(run.board, st)
        if not run.board.done then queue[#queue + 1] = run.board end
      end
    end
    if now() >= next_kill then
      -- A run still starting (no pid yet) is skipped: the next kill comes.
      local targets = {}
      for _, r in ipairs(running) do
        if r.board.kills < SPARE_AFTER_KILLS then targets[#targets + 1] = r end
      end
      local run = targets[math.floor(rand() * #targets) + 1]
      if run and kill_run(run) then
        run.killed = true
        run.board.kills = run.board.kills + 1
        st.kills = st.kills + 1
      end
      next_kill = now() + OPT.kill_every * (0.5 + rand())
    end
    if now() >= next_sample then sample_sim_rss(sim); next_sample = now() + 1 end
  end
  return st
end

---------------------------------------------------------------------------
-- Main
---------------------------------------------------------------------------

local function main()
  local root = OPT.out or trim(select(2, sh("mktemp -d /tmp/reel-soak.XXXXXX")))
  if root:sub(1, 1) ~= "/" then root = real_getenv("PWD") .. "/" .. root end
  assert(sh("mkdir -p " .. q(root)) == 0, "cannot make " .. root)
  local boards = make_boards(root)
  local sim = start_sim(root)
  say("soak in %s: %d boards x %d shots, %d at once, kill -9 every ~%s s, sim %s --speed %s, seed %d",
    root, OPT.boards, OPT.shots, OPT.parallel, OPT.kill_every, sim.base, OPT.speed, OPT.seed)
  local ran, passed = pcall(function()
    local st = drive(boards, sim)
    local report = { seed = OPT.seed, faults = sim.faults, root = root, proofs = {},
                     report_path = root .. "/report.json" }
    proofs.counts(boards, st, report, OPT.shots, elapsed())
    -- Files first: nothing the proofs run may leave a file behind.
    proofs.no_temporaries(root, report)
    proofs.tasks(boards, sim, report)
    proofs.films(boards, report)
    proofs.memory(st, sim, report)
    report.proofs.runs_clean = { ok = #st.problems == 0, problems = st.problems }
    report.ok = true
    for _, proof in pairs(report.proofs) do report.ok = report.ok and proof.ok end
    report.runs = st.runs
    S.write_file(report.report_path, json.encode(report, { indent = true }) .. "\n")
    report.runs = nil
    proofs.print_report(report)
    return report.ok
  end)
  S.stop_sim(sim)
  if not ran then error(passed, 0) end
  if passed and OPT.clean then
    assert(sh("rm -rf " .. q(root)) == 0, "cannot remove " .. root)
    say("every proof holds; removed %s (--clean)", root)
  elseif not passed then
    say("kept %s for a look", root)
  end
  return passed
end

os.exit(main() and 0 or 1)
