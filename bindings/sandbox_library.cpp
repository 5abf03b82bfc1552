// The sandbox's base functions and standard libraries (sandbox.hpp): load,
// loadfile and dofile take text only and give chunks the sandbox's globals;
// getmetatable shows reel's metatables as read-only views; collectgarbage
// only collects; coroutines are hooked; io and os are held to the allowed
// folders, and what runs programs, ends reel or reaches past the sandbox
// (debug) is taken away.
#include <lua.hpp>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bindings/sandbox_internal.hpp"

namespace reel::lua::sandbox {

namespace {

constexpr const char* kWhyPrograms =
    "it runs other programs, which no sandbox can follow; do that outside the sandbox";
constexpr const char* kWhyExit = "it would end all of reel; return, or raise an error";
constexpr const char* kWhyTemp = "it makes a file outside --out; write under --out instead";
constexpr const char* kWhyDump = "a sandbox loads no binary chunks, so it makes none";
constexpr const char* kWhyDebug =
    "a sandbox keeps only debug.traceback of the debug library (the rest reaches past it)";

constexpr const char* kSafeBase[] = {
    "assert", "error",  "ipairs",   "next",     "pairs", "pcall",  "print", "rawequal", "rawget",
    "rawlen", "select", "tonumber", "tostring", "type",  "xpcall", "warn",  "_VERSION"};

// --- base functions ----------------------------------------------------------

bool is_binary_refusal(lua_State* L, int idx) {
  const char* message = lua_tostring(L, idx);
  return message != nullptr && std::strstr(message, "binary chunk") != nullptr;
}

int refuse_binary(lua_State* L, const char* who) {
  return refuse(L,
                "%s of a binary chunk is refused: precompiled code can break the Lua VM "
                "itself, so a sandbox loads source text only",
                who);
}

// load(chunk [, chunkname [, mode [, env]]]): text only; env defaults to the
// sandbox's globals. Upvalue 1: the original.
int sb_load(lua_State* L) {
  const int n = lua_gettop(L);
  if (n >= 3 && !lua_isnil(L, 3) && std::strchr(luaL_checkstring(L, 3), 't') == nullptr) {
    return refuse_binary(L, "load");
  }
  if (lua_type(L, 1) == LUA_TSTRING && lua_tostring(L, 1)[0] == LUA_SIGNATURE[0]) {
    return refuse_binary(L, "load");
  }
  lua_settop(L, 4);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_pushliteral(L, "t");
  if (n >= 4) {
    lua_pushvalue(L, 4);
  } else {
    push_part(L, "env");
  }
  lua_call(L, 4, 2);
  if (!lua_isnil(L, -2)) {
    lua_pop(L, 1);
    return 1;
  }
  if (is_binary_refusal(L, -1)) return refuse_binary(L, "load");
  return 2;
}

int sb_loadfile(lua_State* L) {
  const char* path = luaL_optstring(L, 1, nullptr);
  const char* mode = luaL_optstring(L, 2, "bt");
  const bool has_env = lua_gettop(L) >= 3;
  if (std::strchr(mode, 't') == nullptr) return refuse_binary(L, "loadfile");
  if (path != nullptr && !permitted(L, "loadfile", path, Access::read)) {
    return raise_violation(L, path);
  }
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    if (is_binary_refusal(L, -1)) return refuse_binary(L, "loadfile");
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  set_env(L, -1, has_env ? 3 : 0);
  return 1;
}

int dofile_done(lua_State* L, int, lua_KContext) {
  return lua_gettop(L) - 1;
}

int sb_dofile(lua_State* L) {
  const char* path = luaL_optstring(L, 1, nullptr);
  lua_settop(L, 1);
  if (path != nullptr && !permitted(L, "dofile", path, Access::read)) {
    return raise_violation(L, path);
  }
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    if (is_binary_refusal(L, -1)) return refuse_binary(L, "dofile");
    return lua_error(L);
  }
  set_env(L, -1, 0);
  lua_callk(L, 0, LUA_MULTRET, 0, dofile_done);
  return dofile_done(L, LUA_OK, 0);
}

int sb_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  bool allowed = false;
  for (const char* ok : {"collect", "step", "count", "isrunning"}) {
    allowed = allowed || std::strcmp(option, ok) == 0;
  }
  if (!allowed) {
    return refuse(L,
                  "collectgarbage(\"%s\") is refused: sandboxed code may only ask for "
                  "\"collect\", \"step\", \"count\" or \"isrunning\" (the collector's settings "
                  "are reel's)",
                  option);
  }
  // A full collection is C work the hook does not see: it is charged as
  // instructions, about one per 64 bytes the state holds.
  if (const Limits* lim = limits_of(L); lim != nullptr && std::strcmp(option, "collect") == 0) {
    charge(L, kHookStep + lim->used / 64);
  }
  return call_original(L);
}

