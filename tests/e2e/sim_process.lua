-- Starting `reel sim` for a test: on a port the system picks (--port 0),
-- read back from the line the simulator prints once it listens.
--
-- Why not a port the test picks: ctest runs suites side by side, and a port
-- found free can be another suite's a moment later. Two sim specs started in
-- the same second once drew the same ports; one's simulator could not bind,
-- the spec polled the port, got the other's simulator (same test key), and
-- failed when that one stopped. With --port 0 every simulator has its own.
--
-- Loaded with dofile by tests/e2e/sim/support.lua and
-- tests/e2e/client/support.lua (so the soak and the secrets sweep too):
--   local sim_process = dofile(folder .. "../sim_process.lua")
--   local p = sim_process.start(REEL, "--speed 40 --quiet", log)
--   -- p.pid, p.port, p.base ("http://127.0.0.1:PORT")
local M = {}

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

-- Is the process there? (kill -0; a zombie not yet reaped still counts.)
function M.alive(pid) return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true end
local alive = M.alive

-- Starts `REEL sim --port 0 ARGS` in the background with its output in LOG.
-- opts.prefix runs it under another command ("timeout -k 5 600"), whose pid
-- is then the one returned; opts.wait is how long to wait for the line (30 s).
-- Raises with the simulator's output if it exits or stays silent.
function M.start(reel, args, log, opts)
  opts = opts or {}
  local cmd = ("%s%s sim --port 0 %s >%s 2>&1 & echo $!"):format(
    opts.prefix and opts.prefix .. " " or "", q(reel), args or "", q(log))
  local h = assert(io.popen(cmd))
  local pid = tonumber(h:read("l"))
  h:close()
  assert(pid, "could not start " .. cmd)
  local deadline = os.time() + (opts.wait or 30)
  repeat
    local port = slurp(log):match("serving the Vidu API at http://127%.0%.0%.1:(%d+)")
    if port then return { pid = pid, port = tonumber(port), base = "http://127.0.0.1:" .. port } end
    if not alive(pid) then break end
    os.execute("sleep 0.05")
  until os.time() > deadline
  if alive(pid) then os.execute("kill " .. pid .. " 2>/dev/null") end
  error(("reel sim %s did not say where it serves; its output:\n%s"):format(args or "", slurp(log)), 2)
end

return M
