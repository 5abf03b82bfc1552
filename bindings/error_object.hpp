// The error objects reel's modules raise: a table with a code and a
// one-sentence message (DESIGN.md, vidu.Error), shown as the message by
// tostring. The vidu module exposes the same class as vidu.Error.
#pragma once

#include <string>

struct lua_State;

namespace reel::lua {

inline constexpr const char* kErrorMetatable = "vidu.Error";

struct ErrorInfo {
  std::string code;     // "MediaInvalid", "FieldInvalid", "TaskFailed", ...
  std::string message;  // one sentence: the thing, the rule, the fix
  std::string field;    // the request field or option at fault, if any
  std::string path;     // the file at fault, if any
  bool retryable = false;
};

void push_error(lua_State* L, const ErrorInfo& info);

// Raises it (does not return).
int raise_error(lua_State* L, const ErrorInfo& info);

}  // namespace reel::lua
