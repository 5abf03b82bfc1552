// The interactive REPL (issue 8): `reel repl`, `reel -i` and a bare `reel`
// on a terminal. Lines are edited with libedit (host/term/line_editor); the
// event loop runs while the prompt waits, so tasks submitted at the prompt
// progress and their final lines appear above it; results are pretty-printed
// and names completed by stdlib/reel/repl.lua.
#pragma once

struct lua_State;

namespace reel::lua {

// Reads, runs and prints chunks until input ends (Ctrl-D). Call it in
// protected mode, with the libraries open. `banner`: first a line on what is
// loaded and where help is (`reel repl`; `reel -i` prints lua5.4's version).
void interactive_repl(lua_State* L, bool banner);

// `reel repl` with stdin not a terminal (`echo 'print(1)' | reel repl`): the
// same chunks and printing, no prompt and no echo. Returns the number of
// chunks that failed.
int piped_repl(lua_State* L);

}  // namespace reel::lua
