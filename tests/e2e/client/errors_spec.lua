-- How the client fails, seen from a script and from the shell: local
-- validation (before any request), failed tasks (TaskFailed, exit status 3),
-- empty and undecodable "successes" (ResultEmpty, ResultUndecodable, no file
-- left), wait timeouts (Timeout, the task goes on), and cancel (Cancelled,
-- NotCancellable, and Unsupported in Vtrix).
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

local lit, media = S.lit, S.media

local TEXT = [[{ model = "viduq2", prompt = "a kite over the sea", duration = 1, resolution = "540p", aspect_ratio = "16:9" }]]

describe("reel run against reel sim: failures", function()
  strict_teardown(function() S.cleanup() end)

  describe("local validation", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("a bad field raises a vidu.Error naming field, value and rule; nothing is sent", function()
      local r = S.reel(sim, ([==[
local cases = {
  { "text2video", { model = "viduq2", prompt = "x", duration = 99, resolution = "540p" } },
  { "text2video", { model = "viduq2", prompt = "x", duration = 1, resolution = "4k" } },
  { "text2video", { model = "no-such-model", prompt = "x", duration = 1 } },
  { "img2video", { model = "viduq2-pro", image = %s, duration = 1 } },
  { "img2video", { model = "viduq2-pro", image = %s, duration = 1 } },
  { "extend", { model = "viduq2-pro", video = %s, duration = 1 } },
  { "text2video", { model = "viduq2-pro-fast", prompt = "x", duration = 1, resolution = "540p" } },
}
for i, c in ipairs(cases) do
  local ok, err = pcall(vidu[c[1]], c[2])
  emit{ i = i, ok = ok, error = not ok and fail_info(err) or nil }
end
-- Uncaught, it ends the script with exit status 1 and the message.
vidu.text2video{ model = "viduq2", prompt = "x", duration = 42, resolution = "540p" }
]==]):format(lit((media("image.png"):gsub("image%.png$", "missing.png"))),
           lit(media("garbage.mp4")), lit(media("src_3.5s.mp4"))))
      assert.are.equal(1, r.code, S.show(r))
      assert.truthy(r.err:find("duration 42", 1, true), "the uncaught message is printed: " .. r.err)
      local want = {
        { field = "duration", has = { "99", "1–10" } },
        { field = "resolution", has = { "4k", "540p" } },
        { field = "model", has = { "no-such-model" } },
        { field = "image", has = { "missing.png" } },
        { field = "image", has = { "garbage.mp4" } },
        { field = "video", has = { "3.5", "4" } },
        { field = "model", has = { "viduq2-pro-fast", "vtrix" } },  -- sold by Vtrix only
      }
      assert.are.equal(#want, #r.results, S.show(r))
      for i, w in ipairs(want) do
        local v = r.results[i]
        local ctx = "case " .. i .. ": " .. S.json.encode(v)
        assert.is_false(v.ok, ctx)
        assert.is_true(v.error.is_vidu, ctx)
        assert.is_string(v.error.code, ctx)
        assert.are_not.equal("", v.error.code, ctx)
        assert.truthy((v.error.field or ""):find(w.field, 1, true), ctx .. " field")
        for _, text in ipairs(w.has) do
          assert.truthy(v.error.message:find(text, 1, true), ctx .. " message names " .. text)
        end
        assert.is_nil(v.error.task_id, ctx .. " no task")
      end
      local st = S.stats(sim)
      assert.are.equal(0, S.api_requests(st), "zero requests: " .. S.json.encode(st.requests))
      assert.are.equal(0, S.tasks_created(st))
    end)
  end)

  describe("failed tasks (--faults fail=1)", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40, faults = "fail=1" } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("t:wait raises TaskFailed with task_id and err_code; t.state and t.error say so", function()
      local r = S.reel(sim, ([[
local t = vidu.text2video(%s)
local ok, err = pcall(t.wait, t)
emit{ ok = ok, error = fail_info(err), id = t.id, state = t.state,
      t_error = t.error and fail_info(t.error) }
]]):format(TEXT))
      assert.are.equal(0, r.code, S.show(r))
      local v = r.results[1]
      assert.is_table(v, S.show(r))
      assert.is_false(v.ok)
      assert.are.equal("TaskFailed", v.error.code)
      assert.are.equal(v.id, v.error.task_id)
      assert.truthy(({ InternalServiceFailure = true, CreationPolicyViolation = true,
                       ModelUnavailable = true })[v.error.err_code], "err_code " .. tostring(v.error.err_code))
      assert.truthy(v.error.message:find(v.id, 1, true), v.error.message)
      assert.truthy(v.error.message:find(v.error.err_code, 1, true), v.error.message)
      assert.are.equal("failed", v.state)
      assert.are.equal("TaskFailed", v.t_error.code)
      assert.are.same({}, S.ls(r.out_dir), "nothing downloaded")
    end)

    it("uncaught, the script exits with status 3 and says which task failed", function()
      local r = S.reel(sim, ("local t = vidu.text2video(%s)\nt:wait()\nprint('not reached')\n"):format(TEXT))
      assert.are.equal(3, r.code, S.show(r))
      assert.is_nil(r.out:find("not reached", 1, true))
      assert.truthy(r.err:find("failed remotely", 1, true), r.err)
    end)
  end)

  for _, case in ipairs{ { fault = "empty=1", code = "ResultEmpty" },
                         { fault = "corrupt=1", code = "ResultUndecodable" } } do
    describe("successes that are not videos (--faults " .. case.fault .. ")", function()
      local sim
      strict_setup(function() sim = S.start_sim{ speed = 40, faults = case.fault } end)
      strict_teardown(function() S.stop_sim(sim) end)

      it("raise " .. case.code .. ", leave no file, and exit 3 uncaught", function()
        local r = S.reel(sim, ([[
local t = vidu.text2video(%s)
local ok, err = pcall(t.wait, t)
emit{ ok = ok, error = fail_info(err), id = t.id }
]]):format(TEXT))
        assert.are.equal(0, r.code, S.show(r))
        local v = r.results[1]
        assert.is_false(v.ok, S.show(r))
        assert.are.equal(case.code, v.error.code, S.json.encode(v))
        assert.are.equal(v.id, v.error.task_id)
        assert.truthy(v.error.message:find("no file", 1, true), v.error.message)
        assert.are.same({}, S.ls(r.out_dir), "no file left in --out")
        assert.are.equal(1, S.requests(S.stats(sim), "GET /files", 200), "it was downloaded")

        local r2 = S.reel(sim, ("vidu.text2video(%s):wait()\n"):format(TEXT))
        assert.are.equal(3, r2.code, S.show(r2))
        assert.are.same({}, S.ls(r2.out_dir))
      end)
    end)
  end

  describe("downloads cut short every time (--faults truncate=1)", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40, faults = "truncate=1" } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("resume, then give up with DownloadFailed, leaving nothing (not even a .part)", function()
      local r = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "cut", duration = 1, resolution = "540p",
                           aspect_ratio = "16:9", name = "../up/.hidden shot" }
local ok, err = pcall(t.wait, t)
emit{ ok = ok, error = not ok and fail_info(err) or nil, id = t.id }
]])
      assert.are.equal(0, r.code, S.show(r))
      local v = r.results[1]
      assert.is_false(v.ok, S.show(r))
      assert.are.equal("DownloadFailed", v.error.code)
      assert.are.equal(v.id, v.error.task_id)
      assert.is_true(v.error.retryable)
      assert.truthy(v.error.message:find("vidu.task", 1, true), "says how to fetch it later: " .. v.error.message)
      assert.are.same({}, S.ls(r.out_dir))
      assert.is_false(S.exists(r.dir .. "/up"), "the shot's name never leaves --out")
      local st = S.stats(sim)
      assert.is_true(S.requests(st, "GET /files", 206) >= 1, "cut downloads were resumed: " .. S.json.encode(st.requests))
    end)
  end)

  describe("wait timeouts (a slow simulator)", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 2 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("t:wait{timeout=0.5} raises Timeout with the task id; a second wait still gets the clip", function()
      local r = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "slow", duration = 2, resolution = "540p",
                           aspect_ratio = "16:9", name = "slow" }
local ok, err = pcall(t.wait, t, { timeout = 0.5 })
emit{ step = "first", ok = ok, error = not ok and fail_info(err) or nil, id = t.id, state = t.state }
local c = t:wait()
emit{ step = "second", clip = clip_info(c), state = t.state }
]], { time_scale = 8 })
      assert.are.equal(0, r.code, S.show(r))
      local first, second = r.results[1], r.results[2]
      assert.is_false(first.ok, S.show(r))
      assert.are.equal("Timeout", first.error.code)
      assert.is_string(first.error.task_id)
      assert.are.equal(first.id, first.error.task_id)
      assert.is_true(first.error.retryable)
      assert.are.equal("processing", first.state)
      assert.is_table(second, S.show(r))
      assert.are.equal("success", second.state)
      S.assert_clip(second.clip, { name = "slow", out_dir = r.out_dir, duration = 2, size = { 960, 528 } })
      assert.are.equal(1, S.tasks_created(S.stats(sim)), "one task, waited on twice")
    end)
  end)

  -- A task that ended remotely between two polls: the API refuses the cancel
  -- with a 400 ("task state is success, can not cancel"), which must read as
  -- NotCancellable, not as a bad request.
  describe("cancel after the task ended remotely, before the client looked", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("raises NotCancellable, and the clip still comes", function()
      -- The simulator finishes a 1 s clip in well under a second; the client,
      -- told the server's clock runs at 0.7 times real time, first looks
      -- after about 2.9 s.
      local r = S.reel(sim, ([[
local t = vidu.text2video(%s)
while not t.id do async.sleep(0.01) end
async.sleep(1.2)
local seen = t.state
local ok, err = pcall(t.cancel, t)
emit{ ok = ok, error = not ok and fail_info(err) or nil, seen = seen }
emit{ clip = clip_info(t:wait()) }
]]):format(TEXT), { time_scale = 0.7 })
      assert.are.equal(0, r.code, S.show(r))
      local v = r.results[1]
      assert.is_false(v.ok, S.show(r))
      assert.are.equal("created", v.seen, "the client had not looked yet")
      assert.are.equal(1, S.requests(S.stats(sim), "POST /ent/v2/tasks/{id}/cancel", 400), "the API refused")
      S.assert_clip(r.results[2].clip, { duration = 1, size = { 960, 528 } })
      assert.are.equal("NotCancellable", v.error.code,
        "KNOWN CLIENT BUG: a remotely finished task's cancel raises the API's refusal: " .. S.json.encode(v.error))
    end)
  end)

  describe("cancel (--concurrency 1)", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 4, concurrency = 1 } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("cancelling the queued task makes its wait raise Cancelled; a finished one is NotCancellable", function()
      local r = S.reel(sim, [[
local first = vidu.text2video{ model = "viduq2", prompt = "runs", duration = 2, resolution = "540p",
                               aspect_ratio = "16:9", name = "first" }
local second = vidu.text2video{ model = "viduq2", prompt = "queued", duration = 2, resolution = "540p",
                                aspect_ratio = "16:9", name = "second" }
while not (first.id and second.id) do async.sleep(0.02) end
local ok, res = pcall(second.cancel, second)
emit{ step = "cancel", ok = ok, result = ok and res or nil, error = not ok and fail_info(res) or nil }
local ok2, err = pcall(second.wait, second)
emit{ step = "wait", ok = ok2, error = not ok2 and fail_info(err) or nil, state = second.state, id = second.id }
local c = first:wait()
emit{ step = "first", clip = clip_info(c) }
local ok3, err3 = pcall(first.cancel, first)
emit{ step = "late", ok = ok3, error = not ok3 and fail_info(err3) or nil }
]], { time_scale = 20 })
      assert.are.equal(0, r.code, S.show(r))
      local cancel, wait, first, late = table.unpack(r.results)
      assert.is_true(cancel.ok, S.show(r))
      assert.is_true(cancel.result)
      assert.is_false(wait.ok, S.show(r))
      assert.are.equal("Cancelled", wait.error.code, S.json.encode(wait))
      assert.are.equal(wait.id, wait.error.task_id)
      assert.are.equal("failed", wait.state)
      S.assert_clip(first.clip, { name = "first", out_dir = r.out_dir, duration = 2, size = { 960, 528 } })
      assert.is_false(late.ok)
      assert.are.equal("NotCancellable", late.error.code)
      assert.are.equal(1, S.count_mp4(r.out_dir), "only the first clip")
      local st = S.stats(sim)
      assert.are.equal(1, S.requests(st, "POST /ent/v2/tasks/{id}/cancel", 200), S.json.encode(st.requests))
      assert.are.equal(0, S.requests(st, "POST /ent/v2/tasks/{id}/cancel") - 1, "one cancel sent")
    end)

    it("cancelling a task before it exists remotely cancels it once it does", function()
      local r = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "never mind", duration = 1, resolution = "540p",
                           aspect_ratio = "16:9", name = "early" }
