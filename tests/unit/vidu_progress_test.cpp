// host/vidu/progress: the row format, the plain log lines, and the live board
// drawn on a real libuv loop into a memory stream or a pseudo-terminal.
#include "host/vidu/progress.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

using reel::net::EventLoop;
using reel::vidu::format_row;
using reel::vidu::Progress;
using reel::vidu::ProgressRow;

// Everything written to a FILE*, read back after a flush.
struct Capture {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  ~Capture() {
    std::fclose(f);
    std::free(buf);
  }
  std::string text() {
    std::fflush(f);
    return std::string(buf, len);
  }
};

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Runs the loop until nothing referenced is left (the 1 s tick is unreferenced,
// so it never holds this up); fails rather than hangs.
void drain(EventLoop& loop) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (loop.alive()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the loop never went idle";
    loop.run_once();
  }
}

ProgressRow row(std::string name, std::string state, double elapsed, std::string detail = "",
                std::optional<int> credits = std::nullopt, std::string task_id = "") {
  ProgressRow r;
  r.name = std::move(name);
  r.state = std::move(state);
  r.elapsed = elapsed;
  r.detail = std::move(detail);
  r.credits = credits;
  r.task_id = std::move(task_id);
  return r;
}

// The elapsed column (columns 27..34) of a row with an ASCII name.
std::string elapsed_column(double seconds) {
  return format_row(row("shot", "processing", seconds, "x"), 0).substr(27, 8);
}

// ---- format_row ------------------------------------------------------------

TEST(ProgressFormat, ColumnsInOrder) {
  std::string line = format_row(row("open", "processing", 12.4, "~8 s left", 40, "8123"), 0);
  EXPECT_EQ(line, "open" + std::string(10, ' ') +
                      " processing  12.4 s   ~8 s left  40 credits  task 8123");
  EXPECT_EQ(line.substr(15, 11), "processing ");
  EXPECT_EQ(line.substr(27, 8), "12.4 s  ");
  EXPECT_EQ(line.substr(36, 9), "~8 s left");
}

TEST(ProgressFormat, UnknownCreditsAndTaskAreLeftOut) {
  std::string line = format_row(row("open", "submitting", 0.2), 0);
  EXPECT_EQ(line, "open" + std::string(10, ' ') + " submitting  0.2 s");  // no trailing blanks
  EXPECT_EQ(line.find("credits"), std::string::npos);
  EXPECT_EQ(line.find("task"), std::string::npos);
  EXPECT_NE(format_row(row("open", "created", 1, "", 0), 0).find(" 0 credits"), std::string::npos);
  EXPECT_EQ(format_row(row("open", "created", 1, "", std::nullopt, "t-9"), 0),
            "open" + std::string(10, ' ') + " created     1.0 s    task t-9");
}

TEST(ProgressFormat, SecondsThenMinutes) {
  EXPECT_EQ(elapsed_column(0), "0.0 s   ");
  EXPECT_EQ(elapsed_column(-3), "0.0 s   ");
  EXPECT_EQ(elapsed_column(12.44), "12.4 s  ");
  EXPECT_EQ(elapsed_column(59.94), "59.9 s  ");
  EXPECT_EQ(elapsed_column(59.96), "1m00s   ");  // never "60.0 s"
  EXPECT_EQ(elapsed_column(60), "1m00s   ");
  EXPECT_EQ(elapsed_column(185.2), "3m05s   ");
  EXPECT_EQ(elapsed_column(3725), "62m05s  ");
}

TEST(ProgressFormat, NamesArePaddedOrShortenedByCodePoints) {
  std::string shortname = format_row(row("café", "queueing", 1), 0);
  EXPECT_EQ(shortname.substr(0, 17), "café" + std::string(10, ' ') + " q");

  std::string longname = format_row(row("Überraschungsbesuch", "queueing", 1), 0);
  EXPECT_EQ(longname.rfind("Überraschungs\u2026 queueing ", 0), 0u) << longname;
  // The name column is 14 code points whatever the bytes: the state starts at 15.
  EXPECT_EQ(code_points(longname.substr(0, longname.find("queueing"))), 15u);
}

