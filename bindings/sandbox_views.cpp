// Read-only views (sandbox.hpp): how sandboxed code sees reel's tables (the
// string metatable, files', tasks', classes', and for reel.sandbox the media
// and vidu modules): every read goes through to the real table, every write
// is refused.
#include <lua.hpp>

#include <cstring>

#include "bindings/sandbox_internal.hpp"

namespace reel::lua::sandbox {

namespace {

// A finalizer called by hand frees an object still in use (a task's, a
// file's), so views never show one.
bool hidden_key(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TSTRING) return false;
  const char* key = lua_tostring(L, idx);
  return std::strcmp(key, "__gc") == 0 || std::strcmp(key, "__close") == 0;
}

int view_index(lua_State* L) {
  if (hidden_key(L, 2)) {  // a function that says why
    lua_pushfstring(L, "a metatable's %s (called by hand)", lua_tostring(L, 2));
    lua_pushliteral(L, "it would free an object reel still uses");
    lua_pushcclosure(L, refused, 2);
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  push_view(L, -1);
  return 1;
}

int view_newindex(lua_State* L) {
  return refuse(L,
                "assigning field '%s' of a table of reel's is refused: it is read-only in a "
                "sandbox; make a table of your own",
                luaL_tolstring(L, 2, nullptr));
}

int view_len(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_len(L, -1);
  return 1;
}

int view_call(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_replace(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, return_all);
  return lua_gettop(L);
}

// The iterator pairs() gives for a view: the real one's, with its state kept
// here (it may be the real table) and the values shown as views.
int view_next(lua_State* L) {
  lua_settop(L, 2);
  do {
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 2);
    lua_call(L, 2, 2);
    if (lua_isnil(L, -2)) return 1;
    lua_copy(L, -2, 2);  // the key, for the next step past a hidden one
  } while (hidden_key(L, -2));
  push_view(L, -1);
  lua_replace(L, -2);
  return 2;
}

int raw_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

int view_pairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  const int real = lua_gettop(L);
  if (luaL_getmetafield(L, real, "__pairs") != LUA_TNIL) {
    lua_pushvalue(L, real);
    lua_call(L, 1, 3);
  } else {
    lua_pushcfunction(L, raw_next);
    lua_pushvalue(L, real);
    lua_pushnil(L);
  }
  // f s c -> iterator(f, s), nil, c
  lua_pushvalue(L, -3);
  lua_pushvalue(L, -3);
  lua_pushcclosure(L, view_next, 2);
  lua_pushnil(L);
  lua_pushvalue(L, -3);
  return 3;
}

}  // namespace

// Pushes what sandboxed code sees for the value at idx: a table of reel's as
// a read-only view (one per table, so identity holds), a standard library
// as the sandbox's own (io, os...), anything else as it is.
void push_view(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) {
    lua_pushvalue(L, idx);
    return;
  }
  for (const char* known : {"subst", "views"}) {
    push_part(L, known);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) != LUA_TNIL) {
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 2);
  }
  if (in_set(L, "protected", idx)) {  // already a view
    lua_pushvalue(L, idx);
    return;
  }
  lua_newtable(L);  // empty: every access goes through its metatable
  const int view = lua_gettop(L);
  lua_createtable(L, 0, 6);
  const luaL_Reg meta[] = {{"__index", view_index},
                           {"__newindex", view_newindex},
                           {"__len", view_len},
                           {"__call", view_call},
                           {"__pairs", view_pairs}};
  for (const auto& m : meta) {
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, m.func, 1);
    lua_setfield(L, -2, m.name);
  }
  lua_pushliteral(L, "read-only: reel's, seen from a sandbox");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, view);
  push_part(L, "views");
  lua_pushvalue(L, idx);
  lua_pushvalue(L, view);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  add_to_set(L, "protected", view);
}

}  // namespace reel::lua::sandbox
