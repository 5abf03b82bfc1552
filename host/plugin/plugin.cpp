#include "host/plugin/plugin.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace reel::plugin {

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> search_folders() {
  if (const char* dir = std::getenv("REEL_PLUGIN_DIR"); dir != nullptr && *dir != '\0') {
    return {dir};
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {"."};
  return {exe.parent_path(), exe.parent_path().parent_path() / "lib" / "reel"};
}

void* open_module(const std::string& name) {
  std::string reasons;
  for (const fs::path& dir : search_folders()) {
    const fs::path file = dir / name;
    if (!fs::exists(file)) {
      reasons += "\n  " + file.string() + ": not there";
      continue;
    }
    if (void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    reasons += "\n  " + file.string() + ": " + dlerror();
  }
  throw std::runtime_error("cannot load reel's module " + name +
                           " (reinstall or rebuild reel); tried:" + reasons);
}

}  // namespace

void* symbol(const std::string& name, const char* symbol) {
  static std::mutex mutex;
  static std::map<std::string, void*> loaded;  // never unloaded: code may still run from it
  std::lock_guard lock(mutex);
  void*& handle = loaded[name];
  if (handle == nullptr) handle = open_module(name);
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    throw std::runtime_error("reel's module " + name + " lacks " + symbol +
                             " (it is from another build of reel; rebuild)");
  }
  return address;
}

std::vector<std::string> stdlib_folders() {
  if (const char* dir = std::getenv("REEL_STDLIB"); dir != nullptr && *dir != '\0') return {dir};
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path candidates[] = {
      ec ? fs::path() : exe.parent_path().parent_path() / "share" / "reel" / "lua",
      fs::path(REEL_STDLIB_SOURCE)};
  for (const fs::path& dir : candidates)
    if (!dir.empty() && fs::is_directory(dir, ec)) out.push_back(dir.string());
  return out;
}

}  // namespace reel::plugin
