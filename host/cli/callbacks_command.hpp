// `reel callbacks --listen HOST:PORT`: receives Vidu's callbacks (vidu-api.md
// §12), verifies them and records their states in the journal (issue 10).
// The command needs SQLite, OpenSSL and cpp-httplib, so its code is built
// into its own module, reel_callbacks.so, and reached through host/plugin;
// commands.cpp parses the options and calls kCallbacksEntry.
#pragma once

#include <string>

namespace reel::cli {

struct CallbacksOptions {
  std::string listen;    // "HOST:PORT" ("[::1]:PORT" for IPv6; port 0: any free port)
  std::string journal;   // --journal; "" means REEL_JOURNAL, else .reel/journal.db
  std::string key_file;  // --key-file; "" means VIDU_API_KEY
  int max_skew = 300;    // seconds a callback's Date may be away from now
};

inline constexpr const char* kCallbacksModule = "reel_callbacks.so";
inline constexpr const char* kCallbacksEntry = "reel_callbacks_command";
using CallbacksEntry = int (*)(const CallbacksOptions&);

}  // namespace reel::cli
