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

// The wire format a request goes out in (DESIGN.md "--dialect"). What a model
// accepts is per dialect: Vtrix sells only the (endpoint, model) pairs it has
// an id for (§16.5), including viduq2-pro-fast text2video, which the official
// text2video does not list; Vtrix's off_peak is "temporarily unavailable".
enum class Dialect { vidu, vtrix };
const char* dialect_name(Dialect d);  // "vidu", "vtrix"

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
  int credits = 0;                 // the price (§14)
  nlohmann::json* body = nullptr;  // not owned; see validate()
  // What else the price depends on (§14), copied out of the body.
  bool off_peak = false;
  bool is_rec = false;  // +10 credits
  bool audio = false;
  int segments = 0;  // multiframe: number of image_settings
  Dialect dialect = Dialect::vidu;
};

struct Validation {
  std::vector<FieldError> errors;    // all of them, not just the first
  std::optional<Resolved> resolved;  // set when errors is empty
  // Accepted but worth telling the user (e.g. a q1/vidu2.0 prompt over 1,500
  // characters, §18 Q2; bgm on a 9-10 s q2 shot); `reason` is "Warning",
  // `http_status` 200 (the request goes through).
  std::vector<FieldError> warnings;
};

// Checks a create request's fields (types, required fields, model-specific
// allowed values, counts, lengths) and fills in the defaults in `body`
// (duration, resolution, aspect_ratio, style, movement_amplitude, bgm, audio,
// audio_type, off_peak, watermark where the endpoint has them; each
// multiframe segment's duration). `seed` is never filled: absent or 0 means
// the server picks one. Media strings are checked for form only (http(s) URL
// or `data:<mime>;base64,` with an allowed MIME, inline size from the Base64
// length); their content (pixels, durations) is checked by the caller with
// host/media. Reasons are §13's: FieldLacking, FieldInvalid, FieldUnwanted
// (a field the endpoint or model does not take), FieldItemCountOutOfRange,
// ImageFormatInvalid, PageSizeOutOfRange (inline image too big),
// ModelUnavailable (a model the endpoint/dialect does not offer), BadRequest
// (body not an object or over 20 MB); all HTTP 400. Defaults may be filled
// even when errors are returned. `body` must outlive the result.
Validation validate(Endpoint endpoint, nlohmann::json& body);  // Dialect::vidu
Validation validate(Endpoint endpoint, nlohmann::json& body, Dialect dialect);

// What one (endpoint, model) pair accepts (§2), for help texts, the
// storyboard's choice of model and the simulator.
struct ModelCaps {
  struct ResolutionTier {
    int min_duration = 0;  // the tier applies to durations min..max
    int max_duration = 0;
    std::string default_resolution;
    std::vector<std::string> resolutions;
  };
  Endpoint endpoint = Endpoint::text2video;
  std::string model;
  bool official = false;  // offered by the official API (Dialect::vidu)
  std::string vtrix_id;   // "" when Vtrix does not sell it
  int default_duration = 0;
  std::vector<int> durations;                    // every allowed value, ascending (0 = auto length)
  std::vector<ResolutionTier> resolution_tiers;  // by duration (vidu2.0: 4 s vs 8 s)
  std::vector<std::string> aspect_ratios;        // empty: the inputs decide the ratio
  bool any_aspect_ratio = false;                 // also "auto" and any W:H within 1:4-4:1
  int prompt_max = 0;                            // characters
  bool prompt_required = false;
  int min_images = 0;  // images[] (reference: without videos)
  int max_images = 0;
  int max_videos = 0;            // reference videos[] (viduq2-pro)
  bool plain_reference = false;  // reference: accepts images/videos (§6A)
  bool subjects = false;         // reference: accepts subjects[] (§6B)
};
// Nothing when the dialect does not offer that pair.
std::optional<ModelCaps> model_caps(Endpoint endpoint, const std::string& model,
                                    Dialect dialect = Dialect::vidu);

// The models an endpoint accepts under a dialect, in the table's order
// (newest first), e.g. for "no model offers that shot kind" messages.
std::vector<std::string> models_for(Endpoint endpoint, Dialect dialect = Dialect::vidu);

// Credits for a resolved request (§14), shared by the simulator's charge and
// the client's estimate.
int price(const Resolved& request);

// Output pixel size for a resolution tier and aspect ratio (§15).
std::optional<std::pair<int, int>> output_size(const std::string& resolution,
                                               const std::string& aspect_ratio);

// The Vtrix error code the model's Vtrix page documents for a refused field
// (§16.4), e.g. "008012005" for an extend duration. Codes are per page, not
// global; nothing when the page lists none for that field.
std::optional<std::string> vtrix_error_code(Endpoint endpoint, const FieldError& error);

// The Vtrix model id for an endpoint and model ("viduq2_pro_extend"), and back.
std::optional<std::string> vtrix_model(Endpoint endpoint, const std::string& model);
struct OfficialModel {
  Endpoint endpoint;
  std::string model;
};
std::optional<OfficialModel> official_from_vtrix(const std::string& vtrix_id);

}  // namespace reel::vidu
