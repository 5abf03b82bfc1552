// Retry policy for HTTP transfers: which outcomes may be retried, and how long
// to wait before the next attempt. Pure functions, so they can be tested
// without a network.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace reel::net {

struct RetryPolicy {
  int max_attempts = 4;          // attempts in all, the first included; 1 disables retries
  double base_delay = 0.5;       // seconds; the first back-off is drawn from [0, base_delay]
  double multiplier = 2.0;       // growth of the back-off ceiling per attempt
  double max_delay = 30.0;       // cap of the back-off ceiling, seconds
  double max_retry_after = 120;  // a longer Retry-After is not waited for: the 429 is returned
  // A 429 says the server refused the request without acting on it (Vidu and
  // its simulator answer 429 before a create has any effect), so a POST may be
  // repeated safely. Turn off for servers that do not promise this.
  bool retry_post_on_429 = true;
};

// GET, HEAD, OPTIONS, PUT, DELETE: repeating them has the same effect as
// sending them once (RFC 9110 9.2.2), so a failure may always be retried.
bool is_idempotent(std::string_view method);

// The wait before attempt `next_attempt` (2 for the first retry): "full
// jitter", uniform in [0, min(max_delay, base_delay * multiplier^(n-2))], so
// that many clients failing together do not retry together.
double backoff_delay(const RetryPolicy& policy, int next_attempt, std::mt19937_64& rng);

// A Retry-After value in seconds from now: delta-seconds ("3") or an HTTP-date
// ("Wed, 21 Oct 2026 07:28:00 GMT", a past date reads as 0). nullopt when the
// value is neither.
std::optional<double> parse_retry_after(std::string_view value, std::time_t now);

}  // namespace reel::net
