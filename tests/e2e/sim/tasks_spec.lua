-- Tasks: state machine, result URLs, payload, determinism, cancel (§11.1, §11.2, §11.4), listing (§11.3) and /_sim/stats.
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
local KEY, sleep, sha256, tmpfile, PNG, start_sim = S.KEY, S.sleep, S.sha256, S.tmpfile, S.PNG, S.start_sim
local stop_sim, UNBUILT, http, download, assert_error, STATE_ORDER = S.stop_sim, S.UNBUILT, S.http, S.download, S.assert_error, S.STATE_ORDER
local wait_task, accepted, create, create_ok, run_ok, fetch_result = S.wait_task, S.accepted, S.create, S.create_ok, S.run_ok, S.fetch_result
local tasks_created, list_has, test, cleanup = S.tasks_created, S.list_has, S.test, S.cleanup

describe("reel sim conformance", function()
  -- Every simulator is stopped by its own block; this removes the
  -- downloads and captured requests.
  strict_teardown(function() cleanup() end)

  describe("reel sim (official dialect, --speed 50 --url-ttl 5)", function()
    local sim
    local finished = {}   -- tasks known finished: { id=, creation_id=, credits=, duration= }

    strict_setup(function()
      if UNBUILT then return end
      sim = start_sim("--speed 50 --key " .. KEY .. " --url-ttl 5 --quiet")
    end)
    strict_teardown(function() stop_sim(sim) end)

    describe("task lifecycle (§11.1, §11.2)", function()
      test("states advance created -> (queueing) -> processing -> success, never backwards", function()
        local c = create_ok(sim, "text2video", { model = "viduq2", prompt = "watch the states", duration = 3,
                                                 payload = "lifecycle" })
        assert.are.equal("created", c.state)
        local done, states = wait_task(sim, c.task_id)
        local seen = table.concat(states, ",")
        local rank = 1
        for _, s in ipairs(states) do
          assert.is_not_nil(STATE_ORDER[s], "unknown state " .. tostring(s) .. " in " .. seen)
          assert.is_true(STATE_ORDER[s] >= rank, "state went backwards: " .. seen)
          rank = STATE_ORDER[s]
        end
        assert.is_true(list_has(states, "processing"), "processing observed: " .. seen)
        assert.are.equal("success", states[#states], seen)
        -- The finished query (§11.2).
        assert.are.equal(c.task_id, done.id)
        assert.are.equal("", done.err_code or "")
        assert.are.equal(c.credits, done.credits)
        assert.are.equal("lifecycle", done.payload)
        local cr = done.creations[1]
        assert.is_string(cr.id); assert.are_not.equal("", cr.id)
        assert.matches("^https?://", cr.url); assert.matches("^https?://", cr.cover_url)
        finished[#finished + 1] = { id = c.task_id, creation_id = cr.id, credits = c.credits, duration = 3 }
      end)

      test("result and cover URLs stop working after --url-ttl (5 s)", function()
        local _, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "short-lived", duration = 1 })
        local cr = done.creations[1]
        local fresh = tmpfile("fresh.mp4")
        assert.are.equal(200, download(cr.url, fresh))
        assert.are.equal(200, download(cr.cover_url, tmpfile("fresh-cover")))
        sleep(6)
        local s1 = download(cr.url, tmpfile("stale.mp4"))
        local s2 = download(cr.cover_url, tmpfile("stale-cover"))
        assert.is_true(s1 >= 400 and s1 < 500, "expired url answers 4xx, got " .. tostring(s1))
        assert.is_true(s2 >= 400 and s2 < 500, "expired cover_url answers 4xx, got " .. tostring(s2))
      end)

      test("payload is echoed at creation and in the query, unchanged", function()
        local payload = 'opaque {"shot": 3} — ünïcödé & <tags>\n' .. string.rep("z", 1000)
        local c, done = run_ok(sim, "img2video", { model = "viduq2-pro", images = { PNG() }, duration = 1, payload = payload })
        assert.are.equal(payload, c.payload)
        assert.are.equal(payload, done.payload)
      end)

      test("the same request with the same seed gives a byte-identical file", function()
        local req = { model = "viduq2", prompt = "determinism", duration = 1, resolution = "540p", seed = 42 }
        local a, da = run_ok(sim, "text2video", req)
        local ra = fetch_result(da)
        local b, db = run_ok(sim, "text2video", req)
        local rb = fetch_result(db)
        assert.are.equal(42, a.seed); assert.are.equal(42, b.seed)
        assert.are_not.equal(a.task_id, b.task_id)
        assert.are.equal(sha256(ra.mp4), sha256(rb.mp4), "same seed, same bytes")
        assert.are.equal(sha256(ra.cover), sha256(rb.cover), "same seed, same cover")
      end)

      test("cancelling a finished task is 400 (§11.4) and leaves it a success", function()
        local _, done = run_ok(sim, "text2video", { model = "viduq2", prompt = "done already", duration = 1 })
        local status, body, raw = http(sim, "POST", "/ent/v2/tasks/" .. done.id .. "/cancel", { body = { id = done.id } })
        assert_error(status, body, raw, 400, nil, "cancel a finished task")
        assert.are.equal("success", (wait_task(sim, done.id)).state)
      end)
    end)

    describe("listing (§11.3)", function()
      test("GET /ent/v2/tasks lists tasks, filters by task_ids and states, and pages", function()
        local a = run_ok(sim, "text2video", { model = "viduq2", prompt = "list a", duration = 1 })
        local b = run_ok(sim, "text2video", { model = "viduq2", prompt = "list b", duration = 1 })
        local status, body, raw = http(sim, "GET", "/ent/v2/tasks")
        assert.are.equal(200, status, raw)
        assert.is_table(body.tasks, raw)
        local ids = {}
        for _, t in ipairs(body.tasks) do ids[#ids + 1] = t.id end
        assert.is_true(#body.tasks >= 1 and #body.tasks <= 10, "default page size 10")

        status, body, raw = http(sim, "GET", ("/ent/v2/tasks?task_ids=%s&task_ids=%s"):format(a.task_id, b.task_id))
        assert.are.equal(200, status, raw)
        ids = {}
        for _, t in ipairs(body.tasks) do
          ids[#ids + 1] = t.id
          assert.is_string(t.model); assert.is_string(t.prompt)
          assert.is_table(t.creations)
          assert.matches("^https?://", t.creations[1].url)
        end
        table.sort(ids)
        local want = { a.task_id, b.task_id }; table.sort(want)
        assert.are.same(want, ids)

        status, body, raw = http(sim, "GET", "/ent/v2/tasks?states=success&pager.pagesz=100")
        assert.are.equal(200, status, raw)
        assert.is_true(#body.tasks >= 2, raw)
        for _, t in ipairs(body.tasks) do assert.are.equal("success", t.state, "states=success filter") end

        status, body, raw = http(sim, "GET", "/ent/v2/tasks?pager.pagesz=1")
        assert.are.equal(200, status, raw)
        assert.are.equal(1, #body.tasks, raw)
        assert.is_string(body.next_page_token); assert.are_not.equal("", body.next_page_token)
        local first = body.tasks[1].id
        status, body, raw = http(sim, "GET", "/ent/v2/tasks?pager.pagesz=1&pager.page_token=" .. body.next_page_token)
        assert.are.equal(200, status, raw)
        assert.are.equal(1, #body.tasks, raw)
        assert.are_not.equal(first, body.tasks[1].id, "the next page holds another task")
      end)
    end)

    describe("/_sim/stats", function()
      test("counts every accepted create request as exactly one task (whole run)", function()
        -- Also one more round here: 2 accepted, 2 refused.
        local before = tasks_created(sim)
        create_ok(sim, "text2video", { model = "viduq2", prompt = "counted 1", duration = 1 })
        create(sim, "text2video", { model = "viduq2" })
        create(sim, "text2video", { model = "viduq2", prompt = "x" }, { key = "wrong" })
        create_ok(sim, "img2video", { model = "viduq2-pro", images = { PNG() }, duration = 1 })
        assert.are.equal(before + 2, tasks_created(sim))
        assert.are.equal(accepted[sim], tasks_created(sim), "tasks created == create requests accepted in this run")
      end)
    end)
  end)
end)
