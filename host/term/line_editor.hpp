// Reads input lines for an interactive prompt.
//
// On a terminal: libedit's line editing, history (kept in a file when one is
// given), Tab completion from a callback, and a wait for each key that runs
// other work meanwhile (the REPL's event loop) and can be interrupted. Text
// others write while the prompt waits goes above it (host/term/screen).
//
// Elsewhere: plain reads, echoing prompt and line the way GNU readline does
// when its input is not a terminal (lua5.4's REPL is built on it, and
// scripts compare against it).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace reel::term {

class LineEditor {
 public:
  struct Options {
    std::string history_file;  // "": history for this session only
    // Returns when `fd` can be read (true), running other work meanwhile, or
    // when the wait is interrupted (false: Ctrl-C).
    std::function<bool(int fd)> wait_for_key;
    // The candidates that may replace `word`, the last word of `before`
    // (everything typed before the cursor, earlier lines of the chunk too).
    std::function<std::vector<std::string>(const std::string& before, const std::string& word)>
        complete;
  };

  LineEditor();  // lua5.4's: no history file, no completion, blocking reads
  explicit LineEditor(Options options);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  enum class Status { line, interrupted, end };
  // A line on the terminal (without its newline) in `line`.
  Status edit(const std::string& prompt, std::string& line);

  // The line without its newline, or nothing at end of input (or Ctrl-C).
  std::optional<std::string> read(const std::string& prompt);

  // Adds an entry to the history (and its file).
  void remember(const std::string& entry);

  // The lines of the chunk typed so far, before the one being edited: what
  // completion sees before the current line.
  void set_context(std::string earlier) { context_ = std::move(earlier); }

  static bool stdin_is_terminal();

  // $XDG_STATE_HOME/reel/history, else ~/.local/state/reel/history; "" when
  // neither variable is set.
  static std::string default_history_file();

 private:
  friend struct Hooks;
  bool read_byte(unsigned char& byte);

  bool terminal_;
  Options options_;
  std::string context_;
  bool interrupted_ = false;
};

}  // namespace reel::term
