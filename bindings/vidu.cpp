// The `vidu` module's local part: vidu.validate, vidu.estimate, the vidu.Error
// class, and the checking every create call shares. Built into reel_vidu.so
// and loaded on first use (bindings/lazy_module); tasks are in vidu_tasks.cpp.
// The option mapping and the rules are host/vidu's (request.hpp,
// capabilities.hpp); this file converts the Lua table to JSON, probes local
// files on libuv's thread pool (host/media) and turns the FieldErrors into
// vidu.Error objects.
#include <lua.hpp>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bindings/error_object.hpp"
#include "bindings/json_value.hpp"
#include "bindings/offload.hpp"
#include "bindings/vidu_request.hpp"
#include "host/media/media.hpp"
#include "host/vidu/call_key.hpp"
#include "host/vidu/request.hpp"
#include "host/vidu/settings.hpp"

namespace reel::lua {

namespace {

using vidu::FieldError;

// validate/estimate(kind, opts): a wrong kind or a non-table is the
// programmer's mistake and raises at once.
vidu::Endpoint kind_argument(lua_State* L) {
  const char* kind = luaL_checkstring(L, 1);
  const auto endpoint = vidu::endpoint_from_kind(kind);
  if (!endpoint) {
    luaL_argerror(L, 1,
                  lua_pushfstring(L,
                                  "unknown kind \"%s\" (text2video, img2video, start_end, "
                                  "reference, extend or multiframe)",
                                  kind));
  }
  return *endpoint;
}

vidu::Endpoint check_kind(lua_State* L) {
  const vidu::Endpoint endpoint = kind_argument(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  return endpoint;
}

int push_names(lua_State* L, const std::vector<std::string>& names) {
  lua_createtable(L, static_cast<int>(names.size()), 0);
  for (size_t i = 0; i < names.size(); ++i) {
    lua_pushstring(L, names[i].c_str());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

// vidu.options(kind) -> every option name vidu.<kind>{} accepts, sorted (the
// REPL completes them; a library can check its own tables against them).
int options(lua_State* L) {
  return push_names(L, vidu::option_names(kind_argument(L)));
}

// vidu.models(kind) -> the models that make `kind` in the current dialect.
int models(lua_State* L) {
  const vidu::Endpoint endpoint = kind_argument(L);
  return push_names(L, vidu::models_for(endpoint, dialect_setting(L)));
}

// Probes and checks the local inputs; runs on a pool thread (no Lua).
struct Probed {
  std::vector<vidu::InputFacts> facts;
  std::vector<std::string> pair_problems;
};

Probed probe_inputs(const vidu::Request& request) {
  Probed out;
  std::vector<media::MediaInfo> infos;
  for (const auto& in : request.inputs) {
    vidu::InputFacts f;
    try {
      const media::MediaInfo info = media::probe(in.path);
      f.kind = info.kind;
      f.mime = info.mime;
      f.size = info.size;
      f.duration = info.duration;
      f.problems = media::check(info, *media::use_from_name(in.use));
      f.sha256 = vidu::file_sha256(in.path);  // the journal knows inputs by content
      infos.push_back(info);
    } catch (const media::MediaError& e) {
      f.unreadable = e.reason();
    }
    out.facts.push_back(std::move(f));
  }
  // §5: the two frames together, once each is fine on its own.
  const bool pair = request.endpoint == vidu::Endpoint::start_end2video &&
                    request.inputs.size() == 2 && infos.size() == 2 &&
                    out.facts[0].problems.empty() && out.facts[1].problems.empty();
  if (pair) out.pair_problems = media::check_start_end(infos[0], infos[1]);
  return out;
}

// Probing reports file problems as facts; anything it throws is a failure
// of reel or the machine (out of memory, ...), raised as a vidu.Error rather
// than left to unwind through Lua.
int raise_failure(lua_State* L, const std::exception_ptr& error) {
  ErrorInfo info;
  info.code = "MediaFailed";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    info.message = std::string("checking the request's files failed: ") + e.what();
  }
  return raise_error(L, info);
}

// validate/estimate(kind, opts), for the dialect --dialect chose.
int check_kind_request(lua_State* L, const char* who, CheckDone done) {
  const vidu::Endpoint endpoint = check_kind(L);
  return check_request(L, endpoint, 2, who, dialect_setting(L), done);
}

// vidu.validate(kind, opts) -> true | nil, err
int validate(lua_State* L) {
  return check_kind_request(L, "vidu.validate", [](lua_State* L, CheckedRequest& r) {
    const vidu::Checked& c = r.checked;
    if (c.errors.empty()) {
      lua_pushboolean(L, 1);
      return 1;
    }
    lua_pushnil(L);
    push_errors(L, c.errors);
    return 2;
  });
}

// vidu.estimate(kind, opts) -> credits; raises the vidu.Error when invalid
int estimate(lua_State* L) {
  return check_kind_request(L, "vidu.estimate", [](lua_State* L, CheckedRequest& r) {
    const vidu::Checked& c = r.checked;
    if (!c.errors.empty()) {
      push_errors(L, c.errors);
      return lua_error(L);
    }
    lua_pushinteger(L, *c.credits);
    return 1;
  });
}

// vidu.Error.is(x) -> whether x is a vidu.Error
int error_is(lua_State* L) {
  bool is = false;
  if (lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, kErrorMetatable);
    is = lua_rawequal(L, -1, -2) != 0;
    lua_pop(L, 2);
  }
  lua_pushboolean(L, is);
  return 1;
}

// vidu.Error.new{ code = "ShotInvalid", message = "...", field = ... }: Lua
// libraries (stdlib/) raise the same errors as the C++ modules. Every field
// given is kept; code and message are required.
int error_new(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  for (const char* key : {"code", "message"}) {
    if (lua_getfield(L, 1, key) != LUA_TSTRING)
      return luaL_error(L, "vidu.Error.new: '%s' must be a string", key);
    lua_pop(L, 1);
  }
  push_error(L, ErrorInfo{});
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -4);
  }
  return 1;
}

// The class is error_object's metatable; one throwaway error makes sure it
// exists with its __tostring.
void push_error_class(lua_State* L) {
  push_error(L, ErrorInfo{});
  lua_getmetatable(L, -1);
  lua_remove(L, -2);
  lua_pushcfunction(L, error_is);
  lua_setfield(L, -2, "is");
  lua_pushcfunction(L, error_new);
  lua_setfield(L, -2, "new");
}

}  // namespace

