// The folders the sandbox allows (sandbox.hpp): paths taken as the kernel
// would take them, and whether sandboxed code may read or write one.
#include <sys/stat.h>
#include <lua.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bindings/sandbox_internal.hpp"
#include "bindings/searchers.hpp"
#include "host/plugin/plugin.hpp"

namespace reel::lua::sandbox {

namespace {

namespace fs = std::filesystem;

std::string current_dir() {
  std::error_code ec;
  const std::string cwd = fs::current_path(ec).string();
  return ec ? "/" : cwd;
}

// Pushes the parts of `path` on `todo`, the first one last (on top).
void push_parts(std::vector<std::string>& todo, const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

bool is_key_file(const std::string& resolved) {
  const char* key_file = std::getenv("REEL_KEY_FILE");
  return key_file != nullptr && *key_file != '\0' && resolve(key_file) == resolved;
}

}  // namespace

// The file the kernel would reach: absolute, every symbolic link followed (a
// dangling one too, since opening it for writing creates its target), "." and
// ".." applied where they stand; parts that do not exist are kept as written.
// "" for a loop of links.
std::string resolve(const std::string& path) {
  std::string resolved = path.empty() || path[0] != '/' ? current_dir() : "";
  if (resolved == "/") resolved.clear();
  std::vector<std::string> todo;
  push_parts(todo, path);
  int links = 0;
  while (!todo.empty()) {
    const std::string part = todo.back();
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      const size_t slash = resolved.rfind('/');
      resolved.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    std::string next = resolved + "/" + part;
    struct stat st {};
    if (lstat(next.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const std::string target = fs::read_symlink(next, ec).string();
      if (ec || ++links > 40) return "";
      if (!target.empty() && target[0] == '/') resolved.clear();
      push_parts(todo, target);
      continue;
    }
    resolved = std::move(next);
  }
  return resolved.empty() ? "/" : resolved;
}

// Absolute, "." and ".." applied as written, no links followed.
std::string lexical(const std::string& path) {
  const fs::path p = fs::path(path).is_absolute() ? fs::path(path) : fs::path(current_dir()) / path;
  std::string text = p.lexically_normal().string();
  if (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

bool inside(const std::string& path, const std::string& dir) {
  if (dir.empty() || dir == "/" || path.empty()) return false;  // "/" would allow everything
  return path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string out_folder() {
  const char* out = std::getenv("REEL_OUT");
  return out != nullptr && *out != '\0' ? out : "out";
}

// Read lazily at each check: the script's folder is known only once it runs.
std::vector<std::string> readable_folders(lua_State* L) {
  std::vector<std::string> dirs;
  for (const std::string& dir : library_folders(L)) dirs.push_back(resolve(dir));
  for (const std::string& dir : plugin::stdlib_folders()) dirs.push_back(resolve(dir));
  dirs.push_back(resolve(out_folder()));
  return dirs;
}

// Why `shown` may not touch `path`, or "" when it may.
std::string refusal(lua_State* L, const std::string& shown, const std::string& path,
                    Access access) {
  const std::string real = resolve(path);
  const std::string leads =
      !real.empty() && real != lexical(path) ? " (it leads to " + real + ")" : "";
  if (access == Access::read) {
    if (is_key_file(real)) return shown + " is the API key file, which sandboxed code never reads";
    for (const std::string& dir : readable_folders(L)) {
      if (inside(real, dir)) return "";
    }
    return shown + leads +
           " is outside the folders sandboxed code may read (the script's folder, ./lib, "
           "REEL_PATH, reel's stdlib and --out); put the file in one of them";
  }
  const std::string out = resolve(out_folder());
  if (!inside(real, out) || (real == out && access != Access::folder)) {
    return shown + leads + " would write outside --out (" + out +
           "), the only folder sandboxed code may write to; write under --out";
  }
  struct stat st {};
  if (access == Access::create && stat(real.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      st.st_nlink > 1) {
    return shown +
           " is a hard link, and the same file may be outside --out; sandboxed code writes "
           "only files of its own";
  }
  return "";
}

// Whether `who("path")` may touch the file; when not, pushes why.
bool permitted(lua_State* L, const char* who, const char* path, Access access) {
  const std::string why = refusal(L, std::string(who) + "(\"" + path + "\")", path, access);
  if (why.empty()) return true;
  lua_pushstring(L, why.c_str());
  return false;
}

}  // namespace reel::lua::sandbox
