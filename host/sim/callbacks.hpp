// callback_url delivery (vidu-api.md §12): a POST of the task's query body on
// each pushed state change, signed per §12.2 with the creating token, retried three
// times on failure. libcurl on one sender thread, so that a task's callbacks
// arrive in order and the engine never waits for a receiver.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace reel::sim {

class CallbackSender {
 public:
  CallbackSender();
  ~CallbackSender();
  void start();
  void stop();  // drops undelivered callbacks

  void send(std::string url, std::string secret, std::string body);

  int64_t delivered() const;
  int64_t failed() const;  // gave up after all retries

 private:
  struct Job {
    std::string url;
    std::string secret;
    std::string body;
  };
  void run();
  bool post(const Job& job);
  bool wait_or_stop(int ms);  // false when stopping

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  int64_t delivered_ = 0;
  int64_t failed_ = 0;
  std::thread thread_;
};

}  // namespace reel::sim
