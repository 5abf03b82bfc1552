// The `json` Lua module: json.encode, json.decode, json.null, json.array, json.object.
//
// Mapping between Lua and JSON:
//   - A table whose keys are exactly 1..n (n >= 1) is an array; a table with only string keys
//     is an object. Empty tables are objects unless marked with json.array. Anything else
//     (mixed, sparse, float/boolean keys) is an error that names the path.
//   - json.null (a unique light userdata) is JSON null, both ways, so decoded arrays keep
//     their length.
//   - Lua integers <-> JSON integers; Lua floats <-> JSON numbers with a fraction or exponent.
//   - Decoded arrays carry the json.array marker, so `[]` survives a round trip. Decoded
//     objects are plain tables: an empty plain table already encodes as `{}`, and leaving
//     objects without a metatable keeps them free for the caller's own.
//
// nlohmann-json is included here only, to keep its compile cost out of every other file.
// reel links the C++-built Lua, where a Lua error is a C++ exception: luaL_error (and Lua's
// own memory errors, even inside nlohmann's parser) unwind through these frames and run
// destructors. We therefore catch only nlohmann's and the allocator's exceptions, never `...`,
// which would swallow Lua's own error.

#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/json_value.hpp"
#include "bindings/modules.hpp"

namespace reel::lua {
namespace {

using Json = nlohmann::json;

// Deep enough for any real document, shallow enough that neither the C++ stack (encode
// recursion) nor the Lua stack (decode) can be exhausted by hostile input.
constexpr int kMaxDepth = 200;

constexpr const char* kArrayMeta = "json.array";
constexpr const char* kObjectMeta = "json.object";

// Its address is json.null: unique per process, identical in every Lua state.
const char kNullSentinel = 0;

void* null_sentinel() {
  return const_cast<char*>(&kNullSentinel);
}

bool is_null(lua_State* L, int idx) {
  return lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == null_sentinel();
}

// Returns the length of the longest valid UTF-8 prefix of s (== s.size() when all valid).
// Rejects overlong forms, surrogates and code points above U+10FFFF, as RFC 3629 does.
size_t valid_utf8_prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(s[i + k]);
      if (ck < 0x80 || ck > 0xBF) return i;
    }
    i += len;
  }
  return i;
}

// ---------------------------------------------------------------------------------------------
// encode

// One step of the path to the value being encoded. Keys point into Lua strings that stay on
// the Lua stack while their value is encoded, so no copy is needed.
struct PathStep {
  std::string_view key;  // empty with index != 0 for array elements
  lua_Integer index = 0;
};

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Quotes a key for a path or message. Control bytes, and every byte >= 0x80 of a key that is
// not valid UTF-8, are written as \xNN so the error message itself stays readable UTF-8.
std::string quote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  const bool escape_high = valid_utf8_prefix(s) != s.size();
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7F || (escape_high && c >= 0x80)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// Renders $, $.a.b, $[3] (Lua's 1-based index: the place in the table the caller built),
// $["not an identifier"].
std::string format_path(const std::vector<PathStep>& path, size_t length) {
  std::string out = "$";
  for (size_t i = 0; i < length; ++i) {
    const PathStep& step = path[i];
    if (step.index != 0) {
      out += "[" + std::to_string(step.index) + "]";
    } else if (is_identifier(step.key)) {
      out += ".";
      out += step.key;
    } else {
      out += "[" + quote(step.key) + "]";
    }
  }
  return out;
}

enum class Marker { kNone, kArray, kObject };

class Encoder {
 public:
  // `who` prefixes error messages ("json.encode", "vidu.validate").
  explicit Encoder(lua_State* L, const char* who = "json.encode") : L_(L), who_(who) {}

