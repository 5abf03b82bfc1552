// Coroutines on the event loop.
//
// Every piece of Lua that reel runs (the main chunk, -e chunks, REPL lines,
// async.spawn tasks) is a *fiber*: a Lua coroutine the scheduler owns. A
// fiber that must wait suspends itself (Scheduler::suspend + lua_yieldk) and
// hands out a Wake ticket; whatever it waits on (a timer, another fiber, later
// an HTTP transfer) calls Scheduler::wake from a native callback, which only
// queues the fiber. The scheduler resumes queued fibers from its own loop, so
// native callbacks never run Lua directly.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "host/net/event_loop.hpp"

struct lua_State;

namespace reel::lua {

class Scheduler;

// The metatable of the handles async.spawn returns (methods: bindings/async.cpp).
inline constexpr const char* kHandleMetatable = "async.Handle";

// A ticket to resume one particular suspension of one fiber. Stale tickets
// (the fiber has been resumed since) are ignored, so a fiber may wait on
// several things at once and only the first to finish wakes it.
struct Wake {
  struct Fiber* fiber = nullptr;
  uint64_t suspension = 0;
};

// Several fibers awaited together (async.all): the waiting fiber is woken once,
// when all have finished or the first has failed.
struct Join {
  size_t remaining = 0;
  struct Fiber* first_failure = nullptr;
  Wake wake;
};

// An entry in a fiber's list of those waiting for it to finish.
struct Waiter {
  Wake wake;
  Join* join = nullptr;  // when set, the finish is counted here instead
};

struct Fiber {
  enum class State { ready, running, suspended, done, failed };

  Scheduler* scheduler = nullptr;
  lua_State* thread = nullptr;  // the coroutine; kept alive by the handle's user value
  int anchor = -2;              // registry ref to the handle while the fiber is unfinished
  State state = State::ready;
  int start_args = 0;           // arguments on the thread's stack for the first resume
  int nresults = 0;             // results left on the thread's stack when done
  uint64_t suspension = 0;      // bumped at every suspend, to recognise stale wakes
  uint64_t finished_at = 0;     // order of completion, so "the first error" is well defined
  bool observed = false;        // someone took its results or error
  bool is_main = false;         // a top-level chunk, shown to Lua as the main thread
  std::string traceback;        // for failed fibers: message and Lua traceback
  std::vector<Waiter> waiters;  // fibers waiting for this one to finish

  bool finished() const { return state == State::done || state == State::failed; }
};

// Pushes the first `wanted` results of a finished fiber onto L, nil for the
// missing ones; returns `wanted`.
int push_results(lua_State* L, const Fiber& fiber, int wanted);

// Why a drive of the loop stopped.
enum class RunStatus { ok, failed, interrupted, deadlock };

class Scheduler {
 public:
  Scheduler(lua_State* L, net::EventLoop& loop);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  static Scheduler& from(lua_State* L);  // the scheduler that owns L's state

  // The fiber running `L`, or nullptr when L is not a fiber (the main thread,
  // or a coroutine the script created itself).
  static Fiber* current(lua_State* L);

  // Makes a fiber of the function below `nargs` arguments on top of L's stack
  // (both are popped) and pushes its handle (an async.Handle userdata).
  Fiber* spawn(lua_State* L, int nargs);

  // Runs the loop until `fiber` has finished. Other fibers progress meanwhile.
  RunStatus run_until(Fiber* fiber);

  // Runs the loop until no fiber is left unfinished and nothing is pending.
  RunStatus drain();

  // For a loop of the caller's own (the REPL waiting for a key): whether a
  // fiber is ready, and running every fiber ready now, once each.
  bool has_ready() const { return !ready_.empty(); }
  void step_ready();

  // Gives up a fiber the REPL stopped waiting for (Ctrl-C during t:wait()):
  // it is closed and never resumed, whatever it waited on. It stays
  // allocated, since tickets to it may still be out.
  void abandon(Fiber* fiber);

  // Marks the running fiber as waiting and returns the ticket that resumes it.
  // The caller then yields with lua_yieldk(L, 0, ctx, continuation).
  Wake suspend(Fiber* fiber);
  void wake(Wake w);

  net::EventLoop& loop() { return loop_; }

  // os.exit(status, true) from `fiber`, which yields next: the scheduler
  // closes the fiber (its to-be-closed variables), then the state, and exits.
  void request_exit(Fiber* fiber, int status);

  // Failed fibers whose error nobody has taken yet; reported when the run ends.
  const std::vector<Fiber*>& unobserved_failures() const { return unobserved_; }
  // Someone took the fiber's results or error: it no longer needs reporting.
  void observe(Fiber* fiber);

  // Set from the SIGINT handler; checked between steps and after every resume.
  static void request_interrupt();
  static bool interrupt_requested();
  static void clear_interrupt();

 private:
  RunStatus run(const Fiber* target);
  void step(Fiber* fiber);
  void fail(Fiber* fiber);
  void finish(Fiber* fiber, Fiber::State state);

  lua_State* L_;
  net::EventLoop& loop_;
  std::deque<Fiber*> ready_;
  size_t live_ = 0;  // unfinished fibers (anchored in the registry)
  uint64_t finished_count_ = 0;
  std::vector<Fiber*> unobserved_;  // failed, still anchored until observed or reported
  uv_async_t interrupt_wakeup_{};
  Fiber* exiting_ = nullptr;
  int exit_status_ = 0;
};

// The fiber running L, for a call that is about to wait; raises a clear
// error where reel cannot suspend (inside a coroutine the script created
// itself, or behind a C boundary such as require or table.sort).
Fiber* running_fiber(lua_State* L, const char* what);

}  // namespace reel::lua
