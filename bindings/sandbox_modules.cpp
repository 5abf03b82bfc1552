// reel's modules in the sandbox (sandbox.hpp): async.spawn charged and
// hooked like coroutine.create; reel.mkdir, and every media and vidu call
// that takes a path, held to the folders sandboxed code may use, whoever
// calls them on a sandboxed thread (reel's own Lua too: a Clip's methods
// call media.frame); for reel.sandbox, media and vidu seen read-only.
#include <lua.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bindings/sandbox_internal.hpp"
#include "bindings/scheduler.hpp"

namespace reel::lua::sandbox {

namespace {

namespace fs = std::filesystem;

// async.spawn: as coroutine.create (sandbox_library.cpp), for a task.
int sb_spawn(lua_State* L) {
  charge(L, kHookStep);
  const int n = call_original(L);
  auto* fiber = static_cast<Fiber*>(luaL_testudata(L, 1, kHandleMetatable));
  if (Limits* lim = limits_of(L); fiber != nullptr && lim != nullptr) {
    hook_thread(fiber->thread, *lim);
  }
  return n;
}

// --- media and vidu: the same folders -----------------------------------------------

// A path argument made plain: a table's `path` (a Clip, a Frame) read once, so
// that a metamethod cannot show the check one path and the module another.
void plain_path(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return;
  if (lua_getfield(L, idx, "path") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_newtable(L);  // no path: the module says so
  }
  lua_replace(L, idx);
}

void plain_list(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return;
  const lua_Integer n = luaL_len(L, idx);
  lua_createtable(L, n > 0 && n < 4096 ? static_cast<int>(n) : 0, 0);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    plain_path(L, lua_gettop(L));
    lua_rawseti(L, -2, i);
  }
  lua_replace(L, idx);
}

// media.frame's options, copied: `out` set to where the frame will go.
void plain_frame_options(lua_State* L) {
  if (!lua_isnil(L, 2) && !lua_istable(L, 2)) return;  // the module refuses it
  lua_createtable(L, 0, 4);
  if (lua_istable(L, 2)) {
    for (const char* key : {"at", "out", "width", "height"}) {
      lua_getfield(L, 2, key);
      lua_setfield(L, -2, key);
    }
  }
  if (lua_getfield(L, -1, "out") == LUA_TNIL && lua_type(L, 1) == LUA_TSTRING) {
    // media.cpp's default_frame_path: $REEL_OUT/frames/<stem>-<which>.png
    lua_getfield(L, -2, "at");
    char which[64] = "first";
    if (lua_type(L, -1) == LUA_TNUMBER) {
      std::snprintf(which, sizeof which, "at-%.3f", lua_tonumber(L, -1));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      std::snprintf(which, sizeof which, "%s", lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    {
      const std::string stem = fs::path(lua_tostring(L, 1)).stem().string();
      const std::string out =
          (fs::path(out_folder()) / "frames" / (stem + "-" + which + ".png")).string();
      lua_pushstring(L, out.c_str());
    }
    lua_setfield(L, -3, "out");
  }
  lua_pop(L, 1);
  lua_replace(L, 2);
}

struct Touch {
  std::string shown;
  std::string path;
  Access access;
};

void add_touch(lua_State* L, int idx, const char* who, const char* what, Access access,
               std::vector<Touch>& touches) {
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER) return;
  const std::string path = lua_tostring(L, idx);
  touches.push_back({std::string(who) + " " + what + " \"" + path + "\"", path, access});
}

bool all_permitted(lua_State* L, const std::vector<Touch>& touches) {
  for (const Touch& t : touches) {
    const std::string why = refusal(L, t.shown, t.path, t.access);
    if (!why.empty()) {
      lua_pushstring(L, why.c_str());
      return false;
    }
  }
  return true;
}

enum MediaCall { kProbe, kCheck, kFrame, kConcat, kStrip };
constexpr const char* kMediaCalls[] = {"probe", "check", "frame", "concat", "strip"};

bool media_permitted(lua_State* L, int call, const char* who) {
  std::vector<Touch> touches;
  if (call == kConcat || call == kStrip || (call == kCheck && lua_istable(L, 1))) {
    if (lua_istable(L, 1)) {
      for (lua_Integer i = 1; lua_rawgeti(L, 1, i) != LUA_TNIL; ++i) {
        add_touch(L, -1, who, "input", Access::read, touches);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
  } else {
    add_touch(L, 1, who, "input", Access::read, touches);
  }
  if (call == kConcat || call == kStrip) add_touch(L, 2, who, "output", Access::create, touches);
  if (call == kFrame && lua_istable(L, 2)) {
    lua_getfield(L, 2, "out");
    add_touch(L, -1, who, "out", Access::create, touches);
    lua_pop(L, 1);
  }
  return all_permitted(L, touches);
}

// A media function (upvalues: the original, which one, its name), checked
// when sandboxed code calls it, directly or through reel's Lua (Clip methods).
int guarded_media(lua_State* L) {
  if (!sandboxed(L)) return call_original(L);
  const auto call = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  const char* who = lua_tostring(L, lua_upvalueindex(3));
  lua_settop(L, 3);
  const bool pair = call == kCheck && lua_type(L, 2) == LUA_TSTRING &&
                    std::strcmp(lua_tostring(L, 2), "start_end") == 0;
  if (call == kConcat || call == kStrip || pair) {
    plain_list(L, 1);
  } else {
    plain_path(L, 1);
  }
  if (call == kFrame) plain_frame_options(L);
  if (!media_permitted(L, call, who)) return raise_violation(L);
  return call_original(L);
}

bool is_remote(const char* text) {
  return std::strncmp(text, "http://", 7) == 0 || std::strncmp(text, "https://", 8) == 0 ||
         std::strncmp(text, "data:", 5) == 0;
}

// One IMAGE or VIDEO of a vidu request: a path, or a Clip's or Frame's path.
// Raw reads: the module reads the options raw too (json.cpp, lua_next).
void add_media(lua_State* L, int idx, const char* who, const char* field,
               std::vector<Touch>& touches) {
  idx = lua_absindex(L, idx);
  if (lua_istable(L, idx)) {
    lua_pushliteral(L, "path");
    lua_rawget(L, idx);
  } else {
    lua_pushvalue(L, idx);
  }
  if (lua_type(L, -1) == LUA_TSTRING && !is_remote(lua_tostring(L, -1))) {
    add_touch(L, -1, who, field, Access::read, touches);
  }
  lua_pop(L, 1);
}

void add_media_list(lua_State* L, int idx, const char* who, const char* field,
                    std::vector<Touch>& touches) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) return;
  for (lua_Integer i = 1; lua_rawgeti(L, idx, i) != LUA_TNIL; ++i) {
    add_media(L, -1, who, field, touches);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

bool vidu_permitted(lua_State* L, int opts, const char* who) {
  std::vector<Touch> touches;
  for (const char* field :
       {"image", "first", "last", "video", "video_url", "start", "start_image"}) {
    lua_pushstring(L, field);
    lua_rawget(L, opts);
    add_media(L, -1, who, field, touches);
    lua_pop(L, 1);
  }
  for (const char* field : {"images", "videos"}) {
    lua_pushstring(L, field);
    lua_rawget(L, opts);
    add_media_list(L, -1, who, field, touches);
    lua_pop(L, 1);
  }
  for (const char* field : {"frames", "image_settings", "subjects"}) {
    lua_pushstring(L, field);
    lua_rawget(L, opts);
    const int list = lua_gettop(L);
    for (lua_Integer i = 1; lua_istable(L, list) && lua_rawgeti(L, list, i) != LUA_TNIL; ++i) {
      const int item = lua_gettop(L);
      if (lua_istable(L, item)) {
        for (const char* key : {"image", "key_image"}) {
          lua_pushstring(L, key);
          lua_rawget(L, item);
          add_media(L, -1, who, field, touches);
          lua_pop(L, 1);
        }
        for (const char* key : {"images", "videos"}) {
          lua_pushstring(L, key);
          lua_rawget(L, item);
          add_media_list(L, -1, who, field, touches);
          lua_pop(L, 1);
        }
      }
      lua_settop(L, list);
    }
    lua_settop(L, list - 1);
  }
  lua_pushliteral(L, "out");
  lua_rawget(L, opts);
  add_touch(L, -1, who, "out", Access::folder, touches);
  lua_pop(L, 1);
  return all_permitted(L, touches);
}

// A vidu call (upvalues: the original, the index of its options, its name).
int guarded_vidu(lua_State* L) {
  if (sandboxed(L)) {
    const int opts = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
    if (lua_istable(L, opts) && !vidu_permitted(L, opts, lua_tostring(L, lua_upvalueindex(3)))) {
      return raise_violation(L);
    }
  }
  return call_original(L);
}

int patch_media(lua_State* L) {
  for (int call = kProbe; call <= kStrip; ++call) {
    const char* name = kMediaCalls[call];
    if (lua_getfield(L, 1, name) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushinteger(L, call);
    lua_pushfstring(L, "media.%s", name);
    lua_pushcclosure(L, guarded_media, 3);
    lua_setfield(L, 1, name);
  }
  return 0;
}

int patch_vidu(lua_State* L) {
  struct Call {
    const char* name;
    int opts;  // the argument that holds the options
  };
  constexpr Call kCalls[] = {{"text2video", 1}, {"img2video", 1}, {"start_end", 1},
                             {"reference", 1},  {"extend", 1},    {"multiframe", 1},
                             {"validate", 2},   {"estimate", 2}};
  for (const Call& c : kCalls) {
    if (lua_getfield(L, 1, c.name) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushinteger(L, c.opts);
    lua_pushfstring(L, "vidu.%s", c.name);
    lua_pushcclosure(L, guarded_vidu, 3);
    lua_setfield(L, 1, c.name);
  }
  return 0;
}

// reel.mkdir (upvalue 1: the original): folders are made under --out only,
// as os.rename writes there.
int guarded_mkdir(lua_State* L) {
  if (sandboxed(L)) {
    const char* path = luaL_checkstring(L, 1);
    if (!permitted(L, "reel.mkdir", path, Access::folder)) return raise_violation(L, path);
  }
  return call_original(L);
}

// The lazy module's __index and __pairs (upvalue 1), then the patch
// (upvalue 2) on the module they loaded.
int patched_index(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 0);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 0);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}

int patched_pairs(lua_State* L) {
  lua_settop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 3);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 0);
  return 3;
}

// The real module (vidu, media) gets its functions wrapped in place: at once
// when it is loaded, else when its lazy proxy loads it. So reel's own Lua
// (a Clip's methods call media.frame) is held to the same folders.
void guard_module(lua_State* L, int loaded, const char* name, lua_CFunction patch) {
  const int top = lua_gettop(L);
  if (lua_getfield(L, loaded, name) != LUA_TTABLE) {
    lua_settop(L, top);
    return;
  }
  const int module = lua_gettop(L);
  if (luaL_getmetafield(L, module, "__index") != LUA_TFUNCTION) {
    lua_settop(L, module);
    lua_pushcfunction(L, patch);
    lua_pushvalue(L, module);
    lua_call(L, 1, 0);
  } else {
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -2);
    lua_pushcfunction(L, patch);
    lua_pushcclosure(L, patched_index, 2);
    lua_setfield(L, -2, "__index");
    if (luaL_getmetafield(L, module, "__pairs") != LUA_TNIL) {
      lua_pushcfunction(L, patch);
      lua_pushcclosure(L, patched_pairs, 2);
      lua_setfield(L, -2, "__pairs");
    }
    lua_setmetatable(L, module);
  }
  lua_settop(L, top);
}

}  // namespace

