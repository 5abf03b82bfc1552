// reel's own Lua modules (stdlib/: `require "storyboard"`) are found by a
// searcher added after Lua's own, so package.path stays exactly lua5.4's and a
// module of the same name on package.path wins.
#pragma once

struct lua_State;

namespace reel::lua {

void add_stdlib_searcher(lua_State* L);

}  // namespace reel::lua
