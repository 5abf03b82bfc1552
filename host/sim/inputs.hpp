// Media inputs of create requests (vidu-api.md §1.2): data: URIs are decoded
// to temporary files, URLs of the simulator's own /files resolve to the local
// file, anything else is refused (the simulator never fetches from outside).
// Every input is probed and checked with host/media.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "host/media/media.hpp"
#include "host/sim/api_error.hpp"
#include "host/sim/file_urls.hpp"

namespace reel::sim {

struct Input {
  std::string path;
  bool temporary = false;  // a decoded data: URI, to remove after use
  media::MediaInfo info;
};

class Inputs {
 public:
  Inputs(std::string data_dir, const FileUrls& urls);
  void set_origin(const std::string& host, int port);  // who "we" are in URLs

  // `field` names the input in errors ("images[0]"). `use` picks the
  // documented limits; nullopt: only decode and probe.
  std::variant<Input, ApiError> resolve(const std::string& value, const std::string& field,
                                        std::optional<media::Use> use) const;

 private:
  std::variant<std::string, ApiError> decode_data_uri(const std::string& value,
                                                      const std::string& field,
                                                      bool* temporary) const;
  std::variant<std::string, ApiError> own_file(const std::string& url,
                                               const std::string& field) const;
  std::string data_dir_;
  const FileUrls& urls_;
  std::string host_;
  int port_ = 0;
};

}  // namespace reel::sim
