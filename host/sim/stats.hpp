// Request counters for GET /_sim/stats: requests by route and status, so that
// tests can prove what the server received (and that nothing was paid twice).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace reel::sim {

class RequestStats {
 public:
  void record(const std::string& route, const std::string& status);
  std::map<std::string, std::map<std::string, int64_t>> snapshot() const;
  int64_t total() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, int64_t>> counts_;
  int64_t total_ = 0;
};

// "POST /ent/v2/text2video", "GET /ent/v2/tasks/{id}/creations", "GET /files", ...
std::string route_of(const std::string& method, const std::string& path);

}  // namespace reel::sim
