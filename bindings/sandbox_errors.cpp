// The sandbox's refusals (sandbox.hpp): SandboxViolation errors, whose
// messages start with "sandbox:", and the functions it takes away; and the
// error object both they and SandboxLimit (sandbox_limits.cpp) are.
#include <lua.hpp>

#include <cstdarg>

#include "bindings/error_object.hpp"
#include "bindings/sandbox_internal.hpp"

namespace reel::lua::sandbox {

void push_sandbox_error(lua_State* L, const char* code, const char* message, const char* path) {
  ErrorInfo info;
  info.code = code;
  info.message = message;
  if (path != nullptr) info.path = path;
  push_error(L, info);
}

// Raises a SandboxViolation whose message is "sandbox: " and the string on top.
int raise_violation(lua_State* L, const char* path) {
  lua_pushfstring(L, "sandbox: %s", lua_tostring(L, -1));
  push_sandbox_error(L, "SandboxViolation", lua_tostring(L, -1), path);
  return lua_error(L);
}

int refuse(lua_State* L, const char* format, ...) {
  va_list args;
  va_start(args, format);
  lua_pushvfstring(L, format, args);
  va_end(args);
  return raise_violation(L);
}

// A function the sandbox takes away; calling it says why. Upvalues: its
// name, the reason.
int refused(lua_State* L) {
  return refuse(L, "%s is not available in a sandbox: %s", lua_tostring(L, lua_upvalueindex(1)),
                lua_tostring(L, lua_upvalueindex(2)));
}

void set_refused(lua_State* L, int table, const char* shown, const char* field, const char* why) {
  lua_pushstring(L, shown);
  lua_pushstring(L, why);
  lua_pushcclosure(L, refused, 2);
  lua_setfield(L, table, field);
}

}  // namespace reel::lua::sandbox
