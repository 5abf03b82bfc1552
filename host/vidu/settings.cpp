#include "host/vidu/settings.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace reel::vidu {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

bool flag(const char* name) {
  const char* v = env(name);
  return v != nullptr && std::strcmp(v, "0") != 0;
}

}  // namespace

Dialect dialect_from_env() {
  const char* d = env("VIDU_DIALECT");
  if (d == nullptr || std::strcmp(d, "vidu") == 0) return Dialect::vidu;
  if (std::strcmp(d, "vtrix") == 0) return Dialect::vtrix;
  throw SettingError("BadSetting", std::string("VIDU_DIALECT (or --dialect) is \"") + d +
                                       "\", which is not a dialect reel speaks; use vidu or vtrix");
}

// Messages name where the key should be, never what it is.
std::string api_key_from_env() {
  const char* file = env("REEL_KEY_FILE");
  if (file == nullptr) {
    if (const char* key = env("VIDU_API_KEY")) return key;
    throw SettingError("NoApiKey",
                       "no API key: set VIDU_API_KEY or pass --key-file FILE (reel run --sim "
                       "needs none)");
  }
  std::ifstream in(file);
  std::string key;
  if (!in || !std::getline(in, key)) {
    throw SettingError("NoApiKey", std::string("the key file ") + file +
                                       " cannot be read; pass a file whose first line is the "
                                       "API key");
  }
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t'))
    key.pop_back();
  if (key.empty())
    throw SettingError("NoApiKey", std::string("the key file ") + file + " has an empty first line");
  return key;
}

ClientConfig client_config_from_env() {
  ClientConfig config;
  config.dialect = dialect_from_env();
  if (const char* url = env("VIDU_BASE_URL"))
    config.base_url = url;
  else if (config.dialect == Dialect::vtrix)
    config.base_url = "https://cloud.vtrix.ai";
  config.key = api_key_from_env();
  if (const char* service = env("REEL_SERVICE_ID")) config.service = service;
  if (const char* out = env("REEL_OUT")) config.out_dir = out;
  if (const char* scale = env("REEL_TIME_SCALE")) {
    const double s = std::atof(scale);
    if (!(s > 0 && std::isfinite(s)))
      throw SettingError("BadSetting", std::string("REEL_TIME_SCALE is \"") + scale +
                                           "\"; it must be a number > 0");
    config.time_scale = s;
  }
  return config;
}

std::string journal_path_from_env() {
  const char* path = env("REEL_JOURNAL");
  return path != nullptr ? path : ".reel/journal.db";
}

bool retry_failed_from_env() {
  return flag("REEL_RETRY_FAILED");
}

bool quiet_from_env() {
  return flag("REEL_QUIET");
}

}  // namespace reel::vidu
