// vidu.journal{ limit = N }: the journal's most recent calls as Lua tables,
// read without making or changing a journal (the REPL's .tasks; a library
// that reports what was paid for). Needs no key.
#include <lua.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "bindings/error_object.hpp"
#include "bindings/vidu_request.hpp"
#include "host/journal/journal.hpp"
#include "host/vidu/settings.hpp"

namespace reel::lua {

namespace {

constexpr lua_Integer kDefaultLimit = 10;
constexpr lua_Integer kMaxLimit = 100000;

void set_text(lua_State* L, const char* key, const std::string& value) {
  if (value.empty()) return;
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

void set_number(lua_State* L, const char* key, double value) {
  lua_pushnumber(L, value);
  lua_setfield(L, -2, key);
}

void push_call(lua_State* L, const journal::Call& c) {
  lua_createtable(L, 0, 16);
  lua_pushinteger(L, c.id);
  lua_setfield(L, -2, "id");
  set_text(L, "script", c.script);
  set_text(L, "shot", c.shot);
  set_text(L, "kind", c.kind);
  set_text(L, "model", c.model);
  set_text(L, "task_id", c.task_id);
  set_text(L, "state", c.state);
  set_text(L, "err_code", c.err_code);
  if (c.credits) {
    lua_pushinteger(L, *c.credits);
    lua_setfield(L, -2, "credits");
  }
  set_text(L, "file", c.file);
  if (c.duration > 0) set_number(L, "duration", c.duration);
  set_number(L, "created_at", c.created_at);
  set_number(L, "updated_at", c.updated_at);
}

lua_Integer limit_option(lua_State* L) {
  if (lua_isnoneornil(L, 1)) return kDefaultLimit;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING || std::string(lua_tostring(L, -1)) != "limit")
      luaL_error(L, "vidu.journal: unknown option \"%s\" (limit)", luaL_tolstring(L, -1, nullptr));
  }
  lua_getfield(L, 1, "limit");
  if (lua_isnil(L, -1)) return kDefaultLimit;
  if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > kMaxLimit)
    luaL_error(L, "vidu.journal: limit must be a whole number from 1 to %d, got %s",
               static_cast<int>(kMaxLimit), luaL_tolstring(L, -1, nullptr));
  return lua_tointeger(L, -1);
}

}  // namespace

// vidu.journal{limit = 10} -> { call, ... } newest first, and the journal's
// path. A journal that does not exist yet lists as nothing.
int journal(lua_State* L) {
  const lua_Integer limit = limit_option(L);
  const std::string path = vidu::journal_path_from_env();
  std::vector<journal::Call> calls;
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) > 0) {
    try {
      journal::Journal j(path, journal::Journal::read_only);
      calls = j.list_by_creation(static_cast<int>(limit));
    } catch (const journal::JournalError& e) {
      return raise_error(L, ErrorInfo{"JournalFailed", e.what(), "", path, false});
    }
  }
  lua_createtable(L, static_cast<int>(calls.size()), 0);
  for (size_t i = 0; i < calls.size(); ++i) {
    push_call(L, calls[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_pushstring(L, path.c_str());
  return 2;
}

}  // namespace reel::lua
