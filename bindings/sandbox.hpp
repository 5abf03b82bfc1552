// The sandbox for library code a team did not write (DESIGN.md "--sandbox",
// issue 9), after Redis's script_lua.c: what could leave the process or the
// allowed folders is taken away or checked, what is reel's is seen read-only,
// and an instruction budget and a memory limit stop runaway code.
//
// `reel run --sandbox` sandboxes the whole state (install_sandbox);
// `reel.sandbox(fn, ...)` one call in a state that is not (reel_sandbox).
// Refusals raise a vidu.Error with code "SandboxViolation", the limits one
// with code "SandboxLimit"; both messages start with "sandbox:".
//
// Inside, sandboxed code has no os.execute, io.popen, io.tmpfile, os.exit,
// os.tmpname, package.loadlib, C modules, string.dump, binary chunks, or
// debug beyond debug.traceback; collectgarbage only collects, steps and
// counts; os.getenv hides the API key and anything named like a secret. Files
// are read only under the script's folder, ./lib, REEL_PATH, reel's stdlib and
// --out (REEL_OUT, default ./out) and written only under --out, paths taken
// with every symlink and ".." followed; media.* and vidu.* calls are held to
// the same folders, and reel.mkdir makes folders only under --out. Lua
// modules load from the library folders, reel's stdlib and the folders
// package.path named when the sandbox was made.
#pragma once

struct lua_State;

namespace reel::lua {

// Whether this run is sandboxed: REEL_SANDBOX is set and not "0" (`reel run
// --sandbox` sets it).
bool sandbox_requested();

// Sandboxes the whole state, for its whole life: called by
// Runtime::open_libraries, after every library and module is open and
// before any user code runs. Budget: REEL_SANDBOX_INSTRUCTIONS (default
// 1e9), memory: REEL_SANDBOX_MEMORY in MiB (default 256).
void install_sandbox(lua_State* L);

// reel.sandbox(fn, ...), a function of the `reel` module (reel_module.cpp):
// runs fn(...) sandboxed and returns its results. What that guarantees is
// written above sandbox::call in sandbox.cpp.
int reel_sandbox(lua_State* L);

// The fiber `co` failed with `status`: when the sandbox's memory limit is why
// (Lua says only "not enough memory"), its error becomes the SandboxLimit
// error that names the limit. `L` is an idle thread of the same state.
void explain_limit_error(lua_State* L, lua_State* co, int status);

}  // namespace reel::lua
