// The `async` module: spawn, all, sleep, and async.Handle.
//
// Calls that wait suspend the running fiber and yield with a continuation
// (lua_yieldk); the continuation runs when the scheduler resumes the fiber and
// looks at what has finished. The coroutine library is adjusted so that a
// fiber looks like what the script thinks it is: the main chunk is "the main
// thread", and yielding out of it is refused as lua5.4 refuses it.
#include <lua.hpp>

#include <cmath>
#include <cstdlib>
#include <new>
#include <string_view>

#include "bindings/modules.hpp"
#include "bindings/scheduler.hpp"

namespace reel::lua {

namespace {

Fiber* check_handle(lua_State* L, int idx) {
  return static_cast<Fiber*>(luaL_checkudata(L, idx, kHandleMetatable));
}

Fiber* test_handle(lua_State* L, int idx) {
  return static_cast<Fiber*>(luaL_testudata(L, idx, kHandleMetatable));
}

// Pushes a finished fiber's results (all of them, or only the first), or
// raises its error. Either way the outcome now counts as observed.
int push_outcome(lua_State* L, Fiber* f, bool first_only) {
  f->scheduler->observe(f);
  lua_State* co = f->thread;
  if (f->state == Fiber::State::failed) {
    lua_pushvalue(co, -1);
    lua_xmove(co, L, 1);
    return lua_error(L);
  }
  return push_results(L, *f, first_only ? 1 : f->nresults);
}

// --- async.Handle ----------------------------------------------------------

int handle_wait_k(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  Fiber* target = check_handle(L, 1);
  if (!target->finished()) {
    Fiber* self = Scheduler::current(L);
    target->waiters.push_back(Waiter{self->scheduler->suspend(self)});
    return lua_yieldk(L, 0, 0, handle_wait_k);
  }
  return push_outcome(L, target, false);
}

int handle_wait(lua_State* L) {
  Fiber* target = check_handle(L, 1);
  Fiber* self = running_fiber(L, "handle:wait");
  if (target == self) return luaL_error(L, "handle:wait: a task cannot wait for itself");
  lua_settop(L, 1);
  return handle_wait_k(L, LUA_OK, 0);
}

const char* state_name(const Fiber* f) {
  switch (f->state) {
    case Fiber::State::ready:
    case Fiber::State::running:
      return "running";
    case Fiber::State::suspended:
      return "waiting";
    case Fiber::State::done:
      return "done";
    case Fiber::State::failed:
      return "failed";
  }
  return "?";
}

int handle_done(lua_State* L) {
  lua_pushboolean(L, check_handle(L, 1)->finished());
  return 1;
}

int handle_index(lua_State* L) {
  Fiber* f = check_handle(L, 1);
  const char* key = luaL_checkstring(L, 2);
  if (std::string_view(key) == "state") {
    lua_pushstring(L, state_name(f));
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, key);
  return 1;
}

int handle_tostring(lua_State* L) {
  Fiber* f = check_handle(L, 1);
  lua_pushfstring(L, "async.Handle (%s): %p", state_name(f), static_cast<void*>(f));
  return 1;
}

// --- async.spawn / async.sleep / async.all ---------------------------------

bool is_callable(lua_State* L, int idx) {
  if (lua_isfunction(L, idx)) return true;
  if (luaL_getmetafield(L, idx, "__call") == LUA_TNIL) return false;
  lua_pop(L, 1);
  return true;
}

bool is_indexable(lua_State* L, int idx) {
  if (lua_istable(L, idx)) return true;
  if (!lua_isuserdata(L, idx) || luaL_getmetafield(L, idx, "__index") == LUA_TNIL) return false;
  lua_pop(L, 1);
  return true;
}

int async_spawn(lua_State* L) {
  if (!is_callable(L, 1)) {
    return luaL_error(L, "async.spawn: expected a function to run, got a %s", luaL_typename(L, 1));
  }
  Scheduler::from(L).spawn(L, lua_gettop(L) - 1);
  return 1;
}

int async_sleep(lua_State* L) {
  const lua_Number seconds = luaL_checknumber(L, 1);
  luaL_argcheck(L, seconds >= 0 && std::isfinite(seconds), 1,
                "seconds must be a finite number, 0 or more");
  Fiber* self = running_fiber(L, "async.sleep");
  Scheduler* sched = self->scheduler;
  const Wake w = sched->suspend(self);
  const auto ms = static_cast<uint64_t>(std::ceil(seconds * 1000.0));
  sched->loop().after(ms, [sched, w] { sched->wake(w); });
  return lua_yieldk(L, 0, 0, [](lua_State*, int, lua_KContext) { return 0; });
}

// Seconds on a monotonic clock, for measuring waits.
int async_now(lua_State* L) {
  lua_pushnumber(L, static_cast<lua_Number>(uv_hrtime()) / 1e9);
  return 1;
}

// async.all's arguments live at fixed stack slots across its yields.
constexpr int kAllHandles = 2;  // table of handles, one per item
constexpr int kAllJoin = 3;     // the Join userdata the handles report to

void forget_join(lua_State* L, Join* join, lua_Integer n) {
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, kAllHandles, i);
    auto& ws = check_handle(L, -1)->waiters;
    std::erase_if(ws, [join](const Waiter& w) { return w.join == join; });
    lua_pop(L, 1);
  }
}

