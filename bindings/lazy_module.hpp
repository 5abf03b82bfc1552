// Modules whose native code is in a shared object loaded on first use (see
// host/plugin). The module's global and package.loaded entry exist from the
// start as one table; the first field access (or pairs) loads the shared
// object, calls its entry point and fills that same table.
#pragma once

struct lua_State;

namespace reel::lua {

// `entry` is an `int (lua_State*)` in `file` that pushes the module table.
void add_lazy_module(lua_State* L, const char* name, const char* file, const char* entry);

}  // namespace reel::lua
