// How the sandbox is built (the contract is in sandbox.hpp), and
// reel.sandbox.
//
// Sandboxed code reaches the world only through its globals, so the sandbox
// is a table of globals ("the env"): for --sandbox the state's own _G,
// changed in place before any user code runs; for reel.sandbox a fresh table
// beside the real one. In it io, os, debug and package are new tables of
// checked or refusing functions; require, load, loadfile and dofile give
// every chunk they load the env as _ENV; getmetatable shows reel's
// metatables (the string metatable, files, tasks, classes) as read-only
// views; the originals live only in C upvalues and the registry, which
// nothing sandboxed can reach without the debug library.
//
// The pieces: sandbox_limits.cpp (the budget and the memory limit),
// sandbox_errors.cpp (refusals), sandbox_paths.cpp (the allowed folders),
// sandbox_registry.cpp (the sandbox's registry table), sandbox_views.cpp
// (read-only views), sandbox_library.cpp (base functions, io, os, debug),
// sandbox_require.cpp (require and package), sandbox_modules.cpp (reel's
// modules: async, reel, media, vidu).
#include "bindings/sandbox.hpp"

#include <lua.hpp>

#include <cstdlib>
#include <cstring>

#include "bindings/sandbox_internal.hpp"

namespace reel::lua {

namespace sandbox {

// --- building the sandbox ---------------------------------------------------------

// env[name] = loaded[name] = the value on top (popped); the real library at
// `real` is seen as it.
void Builder::publish(const char* name, int real) {
  lua_pushvalue(L, -1);
  lua_setfield(L, env, name);
  lua_pushvalue(L, -1);
  lua_setfield(L, loaded, name);
  lua_getfield(L, registry, "subst");
  lua_pushvalue(L, real);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

// Pushes the library for the sandbox: the real one under --sandbox, a copy
// for reel.sandbox (changes to it stay in the sandbox).
int Builder::library(int real) {
  if (whole) {
    lua_pushvalue(L, real);
  } else {
    copy_table(L, real);
  }
  return lua_gettop(L);
}

namespace {

constexpr const char* kGuardMetatable = "reel.sandbox.call";

// Makes the sandbox of the state, once: for the whole state (--sandbox), or
// beside it for reel.sandbox's calls. Returns the state's limits.
Limits& prepare(lua_State* L, bool whole) {
  Limits& lim = limits_for(L);
  if (lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey) == LUA_TTABLE) {
    lua_pop(L, 1);
    return lim;
  }
  lua_pop(L, 1);
  luaL_checkstack(L, 40, "making the sandbox");
  const int top = lua_gettop(L);
  lim.whole = whole;
  if (whole) lim.ceiling = lim.memory;  // the whole state's, for its whole life

  lua_newtable(L);
  const int registry = lua_gettop(L);
  for (const char* weak : {"views", "protected", "owned"}) {
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, registry, weak);
  }
  lua_newtable(L);
  lua_setfield(L, registry, "subst");
  lua_pushvalue(L, registry);
  lua_setfield(L, LUA_REGISTRYINDEX, kSandboxKey);

  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  const int globals = lua_gettop(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  const int real_loaded = lua_gettop(L);
  if (whole) {
    lua_pushvalue(L, globals);
    lua_pushvalue(L, real_loaded);
  } else {
    lua_newtable(L);
    lua_newtable(L);
  }
  const int env = real_loaded + 1;
  const int loaded = real_loaded + 2;
  lua_pushvalue(L, env);
  lua_setfield(L, registry, "env");
  lua_pushvalue(L, loaded);
  lua_setfield(L, registry, "loaded");
  lua_pushvalue(L, loaded);  // the real package.loaded is seen as the sandbox's
  lua_getfield(L, registry, "subst");
  lua_pushvalue(L, real_loaded);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);

  Builder b{L, whole, registry, env, real_loaded, loaded};
  b.base(globals);
  b.libraries();
  b.io();
  b.os();
  b.debug();
  b.package();
  b.modules();

  lua_settop(L, top);
  if (whole) hook_thread(L, lim);
  return lim;
}

// --- reel.sandbox ---------------------------------------------------------------------

// Undoes what reel.sandbox did to its thread and to fn, when the call ends
// however it ends (returns, raises, or its coroutine is closed).
struct CallGuard {
  lua_State* thread;
  lua_Hook hook;
  int mask;
  int count;
  int env_upvalue;  // fn's _ENV, 0 when it has none
  bool open;
};

void end_call(lua_State* L, CallGuard* g, bool thread_alive) {
  if (!g->open) return;
  g->open = false;
  if (g->env_upvalue != 0) {
    lua_getiuservalue(L, 1, 1);  // fn
    lua_getiuservalue(L, 1, 2);  // a closure sharing fn's own _ENV
    lua_upvaluejoin(L, -2, g->env_upvalue, -1, 1);
    lua_pop(L, 2);
  }
  if (thread_alive) lua_sethook(g->thread, g->hook, g->mask, g->count);
  if (Limits* lim = limits_of(L); lim != nullptr && --lim->calls == 0 && !lim->whole) {
    stop_limits(*lim);
  }
}

int guard_close(lua_State* L) {
  end_call(L, static_cast<CallGuard*>(luaL_checkudata(L, 1, kGuardMetatable)), true);
  return 0;
}

// A coroutine left suspended inside the call and then collected never closes
// the guard; its collection ends the call instead (its thread may be gone).
int guard_collect(lua_State* L) {
  end_call(L, static_cast<CallGuard*>(luaL_checkudata(L, 1, kGuardMetatable)), false);
  return 0;
}

int sandbox_done(lua_State* L, int status, lua_KContext) {
  if (status == LUA_OK || status == LUA_YIELD) return lua_gettop(L) - 1;  // the guard is slot 1
  if (const Limits* lim = limits_of(L); lim != nullptr && memory_error(L, *lim, status)) {
    lua_pop(L, 1);
    push_limit_error(L, *lim, true);
  }
  return lua_error(L);
}

// A closure whose one upvalue is a fresh cell (a chunk's _ENV).
void push_cell(lua_State* L) {
  if (luaL_loadbuffer(L, "return", 6, "=reel.sandbox") != LUA_OK) lua_error(L);
}

int find_env(lua_State* L, int fn) {
  bool stripped = false;
  for (int i = 1;; ++i) {
    const char* name = lua_getupvalue(L, fn, i);
    if (name == nullptr) break;
    lua_pop(L, 1);
    if (std::strcmp(name, "_ENV") == 0) return i;
    stripped = stripped || std::strcmp(name, "(no name)") == 0;
  }
  if (stripped) {
    luaL_argerror(L, fn,
                  "its upvalue names were stripped (string.dump(f, true)), so its _ENV cannot "
                  "be found; pass a function loaded from source");
  }
  return 0;
}

// reel.sandbox(fn, ...) -> fn(...)'s results.
//
// What it guarantees: fn's globals, and those of every chunk it loads or
// requires during the call, are the sandbox's (the same rules as
// --sandbox); modules required inside live in the sandbox's own
// package.loaded, shared by later calls and never the real one; functions
// made inside keep the sandbox's globals for good, and the real io, os,
// debug, package and _G are out of their reach. During the call the budget
// (counted from the call's start) and the memory limit (beyond what the state
// held when it started) apply, on fn's thread and coroutines made from it;
// coroutines and tasks made inside stay under the file rules of media, vidu
// and reel.mkdir afterwards too. fn itself gets its own _ENV back when the call ends.
// __gc metamethods are refused inside (a finalizer runs later, on whatever
// thread collects).
//
// What it does not: values fn receives (arguments, upvalues, results of
// functions from outside) are passed as they are, so a function from outside
// runs with its own globals; call it sandboxed by passing code, not
// capabilities. Functions left behind run without the limits unless called
// through reel.sandbox again. Calls running at the same time (tasks waiting
// inside) share one budget and one memory window, and while one waits the
// allocations of other tasks count against it too.
int call(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (lua_iscfunction(L, 1)) {
    return luaL_argerror(L, 1,
                         "a Lua function (a C function has no globals to sandbox; wrap the call: "
                         "reel.sandbox(function(...) return f(...) end, ...))");
  }
  Limits& lim = prepare(L, false);
  const int env_upvalue = find_env(L, 1);
  if (luaL_newmetatable(L, kGuardMetatable)) {
    lua_pushcfunction(L, guard_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, guard_collect);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  const int nargs = lua_gettop(L) - 1;

  auto* g = static_cast<CallGuard*>(lua_newuserdatauv(L, sizeof(CallGuard), 2));
  *g = CallGuard{L, lua_gethook(L), lua_gethookmask(L), lua_gethookcount(L), 0, false};
  luaL_setmetatable(L, kGuardMetatable);
  lua_insert(L, 1);  // guard, fn, args...
  lua_toclose(L, 1);
  if (env_upvalue != 0) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, 1);
    push_cell(L);  // keeps fn's own _ENV cell, to give it back
    lua_upvaluejoin(L, -1, 1, 2, env_upvalue);
    lua_setiuservalue(L, 1, 2);
    push_cell(L);  // a fresh cell holding the sandbox's globals
    push_part(L, "env");
    lua_setupvalue(L, -2, 1);
    lua_upvaluejoin(L, 2, env_upvalue, -1, 1);
    lua_pop(L, 1);
    g->env_upvalue = env_upvalue;
  }
  if (lim.calls++ == 0 && !lim.whole) start_limits(lim);
  g->open = true;
  if (lua_gethook(L) != count_hook) hook_thread(L, lim);
  const int status = lua_pcallk(L, nargs, LUA_MULTRET, 0, 0, sandbox_done);
  return sandbox_done(L, status, 0);
}

int push_memory_error(lua_State* L) {
  if (const Limits* lim = limits_of(L)) push_limit_error(L, *lim, true);
  return 1;
}

}  // namespace

}  // namespace sandbox

bool sandbox_requested() {
  const char* value = std::getenv("REEL_SANDBOX");
  return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
}

void install_sandbox(lua_State* L) {
  sandbox::prepare(L, true);
}

int reel_sandbox(lua_State* L) {
  return sandbox::call(L);
}

void explain_limit_error(lua_State* L, lua_State* co, int status) {
  const sandbox::Limits* lim = sandbox::limits_of(co);
  if (lim == nullptr || !sandbox::memory_error(co, *lim, status)) return;
  lua_pushcfunction(L, sandbox::push_memory_error);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_checkstack(co, 1)) {
    lua_pop(L, 1);
    return;
  }
  lua_xmove(L, co, 1);
  lua_replace(co, -2);
}

}  // namespace reel::lua
