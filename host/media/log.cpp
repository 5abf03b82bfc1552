#include "host/media/log.hpp"

extern "C" {
#include <libavutil/log.h>
}

#include <cstdio>
#include <mutex>

namespace reel::media::log {

namespace {

thread_local std::string t_last_error;

void on_message(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_ERROR) return;
  char line[1024];
  int print_prefix = 0;  // no "[mov,mp4,... @ 0x55...] ": it means nothing to a user
  av_log_format_line(avcl, level, fmt, args, line, sizeof line, &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!text.empty()) t_last_error = std::move(text);
}

}  // namespace

void capture_ffmpeg_messages() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(on_message); });
}

std::string take_last_error() {
  std::string text = std::move(t_last_error);
  t_last_error.clear();
  return text;
}

}  // namespace reel::media::log