  Json encode(int idx) {
    idx = lua_absindex(L_, idx);
    switch (lua_type(L_, idx)) {
      case LUA_TNIL:
        fail("cannot encode nil at " + here() + " (use json.null for JSON null)");
      case LUA_TBOOLEAN:
        return Json(static_cast<bool>(lua_toboolean(L_, idx)));
      case LUA_TNUMBER:
        return encode_number(idx);
      case LUA_TSTRING:
        return Json(checked_string(idx, "string"));
      case LUA_TTABLE:
        return encode_table(idx);
      case LUA_TLIGHTUSERDATA:
        if (is_null(L_, idx)) return Json(nullptr);
        [[fallthrough]];
      default:
        fail("cannot encode " + describe_type(idx) + " at " + here() +
             " (only nil-free tables, strings, numbers, booleans and json.null can be encoded;"
             " remove it or convert it to one of those)");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) {
    luaL_error(L_, "%s: %s", who_, message.c_str());
    std::abort();  // luaL_error does not return; this tells the compiler so
  }

  std::string here() const { return format_path(path_, path_.size()); }

  // "a function", "a thread", "a userdata (vidu.Clip)", "a light userdata".
  std::string describe_type(int idx) {
    const int type = lua_type(L_, idx);
    if (type == LUA_TLIGHTUSERDATA) return "a light userdata";
    std::string name = std::string("a ") + lua_typename(L_, type);
    if (type == LUA_TUSERDATA && luaL_getmetafield(L_, idx, "__name") != LUA_TNIL) {
      if (lua_type(L_, -1) == LUA_TSTRING) name += std::string(" (") + lua_tostring(L_, -1) + ")";
      lua_pop(L_, 1);
    }
    return name;
  }

  Json encode_number(int idx) {
    if (lua_isinteger(L_, idx)) return Json(static_cast<std::int64_t>(lua_tointeger(L_, idx)));
    const double d = lua_tonumber(L_, idx);
    if (!std::isfinite(d)) {
      const char* name = std::isnan(d) ? "NaN" : (d > 0 ? "inf" : "-inf");
      fail(std::string("cannot encode ") + name + " at " + here() +
           " (JSON has no NaN or infinity; use json.null or a string instead)");
    }
    return Json(d);
  }

  std::string checked_string(int idx, const char* what) {
    size_t len = 0;
    const char* s = lua_tolstring(L_, idx, &len);
    const std::string_view view(s, len);
    const size_t good = valid_utf8_prefix(view);
    if (good != len) {
      fail(std::string(what) + " at " + here() + " is not valid UTF-8 (invalid sequence at byte " +
           std::to_string(good + 1) +
           "; JSON text is UTF-8: convert it, or encode binary data as base64)");
    }
    return std::string(view);
  }

  Marker marker_of(int idx) {
    if (!lua_getmetatable(L_, idx)) return Marker::kNone;
    Marker marker = Marker::kNone;
    luaL_getmetatable(L_, kArrayMeta);
    if (lua_rawequal(L_, -1, -2)) marker = Marker::kArray;
    lua_pop(L_, 1);
    luaL_getmetatable(L_, kObjectMeta);
    if (lua_rawequal(L_, -1, -2)) marker = Marker::kObject;
    lua_pop(L_, 2);
    return marker;
  }

  // What the keys of a table say about its shape.
  struct Shape {
    lua_Integer count = 0;
    lua_Integer int_keys = 0;
    lua_Integer min_int = 0;
    lua_Integer max_int = 0;
    lua_Integer string_keys = 0;
  };

  Shape inspect_keys(int idx) {
    Shape shape;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      lua_pop(L_, 1);  // the value; keep the key for lua_next
      ++shape.count;
      if (lua_type(L_, -1) == LUA_TSTRING) {
        ++shape.string_keys;
      } else if (lua_isinteger(L_, -1)) {
        const lua_Integer k = lua_tointeger(L_, -1);
        if (shape.int_keys == 0 || k < shape.min_int) shape.min_int = k;
        if (shape.int_keys == 0 || k > shape.max_int) shape.max_int = k;
        ++shape.int_keys;
      } else {
        bad_key();
      }
    }
    return shape;
  }

