-- The peer for async_10k.lua under plain lua5.4: the same number of
-- coroutines, each suspended once and resumed by a round-robin loop. No timers,
-- so it is the floor for memory and scheduling cost.
local n = tonumber(arg[1]) or 10000
local cos = {}
for i = 1, n do
  cos[i] = coroutine.create(function() coroutine.yield() return i end)
  coroutine.resume(cos[i])
end
local results = {}
for i = 1, n do
  local _, v = coroutine.resume(cos[i])
  results[i] = v
end
assert(#results == n and results[n] == n)
