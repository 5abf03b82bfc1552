// How a Lua error becomes the text a user reads.
#pragma once

#include <string>

struct lua_State;

namespace reel::lua {

// The message and traceback for the error object on top of the coroutine
// `co`, written as lua.c's message handler writes them: a string (or number)
// gets a traceback; an object with __tostring is shown as that alone; anything
// else is "(error object is a T value)" plus a traceback. `L` is an idle
// thread used for the work. `main_chunk` adds the C entry frame lua.c shows
// below a main chunk.
std::string describe_error(lua_State* L, lua_State* co, bool main_chunk);

// The exit status the last described error asks for: a vidu.Error's
// `exit_status` (3 when a remote task failed, DESIGN.md "Exit status"), else 0.
int described_exit_status();

}  // namespace reel::lua
