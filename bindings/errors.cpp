#include "bindings/errors.hpp"

#include <lua.hpp>

namespace reel::lua {

namespace {
int g_exit_status = 0;
}  // namespace

int described_exit_status() {
  return g_exit_status;
}

std::string describe_error(lua_State* L, lua_State* co, bool main_chunk) {
  const int top = lua_gettop(L);
  lua_pushvalue(co, -1);
  lua_xmove(co, L, 1);
  g_exit_status = 0;
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "exit_status");
    g_exit_status = static_cast<int>(lua_tointeger(L, -1));
    lua_pop(L, 1);
  }
  const char* msg = lua_tostring(L, -1);
  if (msg == nullptr) {
    if (luaL_getmetafield(L, -1, "__tostring") != LUA_TNIL) {
      // Protected: a __tostring that raises must not take the report down.
      lua_pushvalue(L, top + 1);
      const int status = lua_pcall(L, 1, 1, 0);
      if (status == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
        std::string shown = lua_tostring(L, -1);
        lua_settop(L, top);
        return shown;
      }
      if (status != LUA_OK) {
        // What it raised: a string, or an error object's message read raw
        // (a vidu.Error such as the sandbox's refusal), else its type.
        if (lua_istable(L, -1)) {
          lua_pushliteral(L, "message");
          lua_rawget(L, -2);
          if (!lua_isstring(L, -1)) lua_pop(L, 1);
        }
        std::string shown = std::string("(error object whose __tostring raised: ") +
                            (lua_isstring(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1)) +
                            ")";
        lua_settop(L, top);
        return shown;
      }
      lua_pop(L, 1);  // not a string: lua5.4 says what the object is, as below
    }
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, top + 1));
  }
  luaL_traceback(L, co, msg, 0);
  std::string text = lua_tostring(L, -1);
  if (main_chunk) text += "\n\t[C]: in ?";
  lua_settop(L, top);
  return text;
}

}  // namespace reel::lua
