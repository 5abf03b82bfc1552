// Progress display: quiet, one log line per change, or a live board redrawn in
// place at the bottom of a terminal. Only the loop's thread calls in here.
#include "host/vidu/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace reel::vidu {

namespace {

constexpr uint64_t kMinRedrawMs = 100;  // at most ~10 redraws a second
constexpr uint64_t kTickMs = 1000;      // elapsed times tick once a second

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return !continuation(c); }));
}

// The first `n` code points of `s` (never cuts a character in two).
std::string first_code_points(const std::string& s, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (continuation(s[i])) continue;
    if (seen == n) return s.substr(0, i);
    ++seen;
  }
  return s;
}

// One line of text: control characters (a newline in an error message, a tab)
// would break the columns and the board's line count.
std::string one_line(std::string s) {
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  return s;
}

// `s` padded with spaces to `width` code points, or shortened to `width`
// code points ending in "…" when longer.
std::string fit(const std::string& s, std::size_t width) {
  std::size_t n = code_points(s);
  if (n > width) return first_code_points(s, width - 1) + "\u2026";
  return s + std::string(width - n, ' ');
}

std::string pad(const std::string& s, std::size_t width) {
  std::size_t n = code_points(s);
  return n >= width ? s : s + std::string(width - n, ' ');
}

std::string elapsed_text(double seconds) {
  if (!(seconds > 0)) seconds = 0;  // also NaN
  long long tenths = std::llround(seconds * 10);
  char buf[32];
  if (tenths < 600) {
    std::snprintf(buf, sizeof buf, "%lld.%lld s", tenths / 10, tenths % 10);
  } else {
    long long whole = tenths / 10;
    std::snprintf(buf, sizeof buf, "%lldm%02llds", whole / 60, whole % 60);
  }
  return buf;
}

int terminal_width(std::FILE* out) {
  int fd = fileno(out);
  winsize ws{};
  if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void write_all(std::FILE* out, const std::string& s) {
  if (s.empty()) return;
  std::fwrite(s.data(), 1, s.size(), out);
  std::fflush(out);
}

}  // namespace

std::string format_row(const ProgressRow& row, int width) {
  std::string line = fit(one_line(row.name), 14) + " " + pad(one_line(row.state), 11) + " " +
                     pad(elapsed_text(row.elapsed), 8);
  std::vector<std::string> tail;
  if (!row.detail.empty()) tail.push_back(one_line(row.detail));
  if (row.credits) tail.push_back(std::to_string(*row.credits) + " credits");
  if (!row.task_id.empty()) tail.push_back("task " + one_line(row.task_id));
  for (std::size_t i = 0; i < tail.size(); ++i) line += (i == 0 ? " " : "  ") + tail[i];
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (width > 0 && code_points(line) > static_cast<std::size_t>(width))
    line = first_code_points(line, static_cast<std::size_t>(width));
  return line;
}

Progress::Mode Progress::mode_for(std::FILE* out, bool quiet) {
  if (quiet || out == nullptr) return Mode::quiet;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return Mode::lines;
  int fd = fileno(out);
  return fd >= 0 && isatty(fd) ? Mode::live : Mode::lines;
}

struct Progress::Impl {
  struct Running {
    ProgressRow row;
    uint64_t updated_at = 0;  // uv_now when the row last changed
  };
  struct Printed {
    std::string state, detail;
  };

  net::EventLoop& loop;
  std::FILE* out;
  Mode mode;
  std::function<void(const std::string&)> writer;  // set_writer's; empty: straight to `out`

  void emit(const std::string& s) {
    if (s.empty()) return;
    if (writer)
      writer(s);
    else
      write_all(out, s);
  }

  std::set<uint64_t> finished;  // keys whose final line is out; later calls are ignored

  // lines
  std::map<uint64_t, Printed> printed;

  // live
  std::vector<uint64_t> order;  // running keys, in the order they first appeared
  std::map<uint64_t, Running> running;
  std::size_t drawn = 0;  // board lines on the screen, above the cursor
  bool ever_drawn = false;
  uint64_t last_draw = 0;
  bool dirty = false;
  int suspended = 0;
  uv_timer_t* throttle = nullptr;  // one-shot: the redraw put off by the rate limit
  uv_timer_t* tick = nullptr;      // repeating, unreferenced: elapsed times tick