int sb_getmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (!lua_getmetatable(L, 1)) {
    lua_pushnil(L);
    return 1;
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return 1;
  if (in_set(L, "owned", -1)) return 1;  // one sandboxed code set
  // Under --sandbox a table's metatable (a vidu.Error's, a Clip's) is shown
  // as it is: all the code is sandboxed, so nobody outside sees a change.
  // Strings and userdata (files, tasks) share theirs with reel's C code.
  const Limits* lim = limits_of(L);
  if (lim != nullptr && lim->whole && lua_istable(L, 1)) return 1;
  push_view(L, -1);
  return 1;
}

int sb_setmetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const int type = lua_type(L, 2);
  luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
  if (in_set(L, "protected", 1)) {
    return refuse(L,
                  "setmetatable on a table of reel's (seen read-only from the sandbox) is "
                  "refused; make a table of your own");
  }
  if (lua_getmetatable(L, 1)) {
    const bool owned = in_set(L, "owned", -1);
    lua_pop(L, 1);
    if (!owned) {
      return refuse(L,
                    "setmetatable would replace a metatable reel gave this table (a "
                    "vidu.Error, a Clip...); make a table of your own");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) {
      return luaL_error(L, "cannot change a protected metatable");
    }
  }
  if (type == LUA_TTABLE) {
    const Limits* lim = limits_of(L);
    lua_pushliteral(L, "__gc");
    const bool finalizer = lua_rawget(L, 2) != LUA_TNIL;
    lua_pop(L, 1);
    // A finalizer runs on whatever thread collects, after the call is over.
    if (finalizer && (lim == nullptr || !lim->whole)) {
      return refuse(L,
                    "a __gc metamethod is refused in reel.sandbox: it would run later, "
                    "outside the sandboxed call; close things with <close> variables instead");
    }
    add_to_set(L, "owned", 2);
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

int sb_rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (in_set(L, "protected", 1)) {
    return refuse(L, "rawset on a table of reel's (seen read-only from the sandbox) is refused");
  }
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// coroutine.create/wrap and async.spawn: the new coroutine gets the hook
// even when its creator has none, and pays up front for the instructions it
// may run between two looks of the hook. Upvalue 1: the original.
int sb_co_create(lua_State* L) {
  charge(L, kHookStep);
  const int n = call_original(L);
  lua_State* co = lua_tothread(L, 1);
  if (Limits* lim = limits_of(L); co != nullptr && lim != nullptr) hook_thread(co, *lim);
  return n;
}

int sb_co_wrap(lua_State* L) {
  charge(L, kHookStep);
  const int n = call_original(L);
  if (lua_getupvalue(L, 1, 1) != nullptr) {  // coroutine.wrap's closure holds its coroutine
    lua_State* co = lua_tothread(L, -1);
    if (Limits* lim = limits_of(L); co != nullptr && lim != nullptr) hook_thread(co, *lim);
    lua_pop(L, 1);
  }
  return n;
}

// --- io and os ---------------------------------------------------------------------

int sb_io_open(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  const char* mode = luaL_optstring(L, 2, "r");
  const Access access = std::strpbrk(mode, "wa+") != nullptr ? Access::create : Access::read;
  if (!permitted(L, "io.open", path, access)) return raise_violation(L, path);
  return call_original(L);
}

int sb_io_lines(lua_State* L) {
  if (lua_isnoneornil(L, 1)) return call_original(L);
  const char* path = luaL_checkstring(L, 1);
  if (!permitted(L, "io.lines", path, Access::read)) return raise_violation(L, path);
  return call_original(L);
}

int sb_io_input(lua_State* L) {
  const char* path = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : nullptr;
  if (path != nullptr && !permitted(L, "io.input", path, Access::read)) {
    return raise_violation(L, path);
  }
  return call_original(L);
}

int sb_io_output(lua_State* L) {
  const char* path = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : nullptr;
  if (path != nullptr && !permitted(L, "io.output", path, Access::create)) {
    return raise_violation(L, path);
  }
  return call_original(L);
}

int sb_os_remove(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  if (!permitted(L, "os.remove", path, Access::write)) return raise_violation(L, path);
  return call_original(L);
}

int sb_os_rename(lua_State* L) {
  const char* from = luaL_checkstring(L, 1);
  const char* to = luaL_checkstring(L, 2);
  if (!permitted(L, "os.rename", from, Access::write)) return raise_violation(L, from);
  if (!permitted(L, "os.rename", to, Access::write)) return raise_violation(L, to);
  return call_original(L);
}

bool secret_name(const char* name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* word : {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

// The API key (VIDU_API_KEY, REEL_KEY_FILE) and anything named like a secret
// read as unset.
int sb_getenv(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  const char* value = secret_name(name) ? nullptr : std::getenv(name);
  if (value == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushstring(L, value);
  }
  return 1;
}

int sb_setlocale(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) {
    return refuse(L,
                  "os.setlocale(\"%s\") would change the locale of all of reel; sandboxed "
                  "code may only ask for it (os.setlocale())",
                  luaL_tolstring(L, 1, nullptr));
  }
  return call_original(L);
}

}  // namespace

// --- the libraries in the sandbox ----------------------------------------------

void Builder::base(int globals) {
  if (!whole) {
    for (const char* name : kSafeBase) {
      lua_getfield(L, globals, name);
      lua_setfield(L, env, name);
    }
  }
  wrap_field(L, env, globals, "load", sb_load);
  wrap_field(L, env, globals, "collectgarbage", sb_collectgarbage);
  const luaL_Reg own[] = {{"loadfile", sb_loadfile},         {"dofile", sb_dofile},
                          {"require", sb_require},           {"getmetatable", sb_getmetatable},
                          {"setmetatable", sb_setmetatable}, {"rawset", sb_rawset}};
  for (const auto& r : own) {
    lua_pushcfunction(L, r.func);
    lua_setfield(L, env, r.name);
  }
  lua_pushvalue(L, env);
  publish("_G", globals);
}

void Builder::libraries() {
  for (const char* name : {"string", "table", "math", "utf8", "coroutine"}) {
    lua_getfield(L, real_loaded, name);
    const int real = lua_gettop(L);
    if (!lua_istable(L, real)) {
      lua_pop(L, 1);
      continue;
    }
    const int lib = library(real);
    if (std::strcmp(name, "string") == 0) set_refused(L, lib, "string.dump", "dump", kWhyDump);
    if (std::strcmp(name, "coroutine") == 0) {
      wrap_field(L, lib, real, "create", sb_co_create);
      wrap_field(L, lib, real, "wrap", sb_co_wrap);
    }
    publish(name, real);
    lua_settop(L, real - 1);
  }
}

void Builder::io() {
  lua_getfield(L, real_loaded, "io");
  const int real = lua_gettop(L);
  copy_table(L, real);
  const int lib = real + 1;
  const luaL_Reg checked[] = {{"open", sb_io_open},
                              {"lines", sb_io_lines},
                              {"input", sb_io_input},
                              {"output", sb_io_output}};
  for (const auto& r : checked) wrap_field(L, lib, real, r.name, r.func);
  set_refused(L, lib, "io.popen", "popen", kWhyPrograms);
  set_refused(L, lib, "io.tmpfile", "tmpfile", kWhyTemp);
  publish("io", real);
  lua_settop(L, real - 1);
}

void Builder::os() {
  lua_getfield(L, real_loaded, "os");
  const int real = lua_gettop(L);
  lua_newtable(L);
  const int lib = real + 1;
  for (const char* name : {"clock", "date", "difftime", "time"}) {
    lua_getfield(L, real, name);
    lua_setfield(L, lib, name);
  }
  lua_pushcfunction(L, sb_getenv);
  lua_setfield(L, lib, "getenv");
  wrap_field(L, lib, real, "setlocale", sb_setlocale);
  wrap_field(L, lib, real, "remove", sb_os_remove);
  wrap_field(L, lib, real, "rename", sb_os_rename);
  set_refused(L, lib, "os.execute", "execute", kWhyPrograms);
  set_refused(L, lib, "os.exit", "exit", kWhyExit);
  set_refused(L, lib, "os.tmpname", "tmpname", kWhyTemp);
  publish("os", real);
  lua_settop(L, real - 1);
}

void Builder::debug() {
  lua_getfield(L, real_loaded, "debug");
  const int real = lua_gettop(L);
  lua_newtable(L);
  const int lib = real + 1;
  lua_pushnil(L);
  while (lua_next(L, real) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) continue;
    const char* name = lua_tostring(L, -1);
    if (std::strcmp(name, "traceback") == 0) {
      lua_getfield(L, real, name);
      lua_setfield(L, lib, name);
    } else {
      lua_pushfstring(L, "debug.%s", name);
      set_refused(L, lib, lua_tostring(L, -1), name, kWhyDebug);
      lua_pop(L, 1);
    }
  }
  publish("debug", real);
  lua_settop(L, real - 1);
}

}  // namespace reel::lua::sandbox
