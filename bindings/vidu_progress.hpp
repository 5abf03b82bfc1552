// The progress board of a Lua state: the display the vidu client's tasks
// report to, and vidu.progress{} for rows of the script's own
// (bindings/vidu_progress.cpp).
#pragma once

#include <memory>

#include "host/vidu/progress.hpp"

struct lua_State;

namespace reel::lua {

// The board, made at its first use (live, lines or quiet from stderr and
// --quiet). Shared: the session's client reports to it and may outlive it.
std::shared_ptr<vidu::Progress> progress_board(lua_State* L);

// vidu.progress{ name =, state =, detail =, credits =, done =, final = }.
int script_progress(lua_State* L);

}  // namespace reel::lua
