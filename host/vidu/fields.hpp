// The fields each endpoint accepts and their JSON types (§3-§8 plus §1.3's
// shared ones), and the allowed values of the enum-like fields. Internal to
// host/vidu. Section numbers (§) and open questions (Q) refer to
// ../shared/reference/vidu-api.md.
#pragma once

#include "host/vidu/capabilities.hpp"

#include <nlohmann/json_fwd.hpp>

#include <span>
#include <string>
#include <string_view>

namespace reel::vidu::detail {

enum class T { string, integer, boolean, array, object };

struct FieldSpec {
  const char* name;
  T type;
};

// The fields each endpoint accepts (§3-§8 plus §1.3's shared ones). A field
// not listed is FieldUnwanted. Model-specific applicability (bgm on q3,
// videos only on q2-pro, ...) is checked after the types.
struct EndpointSpec {
  const char* path;
  std::span<const FieldSpec> fields;
  Endpoint endpoint;
  // §18 Q6: watermark/wm_*/meta_data are accepted everywhere, but `watermark:
  // false` is only filled in where the official pages list it (t2v, i2v,
  // r2v); start-end, extend and multiframe send it only when the user does.
  bool fill_watermark;
};

// Everything below is constant-initialised (no static-init order issues).
using Names = std::span<const std::string_view>;
// clang-format off
inline constexpr std::string_view kMovement[] = {"auto", "small", "medium", "large"};         // §2.4
inline constexpr std::string_view kStyles[] = {"general", "anime"};                           // §3
inline constexpr std::string_view kAudioTypes[] = {"all", "speech_only", "sound_effect_only"};  // §2.4
inline constexpr std::string_view kWmCorners[] = {"top_left", "top_right", "bottom_right", "bottom_left"};  // §18 Q5
inline constexpr std::string_view kBasicRatios[] = {"16:9", "9:16", "1:1"};
inline constexpr std::string_view kWideRatios[] = {"16:9", "9:16", "1:1", "4:3", "3:4"};
inline constexpr std::string_view kSubjectKeys[] = {"id", "name", "images", "videos", "voice_id", "server_id"};  // §6B
// clang-format on

// The fields every endpoint accepts (§1.3).
std::span<const FieldSpec> common_fields();
// One row per Endpoint enumerator.
std::span<const EndpointSpec> endpoint_specs();

const EndpointSpec& spec_of(Endpoint e);
// The field `name` of `spec` (common or endpoint-specific), or null.
const FieldSpec* field_of(const EndpointSpec& spec, const std::string& name);
bool accepts(const EndpointSpec& spec, const char* name);

const char* type_name(T t);  // "a string", ...
bool has_type(const nlohmann::json& v, T t);

}  // namespace reel::vidu::detail
