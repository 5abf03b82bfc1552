#include "bindings/error_object.hpp"

#include <lua.hpp>

namespace reel::lua {

namespace {

int error_tostring(lua_State* L) {
  lua_getfield(L, 1, "message");
  if (!lua_isstring(L, -1)) {
    lua_pop(L, 1);
    lua_getfield(L, 1, "code");
  }
  return 1;
}

void set_string(lua_State* L, const char* key, const std::string& value) {
  if (value.empty()) return;
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

}  // namespace

void push_error(lua_State* L, const ErrorInfo& info) {
  lua_createtable(L, 0, 5);
  set_string(L, "code", info.code);
  set_string(L, "message", info.message);
  set_string(L, "field", info.field);
  set_string(L, "path", info.path);
  lua_pushboolean(L, info.retryable);
  lua_setfield(L, -2, "retryable");
  if (luaL_newmetatable(L, kErrorMetatable)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
}

int raise_error(lua_State* L, const ErrorInfo& info) {
  push_error(L, info);
  return lua_error(L);
}

}  // namespace reel::lua
