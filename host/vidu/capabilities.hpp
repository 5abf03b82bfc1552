// What the Vidu API accepts, in one place: models x endpoints x durations x
// resolutions x aspect ratios x other fields, with defaults, prices and output
// pixel sizes (../shared/reference/vidu-api.md §2-8, §14, §15, §16.5). The
// simulator enforces it and the client validates and estimates with it, so
// both apply the same rules.
//
// The request model is the official dialect's JSON body; the Vtrix dialect is
// mapped onto it (vtrix_model / official_from_vtrix).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

namespace reel::vidu {

enum class Endpoint { text2video, img2video, start_end2video, reference2video, extend, multiframe };

// "text2video", "img2video", "start-end2video", "reference2video", "extend",
// "multiframe": the path segment after /ent/v2/.
const char* endpoint_path(Endpoint e);
std::optional<Endpoint> endpoint_from_path(const std::string& path);

// One refused field, as the API reports it (vidu-api.md §13): `reason` is the
// documented code (FieldLacking, FieldInvalid, FieldItemCountOutOfRange, ...),
// `http_status` its status, `message` one sentence naming the field, the
// value, the rule and the allowed values.
struct FieldError {
  std::string reason;
  int http_status = 400;
  std::string field;
  std::string message;
};

// A request with every default filled in and everything the rest of the
// system needs to know about it.
struct Resolved {
  Endpoint endpoint = Endpoint::text2video;
  std::string model;
  int duration = 0;          // seconds of output (extend: seconds added)
  std::string resolution;    // "540p", "720p", "1080p", ...
  std::string aspect_ratio;  // "16:9", ... ("" when the inputs decide)
  int width = 0;             // output pixel size for resolution and aspect ratio (§15)
  int height = 0;
  int credits = 0;           // the price (§14)
  nlohmann::json* body = nullptr;  // not owned; see validate()
};

struct Validation {
  std::vector<FieldError> errors;  // all of them, not just the first
  std::optional<Resolved> resolved;  // set when errors is empty
};

// Checks a create request's fields (types, required fields, model-specific
// allowed values, counts, lengths) and fills in the defaults in `body`.
// Media content (formats, sizes, durations of inputs) is checked by the caller
// with host/media. `body` must outlive the result.
Validation validate(Endpoint endpoint, nlohmann::json& body);

// Credits for a resolved request (§14), shared by the simulator's charge and
// the client's estimate.
int price(const Resolved& request);

// Output pixel size for a resolution tier and aspect ratio (§15).
std::optional<std::pair<int, int>> output_size(const std::string& resolution,
                                               const std::string& aspect_ratio);

// The Vtrix model id for an endpoint and model ("viduq2_pro_extend"), and back.
std::optional<std::string> vtrix_model(Endpoint endpoint, const std::string& model);
struct OfficialModel {
  Endpoint endpoint;
  std::string model;
};
std::optional<OfficialModel> official_from_vtrix(const std::string& vtrix_id);

}  // namespace reel::vidu
