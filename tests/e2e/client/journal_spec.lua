-- The journal (issue 6), rule by rule: the real `reel run` run twice (or
-- more) on one script, one journal and one `reel sim`, with the simulator's
-- stats as the proof of what was paid. The kill -9 and network-cut proofs
-- are in tests/e2e/journal/.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

-- Three shots with names and seeds; prints {name, id, path, duration} each.
local THREE = [[
local shots = {}
for i = 1, 3 do
  shots[i] = vidu.text2video{ model = "viduq2", prompt = "journal shot " .. i, duration = 2,
                              resolution = "540p", seed = i, name = "s" .. i }
end
for _, t in ipairs(shots) do
  local c = t:wait()
  emit{ name = t.name, id = t.id, path = c.path, duration = c.duration, state = t.state }
end
]]

local function by_name(results)
  local out = {}
  for _, r in ipairs(results) do out[r.name] = r end
  return out
end

local function sha(path) return (select(2, S.sh("sha256sum " .. S.q(path))):match("^(%x+)")) end

describe("the journal", function()
  local sim
  setup(function() sim = S.start_sim{ speed = 40 } end)
  teardown(function() S.stop_sim(sim); S.cleanup() end)

  it("replays an unchanged script without a request: the clips come back at once", function()
    local dir = S.newdir("replay")
    local first = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    assert.are.equal(0, first.code, S.show(first))
    local before = S.stats(sim)
    local second = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    assert.are.equal(0, second.code, S.show(second))
    local after = S.stats(sim)
    assert.are.equal(S.api_requests(before), S.api_requests(after), "no request at all")
    local a, b = by_name(first.results), by_name(second.results)
    for i = 1, 3 do
      local n = "s" .. i
      assert.are.equal(a[n].id, b[n].id, n)
      assert.are.equal(a[n].path, b[n].path, n .. ": the same file, said the same way")
      assert.are.equal(2, b[n].duration)
    end
    -- The journal is where --journal says; by default .reel/journal.db.
    assert.is_true(S.exists(dir .. "/.reel/journal.db"))
  end)

  it("downloads again, without a new task, a clip whose file was removed or changed", function()
    local dir = S.newdir("refetch")
    local first = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    assert.are.equal(0, first.code, S.show(first))
    local a = by_name(first.results)
    local good = sha(a.s2.path)
    os.remove(a.s1.path)
    S.write_file(a.s2.path, "not the clip any more")
    local before = S.stats(sim)
    local second = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    assert.are.equal(0, second.code, S.show(second))
    local after = S.stats(sim)
    assert.are.equal(S.tasks_created(before), S.tasks_created(after), "no new task")
    assert.are.equal(2, S.requests(after, "GET /files", 200) - S.requests(before, "GET /files", 200),
                     "s1 and s2 fetched again, s3 not")
    assert.are.equal(good, sha(a.s2.path), "the changed file is the clip again")
    assert.is_true(S.exists(a.s1.path))
    S.assert_no_part(dir .. "/out")
  end)

  it("keeps each of two identical calls on its own task, run after run", function()
    local dir = S.newdir("twins")
    local script = [[
local a = vidu.text2video{ model = "viduq2", prompt = "twin", duration = 1, resolution = "540p", name = "a" }
local b = vidu.text2video{ model = "viduq2", prompt = "twin", duration = 1, resolution = "540p", name = "b" }
emit{ a = a:wait().task_id, b = b:wait().task_id }
]]
    local first = S.reel(sim, script, { dir = dir, name = "twins.lua" })
    assert.are.equal(0, first.code, S.show(first))
    local v = first.results[1]
    assert.are_not.equal(v.a, v.b, "the second identical call is a new variant")
    local created = S.tasks_created(S.stats(sim))
    local second = S.reel(sim, script, { dir = dir, name = "twins.lua" })
    assert.are.equal(0, second.code, S.show(second))
    assert.are.same(v, second.results[1], "each call keeps its task")
    assert.are.equal(created, S.tasks_created(S.stats(sim)))
  end)

  it("knows inputs by content: a moved image is the same call, an edited one is not", function()
    local dir = S.newdir("content")
    S.sh(("cp %s %s/a.png"):format(S.q(S.media("image.png")), S.q(dir)))
    local script = [[
local f = io.open("which.txt"); local name = f:read("l"); f:close()
local t = vidu.img2video{ model = "viduq2-turbo", image = name, prompt = "move", duration = 1,
                          resolution = "540p", name = "still" }
emit{ id = t:wait().task_id }
]]
    S.write_file(dir .. "/which.txt", "a.png")
    local first = S.reel(sim, script, { dir = dir, name = "still.lua" })
    assert.are.equal(0, first.code, S.show(first))
    local created = S.tasks_created(S.stats(sim))
    S.sh(("mv %s/a.png %s/b.png"):format(S.q(dir), S.q(dir)))
    S.write_file(dir .. "/which.txt", "b.png")
    local moved = S.reel(sim, script, { dir = dir, name = "still.lua" })
    assert.are.equal(0, moved.code, S.show(moved))
    assert.are.equal(first.results[1].id, moved.results[1].id, "same bytes, same call")
    assert.are.equal(created, S.tasks_created(S.stats(sim)))
    -- One more byte at the end: a PNG still, other bytes, another call.
    S.sh(("printf x >> %s/b.png"):format(S.q(dir)))
    local edited = S.reel(sim, script, { dir = dir, name = "still.lua" })
    assert.are.equal(0, edited.code, S.show(edited))
    assert.are_not.equal(first.results[1].id, edited.results[1].id)
    assert.are.equal(created + 1, S.tasks_created(S.stats(sim)))
  end)

  it("fresh = true creates a new task every run", function()
    local dir = S.newdir("fresh")
    local script = [[
local t = vidu.text2video{ model = "viduq2", prompt = "again", duration = 1, resolution = "540p",
                           name = "f", fresh = true }
emit{ id = t:wait().task_id }
]]
    local first = S.reel(sim, script, { dir = dir, name = "fresh.lua" })
    local second = S.reel(sim, script, { dir = dir, name = "fresh.lua" })
    assert.are.equal(0, first.code, S.show(first))
    assert.are.equal(0, second.code, S.show(second))
    assert.are_not.equal(first.results[1].id, second.results[1].id)
  end)

  it("a run on another server is another call: a journal entry never answers for a foreign server", function()
    local other = S.start_sim{ speed = 40 }
    local dir = S.newdir("servers")
    local a = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    local b = S.reel(other, THREE, { dir = dir, name = "three.lua" })
    local st = S.stats(other)
    S.stop_sim(other)
    assert.are.equal(0, a.code, S.show(a))
    assert.are.equal(0, b.code, S.show(b))
    assert.are.equal(3, S.tasks_created(st), "the other server made its own three")
  end)

  it("two reel processes on one journal pay once for each call", function()
    local dir = S.newdir("pair")
    local before = S.tasks_created(S.stats(sim))
    -- Both at once, through the shell (S.reel runs one at a time), on a
    -- journal neither has made yet.
    S.write_file(dir .. "/three.lua", [[
local function emit(t) io.stdout:write(json.encode(t), "\n"); io.stdout:flush() end
]] .. THREE)
    local cmd = ("cd %s && for i in 1 2; do VIDU_BASE_URL=%s VIDU_API_KEY=%s REEL_TIME_SCALE=40 "
                 .. "timeout -k 5 120 %s run --quiet --out out three.lua >run$i.out 2>run$i.err "
                 .. "& done; wait"):format(S.q(dir), S.q(sim.base), S.q(sim.key), S.q(S.REEL))
    S.sh(cmd)
    local ids = {}
    for i = 1, 2 do
      local out = S.slurp(dir .. "/run" .. i .. ".out") or ""
      local n = 0
      for line in out:gmatch("[^\n]+") do
        local v = S.json.decode(line)
        n = n + 1
        ids[v.name] = ids[v.name] or v.id
        assert.are.equal(ids[v.name], v.id, "both runs give " .. v.name .. " the same task")
      end
      assert.are.equal(3, n, "run " .. i .. ": " .. out .. (S.slurp(dir .. "/run" .. i .. ".err") or ""))
    end
    assert.are.equal(before + 3, S.tasks_created(S.stats(sim)), "three calls, three tasks")
  end)

  it("finds by its payload tag the task of a create whose answer never came home", function()
    local dir = S.newdir("lost")
    local first = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    assert.are.equal(0, first.code, S.show(first))
    -- As if reel had been killed between sending s2's create and its answer.
    S.sh(("sqlite3 %s/.reel/journal.db \"UPDATE calls SET state = 'sending', task_id = '', "
          .. "file = '' WHERE shot = 's2'\""):format(S.q(dir)))
    local before = S.stats(sim)
    local second = S.reel(sim, THREE, { dir = dir, name = "three.lua" })
    assert.are.equal(0, second.code, S.show(second))
    local after = S.stats(sim)
    assert.are.equal(S.tasks_created(before), S.tasks_created(after), "adopted, not created")
    assert.are.equal(by_name(first.results).s2.id, by_name(second.results).s2.id)
    assert.is_true(S.requests(after, "GET /ent/v2/tasks") > S.requests(before, "GET /ent/v2/tasks"),
                   "it looked the tag up")
  end)
  it("on Vtrix, which cannot look tasks up, refuses to guess about a create whose answer was lost", function()
    local dir = S.newdir("lost-vtrix")
    local first = S.reel(sim, THREE, { dir = dir, name = "three.lua", dialect = "vtrix" })
    assert.are.equal(0, first.code, S.show(first))
    S.sh(("sqlite3 %s/.reel/journal.db \"UPDATE calls SET state = 'sending', task_id = '', "
          .. "file = '' WHERE shot = 's2'\""):format(S.q(dir)))
    local before = S.stats(sim)
    local second = S.reel(sim, THREE, { dir = dir, name = "three.lua", dialect = "vtrix" })
    assert.are_not.equal(0, second.code, S.show(second))
    assert.truthy(second.err:find("Vtrix cannot look tasks up", 1, true), S.show(second))
    assert.truthy(second.err:find("fresh = true", 1, true), S.show(second))
    assert.are.equal(S.tasks_created(before), S.tasks_created(S.stats(sim)), "nothing created")
  end)
end)

