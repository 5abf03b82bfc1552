// Shared by the vidu module's files (bindings/vidu.cpp, vidu_tasks.cpp): a
// script's options checked into a request, and problems as vidu.Error.
#pragma once

#include <string>
#include <vector>

#include "host/vidu/request.hpp"

struct lua_State;

namespace reel::lua {

// The registry slot of the vidu.Clip class (bindings/vidu_tasks.cpp): a Clip
// is a table with this metatable.
inline constexpr const char* kClipClassKey = "reel.vidu.Clip";

// A request with its local files probed and the capability table's verdict.
struct CheckedRequest {
  vidu::Request request;
  std::vector<vidu::InputFacts> facts;  // one per request.inputs entry
  vidu::Checked checked;
};

using CheckDone = int (*)(lua_State* L, CheckedRequest& checked);

// Builds the request from the options table at `options`, probes its local
// files on libuv's thread pool (the fiber waits meanwhile), checks it for
// `dialect`, then returns what `done` returns.
int check_request(lua_State* L, vidu::Endpoint endpoint, int options, const char* who,
                  vidu::Dialect dialect, CheckDone done);

// A vidu.Error for all the problems: the first in code/field/message, every
// one in err.problems.
void push_errors(lua_State* L, const std::vector<vidu::FieldError>& errors);

// VIDU_DIALECT (set by --dialect): vidu unless it says vtrix; raises a
// vidu.Error for anything else.
vidu::Dialect dialect_setting(lua_State* L);

// vidu.journal{limit = N} -> the journal's newest calls, and its path
// (bindings/vidu_journal.cpp).
int journal(lua_State* L);

// Adds text2video ... multiframe, task, credits, Task and Clip to the module
// table on top of the stack (bindings/vidu_tasks.cpp).
void add_task_functions(lua_State* L);

}  // namespace reel::lua
