// The request checker behind validate(): one instance per request, it
// collects every FieldError and fills in the defaults. Its member functions
// are defined in validate.cpp (types, model, shared fields, prompt, duration,
// resolution, aspect ratio, family rules) and validate_inputs.cpp (media
// inputs per endpoint). Internal to host/vidu. Section numbers (§) and open
// questions (Q) refer to ../shared/reference/vidu-api.md.
#pragma once

#include "host/vidu/capabilities.hpp"
#include "host/vidu/fields.hpp"
#include "host/vidu/media.hpp"
#include "host/vidu/models.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace reel::vidu::detail {

// §13.2 reasons. All of them are HTTP 400.
inline constexpr const char* kLacking = "FieldLacking";
inline constexpr const char* kInvalid = "FieldInvalid";
inline constexpr const char* kUnwanted = "FieldUnwanted";
inline constexpr const char* kCount = "FieldItemCountOutOfRange";
inline constexpr const char* kImageFormat = "ImageFormatInvalid";
inline constexpr const char* kBadRequest = "BadRequest";
inline constexpr const char* kWarning = "Warning";
// A model the endpoint (or the dialect) does not offer: §13.2's only
// model-specific code, `ModelUnavailable` (HTTP 400). A missing model is
// FieldLacking like any other required field. (The same table also lets
// `ModelUnavailable` end a task as err_code; §18 Q7 says out-of-table
// *values* such as durations get FieldInvalid, which is what they get here.)
// Kept in one place should a live server answer differently.
inline constexpr const char* kBadModel = "ModelUnavailable";

inline constexpr std::size_t kPayloadMax = 1'048'576;       // §1.3, characters
inline constexpr std::int64_t kSeedMax = 2'147'483'647;     // §18 Q23
inline constexpr int kPromptWarn = 1500;                    // §18 Q2: q1 / vidu2.0
inline constexpr int kSegmentPromptMax = 2000;              // §8 / §18 Q2 (Comfy)
inline constexpr std::size_t kInlineImageMax = 10'000'000;  // §18 Q3: decoded Base64 < 10 MB
inline constexpr std::size_t kInlineMediaMax = 20'000'000;  // §1.2: video / audio decoded < 20 MB
inline constexpr std::size_t kBodyMax = 20'000'000;         // §1.2: whole POST body <= 20 MB

struct Checker {
  Endpoint endpoint;
  nlohmann::json& body;
  Dialect dialect;
  const EndpointSpec& spec;
  const table::ModelRow* row = nullptr;
  std::string what;  // "viduq2 text2video"
  std::vector<FieldError> errors;
  std::vector<FieldError> warnings;
  std::set<std::string> bad;  // fields already reported (wrong type)

  Checker(Endpoint e, nlohmann::json& b, Dialect d)
      : endpoint(e), body(b), dialect(d), spec(spec_of(e)) {}

  void fail(const char* reason, const std::string& field, const std::string& message);
  void warn(const std::string& field, const std::string& message);

  // The field's value when present with the right type, else null.
  const nlohmann::json* get(const char* name) const;
  bool flag(const char* name) const;

  void check_types();
  std::string accepted_fields() const;
  std::vector<std::string> models() const;
  void check_model();

  // --- model-independent checks (§1.3)
  void check_common();
  void enum_field(const char* name, Names allowed, const char* def);

  // One media string; `field` is its path for messages ("images[1]").
  void media(const nlohmann::json& v, const std::string& field, Media kind);
  void media_array(const nlohmann::json& arr, const std::string& field, Media kind,
                   table::Count count, const std::string& rule);

  // --- prompt (§18 Q2)
  void check_prompt();

  // --- inputs per endpoint
  void check_inputs();
  void check_reference();
  // §6B: subjects[] with id (q2-era) or name (newer) — both accepted (Q10).
  void check_subjects(const nlohmann::json& subjects);
  // §7: exactly one of video_url / video_creation_id; images 0-1 (end frame).
  void check_extend();
  // §8: start_image + image_settings[] (2-9) of {key_image, prompt, duration}.
  // Fills each item's duration (default 5) and returns the total seconds.
  int check_multiframe();

  // --- duration, resolution, aspect ratio (§2.2, §2.3, §2.4)
  int check_duration();
  std::string check_resolution(int duration);
  static bool any_ratio(const std::string& r);
  std::string check_aspect();

  // --- family rules (§2.4) and defaults. Returns the effective audio flag.
  bool check_family(int duration, bool subject_call);

  Validation run();
};

}  // namespace reel::vidu::detail
