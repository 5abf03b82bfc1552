-- Tasks across runs and the account: vidu.task(ID) picks up a task an
-- earlier run submitted and downloads it; vidu.credits() reads the balance
-- (official dialect; Vtrix has no such call).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

describe("reel run against reel sim: tasks and credits", function()
  strict_teardown(function() S.cleanup() end)

  local sim
  strict_setup(function() sim = S.start_sim{ speed = 40, credits = 4321 } end)
  strict_teardown(function() S.stop_sim(sim) end)

  it("vidu.credits() returns the balance the simulator started with", function()
    local r = S.reel(sim, [[
local total, entries = vidu.credits()
emit{ total = total, entries = entries }
]])
    assert.are.equal(0, r.code, S.show(r))
    local v = r.results[1]
    assert.are.equal(4321, v.total, S.show(r))
    assert.is_table(v.entries[1])
    assert.are.equal(4321, v.entries[1].credit_remain)
    assert.is_number(v.entries[1].concurrency_limit)
    assert.are.equal(1, S.requests(S.stats(sim), "GET /ent/v2/credits", 200))
  end)

  it("vidu.task(ID) attaches to a task an earlier run left running and downloads it", function()
    local dir = S.newdir("attach")
    local first = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "left behind", duration = 2,
                           resolution = "540p", aspect_ratio = "16:9", name = "left" }
while not t.id do async.sleep(0.01) end
emit{ id = t.id, credits = t.credits }
]], { dir = dir, out = dir .. "/out1" })
    assert.are.equal(0, first.code, S.show(first))
    local id = first.results[1] and first.results[1].id
    assert.is_string(id, S.show(first))
    assert.truthy(first.err:find(id, 1, true), "the run says which task is still running: " .. first.err)
    assert.are.same({}, S.ls(first.out_dir), "the first run downloaded nothing")

    local second = S.reel(sim, ([[
local t = vidu.task(%q)
local c = t:wait()
emit{ clip = clip_info(c), id = t.id, state = t.state, name = t.name }
local total = vidu.credits()
emit{ total = total }
]]):format(id), { dir = dir, out = dir .. "/out2" })
    assert.are.equal(0, second.code, S.show(second))
    local v = second.results[1]
    assert.are.equal(id, v.id)
    assert.are.equal("success", v.state)
    assert.are.equal(id, v.clip.task_id)
    -- The journal (in the shared folder) knows the task: it keeps its shot name.
    assert.are.equal("left", v.name)
    S.assert_clip(v.clip, { name = "left", out_dir = second.out_dir, duration = 2, size = { 960, 528 } })
    S.assert_no_part(second.out_dir)
    -- The balance went down by what the task cost.
    assert.are.equal(4321 - first.results[1].credits, second.results[2].total)
    local st = S.stats(sim)
    assert.are.equal(1, S.tasks_created(st), "attaching creates nothing")
    assert.are.equal(1, S.requests(st, "POST /ent/v2/text2video"))
    assert.are.equal(1, S.requests(st, "GET /files", 200), "downloaded once, by the second run")
  end)

  it("async.all{t1, t2} waits on tasks and gives their clips in order", function()
    local r = S.reel(sim, [[
local t1 = vidu.text2video{ model = "viduq2", prompt = "one", duration = 2, resolution = "540p",
                            aspect_ratio = "16:9", name = "one" }
local t2 = vidu.text2video{ model = "viduq2", prompt = "two", duration = 1, resolution = "540p",
                            aspect_ratio = "16:9", name = "two" }
local clips = async.all{ t1, t2 }
emit{ n = #clips, a = clip_info(clips[1]), b = clip_info(clips[2]), same = (clips[1] == t1.clip) }
]])
    assert.are.equal(0, r.code, S.show(r))
    local v = r.results[1]
    assert.are.equal(2, v.n, S.show(r))
    assert.is_true(v.same)
    S.assert_clip(v.a, { name = "one", out_dir = r.out_dir, duration = 2 })
    S.assert_clip(v.b, { name = "two", out_dir = r.out_dir, duration = 1 })
  end)

  it("in Vtrix, vidu.credits() raises Unsupported without a request", function()
    local before = S.api_requests(S.stats(sim))
    local r = S.reel(sim, [[
local ok, err = pcall(vidu.credits)
emit{ ok = ok, error = not ok and fail_info(err) or nil }
]], { dialect = "vtrix" })
    assert.are.equal(0, r.code, S.show(r))
    assert.is_false(r.results[1].ok)
    assert.are.equal("Unsupported", r.results[1].error.code)
    assert.are.equal(before, S.api_requests(S.stats(sim)))
  end)
end)
