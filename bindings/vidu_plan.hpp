// `reel run --plan`: the line printed for each request the script submits,
// and the tally the command line reads at the end (bindings/vidu_plan.cpp).
#pragma once

#include <functional>
#include <string>

struct lua_State;

namespace reel::lua {

// REEL_PLAN is set (by `reel run --plan`).
bool planning();

// The name of the task this run follows under a remote task id ("" if none):
// a Clip option is shown as "clip:<name>".
using TaskName = std::function<std::string(const std::string& task_id)>;

// Prints `plan: NAME KIND MODEL {options} ~CREDITS credits` for the options
// table at `options` (name, model and out left out; Frames, Clips, paths in
// --out and inline data shown short) and counts it in the tally.
void print_plan_line(lua_State* L, int options, const std::string& name, const char* kind,
                     const std::string& model, int credits, const TaskName& task_name);

}  // namespace reel::lua
