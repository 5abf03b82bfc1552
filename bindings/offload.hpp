// Blocking work (decoding, muxing) on libuv's thread pool while the calling
// fiber waits, so that other tasks keep running; from Lua the call looks
// synchronous. `work` runs on a pool thread and must not touch Lua; `finish`
// runs on the Lua thread afterwards and pushes the results (it may raise).
// Exceptions thrown by `work` reach `finish` through `error`.
#pragma once

#include <exception>
#include <functional>

struct lua_State;

namespace reel::lua {

using PoolWork = std::function<void()>;
using PoolFinish = std::function<int(lua_State* L, std::exception_ptr error)>;

// Returns what `finish` returns (the number of results). Where the caller
// cannot be suspended (not in a fiber), the work runs right here instead.
int run_in_pool(lua_State* L, PoolWork work, PoolFinish finish);

}  // namespace reel::lua
