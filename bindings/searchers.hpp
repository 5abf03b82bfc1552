// Where `require` looks beyond package.path (README "Team libraries").
//
// Before Lua's own searchers: the library folders, in order the script's
// folder and its lib/, ./lib, then each folder of REEL_PATH (`--lib DIR`
// adds to it).
// After them: reel's own modules (stdlib/: `require "storyboard"`), so that
// a module of the same name anywhere else wins. package.path itself stays
// exactly lua5.4's.
//
// Every Lua file any searcher finds is checked for `_REEL_MIN_VERSION =
// "x.y.z"` before it runs: a library that needs a newer reel says so.
#pragma once

#include <string>
#include <vector>

struct lua_State;

namespace reel::lua {

// reel's version, as `reel --version` prints it.
const char* reel_version();

// The library folders for L, in search order (the script's folder only once
// a script runs; those that do not exist are left out).
std::vector<std::string> library_folders(lua_State* L);

// Installs the searchers above in package.searchers.
void add_searchers(lua_State* L);

}  // namespace reel::lua
