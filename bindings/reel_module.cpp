// The `reel` module (reel_module.hpp). reel.mkdir is what a storyboard makes
// its folders with: plain Lua has no mkdir, and `os.execute("mkdir -p")` is
// refused under --sandbox, where reel.mkdir is held to --out instead
// (sandbox_modules.cpp).
#include "bindings/reel_module.hpp"

#include <lua.hpp>

#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>

#include "bindings/error_object.hpp"
#include "bindings/sandbox.hpp"
#include "bindings/searchers.hpp"

namespace reel::lua {

namespace {

namespace fs = std::filesystem;

// reel.mkdir(path) -> true: makes the folder and its parents, like mkdir -p;
// a folder already there is fine, anything else there is an OutputFailed
// error. The error is pushed in a scope of its own and raised after it, so no
// C++ object is alive across lua_error whichever way Lua raises.
int reel_mkdir(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  if (*path == '\0') return luaL_argerror(L, 1, "a folder's path, not an empty string");
  bool failed = false;
  {
    std::error_code ec;
    fs::create_directories(path, ec);  // false, and no error, for a folder already there
    std::error_code ignored;
    const fs::file_status st = fs::status(path, ignored);
    if (!fs::is_directory(st)) {
      std::string why = "a file of that name is in the way; remove it or choose another folder";
      if (!fs::exists(st)) {
        std::string reason = ec ? ec.message() : "it could not be made";
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
        why = reason +
              "; check that its parents are folders you may write to, or choose "
              "another folder";
      }
      ErrorInfo info;
      info.code = "OutputFailed";
      info.message = "reel.mkdir: cannot make the folder " + std::string(path) + ": " + why;
      info.path = path;
      push_error(L, info);
      failed = true;
    }
  }
  if (failed) return lua_error(L);
  lua_pushboolean(L, 1);
  return 1;
}

}  // namespace

int open_reel(lua_State* L) {
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, reel_sandbox);
  lua_setfield(L, -2, "sandbox");
  lua_pushcfunction(L, reel_mkdir);
  lua_setfield(L, -2, "mkdir");
  lua_pushstring(L, reel_version());
  lua_setfield(L, -2, "version");
  return 1;
}

}  // namespace reel::lua