  // The key on top of the stack is neither a string nor an integer.
  [[noreturn]] void bad_key() {
    std::string what;
    if (lua_type(L_, -1) == LUA_TNUMBER) {
      what = "the float key " + std::string(luaL_tolstring(L_, -1, nullptr));
      lua_pop(L_, 1);
    } else {
      what = "a " + std::string(luaL_typename(L_, -1)) + " key";
    }
    fail("table at " + here() + " has " + what +
         " (object keys must be strings; array keys must be the integers 1..n)");
  }

  Json encode_table(int idx) {
    const void* identity = lua_topointer(L_, idx);
    if (auto it = open_tables_.find(identity); it != open_tables_.end()) {
      fail("table at " + here() + " contains itself (it is also at " +
           format_path(path_, it->second) + "); JSON cannot represent cycles, so copy it");
    }
    if (static_cast<int>(open_tables_.size()) >= kMaxDepth) {
      fail("tables nest deeper than " + std::to_string(kMaxDepth) + " levels at " + here() +
           " (flatten the data)");
    }
    // Room for lua_next's key and value, plus a marker lookup.
    luaL_checkstack(L_, 4, "json.encode: nesting too deep");

    const Marker marker = marker_of(idx);
    const Shape shape = inspect_keys(idx);
    open_tables_.emplace(identity, path_.size());
    Json result;
    if (shape.count == 0) {
      result = marker == Marker::kArray ? Json::array() : Json::object();
    } else if (shape.string_keys == shape.count) {
      if (marker == Marker::kArray) {
        fail("table at " + here() +
             " is marked json.array but has string keys (an array's keys are 1..n)");
      }
      result = encode_object(idx);
    } else if (shape.int_keys == shape.count) {
      if (marker == Marker::kObject) {
        fail("table at " + here() +
             " is marked json.object but has integer keys (an object's keys are strings)");
      }
      if (shape.min_int != 1 || shape.max_int != shape.count) {
        fail("table at " + here() + " has integer keys from " + std::to_string(shape.min_int) +
             " to " + std::to_string(shape.max_int) + " but " + std::to_string(shape.count) +
             " entries (an array's keys must be exactly 1..n; fill holes with json.null)");
      }
      result = encode_array(idx, shape.count);
    } else {
      fail("table at " + here() +
           " mixes integer and string keys (an array has only keys 1..n, an object only "
           "string keys; split it or convert the keys)");
    }
    open_tables_.erase(identity);
    return result;
  }

  Json encode_array(int idx, lua_Integer n) {
    Json array = Json::array();
    array.get_ref<Json::array_t&>().reserve(static_cast<size_t>(n));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L_, idx, i);
      path_.push_back({{}, i});
      array.push_back(encode(-1));
      path_.pop_back();
      lua_pop(L_, 1);
    }
    return array;
  }

  Json encode_object(int idx) {
    Json object = Json::object();
    auto& members = object.get_ref<Json::object_t&>();
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      size_t len = 0;
      const char* key = lua_tolstring(L_, -2, &len);  // a string: inspect_keys checked
      path_.push_back({std::string_view(key, len), 0});
      std::string checked_key = checked_string(-2, "key");
      members.emplace(std::move(checked_key), encode(-1));
      path_.pop_back();
      lua_pop(L_, 1);
    }
    return object;
  }

  lua_State* L_;
  const char* who_;
  std::vector<PathStep> path_;
  // Tables being encoded, by identity, to the path length where each was entered.
  std::unordered_map<const void*, size_t> open_tables_;
};

// Reads opts.indent; -1 means compact output, as nlohmann's dump takes it.
int read_indent(lua_State* L, int opts) {
  if (lua_isnoneornil(L, opts)) return -1;
  luaL_checktype(L, opts, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, opts) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING || std::string_view(lua_tostring(L, -1)) != "indent") {
      lua_pushfstring(L, "unknown option '%s' (known: indent)", luaL_tolstring(L, -1, nullptr));
      luaL_argerror(L, opts, lua_tostring(L, -1));
    }
  }
  int indent = -1;
  if (lua_getfield(L, opts, "indent") != LUA_TNIL) {
    int is_int = 0;
    const lua_Integer n = lua_tointegerx(L, -1, &is_int);
    if (!is_int || n < 0 || n > 64) {
      luaL_argerror(L, opts, "indent must be an integer from 0 to 64");
    }
    indent = static_cast<int>(n);
  }
  lua_pop(L, 1);
  return indent;
}