TEST(ProgressFormat, TruncatesToWidthInCodePoints) {
  ProgressRow r = row("ÄÖÜäöüßÄÖÜäöü", "processing", 3, "→ out/Ωmega.mp4", 12, "abc");
  std::string full = format_row(r, 0);
  ASSERT_GT(code_points(full), 60u);
  for (int width : {1, 13, 14, 20, 38, 40, 41, 42, 43, 50}) {
    std::string cut = format_row(r, width);
    EXPECT_EQ(code_points(cut), static_cast<std::size_t>(width)) << width;
    EXPECT_EQ(full.rfind(cut, 0), 0u) << "not a prefix at width " << width;
    // Never half a character: the next byte of `full` starts a new one.
    EXPECT_NE(static_cast<unsigned char>(full[cut.size()]) & 0xC0, 0x80) << width;
  }
  EXPECT_EQ(format_row(r, 20).size(), 33u);  // 13 two-byte letters, then 7 ASCII bytes
  EXPECT_EQ(format_row(r, 500), full);
}

TEST(ProgressFormat, StaysOnOneLine) {
  std::string line = format_row(row("a\nb", "failed", 2, "TaskFailed:\nboom\r\tx"), 0);
  EXPECT_EQ(line.find_first_of("\n\r\t"), std::string::npos) << line;
  EXPECT_NE(line.find("TaskFailed: boom  x"), std::string::npos) << line;
}

// ---- lines and quiet -------------------------------------------------------

TEST(ProgressLines, PrintsWhenTheStateChanges) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::lines, out.f);
  EXPECT_EQ(p.mode(), Progress::Mode::lines);

  std::string expected;
  auto line = [&](const ProgressRow& r) { expected += "reel: " + format_row(r, 0) + "\n"; };

  ProgressRow a = row("open", "submitting", 0.1);
  p.update(1, a);
  line(a);
  EXPECT_EQ(out.text(), expected);  // flushed at once

  a.elapsed = 0.4;
  p.update(1, a);  // same state, only time moved: nothing
  EXPECT_EQ(out.text(), expected);

  a = row("open", "queueing", 1.0, "3 ahead", 40, "8123");
  p.update(1, a);
  line(a);
  a.elapsed = 2.0;
  p.update(1, a);  // same position
  a.detail = "2 ahead";
  p.update(1, a);  // queueing: the position counts as a change
  line(a);

  ProgressRow b = row("close", "queueing", 0.5, "4 ahead");
  p.update(2, b);
  line(b);

  a = row("open", "processing", 3.0, "~20 s left", 40, "8123");
  p.update(1, a);
  line(a);
  a.detail = "~10 s left";
  p.update(1, a);  // processing: the estimate alone is no change
  EXPECT_EQ(out.text(), expected);
  EXPECT_EQ(count(out.text(), "\n"), 5u);
  EXPECT_EQ(out.text().find('\x1b'), std::string::npos);  // no escapes in a log
}

TEST(ProgressLines, FinishPrintsTheFinalLineOnce) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::lines, out.f);
  p.update(7, row("open", "processing", 3));
  ProgressRow done = row("open", "done", 41.5, "out/open.mp4", 40, "8123");
  p.finish(7, done);
  p.finish(7, done);
  p.update(7, row("open", "processing", 42));  // late news about a finished task
  std::string final_line = "reel: " + format_row(done, 0) + "\n";
  EXPECT_EQ(count(out.text(), final_line), 1u);
  EXPECT_EQ(count(out.text(), "\n"), 2u);
  EXPECT_EQ(out.text().substr(out.text().size() - final_line.size()), final_line);
}

TEST(ProgressQuiet, PrintsNothing) {
  Capture out;
  EventLoop loop;
  {
    Progress p(loop, Progress::Mode::quiet, out.f);
    p.update(1, row("open", "queueing", 1, "3 ahead"));
    p.update(1, row("open", "processing", 2));
    p.suspend();
    p.resume();
    p.finish(1, row("open", "failed", 3, "TaskFailed: no"));
  }
  drain(loop);
  EXPECT_EQ(out.text(), "");
}

// ---- mode_for --------------------------------------------------------------

struct Pty {
  int master = -1, slave = -1;
  std::FILE* f = nullptr;  // the slave, as the program's stderr would be
  Pty() {
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return;
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    if (slave < 0) return;
    termios t{};
    tcgetattr(slave, &t);
    cfmakeraw(&t);  // bytes as written: no "\n" -> "\r\n"
    tcsetattr(slave, TCSANOW, &t);
    f = fdopen(slave, "w");
  }
  ~Pty() {
    if (f) std::fclose(f);
    if (master >= 0) close(master);
  }
  std::string read_all() {
    std::string s;
    char buf[4096];
    while (true) {
      pollfd pfd{master, POLLIN, 0};
      if (poll(&pfd, 1, 200) <= 0) break;
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      s.append(buf, static_cast<std::size_t>(n));
    }
    return s;
  }
};

