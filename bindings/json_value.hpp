// A Lua value as JSON, by the json module's rules (bindings/json.cpp), for
// modules that hand Lua tables to host code (vidu's options). Exported from
// the executable, so lazily loaded modules share the one implementation.
#pragma once

#include <nlohmann/json_fwd.hpp>

struct lua_State;

namespace reel::lua {

// Raises a Lua error prefixed with `who` when the value has no JSON form
// (functions, cycles, mixed tables, nil holes, invalid UTF-8).
nlohmann::json to_json(lua_State* L, int idx, const char* who);

}  // namespace reel::lua
