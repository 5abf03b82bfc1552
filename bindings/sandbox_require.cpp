// require in the sandbox (sandbox.hpp): lua5.4's require over the sandbox's
// own package.loaded and searchers, which load Lua files only from the
// library folders, reel's stdlib and the folders package.path named when
// the sandbox was made, each chunk with the sandbox's globals; a C module is
// named in the refusal.
#include <unistd.h>
#include <lua.hpp>

#include <cstdio>
#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

#include "bindings/sandbox_internal.hpp"
#include "bindings/searchers.hpp"
#include "host/plugin/plugin.hpp"

namespace reel::lua::sandbox {

namespace {

namespace fs = std::filesystem;

constexpr const char* kWhyC = "C code can do anything, so a sandbox loads Lua modules only";

std::string module_path(const char* name) {
  std::string path = name;
  for (char& c : path) {
    if (c == '.') c = '/';
  }
  return path;
}

std::string fill_template(const std::string& pattern, const std::string& name) {
  std::string file;
  for (char c : pattern) {
    if (c == '?') {
      file += name;
    } else {
      file += c;
    }
  }
  return file;
}

std::vector<std::string> split(const std::string& list, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(separator, start);
    if (end == std::string::npos) end = list.size();
    if (end > start) parts.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// Replaces the file name on top by the loader (the file's chunk, with the
// sandbox's globals) and the file name, as package.searchers return them.
int load_module(lua_State* L, const char* name) {
  const char* file = lua_tostring(L, -1);
  if (luaL_loadfilex(L, file, "t") != LUA_OK) {
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file,
                      lua_tostring(L, -1));
  }
  set_env(L, -1, 0);
  lua_insert(L, -2);
  return 2;
}

int search_preload(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  push_part(L, "package");
  if (lua_getfield(L, -1, "preload") != LUA_TTABLE) {
    return luaL_error(L, "'package.preload' must be a table");
  }
  if (lua_getfield(L, -1, name) == LUA_TNIL) {
    lua_pushfstring(L, "no field package.preload['%s']", name);
    return 1;
  }
  lua_pushliteral(L, ":preload:");
  return 2;
}

// The library folders (searchers.hpp) or reel's stdlib, as reel's own
// searchers look there.
int search_folders(lua_State* L, bool stdlib) {
  const char* name = luaL_checkstring(L, 1);
  bool found = false;
  {
    const std::string relative = module_path(name);
    const std::vector<std::string> folders = stdlib ? plugin::stdlib_folders() : library_folders(L);
    for (size_t i = 0; i < folders.size() && !found; ++i) {
      for (const char* tail : {".lua", "/init.lua"}) {
        const std::string file = folders[i] + "/" + relative + tail;
        std::error_code ec;
        if (fs::is_regular_file(file, ec)) {
          lua_pushstring(L, file.c_str());
          found = true;
          break;
        }
      }
    }
  }
  if (!found) {
    lua_pushnil(L);
    return 1;
  }
  return load_module(L, name);
}

int search_libraries(lua_State* L) {
  return search_folders(L, false);
}

int search_stdlib(lua_State* L) {
  return search_folders(L, true);
}

// package.path, as Lua's own searcher reads it, for files in the folders it
// named when the sandbox was made or in the folders sandboxed code may read:
// changing package.path cannot reach further.
int search_path(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  push_part(L, "package");
  lua_getfield(L, -1, "path");
  const char* templates = lua_tostring(L, -1);
  if (templates == nullptr) return luaL_error(L, "'package.path' must be a string");
  push_part(L, "module_folders");
  const int listed = lua_gettop(L);
  bool found = false;
  {
    std::vector<std::string> folders;
    for (lua_Integer i = 1; lua_rawgeti(L, listed, i) == LUA_TSTRING; ++i) {
      folders.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    std::vector<std::string> readable;
    bool readable_known = false;
    std::string misses;
    for (const std::string& pattern : split(templates, ';')) {
      const std::string file = fill_template(pattern, module_path(name));
      bool allowed = false;
      const std::string plain = lexical(file);
      for (const std::string& dir : folders) allowed = allowed || inside(plain, dir);
      if (!allowed) {
        if (!readable_known) readable = readable_folders(L);
        readable_known = true;
        const std::string real = resolve(file);
        for (const std::string& dir : readable) allowed = allowed || inside(real, dir);
      }
      if (!allowed) {
        misses += "\n\tno file '" + file + "' (outside the folders a sandbox loads modules from)";
        continue;
      }
      if (FILE* f = std::fopen(file.c_str(), "r")) {
        std::fclose(f);
        lua_pushstring(L, file.c_str());
        found = true;
        break;
      }
      misses += "\n\tno file '" + file + "'";
    }
    if (!found) lua_pushstring(L, misses.size() > 2 ? misses.c_str() + 2 : "");
  }
  if (!found) return 1;
  return load_module(L, name);
}

// Last: a C module that require would have found is named in the refusal.
int search_c(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  push_part(L, "cpath");
  const char* templates = lua_tostring(L, -1);
  bool found = false;
  if (templates != nullptr) {
    std::string root = name;
    root = root.substr(0, root.find('.'));
    const std::vector<std::string> patterns = split(templates, ';');
    for (const std::string& wanted : {module_path(name), module_path(root.c_str())}) {
      for (const std::string& pattern : patterns) {
        const std::string file = fill_template(pattern, wanted);
        if (access(file.c_str(), F_OK) == 0) {
          lua_pushstring(L, file.c_str());
          found = true;
          break;
        }
      }
      if (found) break;
    }
  }
  if (found) {
    return refuse(L, "require(\"%s\") would load the C module %s; %s", name, lua_tostring(L, -1),
                  kWhyC);
  }
  lua_pushliteral(L, "no C module: a sandbox loads none (package.cpath is empty)");
  return 1;
}

// Folders of package.path's templates ("/usr/share/lua/5.4/?.lua" gives
// /usr/share/lua/5.4), where sandboxed require may still read modules.
void push_module_folders(lua_State* L, const char* path) {
  lua_newtable(L);
  lua_Integer n = 0;
  for (const std::string& pattern : split(path != nullptr ? path : "", ';')) {
    const std::string prefix = pattern.substr(0, pattern.find('?'));
    const size_t slash = prefix.rfind('/');
    std::string dir = slash == std::string::npos ? "." : prefix.substr(0, slash);
    if (dir.empty()) continue;  // "/": everything
    dir = lexical(dir);
    if (dir == "/") continue;
    lua_pushstring(L, dir.c_str());
    lua_rawseti(L, -2, ++n);
  }
}

}  // namespace

// lua5.4's require (loadlib.c), over the sandbox's package.loaded and
// package.searchers.
int sb_require(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  push_part(L, "loaded");  // 2
  lua_getfield(L, 2, name);
  if (lua_toboolean(L, -1)) return 1;
  lua_pop(L, 1);
  push_part(L, "package");
  if (lua_getfield(L, -1, "searchers") != LUA_TTABLE) {
    return luaL_error(L, "'package.searchers' must be a table");
  }
  lua_replace(L, 3);  // 3: searchers
  luaL_Buffer msg;
  luaL_buffinit(L, &msg);
  for (lua_Integer i = 1;; ++i) {
    luaL_addstring(&msg, "\n\t");
    if (lua_rawgeti(L, 3, i) == LUA_TNIL) {
      lua_pop(L, 1);
      luaL_buffsub(&msg, 2);
      luaL_pushresult(&msg);
      return luaL_error(L, "module '%s' not found:%s", name, lua_tostring(L, -1));
    }
    lua_pushstring(L, name);
    lua_call(L, 1, 2);
    if (lua_isfunction(L, -2)) break;
    if (lua_isstring(L, -2)) {
      lua_pop(L, 1);
      luaL_addvalue(&msg);
    } else {
      lua_pop(L, 2);
      luaL_buffsub(&msg, 2);
    }
  }
  lua_rotate(L, -2, 1);  // loader data, loader
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -3);
  lua_call(L, 2, 1);
  if (!lua_isnil(L, -1)) {
    lua_setfield(L, 2, name);
  } else {
    lua_pop(L, 1);
  }
  if (lua_getfield(L, 2, name) == LUA_TNIL) {
    lua_pushboolean(L, 1);
    lua_copy(L, -1, -2);
    lua_setfield(L, 2, name);
  }
  lua_rotate(L, -2, 1);
  return 2;
}

void Builder::package() {
  lua_getfield(L, real_loaded, "package");
  const int real = lua_gettop(L);
  lua_newtable(L);
  const int lib = real + 1;
  for (const char* name : {"path", "config", "searchpath"}) {
    lua_getfield(L, real, name);
    lua_setfield(L, lib, name);
  }
  lua_pushliteral(L, "");
  lua_setfield(L, lib, "cpath");
  lua_newtable(L);
  lua_setfield(L, lib, "preload");
  lua_pushvalue(L, loaded);
  lua_setfield(L, lib, "loaded");
  set_refused(L, lib, "package.loadlib", "loadlib", kWhyC);
  const lua_CFunction searchers[] = {search_preload, search_libraries, search_path, search_stdlib,
                                     search_c};
  lua_createtable(L, 5, 0);
  for (size_t i = 0; i < std::size(searchers); ++i) {
    lua_pushcfunction(L, searchers[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, lib, "searchers");
  lua_pushvalue(L, lib);
  lua_setfield(L, registry, "package");
  lua_getfield(L, real, "cpath");
  lua_setfield(L, registry, "cpath");
  lua_getfield(L, real, "path");
  push_module_folders(L, lua_tostring(L, -1));
  lua_setfield(L, registry, "module_folders");
  lua_pop(L, 1);
  publish("package", real);
  lua_settop(L, real - 1);
}

}  // namespace reel::lua::sandbox