static void push_problem(lua_State* L, const FieldError& e) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, e.reason.c_str());
  lua_setfield(L, -2, "code");
  lua_pushstring(L, e.field.c_str());
  lua_setfield(L, -2, "field");
  lua_pushstring(L, e.message.c_str());
  lua_setfield(L, -2, "message");
}

void push_errors(lua_State* L, const std::vector<FieldError>& errors) {
  const FieldError& first = errors.front();
  ErrorInfo info;
  info.code = first.reason;
  info.field = first.field;
  info.message = first.message;
  if (errors.size() > 1) {
    info.message += " (and " + std::to_string(errors.size() - 1) + " more problem" +
                    (errors.size() > 2 ? "s" : "") + ", see err.problems)";
  }
  push_error(L, info);
  lua_pushinteger(L, first.http_status);
  lua_setfield(L, -2, "http_status");
  lua_createtable(L, static_cast<int>(errors.size()), 0);
  lua_Integer n = 0;
  for (const FieldError& e : errors) {
    push_problem(L, e);
    lua_rawseti(L, -2, ++n);
  }
  lua_setfield(L, -2, "problems");
}

int check_request(lua_State* L, vidu::Endpoint endpoint, int options, const char* who,
                  vidu::Dialect dialect, CheckDone done) {
  auto r = std::make_shared<CheckedRequest>();
  r->request = vidu::build_request(endpoint, to_json(L, options, who));
  if (r->request.inputs.empty()) {
    r->checked = vidu::finish(r->request, dialect);
    return done(L, *r);
  }
  auto probed = std::make_shared<Probed>();
  return run_in_pool(
      L, [r, probed] { *probed = probe_inputs(r->request); },
      [r, probed, done, dialect](lua_State* L, const std::exception_ptr& error) {
        if (error) return raise_failure(L, error);
        vidu::apply_inputs(r->request, probed->facts, probed->pair_problems);
        r->facts = probed->facts;
        r->checked = vidu::finish(r->request, dialect);
        return done(L, *r);
      });
}

vidu::Dialect dialect_setting(lua_State* L) {
  try {
    return vidu::dialect_from_env();
  } catch (const vidu::SettingError& e) {
    ErrorInfo info;
    info.code = e.code();
    info.message = e.what();
    raise_error(L, info);
  }
  return vidu::Dialect::vidu;  // not reached: raise_error does not return
}

}  // namespace reel::lua

// The entry point bindings/lazy_module looks up.
extern "C" __attribute__((visibility("default"))) int reel_open_vidu(lua_State* L) {
  reel::vidu::prepare_hashing();  // before any file is hashed on the thread pool
  const luaL_Reg functions[] = {
      {"validate", reel::lua::validate}, {"estimate", reel::lua::estimate},
      {"options", reel::lua::options},   {"models", reel::lua::models},
      {"journal", reel::lua::journal},   {nullptr, nullptr}};
  luaL_newlib(L, functions);
  reel::lua::push_error_class(L);
  lua_setfield(L, -2, "Error");
  reel::lua::add_task_functions(L);
  return 1;
}
