#include "bindings/repl.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <lua.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bindings/runtime.hpp"
#include "bindings/scheduler.hpp"
#include "host/term/line_editor.hpp"
#include "host/term/screen.hpp"

namespace reel::lua {

namespace {

namespace screen = term::screen;
using Status = term::LineEditor::Status;

// Lines that end within this time never show the progress board: a quick
// `x = 1` while tasks run does not make it flash.
constexpr uint64_t kBoardDelayMs = 200;

constexpr std::string_view kEofMark = "<eof>";
constexpr const char* kSupportKey = "reel.repl";  // registry: the reel.repl module

void on_sigint(int) {
  Scheduler::request_interrupt();
}

// A line is a REPL command when it starts with a dot and a letter (".5" is Lua).
bool is_command(const std::string& line) {
  return line.size() >= 2 && line[0] == '.' &&
         ((line[1] >= 'a' && line[1] <= 'z') || (line[1] >= 'A' && line[1] <= 'Z'));
}

class Repl {
 public:
  Repl(lua_State* L, bool terminal)
      : L_(L),
        terminal_(terminal),
        runtime_(Runtime::from(L)),
        scheduler_(Scheduler::from(L)),
        editor_(editor_options(terminal)) {
    if (terminal_) {
      key_watch_ = new uv_poll_t{};
      // uv_poll_init makes the descriptor non-blocking, for the whole
      // terminal (the shell's too): put its flags back, reads here wait for
      // readiness first anyway.
      const int flags = fcntl_flags();
      uv_poll_init(scheduler_.loop().get(), key_watch_, 0);
      restore_flags(flags);
      key_watch_->data = this;
      previous_sigint_ = std::signal(SIGINT, on_sigint);
    }
    load_support();
  }

