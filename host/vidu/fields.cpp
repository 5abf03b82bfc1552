// The field tables per endpoint and the JSON type checks. Section numbers (§)
// and open questions (Q) refer to ../shared/reference/vidu-api.md.
#include "host/vidu/fields.hpp"

#include <nlohmann/json.hpp>

namespace reel::vidu::detail {

using nlohmann::json;

namespace {

// Everything below is constant-initialised (no static-init order issues).
// clang-format off
constexpr FieldSpec kCommon[] = {
  {"model", T::string}, {"seed", T::integer}, {"payload", T::string}, {"callback_url", T::string},
  {"watermark", T::boolean}, {"wm_url", T::string}, {"meta_data", T::string}, {"resolution", T::string},
};
constexpr FieldSpec kT2vFields[] = {
  {"prompt", T::string}, {"style", T::string}, {"duration", T::integer}, {"aspect_ratio", T::string},
  {"movement_amplitude", T::string}, {"bgm", T::boolean}, {"audio", T::boolean}, {"off_peak", T::boolean},
  {"wm_position", T::integer}};
constexpr FieldSpec kI2vFields[] = {
  {"images", T::array}, {"prompt", T::string}, {"audio", T::boolean}, {"audio_type", T::string},
  {"voice_id", T::string}, {"is_rec", T::boolean}, {"bgm", T::boolean}, {"duration", T::integer},
  {"movement_amplitude", T::string}, {"off_peak", T::boolean}, {"wm_position", T::integer}};
constexpr FieldSpec kSeFields[] = {
  {"images", T::array}, {"prompt", T::string}, {"is_rec", T::boolean}, {"duration", T::integer},
  {"movement_amplitude", T::string}, {"bgm", T::boolean}, {"audio", T::boolean}, {"off_peak", T::boolean},
  {"wm_position", T::integer}};
constexpr FieldSpec kR2vFields[] = {
  {"images", T::array}, {"videos", T::array}, {"sounds", T::array}, {"subjects", T::array},
  {"auto_subjects", T::boolean}, {"prompt", T::string}, {"duration", T::integer}, {"aspect_ratio", T::string},
  {"movement_amplitude", T::string}, {"bgm", T::boolean}, {"audio", T::boolean}, {"audio_type", T::string},
  {"off_peak", T::boolean}, {"wm_position", T::integer}};
// §7. `seed` is not in the official table but ComfyUI sends it (Q11): it is
// accepted (a common field; the simulator uses it) and the client sends it
// only when the user sets it. No off_peak / bgm / audio on extend.
constexpr FieldSpec kExtendFields[] = {
  {"video_creation_id", T::string}, {"video_url", T::string}, {"images", T::array}, {"prompt", T::string},
  {"duration", T::integer}, {"wm_position", T::string}};
// §8. No top-level prompt/duration (they are per segment); aspect_ratio is
// not documented (Q11) and the output follows start_image, so it is unwanted.
constexpr FieldSpec kMultiframeFields[] = {
  {"start_image", T::string}, {"image_settings", T::array}, {"wm_position", T::string}};

constexpr EndpointSpec kEndpoints[] = {
  {"text2video", kT2vFields, Endpoint::text2video, true},
  {"img2video", kI2vFields, Endpoint::img2video, true},
  {"start-end2video", kSeFields, Endpoint::start_end2video, false},
  {"reference2video", kR2vFields, Endpoint::reference2video, true},
  {"extend", kExtendFields, Endpoint::extend, false},
  {"multiframe", kMultiframeFields, Endpoint::multiframe, false},
};
// clang-format on

}  // namespace

std::span<const FieldSpec> common_fields() {
  return kCommon;
}

std::span<const EndpointSpec> endpoint_specs() {
  return kEndpoints;
}

const EndpointSpec& spec_of(Endpoint e) {
  for (const auto& s : kEndpoints)
    if (s.endpoint == e) return s;
  return kEndpoints[0];  // unreachable: every enumerator has a row
}

const FieldSpec* field_of(const EndpointSpec& spec, const std::string& name) {
  for (const auto& f : kCommon)
    if (name == f.name) return &f;
  for (const auto& f : spec.fields)
    if (name == f.name) return &f;
  return nullptr;
}

bool accepts(const EndpointSpec& spec, const char* name) {
  return field_of(spec, name) != nullptr;
}

const char* type_name(T t) {
  switch (t) {
    case T::string:
      return "a string";
    case T::integer:
      return "an integer";
    case T::boolean:
      return "a boolean";
    case T::array:
      return "an array";
    case T::object:
      return "an object";
  }
  return "?";
}

bool has_type(const json& v, T t) {
  switch (t) {
    case T::string:
      return v.is_string();
    case T::integer:
      return v.is_number_integer();
    case T::boolean:
      return v.is_boolean();
    case T::array:
      return v.is_array();
    case T::object:
      return v.is_object();
  }
  return false;
}

}  // namespace reel::vidu::detail
