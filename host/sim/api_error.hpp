// A refused request as the official dialect reports it (vidu-api.md §13.1):
// HTTP status, documented `reason` code, one-sentence message.
#pragma once

#include <string>

namespace reel::sim {

struct ApiError {
  int status = 400;
  std::string reason;   // "FieldInvalid", "ImageFormatInvalid", ...
  std::string message;  // names the field, the value and the rule
  std::string field;    // the field at fault, "" when none
  int retry_after = 0;  // seconds; > 0 adds Retry-After
};

}  // namespace reel::sim
