// OpenSSL does the cryptography; the rest is string assembly exactly as
// vidu-api.md §12.2 lays it out.
#include "host/sim/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <ctime>
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

}  // namespace reel::sim
