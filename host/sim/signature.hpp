// HMAC-SHA256 helpers: Vidu's callback signature (vidu-api.md §12.2), its
// verification by `reel callbacks`, and the simulator's own signed file URLs.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace reel::sim {

std::string hmac_sha256(const std::string& key, const std::string& data);  // raw digest
std::string base64(const std::string& bytes);
std::string hex(const std::string& bytes);
std::string random_hex(size_t bytes);
std::string http_date(double unix_seconds);  // "Tue, 06 May 2025 12:09:42 GMT"

// The headers of a signed callback POST to `url` (§12.2): Date,
// x-request-nonce, X-HMAC-SIGNED-HEADERS, X-HMAC-SIGNATURE, X-HMAC-ALGORITHM,
// X-HMAC-ACCESS-KEY. `secret` is the API token that created the task.
std::map<std::string, std::string> callback_headers(const std::string& url,
                                                    const std::string& secret,
                                                    const std::string& date,
                                                    const std::string& nonce);

// The §12.2 signing string: METHOD, path, raw query, the access key "vidu",
// Date, then "Name:Value" for each signed header in the order given, each
// line ending in '\n'. Shared by the sender below and the receiver (`reel
// callbacks`), so both sides assemble it one way.
std::string signing_string(const std::string& method, const std::string& path,
                           const std::string& query, const std::string& date,
                           const std::vector<std::pair<std::string, std::string>>& signed_headers);

// The §12.2 signing string for a POST to `url`, for tests and for the above.
std::string callback_signing_string(const std::string& url, const std::string& date,
                                    const std::string& nonce);

// HTTP header names compare without regard to case.
struct HeaderNameLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
// A received request's headers; a repeated name reads as its first value.
using CallbackHeaders = std::multimap<std::string, std::string, HeaderNameLess>;

// The receiver's check of a callback (§12.2), everything but the replay check
// (the caller keeps the nonces): the signature, algorithm and access key
// headers, Date and x-request-nonce among the signed headers, the HMAC of the
// signing string over `method`, the raw `path` and `query` and the signed
// headers, a Date within `max_skew` seconds of `now`, a non-empty nonce.
// Returns "" when the callback passes, else the reason it is refused
// ("forged: ..." or "stale: ...", printable ASCII). Pure, so it can be fuzzed.
std::string verify_callback(const std::string& method, const std::string& path,
                            const std::string& query, const CallbackHeaders& headers,
                            const std::string& secret, double now, int max_skew);

}  // namespace reel::sim