int all_k(lua_State* L, int /*status*/, lua_KContext ctx) {
  const auto n = static_cast<lua_Integer>(ctx);
  auto* join = static_cast<Join*>(lua_touserdata(L, kAllJoin));
  if (join->first_failure != nullptr) {
    forget_join(L, join, n);
    return push_outcome(L, join->first_failure, true);  // raises
  }
  lua_createtable(L, static_cast<int>(n), 0);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, kAllHandles, i);
    Fiber* f = check_handle(L, -1);
    lua_pop(L, 1);
    push_outcome(L, f, true);
    lua_rawseti(L, -2, i);
  }
  return 1;
}

int async_all(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  Fiber* self = running_fiber(L, "async.all");
  Scheduler* sched = self->scheduler;
  const lua_Integer n = luaL_len(L, 1);
  lua_settop(L, 1);

  // Every item becomes a handle: handles as they are, functions spawned, and
  // objects with a wait method (a vidu Task) waited on in a fiber of their own.
  lua_createtable(L, static_cast<int>(n), 0);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, 1, i);
    if (test_handle(L, -1) == nullptr) {
      if (lua_isfunction(L, -1)) {
        sched->spawn(L, 0);
      } else if (is_indexable(L, -1)) {
        lua_getfield(L, -1, "wait");
        if (!lua_isfunction(L, -1)) {
          return luaL_error(L,
                            "async.all: item %d has no wait method; pass async handles, "
                            "functions, or tasks",
                            static_cast<int>(i));
        }
        lua_insert(L, -2);  // wait, item: the fiber runs item:wait()
        sched->spawn(L, 1);
      } else {
        return luaL_error(L, "async.all: item %d is a %s; pass async handles, functions, or tasks",
                          static_cast<int>(i), luaL_typename(L, -1));
      }
    }
    lua_rawseti(L, kAllHandles, i);
  }

  auto* join = new (lua_newuserdatauv(L, sizeof(Join), 0)) Join{};
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, kAllHandles, i);
    Fiber* f = check_handle(L, -1);
    lua_pop(L, 1);
    if (f == self) return luaL_error(L, "async.all: a task cannot wait for itself");
    if (!f->finished()) {
      ++join->remaining;
    } else if (f->state == Fiber::State::failed &&
               (join->first_failure == nullptr ||
                f->finished_at < join->first_failure->finished_at)) {
      join->first_failure = f;
    }
  }
  if (join->remaining == 0 || join->first_failure != nullptr) {
    return all_k(L, LUA_OK, static_cast<lua_KContext>(n));
  }
  join->wake = sched->suspend(self);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, kAllHandles, i);
    Fiber* f = check_handle(L, -1);
    lua_pop(L, 1);
    if (!f->finished()) f->waiters.push_back(Waiter{{}, join});
  }
  return lua_yieldk(L, 0, static_cast<lua_KContext>(n), all_k);
}

// --- the standard library, seen from a fiber -------------------------------

lua_State* thread_arg(lua_State* L) {
  if (lua_isnone(L, 1)) return L;
  luaL_argexpected(L, lua_isthread(L, 1), 1, "coroutine");
  return lua_tothread(L, 1);
}

int yield_guarded(lua_State* L) {
  if (Scheduler::current(L) != nullptr) {
    lua_pushliteral(L, "attempt to yield from outside a coroutine");  // lua5.4's words
    return lua_error(L);
  }
  return lua_yield(L, lua_gettop(L));
}

