// The lua5.4 command line, run on reel's runtime.
//
// `reel [options] [script [args]]` behaves as Debian's lua5.4 does, flag for
// flag: -e, -l (and -l g=mod), -i, -v, -E, -W, -, --, the `arg` table with its
// negative indices, LUA_INIT, the REPL, messages and exit statuses. The one
// change is underneath: every chunk runs as a fiber on the event loop, so it
// may wait (async.sleep, vidu tasks) without blocking the others, and Ctrl-C
// exits with 130.
#pragma once

namespace reel::lua {

// The options of lua5.4's usage text, one per line.
extern const char* const kLuaOptionList;

// Exit statuses of the design.
constexpr int kExitOk = 0;
constexpr int kExitScriptError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRemoteFailure = 3;  // a remote task failed

// The registry slot holding the running script's identity for the journal
// (issue 6): its absolute path, "(stdin)"; unset for -e and the REPL.
constexpr const char* kScriptKey = "reel.script";
constexpr int kExitInterrupted = 130;

// Runs argv as lua5.4 would (argv[0] is the program name).
int run_lua_command_line(int argc, char** argv);

// `reel run [reel options] SCRIPT [ARGS...]`: argv[script] is the script; the
// arguments before it are reel's own and are only visible as arg[-n].
int run_script(int argc, char** argv, int script);

// `reel repl`: the interactive prompt with the modules loaded.
int run_repl(int argc, char** argv);

// `reel --paths`: where require looks for Lua and C modules, in order.
int print_module_paths();

}  // namespace reel::lua