int json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  const int indent = read_indent(L, 2);
  lua_settop(L, 1);
  std::string text;
  std::string failure;
  try {
    // Lua errors raised inside (bad values) propagate: they are not caught below.
    text = Encoder(L).encode(1).dump(indent);
  } catch (const std::bad_alloc&) {
    failure = "out of memory";
  } catch (const Json::exception& e) {
    failure = e.what();  // unexpected (strings are checked before dump), but must not escape
  }
  if (!failure.empty()) return luaL_error(L, "json.encode: %s", failure.c_str());
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

// ---------------------------------------------------------------------------------------------
// decode

// Builds Lua values straight onto the Lua stack as nlohmann's parser reports them. Each open
// container keeps its table (and, for objects, the pending key) on the stack.
class LuaBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  LuaBuilder(lua_State* L, int array_meta) : L_(L), array_meta_(array_meta) {}

  bool null() {
    lua_pushlightuserdata(L_, null_sentinel());
    return add_value();
  }
  bool boolean(bool value) {
    lua_pushboolean(L_, value);
    return add_value();
  }
  bool number_integer(number_integer_t value) {
    lua_pushinteger(L_, static_cast<lua_Integer>(value));
    return add_value();
  }
  bool number_unsigned(number_unsigned_t value) {
    // Above int64's range a Lua integer would wrap; a float keeps the magnitude.
    if (value > static_cast<number_unsigned_t>(LUA_MAXINTEGER)) {
      lua_pushnumber(L_, static_cast<lua_Number>(value));
    } else {
      lua_pushinteger(L_, static_cast<lua_Integer>(value));
    }
    return add_value();
  }
  bool number_float(number_float_t value, const string_t& /*text*/) {
    lua_pushnumber(L_, static_cast<lua_Number>(value));
    return add_value();
  }
  bool string(string_t& value) {
    lua_pushlstring(L_, value.data(), value.size());
    return add_value();
  }
  bool binary(binary_t& /*value*/) { return false; }  // JSON text has no binary values

  bool start_object(std::size_t /*elements*/) { return open(false); }
  bool key(string_t& value) {
    lua_pushlstring(L_, value.data(), value.size());
    return true;
  }
  bool end_object() { return close(); }

  bool start_array(std::size_t /*elements*/) { return open(true); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    error_ = describe_error(position, ex);
    return false;
  }

  // Set when parsing stopped early; empty after a successful parse.
  const std::string& error() const { return error_; }
  bool too_deep() const { return too_deep_; }

 private:
  struct Container {
    bool is_array;
    lua_Integer length;
  };

  bool open(bool is_array) {
    if (static_cast<int>(open_.size()) >= kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    // The table, an object's pending key, and the value being built.
    if (!lua_checkstack(L_, 3)) {
      error_ = "out of memory";
      return false;
    }
    lua_newtable(L_);
    if (is_array) {
      lua_pushvalue(L_, array_meta_);
      lua_setmetatable(L_, -2);
    }
    open_.push_back({is_array, 0});
    return true;
  }

  bool close() {
    open_.pop_back();
    return add_value();
  }

  // Moves the value on top of the stack into the innermost open container, if any.
  bool add_value() {
    if (open_.empty()) return true;  // the document's root: leave it as the result
    Container& parent = open_.back();
    if (parent.is_array) {
      lua_rawseti(L_, -2, ++parent.length);
    } else {
      lua_rawset(L_, -3);  // table, key, value; a repeated key keeps its last value
    }
    return true;
  }

  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while
  // parsing value - invalid literal; ..." -> "syntax error at byte 5: while parsing value -
  // invalid literal; ...". The line is kept only when the text has several.
  static std::string describe_error(std::size_t position, const nlohmann::detail::exception& ex) {
    std::string_view detail = ex.what();
    if (const size_t tag_end = detail.find("] ");
        detail.starts_with("[json.exception.") && tag_end != std::string_view::npos) {
      detail.remove_prefix(tag_end + 2);
    }
    std::string_view location;
    constexpr std::string_view kAt = "parse error at ";
    if (detail.starts_with(kAt)) {
      const size_t colon = detail.find(": ");
      location = detail.substr(kAt.size(), colon - kAt.size());
      detail.remove_prefix(colon == std::string_view::npos ? detail.size() : colon + 2);
    }
    constexpr std::string_view kSyntax = "syntax error ";
    if (detail.starts_with(kSyntax)) detail.remove_prefix(kSyntax.size());

    // out_of_range.406: a number too large for a double, e.g. 1e400.
    const char* what = ex.id == 406 ? "number out of range" : "syntax error";
    std::string out = std::string(what) + " at byte " + std::to_string(position) + ": ";
    out += detail;
    if (!location.empty() && !location.starts_with("line 1,")) {
      out += " (";
      out += location;
      out += ")";
    }
    return out;
  }

  lua_State* L_;
  int array_meta_;
  std::vector<Container> open_;
  std::string error_;
  bool too_deep_ = false;
};

