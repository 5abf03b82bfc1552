#include "host/term/line_editor.hpp"

#include <langinfo.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clocale>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

// libedit's readline emulation; the header needs stdio first.
#include <readline.h>

#include "host/term/screen.hpp"

namespace reel::term {

namespace {

constexpr int kHistorySize = 1000;

// Where a word to complete begins. '.', ':' and '-' are not among them, so
// "vidu.te", "clip:la" and "viduq2-p" are one word each.
constexpr const char* kWordBreaks = " \t\n\"'`@$><=;|&{(,)}[]+*/%^~#";

LineEditor* active = nullptr;  // libedit's readline emulation is global: one editor at a time

// libedit shows and stores the characters the locale's character set knows:
// in the "C" locale (LANG unset, as under many a script or container) "é"
// would be dropped and "—" shown as \U+2014. Character classes only
// (LC_CTYPE): numbers still print with a dot, as Lua expects.
void use_utf8_characters() {
  const char* set = std::setlocale(LC_CTYPE, "");
  if (set != nullptr && std::strcmp(nl_langinfo(CODESET), "ANSI_X3.4-1968") != 0) return;
  std::setlocale(LC_CTYPE, "C.UTF-8");
}

}  // namespace

// The C callbacks libedit calls, with access to the active editor.
struct Hooks {
  // One character for libedit: a whole UTF-8 sequence decoded to its code
  // point (libedit takes what this returns as one wide character), or -1 at
  // end of input or when the wait was interrupted.
  static int getc(FILE* /*stream*/) {
    unsigned char first = 0;
    if (!active->read_byte(first)) return -1;
    if (first < 0x80) return first;
    const int extra = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0;
    if (extra == 0) return 0xFFFD;  // a stray continuation byte
    int code = first & (0x3F >> extra);
    for (int i = 0; i < extra; ++i) {
      unsigned char next = 0;
      if (!active->read_byte(next)) return -1;
      if ((next & 0xC0) != 0x80) return 0xFFFD;
      code = (code << 6) | (next & 0x3F);
    }
    return code;
  }

  static std::vector<std::string>& candidates() {
    static std::vector<std::string> list;
    return list;
  }

  // rl_completion_matches' generator: the candidates one by one.
  static char* next_candidate(const char* /*text*/, int state) {
    const auto& list = candidates();
    const auto i = static_cast<size_t>(state);
    return i < list.size() ? strdup(list[i].c_str()) : nullptr;
  }

  static char** complete(const char* text, int /*start*/, int /*end*/) {
    rl_attempted_completion_over = 1;  // never fall back to file names
    if (active == nullptr || !active->options_.complete) return nullptr;
    const std::string before = active->context_ + std::string(rl_line_buffer, rl_point);
    candidates() = active->options_.complete(before, text);
    if (candidates().empty()) return nullptr;
    return rl_completion_matches(text, next_candidate);
  }
};

LineEditor::LineEditor() : terminal_(stdin_is_terminal()) {}

LineEditor::LineEditor(Options options)
    : terminal_(stdin_is_terminal()), options_(std::move(options)) {
  if (!terminal_) return;
  use_utf8_characters();
  active = this;
  rl_readline_name = "reel";  // the section of ~/.editrc that applies
  rl_catch_signals = 0;       // Ctrl-C is the REPL's: it ends the wait for a key
  if (options_.wait_for_key) rl_getc_function = Hooks::getc;
  rl_attempted_completion_function = Hooks::complete;
  rl_basic_word_break_characters = kWordBreaks;
  rl_completion_append_character = '\0';
  rl_initialize();
  using_history();
  stifle_history(kHistorySize);
  if (!options_.history_file.empty()) read_history(options_.history_file.c_str());
}

LineEditor::~LineEditor() {
  if (active == this) active = nullptr;
}

bool LineEditor::stdin_is_terminal() {
  return isatty(STDIN_FILENO) != 0;
}

std::string LineEditor::default_history_file() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && state[0] == '/') return std::string(state) + "/reel/history";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return std::string(home) + "/.local/state/reel/history";
  return "";
}

bool LineEditor::read_byte(unsigned char& byte) {
  for (;;) {
    if (options_.wait_for_key) {
      screen::prompt_up({[] {
                           std::fputs("\r\x1b[K", stdout);
                           std::fflush(stdout);
                         },
                         [] { rl_forced_update_display(); }});
      const bool ready = options_.wait_for_key(STDIN_FILENO);
      screen::prompt_down();
      if (!ready) {
        interrupted_ = true;
        return false;
      }
    }
    const ssize_t n = ::read(STDIN_FILENO, &byte, 1);
    if (n == 1) return true;
    if (n == 0) return false;
    if (errno != EINTR && errno != EAGAIN) return false;
  }
}

LineEditor::Status LineEditor::edit(const std::string& prompt, std::string& line) {
  interrupted_ = false;
  char* text = readline(prompt.c_str());
  if (text == nullptr) return interrupted_ ? Status::interrupted : Status::end;
  line = text;
  std::free(text);
  return Status::line;
}

std::optional<std::string> LineEditor::read(const std::string& prompt) {
  if (terminal_) {
    std::string line;
    if (edit(prompt, line) != Status::line) return std::nullopt;
    return line;
  }
  std::fputs(prompt.c_str(), stdout);
  std::fflush(stdout);
  std::string text;
  char buffer[512];
  bool got = false;
  while (std::fgets(buffer, sizeof buffer, stdin) != nullptr) {
    got = true;
    text += buffer;
    if (!text.empty() && text.back() == '\n') break;
  }
  if (!got) return std::nullopt;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::fputs(text.c_str(), stdout);
  std::fputc('\n', stdout);
  return text;
}

void LineEditor::remember(const std::string& entry) {
  if (!terminal_ || entry.empty()) return;
  add_history(entry.c_str());
  const std::string& file = options_.history_file;
  if (file.empty()) return;
  // Written whole after every entry, so a crash loses nothing; readable by
  // its owner only, since lines may hold what others should not see.
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::path(file).parent_path();
  if (!folder.empty() && !std::filesystem::exists(folder, ec)) {
    std::filesystem::create_directories(folder, ec);
    ::chmod(folder.c_str(), 0700);
  }
  const mode_t old_mask = ::umask(077);
  write_history(file.c_str());
  ::umask(old_mask);
}

}  // namespace reel::term