  ~Repl() {
    screen::between_lines(false);  // what runs after (background tasks) shows its board
    if (!terminal_) return;
    std::signal(SIGINT, previous_sigint_);
    uv_close(reinterpret_cast<uv_handle_t*>(key_watch_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }

  Repl(const Repl&) = delete;
  Repl& operator=(const Repl&) = delete;

  // Reads, runs and prints until input ends; returns the chunks that failed.
  int run() {
    screen::between_lines(true);
    for (;;) {
      lua_settop(L_, 0);
      std::string command;
      const Read got = read_chunk(command);
      if (got == Read::end) break;
      if (got == Read::command) {
        if (command == ".exit" || command == ".quit") break;
        run_command(command);
      } else if (got == Read::chunk) {
        run_chunk();
      }
      report_background_failures();
    }
    lua_settop(L_, 0);
    if (terminal_) {
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
    return failed_;
  }

 private:
  enum class Read { chunk, command, skip, end };

  term::LineEditor::Options editor_options(bool terminal) {
    term::LineEditor::Options o;
    if (!terminal) return o;
    o.history_file = term::LineEditor::default_history_file();
    o.wait_for_key = [this](int fd) { return wait_for_key(fd); };
    o.complete = [this](const std::string& before, const std::string& word) {
      return complete(before, word);
    };
    return o;
  }

  static int fcntl_flags() { return fcntl(STDIN_FILENO, F_GETFL); }
  static void restore_flags(int flags) {
    if (flags >= 0) fcntl(STDIN_FILENO, F_SETFL, flags);
  }

  // require "reel.repl" (stdlib/reel/repl.lua): the pretty printer, error
  // sentences, completion and commands. Without it the REPL still works,
  // printing as lua5.4 does.
  void load_support() {
    lua_getglobal(L_, "require");
    lua_pushliteral(L_, "reel.repl");
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK || !lua_istable(L_, -1)) {
      std::fprintf(stderr, "reel: the REPL's Lua part (reel.repl) did not load: %s\n",
                   lua_tostring(L_, -1) != nullptr ? lua_tostring(L_, -1) : "not a module");
      lua_pop(L_, 1);
      return;
    }
    lua_setfield(L_, LUA_REGISTRYINDEX, kSupportKey);
    have_support_ = true;
  }

  // Pushes reel.repl's function `name`; false (nothing pushed) without it.
  bool push_support(const char* name) {
    if (!have_support_) return false;
    lua_getfield(L_, LUA_REGISTRYINDEX, kSupportKey);
    lua_getfield(L_, -1, name);
    lua_remove(L_, -2);
    if (lua_isfunction(L_, -1)) return true;
    lua_pop(L_, 1);
    return false;
  }

  // --- reading -----------------------------------------------------------

  std::string prompt(bool first) {
    lua_getglobal(L_, first ? "_PROMPT" : "_PROMPT2");
    const char* p = lua_tostring(L_, -1);
    std::string text = p != nullptr ? p : first ? "> " : ">> ";
    lua_pop(L_, 1);
    return text;
  }

  Status next_line(bool first, std::string& line) {
    if (terminal_) return editor_.edit(prompt(first), line);
    line.clear();
    char buffer[4096];
    bool got = false;
    while (std::fgets(buffer, sizeof buffer, stdin) != nullptr) {
      got = true;
      line += buffer;
      if (line.back() == '\n') break;
    }
    if (!got) return Status::end;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return Status::line;
  }

  int load(const std::string& source) {
    return luaL_loadbuffer(L_, source.data(), source.size(), "=stdin");
  }

  // The chunk ends too early ("unexpected <eof>"): more lines may finish it.
  bool incomplete(int status) {
    if (status != LUA_ERRSYNTAX) return false;
    size_t len = 0;
    const char* msg = lua_tolstring(L_, -1, &len);
    return std::string_view(msg, len).ends_with(kEofMark);
  }

  // One chunk as lua5.4 reads it ("=expr", an expression printed, more lines
  // while incomplete), or a command. Leaves the loaded chunk on the stack.
  Read read_chunk(std::string& command) {
    editor_.set_context("");
    std::string line;
    const Status first = next_line(true, line);
    if (first == Status::end) return Read::end;
    if (first == Status::interrupted) return cancelled();
    if (is_command(line)) {
      editor_.remember(line);
      command = line.substr(0, line.find_last_not_of(" \t") + 1);
      return Read::command;
    }
    std::string typed = line;  // what history keeps: "=x" stays "=x"
    std::string source = line.starts_with('=') ? "return " + line.substr(1) : line;
    if (load("return " + source + ";") == LUA_OK) {
      editor_.remember(typed);
      return Read::chunk;
    }
    lua_pop(L_, 1);
    for (;;) {
      const int status = load(source);
      if (!incomplete(status)) {
        editor_.remember(typed);
        if (status == LUA_OK) return Read::chunk;
        return syntax_error();
      }
      lua_pop(L_, 1);
      editor_.set_context(typed + "\n");
      const Status more = next_line(false, line);
      if (more == Status::interrupted) return cancelled();
      if (more == Status::end) {
        load(source);  // lua5.4 reports the incomplete chunk's error at the end
        syntax_error();
        return Read::end;
      }
      source += "\n" + line;
      typed += "\n" + line;
    }
  }

  // Ctrl-C at the prompt drops what was typed and gives a fresh prompt.
  Read cancelled() {
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return Read::skip;
  }

  Read syntax_error() {
    std::fprintf(stderr, "%s\n", lua_tostring(L_, -1));
    std::fflush(stderr);
    lua_pop(L_, 1);
    ++failed_;
    return Read::skip;
  }

  // --- running -------------------------------------------------------------

  // The loop's board comes back once the line has run for a moment.
  void line_starts() {
    const uint64_t line = ++line_number_;
    running_ = true;
    scheduler_.loop().after(kBoardDelayMs, [this, line] {
      if (running_ && line_number_ == line) screen::between_lines(false);
    });
  }

  void line_ends() {
    running_ = false;
    screen::between_lines(true);
  }

  void run_chunk() {
    line_starts();
    if (!push_support("eval")) {
      plain_run();
      return;
    }
    lua_insert(L_, -2);  // eval(chunk)
    const Outcome outcome = runtime_.call(1, 2);
    line_ends();
    if (outcome != Outcome::ok) return report(outcome);
    const bool ok = lua_toboolean(L_, -2) != 0;
    if (!ok) ++failed_;
    if (lua_isstring(L_, -1)) say(ok ? stdout : stderr, lua_tostring(L_, -1));
  }

  // Without reel.repl: lua5.4's way, results through print.
  void plain_run() {
    const int base = lua_gettop(L_) - 1;
    const Outcome outcome = runtime_.call(0, LUA_MULTRET);
    line_ends();
    if (outcome != Outcome::ok) return report(outcome);
    const int n = lua_gettop(L_) - base;
    if (n == 0) return;
    lua_getglobal(L_, "print");
    lua_insert(L_, base + 1);
    if (lua_pcall(L_, n, 0, 0) != LUA_OK) say(stderr, lua_tostring(L_, -1));
  }

  void run_command(const std::string& line) {
    if (!push_support("command")) {
      say(stderr, "REPL commands need reel.repl, which did not load");
      return;
    }
    lua_pushstring(L_, line.c_str());
    line_starts();
    const Outcome outcome = runtime_.call(1, 1);
    line_ends();
    if (outcome != Outcome::ok) return report(outcome);
    if (lua_isstring(L_, -1)) say(stdout, lua_tostring(L_, -1));
  }

  // A line that did not finish: the message is on the stack.
  void report(Outcome outcome) {
    ++failed_;
    if (outcome == Outcome::interrupted) {
      say(stderr, "interrupted; tasks already submitted keep running (.tasks lists them)");
      return;
    }
    say(stderr, lua_tostring(L_, -1));
  }

  static void say(std::FILE* out, const char* text) {
    if (text == nullptr || *text == '\0') return;
    std::fputs(text, out);
    if (text[std::strlen(text) - 1] != '\n') std::fputc('\n', out);
    std::fflush(out);
  }

  // async tasks that failed with nobody waiting: said now, not at the end.
  void report_background_failures() {
    while (!scheduler_.unobserved_failures().empty()) {
      Fiber* fiber = scheduler_.unobserved_failures().front();
      screen::write(stderr, "async task failed (nobody waited for it): " + fiber->traceback + "\n");
      scheduler_.observe(fiber);
    }
  }

  // --- the wait for a key --------------------------------------------------

  // Runs the loop and the fibers it wakes until the terminal has a key, or
  // Ctrl-C. Whatever the fibers print goes above the prompt.
  bool wait_for_key(int /*fd*/) {
    key_ready_ = false;
    uv_poll_start(key_watch_, UV_READABLE,
                  [](uv_poll_t* h, int, int) { static_cast<Repl*>(h->data)->key_ready_ = true; });
    bool ready = true;
    for (;;) {
      if (Scheduler::interrupt_requested()) {
        Scheduler::clear_interrupt();
        ready = false;
        break;
      }
      if (key_ready_) break;
      if (scheduler_.has_ready()) {
        screen::Aside aside;
        scheduler_.step_ready();
        continue;
      }
      report_background_failures();
      scheduler_.loop().run_once();
    }
    uv_poll_stop(key_watch_);
    return ready;
  }

  // --- completion ----------------------------------------------------------

  std::vector<std::string> complete(const std::string& before, const std::string& word) {
    std::vector<std::string> out;
    const int top = lua_gettop(L_);
    if (!push_support("complete")) return out;
    lua_pushlstring(L_, before.data(), before.size());
    lua_pushlstring(L_, word.data(), word.size());
    if (lua_pcall(L_, 2, 1, 0) == LUA_OK && lua_istable(L_, -1)) {
      const lua_Integer n = luaL_len(L_, -1);
      for (lua_Integer i = 1; i <= n; ++i) {
        if (lua_rawgeti(L_, -1, i) == LUA_TSTRING) out.emplace_back(lua_tostring(L_, -1));
        lua_pop(L_, 1);
      }
    }
    lua_settop(L_, top);
    return out;
  }

  lua_State* L_;
  bool terminal_;
  Runtime& runtime_;
  Scheduler& scheduler_;
  term::LineEditor editor_;
  bool have_support_ = false;
  int failed_ = 0;
  uv_poll_t* key_watch_ = nullptr;
  bool key_ready_ = false;
  void (*previous_sigint_)(int) = SIG_DFL;
  uint64_t line_number_ = 0;
  bool running_ = false;
};

}  // namespace

void interactive_repl(lua_State* L, bool banner) {
  if (banner) {
    // --sim names the simulator's folder as the service (host/cli/commands.cpp).
    const char* service = std::getenv("REEL_SERVICE_ID");
    const bool sim = service != nullptr && std::strncmp(service, "sim:", 4) == 0;
    std::printf(
        "reel repl: Lua 5.4 with vidu, media, async and json%s; .help for help, "
        "Ctrl-D to leave\n",
        sim ? ", on the built-in simulator (no key, no credits)" : "");
    std::fflush(stdout);
  }
  Repl repl(L, true);
  repl.run();
}

int piped_repl(lua_State* L) {
  Repl repl(L, false);
  return repl.run();
}

}  // namespace reel::lua
