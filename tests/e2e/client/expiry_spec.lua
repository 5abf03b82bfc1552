-- Result URLs that have expired by the time the client downloads them (the
-- simulator's expire fault, host/sim/faults.hpp): the client asks the task
-- again for fresh URLs (a few times) and still brings the clip home; when
-- every answer is stale it gives up with DownloadFailed and leaves no file.
--
-- The expire rolls have their own sequence, taken only by answers that hold
-- URLs, so for a given seed the pattern is fixed whatever the polling did:
--   expire=0.5,seed=1  first answer stale, the next fresh   (one refresh)
--   expire=0.5,seed=11 stale, stale, stale, fresh           (three refreshes)
--   expire=1           always stale
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
package.path = here .. "?.lua;" .. package.path
local S = require "support"

if not S.configured then
  S.skip(describe, pending)
  return
end
S.bind{ assert = assert }

local QUERY = "GET /ent/v2/tasks/{id}/creations"

-- Creates a task with curl and waits until it has finished, watching the
-- simulator's own counts (GET /_sim/stats), not the task query whose
-- answers the tests count; returns its id. A fixed sleep was not enough on
-- a loaded machine: the attach then found the task still rendering and
-- asked once more.
local function finished_task(sim)
  local code, out = S.sh(("curl -s --max-time 10 -H %s -H 'Content-Type: application/json' --data %s %s"):format(
    S.q("Authorization: Token " .. sim.key),
    S.q('{"model":"viduq2","prompt":"a quiet harbour","duration":1,"resolution":"540p","aspect_ratio":"16:9"}'),
    S.q(sim.base .. "/ent/v2/text2video")))
  assert.are.equal(0, code)
  local body = S.json.decode(out)
  assert.is_table(body, out)
  assert.is_string(body.task_id, out)
  local deadline = os.time() + 60
  repeat
    local by_state = S.stats(sim).tasks_by_state or {}
    if (by_state.success or 0) + (by_state.failed or 0) >= 1 then return body.task_id end
    S.sleep(0.1)
  until os.time() > deadline
  error("task " .. body.task_id .. " did not finish within 60 s")
end

local ATTACH = [[
local t = vidu.task(%q)
local ok, c = pcall(t.wait, t)
if ok then emit{ clip = clip_info(c) } else emit{ error = fail_info(c) } end
]]

describe("reel run against reel sim: expired result URLs", function()
  strict_teardown(function() S.cleanup() end)

  describe("--faults expire=0.5,seed=1", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40, faults = "expire=0.5,seed=1" } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("the client re-queries once for a fresh URL and downloads the clip", function()
      local id = finished_task(sim)
      local r = S.reel(sim, ATTACH:format(id))
      assert.are.equal(0, r.code, S.show(r))
      local v = r.results[1]
      assert.is_table(v and v.clip, S.show(r))
      S.assert_clip(v.clip, { name = "task_" .. id, out_dir = r.out_dir, duration = 1, size = { 960, 528 } })
      S.assert_no_part(r.out_dir)
      local st = S.stats(sim)
      -- The attach's first look (stale URL) and the refresh (fresh URL).
      assert.are.equal(2, S.requests(st, QUERY, 200), S.json.encode(st.requests))
      assert.are.equal(1, S.requests(st, "GET /files", 403), "one stale URL tried")
      assert.are.equal(1, S.requests(st, "GET /files", 200), "one good download")
    end)
  end)

  describe("--faults expire=0.5,seed=11", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40, faults = "expire=0.5,seed=11" } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("a submitted task refreshes three times and still gets its clip", function()
      local r = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "stale links", duration = 1,
                           resolution = "540p", aspect_ratio = "16:9", name = "stale" }
emit{ clip = clip_info(t:wait()) }
]])
      assert.are.equal(0, r.code, S.show(r))
      S.assert_clip(r.results[1].clip, { name = "stale", out_dir = r.out_dir, duration = 1, size = { 960, 528 } })
      S.assert_no_part(r.out_dir)
      local st = S.stats(sim)
      assert.are.equal(3, S.requests(st, "GET /files", 403), S.json.encode(st.requests))
      assert.are.equal(1, S.requests(st, "GET /files", 200))
      -- Polls until success, then three refreshes: at least four looks.
      assert.is_true(S.requests(st, QUERY, 200) >= 4, S.json.encode(st.requests))
    end)
  end)

  describe("--faults expire=1", function()
    local sim
    strict_setup(function() sim = S.start_sim{ speed = 40, faults = "expire=1" } end)
    strict_teardown(function() S.stop_sim(sim) end)

    it("gives up after a few refreshes with DownloadFailed, keeping no file", function()
      local id = finished_task(sim)
      local r = S.reel(sim, ATTACH:format(id))
      assert.are.equal(0, r.code, S.show(r))
      local e = r.results[1] and r.results[1].error
      assert.is_table(e, S.show(r))
      assert.are.equal("DownloadFailed", e.code)
      assert.are.equal(id, e.task_id)
      assert.are.equal(403, e.http_status)
      assert.truthy(e.message:find(id, 1, true), e.message)
      assert.are.same({}, S.ls(r.out_dir), "no file, no .part")
      local st = S.stats(sim)
      local stale = S.requests(st, "GET /files", 403)
      assert.are.equal(stale, S.requests(st, QUERY, 200), "one look per URL tried")
      assert.is_true(stale >= 2 and stale <= 6, "a few refreshes, not endless: " .. stale)
      assert.are.equal(0, S.requests(st, "GET /files", 200))
    end)

    it("in Vtrix too, the refresh goes through the Vtrix task query", function()
      local r = S.reel(sim, [[
local t = vidu.text2video{ model = "viduq2", prompt = "stale links", duration = 1,
                           resolution = "540p", aspect_ratio = "16:9" }
local ok, err = pcall(t.wait, t)
emit{ ok = ok, error = not ok and fail_info(err) or nil }
]], { dialect = "vtrix" })
      assert.are.equal(0, r.code, S.show(r))
      assert.are.equal("DownloadFailed", r.results[1].error.code, S.show(r))
      assert.are.same({}, S.ls(r.out_dir))
      local st = S.stats(sim)
      assert.is_true(S.requests(st, "GET /model/v1/generation/task/{id}", 200) >= 4, S.json.encode(st.requests))
    end)
  end)
end)