// The 1-based byte offset of the bracket that opens level kMaxDepth + 1. Only called after
// the parser stopped there, so the text before it is valid JSON and this scan is exact.
size_t too_deep_offset(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return i + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

int json_decode(lua_State* L) {
  size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  luaL_getmetatable(L, kArrayMeta);
  LuaBuilder builder(L, lua_gettop(L));
  bool ok = false;
  std::string failure;
  try {
    ok = Json::sax_parse(text, text + len, &builder);
  } catch (const std::bad_alloc&) {
    failure = "out of memory";
  } catch (const Json::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) return luaL_error(L, "json.decode: %s", failure.c_str());
  if (builder.too_deep()) {
    return luaL_error(L,
                      "json.decode: arrays and objects nest deeper than %d levels at byte %d "
                      "(flatten the document)",
                      kMaxDepth, static_cast<int>(too_deep_offset({text, len})));
  }
  if (!ok) return luaL_error(L, "json.decode: %s", builder.error().c_str());
  return 1;  // the root value is on top
}

// ---------------------------------------------------------------------------------------------
// markers

// Marks t (or a new table) with the named marker metatable and returns it. A table that
// already has a foreign metatable is refused: replacing it would silently break its methods.
int mark(lua_State* L, const char* meta, const char* fname) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  if (lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, kArrayMeta);
    luaL_getmetatable(L, kObjectMeta);
    if (!lua_rawequal(L, -1, -3) && !lua_rawequal(L, -2, -3)) {
      return luaL_error(L,
                        "%s: the table already has a metatable (copy its fields into a "
                        "plain table first)",
                        fname);
    }
    lua_settop(L, 1);
  }
  luaL_setmetatable(L, meta);
  return 1;
}

int json_array(lua_State* L) {
  return mark(L, kArrayMeta, "json.array");
}
int json_object(lua_State* L) {
  return mark(L, kObjectMeta, "json.object");
}

}  // namespace

nlohmann::json to_json(lua_State* L, int idx, const char* who) {
  return Encoder(L, who).encode(idx);
}

int open_json(lua_State* L) {
  // __name makes tostring() of a marked table read "json.array: 0x...".
  luaL_newmetatable(L, kArrayMeta);
  luaL_newmetatable(L, kObjectMeta);
  lua_pop(L, 2);

  static const luaL_Reg kFunctions[] = {
      {"encode", json_encode}, {"decode", json_decode}, {"array", json_array},
      {"object", json_object}, {nullptr, nullptr},
  };
  luaL_newlib(L, kFunctions);
  lua_pushlightuserdata(L, null_sentinel());
  lua_setfield(L, -2, "null");
  return 1;
}

}  // namespace reel::lua
