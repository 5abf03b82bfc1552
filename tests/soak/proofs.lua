-- The soak's proofs and report (tests/soak/README.md, "What it proves"):
-- each proof reads only what the runs left (the simulator's stats, the
-- journals, the files under the soak's folder, the runs' exit statuses and
-- peak RSS) and writes its verdict into report.proofs. Required by soak.lua
-- after tests/e2e/client/support.lua is loaded with the reel binary.
local S = require "support"
local json, q, sh, slurp = S.json, S.q, S.sh, S.slurp

local P = {}

local function median(list)
  if #list == 0 then return nil end
  local s = table.move(list, 1, #list, 1, {})
  table.sort(s)
  local m = (#s + 1) // 2
  return #s % 2 == 1 and s[m] or (s[m] + s[m + 1]) / 2
end

local function count_into(t, key, n) t[key] = (t[key] or 0) + (n or 1) end

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

-- Not -readonly: a read-only connection cannot remove the -wal/-shm files
-- it makes beside the journal, and they would read as left behind by reel.
local function sql(db, query)
  local out = S.sqlite(db, query, "-json")
  return out:match("%S") and json.decode(out) or {}
end

-- Tasks the simulator made == calls the journals hold a task for: nothing
-- was paid twice, whatever the kills and faults interrupted.
function P.tasks(boards, sim, report)
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

-- Duration of a file that holds a video stream, or nil.
local function probe(path)
  local ok, p = pcall(S.probe, path)
  return ok and p.codec and p or nil
end

-- Films and clips: every clip storyboard.json names exists and probes;
-- a board that ended 0 has a film lasting its cut's clips (within 0.1 s);
-- one that ended 3 has no film and a reason for every shot without a clip.
function P.films(boards, report)
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
function P.no_temporaries(root, report)
  local _, out = sh(("find %s -name '*.part' -o -name '*.tmp*' -o -name '.*' -o -name '*~'"):format(q(root)))
  local found = {}
  for path in out:gmatch("[^\n]+") do if path ~= root then found[#found + 1] = path end end
  local _, wal = sh(("find %s -name '*-wal' -o -name '*-shm'"):format(q(root .. "/boards")))
  local wal_files = {}
  for path in wal:gmatch("[^\n]+") do wal_files[#wal_files + 1] = path end
  report.proofs.no_temporaries = { ok = #found == 0, found = found, journal_wal_files = wal_files }
end

-- Peak RSS of the runs that made a film, first quarter against last
-- quarter in the order they ended: flat if the last is within 25 % of the
-- first. Fewer than MIN_FILM_RUNS such runs are reported, not judged: a
-- run's peak depends on how much of its film it still had to make, so one
-- or two runs against one or two is noise (a short soak failed on 73 MB
-- against 110 MB, one run each). Only like runs are compared:
-- a killed run stops early, and one that ends 3 makes no film (media.concat
-- and the strip are most of a run's peak), so mixing them measures the mix.
local MIN_FILM_RUNS = 8

local function quarters(list, min_for_quarters)
  local k = #list >= min_for_quarters and math.max(1, #list // 4) or math.max(1, #list // 2)
  return median(table.move(list, 1, k, 1, {})), median(table.move(list, #list - k + 1, #list, 1, {})), k
end

function P.memory(st, sim, report)
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
  local judged = #film_runs >= MIN_FILM_RUNS
  report.proofs.memory_flat = { ok = not judged or last <= first * 1.25, judged = judged,
                                runs_needed = MIN_FILM_RUNS,
                                first_median_kb = first, last_median_kb = last, runs_per_group = k }
end

-- The report: counts of boards, runs and kills, then every proof's verdict.
function P.counts(boards, st, report, shots_per_board, wall_seconds)
  local status = { film = 0, failed_shots = 0, unfinished = 0 }
  for _, b in ipairs(boards) do
    if b.status == 0 then status.film = status.film + 1
    elseif b.status == 3 then status.failed_shots = status.failed_shots + 1
    else status.unfinished = status.unfinished + 1 end
  end
  local exits = {}
  for _, r in ipairs(st.runs) do count_into(exits, r.killed and "killed" or tostring(r.code)) end
  report.counts = { boards = #boards, shots_per_board = shots_per_board, shots = #boards * shots_per_board,
                    runs = #st.runs, reruns = #st.runs - #boards, kills = st.kills,
                    confirm_reruns = st.confirm_runs, hung = st.hung, runs_by_exit = exits,
                    spared_after_kills = st.spared,
                    boards_by_outcome = status, wall_seconds = wall_seconds }
end

function P.print_report(report)
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
  local judged = p.memory_flat.judged
  print(("  [%s] reel peak RSS of the runs that made a film: median of the first %d %s kB, of the last %d %s kB (%d runs%s; max of any run %s kB)")
    :format(judged and mark(p.memory_flat.ok) or "n/a ", m.reel_runs_per_group,
      tostring(m.reel_first_median_kb), m.reel_runs_per_group, tostring(m.reel_last_median_kb), m.reel_film_runs,
      judged and "" or (", not judged: %d needed"):format(p.memory_flat.runs_needed), tostring(m.reel_max_kb)))
  print(("         all runs that ended 0 or 3: %s -> %s kB; simulator RSS (one process) %s -> %s kB, %s kB per task over the second half of the tasks")
    :format(tostring(m.reel_all_first_median_kb), tostring(m.reel_all_last_median_kb),
      tostring(m.sim_first_quarter_median_kb), tostring(m.sim_last_quarter_median_kb),
      m.sim_kb_per_task_second_half and ("%.1f"):format(m.sim_kb_per_task_second_half) or "n/a"))
  print(("  [%s] every run ended 0, 3 or by a kill"):format(mark(p.runs_clean.ok)))
  for _, msg in ipairs(p.runs_clean.problems) do print("         " .. msg) end
  print(("  report: %s"):format(report.report_path))
  print(report.ok and "soak: PASS" or "soak: FAIL")
end

return P
