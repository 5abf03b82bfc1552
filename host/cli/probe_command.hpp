// `reel probe FILE... [--json] [--for USE]`. The command needs FFmpeg, so its
// code is built into reel_media.so and reached through host/plugin;
// commands.cpp parses the options and calls kProbeEntry.
#pragma once

#include <string>
#include <vector>

namespace reel::cli {

struct ProbeOptions {
  std::vector<std::string> files;
  bool json = false;
  std::string use;  // "" (facts only), "extend", "reference", "image", "start_end"
};

inline constexpr const char* kProbeModule = "reel_media.so";
inline constexpr const char* kProbeEntry = "reel_probe_command";
using ProbeEntry = int (*)(const ProbeOptions&);

}  // namespace reel::cli
