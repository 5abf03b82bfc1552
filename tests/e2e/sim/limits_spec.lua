-- Concurrency and queueing (§11.1, §11.4, §11.6) and credits (§11.5, §13 CreditInsufficient).
--
-- Part of the conformance suite of `reel sim` in this folder; support.lua
-- holds the shared helpers and says how the suite is written and run.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end

S.bind{ assert = assert, it = it, pending = pending }
local KEY, sleep, trim, PNG, JPG, start_sim = S.KEY, S.sleep, S.trim, S.PNG, S.JPG, S.start_sim
local stop_sim, UNBUILT, http, assert_error, create, create_ok = S.stop_sim, S.UNBUILT, S.http, S.assert_error, S.create, S.create_ok
local run_ok, tasks_created, test, cleanup = S.run_ok, S.tasks_created, S.test, S.cleanup

describe("reel sim conformance", function()
  -- Every simulator is stopped by its own block; this removes the
  -- downloads and captured requests.
  strict_teardown(function() cleanup() end)

  describe("reel sim --concurrency 2 (§11.1, §11.4, §11.6)", function()
    local sim
    strict_setup(function()
      if UNBUILT then return end
      -- Speed 1: task 1 runs 4 s, the window in which the first look must
      -- see two running and three queued. At speed 10 it was 0.4 s, and a
      -- loaded CI machine took longer than that to create the five.
      sim = start_sim("--concurrency 2 --speed 1 --key " .. KEY .. " --quiet")
    end)
    strict_teardown(function() stop_sim(sim) end)

    test("tasks past the limit queue, start in submission order, cancel only while queued", function()
      -- 5 tasks with a limit of 2; task 2 runs longest, so task 3 takes task
      -- 1's slot while 4 still waits (if the clock scales with duration).
      local durations = { 2, 6, 2, 2, 2 }
      local ids = {}
      for i, d in ipairs(durations) do
        local c = create_ok(sim, "text2video", { model = "viduq2", prompt = "queue " .. i, duration = d, resolution = "540p" })
        ids[i] = c.task_id
      end
      local function state(id)
        local status, body, raw = http(sim, "GET", "/ent/v2/tasks/" .. id .. "/creations")
        assert.are.equal(200, status, raw)
        return body.state, body
      end
      -- All five states from one list request: the server answers it from one
      -- snapshot. Reading them one query at a time races with a task that
      -- finishes (and lets the next one start) between two of the queries.
      local function poll(s)
        local filter = {}
        for _, id in ipairs(ids) do filter[#filter + 1] = "task_ids=" .. id end
        local status, body, raw = http(sim, "GET",
          "/ent/v2/tasks?" .. table.concat(filter, "&") .. "&pager.pagesz=100")
        assert.are.equal(200, status, raw)
        local by_id = {}
        for _, t in ipairs(body.tasks) do by_id[t.id] = t.state end
        for i = 1, #ids do s[i] = by_id[ids[i]] end
        return s
      end
      -- Wait until the first two run and the other three have left their
      -- short "created" phase (under load the last may not have yet).
      local deadline, s = os.time() + 60, {}
      repeat
        poll(s)
        if s[1] == "processing" and s[2] == "processing" and s[3] ~= "created"
          and s[4] ~= "created" and s[5] ~= "created" then break end
        sleep(0.05)
      until os.time() > deadline
      assert.are.same({ "processing", "processing", "queueing", "queueing", "queueing" }, s)

      -- §11.5: the credits call reports the limit and the load.
      local status, cred, raw = http(sim, "GET", "/ent/v2/credits")
      assert.are.equal(200, status, raw)
      local remains = cred.remains or cred.remaining_credits
      assert.is_table(remains, raw)
      local limit, current, queued
      for _, r in ipairs(remains) do
        if r.concurrency_limit then limit = (limit or 0) + r.concurrency_limit end
        if r.current_concurrency then current = (current or 0) + r.current_concurrency end
        if r.queue_count then queued = (queued or 0) + r.queue_count end
      end
      assert.are.equal(2, limit, raw); assert.are.equal(2, current, raw); assert.are.equal(3, queued, raw)

      -- Cancel the last queued task: {} and failed/UserCancelled with 0 credits,
      -- the task's credits back in the balance.
      local function balance()
        local st2, b, r2 = http(sim, "GET", "/ent/v2/credits")
        assert.are.equal(200, st2, r2)
        local total = 0
        for _, r in ipairs(b.remains or b.remaining_credits) do total = total + r.credit_remain end
        return total
      end
      local _, q5 = state(ids[5])
      local charged, before = q5.credits, balance()
      assert.is_true(charged > 0, "a queued task shows its credits")
      local body
      status, body, raw = http(sim, "POST", "/ent/v2/tasks/" .. ids[5] .. "/cancel", { body = { id = ids[5] } })
      assert.are.equal(200, status, raw)
      assert.are.equal("{}", trim(raw))
      local st, q = state(ids[5])
      assert.are.equal("failed", st)
      assert.are.equal("UserCancelled", q.err_code)
      assert.are.equal(0, q.credits)
      assert.are.equal(before + charged, balance(), "cancelled task refunded")

      -- Cancelling a running task is 400, and it keeps running: task 2, the
      -- longest. It may have finished by the time it is looked at again (a
      -- loaded machine), but it is never cancelled.
      status, body, raw = http(sim, "POST", "/ent/v2/tasks/" .. ids[2] .. "/cancel", { body = { id = ids[2] } })
      assert_error(status, body, raw, 400, nil, "cancel a processing task")
      local after_cancel = state(ids[2])
      assert.is_true(after_cancel == "processing" or after_cancel == "success",
        "task 2 after a refused cancel: " .. tostring(after_cancel))

      -- Until all finish: never more than 2 running, no task runs while an
      -- earlier one still queues, the cancelled one never runs.
      local ran = function(x) return x == "processing" or x == "success" end
      deadline = os.time() + 180
      while os.time() < deadline do
        poll(s)
        local seen = table.concat(s, ",")
        local running = 0
        for i = 1, 4 do if s[i] == "processing" then running = running + 1 end end
        assert.is_true(running <= 2, "at most 2 processing: " .. seen)
        assert.are.equal("failed", s[5], "cancelled stays failed")
        for i = 1, 4 do
          for j = i + 1, 4 do
            assert.is_false(ran(s[j]) and s[i] == "queueing", "submission order: " .. seen)
          end
        end
        if s[1] == "success" and s[2] == "success" and s[3] == "success" and s[4] == "success" then break end
        sleep(0.05)
      end
      assert.are.same({ "success", "success", "success", "success", "failed" }, s)
    end)
  end)

  describe("reel sim credits (§11.5, §13 CreditInsufficient)", function()
    local rich, poor
    strict_setup(function()
      if UNBUILT then return end
      rich = start_sim("--speed 50 --credits 100000 --key " .. KEY .. " --quiet")
      poor = start_sim("--speed 50 --credits 1 --key " .. KEY .. " --quiet")
    end)
    strict_teardown(function() stop_sim(rich); stop_sim(poor) end)

    local function balance(sim)
      local status, body, raw = http(sim, "GET", "/ent/v2/credits")
      assert.are.equal(200, status, raw)
      local remains = body.remains or body.remaining_credits
      assert.is_table(remains, raw)
      local total = 0
      for _, r in ipairs(remains) do
        assert.is_string(r.type, raw)
        total = total + r.credit_remain
      end
      return total, body
    end

    test("GET /ent/v2/credits starts at --credits and goes down by each task's credits", function()
      assert.are.equal(100000, (balance(rich)))
      local a = run_ok(rich, "text2video", { model = "viduq2", prompt = "spend a", duration = 1 })
      assert.are.equal(100000 - a.credits, (balance(rich)))
      local b = run_ok(rich, "start-end2video", { model = "viduq2-pro", images = { PNG(), JPG() }, duration = 2 })
      assert.are.equal(100000 - a.credits - b.credits, (balance(rich)))
      assert.is_true(b.credits > 0)
      local status, detail, raw = http(rich, "GET", "/ent/v2/credits?show_detail=true")
      assert.are.equal(200, status, raw)
      assert.is_table(detail.packages, "show_detail=true lists packages: " .. raw)
    end)

    test("with --credits 1 a create is 400 CreditInsufficient and no task exists", function()
      local status, body, raw = create(poor, "text2video", { model = "viduq2", prompt = "too expensive" })
      assert_error(status, body, raw, 400, "CreditInsufficient", "credits 1")
      assert.are.equal(0, tasks_created(poor))
      assert.are.equal(1, (balance(poor)), "nothing charged")
    end)
  end)
end)
