// `reel run --plan` (DESIGN.md): while REEL_PLAN is set, every request the
// script submits is printed as one line with its credits and counted; the
// command line prints the total at the end (reel_plan_totals).
#include "bindings/vidu_plan.hpp"

#include <lua.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bindings/vidu_request.hpp"

namespace reel::lua {

namespace {

// What the run asked for, counted while REEL_PLAN is set (`reel run --plan`)
// and read by the command line at the end (reel_plan_totals). Plain integers:
// read from an atexit handler too, after os.exit.
struct PlanTally {
  long long requests = 0;
  long long credits = 0;
};
PlanTally g_plan;

}  // namespace

bool planning() {
  const char* v = std::getenv("REEL_PLAN");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

namespace {

constexpr std::size_t kShownCodePoints = 100;  // a plan line stays readable

// A path in the --out folder (a throwaway one under --plan: files the run
// made itself, a storyboard's clips folder) is shown as "<out>/...", not
// under a temporary path.
std::string shown_path(const std::string& path) {
  const char* out = std::getenv("REEL_OUT");
  if (out == nullptr || *out == '\0') return path;
  std::string prefix = out;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (path == prefix) return "<out>";
  prefix += '/';
  return path.rfind(prefix, 0) == 0 ? "<out>/" + path.substr(prefix.size()) : path;
}

// A string option as the plan shows it: inline data by its type and size
// only, paths in --out as such, long text cut (by code points: options are
// valid UTF-8).
std::string shown_text(const std::string& given) {
  const std::string text = shown_path(given);
  if (text.rfind("data:", 0) == 0) {
    const std::size_t comma = text.find(',');
    const std::string head = text.substr(0, std::min<std::size_t>(comma, 40));
    return head + ",\u2026 (" + std::to_string(text.size()) + " bytes)";
  }
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen++ == kShownCodePoints) return text.substr(0, i) + "\u2026";
  }
  return text;
}

bool has_metatable(lua_State* L, int index, const char* registry_key) {
  if (!lua_getmetatable(L, index)) return false;
  lua_getfield(L, LUA_REGISTRYINDEX, registry_key);
  const bool same = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 2);
  return same;
}

std::string string_field(lua_State* L, int index, const char* key) {
  lua_getfield(L, index, key);
  std::string v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  return v;
}

// An option's value as the script gave it, for the plan line: a Clip by the
// name of its task ("clip:open"), a Frame by its file ("frame:<path>"),
// tables walked, strings shortened.
nlohmann::json shown_value(lua_State* L, int index, const TaskName& task_name, int depth) {
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
    case LUA_TSTRING:
      return shown_text(lua_tostring(L, index));
    case LUA_TNUMBER:
      if (lua_isinteger(L, index)) return static_cast<int64_t>(lua_tointeger(L, index));
      return lua_tonumber(L, index);
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) != 0;
    case LUA_TTABLE:
      break;
    default:
      return nullptr;  // json.null, the one other value a request takes
  }
  if (depth > 8) return "\u2026";
  if (has_metatable(L, index, kClipClassKey)) {
    const std::string id = string_field(L, index, "task_id");
    const std::string name = task_name(id);
    return "clip:" + (!name.empty() ? name : !id.empty() ? id : string_field(L, index, "path"));
  }
  if (has_metatable(L, index, "media.Frame"))  // media.cpp's luaL_newmetatable name
    return "frame:" + shown_path(string_field(L, index, "path"));
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  if (n > 0) {
    nlohmann::json list = nlohmann::json::array();
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, i);
      list.push_back(shown_value(L, -1, task_name, depth + 1));
      lua_pop(L, 1);
    }
    return list;
  }
  nlohmann::json object = nlohmann::json::object();
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING)
      object[lua_tostring(L, -2)] = shown_value(L, -1, task_name, depth + 1);
    lua_pop(L, 1);
  }
  return object;
}

}  // namespace

void print_plan_line(lua_State* L, int options, const std::string& name, const char* kind,
                     const std::string& model, int credits, const TaskName& task_name) {
  options = lua_absindex(L, options);
  nlohmann::json shown = nlohmann::json::object();
  lua_pushnil(L);
  while (lua_next(L, options) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      const std::string key = lua_tostring(L, -2);
      if (key != "name" && key != "model" && key != "out")
        shown[key] = shown_value(L, -1, task_name, 0);
    }
    lua_pop(L, 1);
  }
  ++g_plan.requests;
  g_plan.credits += credits;
  const auto json_text = [](const nlohmann::json& v) {
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  // A name with blanks is quoted, so the columns stay apart.
  const bool blank = name.find_first_of(" \t") != std::string::npos;
  const std::string column = blank ? json_text(name) : name;
  std::printf("plan: %s %s %s %s ~%d credits\n", column.c_str(), kind, model.c_str(),
              json_text(shown).c_str(), credits);
  std::fflush(stdout);
}

}  // namespace reel::lua

// `reel run --plan` reads what the run would have cost (host/cli/commands.cpp).
extern "C" __attribute__((visibility("default"))) void reel_plan_totals(long long* requests,
                                                                        long long* credits) {
  *requests = reel::lua::g_plan.requests;
  *credits = reel::lua::g_plan.credits;
}
