-- 1 000 text-to-video tasks submitted at once and joined with async.all (run by
-- tests/bench/tasks_1000.sh against a `reel sim` in another process). Each
-- prompt differs, so the server sees 1 000 distinct requests. Prints one line
-- the shell script reads: "tasks_1000: N clips, S s of video, W s".
local n = tonumber(arg[1]) or 1000
local started = async.now()
local tasks = {}
for i = 1, n do
  tasks[i] = vidu.text2video{ model = "viduq2", prompt = ("benchmark shot %d of %d"):format(i, n),
                              duration = 1, resolution = "540p", aspect_ratio = "16:9" }
end
local clips = async.all(tasks)
local seconds, ids = 0, {}
for i, clip in ipairs(clips) do
  assert(clip.path and clip.duration > 0, "task " .. i .. " has no clip")
  assert(not ids[clip.task_id], "two tasks share the id " .. tostring(clip.task_id))
  ids[clip.task_id] = true
  seconds = seconds + clip.duration
end
assert(#clips == n, ("%d clips for %d tasks"):format(#clips, n))
print(("tasks_1000: %d clips, %.1f s of video, %.2f s"):format(#clips, seconds, async.now() - started))
