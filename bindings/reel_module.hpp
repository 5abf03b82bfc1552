// The `reel` module, a global: reel.version, reel.sandbox (sandbox.hpp) and
// reel.mkdir, the folder-making primitive plain Lua lacks.
#pragma once

struct lua_State;

namespace reel::lua {

// Pushes the module table (registered by Runtime::open_libraries).
int open_reel(lua_State* L);

}  // namespace reel::lua
