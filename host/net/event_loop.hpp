// The process's one libuv loop. Everything that waits (timers, sockets, child
// processes, work on the thread pool) is a handle or request on this loop, and
// only the thread that runs it touches Lua.
#pragma once

#include <uv.h>

#include <functional>
#include <unordered_set>

namespace reel::net {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();  // closes every handle still open and lets their close callbacks run
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // True while some referenced handle or request can still produce an event.
  bool alive() const { return uv_loop_alive(&loop_) != 0; }

  // Waits for and dispatches at least one event (or returns at once if the
  // loop has nothing referenced).
  void run_once() { uv_run(&loop_, UV_RUN_ONCE); }

  // Calls `fn` once after `ms` milliseconds. The timer keeps the loop alive.
  void after(uint64_t ms, std::function<void()> fn);

 private:
  struct OneShot;
  static void close_one_shot(OneShot* shot);

  uv_loop_t loop_{};
  std::unordered_set<OneShot*> one_shots_;  // pending `after` timers, freed when they fire
};

}  // namespace reel::net
