// See stats.hpp.
#include "host/sim/stats.hpp"

namespace reel::sim {

void RequestStats::record(const std::string& route, const std::string& status) {
  std::lock_guard lock(mutex_);
  ++counts_[route][status];
  ++total_;
}

std::map<std::string, std::map<std::string, int64_t>> RequestStats::snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

int64_t RequestStats::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::string route_of(const std::string& method, const std::string& path) {
  auto starts = [&](const char* prefix) { return path.rfind(prefix, 0) == 0; };
  if (starts("/files/")) return method + " /files";
  const std::string tasks = "/ent/v2/tasks/";
  if (starts(tasks.c_str())) {
    size_t slash = path.find('/', tasks.size());
    if (slash != std::string::npos) return method + " /ent/v2/tasks/{id}" + path.substr(slash);
  }
  const std::string vtrix_task = "/model/v1/generation/task/";
  if (starts(vtrix_task.c_str())) return method + " " + vtrix_task + "{id}";
  if (starts("/ent/v2/") || starts("/model/v1/") || starts("/_sim/")) return method + " " + path;
  return method + " (other)";
}

}  // namespace reel::sim
