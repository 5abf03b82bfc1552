// The `media` module: host/media from Lua. Built into reel_media.so and
// loaded on first use (bindings/lazy_module). Every call runs its FFmpeg work
// on libuv's thread pool while the calling task waits.
#include <lua.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/error_object.hpp"
#include "bindings/offload.hpp"
#include "host/media/media.hpp"

namespace reel::lua {

namespace {

namespace fs = std::filesystem;
using media::MediaInfo;

constexpr const char* kFrameMetatable = "media.Frame";

// Raises the error `work` threw, as a vidu.Error naming the file.
int raise_from(lua_State* L, std::exception_ptr error) {
  ErrorInfo info;
  try {
    std::rethrow_exception(error);
  } catch (const media::MediaError& e) {
    info.code = "MediaInvalid";
    info.message = e.what();
    info.path = e.path();
  } catch (const std::exception& e) {
    info.code = "MediaFailed";
    info.message = e.what();
  }
  return raise_error(L, info);
}

// A path argument: a string, or anything with a `path` field (a Clip, a Frame).
std::string path_arg(lua_State* L, int idx, const char* what) {
  if (lua_type(L, idx) == LUA_TSTRING) return lua_tostring(L, idx);
  if (lua_istable(L, idx)) {
    lua_getfield(L, idx, "path");
    if (lua_type(L, -1) == LUA_TSTRING) {
      std::string path = lua_tostring(L, -1);
      lua_pop(L, 1);
      return path;
    }
    lua_pop(L, 1);
  }
  luaL_error(L, "%s: expected a file path or a clip, got a %s", what, luaL_typename(L, idx));
  return {};
}

void set_int(lua_State* L, const char* key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}
void set_num(lua_State* L, const char* key, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}
void set_str(lua_State* L, const char* key, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, key);
}

std::string ratio_text(const media::Rational& r) {
  return std::to_string(r.num) + ":" + std::to_string(r.den);
}

void push_info(lua_State* L, const MediaInfo& info) {
  lua_createtable(L, 0, 9);
  set_str(L, "path", info.path);
  set_str(L, "kind", info.kind);
  set_str(L, "format", info.format);
  set_str(L, "mime", info.mime);
  set_num(L, "duration", info.duration);
  set_int(L, "size", info.size);
  set_int(L, "bit_rate", info.bit_rate);
  if (const auto& v = info.video) {
    lua_createtable(L, 0, 11);
    set_str(L, "codec", v->codec);
    set_int(L, "width", v->width);
    set_int(L, "height", v->height);
    set_int(L, "coded_width", v->coded_width);
    set_int(L, "coded_height", v->coded_height);
    set_int(L, "rotation", v->rotation);
    set_str(L, "sar", ratio_text(v->sar));
    set_num(L, "fps", v->frame_rate.value());
    set_str(L, "frame_rate",
            std::to_string(v->frame_rate.num) + "/" + std::to_string(v->frame_rate.den));
    set_str(L, "pix_fmt", v->pix_fmt);
    set_int(L, "frames", v->frames);
    set_num(L, "duration", v->duration);
    lua_setfield(L, -2, "video");
  }
  if (const auto& a = info.audio) {
    lua_createtable(L, 0, 5);
    set_str(L, "codec", a->codec);
    set_int(L, "channels", a->channels);
    set_int(L, "sample_rate", a->sample_rate);
    set_str(L, "layout", a->layout);
    set_num(L, "duration", a->duration);
    lua_setfield(L, -2, "audio");
  }
}

// media.probe(path) -> facts
int probe(lua_State* L) {
  auto path = path_arg(L, 1, "media.probe");
  auto info = std::make_shared<MediaInfo>();
  return run_in_pool(
      L, [path, info] { *info = media::probe(path); },
      [info](lua_State* L, std::exception_ptr error) {
        if (error) return raise_from(L, error);
        push_info(L, *info);
        return 1;
      });
}

// media.check(path, use) or media.check({first, last}, "start_end")
//   -> true | nil, { problem, ... }
int check(lua_State* L) {
  const char* name = luaL_checkstring(L, 2);
  const auto use = media::use_from_name(name);
  if (!use) {
    return luaL_argerror(L, 2, "use must be \"extend\", \"reference\", \"image\" or \"start_end\"");
  }
  std::vector<std::string> paths;
  if (*use == media::Use::start_end) {
    luaL_argexpected(L, lua_istable(L, 1) && luaL_len(L, 1) == 2, 1,
                     "{first, last} (start_end checks two images)");
    for (int i = 1; i <= 2; ++i) {
      lua_rawgeti(L, 1, i);
      paths.push_back(path_arg(L, -1, "media.check"));
      lua_pop(L, 1);
    }
  } else {
    paths.push_back(path_arg(L, 1, "media.check"));
  }
  auto problems = std::make_shared<std::vector<std::string>>();
  return run_in_pool(
      L,
      [paths, use, problems] {
        std::vector<MediaInfo> infos;
        for (const auto& p : paths) {
          try {
            infos.push_back(media::probe(p));
          } catch (const media::MediaError& e) {
            problems->push_back(e.what());  // unreadable is a problem like any other
          }
        }
        if (!problems->empty()) return;
        *problems = *use == media::Use::start_end ? media::check_start_end(infos[0], infos[1])
                                                  : media::check(infos[0], *use);
      },
      [problems](lua_State* L, std::exception_ptr error) {
        if (error) return raise_from(L, error);
        if (problems->empty()) {
          lua_pushboolean(L, 1);
          return 1;
        }
        lua_pushnil(L);
        lua_createtable(L, static_cast<int>(problems->size()), 0);
        for (size_t i = 0; i < problems->size(); ++i) {
          lua_pushstring(L, (*problems)[i].c_str());
          lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
        }
        return 2;
      });
}

int frame_tostring(lua_State* L) {
  lua_getfield(L, 1, "width");
  lua_getfield(L, 1, "height");
  lua_getfield(L, 1, "time");
  lua_getfield(L, 1, "path");
  char text[64];  // lua_pushfstring has no precision for %f
  std::snprintf(text, sizeof text, "Frame %dx%d at %.3f s: ", static_cast<int>(lua_tointeger(L, 2)),
                static_cast<int>(lua_tointeger(L, 3)), lua_tonumber(L, 4));
  lua_pushstring(L, text);
  lua_pushvalue(L, 5);
  lua_concat(L, 2);
  return 1;
}

// Raises a vidu.Error (MediaInvalid) for a bad option, naming it.
[[noreturn]] void raise_option(lua_State* L, const char* key, const std::string& message) {
  ErrorInfo info;
  info.code = "MediaInvalid";
  info.message = message;
  info.field = key;
  raise_error(L, info);
  throw std::logic_error("raise_error returned");  // not reached: it raises
}

// Option `key` of the table at `idx`: absent or nil gives `fallback`, else a
// whole number of pixels in [lo, hi] (320.0 counts), checked at the call.
int pixels_option(lua_State* L, int idx, const char* fn, const char* key, int lo, int hi,
                  int fallback) {
  lua_getfield(L, idx, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return fallback;
  }
  const std::string rule =
      "use a whole number of pixels from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (lua_type(L, -1) != LUA_TNUMBER) {
    raise_option(L, key,
                 std::string(fn) + ": " + key + " must be a number of pixels, got a " +
                     luaL_typename(L, -1) + "; " + rule);
  }
  int is_integer = 0;
  const lua_Integer value = lua_tointegerx(L, -1, &is_integer);
  const std::string shown = luaL_tolstring(L, -1, nullptr);
  lua_pop(L, 2);
  if (!is_integer) {
    raise_option(L, key,
                 std::string(fn) + ": " + key + "=" + shown + " is not a whole number; " + rule);
  }
  if (value < lo || value > hi) {
    raise_option(L, key, std::string(fn) + ": " + key + "=" + shown + " is out of range; " + rule);
  }
  return static_cast<int>(value);
}

