// libFuzzer target: the callback verifier of `reel callbacks`
// (sim::verify_callback, vidu-api.md §12.2) on arbitrary requests. It must
// answer "" or a printable "forged: "/"stale: " reason, never crash. And a
// differential check: a callback signed by the simulator's own
// callback_headers() for the input's path, query and nonce must pass, and
// fail with another secret or another method.
//
// Input: lines of METHOD, PATH, QUERY, then "Name: Value" headers up to an
// empty line, then the body. §12.2 does not sign the body (the receiver
// never reads it for the check), so the differential check takes it as the
// nonce. The raw request is checked at kNow with kSecret, so the seeds in
// corpus/signature/ signed that way get past the HMAC.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "host/sim/signature.hpp"

namespace {

using reel::sim::CallbackHeaders;

constexpr const char* kSecret = "fuzz-secret";
constexpr double kNow = 1746533382;  // Tue, 06 May 2025 12:09:42 GMT
constexpr int kMaxSkew = 300;

std::string_view next_line(std::string_view& rest) {
  const size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void check_reason(const std::string& why) {
  if (why.empty()) return;
  if (why.rfind("forged: ", 0) != 0 && why.rfind("stale: ", 0) != 0) __builtin_trap();
  // The reason goes into a log line and a JSON answer.
  for (char c : why)
    if (c < 0x20 || c >= 0x7f) __builtin_trap();
}

// What a URL's path or query can hold and still split back the same way
// (callback_headers splits its URL at the first '?' and cuts at '#').
std::string url_safe(std::string_view s, bool path) {
  std::string out(s);
  for (char& c : out)
    if (c == '#' || (path && c == '?')) c = '_';
  if (path && (out.empty() || out[0] != '/')) out.insert(0, "/");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string method(next_line(rest));
  const std::string path(next_line(rest));
  const std::string query(next_line(rest));
  CallbackHeaders headers;
  while (!rest.empty()) {
    const std::string_view line = next_line(rest);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace(std::string(line.substr(0, colon)), std::string(value));
  }
  const std::string body(rest);

  check_reason(reel::sim::verify_callback(method, path, query, headers, kSecret, kNow, kMaxSkew));

  // Differential: sign with the sender's code, verify with the receiver's.
  const std::string signed_path = url_safe(path, true);
  const std::string signed_query = url_safe(query, false);
  std::string url = "https://receiver.test" + signed_path;
  if (!signed_query.empty()) url += "?" + signed_query;
  // Any second from 1970 to 2106, so Date's formatting and parsing meet too.
  const double sent = static_cast<double>(static_cast<uint32_t>(
      std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(data), size))));
  const std::string date = reel::sim::http_date(sent);
  const auto sent_headers = reel::sim::callback_headers(url, kSecret, date, body);
  const CallbackHeaders signed_headers(sent_headers.begin(), sent_headers.end());
  const std::string why = reel::sim::verify_callback("POST", signed_path, signed_query,
                                                     signed_headers, kSecret, sent, kMaxSkew);
  if (why != (body.empty() ? "forged: empty x-request-nonce" : "")) __builtin_trap();
  if (reel::sim::verify_callback("POST", signed_path, signed_query, signed_headers, "other", sent,
                                 kMaxSkew) != "forged: the signature does not match")
    __builtin_trap();
  if (method != "POST" &&
      reel::sim::verify_callback(method, signed_path, signed_query, signed_headers, kSecret, sent,
                                 kMaxSkew) != "forged: the signature does not match")
    __builtin_trap();
  return 0;
}
