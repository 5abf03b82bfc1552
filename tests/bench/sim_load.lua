-- wrk script for tests/bench/sim_load.sh: polls GET /ent/v2/tasks/{id}/creations
-- round-robin over the task ids in SIM_TASK_IDS (comma-separated), with the
-- official dialect's auth header (Authorization: Token SIM_KEY). The same
-- script drives the static peer, which serves the same paths as files.
local ids = {}
for id in (os.getenv("SIM_TASK_IDS") or ""):gmatch("[^,]+") do ids[#ids + 1] = id end
assert(#ids > 0, "set SIM_TASK_IDS to a comma-separated list of task ids")
local headers = {
  ["Authorization"] = "Token " .. (os.getenv("SIM_KEY") or "bench-key"),
  ["Content-Type"] = "application/json",
}

local paths = {}
for i, id in ipairs(ids) do paths[i] = "/ent/v2/tasks/" .. id .. "/creations" end

local n = 0
function request()
  n = n + 1
  return wrk.format("GET", paths[n % #paths + 1], headers)
end
