#include "host/term/line_editor.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

// libedit's readline emulation; the header needs stdio first.
#include <readline.h>

namespace reel::term {

LineEditor::LineEditor() : terminal_(stdin_is_terminal()) {}

bool LineEditor::stdin_is_terminal() {
  return isatty(STDIN_FILENO) != 0;
}

std::optional<std::string> LineEditor::read(const std::string& prompt) {
  if (terminal_) {
    char* line = readline(prompt.c_str());
    if (line == nullptr) return std::nullopt;
    std::string text(line);
    std::free(line);
    return text;
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

void LineEditor::remember(const std::string& line) {
  if (terminal_ && !line.empty()) add_history(line.c_str());
}

}  // namespace reel::term
