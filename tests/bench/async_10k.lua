-- 10 000 tasks that each sleep 10 ms, joined with async.all (run by reel).
local n = tonumber(arg[1]) or 10000
local tasks = {}
for i = 1, n do
  tasks[i] = async.spawn(function() async.sleep(0.01) return i end)
end
local results = async.all(tasks)
assert(#results == n and results[n] == n, "every task must report")
