#include "bindings/scheduler.hpp"

#include <lua.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <new>

#include "bindings/errors.hpp"
#include "bindings/sandbox.hpp"

namespace reel::lua {

namespace {

constexpr const char* kSchedulerKey = "reel.scheduler";

// Shared with the SIGINT handler, hence plain atomics.
std::atomic<bool> g_interrupt{false};
std::atomic<lua_State*> g_running{nullptr};
std::atomic<uv_async_t*> g_interrupt_wakeup{nullptr};

Fiber*& fiber_slot(lua_State* L) {
  return *static_cast<Fiber**>(lua_getextraspace(L));
}

int handle_gc(lua_State* L) {
  static_cast<Fiber*>(luaL_checkudata(L, 1, kHandleMetatable))->~Fiber();
  return 0;
}

// Raised inside the running coroutine by the hook the SIGINT handler installs,
// so that a busy loop in Lua stops too (the same trick as lua.c).
void interrupt_hook(lua_State* L, lua_Debug*) {
  lua_sethook(L, nullptr, 0, 0);
  luaL_error(L, "interrupted!");
}

}  // namespace

int push_results(lua_State* L, const Fiber& fiber, int wanted) {
  luaL_checkstack(L, wanted, "too many results");
  const int first = lua_gettop(fiber.thread) - fiber.nresults + 1;
  for (int i = 0; i < wanted; ++i) {
    if (i < fiber.nresults) {
      lua_pushvalue(fiber.thread, first + i);
      lua_xmove(fiber.thread, L, 1);
    } else {
      lua_pushnil(L);
    }
  }
  return wanted;
}

Scheduler::Scheduler(lua_State* L, net::EventLoop& loop) : L_(L), loop_(loop) {
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kSchedulerKey);
  fiber_slot(L) = nullptr;  // threads copy the main thread's slot: "not a fiber"

  luaL_newmetatable(L, kHandleMetatable);
  lua_pushcfunction(L, handle_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  uv_async_init(loop_.get(), &interrupt_wakeup_, [](uv_async_t*) {});
  uv_unref(reinterpret_cast<uv_handle_t*>(&interrupt_wakeup_));  // must not keep the loop alive
  g_interrupt_wakeup = &interrupt_wakeup_;
}

Scheduler::~Scheduler() {
  g_interrupt_wakeup = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&interrupt_wakeup_), nullptr);
  uv_run(loop_.get(), UV_RUN_NOWAIT);
}

Scheduler& Scheduler::from(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kSchedulerKey);
  auto* s = static_cast<Scheduler*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return *s;
}

Fiber* Scheduler::current(lua_State* L) {
  return fiber_slot(L);
}

Fiber* Scheduler::spawn(lua_State* L, int nargs) {
  // stack: fn args... -> handle
  auto* fiber = new (lua_newuserdatauv(L, sizeof(Fiber), 1)) Fiber{};
  luaL_setmetatable(L, kHandleMetatable);
  lua_State* co = lua_newthread(L);
  fiber_slot(co) = fiber;
  lua_setiuservalue(L, -2, 1);  // the handle keeps its coroutine alive
  lua_insert(L, -(nargs + 2));
  lua_xmove(L, co, nargs + 1);

  fiber->scheduler = this;
  fiber->thread = co;
  fiber->start_args = nargs;
  lua_pushvalue(L, -1);
  fiber->anchor = luaL_ref(L, LUA_REGISTRYINDEX);
  ++live_;
  ready_.push_back(fiber);
  return fiber;
}

Wake Scheduler::suspend(Fiber* fiber) {
  fiber->state = Fiber::State::suspended;
  return Wake{fiber, ++fiber->suspension};
}

void Scheduler::wake(Wake w) {
  Fiber* f = w.fiber;
  if (f == nullptr || f->state != Fiber::State::suspended || f->suspension != w.suspension) return;
  f->state = Fiber::State::ready;
  ready_.push_back(f);
  // A wake from a callback that runs before libuv polls (a timer that came
  // due while Lua ran) would otherwise be followed by a blocking poll;
  // uv_stop makes this turn's poll return at once.
  uv_stop(loop_.get());
}

void Scheduler::request_exit(Fiber* fiber, int status) {
  exiting_ = fiber;
  exit_status_ = status;
}

void Scheduler::observe(Fiber* fiber) {
  if (fiber->observed) return;
  fiber->observed = true;
  auto it = std::find(unobserved_.begin(), unobserved_.end(), fiber);
  if (it == unobserved_.end()) return;
  unobserved_.erase(it);
  luaL_unref(L_, LUA_REGISTRYINDEX, fiber->anchor);
  fiber->anchor = LUA_NOREF;
}

