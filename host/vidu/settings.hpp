// Where the client's settings come from: the environment, which reel's
// command line fills (run/repl --dialect, --key-file, --out, --journal,
// --retry-failed, --sim --speed), so a script started any other way (busted
// under --lua=reel) can set the same variables. Shared by the vidu module
// and `reel tasks`; no Lua here.
#pragma once

#include <stdexcept>
#include <string>

#include "host/vidu/client.hpp"

namespace reel::vidu {

// A setting that cannot be used; `code` is the vidu.Error code
// ("BadSetting", "NoApiKey"), the message names the variable or option and
// what it should be, never the key.
class SettingError : public std::runtime_error {
 public:
  SettingError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// VIDU_DIALECT (--dialect): vidu unless it says vtrix.
Dialect dialect_from_env();

// The first line of REEL_KEY_FILE (--key-file, the explicit choice), else
// VIDU_API_KEY.
std::string api_key_from_env();

// Everything the client needs: VIDU_BASE_URL (default the dialect's public
// host), the dialect, the key, REEL_OUT (--out), REEL_TIME_SCALE (--sim
// --speed).
ClientConfig client_config_from_env();

// REEL_JOURNAL (--journal), default ".reel/journal.db".
std::string journal_path_from_env();

// REEL_RETRY_FAILED (--retry-failed) is set and not "0".
bool retry_failed_from_env();

// REEL_QUIET (--quiet) is set and not "0".
bool quiet_from_env();

}  // namespace reel::vidu
