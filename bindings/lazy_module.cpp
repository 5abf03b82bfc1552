#include "bindings/lazy_module.hpp"

#include <lua.hpp>

#include <exception>
#include <string>

#include "host/plugin/plugin.hpp"

namespace reel::lua {

namespace {

// Upvalues of the loader: 1 module file, 2 entry symbol, 3 module name.
int load_into_proxy(lua_State* L, int proxy) {
  const char* file = lua_tostring(L, lua_upvalueindex(1));
  const char* entry = lua_tostring(L, lua_upvalueindex(2));
  lua_CFunction open = nullptr;
  std::string failure;
  try {
    open = reinterpret_cast<lua_CFunction>(plugin::symbol(file, entry));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (open == nullptr) {
    return luaL_error(L, "%s: %s", lua_tostring(L, lua_upvalueindex(3)), failure.c_str());
  }
  lua_pushcfunction(L, open);
  lua_call(L, 0, 1);
  // The proxy becomes the module: copy every field, drop the lazy metatable.
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, proxy);
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_setmetatable(L, proxy);
  return 0;
}

int lazy_index(lua_State* L) {
  load_into_proxy(L, 1);
  lua_rawget(L, 1);  // key is at 2
  return 1;
}

int lazy_pairs(lua_State* L) {
  load_into_proxy(L, 1);
  lua_getglobal(L, "next");
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

}  // namespace

void add_lazy_module(lua_State* L, const char* name, const char* file, const char* entry) {
  lua_newtable(L);  // the proxy: the global and package.loaded[name] from the start
  lua_createtable(L, 0, 2);
  for (auto fn : {lazy_index, lazy_pairs}) {
    lua_pushstring(L, file);
    lua_pushstring(L, entry);
    lua_pushstring(L, name);
    lua_pushcclosure(L, fn, 3);
    lua_setfield(L, -2, fn == lazy_index ? "__index" : "__pairs");
  }
  lua_setmetatable(L, -2);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  lua_setglobal(L, name);
}

}  // namespace reel::lua