struct ScopedTerm {
  std::optional<std::string> saved;
  explicit ScopedTerm(const char* value) {
    if (const char* t = std::getenv("TERM")) saved = t;
    setenv("TERM", value, 1);
  }
  ~ScopedTerm() {
    if (saved)
      setenv("TERM", saved->c_str(), 1);
    else
      unsetenv("TERM");
  }
};

TEST(ProgressMode, FollowsTheStream) {
  Capture mem;
  std::FILE* tmp = std::tmpfile();
  ASSERT_NE(tmp, nullptr);
  ScopedTerm term("xterm");
  EXPECT_EQ(Progress::mode_for(mem.f, false), Progress::Mode::lines);
  EXPECT_EQ(Progress::mode_for(tmp, false), Progress::Mode::lines);
  EXPECT_EQ(Progress::mode_for(tmp, true), Progress::Mode::quiet);
  std::fclose(tmp);

  Pty pty;
  ASSERT_NE(pty.f, nullptr) << "no pseudo-terminal";
  EXPECT_EQ(Progress::mode_for(pty.f, false), Progress::Mode::live);
  EXPECT_EQ(Progress::mode_for(pty.f, true), Progress::Mode::quiet);
  ScopedTerm dumb("dumb");
  EXPECT_EQ(Progress::mode_for(pty.f, false), Progress::Mode::lines);
}

// ---- live ------------------------------------------------------------------

TEST(ProgressLive, FinalLineAboveTheBoard) {
  Capture out;
  ProgressRow a = row("open", "processing", 3, "~8 s left", 40, "8123");
  ProgressRow b = row("close", "queueing", 1, "2 ahead");
  ProgressRow a_done = row("open", "done", 14.2, "out/open.mp4", 40, "8123");
  {
    EventLoop loop;
    {
      Progress p(loop, Progress::Mode::live, out.f);
      EXPECT_EQ(p.mode(), Progress::Mode::live);
      p.update(1, a);
      EXPECT_EQ(out.text(),
                "\x1b[2K" + format_row(a, 79) + "\n\x1b[J");  // the first draw is at once
      p.update(2, b);  // within 100 ms: drawn later, by the loop
      drain(loop);
      std::string board = out.text();
      EXPECT_NE(board.find("\r\x1b[1A\x1b[2K"), std::string::npos) << "moved up over the board";
      EXPECT_NE(board.find("close"), std::string::npos);
      EXPECT_LT(board.rfind("open"), board.rfind("close")) << "rows in order of appearance";

      p.finish(1, a_done);
      p.finish(1, a_done);
      drain(loop);
    }
    std::string all = out.text();
    std::string final_line = format_row(a_done, 0) + "\n";
    EXPECT_EQ(count(all, final_line), 1u) << all;
    // The board (2 lines) is erased, the final line printed where it began,
    // and the rest of the board drawn below it.
    std::size_t at = all.find("\r\x1b[2A\x1b[J" + final_line);
    ASSERT_NE(at, std::string::npos) << all;
    std::string after = all.substr(at);
    EXPECT_NE(after.find("close"), std::string::npos);
    EXPECT_EQ(after.find("\x1b[2Kopen"), std::string::npos) << "open left the board";
    // The destructor leaves no board behind: the last bytes erase the one line left.
    const std::string erase_one = "\r\x1b[1A\x1b[J";
    ASSERT_GE(all.size(), erase_one.size());
    EXPECT_EQ(all.substr(all.size() - erase_one.size()), erase_one);
  }
}

TEST(ProgressLive, BurstsAreRateLimited) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::live, out.f);
  for (int i = 0; i < 50; ++i)
    p.update(1, row("open", "processing", 2 + i * 0.01, "step " + std::to_string(i)));
  std::size_t during = count(out.text(), "\x1b[J");
  drain(loop);  // the put-off redraw
  std::string all = out.text();
  std::size_t redraws = count(all, "\x1b[J");
  EXPECT_LE(during, 3u);
  EXPECT_GT(redraws, during) << "the latest row is drawn after the burst";
  EXPECT_LE(redraws, 5u) << all;
  // The latest row wins: the last board drawn shows step 49.
  std::size_t last = all.rfind("\x1b[2K");
  EXPECT_NE(all.find("step 49", last), std::string::npos) << all;
}

double last_elapsed_shown(const std::string& all, const std::string& name) {
  std::size_t at = all.rfind("\x1b[2K" + name);
  if (at == std::string::npos) return -1;
  return std::stod(all.substr(at + 4 + 27, 8));
}

