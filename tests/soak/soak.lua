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
package.path = here .. "../e2e/client/?.lua;" .. package.path

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

-- Uniform numbers in [0, 1) from a seed (splitmix64), one stream per use so
-- the boards do not change when the kills do.
local function random(seed)
  local x = math.tointeger(seed) or 0
  return function()
    x = x + 0x9E3779B97F4A7C15
    local z = x
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    z = z ~ (z >> 31)
    return (z >> 11) / (1 << 53)
  end
end

local function median(list)
  if #list == 0 then return nil end
  local s = table.move(list, 1, #list, 1, {})
  table.sort(s)
  local m = (#s + 1) // 2
  return #s % 2 == 1 and s[m] or (s[m] + s[m + 1]) / 2
end

local function count_into(t, key, n) t[key] = (t[key] or 0) + (n or 1) end

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

local function free_port(rand)
  for _ = 1, 100 do
    local p = 20000 + math.floor(rand() * 20000)
    if (sh(("curl -s -o /dev/null --max-time 1 http://127.0.0.1:%d/"):format(p))) == 7 then return p end
  end
  error("no free port in 20000-39999")
end

local function start_sim(root, rand)
  local faults = OPT.faults .. ",seed=" .. (OPT.seed % 1000003 + 1)
  local port = free_port(rand)
  local log = root .. "/sim.log"
  -- Credits for every shot at a generous 100 each: the default balance
  -- would run out in a long soak and turn into CreditInsufficient.
  local credits = math.max(100000, OPT.boards * OPT.shots * 100)
  local cmd = ("%s sim --port %d --speed %s --key %s --faults %s --data %s --concurrency 16 --credits %d --quiet >%s 2>&1 & echo $!")
    :format(q(REEL), port, OPT.speed, q(KEY), q(faults), q(root .. "/sim-data"), credits, q(log))
  local h = assert(io.popen(cmd))
  local pid = tonumber(h:read("l"))
  h:close()
  local sim = { pid = pid, port = port, base = ("http://127.0.0.1:%d"):format(port), faults = faults,
                rss = {} }
  for _ = 1, 200 do
    local code, out = sh(("curl -s -o /dev/null -w '%%{http_code}' --max-time 2 %s/_sim/stats"):format(sim.base))
    if code == 0 and out == "200" then return sim end
    if not pid_alive(pid) then break end
    S.sleep(0.05)
  end
  error("reel sim did not answer on " .. sim.base .. ":\n" .. (slurp(log) or ""))
end

local function stop_sim(sim)
  if sim and sim.pid and pid_alive(sim.pid) then
    sh("kill " .. sim.pid)
    for _ = 1, 100 do if not pid_alive(sim.pid) then break end S.sleep(0.05) end
    if pid_alive(sim.pid) then sh("kill -9 " .. sim.pid) end
  end
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

-- kB of simulator RSS per task created, from the first sample at half the
-- final task count to the last sample: start-up (encoders, threads, malloc
-- arenas) is behind by then, so what remains is what each task costs.
local function sim_kb_per_task(samples)
  local last = samples[#samples]
  if not (last and last.tasks) then return nil end
  for _, s in ipairs(samples) do
    if s.tasks and s.tasks >= last.tasks / 2 then
      if last.tasks > s.tasks then return (last.kb - s.kb) / (last.tasks - s.tasks) end
      return nil
    end
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
-- Proofs
---------------------------------------------------------------------------

-- Not -readonly: a read-only connection cannot remove the -wal/-shm files
-- it makes beside the journal, and they would read as left behind by reel.
local function sql(db, query)
  local code, out, err = sh(("sqlite3 -json %s %s"):format(q(db), q(query)))
  assert(code == 0, "sqlite3 " .. db .. ": " .. err)
  return out:match("%S") and json.decode(out) or {}
end

-- Tasks the simulator made == calls the journals hold a task for: nothing
-- was paid twice, whatever the kills and faults interrupted.
local function prove_tasks(boards, sim, report)
  local stats = S.stats(sim)
  local created = S.tasks_created(stats)
  local calls, with_task, states, causes = 0, 0, {}, {}
  for _, b in ipairs(boards) do
    for _, row in ipairs(sql(b.journal, "select task_id, state, err_code from calls")) do
      calls = calls + 1
      if row.task_id ~= "" then with_task = with_task + 1 end
      count_into(states, row.state)
      if row.state ~= "success" then count_into(causes, row.state .. ":" .. (row.err_code ~= "" and row.err_code or "-")) end
    end
  end
  local by_status = {}
  for route, statuses in pairs(stats.requests or {}) do
    if not route:find(" /_sim/", 1, true) then
      for status, n in pairs(statuses) do count_into(by_status, status, n) end
    end
  end
  report.sim = { tasks_created = created, by_kind = stats.tasks_created, tasks_by_state = stats.tasks_by_state,
                 credits = stats.credits, requests_total = stats.requests_total, requests_by_status = by_status }
  report.journal = { calls = calls, calls_with_task = with_task, by_state = states, failures = causes }
  report.proofs.tasks_once = { ok = created == with_task, tasks_created = created, distinct_calls = with_task }
end

local function probe(path)
  local code, out = sh("ffprobe -v error -print_format json -show_format -show_streams " .. q(path))
  if code ~= 0 then return nil end
  local p = json.decode(out)
  local video
  for _, s in ipairs(p and p.streams or {}) do if s.codec_type == "video" then video = s end end
  if not (p and p.format and video) then return nil end
  return { duration = tonumber(p.format.duration) }
end

-- Films and clips: every clip storyboard.json names exists and probes;
-- a board that ended 0 has a film lasting its cut's clips (within 0.1 s);
-- one that ended 3 has no film and a reason for every shot without a clip.
local function prove_films(boards, report)
  local problems, films, clips, shot_failures = {}, 0, 0, {}
  local function problem(fmt, ...) problems[#problems + 1] = fmt:format(...) end
  for _, b in ipairs(boards) do
    local m = json.decode(slurp(b.folder .. "/storyboard.json") or "null")
    if type(m) ~= "table" then
      problem("board %03d: no storyboard.json", b.n)
    else
      local by_id = {}
      for _, s in ipairs(m.shots) do
        by_id[s.id] = s
        if s.file then
          clips = clips + 1
          local p = probe(b.folder .. "/" .. s.file)
          if not p then problem("board %03d shot %s: clip %s missing or does not probe", b.n, s.id, s.file)
          elseif math.abs(p.duration - s.duration) > 0.1 then
            problem("board %03d shot %s: clip lasts %.3f s, storyboard.json says %.3f", b.n, s.id, p.duration, s.duration)
          end
        elseif not (s.error and s.error.code) then
          problem("board %03d shot %s: no clip and no error", b.n, s.id)
        else
          count_into(shot_failures, s.error.code)
        end
      end
      local film = b.folder .. "/film.mp4"
      if b.status == 0 then
        local want = 0
        for _, id in ipairs(m.cut) do want = want + (by_id[id].duration or 0) end
        local p = probe(film)
        films = films + 1
        if not p then problem("board %03d: film.mp4 missing or does not probe", b.n)
        elseif math.abs(p.duration - want) > 0.1 then
          problem("board %03d: film lasts %.3f s, its cut's clips %.3f s", b.n, p.duration, want)
        end
      elseif b.status == 3 then
        if m.film then problem("board %03d: exited 3 yet storyboard.json names a film", b.n) end
        local remote = false
        for _, s in ipairs(m.shots) do
          if s.error and s.error.code ~= "ShotSkipped" then remote = true end
        end
        if not remote then problem("board %03d: exited 3 with no shot failed by itself", b.n) end
      end
    end
  end
  report.shot_failures = shot_failures
  report.proofs.films = { ok = #problems == 0, films = films, clips_probed = clips, problems = problems }
end

-- Nothing half-written: reel's downloads (NAME.part), joins (.NAME.PID-N.part),
-- frames (NAME.tmp-...), the storyboard's own files (NAME.N.part), any
-- hidden file; SQLite's -wal/-shm beside a journal are counted apart (a
-- run that closed its journal removes them).
local function prove_no_temporaries(root, report)
  local _, out = sh(("find %s -name '*.part' -o -name '*.tmp*' -o -name '.*' -o -name '*~'"):format(q(root)))
  local found = {}
  for path in out:gmatch("[^\n]+") do if path ~= root then found[#found + 1] = path end end
  local _, wal = sh(("find %s -name '*-wal' -o -name '*-shm'"):format(q(root .. "/boards")))
  local wal_files = {}
  for path in wal:gmatch("[^\n]+") do wal_files[#wal_files + 1] = path end
  report.proofs.no_temporaries = { ok = #found == 0, found = found, journal_wal_files = wal_files }
end

-- Peak RSS of the runs that made a film, first quarter against last
-- quarter in the order they ended (halves when fewer than 8 runs made one):
-- flat if the last is within 25 % of the first. Only like runs are compared:
-- a killed run stops early, and one that ends 3 makes no film (media.concat
-- and the strip are most of a run's peak), so mixing them measures the mix.
local function quarters(list, min_for_quarters)
  local k = #list >= min_for_quarters and math.max(1, #list // 4) or math.max(1, #list // 2)
  return median(table.move(list, 1, k, 1, {})), median(table.move(list, #list - k + 1, #list, 1, {})), k
end

local function prove_memory(st, sim, report)
  local film_runs, all_done = {}, {}
  for _, r in ipairs(st.runs) do
    if not r.killed and r.rss_kb then
      if r.code == 0 then film_runs[#film_runs + 1] = r.rss_kb end
      if r.code == 0 or r.code == 3 then all_done[#all_done + 1] = r.rss_kb end
    end
  end
  local first, last, k = quarters(film_runs, 8)
  local all_first, all_last = quarters(all_done, 8)
  -- The simulator keeps every task it made (and answers for them), so some
  -- growth is expected; it is reported per task so a leak stands out.
  local sim_kb = {}
  for i, s in ipairs(sim.rss) do sim_kb[i] = s.kb end
  local sim_first, sim_last = quarters(sim_kb, 8)
  local created = report.sim and report.sim.tasks_created or 0
  report.memory = {
    reel_film_runs = #film_runs, reel_runs_per_group = k,
    reel_first_median_kb = first, reel_last_median_kb = last,
    reel_all_completed_runs = #all_done, reel_all_first_median_kb = all_first, reel_all_last_median_kb = all_last,
    reel_max_kb = #all_done > 0 and math.max(table.unpack(all_done)) or nil,
    sim_samples = #sim_kb, sim_first_quarter_median_kb = sim_first, sim_last_quarter_median_kb = sim_last,
    sim_min_kb = #sim_kb > 0 and math.min(table.unpack(sim_kb)) or nil, sim_last_kb = sim_kb[#sim_kb],
    sim_tasks_created = created, sim_kb_per_task_second_half = sim_kb_per_task(sim.rss),
    sim_series = sim.rss,
  }
  report.proofs.memory_flat = { ok = first ~= nil and last <= first * 1.25,
                                first_median_kb = first, last_median_kb = last, runs_per_group = k }
end

---------------------------------------------------------------------------
-- Report
---------------------------------------------------------------------------

local function counts(boards, st, report)
  local status = { film = 0, failed_shots = 0, unfinished = 0 }
  for _, b in ipairs(boards) do
    if b.status == 0 then status.film = status.film + 1
    elseif b.status == 3 then status.failed_shots = status.failed_shots + 1
    else status.unfinished = status.unfinished + 1 end
  end
  local exits = {}
  for _, r in ipairs(st.runs) do count_into(exits, r.killed and "killed" or tostring(r.code)) end
  report.counts = { boards = #boards, shots_per_board = OPT.shots, shots = #boards * OPT.shots,
                    runs = #st.runs, reruns = #st.runs - #boards, kills = st.kills,
                    confirm_reruns = st.confirm_runs, hung = st.hung, runs_by_exit = exits,
                    spared_after_kills = st.spared,
                    boards_by_outcome = status, wall_seconds = elapsed() }
end

local function print_report(report)
  local c, p = report.counts, report.proofs
  local function mark(ok) return ok and "ok  " or "FAIL" end
  print(("\nsoak: %d boards x %d shots, seed %d, faults %s"):format(c.boards, c.shots_per_board, report.seed, report.faults))
  print(("  boards: %d with a film, %d with shots failed remotely, %d unfinished")
    :format(c.boards_by_outcome.film, c.boards_by_outcome.failed_shots, c.boards_by_outcome.unfinished))
  print(("  runs: %d (%d re-runs: %d after kill -9, %d confirming a failure), %d hung, wall %.1f s")
    :format(c.runs, c.reruns, c.kills, c.confirm_reruns, c.hung, c.wall_seconds))
  for _, sp in ipairs(c.spared_after_kills) do
    print(("  board %03d was spared after %d kills: its next run took %.1f s and exited %d")
      :format(sp.board, sp.kills, sp.run_wall, sp.code))
  end
  local failures = {}
  for cause, n in pairs(report.journal.failures) do failures[#failures + 1] = cause .. "=" .. n end
  table.sort(failures)
  print(("  calls not successful (journal): %s"):format(#failures > 0 and table.concat(failures, " ") or "none"))
  local shots = {}
  for code, n in pairs(report.shot_failures) do shots[#shots + 1] = code .. "=" .. n end
  table.sort(shots)
  print(("  shots without a clip (storyboard.json): %s"):format(#shots > 0 and table.concat(shots, " ") or "none"))
  local statuses = {}
  for s, n in pairs(report.sim.requests_by_status) do statuses[#statuses + 1] = s .. "=" .. n end
  table.sort(statuses)
  print(("  simulator answers by status: %s"):format(table.concat(statuses, " ")))
  print(("  [%s] tasks created %d == distinct calls %d"):format(mark(p.tasks_once.ok),
    p.tasks_once.tasks_created, p.tasks_once.distinct_calls))
  print(("  [%s] %d films and %d clips probe, films last their cut"):format(mark(p.films.ok), p.films.films, p.films.clips_probed))
  for _, msg in ipairs(p.films.problems) do print("         " .. msg) end
  print(("  [%s] no temporary file left (%d found; %d journal -wal/-shm)"):format(mark(p.no_temporaries.ok),
    #p.no_temporaries.found, #p.no_temporaries.journal_wal_files))
  for _, path in ipairs(p.no_temporaries.found) do print("         " .. path) end
  local m = report.memory
  print(("  [%s] reel peak RSS of the runs that made a film: median of the first %d %s kB, of the last %d %s kB (%d runs; max of any run %s kB)")
    :format(mark(p.memory_flat.ok), m.reel_runs_per_group, tostring(m.reel_first_median_kb), m.reel_runs_per_group,
      tostring(m.reel_last_median_kb), m.reel_film_runs, tostring(m.reel_max_kb)))
  print(("         all runs that ended 0 or 3: %s -> %s kB; simulator RSS (one process) %s -> %s kB, %s kB per task over the second half of the tasks")
    :format(tostring(m.reel_all_first_median_kb), tostring(m.reel_all_last_median_kb),
      tostring(m.sim_first_quarter_median_kb), tostring(m.sim_last_quarter_median_kb),
      m.sim_kb_per_task_second_half and ("%.1f"):format(m.sim_kb_per_task_second_half) or "n/a"))
  print(("  [%s] every run ended 0, 3 or by a kill"):format(mark(p.runs_clean.ok)))
  for _, msg in ipairs(p.runs_clean.problems) do print("         " .. msg) end
  print(("  report: %s"):format(report.report_path))
  print(report.ok and "soak: PASS" or "soak: FAIL")
end

---------------------------------------------------------------------------
-- Main
---------------------------------------------------------------------------

local function main()
  local root = OPT.out or trim(select(2, sh("mktemp -d /tmp/reel-soak.XXXXXX")))
  if root:sub(1, 1) ~= "/" then root = real_getenv("PWD") .. "/" .. root end
  assert(sh("mkdir -p " .. q(root)) == 0, "cannot make " .. root)
  local rand = random(OPT.seed)
  local boards = make_boards(root)
  local sim = start_sim(root, rand)
  say("soak in %s: %d boards x %d shots, %d at once, kill -9 every ~%s s, sim %s --speed %s, seed %d",
    root, OPT.boards, OPT.shots, OPT.parallel, OPT.kill_every, sim.base, OPT.speed, OPT.seed)
  local ran, passed = pcall(function()
    local st = drive(boards, sim)
    local report = { seed = OPT.seed, faults = sim.faults, root = root, proofs = {},
                     report_path = root .. "/report.json" }
    counts(boards, st, report)
    -- Files first: nothing the proofs run may leave a file behind.
    prove_no_temporaries(root, report)
    prove_tasks(boards, sim, report)
    prove_films(boards, report)
    prove_memory(st, sim, report)
    report.proofs.runs_clean = { ok = #st.problems == 0, problems = st.problems }
    report.ok = true
    for _, proof in pairs(report.proofs) do report.ok = report.ok and proof.ok end
    report.runs = st.runs
    S.write_file(report.report_path, json.encode(report, { indent = true }) .. "\n")
    report.runs = nil
    print_report(report)
    return report.ok
  end)
  stop_sim(sim)
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