int isyieldable_guarded(lua_State* L) {
  lua_State* co = thread_arg(L);
  lua_pushboolean(L, Scheduler::current(co) == nullptr && lua_isyieldable(co));
  return 1;
}

int running_guarded(lua_State* L) {
  const bool is_main = lua_pushthread(L) == 1;
  const Fiber* f = Scheduler::current(L);
  lua_pushboolean(L, is_main || (f != nullptr && f->is_main));
  return 2;
}

// coroutine.resume and coroutine.close must not touch a fiber: only the
// scheduler resumes those. The originals are upvalue 1.
int resume_guarded(lua_State* L) {
  if (lua_isthread(L, 1) && Scheduler::current(lua_tothread(L, 1)) != nullptr) {
    return luaL_error(L,
                      "cannot resume or close a coroutine that reel schedules; wait on its "
                      "async handle instead");
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// debug.traceback from a top-level chunk ends, as in lua5.4, with the C frame
// that called the chunk; the fiber's own stack starts at the chunk itself.
int traceback_guarded(lua_State* L) {
  // lstdlib's db_traceback, plus the frame below a main chunk.
  int arg = 0;
  lua_State* traced = L;
  if (lua_isthread(L, 1)) {
    traced = lua_tothread(L, 1);
    arg = 1;
  }
  const char* msg = lua_tostring(L, arg + 1);
  if (msg == nullptr && !lua_isnoneornil(L, arg + 1)) {
    lua_pushvalue(L, arg + 1);  // a non-string message comes back untouched
    return 1;
  }
  const auto level = static_cast<int>(luaL_optinteger(L, arg + 2, traced == L ? 1 : 0));
  luaL_traceback(L, traced, msg, level);
  const Fiber* f = Scheduler::current(traced);
  if (f != nullptr && f->is_main) {
    lua_pushliteral(L, "\n\t[C]: in ?");
    lua_concat(L, 2);
  }
  return 1;
}

// os.exit(code, true) closes the state, and with it the pending to-be-closed
// variables of the main chunk, which live in its fiber: the fiber yields to the
// scheduler, which closes it and then the state. The original is upvalue 1.
int exit_guarded(lua_State* L) {
  Fiber* f = Scheduler::current(L);
  if (f == nullptr || !lua_toboolean(L, 2) || !lua_isyieldable(L)) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
  }
  int status = EXIT_SUCCESS;
  if (lua_isboolean(L, 1)) {
    status = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
  } else {
    status = static_cast<int>(luaL_optinteger(L, 1, EXIT_SUCCESS));
  }
  f->scheduler->request_exit(f, status);
  return lua_yield(L, 0);
}

void wrap_field(lua_State* L, const char* name, lua_CFunction wrapper) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, -2, name);
}

void adjust_standard_library(lua_State* L) {
  lua_getglobal(L, "debug");
  if (lua_istable(L, -1)) {
    lua_pushcfunction(L, traceback_guarded);
    lua_setfield(L, -2, "traceback");
  }
  lua_pop(L, 1);
  lua_getglobal(L, "os");
  if (lua_istable(L, -1)) wrap_field(L, "exit", exit_guarded);
  lua_pop(L, 1);

  lua_getglobal(L, "coroutine");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  const luaL_Reg replaced[] = {
      {"yield", yield_guarded}, {"isyieldable", isyieldable_guarded}, {"running", running_guarded}};
  for (const auto& r : replaced) {
    lua_pushcfunction(L, r.func);
    lua_setfield(L, -2, r.name);
  }
  for (const char* name : {"resume", "close"}) wrap_field(L, name, resume_guarded);
  lua_pop(L, 1);
}

}  // namespace

int open_async(lua_State* L) {
  adjust_standard_library(L);

  luaL_getmetatable(L, kHandleMetatable);  // created by the scheduler
  const luaL_Reg meta[] = {{"__index", handle_index}, {"__tostring", handle_tostring}};
  for (const auto& r : meta) {
    lua_pushcfunction(L, r.func);
    lua_setfield(L, -2, r.name);
  }
  const luaL_Reg methods[] = {{"wait", handle_wait}, {"done", handle_done}, {nullptr, nullptr}};
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);

  const luaL_Reg functions[] = {{"spawn", async_spawn},
                                {"sleep", async_sleep},
                                {"all", async_all},
                                {"now", async_now},
                                {nullptr, nullptr}};
  luaL_newlib(L, functions);
  return 1;
}

}  // namespace reel::lua