TEST(ProgressLive, ElapsedTicksWithoutKeepingTheLoopAlive) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::live, out.f);
  p.update(1, row("open", "processing", 5.0, "~30 s left"));
  auto start = std::chrono::steady_clock::now();
  drain(loop);  // the once-a-second timer is unreferenced: returns at once
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_DOUBLE_EQ(last_elapsed_shown(out.text(), "open"), 5.0);

  loop.after(1150, [] {});  // something else keeps the loop busy for a while
  drain(loop);
  double shown = last_elapsed_shown(out.text(), "open");
  EXPECT_GE(shown, 6.0) << out.text();
  EXPECT_LT(shown, 7.0) << out.text();
}

TEST(ProgressLive, SuspendErasesAndResumeRedraws) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::live, out.f);
  p.update(1, row("open", "processing", 1, "first"));
  p.update(2, row("close", "processing", 1));
  drain(loop);
  std::size_t before = out.text().size();

  p.suspend();
  EXPECT_EQ(out.text().substr(before), "\r\x1b[2A\x1b[J");
  before = out.text().size();
  p.update(1, row("open", "processing", 2, "second"));
  drain(loop);
  std::fputs("script output\n", out.f);  // someone else writes while suspended
  EXPECT_EQ(out.text().substr(before), "script output\n");
  ProgressRow done = row("close", "done", 3);
  p.finish(2, done);  // the final line still goes out, with no board around it
  EXPECT_EQ(out.text().substr(before), "script output\n" + format_row(done, 0) + "\n");
  before = out.text().size();

  p.resume();
  std::string redraw = out.text().substr(before);
  EXPECT_EQ(redraw.find("\x1b[1A"), std::string::npos) << "nothing to move over";
  EXPECT_NE(redraw.find("second"), std::string::npos) << redraw;
  EXPECT_EQ(redraw.find("close"), std::string::npos) << redraw;
}

TEST(ProgressLive, DestructorClosesItsTimers) {
  Capture out;
  EventLoop loop;
  auto handles = [&] {
    int n = 0;
    uv_walk(
        loop.get(), [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); }, &n);
    return n;
  };
  {
    Progress p(loop, Progress::Mode::live, out.f);
    p.update(1, row("open", "processing", 1));
    p.update(1, row("open", "processing", 1.01, "pending redraw"));  // throttle armed
    EXPECT_GT(handles(), 0);
  }
  uv_run(loop.get(), UV_RUN_NOWAIT);  // close callbacks run (and free the timers)
  EXPECT_EQ(handles(), 0);
  EXPECT_FALSE(loop.alive());
  EXPECT_EQ(out.text().find("pending redraw"), std::string::npos) << "nothing drawn after";
}

TEST(ProgressLive, RowsFitTheTerminal) {
  Pty pty;
  ASSERT_NE(pty.f, nullptr) << "no pseudo-terminal";
  winsize ws{};
  ws.ws_col = 30;
  ws.ws_row = 10;
  ASSERT_EQ(ioctl(pty.slave, TIOCSWINSZ, &ws), 0);
  EventLoop loop;
  {
    Progress p(loop, Progress::Mode::live, pty.f);
    p.update(1, row("Überraschungsbesuch", "processing", 1, "a long detail that must be cut"));
  }
  drain(loop);
  std::string seen = pty.read_all();
  std::string drawn =
      format_row(row("Überraschungsbesuch", "processing", 1, "a long detail that must be cut"), 29);
  EXPECT_EQ(seen.find("\x1b[2K" + drawn + "\n"), 0u) << seen;  // one column spare: no wrap
  EXPECT_EQ(code_points(drawn), 29u);
}

// ---- remove ----------------------------------------------------------------

// A script's own rows (vidu.progress) live in a key space of their own.
constexpr uint64_t kScriptRow = (uint64_t{1} << 63) | 1;
constexpr uint64_t kOtherScriptRow = (uint64_t{1} << 63) | 2;

// Every place `name` was written outside a board line ("\x1b[2K" + row):
// a final line would be one.
std::size_t outside_board(const std::string& all, const std::string& name) {
  std::size_t n = 0;
  for (std::size_t at = all.find(name); at != std::string::npos; at = all.find(name, at + 1))
    n += at < 4 || all.compare(at - 4, 4, "\x1b[2K") != 0;
  return n;
}

