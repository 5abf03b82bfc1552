-- The journal under kill -9 (issue 6): storyboard.lua (ten calls: text,
-- image, reference, an extend of an earlier clip, start/end between two
-- shots' frames, several in flight at once, then media.concat) is killed
-- with SIGKILL at random points and run again, on one simulator, one
-- --journal and one --out, until it completes. Then:
--   * the last run exits 0;
--   * GET /_sim/stats: tasks created == 10, the distinct calls (nothing was
--     paid twice, whatever the kills interrupted);
--   * every shot's clip and the film are byte-identical to an uninterrupted
--     run's (on its own simulator, journal and folder);
--   * --out holds what the uninterrupted run left, nothing more: no .part or
--     other temporary file.
--
-- Kill points are uniform between 0 and the uninterrupted run's wall time
-- (the shortest seen: the reference run's, or a series' first run that
-- completed before its kill point).
-- When a run completes before its kill point (the journal had most of the
-- work), that series is over and is checked; the next kill starts a new
-- series on a fresh simulator, journal and folder, so kills keep landing
-- all over a run's life. REEL_JOURNAL_KILLS (default 20) kills in all;
-- REEL_JOURNAL_SEED replays the kill points of a printed seed.
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
local KILLS = J.count("REEL_JOURNAL_KILLS", 20)
local SEED = J.seed()

describe("reel run --journal under kill -9", function()
  strict_teardown(function() S.cleanup() end)

  it(("is killed " .. KILLS .. " times at random points, completes, and made each task once"), function()
    local started = J.now()
    note("seed %d (REEL_JOURNAL_SEED=%d replays these kill points), %d kills, sim --speed %d",
      SEED, SEED, KILLS, SPEED)
    local random = J.random(SEED)

    local ref = J.reference{ speed = SPEED }
    note("uninterrupted run: %.2f s, %d tasks created, film sha256 %s", ref.wall, ref.tasks,
      ref.outputs.film)
    -- The first run of a series that completes before its kill point is an
    -- uninterrupted run too: the kill window is the shortest such run (one
    -- run slowed by a load spike would put most kill points past the end).
    local window = ref.wall

    local kills, runs, completed_early, series_n = 0, 0, 0, 0
    local max_runs = 4 * KILLS + 10
    local problems, created_by_series = {}, {}
    while kills < KILLS do
      assert.is_true(runs < max_runs, ("%d runs and only %d kills; problems so far:\n  - %s"):format(
        runs, kills, table.concat(problems, "\n  - ")))
      series_n = series_n + 1
      local sim = S.start_sim{ speed = SPEED }
      local ok, err = pcall(function()
        local series = J.new_series(sim, "kill-series-" .. series_n)
        local final, series_kills = nil, 0
        while kills < KILLS and runs < max_runs do
          local at = random() * window
          local r = J.run(series, { kill_after = at })
          runs = runs + 1
          if r.killed then
            kills = kills + 1
            series_kills = series_kills + 1
            note("kill %d/%d: series %d run %d, SIGKILL at %.3f s of %.2f s", kills, KILLS,
              series_n, series.runs, at, window)
          elseif r.code == 0 then
            completed_early = completed_early + 1
            note("series %d run %d completed in %.2f s, before its kill point %.3f s", series_n,
              series.runs, r.wall, at)
            final = r
            if series.runs == 1 and r.wall < window then
              window = r.wall
              note("kill window now %.2f s (an uninterrupted run)", window)
            end
            break
          else
            -- Neither killed nor done: an error of its own.
            problems[#problems + 1] = ("series %d run %d (kill point %.3f s) exited %s by itself: %s")
              :format(series_n, series.runs, at, tostring(r.code), J.first_line(r.err))
            note("series %d run %d exited %s by itself after %.2f s: %s", series_n, series.runs,
              tostring(r.code), r.wall, J.first_line(r.err))
          end
        end
        if not final then
          final = J.run(series, { limit = 120 })
          runs = runs + 1
          note("series %d run %d (to completion): exit %s in %.2f s", series_n, series.runs,
            tostring(final.code), final.wall)
        end
        local found, created = J.problems_after(series, final, ref)
        for _, p in ipairs(found) do problems[#problems + 1] = ("series %d: %s"):format(series_n, p) end
        created_by_series[#created_by_series + 1] = tostring(created)
        note("series %d: %d kills, %d runs, %d tasks created", series_n, series_kills, series.runs,
          created)
      end)
      S.stop_sim(sim)
      if not ok then error(err, 0) end
    end

    note("kill -9: %d kills, %d runs (%d completed before their kill point), %d series, tasks created per series: %s (%d distinct calls), %.1f s in all (uninterrupted run %.2f s, kill window %.2f s)",
      kills, runs, completed_early, series_n, table.concat(created_by_series, " "), #J.SHOTS,
      J.now() - started, ref.wall, window)
    J.assert_none(problems, ("after %d kills (seed %d)"):format(kills, SEED))
  end)
end)
