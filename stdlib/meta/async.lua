---@meta async

-- Type stubs for lua-language-server (LuaCATS); never run. Kept in step with
-- bindings/async.cpp by tests/lua/meta_spec.lua; docs/lua-api.md is made from
-- this file by tools/lua_api_doc.lua.

--- Tasks on reel's event loop, a global (also `require "async"`). Every chunk
--- runs as a coroutine on a libuv loop: a call that waits yields only the
--- calling task while the others run. Waiting calls work from the main chunk
--- and from spawned tasks; inside a coroutine the script made itself
--- (`coroutine.wrap`) they raise a clear error. When the script ends, reel
--- waits for the tasks it spawned; a task that failed while nobody waited for
--- it is reported, and the exit status is 1.
---@class async
async = {}

--- A spawned task.
---@class async.Handle
---@field state "running"|"waiting"|"done"|"failed" Waiting: suspended on something; done or failed: finished.
local Handle = {}

--- Waits for the task and returns every result it returned, or raises its
--- error object unchanged.
---
--- Errors:
--- - the task's own error, as it was raised.
--- - a plain Lua error when a task waits for itself, or outside a task reel runs.
---
--- Example:
--- ```lua
--- local h = async.spawn(function(x) async.sleep(0.5) return x * 2 end, 21)
--- print(h:wait())   --> 42
--- ```
---@async
---@return any ...
function Handle:wait() end

--- Whether the task has finished (done or failed); never waits.
---
--- Example:
--- ```lua
--- if h:done() then print(h.state) end
--- ```
---@return boolean
function Handle:done() end

--- Starts `fn(...)` as a task of its own and returns at once.
---
--- Errors:
--- - a plain Lua error when fn cannot be called.
---
--- Example:
--- ```lua
--- local h = async.spawn(function(name) return vidu.task(name):wait() end, "812345678901234567")
--- ```
---@param fn function A function, or anything with a `__call`.
---@param ... any Its arguments.
---@return async.Handle handle
function async.spawn(fn, ...) end

--- Waits for every item and returns the first result of each, in list order.
--- Items are handles, functions (spawned), or objects with a `wait` method
--- (vidu Tasks, waited on together). Raises the first error as soon as it
--- happens.
---
--- Errors:
--- - the first error an item raised, unchanged.
--- - a plain Lua error for an item that is none of the above, or when a task waits for itself.
---
--- Example:
--- ```lua
--- local clips = async.all{ t1, t2, function() async.sleep(0.2) return "a" end }
--- ```
---@async
---@param items (async.Handle|function|{ wait: function })[] What to wait for, in order.
---@return any[] results
function async.all(items) end

--- Waits `seconds` (0 or more) while other tasks run.
---
--- Errors:
--- - a plain Lua error for a negative or infinite number, or outside a task reel runs.
---
--- Example:
--- ```lua
--- async.sleep(0.5)
--- ```
---@async
---@param seconds number 0 or more; fractions count.
function async.sleep(seconds) end

--- Seconds on a monotonic clock, for measuring waits.
---
--- Example:
--- ```lua
--- local t0 = async.now()
--- async.sleep(0.1)
--- print(("%.2f s"):format(async.now() - t0))
--- ```
---@return number seconds
---@nodiscard
function async.now() end

return async
