-- `reel run --sim` keeps its simulator's identity and tasks across runs
-- (issue 7): the simulator lives in `sim` beside the journal and the journal
-- knows it by that folder (REEL_SERVICE_ID), not by its random port. So an
-- unchanged script replays every call from the journal, and a changed one
-- can build on clips made in an earlier run (extend by video_creation_id,
-- vidu.task(ID)) because the restarted simulator still knows them.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

local KEY = "sk-reel-SECRET-ident"

-- A 4 s shot (extend needs 4-60 s) and an extend of its clip; EXTRA is
-- replaced by more calls in the changed script. One JSON line per task.
local STORY = [[
local open = vidu.text2video{ model = "viduq2", prompt = "identity open", duration = 4,
                              resolution = "540p", name = "open" }
local clip = open:wait()
local more = vidu.extend{ model = "viduq2-turbo", video = clip, duration = 1, resolution = "540p",
                          name = "more" }
local shots = { open, more }
-- EXTRA
for _, t in ipairs(shots) do
  local c = t:wait()
  emit{ name = t.name, id = t.id, replayed = t.replayed, duration = c.duration,
        creation_id = c.creation_id, path = c.path }
end
]]

-- The changed script: a new extend of the first clip, and the first task
-- followed by its id.
local CHANGED = STORY:gsub("%-%- EXTRA", [[
local again = vidu.extend{ model = "viduq2-turbo", video = clip, duration = 2,
                           resolution = "540p", name = "again" }
shots[#shots + 1] = again
local by_id = vidu.task(open.id)
emit{ name = "by_id", id = by_id.id, duration = by_id:wait().duration }
]])

local function by_name(results)
  local out = {}
  for _, r in ipairs(results) do out[r.name] = r end
  return out
end

local function now() return tonumber((select(2, S.sh("date +%s.%N")))) end

-- The journal's rows, through `reel tasks --json`.
local function journal_rows(journal)
  local code, out, err = S.sh(("%s tasks --json --all --journal %s"):format(S.q(S.REEL), S.q(journal)))
  assert.are.equal(0, code, err)
  local rows = S.json.decode(out)
  assert.is_table(rows, out)
  return rows
end

describe("reel run --sim across runs", function()
  teardown(function() S.cleanup() end)

  it("replays an unchanged script and builds on earlier clips in a changed one", function()
    local dir = S.newdir("identity")
    local journal = dir .. "/j.db"
    local opts = {
      dir = dir, name = "story.lua", out = dir .. "/out", key = KEY,
      args = "--sim --speed 20 --journal " .. S.q(journal),
    }

    local t0 = now()
    local first = S.reel(nil, STORY, opts)
    local first_time = now() - t0
    assert.are.equal(0, first.code, S.show(first))
    local a = by_name(first.results)
    assert.is_table(a.open, S.show(first))
    assert.is_table(a.more, S.show(first))
    assert.is_false(a.open.replayed)
    assert.is_false(a.more.replayed)
    assert.are.equal(2, #journal_rows(journal), "run 1 made two tasks")
    assert.is_true(S.exists(dir .. "/sim/tasks.jsonl"), "the simulator keeps its tasks beside the journal")

    -- Run 2, unchanged: every call from the journal, no task created.
    t0 = now()
    local second = S.reel(nil, STORY, opts)
    local second_time = now() - t0
    assert.are.equal(0, second.code, S.show(second))
    local b = by_name(second.results)
    for _, n in ipairs{ "open", "more" } do
      assert.is_table(b[n], S.show(second))
      assert.is_true(b[n].replayed, n .. " replayed")
      assert.are.equal(a[n].id, b[n].id, n .. ": the same task")
      assert.are.equal(a[n].path, b[n].path, n .. ": the same file")
    end
    assert.are.equal(2, #journal_rows(journal), "run 2 made no task")
    assert.is_true(second_time < first_time,
      ("a replay waits for nothing (%.2f s, run 1 took %.2f s)"):format(second_time, first_time))

    -- Run 3, changed: a new extend of run 1's clip (sent as its
    -- video_creation_id) and run 1's task by id, both known to the new
    -- simulator; a clip whose file was removed is fetched again from it.
    os.remove(a.more.path)
    local third = S.reel(nil, CHANGED, opts)
    assert.are.equal(0, third.code, S.show(third))
    local c = by_name(third.results)
    assert.is_true(c.open.replayed)
    assert.is_true(c.more.replayed)
    assert.are.equal(a.open.id, c.open.id)
    assert.are.equal(a.more.id, c.more.id)
    assert.is_true(S.exists(a.more.path), "downloaded again from the restarted simulator")
    assert.is_table(c.again, S.show(third))
    assert.is_false(c.again.replayed, "a new call: a new task")
    assert.are_not.equal(a.open.id, c.again.id)
    assert.is_true(math.abs(c.again.duration - 6) <= 0.15, "4 s extended by 2 s: " .. c.again.duration)
    assert.are.equal(a.open.id, c.by_id.id)
    assert.is_true(math.abs(c.by_id.duration - 4) <= 0.15, "run 1's clip: " .. c.by_id.duration)
    local rows = journal_rows(journal)
    assert.are.equal(3, #rows, "run 3 made one task")
    for _, row in ipairs(rows) do assert.are.equal("success", row.state) end

    -- The key is in no file the simulator keeps.
    local code, out = S.sh("grep -rl " .. S.q(KEY) .. " " .. S.q(dir .. "/sim"))
    assert.are.equal(1, code, "the API key is in: " .. out)
  end)

  it("keeps the simulator in .reel/sim beside the default journal", function()
    local dir = S.newdir("default")
    local r = S.reel(nil, [[
local t = vidu.text2video{ model = "viduq2", prompt = "default folder", duration = 1,
                           resolution = "540p", name = "d" }
emit{ id = t:wait().task_id }
]], { dir = dir, name = "d.lua", key = KEY, args = "--sim --speed 40" })
    assert.are.equal(0, r.code, S.show(r))
    assert.is_true(S.exists(dir .. "/.reel/journal.db"))
    assert.is_true(S.exists(dir .. "/.reel/sim/tasks.jsonl"))
    assert.is_true(S.exists(dir .. "/.reel/sim/url-secret"))
  end)
end)
