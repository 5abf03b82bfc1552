// Text helpers for validation messages.
#include "host/vidu/wording.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace reel::vidu::detail {

using nlohmann::json;

// At most `max` bytes of `s`, cut on a UTF-8 character boundary.
std::string clip(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// A value as it appears in a message: JSON text (strings quoted), invalid
// UTF-8 replaced, long values clipped.
std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return v.is_string() && s.size() > 60 ? clip(s, 59) + "\"" : clip(s, 60);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::size_t utf8_length(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string range_text(int lo, int hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "\u2013" + std::to_string(hi);
}

std::string durations_text(const table::Durations& d) {
  std::string allowed;
  if (!d.only.empty()) {
    std::vector<std::string> v;
    for (int x : d.only) v.push_back(std::to_string(x));
    allowed = join(v);
  } else {
    allowed = range_text(d.min, d.max);
  }
  return allowed + " (default " + std::to_string(d.def) + ")";
}

}  // namespace reel::vidu::detail
