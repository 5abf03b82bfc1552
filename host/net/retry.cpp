// See retry.hpp.
#include "host/net/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace reel::net {

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

double backoff_delay(const RetryPolicy& policy, int next_attempt, std::mt19937_64& rng) {
  int exponent = std::max(0, next_attempt - 2);
  // Capped before pow can overflow: 2^64 times anything is past any cap.
  double ceiling = policy.base_delay * std::pow(policy.multiplier, std::min(exponent, 64));
  ceiling = std::clamp(ceiling, 0.0, std::max(0.0, policy.max_delay));
  if (ceiling <= 0) return 0;
  return std::uniform_real_distribution<double>(0.0, ceiling)(rng);
}

std::optional<double> parse_retry_after(std::string_view value, std::time_t now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    if (value.size() > 9) return 1e9;  // absurdly long; the caller's cap decides
    return std::stod(std::string(value));
  }
  // curl_getdate understands the three HTTP-date formats of RFC 9110 5.6.7.
  std::time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return std::max(0.0, std::difftime(when, now));
}

}  // namespace reel::net
