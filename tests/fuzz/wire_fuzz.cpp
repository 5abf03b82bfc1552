// libFuzzer target: host/vidu/wire's answer parsers on arbitrary bytes. Every
// input must give a result or a WireError (parse_failure: a result only);
// never a crash, a hang, a sanitizer report or another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "host/vidu/wire.hpp"

namespace {

using reel::vidu::Dialect;
using reel::vidu::WireError;

// Touches what a caller would read, so the sanitizers see every string.
size_t touch(const reel::vidu::RemoteTask& t) {
  size_t n = t.id.size() + t.err_code.size() + t.err_message.size() + t.payload.size();
  for (const auto& c : t.creations) n += c.id.size() + c.url.size() + c.cover_url.size();
  return n + (reel::vidu::is_terminal(t.state) ? 1 : 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;
  for (Dialect d : {Dialect::vidu, Dialect::vtrix}) {
    try {
      sink = sink + touch(reel::vidu::parse_task(d, body));
    } catch (const WireError&) {
    }
    const auto failure = reel::vidu::parse_failure(d, 400, body);
    // The documented limits of a failure report.
    if (failure.message.size() > 300 || failure.code.empty()) __builtin_trap();
    for (unsigned char c : failure.message)
      if (c < 0x20 || c == 0x7F) __builtin_trap();
  }
  try {
    for (const auto& t : reel::vidu::parse_task_list(body).tasks) sink = sink + touch(t);
  } catch (const WireError&) {
  }
  try {
    sink = sink + reel::vidu::parse_balance(body).entries.size();
  } catch (const WireError&) {
  }
  return 0;
}
