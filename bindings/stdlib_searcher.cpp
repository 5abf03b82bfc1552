#include "bindings/stdlib_searcher.hpp"

#include <lua.hpp>

#include <cstdio>
#include <string>

#include "host/plugin/plugin.hpp"

namespace reel::lua {

namespace {

// package.searchers protocol: a loader and its extra value (the file name),
// or nothing, so that require's "module not found" message stays lua5.4's
// (`reel --paths` lists these folders).
int search_stdlib(lua_State* L) {
  std::string name = luaL_checkstring(L, 1);
  for (char& c : name)
    if (c == '.') c = '/';
  for (const std::string& dir : plugin::stdlib_folders()) {
    for (const char* pattern : {"/%s.lua", "/%s/init.lua"}) {
      std::string file = dir + pattern;
      file.replace(file.find("%s"), 2, name);
      FILE* f = std::fopen(file.c_str(), "r");
      if (f == nullptr) continue;
      std::fclose(f);
      if (luaL_loadfilex(L, file.c_str(), "t") != LUA_OK) {
        return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", lua_tostring(L, 1),
                          file.c_str(), lua_tostring(L, -1));
      }
      lua_pushstring(L, file.c_str());
      return 2;
    }
  }
  lua_pushnil(L);
  return 1;
}

}  // namespace

void add_stdlib_searcher(lua_State* L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, search_stdlib);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  lua_pop(L, 2);
}

}  // namespace reel::lua
