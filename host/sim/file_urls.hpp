// Result and cover URLs that expire, like a CDN's signed URLs:
//   /files/<expires>.<mac>/<name>
// where <expires> is a Unix time and <mac> an HMAC of name and expiry under a
// per-run secret, or with persist_secret one kept in <data_dir>/url-secret
// (0600), so that URLs minted before a restart still check until they
// expire. Nothing is stored per URL; any number can be minted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace reel::sim {

class FileUrls {
 public:
  // Throws std::runtime_error when a persisted secret cannot be read or made.
  FileUrls(std::string data_dir, double ttl_seconds, bool persist_secret = false);

  // "/files/TOKEN/NAME" valid for ttl from `now` (Unix seconds).
  std::string path_for(const std::string& name, double now) const;
  // The same URL as minted long enough ago that it has already expired.
  std::string expired_path_for(const std::string& name, double now) const;

  enum class Check { ok, expired, invalid };
  // `path` is a request path ("/files/TOKEN/NAME"); on ok sets *local.
  Check check(const std::string& path, double now, std::string* local) const;

 private:
  std::string mac(const std::string& name, long long expires) const;
  std::string data_dir_;
  double ttl_;
  std::string secret_;
};

bool is_file_name(const std::string& name);  // digits, then .mp4 or .jpg

// A single "Range: bytes=A-B" / "bytes=A-" / "bytes=-N" against a file of
// `size` bytes, as {first, last} inclusive; nullopt when absent, multi-range
// or unsatisfiable (the caller then answers 416 or the whole file).
struct ByteRange {
  int64_t first = 0;
  int64_t last = 0;
};
std::optional<ByteRange> byte_range(const std::string& header, int64_t size);

}  // namespace reel::sim
