#include "host/net/event_loop.hpp"

#include <stdexcept>
#include <string>

namespace reel::net {

struct EventLoop::OneShot {
  uv_timer_t timer{};
  EventLoop* owner = nullptr;
  std::function<void()> fn;
};

EventLoop::EventLoop() {
  if (int rc = uv_loop_init(&loop_); rc != 0) {
    throw std::runtime_error(std::string("cannot start the event loop: ") + uv_strerror(rc));
  }
}

EventLoop::~EventLoop() {
  for (OneShot* shot : one_shots_) close_one_shot(shot);
  one_shots_.clear();
  // Handles owned elsewhere are closed by their owners; anything left is closed
  // here so that uv_loop_close succeeds.
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  while (uv_run(&loop_, UV_RUN_NOWAIT) != 0) {
  }
  uv_loop_close(&loop_);
}

void EventLoop::close_one_shot(OneShot* shot) {
  uv_close(reinterpret_cast<uv_handle_t*>(&shot->timer),
           [](uv_handle_t* h) { delete static_cast<OneShot*>(h->data); });
}

void EventLoop::after(uint64_t ms, std::function<void()> fn) {
  auto* shot = new OneShot{{}, this, std::move(fn)};
  uv_timer_init(&loop_, &shot->timer);
  shot->timer.data = shot;
  one_shots_.insert(shot);
  // The loop's clock is cached per turn; refresh it so that the timer counts
  // from now and never fires early.
  uv_update_time(&loop_);
  uv_timer_start(
      &shot->timer,
      [](uv_timer_t* t) {
        auto* s = static_cast<OneShot*>(t->data);
        auto fn = std::move(s->fn);
        s->owner->one_shots_.erase(s);
        close_one_shot(s);
        fn();
      },
      ms, 0);
}

}  // namespace reel::net
