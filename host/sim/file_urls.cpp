// Signed, expiring file URLs (see file_urls.hpp).
#include "host/sim/file_urls.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "host/sim/signature.hpp"

namespace reel::sim {

bool is_file_name(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos) return false;
  for (size_t i = 0; i < dot; ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  std::string ext = name.substr(dot);
  return ext == ".mp4" || ext == ".jpg";
}

namespace {

// Reads the secret in `path` into *secret; false when it holds none (at
// least 32 hex digits).
bool read_secret(const std::string& path, std::string* secret) {
  std::ifstream in(path);
  return std::getline(in, *secret) && secret->size() >= 32 &&
         secret->find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The folder's secret, made on first use. Written under a temporary name and
// linked into place, so two simulators starting together agree on one.
std::string stored_secret(const std::string& data_dir) {
  const std::string path = data_dir + "/url-secret";
  std::string existing;
  if (read_secret(path, &existing)) return existing;
  const std::string candidate = random_hex(16);
  const std::string temp = path + "." + random_hex(4) + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno));
  const std::string line = candidate + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot write " + temp);
  }
  if (::link(temp.c_str(), path.c_str()) == 0) {
    ::unlink(temp.c_str());
    return candidate;
  }
  if (read_secret(path, &existing)) {  // another process made it first
    ::unlink(temp.c_str());
    return existing;
  }
  // A damaged file: URLs checked with it could not be trusted anyway.
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot replace " + path + ": " + std::strerror(errno));
  }
  return candidate;
}

}  // namespace

FileUrls::FileUrls(std::string data_dir, double ttl_seconds, bool persist_secret)
    : data_dir_(std::move(data_dir)),
      ttl_(ttl_seconds),
      secret_(persist_secret ? stored_secret(data_dir_) : random_hex(16)) {}

std::string FileUrls::mac(const std::string& name, long long expires) const {
  return hex(hmac_sha256(secret_, name + "|" + std::to_string(expires))).substr(0, 32);
}

std::string FileUrls::path_for(const std::string& name, double now) const {
  // Rounded up so that a ttl under a second still expires after that ttl.
  long long expires = static_cast<long long>(std::ceil(now + ttl_));
  return "/files/" + std::to_string(expires) + "." + mac(name, expires) + "/" + name;
}

std::string FileUrls::expired_path_for(const std::string& name, double now) const {
  long long expires = static_cast<long long>(std::floor(now)) - 1;
  return "/files/" + std::to_string(expires) + "." + mac(name, expires) + "/" + name;
}

FileUrls::Check FileUrls::check(const std::string& path, double now, std::string* local) const {
  const std::string prefix = "/files/";
  if (path.compare(0, prefix.size(), prefix) != 0) return Check::invalid;
  size_t slash = path.find('/', prefix.size());
  if (slash == std::string::npos) return Check::invalid;
  std::string token = path.substr(prefix.size(), slash - prefix.size());
  std::string name = path.substr(slash + 1);
  size_t dot = token.find('.');
  if (!is_file_name(name) || dot == std::string::npos) return Check::invalid;
  long long expires = 0;
  try {
    expires = std::stoll(token.substr(0, dot));
  } catch (const std::exception&) {
    return Check::invalid;
  }
  if (token.substr(dot + 1) != mac(name, expires)) return Check::invalid;
  if (now > static_cast<double>(expires)) return Check::expired;
  *local = data_dir_ + "/" + name;
  return Check::ok;
}

std::optional<ByteRange> byte_range(const std::string& header, int64_t size) {
  const std::string unit = "bytes=";
  if (header.compare(0, unit.size(), unit) != 0 || header.find(',') != std::string::npos)
    return std::nullopt;
  std::string spec = header.substr(unit.size());
  size_t dash = spec.find('-');
  if (dash == std::string::npos || size <= 0) return std::nullopt;
  std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto number = [](const std::string& text) -> std::optional<int64_t> {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(text);
  };
  ByteRange range;
  if (a.empty()) {  // the last N bytes
    auto n = number(b);
    if (!n || *n == 0) return std::nullopt;
    range.first = std::max<int64_t>(0, size - *n);
    range.last = size - 1;
    return range;
  }
  auto first = number(a);
  if (!first || *first >= size) return std::nullopt;
  range.first = *first;
  range.last = size - 1;
  if (!b.empty()) {
    auto last = number(b);
    if (!last || *last < *first) return std::nullopt;
    range.last = std::min(*last, size - 1);
  }
  return range;
}

}  // namespace reel::sim