// --- the modules in the sandbox ---------------------------------------------------

// reel's modules: async with its spawn charged and hooked; reel.mkdir, vidu
// and media checked in place and, for reel.sandbox, vidu and media seen
// read-only.
void Builder::modules() {
  for (const char* name : {"async", "json", "reel"}) {
    lua_getfield(L, real_loaded, name);
    const int real = lua_gettop(L);
    if (lua_istable(L, real)) {
      // reel.mkdir is checked in place, as media and vidu are below.
      if (std::strcmp(name, "reel") == 0) wrap_field(L, real, real, "mkdir", guarded_mkdir);
      const int lib = library(real);
      if (std::strcmp(name, "async") == 0) wrap_field(L, lib, real, "spawn", sb_spawn);
      publish(name, real);
    }
    lua_settop(L, real - 1);
  }
  guard_module(L, real_loaded, "media", patch_media);
  guard_module(L, real_loaded, "vidu", patch_vidu);
  if (whole) return;
  for (const char* name : {"media", "vidu"}) {
    lua_getfield(L, real_loaded, name);
    const int real = lua_gettop(L);
    if (lua_istable(L, real)) {
      push_view(L, real);
      publish(name, real);
    }
    lua_settop(L, real - 1);
  }
}

}  // namespace reel::lua::sandbox
