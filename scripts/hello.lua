-- hello.lua: what reel's runtime gives a script today, before the Vidu client
-- lands. Three "shots" wait at once (as remote tasks will), the script reads
-- sequentially, and the plan is written as JSON.
--
--   reel scripts/hello.lua [title]
local title = arg[1] or "Lighthouse"

local shots = {
  { id = "open", prompt = "a lighthouse at dawn", seconds = 0.3 },
  { id = "push", prompt = "the camera pushes in", seconds = 0.2 },
  { id = "keeper", prompt = "the keeper climbs the stairs", seconds = 0.1 },
}

-- Each shot waits on its own; none blocks the others.
local started = async.now()
local results = async.all((function()
  local jobs = {}
  for i, shot in ipairs(shots) do
    jobs[i] = function()
      async.sleep(shot.seconds)
      print(("  %-7s ready after %.1f s: %s"):format(shot.id, shot.seconds, shot.prompt))
      return { id = shot.id, prompt = shot.prompt, waited = shot.seconds }
    end
  end
  return jobs
end)())

local total = 0
for _, shot in ipairs(shots) do total = total + shot.seconds end
print(("%d shots waited %.1f s between them, in %.2f s of wall time")
  :format(#results, total, async.now() - started))

print(json.encode({ title = title, shots = results }, { indent = 2 }))
