---@meta

-- Type stubs for lua-language-server (LuaCATS); never run. Kept in step with
-- the reel global by tests/lua/meta_spec.lua; docs/lua-api.md is made from
-- this file by tools/lua_api_doc.lua.

--- reel itself, a global: its version, and the sandbox that runs library code
--- a team did not write.
---@class reel
---@field version string reel's version, e.g. "0.1.0" (as `reel --version` says).
reel = {}

--- Runs `fn(...)` under the sandbox and returns its results. Inside, there is
--- no `os.execute`, `io.popen`, `os.exit`, `package.loadlib` or C module;
--- files are readable only under the script's folder, the library folders and
--- `--out`, and writable only under `--out`; an instruction budget and a
--- memory limit apply.
---
--- Errors:
--- - `SandboxViolation`: fn used something the sandbox forbids (the message names it).
--- - `SandboxLimit`: fn ran past the instruction budget or the memory limit.
--- - fn's own error, unchanged.
---
--- Example:
--- ```lua
--- print(reel.sandbox(function(a, b) return a + b end, 1, 2))   --> 3
--- local ok, err = pcall(reel.sandbox, dofile, "lib/untrusted.lua")
--- if not ok and vidu.Error.is(err) then print(err.code) end     -- SandboxViolation, SandboxLimit
--- ```
---@param fn function The code to run.
---@param ... any fn's arguments.
---@return any ... fn's results.
function reel.sandbox(fn, ...) end