// Where a frame goes when the caller names no file:
// $REEL_OUT/frames/<stem>-<which>.png, so under --out (DESIGN.md: --out
// defaults to ./out). The sandbox (sandbox_modules.cpp) checks the same path.
std::string default_frame_path(const std::string& source, const std::string& which) {
  const char* env_out = std::getenv("REEL_OUT");
  const fs::path out = env_out != nullptr && *env_out != '\0' ? env_out : "out";
  return (out / "frames" / (fs::path(source).stem().string() + "-" + which + ".png")).string();
}

// media.frame(path, {at = seconds | "first" | "last", out = "x.png", width = W,
//                    height = H}) -> Frame; width and/or height scale it, aspect kept
int frame(lua_State* L) {
  auto path = path_arg(L, 1, "media.frame");
  media::FrameRequest request;
  std::string which = "first";
  std::string out;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "at");
    if (lua_type(L, -1) == LUA_TNUMBER) {
      request.where = media::FrameRequest::Where::at;
      request.at = lua_tonumber(L, -1);
      char label[32];
      std::snprintf(label, sizeof label, "at-%.3f", request.at);
      which = label;
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      which = lua_tostring(L, -1);
      if (which == "last") {
        request.where = media::FrameRequest::Where::last;
      } else if (which != "first") {
        return luaL_error(L, "media.frame: at must be \"first\", \"last\" or seconds, got \"%s\"",
                          which.c_str());
      }
    } else if (!lua_isnil(L, -1)) {
      return luaL_error(L, "media.frame: at must be \"first\", \"last\" or seconds, got a %s",
                        luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "out");
    if (!lua_isnil(L, -1)) out = luaL_checkstring(L, -1);
    lua_pop(L, 1);
    request.width = pixels_option(L, 2, "media.frame", "width", 1, media::kMaxFrameSide, 0);
    request.height = pixels_option(L, 2, "media.frame", "height", 1, media::kMaxFrameSide, 0);
  }
  if (out.empty()) out = default_frame_path(path, which);
  auto result = std::make_shared<media::Frame>();
  return run_in_pool(
      L,
      [path, request, out, result] {
        const fs::path folder = fs::path(out).parent_path();
        if (!folder.empty()) fs::create_directories(folder);
        *result = media::extract_frame(path, request, out);
      },
      [result](lua_State* L, std::exception_ptr error) {
        if (error) return raise_from(L, error);
        lua_createtable(L, 0, 4);
        set_str(L, "path", result->path);
        set_int(L, "width", result->width);
        set_int(L, "height", result->height);
        set_num(L, "time", result->time);
        if (luaL_newmetatable(L, kFrameMetatable)) {
          lua_pushcfunction(L, frame_tostring);
          lua_setfield(L, -2, "__tostring");
        }
        lua_setmetatable(L, -2);
        return 1;
      });
}