describe("the journal and failures", function()
  teardown(function() S.cleanup() end)

  it("does not pay again for a failed task unless asked (retry_failed, --retry-failed)", function()
    local sim = S.start_sim{ speed = 40, faults = "fail=1" }
    local dir = S.newdir("failed")
    local script = [[
local ok, e = pcall(function()
  return vidu.text2video{ model = "viduq2", prompt = "doomed", duration = 1, resolution = "540p",
                          name = "doomed" }:wait()
end)
emit(fail_info(e))
]]
    local runs = {}
    runs[1] = S.reel(sim, script, { dir = dir, name = "doomed.lua" })
    local st1 = S.stats(sim)
    runs[2] = S.reel(sim, script, { dir = dir, name = "doomed.lua" })
    local st2 = S.stats(sim)
    runs[3] = S.reel(sim, script, { dir = dir, name = "doomed.lua", args = "--retry-failed" })
    local st3 = S.stats(sim)
    S.stop_sim(sim)
    for i = 1, 3 do assert.are.equal(0, runs[i].code, S.show(runs[i])) end
    assert.are.equal("TaskFailed", runs[1].results[1].code)
    assert.are.equal(1, S.tasks_created(st1))
    local again = runs[2].results[1]
    assert.are.equal("TaskFailed", again.code, S.show(runs[2]))
    assert.are.equal(runs[1].results[1].task_id, again.task_id)
    assert.truthy(again.message:find("earlier run", 1, true), again.message)
    assert.truthy(again.message:find("retry_failed", 1, true), again.message)
    assert.are.equal(1, S.tasks_created(st2), "the failure is said again, nothing is paid")
    assert.are.equal(2, S.tasks_created(st3), "--retry-failed pays for a new task")
    assert.are_not.equal(again.task_id, runs[3].results[1].task_id)
  end)

  it("creates again a call whose create made no task", function()
    local sim = S.start_sim{ speed = 40, credits = 1 }
    local dir = S.newdir("refused")
    local script = [[
local ok, e = pcall(function()
  return vidu.text2video{ model = "viduq2", prompt = "too dear", duration = 1, resolution = "540p" }:wait()
end)
emit(fail_info(e))
]]
    local a = S.reel(sim, script, { dir = dir, name = "dear.lua" })
    local b = S.reel(sim, script, { dir = dir, name = "dear.lua" })
    local st = S.stats(sim)
    S.stop_sim(sim)
    assert.are.equal("CreditInsufficient", a.results[1].code, S.show(a))
    assert.are.equal("CreditInsufficient", b.results[1].code, S.show(b))
    assert.are.equal(2, S.requests(st, "POST /ent/v2/text2video"), "sent again: nothing was paid")
  end)
end)
