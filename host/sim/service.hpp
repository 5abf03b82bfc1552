// What the dialect handlers share: the options, the engine, file URLs, faults
// and media inputs of one running simulator.
#pragma once

#include <string>

#include "host/sim/engine.hpp"
#include "host/sim/faults.hpp"
#include "host/sim/file_urls.hpp"
#include "host/sim/inputs.hpp"
#include "host/sim/simulator.hpp"

namespace reel::sim {

double unix_now();

struct Service {
  Options options;
  std::string base_url;
  Engine* engine = nullptr;
  FileUrls* urls = nullptr;
  Faults* faults = nullptr;
  Inputs* inputs = nullptr;

  // The configured key, or any non-empty one when none is configured.
  bool key_ok(const std::string& key) const {
    return !key.empty() && (options.key.empty() || key == options.key);
  }
  // "http://host:port/files/..." for a creation file, valid for url_ttl.
  std::string file_url(const std::string& name) const;
  // The same, or one that has already expired (the expire fault).
  std::string file_url(const std::string& name, bool expired) const {
    return expired ? base_url + urls->expired_path_for(name, unix_now()) : file_url(name);
  }
};

std::string iso8601(double unix_seconds);  // 2025-01-01T15:41:31.968916Z

}  // namespace reel::sim
