// The sandbox's own table in the registry (sandbox.hpp): the env, its
// package.loaded, the weak sets of views and owned metatables, and the
// helpers that read them or wrap an original function.
#include <lua.hpp>

#include "bindings/sandbox_internal.hpp"

namespace reel::lua::sandbox {

// Pushes field `name` of the sandbox's registry table; returns its type.
int push_part(lua_State* L, const char* name) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return LUA_TNIL;
  }
  const int type = lua_getfield(L, -1, name);
  lua_remove(L, -2);
  return type;
}

bool in_set(lua_State* L, const char* set, int idx) {
  idx = lua_absindex(L, idx);
  if (push_part(L, set) != LUA_TTABLE) {
    lua_pop(L, 1);
    return false;
  }
  lua_pushvalue(L, idx);
  const bool found = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return found;
}

void add_to_set(lua_State* L, const char* set, int idx) {
  idx = lua_absindex(L, idx);
  push_part(L, set);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Sets the first upvalue (a chunk's _ENV) of the function at `fn` to the
// value at `env`, or to the sandbox's globals when `env` is 0.
void set_env(lua_State* L, int fn, int env) {
  fn = lua_absindex(L, fn);
  if (env != 0) {
    lua_pushvalue(L, env);
  } else {
    push_part(L, "env");
  }
  if (lua_setupvalue(L, fn, 1) == nullptr) lua_pop(L, 1);
}

int return_all(lua_State* L, int, lua_KContext) {
  return lua_gettop(L);
}

// Calls the original (upvalue 1) with the arguments on the stack, and returns
// all its results; it may wait (vidu, media).
int call_original(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, return_all);
  return lua_gettop(L);
}

void copy_table(lua_State* L, int src) {
  src = lua_absindex(L, src);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, src) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

// table[name] = a closure of `fn` over original[name].
void wrap_field(lua_State* L, int table, int original, const char* name, lua_CFunction fn) {
  lua_getfield(L, original, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, table, name);
}

}  // namespace reel::lua::sandbox
