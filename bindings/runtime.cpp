#include "bindings/runtime.hpp"

#include <lua.hpp>

#include <csignal>
#include <new>
#include <string>

#include "bindings/lazy_module.hpp"
#include "bindings/modules.hpp"
#include "bindings/reel_module.hpp"
#include "bindings/sandbox.hpp"
#include "bindings/searchers.hpp"

namespace reel::lua {

namespace {

constexpr const char* kRuntimeKey = "reel.runtime";

void on_sigint(int) {
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once, as in lua.c
  Scheduler::request_interrupt();
}

// SIGINT interrupts the chunk while one runs, and only then (as in lua.c).
class InterruptScope {
 public:
  InterruptScope() { previous_ = std::signal(SIGINT, on_sigint); }
  ~InterruptScope() { std::signal(SIGINT, previous_); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  void (*previous_)(int) = SIG_DFL;
};

}  // namespace

Runtime::Runtime() : L_(luaL_newstate()) {
  if (L_ == nullptr) throw std::bad_alloc();
  scheduler_ = std::make_unique<Scheduler>(L_, loop_);
  lua_pushlightuserdata(L_, this);
  lua_setfield(L_, LUA_REGISTRYINDEX, kRuntimeKey);
}

Runtime::~Runtime() {
  lua_close(L_);  // __gc metamethods may still use the loop, so it outlives the state
  scheduler_.reset();
}

Runtime& Runtime::from(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRuntimeKey);
  auto* r = static_cast<Runtime*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return *r;
}

void Runtime::open_libraries(bool ignore_env) {
  lua_State* L = L_;
  if (ignore_env) {
    lua_pushboolean(L, 1);  // read by luaopen_package
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  const luaL_Reg modules[] = {{"async", open_async}, {"json", open_json}, {"reel", open_reel}};
  for (const auto& m : modules) {
    luaL_requiref(L, m.name, m.func, 1);
    lua_pop(L, 1);
  }
  add_lazy_module(L, "media", "reel_media.so", "reel_open_media");
  add_lazy_module(L, "vidu", "reel_vidu.so", "reel_open_vidu");
  add_searchers(L);
  if (sandbox_requested()) install_sandbox(L);  // last: it sees every library and module
}

Outcome Runtime::call(int nargs, int nresults) {
  lua_State* L = L_;
  Fiber* fiber = scheduler_->spawn(L, nargs);
  const int handle = lua_gettop(L);  // keeps the fiber alive until its outcome is taken
  fiber->is_main = true;
  RunStatus status;
  {
    InterruptScope interrupts;
    status = scheduler_->run_until(fiber);
  }

  Outcome outcome = Outcome::error;
  switch (status) {
    case RunStatus::ok:
      push_results(L, *fiber, nresults == LUA_MULTRET ? fiber->nresults : nresults);
      outcome = Outcome::ok;
      break;
    case RunStatus::failed:
      lua_pushstring(L, fiber->traceback.c_str());
      break;
    case RunStatus::interrupted:
      Scheduler::clear_interrupt();
      lua_pushstring(
          L, fiber->state == Fiber::State::failed ? fiber->traceback.c_str() : "interrupted!");
      // The chunk is over: whatever it waited on must not resume it later.
      scheduler_->abandon(fiber);
      outcome = Outcome::interrupted;
      break;
    case RunStatus::deadlock:
      lua_pushstring(L,
                     "the chunk is waiting for something that can never happen: no timer, "
                     "transfer or task is left that could wake it");
      break;
  }
  lua_remove(L, handle);
  return outcome;
}

Outcome Runtime::finish_background() {
  lua_State* L = L_;
  RunStatus status;
  {
    InterruptScope interrupts;
    status = scheduler_->drain();
  }
  if (status == RunStatus::interrupted) {
    Scheduler::clear_interrupt();
    lua_pushstring(L, "interrupted!");
    return Outcome::interrupted;
  }
  if (status == RunStatus::deadlock) {
    lua_pushstring(L,
                   "async tasks are still waiting at the end of the script and nothing can "
                   "wake them (do they wait for each other?)");
    return Outcome::error;
  }
  const auto& failures = scheduler_->unobserved_failures();
  if (failures.empty()) return Outcome::ok;
  std::string text = failures.size() == 1
                         ? "an async task failed and nobody waited for it: "
                         : std::to_string(failures.size()) +
                               " async tasks failed and nobody waited for them; the first: ";
  text += failures.front()->traceback;
  lua_pushstring(L, text.c_str());
  return Outcome::error;
}

}  // namespace reel::lua
