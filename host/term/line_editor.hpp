// Reads input lines for an interactive prompt: libedit's line editing and
// history on a terminal; plain reads otherwise, echoing prompt and line the
// way GNU readline does when its input is not a terminal (lua5.4's REPL is
// built on it, and scripts compare against it).
#pragma once

#include <optional>
#include <string>

namespace reel::term {

class LineEditor {
 public:
  LineEditor();
  // The line without its newline, or nothing at end of input.
  std::optional<std::string> read(const std::string& prompt);
  void remember(const std::string& line);  // adds to the history

  static bool stdin_is_terminal();

 private:
  bool terminal_;
};

}  // namespace reel::term
