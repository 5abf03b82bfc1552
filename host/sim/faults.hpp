// --faults SPEC: injected misbehaviour, deterministic for a given seed.
//
// Grammar: a comma-separated list of NAME=PROBABILITY[:ARG], probabilities in
// [0, 1], for example
//   429=0.1,500=0.05,502=0.02,503=0.02,drop=0.02,slow=0.1:2000,
//   fail=0.1,truncate=0.05,empty=0.02,corrupt=0.02,seed=7
// Per API request (/ent/v2/..., /model/v1/...; never /_sim or /files), one
// roll decides, in this order, before the request has any effect (so a
// faulted create never creates or charges):
//   429[:S]   HTTP 429 TooManyRequests with Retry-After: S seconds (default 1)
//   quota[:S] HTTP 429 QuotaExceeded with Retry-After: S (default 1)
//   500 502 503  HTTP 5xx with InternalServiceFailure (503 also Retry-After: 1)
//   drop      the connection is closed without an answer
// and independently:
//   slow[:MS] the (otherwise normal) answer comes MS milliseconds late (default 2000)
// Per task, decided at creation:
//   fail      the task ends failed with a documented err_code (refunded)
//   empty     the task succeeds with an empty video file
//   corrupt   the task succeeds with a file that is not a video
// Per task query or list answer that holds result URLs (both dialects):
//   expire    its result and cover URLs have already expired (a download gets
//             the 403 of an expired URL; a fresh query may give good ones).
//             These rolls have their own sequence, so which answers expire
//             depends only on the seed and their order, not on timing.
// Per result download (/files/...):
//   truncate  the full Content-Length is announced, half the bytes are sent
// seed=N fixes the random sequence (default 1).
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace reel::sim {

struct RequestFault {
  int status = 0;  // 0: none
  std::string reason;
  int retry_after = 0;
  bool drop = false;
  int delay_ms = 0;
};

struct TaskFault {
  std::string error;  // err_code to fail with, or ""
  bool empty = false;
  bool corrupt = false;
};

class Faults {
 public:
  explicit Faults(const std::string& spec);  // throws std::invalid_argument naming the bad item

  RequestFault for_request();
  TaskFault for_task();
  bool truncate_download();
  bool expire_urls();  // roll once per answer that holds result URLs
  bool any() const { return any_; }

 private:
  double roll();

  struct Rate {
    double p = 0;
    double arg = 0;
  };
  Rate r429_, quota_, r500_, r502_, r503_, drop_, slow_{0, 2000}, fail_, truncate_, empty_,
      corrupt_, expire_;
  bool any_ = false;
  std::mutex mutex_;
  std::mt19937_64 rng_;
  std::mt19937_64 expire_rng_;
};

}  // namespace reel::sim
