#include "bindings/searchers.hpp"

#include <lua.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bindings/lua_cli.hpp"
#include "host/plugin/plugin.hpp"

namespace reel::lua {

namespace {

namespace fs = std::filesystem;

bool is_folder(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// "a.b" in `dir`: dir/a/b.lua, then dir/a/b/init.lua; "" when neither exists.
std::string find_module(const std::string& dir, std::string name) {
  for (char& c : name)
    if (c == '.') c = '/';
  for (const char* tail : {".lua", "/init.lua"}) {
    const std::string file = dir + "/" + name + tail;
    std::error_code ec;
    if (fs::is_regular_file(file, ec)) return file;
  }
  return "";
}

// "0.1.10" -> {0, 1, 10}; stops at the first part that is not a number.
std::vector<long> version_parts(const std::string& text) {
  std::vector<long> parts;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, '.')) {
    if (part.empty() || !std::isdigit(static_cast<unsigned char>(part[0]))) break;
    parts.push_back(std::strtol(part.c_str(), nullptr, 10));
  }
  return parts;
}

// The version a Lua file asks for with `_REEL_MIN_VERSION = "x.y"` (as a
// global or a table field), read without running it; "" when none.
std::string wanted_version(const std::string& file) {
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr std::string_view kName = "_REEL_MIN_VERSION";
  const size_t at = text.find(kName);
  if (at == std::string::npos) return "";
  size_t i = at + kName.size();
  auto skip_spaces = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  skip_spaces();
  if (i >= text.size() || text[i] != '=') return "";
  ++i;
  skip_spaces();
  if (i < text.size() && (text[i] == '"' || text[i] == '\'')) ++i;
  const size_t start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  return text.substr(start, i - start);
}

// Raises when the module `name` in `file` needs a newer reel.
void check_version(lua_State* L, const char* name, const std::string& file) {
  const std::string wanted = wanted_version(file);
  if (wanted.empty()) return;
  if (version_parts(wanted) <= version_parts(reel_version())) return;
  luaL_error(L,
             "module '%s' (%s) needs reel %s or newer (its _REEL_MIN_VERSION); this is reel %s: "
             "upgrade reel, or use a version of the library made for this one",
             name, file.c_str(), wanted.c_str(), reel_version());
}

// package.searchers protocol: the loader and its file, or nothing, so that
// require's "module not found" message stays lua5.4's (`reel --paths` lists
// these folders).
int load_from(lua_State* L, const std::vector<std::string>& folders) {
  const char* name = luaL_checkstring(L, 1);
  for (const std::string& dir : folders) {
    const std::string file = find_module(dir, name);
    if (file.empty()) continue;
    check_version(L, name, file);
    if (luaL_loadfilex(L, file.c_str(), "t") != LUA_OK) {
      return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file.c_str(),
                        lua_tostring(L, -1));
    }
    lua_pushstring(L, file.c_str());
    return 2;
  }
  lua_pushnil(L);
  return 1;
}

int search_libraries(lua_State* L) {
  return load_from(L, library_folders(L));
}

int search_stdlib(lua_State* L) {
  return load_from(L, plugin::stdlib_folders());
}

// Lua's own file searcher (upvalue 1), with the version check on what it finds.
int search_path_checked(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 2);
  if (lua_isfunction(L, -2) && lua_isstring(L, -1)) check_version(L, name, lua_tostring(L, -1));
  return 2;
}

}  // namespace

const char* reel_version() {
  return REEL_VERSION;
}

std::vector<std::string> library_folders(lua_State* L) {
  std::vector<std::string> folders;
  auto add = [&folders](const std::string& dir) {
    if (!dir.empty() && is_folder(dir)) folders.push_back(dir);
  };
  if (lua_getfield(L, LUA_REGISTRYINDEX, kScriptKey) == LUA_TSTRING) {
    const fs::path script = lua_tostring(L, -1);
    if (script.is_absolute()) {
      add(script.parent_path().string());
      add((script.parent_path() / "lib").string());
    }
  }
  lua_pop(L, 1);
  add("lib");
  // lua5.4's -E (no LUA_PATH) ignores REEL_PATH too.
  const bool no_env = lua_getfield(L, LUA_REGISTRYINDEX, "LUA_NOENV") != LUA_TNIL;
  lua_pop(L, 1);
  const char* list = no_env ? nullptr : std::getenv("REEL_PATH");
  if (list != nullptr) {
    std::istringstream in(list);
    std::string dir;
    while (std::getline(in, dir, ':')) add(dir);
  }
  return folders;
}

void add_searchers(lua_State* L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, -1));
  // Move Lua's own up by one and put the library folders at 2, after preload.
  for (lua_Integer i = n; i >= 2; --i) {
    lua_rawgeti(L, -1, i);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcfunction(L, search_libraries);
  lua_rawseti(L, -2, 2);
  lua_rawgeti(L, -1, 3);  // Lua's file searcher
  lua_pushcclosure(L, search_path_checked, 1);
  lua_rawseti(L, -2, 3);
  lua_pushcfunction(L, search_stdlib);
  lua_rawseti(L, -2, n + 2);
  lua_pop(L, 2);
}

}  // namespace reel::lua
