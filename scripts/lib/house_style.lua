--- A team's house style as a plain Lua library: shot builders that give
--- every board the same look (model, lens words, pacing) so scripts only say
--- what happens. Needs nothing but a storyboard.Board passed in.
---
---   local style = require "house_style"
---   style.establishing(sb, "harbour", "a fishing harbour at first light")
---   style.beat(sb, "nets", "hands mending nets", { after = "harbour" })
local M = {}

M.look = "35mm film, soft natural light, muted colours"
M.model = "viduq2-pro"

local function styled(prompt) return prompt .. ", " .. M.look end

--- A wide opening shot from text, held long enough to be extended.
function M.establishing(sb, id, place, opts)
  opts = opts or {}
  return sb:shot{ id = id, model = opts.model or "viduq2", duration = opts.duration or 5,
                  text = styled("wide establishing shot of " .. place) }
end

--- A slow push into the previous shot: an extension, so it replaces it in the cut.
function M.push_in(sb, id, of, subject)
  return sb:shot{ id = id, extend = of, duration = 3,
                  prompt = styled("slow push in towards " .. subject) }
end

--- A story beat that starts where `after` ends (its last frame).
function M.beat(sb, id, action, opts)
  opts = opts or {}
  assert(opts.after, "house_style.beat: opts.after names the shot this beat follows")
  return sb:shot{ id = id, from = opts.after, model = opts.model or M.model,
                  duration = opts.duration or 4, prompt = styled(action) }
end

return M
