// libFuzzer target: the `json` Lua module (bindings/json.cpp) on a real Lua
// state. json.decode of any input must return a value or raise a Lua error;
// a decoded value must encode, and its encoding must be a fixed point
// (encode(decode(encode(x))) == encode(x)). Never a crash, a hang, a leak or
// a sanitizer report.
#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "bindings/modules.hpp"

namespace {

// Calls json.<name>(value on top of the stack) in protected mode, replacing
// the value with the result. Returns false (and leaves the error message) when
// it raised an error.
bool call(lua_State* L, const char* name) {
  lua_getfield(L, 1, name);  // the json module is at index 1
  lua_insert(L, -2);
  return lua_pcall(L, 1, 1, 0) == LUA_OK;
}

std::string top_string(lua_State* L) {
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  return s == nullptr ? std::string() : std::string(s, len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fresh state per input: what one input leaves behind cannot hide in the
  // next, and closing it shows LeakSanitizer anything the module leaked.
  lua_State* L = luaL_newstate();
  if (L == nullptr) return 0;
  luaL_requiref(L, "json", reel::lua::open_json, 0);  // index 1

  lua_pushlstring(L, reinterpret_cast<const char*>(data), size);
  if (call(L, "decode")) {
    // Everything decode returns is JSON's image in Lua, so encode must take it.
    if (!call(L, "encode")) __builtin_trap();
    const std::string first = top_string(L);
    if (!call(L, "decode")) __builtin_trap();
    if (!call(L, "encode")) __builtin_trap();
    if (top_string(L) != first) __builtin_trap();
  } else if (lua_type(L, -1) != LUA_TSTRING) {
    __builtin_trap();  // json.decode's errors are messages
  }
  lua_close(L);
  return 0;
}
