// Text helpers for validation messages: clipping, quoting values, lists,
// ranges, UTF-8 checks and lengths. Internal to host/vidu.
#pragma once

#include "host/vidu/models.hpp"

#include <nlohmann/json_fwd.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace reel::vidu::detail {

// At most `max` bytes of `s`, cut on a UTF-8 character boundary.
std::string clip(std::string s, std::size_t max);

// A value as it appears in a message: JSON text (strings quoted), invalid
// UTF-8 replaced, long values clipped.
std::string show(const nlohmann::json& v);

bool valid_utf8(std::string_view s);

template <class List>
std::string join(const List& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}

template <class List>
bool contains(const List& list, std::string_view v) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

// Characters (code points) in UTF-8 text.
std::size_t utf8_length(const std::string& s);

// "lo" or "lo–hi".
std::string range_text(int lo, int hi);

// "4, 8 (default 4)" or "1–10 (default 5)".
std::string durations_text(const table::Durations& d);

}  // namespace reel::vidu::detail
