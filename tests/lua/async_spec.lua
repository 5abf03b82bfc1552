-- Runs inside the built reel (busted --lua=reel): the async and json globals
-- are reel's own, the test runner is Debian's busted.
describe("async inside reel", function()
  it("is a global and the same table require returns", function()
    assert.is_table(async)
    assert.are.equal(async, require("async"))
    assert.are.equal(json, require("json"))
  end)

  it("lets a spec wait without blocking other tasks", function()
    local log = {}
    local slow = async.spawn(function() async.sleep(0.03); log[#log + 1] = "slow" end)
    local fast = async.spawn(function() async.sleep(0.01); log[#log + 1] = "fast" end)
    async.all{ slow, fast }
    assert.are.same({ "fast", "slow" }, log)
  end)

  it("returns results in the order of the list, not of completion", function()
    local r = async.all{
      function() async.sleep(0.02) return "a" end,
      function() return "b" end,
    }
    assert.are.same({ "a", "b" }, r)
  end)

  it("carries an error object through wait unchanged", function()
    local h = async.spawn(function() error({ code = "FieldInvalid" }) end)
    local ok, err = pcall(h.wait, h)
    assert.is_false(ok)
    assert.are.equal("FieldInvalid", err.code)
  end)

  it("round-trips a task-like record through json", function()
    local results = async.all{
      function() async.sleep(0.001) return json.encode({ id = 7, state = "success" }) end,
    }
    local record = json.decode(results[1])
    assert.are.equal(7, record.id)
    assert.are.equal(math.type(record.id), "integer")
    assert.are.equal("success", record.state)
  end)

  it("keeps coroutines created by the spec working", function()
    local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
    assert.are.equal(2, co(1))
    assert.are.equal(10, co(5))
  end)
end)

describe("async.now", function()
  it("is a monotonic clock in seconds that sleeps advance", function()
    local t0 = async.now()
    async.sleep(0.05)
    local waited = async.now() - t0
    assert.is_true(waited >= 0.049, tostring(waited))
    assert.is_true(waited < 1, tostring(waited))
  end)
end)
