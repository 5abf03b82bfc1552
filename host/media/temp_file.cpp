#include "host/media/temp_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "host/process/process.hpp"

namespace reel::media {

namespace fs = std::filesystem;

namespace {

// Removes ".<name>.<pid>-<n>.part" files in `folder` whose process is gone.
void sweep_stale_parts(const fs::path& folder, const std::string& name) {
  const std::string prefix = "." + name + ".";
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file.size() <= prefix.size() + 5 || file.compare(0, prefix.size(), prefix) != 0 ||
        file.compare(file.size() - 5, 5, ".part") != 0)
      continue;
    char* rest = nullptr;
    const long pid = std::strtol(file.c_str() + prefix.size(), &rest, 10);
    if (rest == nullptr || *rest != '-' || pid == getpid() || process::running(pid)) continue;
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

}  // namespace

std::string temporary_path(const std::string& out) {
  static std::atomic<unsigned> counter{0};
  const fs::path path(out);
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const std::string name = path.filename().string();
  sweep_stale_parts(folder, name);
  return (path.parent_path() / ("." + name + "." + std::to_string(getpid()) + "-" +
                                std::to_string(counter++) + ".part"))
      .string();
}

}  // namespace reel::media
