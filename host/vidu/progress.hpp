// What the user sees while tasks run (issue 5, "Progress"): on a terminal one
// live line per running task, redrawn in place; elsewhere one plain log line
// per change of state; nothing with --quiet. Lines name the shot, the state,
// the time since submission, the queue position or expected time left, and
// the credits. No Lua here; the client reports rows (and a script its own,
// through vidu.progress in bindings/vidu_tasks.cpp), this class draws them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "host/net/event_loop.hpp"

namespace reel::vidu {

struct ProgressRow {
  std::string name;     // the shot's name ("text2video#3" when the script gave none)
  std::string task_id;  // "" until the API has answered the create
  std::string state;    // "submitting", "created", "queueing", "processing",
                        // "downloading", "done", "failed", "cancelled", "timeout"
  double elapsed = 0;   // seconds since the task was submitted
  std::string detail;   // "3 ahead", "~12 s left", "TaskFailed: ...", "out/x.mp4"; may be ""
  std::optional<int> credits;
};

class Progress {
 public:
  enum class Mode { quiet, lines, live };

  // live when `out` is a terminal, lines otherwise; quiet when asked.
  static Mode mode_for(std::FILE* out, bool quiet);

  // `loop` drives the live mode's once-a-second redraw (an unreferenced timer:
  // it never keeps the loop alive).
  Progress(net::EventLoop& loop, Mode mode, std::FILE* out = stderr);
  ~Progress();  // live: leaves the screen with no board drawn
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A task's row changed. lines: prints one line when the state (or, for
  // queueing, the position) changed since the last line for that key. live:
  // redraws the board (at most ~10 times a second; the latest row wins).
  void update(uint64_t key, const ProgressRow& row);

  // The task is over (done, failed, cancelled, timeout): its final line is
  // printed once, above the live board, and it leaves the board.
  void finish(uint64_t key, const ProgressRow& row);

  // The row leaves the live board with no final line (a script's own row
  // whose shot now has a task, with a row of its own). lines, quiet: prints
  // nothing. A later update() of the key shows it again, as a new row.
  void remove(uint64_t key);

  // live: erase the board before someone else writes to the terminal, and
  // draw it again afterwards (so script output does not mix with it).
  void suspend();
  void resume();

  // Where the display's text goes instead of straight to `out` (the REPL
  // puts it above its prompt). Called with whole lines and cursor moves.
  void set_writer(std::function<void(const std::string&)> write);

  Mode mode() const { return mode_; }

 private:
  struct Impl;
  Mode mode_;
  Impl* impl_;
};

// "  open        processing   12.4 s   ~8 s left        40 credits  [task 8123...]"
// One line, no newline, at most `width` columns (0: no limit).
std::string format_row(const ProgressRow& row, int width);

}  // namespace reel::vidu
