--- sb:render(): every shot as its own async task, started as soon as the
--- shots it needs have their clips; then the film, the manifest and the
--- contact sheet (storyboard.outputs). Every shot goes through the vidu
--- client and so through the journal: an unchanged board renders again from
--- the journal without a new task.
local storyboard = require "storyboard"
local graph = require "storyboard.graph"
local outputs = require "storyboard.outputs"

local M = {}
local fail = storyboard.fail

local RENDER_KEYS = { only = true, budget = true }

-- Rows on the live progress board for shots that have no task yet (the
-- task, named after its shot, has its own row once submitted).
local function progress(row)
  if vidu.progress then vidu.progress(row) end
end

-- The budget rule: refuse to start when the estimate exceeds the budget or
-- the account's balance. The estimate counts every shot, including those
-- the journal will replay for nothing: a budget is an upper bound.
local function check_budget(board, plan, budget)
  if type(budget) ~= "number" or budget < 0 then
    fail("BudgetInvalid", ("render{budget = %s}: the budget is a number of credits >= 0"):format(tostring(budget)))
  end
  if plan.credits > budget then
    fail("OverBudget", ("storyboard %q would cost about %d credits, over its budget of %d; "
         .. "raise the budget or render fewer shots (render{only = {...}})"):format(board.title,
         plan.credits, budget), { credits = plan.credits, budget = budget })
  end
  local total = vidu.credits()
  if plan.credits > total then
    fail("CreditInsufficient", ("storyboard %q would cost about %d credits and the account has "
         .. "%d; top it up or render fewer shots"):format(board.title, plan.credits, total),
         { credits = plan.credits, balance = total })
  end
end

function M.render(board, opts)
  for k in pairs(opts) do
    if not RENDER_KEYS[k] then
      fail("RenderInvalid", ("sb:render: unknown option %q; the options are only and budget"):format(tostring(k)))
    end
  end
  local plan = graph.check(board)
  local fresh = {}
  if opts.only ~= nil then
    if type(opts.only) ~= "table" then fail("RenderInvalid", "sb:render{only = {...}} takes a list of shot ids") end
    for _, id in ipairs(opts.only) do
      if not board.by_id[id] then
        fail("RenderInvalid", ("sb:render{only}: %q is not a shot of storyboard %q"):format(tostring(id), board.title))
      end
      fresh[id] = true
    end
  end
  if opts.budget ~= nil then check_budget(board, plan, opts.budget) end
  outputs.ensure_dir(board.out .. "/clips")

  -- One row for the board: shots done and the credits spent so far.
  local done, spent = 0, 0
  local function board_row(final)
    progress{ name = board.title, state = final and "done" or "rendering", final = final or nil,
              detail = ("%d of %d shots, %d credits so far"):format(done, #board.shots, spent) }
  end
  board_row()

  local state = {}   -- id -> { task, clip, error, started, finished }
  local handles = {}
  local frames = {}  -- "id/use" -> handle: one frame file however many shots use it

  local function frame_of(id, use)
    local key = id .. "/" .. use
    if not frames[key] then
      local clip = state[id].clip
      frames[key] = async.spawn(function()
        return use == "first" and clip:first_frame() or clip:last_frame()
      end)
    end
    return frames[key]:wait()
  end

  local function run(shot)
    local st = { started = async.now() }
    state[shot.id] = st
    local needs, seen = {}, {}
    for _, r in ipairs(shot.refs) do
      if not seen[r.id] then needs[#needs + 1], seen[r.id] = r.id, true end
    end
    if #needs > 0 then
      progress{ name = shot.id, state = "waiting", detail = "on " .. table.concat(needs, ", ") }
    end
    for _, id in ipairs(needs) do
      local ok = pcall(handles[id].wait, handles[id])
      if not ok then
        progress{ name = shot.id, done = true }
        fail("ShotSkipped", ("shot %q was not made: it needs shot %q, which has no clip"):format(shot.id, id),
             { shot = shot.id })
      end
    end
    progress{ name = shot.id, done = true }
    -- Rendered before in this run, and nothing it needs was made again: the
    -- same clip. (Asked again, the call would be a second occurrence of the
    -- same request, which the journal keeps apart as a new variant.)
    local before = board.rendered[shot.id]
    local inputs_kept = true
    for _, id in ipairs(needs) do
      if state[id].made then inputs_kept = false end
    end
    if before and not fresh[shot.id] and inputs_kept then
      st.task, st.clip, st.finished = before.task, before.clip, async.now()
      done = done + 1
      board_row()
      return st.clip
    end
    st.made = true
    local request = storyboard.request(board, shot, function(ref, use)
      if use == "clip" then return state[ref].clip end
      return frame_of(ref, use)
    end)
    request.name = shot.id
    request.out = board.out .. "/clips"
    if fresh[shot.id] then request.fresh = true end
    local ok, err = pcall(function()
      st.task = vidu[shot.kind](request)
      st.clip = st.task:wait{ timeout = shot.spec.timeout or board.timeout }
    end)
    st.finished = async.now()
    done = done + 1
    spent = spent + (st.clip and st.clip.credits or 0)
    board_row()
    if not ok then
      -- A task's failure has its own line; one refused before it had a task
      -- is said here, as it happens.
      if not st.task then
        progress{ name = shot.id, state = "failed", detail = tostring(err), final = true }
      end
      error(err, 0)
    end
    return st.clip
  end

  -- Shots start in an order where what a shot waits for already has a handle.
  for _, shot in ipairs(plan.order) do handles[shot.id] = async.spawn(run, shot) end
  local failures = {}
  for _, shot in ipairs(board.shots) do
    local ok, err = pcall(handles[shot.id].wait, handles[shot.id])
    if not ok and not (state[shot.id] and state[shot.id].finished) then
      done = done + 1  -- skipped for another shot's sake
    end
    if not ok then
      if vidu.Error.is(err) then
        err.shot = shot.id
        if not tostring(err.message):find(shot.id, 1, true) then
          err.message = ("shot %q: %s"):format(shot.id, tostring(err.message))
        end
      end
      state[shot.id].error = err
      failures[#failures + 1] = shot
    end
  end

  board_row(true)
  for id, st in pairs(state) do
    if st.clip then board.rendered[id] = { task = st.task, clip = st.clip } end
  end

  -- `reel run --plan` renders on a throwaway simulator to list the requests;
  -- the film and the sheet would go with its folder, so none are made.
  local result
  if os.getenv("REEL_PLAN") then
    result = { shots = {}, credits = 0 }
    for id, st in pairs(state) do
      result.shots[id] = st.clip
      result.credits = result.credits + (st.clip and st.clip.credits or 0)
    end
  else
    result = outputs.write(board, plan, state)
  end
  if #failures > 0 then
    local names = {}
    for _, shot in ipairs(failures) do names[#names + 1] = shot.id end
    io.stderr:write(("storyboard %q: %d of %d shots have no clip (%s); see %s\n"):format(board.title,
      #failures, #board.shots, table.concat(names, ", "), result.sheet or "the plan above"))
    -- The first shot that failed by itself (not skipped for another's sake)
    -- is raised as it came, so a failed remote task still exits with 3.
    for _, shot in ipairs(failures) do
      local err = state[shot.id].error
      if not (type(err) == "table" and err.code == "ShotSkipped") then error(err, 0) end
    end
    error(state[failures[1].id].error, 0)
  end
  return result
end

return M