// media.concat({clip_or_path, ...}, out, {mode = "auto"|"copy"|"reencode"})
//   -> out, { duration = s, reencoded = { bool, ... } }
int concat(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  std::vector<std::string> inputs;
  const lua_Integer n = luaL_len(L, 1);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, 1, i);
    inputs.push_back(path_arg(L, -1, "media.concat"));
    lua_pop(L, 1);
  }
  if (inputs.empty()) return luaL_argerror(L, 1, "the list of clips is empty");
  std::string out = luaL_checkstring(L, 2);
  auto mode = media::ConcatMode::automatic;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "mode");
    if (!lua_isnil(L, -1)) {
      const std::string m = luaL_checkstring(L, -1);
      if (m == "copy") {
        mode = media::ConcatMode::copy;
      } else if (m == "reencode") {
        mode = media::ConcatMode::reencode;
      } else if (m != "auto") {
        return luaL_error(
            L, "media.concat: mode must be \"auto\", \"copy\" or \"reencode\", got \"%s\"",
            m.c_str());
      }
    }
    lua_pop(L, 1);
  }
  auto result = std::make_shared<media::ConcatResult>();
  return run_in_pool(
      L, [inputs, out, mode, result] { *result = media::concat(inputs, out, mode); },
      [result](lua_State* L, std::exception_ptr error) {
        if (error) return raise_from(L, error);
        lua_pushstring(L, result->path.c_str());
        lua_createtable(L, 0, 2);
        set_num(L, "duration", result->duration);
        lua_createtable(L, static_cast<int>(result->reencoded.size()), 0);
        for (size_t i = 0; i < result->reencoded.size(); ++i) {
          lua_pushboolean(L, result->reencoded[i]);
          lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
        }
        lua_setfield(L, -2, "reencoded");
        return 2;
      });
}

// media.strip({frame_or_path, ...}, out, {height = 180, gap = 4})
//   -> { path = out, width = W, height = H }
int strip(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  std::vector<std::string> pictures;
  const lua_Integer n = luaL_len(L, 1);
  for (lua_Integer i = 1; i <= n; ++i) {
    const int type = lua_rawgeti(L, 1, i);
    if (type == LUA_TTABLE) lua_getfield(L, -1, "path");  // a Frame
    if (lua_type(L, -1) != LUA_TSTRING) {
      raise_option(L, "pictures",
                   "media.strip: picture " + std::to_string(i) + " is a " + lua_typename(L, type) +
                       (type == LUA_TTABLE ? " with no path" : "") +
                       "; pass PNG or JPEG paths, or Frames from media.frame");
    }
    pictures.emplace_back(lua_tostring(L, -1));
    lua_pop(L, type == LUA_TTABLE ? 2 : 1);
  }
  if (pictures.empty()) {
    raise_option(L, "pictures",
                 "media.strip: the list of pictures is empty; pass one or more PNG or JPEG "
                 "paths, or Frames from media.frame");
  }
  const std::string out = luaL_checkstring(L, 2);
  media::StripOptions options;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    options.height = pixels_option(L, 3, "media.strip", "height", media::kStripMinHeight,
                                   media::kStripMaxHeight, options.height);
    options.gap = pixels_option(L, 3, "media.strip", "gap", 0, media::kStripMaxGap, options.gap);
  }
  auto result = std::make_shared<media::Frame>();
  return run_in_pool(
      L, [pictures, out, options, result] { *result = media::make_strip(pictures, out, options); },
      [result](lua_State* L, std::exception_ptr error) {
        if (error) return raise_from(L, error);
        lua_createtable(L, 0, 3);
        set_str(L, "path", result->path);
        set_int(L, "width", result->width);
        set_int(L, "height", result->height);
        return 1;
      });
}

}  // namespace

}  // namespace reel::lua

// The entry point bindings/lazy_module looks up.
extern "C" __attribute__((visibility("default"))) int reel_open_media(lua_State* L) {
  const luaL_Reg functions[] = {
      {"probe", reel::lua::probe},   {"check", reel::lua::check}, {"frame", reel::lua::frame},
      {"concat", reel::lua::concat}, {"strip", reel::lua::strip}, {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  return 1;
}
