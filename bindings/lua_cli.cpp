// Follows lua.c (Lua 5.4.4) step for step, so that its observable behaviour
// (order of effects, messages, statuses) is the same; docall is replaced by
// Runtime::call, which runs the chunk as a fiber.
#include "bindings/lua_cli.hpp"

#include <lua.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bindings/errors.hpp"
#include "bindings/repl.hpp"
#include "bindings/runtime.hpp"
#include "bindings/sandbox.hpp"
#include "bindings/searchers.hpp"
#include "host/plugin/plugin.hpp"
#include "host/term/line_editor.hpp"

namespace reel::lua {

const char* const kLuaOptionList =
    "  -e stat   execute string 'stat'\n"
    "  -i        enter interactive mode after executing 'script'\n"
    "  -l mod    require library 'mod' into global 'mod'\n"
    "  -l g=mod  require library 'mod' into global 'g'\n"
    "  -v        show version information\n"
    "  -E        ignore environment variables\n"
    "  -W        turn warnings on\n"
    "  --        stop handling options\n"
    "  -         stop handling options and execute stdin\n";

namespace {

// Bits of `Invocation::flags`, as in lua.c.
constexpr int kHasError = 1;    // bad option
constexpr int kHasI = 2;        // -i
constexpr int kHasV = 4;        // -v
constexpr int kHasE = 8;        // -e
constexpr int kHasEnvOff = 16;  // -E

struct Invocation {
  int argc = 0;
  char** argv = nullptr;
  int script = 0;  // index of the script in argv; argc when there is none
  int flags = 0;
  int option_limit = 0;  // argv[1..option_limit) are lua options to run (-e, -l, -W)
  bool repl = false;     // `reel repl`: the prompt, whatever else is given
};

const char* progname = "reel";
bool interrupted = false;  // a chunk was stopped by Ctrl-C: exit 130

void print_usage(const char* badoption) {
  std::fprintf(stderr, "%s: ", progname);
  if (badoption[1] == 'e' || badoption[1] == 'l') {
    std::fprintf(stderr, "'%s' needs argument\n", badoption);
  } else {
    std::fprintf(stderr, "unrecognized option '%s'\n", badoption);
  }
  std::fprintf(stderr, "usage: %s [options] [script [args]]\nAvailable options are:\n%s", progname,
               kLuaOptionList);
  std::fflush(stderr);
}

void message(const char* pname, const char* msg) {
  if (pname != nullptr) std::fprintf(stderr, "%s: ", pname);
  std::fprintf(stderr, "%s\n", msg != nullptr ? msg : "(null)");
  std::fflush(stderr);
}

// Reports a failed status (its message is on top of the stack).
int report(lua_State* L, int status) {
  if (status != LUA_OK) {
    const char* text = lua_tostring(L, -1);
    if (text == nullptr && lua_istable(L, -1)) {
      // An error object raised past the fibers (by a __tostring, say): its
      // message, read raw, since no metamethod may run here.
      lua_pushliteral(L, "message");
      lua_rawget(L, -2);
      text = lua_tostring(L, -1);
      lua_pop(L, 1);  // the table still holds the string
    }
    message(progname, text);
    lua_pop(L, 1);
  }
  return status;
}

int status_of(Outcome outcome) {
  if (outcome == Outcome::ok) return LUA_OK;
  if (outcome == Outcome::interrupted) interrupted = true;
  return LUA_ERRRUN;  // the message is on the stack
}

int docall(lua_State* L, int nargs, int nresults) {
  return status_of(Runtime::from(L).call(nargs, nresults));
}

void print_version() {
  std::fputs(LUA_COPYRIGHT "\n", stdout);
  std::fflush(stdout);
}

// arg[0] is the script, arg[1..] its arguments, arg[-n] what came before.
void create_arg_table(lua_State* L, char** argv, int argc, int script) {
  if (script == argc) script = 0;  // "--" with nothing after it
  const int narg = argc - (script + 1);
  lua_createtable(L, narg, script + 1);
  for (int i = 0; i < argc; ++i) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

int dochunk(lua_State* L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

int dofile(lua_State* L, const char* name) {
  return dochunk(L, luaL_loadfile(L, name));
}

int dostring(lua_State* L, const char* s, const char* name) {
  return dochunk(L, luaL_loadbuffer(L, s, std::strlen(s), name));
}

// reel's one addition to lua5.4's -l: `-l a.b` also sets the nested global
// a.b (making table `a` when it is absent), so `-l pl.pretty -e
// "print(pl.pretty.write{1})"` works as users expect; lua5.4 sets only
// _G["a.b"], which reel sets too. Pops the module.
void set_dotted_global(lua_State* L, const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0 || name.back() == '.') {
    lua_pop(L, 1);
    return;
  }
  lua_pushglobaltable(L);
  size_t start = 0;
  for (size_t next = dot; next != std::string::npos; next = name.find('.', start)) {
    const std::string part = name.substr(start, next - start);
    if (lua_getfield(L, -1, part.c_str()) == LUA_TNIL) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, part.c_str());
    } else if (!lua_istable(L, -1)) {
      lua_pop(L, 3);  // a non-table is in the way: leave it alone
      return;
    }
    lua_remove(L, -2);
    start = next + 1;
  }
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name.substr(start).c_str());
  lua_pop(L, 2);
}

