// The bottom of the terminal, shared by the REPL's prompt and the progress
// board (host/vidu/progress). While the REPL is between lines the board is
// put away (a task's final line still shows), and while the prompt waits
// for a key, text written through here goes above it and the prompt is
// drawn again below. Only the loop's thread calls in here.
#pragma once

#include <cstdio>
#include <functional>
#include <string_view>

namespace reel::term::screen {

// How the prompt gets out of the way: `hide` clears its line, `show` draws
// prompt and input again (the cursor is then at the start of a line).
struct Prompt {
  std::function<void()> hide;
  std::function<void()> show;
};

// The line editor, around its wait for a key.
void prompt_up(Prompt prompt);
void prompt_down();

// While alive, the prompt (if it is up) is off the screen: what is written
// meanwhile lands where it was.
class Aside {
 public:
  Aside();
  ~Aside();
  Aside(const Aside&) = delete;
  Aside& operator=(const Aside&) = delete;

 private:
  bool hid_;
};

// Writes `text` to `out` and flushes it; above the prompt when it is up.
void write(std::FILE* out, std::string_view text);

// The REPL between lines (true: its results and prompt come next) or running
// one (false). Listeners hear of every change; the board hides and shows.
void between_lines(bool between);
bool is_between_lines();
int listen(std::function<void(bool between)> listener);  // returns an id for forget()
void forget(int id);

}  // namespace reel::term::screen