  Impl(net::EventLoop& l, Mode m, std::FILE* o) : loop(l), out(o), mode(m) {
    if (mode != Mode::live) return;
    throttle = new uv_timer_t{};
    tick = new uv_timer_t{};
    uv_timer_init(loop.get(), throttle);
    uv_timer_init(loop.get(), tick);
    throttle->data = this;
    tick->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(tick));
  }

  ~Impl() {
    if (mode != Mode::live) return;
    emit(erase());
    for (uv_timer_t* t : {throttle, tick}) {
      uv_timer_stop(t);
      uv_close(reinterpret_cast<uv_handle_t*>(t),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    }
  }

  uint64_t now() {
    uv_update_time(loop.get());
    return uv_now(loop.get());
  }

  // Moves up over the board and clears it; the cursor ends where the board began.
  std::string erase() {
    if (drawn == 0) return {};
    std::string s = "\r\x1b[" + std::to_string(drawn) + "A\x1b[J";
    drawn = 0;
    return s;
  }

  // The board drawn again over the old one: each line overwritten in place
  // (less flicker than erasing first), leftovers of a longer board cleared.
  std::string board(uint64_t t) {
    if (drawn == 0 && order.empty()) return {};
    std::string s;
    if (drawn > 0) s = "\r\x1b[" + std::to_string(drawn) + "A";
    int width = std::max(1, terminal_width(out) - 1);  // never the last column: no wrap
    for (uint64_t key : order) {
      Running& r = running[key];
      ProgressRow row = r.row;
      row.elapsed += static_cast<double>(t - r.updated_at) / 1000.0;
      s += "\x1b[2K" + format_row(row, width) + "\n";
    }
    s += "\x1b[J";
    drawn = order.size();
    return s;
  }

  void draw() {
    uint64_t t = now();
    dirty = false;
    ever_drawn = true;
    last_draw = t;
    uv_timer_stop(throttle);
    emit(board(t));
  }

  void request_draw() {
    if (suspended > 0) {
      dirty = true;
      return;
    }
    uint64_t t = now();
    if (!ever_drawn || t - last_draw >= kMinRedrawMs) {
      draw();
      return;
    }
    dirty = true;
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(throttle))) {
      uv_timer_start(
          throttle,
          [](uv_timer_t* h) {
            auto* self = static_cast<Impl*>(h->data);
            if (self->dirty && self->suspended == 0) self->draw();
          },
          last_draw + kMinRedrawMs - t, 0);
    }
  }

  void update_ticking() {
    bool active = uv_is_active(reinterpret_cast<uv_handle_t*>(tick));
    if (order.empty() && active) {
      uv_timer_stop(tick);
    } else if (!order.empty() && !active) {
      uv_timer_start(
          tick,
          [](uv_timer_t* h) {
            auto* self = static_cast<Impl*>(h->data);
            if (self->order.empty()) {
              uv_timer_stop(h);
            } else if (self->suspended == 0) {
              self->draw();
            }
          },
          kTickMs, kTickMs);
    }
  }

  void update_live(uint64_t key, const ProgressRow& row) {
    auto it = running.find(key);
    if (it == running.end()) {
      order.push_back(key);
      it = running.emplace(key, Running{}).first;
    }
    it->second.row = row;
    it->second.updated_at = now();
    update_ticking();
    request_draw();
  }

  void finish_live(uint64_t key, const ProgressRow& row) {
    running.erase(key);
    order.erase(std::remove(order.begin(), order.end(), key), order.end());
    update_ticking();
    // The final line goes where the board began; the rest of the board (if
    // any, and unless suspended) is drawn again below it.
    emit(erase() + format_row(row, 0) + "\n");
    if (suspended == 0 && !order.empty()) draw();
  }

  void remove_live(uint64_t key) {
    if (running.erase(key) == 0) return;
    order.erase(std::remove(order.begin(), order.end(), key), order.end());
    update_ticking();
    request_draw();  // the board drawn again one line shorter (erased when empty)
  }

  void update_lines(uint64_t key, const ProgressRow& row) {
    auto it = printed.find(key);
    if (it != printed.end() && it->second.state == row.state &&
        (row.state != "queueing" || it->second.detail == row.detail))
      return;
    printed[key] = Printed{row.state, row.detail};
    emit("reel: " + format_row(row, 0) + "\n");
  }
};

Progress::Progress(net::EventLoop& loop, Mode mode, std::FILE* out)
    : mode_(out == nullptr ? Mode::quiet : mode), impl_(new Impl(loop, mode_, out)) {}

Progress::~Progress() {
  delete impl_;
}

void Progress::update(uint64_t key, const ProgressRow& row) {
  if (mode_ == Mode::quiet || impl_->finished.count(key) != 0) return;
  if (mode_ == Mode::lines)
    impl_->update_lines(key, row);
  else
    impl_->update_live(key, row);
}

void Progress::finish(uint64_t key, const ProgressRow& row) {
  if (mode_ == Mode::quiet || !impl_->finished.insert(key).second) return;
  if (mode_ == Mode::lines) {
    impl_->printed.erase(key);
    impl_->emit("reel: " + format_row(row, 0) + "\n");
  } else {
    impl_->finish_live(key, row);
  }
}

void Progress::remove(uint64_t key) {
  if (mode_ == Mode::lines)
    impl_->printed.erase(key);  // nothing printed; a later update is a new row
  else if (mode_ == Mode::live)
    impl_->remove_live(key);
}

void Progress::set_writer(std::function<void(const std::string&)> write) {
  impl_->writer = std::move(write);
}

void Progress::suspend() {
  if (mode_ != Mode::live) return;
  if (impl_->suspended++ == 0) impl_->emit(impl_->erase());
}

void Progress::resume() {
  if (mode_ != Mode::live || impl_->suspended == 0) return;
  if (--impl_->suspended == 0 && !impl_->order.empty()) impl_->draw();
}

}  // namespace reel::vidu
