-- The journal when the network fails (issue 6): storyboard.lua runs against
-- a simulator that drops 40% of the API requests without an answer, answers
-- 30% with 5xx and 5% with 429 (and cuts 40% of the result downloads short),
-- so a run mostly ends in an error (a create whose answer was lost and
-- could not be confirmed, a poll that kept failing). It is run again, on the
-- same simulator, --journal and --out, until one run completes (at most
-- REEL_JOURNAL_NET_RUNS runs, default 25). Then, as after the kills
-- (kill_spec.lua):
--   * the last run exits 0;
--   * GET /_sim/stats: tasks created == 10, the distinct calls;
--   * every shot's clip and the film are byte-identical to an uninterrupted
--     run's on a simulator without faults;
--   * --out holds what the uninterrupted run left: no .part or other
--     temporary file;
--   * no run hangs (each ends by itself within 45 s).
-- No fault here fails a task remotely, so no run needs --retry-failed.
-- The faults' seed comes from REEL_JOURNAL_SEED (default: the clock) and is
-- printed; REEL_JOURNAL_FAULTS replaces the fault list.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. here .. "../client/?.lua;" .. package.path
local J = require "journal_support"

if not J.configured then
  J.skip(describe, pending)
  return
end
J.bind{ assert = assert }
local S, note = J.S, J.note

local SPEED = 50
local FAULTS = os.getenv("REEL_JOURNAL_FAULTS") or "429=0.05,500=0.15,502=0.05,503=0.1,drop=0.4,truncate=0.4"
local MAX_RUNS = J.count("REEL_JOURNAL_NET_RUNS", 25)
-- A run under these faults takes a few times the uninterrupted run's time;
-- one still going after LIMIT seconds is stopped and reported as a hang.
local LIMIT = 45
local SEED = J.seed()

describe("reel run --journal with the network failing", function()
  strict_teardown(function() S.cleanup() end)

  it("is run again until it completes, and made each task once", function()
    local started = J.now()
    local fault_seed = SEED % 1000003 + 1
    local faults = FAULTS .. ",seed=" .. fault_seed
    note("seed %d (REEL_JOURNAL_SEED=%d replays it): sim --speed %d --faults %s, at most %d runs",
      SEED, SEED, SPEED, faults, MAX_RUNS)

    local ref = J.reference{ speed = SPEED }
    note("uninterrupted run without faults: %.2f s, %d tasks created, film sha256 %s", ref.wall,
      ref.tasks, ref.outputs.film)

    local sim = S.start_sim{ speed = SPEED, faults = faults }
    local ok, err = pcall(function()
      local series = J.new_series(sim, "network")
      local final, failed, codes, hangs = nil, 0, {}, {}
      while series.runs < MAX_RUNS do
        -- With progress lines, so that a run that hangs shows where.
        local r = J.run(series, { limit = LIMIT, loud = true })
        codes[#codes + 1] = tostring(r.code)
        if r.code == 0 then
          final = r
          note("run %d completed in %.2f s", series.runs, r.wall)
          break
        end
        failed = failed + 1
        if r.hung then
          hangs[#hangs + 1] = ("run %d did not end within %d s (stopped by timeout); its last lines:\n%s")
            :format(series.runs, LIMIT, J.last_lines(r.err, 12))
          note("run %d did not end within %d s; its last lines:\n%s", series.runs, LIMIT,
            J.last_lines(r.err, 12))
        else
          note("run %d exited %s after %.2f s: %s", series.runs, tostring(r.code), r.wall,
            J.first_line(r.err))
        end
      end
      if failed == 0 then
        note("NOTE: no run was ended by the faults this time, so no run replayed the journal")
      end
      local problems, created, st = {}, nil, nil
      if final then
        problems, created, st = J.problems_after(series, final, ref)
      else
        st = S.stats(sim)
        created = S.tasks_created(st)
        problems = { ("no run completed in %d runs (exit statuses %s); the simulator created %d tasks")
          :format(series.runs, table.concat(codes, " "), created) }
      end
      note("network cut: %d runs (%d ended by the faults, exit statuses %s), %d API requests, %d tasks created, %.1f s in all (uninterrupted run %.2f s)",
        series.runs, failed, table.concat(codes, " "), S.api_requests(st), created,
        J.now() - started, ref.wall)
      for _, h in ipairs(hangs) do problems[#problems + 1] = h end
      J.assert_none(problems, ("with --faults %s"):format(faults))
    end)
    S.stop_sim(sim)
    if not ok then error(err, 0) end
  end)
end)
