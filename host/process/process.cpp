#include "host/process/process.hpp"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace reel::process {

namespace {

// The fields of /proc/PID/stat after the command name (which may hold
// spaces and parentheses): field 3 first. "" when unreadable.
std::string stat_after_name(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 > stat.size() ? "" : stat.substr(close + 2);
}

}  // namespace

bool running(long pid) {
  if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  const std::string rest = stat_after_name(pid);
  return rest.empty() || (rest[0] != 'Z' && rest[0] != 'X');  // no /proc: trust kill()
}

std::string start_ticks(long pid) {
  std::istringstream rest(stat_after_name(pid));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

}  // namespace reel::process
