// One Lua state on one event loop: what every reel command runs Lua in.
#pragma once

#include <memory>

#include "bindings/scheduler.hpp"
#include "host/net/event_loop.hpp"

struct lua_State;

namespace reel::lua {

enum class Outcome { ok, error, interrupted };

class Runtime {
 public:
  Runtime();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  lua_State* state() { return L_; }
  static Runtime& from(lua_State* L);

  // The standard libraries and reel's modules (async, json), as globals and in
  // package.loaded. `ignore_env` is lua5.4's -E: LUA_PATH and LUA_CPATH are
  // not read. Call it in protected mode.
  void open_libraries(bool ignore_env);

  // Runs the function below `nargs` arguments on top of L's stack as a
  // top-level chunk in a fiber of its own, driving the loop until it ends
  // (lua.c's docall, with the scheduler underneath). On success leaves
  // `nresults` results (LUA_MULTRET for all); otherwise leaves the message
  // with its traceback. SIGINT interrupts it.
  Outcome call(int nargs, int nresults);

  // Lets tasks spawned by earlier chunks run to their end. Fails when one
  // failed and nobody waited for it, or when the rest can never finish.
  Outcome finish_background();

 private:
  net::EventLoop loop_;
  lua_State* L_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace reel::lua