void Scheduler::step(Fiber* fiber) {
  const int nargs = fiber->start_args;
  fiber->start_args = 0;
  fiber->state = Fiber::State::running;
  int nresults = 0;
  g_running = fiber->thread;
  const int status = lua_resume(fiber->thread, L_, nargs, &nresults);
  g_running = nullptr;

  if (status == LUA_YIELD && exiting_ == fiber) {
    lua_resetthread(fiber->thread);
    lua_close(L_);
    std::exit(exit_status_);
  }
  if (status == LUA_YIELD) {
    lua_pop(fiber->thread, nresults);
    if (fiber->state == Fiber::State::suspended) return;  // an async call is waiting
    // Something yielded without going through the scheduler (a coroutine.yield
    // saved before reel replaced it): lua5.4 would refuse it, so do we.
    constexpr const char* kMessage = "attempt to yield from outside a coroutine";
    lua_resetthread(fiber->thread);
    lua_pushstring(fiber->thread, kMessage);
    fiber->traceback = kMessage;
    finish(fiber, Fiber::State::failed);
  } else if (status == LUA_OK) {
    fiber->nresults = nresults;
    finish(fiber, Fiber::State::done);
  } else {
    explain_limit_error(L_, fiber->thread, status);  // "not enough memory" -> the sandbox's limit
    fail(fiber);
  }
}

void Scheduler::fail(Fiber* fiber) {
  fiber->traceback = describe_error(L_, fiber->thread, fiber->is_main);
  // Close pending to-be-closed variables; the error object stays on top.
  lua_resetthread(fiber->thread);
  finish(fiber, Fiber::State::failed);
}

void Scheduler::finish(Fiber* fiber, Fiber::State state) {
  fiber->state = state;
  fiber->finished_at = ++finished_count_;
  --live_;
  const bool failed = state == Fiber::State::failed;
  for (const Waiter& w : fiber->waiters) {
    if (w.join == nullptr) {
      wake(w.wake);
      continue;
    }
    Join& join = *w.join;
    --join.remaining;
    if (failed && join.first_failure == nullptr) join.first_failure = fiber;
    if (join.remaining == 0 || join.first_failure != nullptr) wake(join.wake);
  }
  fiber->waiters.clear();
  fiber->waiters.shrink_to_fit();
  if (failed && !fiber->observed && !fiber->is_main) {
    unobserved_.push_back(fiber);  // stays anchored until someone takes the error
    return;
  }
  luaL_unref(L_, LUA_REGISTRYINDEX, fiber->anchor);
  fiber->anchor = LUA_NOREF;
}

RunStatus Scheduler::run(const Fiber* target) {
  auto finished = [&] { return target != nullptr ? target->finished() : live_ == 0; };
  while (!finished()) {
    if (g_interrupt) return RunStatus::interrupted;
    if (!ready_.empty()) {
      Fiber* next = ready_.front();
      ready_.pop_front();
      step(next);
      continue;
    }
    if (!loop_.alive()) return RunStatus::deadlock;
    loop_.run_once();
  }
  if (g_interrupt) return RunStatus::interrupted;
  return target != nullptr && target->state == Fiber::State::failed ? RunStatus::failed
                                                                    : RunStatus::ok;
}

void Scheduler::step_ready() {
  for (size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    Fiber* next = ready_.front();
    ready_.pop_front();
    step(next);
  }
}

void Scheduler::abandon(Fiber* fiber) {
  if (fiber->finished()) return;
  ready_.erase(std::remove(ready_.begin(), ready_.end(), fiber), ready_.end());
  lua_resetthread(fiber->thread);  // runs its pending to-be-closed variables
  fiber->state = Fiber::State::failed;
  fiber->observed = true;
  fiber->finished_at = ++finished_count_;
  --live_;
  // Still anchored (never unref'd): a timer or a task may hold a Wake for it.
}

RunStatus Scheduler::run_until(Fiber* fiber) {
  return run(fiber);
}

RunStatus Scheduler::drain() {
  return run(nullptr);
}

void Scheduler::request_interrupt() {
  g_interrupt = true;
  if (lua_State* L = g_running.load()) {
    lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
  }
  if (uv_async_t* a = g_interrupt_wakeup.load()) uv_async_send(a);
}

bool Scheduler::interrupt_requested() {
  return g_interrupt;
}

void Scheduler::clear_interrupt() {
  g_interrupt = false;
}

Fiber* running_fiber(lua_State* L, const char* what) {
  Fiber* self = Scheduler::current(L);
  if (self == nullptr) {
    luaL_error(L,
               "%s: called inside a coroutine that reel does not schedule; call it from the "
               "main chunk or from a function started with async.spawn",
               what);
  }
  if (!lua_isyieldable(L)) {
    luaL_error(L,
               "%s: cannot wait here: the call is inside a C function that cannot be "
               "suspended (require, a metamethod, table.sort...); wait from the chunk or "
               "from a function called after it returns",
               what);
  }
  return self;
}

}  // namespace reel::lua
