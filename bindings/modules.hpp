// The Lua modules reel builds in. Each open_* pushes its module table; the
// runtime makes it a global and puts it in package.loaded under the same name.
#pragma once

struct lua_State;

namespace reel::lua {

int open_async(lua_State* L);
int open_json(lua_State* L);

}  // namespace reel::lua
