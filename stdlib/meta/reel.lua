---@meta

-- Type stubs for lua-language-server (LuaCATS); never run. Kept in step with
-- the reel global by tests/lua/meta_spec.lua; docs/lua-api.md is made from
-- this file by tools/lua_api_doc.lua.

--- reel itself, a global: its version, the sandbox that runs library code a
--- team did not write, and a way to make folders.
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

--- Makes the folder `path` and the folders above it that are missing, like
--- `mkdir -p`; a folder already there is fine. Plain Lua has no way to make a
--- folder, and under `--sandbox` `os.execute("mkdir -p ...")` is refused:
--- `reel.mkdir` works there too, for folders under `--out`.
---
--- Errors:
--- - `OutputFailed`: the folder cannot be made, e.g. a file of that name is in
---   the way or a parent is not writable (the message says why; `err.path`).
--- - `SandboxViolation`: sandboxed, a folder outside `--out`.
---
--- Example:
--- ```lua
--- reel.mkdir((os.getenv("REEL_OUT") or "out") .. "/frames/night")  --> true
--- local ok, err = pcall(reel.mkdir, "notes.txt/sub")  -- notes.txt is a file
--- print(err.code)                                     --> OutputFailed
--- ```
---@param path string The folder to make.
---@return true ok
function reel.mkdir(path) end