local ok, res = pcall(t.cancel, t)
emit{ ok = ok, error = not ok and fail_info(res) or nil }
local ok2, err = pcall(t.wait, t)
emit{ ok = ok2, error = not ok2 and fail_info(err) or nil, id = t.id }
]], { time_scale = 20 })
      assert.are.equal(0, r.code, S.show(r))
      assert.is_true(r.results[1].ok, S.show(r))
      assert.are.equal("Cancelled", r.results[2].error.code, S.show(r))
      assert.are.equal(r.results[2].id, r.results[2].error.task_id)
    end)

    it("in Vtrix, cancel raises Unsupported and sends nothing", function()
      local before = S.api_requests(S.stats(sim))
      local r = S.reel(sim, ([[
local t = vidu.text2video(%s)
while not t.id do async.sleep(0.02) end
local ok, err = pcall(t.cancel, t)
emit{ ok = ok, error = not ok and fail_info(err) or nil }
local c = t:wait()
emit{ clip = clip_info(c) }
]]):format(TEXT), { dialect = "vtrix", time_scale = 20 })
      assert.are.equal(0, r.code, S.show(r))
      assert.is_false(r.results[1].ok, S.show(r))
      assert.are.equal("Unsupported", r.results[1].error.code)
      assert.truthy(r.results[1].error.message:find("Vtrix", 1, true), r.results[1].error.message)
      S.assert_clip(r.results[2].clip, { duration = 1, size = { 960, 528 } })
      local st = S.stats(sim)
      assert.are.equal(2, S.requests(st, "POST /ent/v2/tasks/{id}/cancel"), "no new cancel call")
      assert.is_true(S.api_requests(st) > before)
    end)
  end)
end)
