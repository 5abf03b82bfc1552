// OpenSSL does the cryptography; the rest is string assembly exactly as
// vidu-api.md §12.2 lays it out.
#include "host/sim/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <stdexcept>

namespace reel::sim {

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &length) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char ch : bytes) {
    out += kDigits[ch >> 4];
    out += kDigits[ch & 15];
  }
  return out;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  return hex(raw);
}

std::string http_date(double unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buf;
}

namespace {

// Path and raw query of a URL, by plain splitting (scheme://authority/path?query#fragment).
void split_url(const std::string& url, std::string* path, std::string* query) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t slash = url.find('/', start);
  std::string rest = slash == std::string::npos ? "" : url.substr(slash);
  rest = rest.substr(0, rest.find('#'));
  size_t mark = rest.find('?');
  path->assign(rest, 0, mark);
  query->clear();
  if (mark != std::string::npos) query->assign(rest, mark + 1);
  if (path->empty()) path->push_back('/');
}

}  // namespace

std::string signing_string(const std::string& method, const std::string& path,
                           const std::string& query, const std::string& date,
                           const std::vector<std::pair<std::string, std::string>>& signed_headers) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
  // a literal + string chain here.
  std::string out = method;
  for (const std::string* line : {&path, &query}) out.append("\n").append(*line);
  out.append("\nvidu\n").append(date).append("\n");
  for (const auto& [name, value] : signed_headers)
    out.append(name).append(":").append(value).append("\n");
  return out;
}

std::string callback_signing_string(const std::string& url, const std::string& date,
                                    const std::string& nonce) {
  std::string path, query;
  split_url(url, &path, &query);
  return signing_string("POST", path, query, date, {{"Date", date}, {"x-request-nonce", nonce}});
}

std::map<std::string, std::string> callback_headers(const std::string& url,
                                                    const std::string& secret,
                                                    const std::string& date,
                                                    const std::string& nonce) {
  std::string signature = base64(hmac_sha256(secret, callback_signing_string(url, date, nonce)));
  return {{"Date", date},
          {"x-request-nonce", nonce},
          {"X-HMAC-SIGNED-HEADERS", "Date;x-request-nonce"},
          {"X-HMAC-SIGNATURE", signature},
          {"X-HMAC-ALGORITHM", "hmac-sha256"},
          {"X-HMAC-ACCESS-KEY", "vidu"}};
}

bool HeaderNameLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

namespace {

const std::string* find_header(const CallbackHeaders& headers, const std::string& name) {
  const auto it = headers.find(name);  // the first of equal names
  return it == headers.end() ? nullptr : &it->second;
}

std::string header_value(const CallbackHeaders& headers, const std::string& name) {
  const std::string* value = find_header(headers, name);
  return value == nullptr ? "" : *value;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const size_t start = s.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  return s.substr(start, s.find_last_not_of(" \t\r\n") - start + 1);
}

// Sender's text in a refusal reason, which goes to a log line and into the
// JSON answer: cut short, and anything but printable ASCII becomes '?' (a
// stray byte >= 0x80 would make the answer invalid UTF-8).
std::string printable(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 100)) out += c >= 0x20 && c < 0x7f ? c : '?';
  return out.empty() ? "-" : out;
}

// An RFC 7231 date ("Tue, 06 May 2025 12:09:42 GMT"), as Unix seconds.
std::optional<double> parse_http_date(const std::string& text) {
  tm utc{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<double>(timegm(&utc));
}

}  // namespace

std::string verify_callback(const std::string& method, const std::string& path,
                            const std::string& query, const CallbackHeaders& headers,
                            const std::string& secret, double now, int max_skew) {
  const std::string signature = header_value(headers, "X-HMAC-SIGNATURE");
  if (signature.empty()) return "forged: no X-HMAC-SIGNATURE";
  if (lower(header_value(headers, "X-HMAC-ALGORITHM")) != "hmac-sha256")
    return "forged: X-HMAC-ALGORITHM is not hmac-sha256";
  if (header_value(headers, "X-HMAC-ACCESS-KEY") != "vidu")
    return "forged: X-HMAC-ACCESS-KEY is not vidu";
  const std::string* date = find_header(headers, "Date");
  if (date == nullptr) return "stale: no Date header";

  // Each signed header as "Name:Value", the name as the sender listed it.
  // Date and the nonce must be among them, or a replay could change them
  // without breaking the signature.
  std::vector<std::pair<std::string, std::string>> signed_headers;
  bool date_signed = false;
  bool nonce_signed = false;
  const std::string names = header_value(headers, "X-HMAC-SIGNED-HEADERS");
  for (size_t start = 0; start <= names.size();) {
    const size_t end = std::min(names.find(';', start), names.size());
    const std::string name = trim(names.substr(start, end - start));
    start = end + 1;
    if (name.empty()) continue;
    const std::string* value = find_header(headers, name);
    if (value == nullptr) return "forged: signed header " + printable(name) + " is missing";
    date_signed = date_signed || lower(name) == "date";
    nonce_signed = nonce_signed || lower(name) == "x-request-nonce";
    signed_headers.emplace_back(name, *value);
  }
  if (!date_signed || !nonce_signed) return "forged: Date and x-request-nonce are not both signed";

  const std::string expected =
      base64(hmac_sha256(secret, signing_string(method, path, query, *date, signed_headers)));
  // Constant time: the comparison must not tell a forger how much was right.
  if (expected.size() != signature.size() ||
      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0)
    return "forged: the signature does not match";

  const std::optional<double> sent = parse_http_date(*date);
  if (!sent) return "stale: the Date header is not an HTTP date";
  const double skew = std::fabs(now - *sent);
  if (skew > max_skew) {
    char why[96];
    std::snprintf(why, sizeof why, "stale: Date is %.0f s from now (--max-skew %d)", skew,
                  max_skew);
    return why;
  }
  if (header_value(headers, "x-request-nonce").empty()) return "forged: empty x-request-nonce";
  return "";
}

}  // namespace reel::sim