// -l mod or -l g=mod: g = require(mod).
int dolibrary(lua_State* L, const char* spec) {
  std::string globname = spec;
  std::string modname = spec;
  if (auto eq = globname.find('='); eq != std::string::npos) {
    modname = globname.substr(eq + 1);
    globname.resize(eq);
  }
  lua_getglobal(L, "require");
  lua_pushstring(L, modname.c_str());
  const int status = docall(L, 1, 1);
  if (status == LUA_OK) {
    lua_pushvalue(L, -1);
    lua_setglobal(L, globname.c_str());
    set_dotted_global(L, globname);
  }
  return report(L, status);
}

int pushargs(lua_State* L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  const int n = static_cast<int>(luaL_len(L, -1));
  luaL_checkstack(L, n + 3, "too many arguments to script");
  int i = 1;
  for (; i <= n; ++i) lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}

int handle_script(lua_State* L, char** argv) {
  const char* fname = argv[0];
  if (std::strcmp(fname, "-") == 0 && std::strcmp(argv[-1], "--") != 0) fname = nullptr;  // stdin
  // The journal knows a script by where it is, not by its text: editing one
  // shot leaves the other shots' calls (and their paid tasks) as they were.
  std::error_code ec;
  const auto where = fname != nullptr ? std::filesystem::weakly_canonical(fname, ec).string() : "";
  lua_pushstring(L, fname == nullptr ? "(stdin)" : ec ? fname : where.c_str());
  lua_setfield(L, LUA_REGISTRYINDEX, kScriptKey);
  // A sandboxed run loads source text only, the script included.
  int status = luaL_loadfilex(L, fname, sandbox_requested() ? "t" : nullptr);
  if (status == LUA_OK) {
    const int n = pushargs(L);
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

// Scans the options; returns the flags and sets *first to the script's index.
int collect_args(char** argv, int* first) {
  int flags = 0;
  if (argv[0] == nullptr) {
    *first = -1;
    return 0;
  }
  if (argv[0][0] != '\0') progname = argv[0];
  int i = 1;
  for (; argv[i] != nullptr; ++i) {
    *first = i;
    if (argv[i][0] != '-') return flags;
    switch (argv[i][1]) {
      case '-':
        if (argv[i][2] != '\0') return kHasError;
        *first = i + 1;
        return flags;
      case '\0':
        return flags;  // the script is "-": stdin
      case 'E':
        if (argv[i][2] != '\0') return kHasError;
        flags |= kHasEnvOff;
        break;
      case 'W':
        if (argv[i][2] != '\0') return kHasError;
        break;
      case 'i':
        flags |= kHasI;
        [[fallthrough]];  // -i implies -v
      case 'v':
        if (argv[i][2] != '\0') return kHasError;
        flags |= kHasV;
        break;
      case 'e':
        flags |= kHasE;
        [[fallthrough]];
      case 'l':  // both need an argument
        if (argv[i][2] == '\0') {
          ++i;
          if (argv[i] == nullptr || argv[i][0] == '-') return kHasError;
        }
        break;
      default:
        return kHasError;
    }
  }
  *first = i;  // no script: argc
  return flags;
}

// Runs -e, -l and -W in the order given; false when one failed.
bool run_args(lua_State* L, char** argv, int n) {
  for (int i = 1; i < n; ++i) {
    const char option = argv[i][1];
    switch (option) {
      case 'e':
      case 'l': {
        const char* extra = argv[i] + 2;
        if (*extra == '\0') extra = argv[++i];
        const int status =
            option == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
        if (status != LUA_OK) return false;
        break;
      }
      case 'W':
        lua_warning(L, "@on", 0);
        break;
      default:
        break;
    }
  }
  return true;
}

int handle_luainit(lua_State* L) {
  const char* name = "=LUA_INIT_5_4";
  const char* init = std::getenv(name + 1);
  if (init == nullptr) {
    name = "=LUA_INIT";
    init = std::getenv(name + 1);
  }
  if (init == nullptr) return LUA_OK;
  if (init[0] == '@') return dofile(L, init + 1);
  return dostring(L, init, name);
}

// --- the REPL, as lua.c's ------------------------------------------------

term::LineEditor* editor = nullptr;

// Pushes the prompt global (nil when unset) and returns the text to show.
// Like lua.c 5.4.4, the pushed value stays on the stack when input ends.
std::string get_prompt(lua_State* L, bool firstline) {
  lua_getglobal(L, firstline ? "_PROMPT" : "_PROMPT2");
  const char* p = lua_tostring(L, -1);
  if (p == nullptr) return firstline ? "> " : ">> ";
  return p;
}

bool pushline(lua_State* L, bool firstline) {
  const auto line = editor->read(get_prompt(L, firstline));
  if (!line) return false;
  lua_pop(L, 1);  // the prompt
  if (firstline && !line->empty() && (*line)[0] == '=') {
    lua_pushfstring(L, "return %s", line->c_str() + 1);  // 5.2's "=expr"
  } else {
    lua_pushlstring(L, line->data(), line->size());
  }
  return true;
}

// Tries the line as "return <line>;", so that expressions print their value.
int addreturn(lua_State* L) {
  const char* line = lua_tostring(L, -1);
  const char* retline = lua_pushfstring(L, "return %s;", line);
  const int status = luaL_loadbuffer(L, retline, std::strlen(retline), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2);
    if (line[0] != '\0') editor->remember(line);
  } else {
    lua_pop(L, 2);
  }
  return status;
}

constexpr std::string_view kEofMark = "<eof>";

bool incomplete(lua_State* L, int status) {
  if (status != LUA_ERRSYNTAX) return false;
  size_t len = 0;
  const char* msg = lua_tolstring(L, -1, &len);
  if (std::string_view(msg, len).ends_with(kEofMark)) {
    lua_pop(L, 1);
    return true;
  }
  return false;
}

// Reads continuation lines while the chunk is incomplete.
int multiline(lua_State* L) {
  for (;;) {
    size_t len = 0;
    const char* line = lua_tolstring(L, 1, &len);
    const int status = luaL_loadbuffer(L, line, len, "=stdin");
    if (!incomplete(L, status) || !pushline(L, false)) {
      editor->remember(line);
      return status;
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

// Reads a chunk; -1 at end of input.
int loadline(lua_State* L) {
  lua_settop(L, 0);
  if (!pushline(L, true)) return -1;
  int status = addreturn(L);
  if (status != LUA_OK) status = multiline(L);
  lua_remove(L, 1);
  return status;
}

void print_results(lua_State* L) {
  const int n = lua_gettop(L);
  if (n == 0) return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getglobal(L, "print");
  lua_insert(L, 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK) {
    message(progname, lua_pushfstring(L, "error calling 'print' (%s)", lua_tostring(L, -1)));
  }
}

void do_repl(lua_State* L) {
  term::LineEditor line_editor;
  editor = &line_editor;
  const char* oldprogname = progname;
  progname = nullptr;
  int status = 0;
  while ((status = loadline(L)) != -1) {
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    interrupted = false;  // Ctrl-C stops the line, not the session
    if (status == LUA_OK) {
      print_results(L);
    } else {
      report(L, status);
    }
  }
  lua_settop(L, 0);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  progname = oldprogname;
  editor = nullptr;
}

// --- the main function, in protected mode ----------------------------------

// Leaving the interactive REPL does not wait for the async tasks still
// running: the person asked to leave. Remote tasks go on and stay in the
// journal (the vidu module says which are still running).
int repl_done(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int pmain(lua_State* L) {
  auto* inv = static_cast<Invocation*>(lua_touserdata(L, 1));
  char** argv = inv->argv;
  const int script = inv->script;
  const int flags = inv->flags;
  luaL_checkversion(L);
  if (flags == kHasError) {
    print_usage(argv[script]);
    return 0;
  }
  if (flags & kHasV) print_version();
  Runtime& runtime = Runtime::from(L);
  runtime.open_libraries((flags & kHasEnvOff) != 0);
  create_arg_table(L, argv, inv->argc, script);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (!(flags & kHasEnvOff) && handle_luainit(L) != LUA_OK) return 0;
  if (!run_args(L, argv, inv->option_limit)) return 0;
  if (script < inv->argc && handle_script(L, argv + script) != LUA_OK) return 0;
  const bool terminal = term::LineEditor::stdin_is_terminal();
  if (terminal && (inv->repl || (flags & kHasI))) {
    interactive_repl(L, inv->repl);
    return repl_done(L);
  } else if (inv->repl) {
    if (piped_repl(L) > 0) return 0;  // a chunk failed: exit status 1
  } else if (flags & kHasI) {
    do_repl(L);
  } else if (script == inv->argc && !(flags & (kHasE | kHasV))) {
    if (terminal) {
      print_version();
      interactive_repl(L, false);
      return repl_done(L);
    }
    dofile(L, nullptr);  // lua5.4 reports but does not fail on this path
  }
  // Tasks spawned by the script may still be running: let them end.
  if (report(L, status_of(runtime.finish_background())) != LUA_OK) return 0;
  lua_pushboolean(L, 1);
  return 1;
}

int run(Invocation& inv) {
  Runtime runtime;
  lua_State* L = runtime.state();
  lua_gc(L, LUA_GCSTOP);  // no collections while the state is built
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &inv);
  const int status = lua_pcall(L, 1, 1, 0);
  const bool result = lua_toboolean(L, -1) != 0;
  report(L, status);
  if (interrupted) return kExitInterrupted;
  if (result && status == LUA_OK) return kExitOk;
  const int asked = described_exit_status();
  return asked != 0 ? asked : kExitScriptError;
}

}  // namespace

int run_lua_command_line(int argc, char** argv) {
  Invocation inv;
  inv.argc = argc;
  inv.argv = argv;
  inv.flags = collect_args(argv, &inv.script);
  inv.option_limit = inv.script > 0 ? inv.script : argc;
  return run(inv);
}

int run_script(int argc, char** argv, int script) {
  Invocation inv;
  inv.argc = argc;
  inv.argv = argv;
  inv.script = script;
  inv.option_limit = 0;  // reel's own options are not lua's
  return run(inv);
}

int print_module_paths() {
  Runtime runtime;
  lua_State* L = runtime.state();
  luaL_openlibs(L);
  std::printf(
      "library folders (before package.path): the running script's folder and its lib/, then\n");
  const std::vector<std::string> folders = library_folders(L);
  if (folders.empty()) std::printf("  (no ./lib here, REEL_PATH unset)\n");
  for (const std::string& dir : folders) std::printf("  %s/?.lua\n", dir.c_str());
  lua_getglobal(L, "package");
  for (const char* field : {"path", "cpath"}) {
    lua_getfield(L, -1, field);
    std::string list = lua_tostring(L, -1);
    lua_pop(L, 1);
    std::printf("package.%s:\n", field);
    size_t start = 0;
    while (start <= list.size()) {
      const size_t end = std::min(list.find(';', start), list.size());
      if (end > start) std::printf("  %s\n", list.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
  std::printf("reel's stdlib (after package.path and package.cpath):\n");
  for (const std::string& dir : plugin::stdlib_folders()) std::printf("  %s/?.lua\n", dir.c_str());
  return kExitOk;
}

int run_repl(int argc, char** argv) {
  Invocation inv;
  inv.argc = argc;
  inv.argv = argv;
  inv.script = argc;
  inv.option_limit = 0;
  inv.repl = true;
  return run(inv);
}

}  // namespace reel::lua