TEST(ProgressRemove, LeavesTheLiveBoardWithoutAFinalLine) {
  Pty pty;
  ASSERT_NE(pty.f, nullptr) << "no pseudo-terminal";
  winsize ws{};
  ws.ws_col = 100;
  ws.ws_row = 20;
  ASSERT_EQ(ioctl(pty.slave, TIOCSWINSZ, &ws), 0);
  ScopedTerm term("xterm");
  EventLoop loop;
  std::string all;
  {
    Progress p(loop, Progress::mode_for(pty.f, false), pty.f);
    ASSERT_EQ(p.mode(), Progress::Mode::live);
    p.update(kScriptRow, row("dusk", "waiting", 0, "on push"));
    p.update(1, row("push", "processing", 3, "~8 s left", 40, "8123"));
    drain(loop);
    all += pty.read_all();
    ASSERT_NE(all.find("\x1b[2Kdusk"), std::string::npos) << all;

    p.remove(kScriptRow);
    drain(loop);  // the redraw may be put off by the rate limit
    std::string after = pty.read_all();
    all += after;
    // Up over the two lines, the task's row drawn again, the rest cleared.
    EXPECT_EQ(after.rfind("\r\x1b[2A\x1b[2Kpush", 0), 0u) << after;
    EXPECT_EQ(count(after, "\x1b[2K"), 1u) << after;
    EXPECT_EQ(after.find("dusk"), std::string::npos) << after;
    EXPECT_EQ(after.substr(after.size() - 4), "\n\x1b[J") << after;

    p.remove(kScriptRow);  // gone already
    p.remove(77);          // never shown
    drain(loop);
    EXPECT_EQ(pty.read_all(), "");
  }
  drain(loop);
  std::string last = pty.read_all();
  EXPECT_EQ(last, "\r\x1b[1A\x1b[J") << "the destructor erases the one line left";
  all += last;
  EXPECT_EQ(outside_board(all, "dusk"), 0u) << "no final line for a removed row: " << all;
}

TEST(ProgressRemove, TheLastRowErasesTheBoard) {
  Pty pty;
  ASSERT_NE(pty.f, nullptr) << "no pseudo-terminal";
  EventLoop loop;
  {
    Progress p(loop, Progress::Mode::live, pty.f);
    p.update(kScriptRow, row("dusk", "waiting", 0, "on push"));
    drain(loop);
    ASSERT_NE(pty.read_all().find("dusk"), std::string::npos);
    p.remove(kScriptRow);
    drain(loop);
    EXPECT_EQ(pty.read_all(), "\r\x1b[1A\x1b[J");
  }
  drain(loop);
  EXPECT_EQ(pty.read_all(), "") << "nothing left to erase";
}

TEST(ProgressRemove, WhileSuspendedAndShownAgain) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::live, out.f);
  p.update(kScriptRow, row("dusk", "waiting", 0, "on push"));
  p.update(kOtherScriptRow, row("noon", "waiting", 0, "on dawn"));
  drain(loop);
  p.suspend();
  std::size_t before = out.text().size();
  p.remove(kScriptRow);
  drain(loop);
  EXPECT_EQ(out.text().substr(before), "") << "nothing drawn while suspended";
  p.resume();
  std::string redraw = out.text().substr(before);
  EXPECT_EQ(count(redraw, "\x1b[2K"), 1u) << redraw;
  EXPECT_NE(redraw.find("noon"), std::string::npos) << redraw;
  EXPECT_EQ(redraw.find("dusk"), std::string::npos) << redraw;

  // Shown again after its removal: a new row, at the end of the board.
  p.update(kScriptRow, row("dusk", "waiting", 0, "on noon"));
  drain(loop);
  std::string all = out.text();
  std::size_t board = all.rfind("\x1b[2Knoon");
  ASSERT_NE(board, std::string::npos) << all;
  EXPECT_NE(all.find("\x1b[2Kdusk", board), std::string::npos) << all;
  EXPECT_EQ(outside_board(all, "dusk"), 0u) << all;
}

TEST(ProgressRemove, LinesAndQuietPrintNothing) {
  Capture out;
  EventLoop loop;
  Progress p(loop, Progress::Mode::lines, out.f);
  ProgressRow waiting = row("dusk", "waiting", 0, "on push");
  p.update(kScriptRow, waiting);
  std::string expected = "reel: " + format_row(waiting, 0) + "\n";
  EXPECT_EQ(out.text(), expected);
  p.remove(kScriptRow);
  p.remove(77);
  EXPECT_EQ(out.text(), expected);
  p.update(kScriptRow, waiting);  // back after its removal: a new row, said again
  EXPECT_EQ(out.text(), expected + expected);

  Capture quiet_out;
  {
    Progress quiet(loop, Progress::Mode::quiet, quiet_out.f);
    quiet.update(kScriptRow, waiting);
    quiet.remove(kScriptRow);
  }
  drain(loop);
  EXPECT_EQ(quiet_out.text(), "");
}

}  // namespace
