// Request validation, defaults, prices, output sizes and the Vtrix id mapping,
// all read from the tables in models.cpp. Section numbers (§) and open
// questions (Q) refer to ../shared/reference/vidu-api.md.
#include "host/vidu/capabilities.hpp"

#include "host/vidu/models.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <set>
#include <span>
#include <string_view>
#include <tuple>

namespace reel::vidu {

using nlohmann::json;
using table::Aspect;
using table::Gen;
using table::ModelRow;

namespace {

// §13.2 reasons. All of them are HTTP 400.
constexpr const char* kLacking = "FieldLacking";
constexpr const char* kInvalid = "FieldInvalid";
constexpr const char* kUnwanted = "FieldUnwanted";
constexpr const char* kCount = "FieldItemCountOutOfRange";
constexpr const char* kImageFormat = "ImageFormatInvalid";
constexpr const char* kBadRequest = "BadRequest";
constexpr const char* kWarning = "Warning";
// A model the endpoint (or the dialect) does not offer: §13.2's only
// model-specific code, `ModelUnavailable` (HTTP 400). A missing model is
// FieldLacking like any other required field. (The same table also lets
// `ModelUnavailable` end a task as err_code; §18 Q7 says out-of-table
// *values* such as durations get FieldInvalid, which is what they get here.)
// Kept in one place should a live server answer differently.
constexpr const char* kBadModel = "ModelUnavailable";

constexpr std::size_t kPayloadMax = 1'048'576;       // §1.3, characters
constexpr std::int64_t kSeedMax = 2'147'483'647;     // §18 Q23
constexpr int kPromptWarn = 1500;                    // §18 Q2: q1 / vidu2.0
constexpr int kSegmentPromptMax = 2000;              // §8 / §18 Q2 (Comfy)
constexpr std::size_t kInlineImageMax = 10'000'000;  // §18 Q3: decoded Base64 < 10 MB
constexpr std::size_t kInlineMediaMax = 20'000'000;  // §1.2: video / audio decoded < 20 MB
constexpr std::size_t kBodyMax = 20'000'000;         // §1.2: whole POST body <= 20 MB

// ---------------------------------------------------------------- fields

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

using Names = std::span<const std::string_view>;
constexpr std::string_view kMovement[] = {"auto", "small", "medium", "large"};         // §2.4
constexpr std::string_view kStyles[] = {"general", "anime"};                           // §3
constexpr std::string_view kAudioTypes[] = {"all", "speech_only", "sound_effect_only"};  // §2.4
constexpr std::string_view kWmCorners[] = {"top_left", "top_right", "bottom_right", "bottom_left"};  // §18 Q5
constexpr std::string_view kBasicRatios[] = {"16:9", "9:16", "1:1"};
constexpr std::string_view kWideRatios[] = {"16:9", "9:16", "1:1", "4:3", "3:4"};
constexpr std::string_view kImageMimes[] = {"image/png", "image/jpeg", "image/jpg", "image/webp"};  // §1.2
constexpr std::string_view kVideoMimes[] = {"video/mp4", "video/quicktime", "video/mov", "video/avi",
                                            "video/x-msvideo"};  // §1.2: mp4 / mov / avi
constexpr std::string_view kAudioMimes[] = {"audio/mp3", "audio/mpeg"};  // §1.2
constexpr std::string_view kSubjectKeys[] = {"id", "name", "images", "videos", "voice_id", "server_id"};  // §6B
// clang-format on

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

// ------------------------------------------------------------- wording

// At most `max` bytes of `s`, cut on a UTF-8 character boundary.
std::string clip(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// A value as it appears in a message: JSON text (strings quoted), invalid
// UTF-8 replaced, long values clipped.
std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return v.is_string() && s.size() > 60 ? clip(s, 59) + "\"" : clip(s, 60);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

template <class List>
std::string join(const List& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}

template <class List>
bool contains(const List& list, std::string_view v) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

std::size_t utf8_length(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string range_text(int lo, int hi) {
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "\u2013" + std::to_string(hi);
}

std::string durations_text(const table::Durations& d) {
  std::string allowed;
  if (!d.only.empty()) {
    std::vector<std::string> v;
    for (int x : d.only) v.push_back(std::to_string(x));
    allowed = join(v);
  } else {
    allowed = range_text(d.min, d.max);
  }
  return allowed + " (default " + std::to_string(d.def) + ")";
}

// ------------------------------------------------------------ media strings

enum class Media { image, video, audio };

bool is_http_url(std::string_view s) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (s.size() > scheme.size() && s.substr(0, scheme.size()) == scheme) {
      return s.find_first_of(" \t\r\n") == std::string_view::npos && s[scheme.size()] != '/';
    }
  }
  return false;
}

// §1.2: a public URL or a `data:<mime>;base64,<data>` URI with an allowed MIME.
// Returns "" when fine, else why not.
std::string media_problem(const std::string& s, Media kind) {
  if (is_http_url(s)) return "";
  Names mimes = kind == Media::image   ? Names(kImageMimes)
                : kind == Media::video ? Names(kVideoMimes)
                                       : Names(kAudioMimes);
  if (s.rfind("data:", 0) == 0) {
    auto semi = s.find(";base64,");
    if (semi == std::string::npos) return "a data URI must be base64 (data:<mime>;base64,...)";
    std::string mime = s.substr(5, semi - 5);
    std::transform(mime.begin(), mime.end(), mime.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (!contains(mimes, mime))
      return "MIME type \"" + clip(mime, 40) + "\" is not one of " + join(mimes);
    if (s.size() == semi + 8) return "the data URI carries no data";
    return "";
  }
  return "must be an http(s) URL or a data:<mime>;base64, URI with one of " + join(mimes);
}

// ------------------------------------------------------------- the checker

struct Checker {
  Endpoint endpoint;
  json& body;
  Dialect dialect;
  const EndpointSpec& spec;
  const ModelRow* row = nullptr;
  std::string what;  // "viduq2 text2video"
  std::vector<FieldError> errors;
  std::vector<FieldError> warnings;
  std::set<std::string> bad;  // fields already reported (wrong type)

  Checker(Endpoint e, json& b, Dialect d) : endpoint(e), body(b), dialect(d), spec(spec_of(e)) {}

  void fail(const char* reason, const std::string& field, const std::string& message) {
    errors.push_back({reason, 400, field, message});
    bad.insert(field);
  }
  void warn(const std::string& field, const std::string& message) {
    warnings.push_back({kWarning, 200, field, message});
  }

  // The field's value when present with the right type, else null.
  const json* get(const char* name) const {
    if (bad.count(name) != 0U) return nullptr;
    auto it = body.find(name);
    return it == body.end() ? nullptr : &*it;
  }
  bool flag(const char* name) const {
    const json* v = get(name);
    return v != nullptr && v->get<bool>();
  }

  void check_types() {
    for (auto it = body.begin(); it != body.end(); ++it) {
      const FieldSpec* f = field_of(spec, it.key());
      if (f == nullptr) {
        fail(kUnwanted, it.key(),
             it.key() + " is not a field of " + spec.path + "; accepted: " + accepted_fields());
      } else if (!has_type(it.value(), f->type)) {
        fail(kInvalid, it.key(),
             it.key() + " " + show(it.value()) + " must be " + type_name(f->type) + " for " +
                 spec.path);
      } else if (f->type == T::string && !valid_utf8(it.value().get_ref<const std::string&>())) {
        fail(kInvalid, it.key(), it.key() + " is not valid UTF-8 text");
      }
    }
  }

  std::string accepted_fields() const {
    std::vector<std::string_view> names;
    for (const auto& f : kCommon) names.emplace_back(f.name);
    for (const auto& f : spec.fields) names.emplace_back(f.name);
    return join(names);
  }

  std::vector<std::string> models() const { return models_for(endpoint, dialect); }

  void check_model() {
    auto it = body.find("model");
    if (it == body.end() || (it->is_string() && it->get<std::string>().empty())) {
      fail(kLacking, "model",
           std::string("model is required for ") + spec.path + "; allowed: " + join(models()));
      return;
    }
    if (bad.count("model") != 0U) return;
    const std::string model = it->get<std::string>();
    for (const auto& r : table::model_rows()) {
      if (r.endpoint != endpoint || model != r.model) continue;
      bool offered = dialect == Dialect::vidu ? r.official : r.vtrix_id[0] != '\0';
      if (offered) {
        row = &r;
        what = model + " " + spec.path;
        return;
      }
      // Known pair, other dialect (e.g. viduq2-pro-fast text2video: Vtrix only).
      fail(kBadModel, "model",
           "model " + show(*it) + " is not offered for " + spec.path + " under the " +
               dialect_name(dialect) + " dialect (only under " +
               dialect_name(dialect == Dialect::vidu ? Dialect::vtrix : Dialect::vidu) +
               "); allowed: " + join(models()));
      return;
    }
    fail(
        kBadModel, "model",
        "model " + show(*it) + " is not offered for " + spec.path + "; allowed: " + join(models()));
  }

  // --- model-independent checks (§1.3)

  void check_common() {
    if (const json* v = get("seed")) {
      auto s = v->get<std::int64_t>();
      if (s < 0 || s > kSeedMax)
        fail(kInvalid, "seed",
             "seed " + v->dump() +
                 " is out of range; allowed: 0\u20132147483647 (0 or absent = random)");
    }
    if (const json* v = get("payload")) {
      auto n = utf8_length(v->get<std::string>());
      if (n > kPayloadMax)
        fail(kInvalid, "payload",
             "payload is " + std::to_string(n) + " characters; the limit is 1,048,576");
    }
    if (const json* v = get("callback_url"); v != nullptr && !is_http_url(v->get<std::string>()))
      fail(kInvalid, "callback_url", "callback_url " + show(*v) + " must be an http(s) URL");
    if (const json* v = get("wm_url"); v != nullptr && !is_http_url(v->get<std::string>()))
      fail(kInvalid, "wm_url",
           "wm_url " + show(*v) + " must be an http(s) URL of the watermark image");
    if (const json* v = get("meta_data")) {
      // §1.3: "String (JSON text)".
      if (!json::accept(v->get<std::string>()))
        fail(kInvalid, "meta_data",
             "meta_data " + show(*v) + " must be JSON text, e.g. {\"Label\":\"...\"}");
    }
    // §18 Q5: int 1-4 on t2v/i2v/r2v/start-end, string enum on extend/multiframe.
    if (const json* v = get("wm_position")) {
      if (v->is_number_integer()) {
        auto p = v->get<std::int64_t>();
        if (p < 1 || p > 4)
          fail(kInvalid, "wm_position",
               "wm_position " + v->dump() + " is not allowed for " + spec.path +
                   "; allowed: 1 (top-left), 2 (top-right), 3 (bottom-right), 4 (bottom-left) "
                   "(default 3)");
      } else if (!contains(kWmCorners, v->get<std::string>())) {
        fail(kInvalid, "wm_position",
             "wm_position " + show(*v) + " is not allowed for " + spec.path +
                 "; allowed: " + join(kWmCorners) + " (default bottom_left)");
      }
    }
    enum_field("style", kStyles, "general");
    enum_field("movement_amplitude", kMovement, "auto");
    enum_field("audio_type", kAudioTypes, "all");
  }

  void enum_field(const char* name, Names allowed, const char* def) {
    if (const json* v = get(name); v != nullptr && !contains(allowed, v->get<std::string>()))
      fail(kInvalid, name,
           std::string(name) + " " + show(*v) + " is not allowed for " + spec.path +
               "; allowed: " + join(allowed) + " (default " + def + ")");
  }

  // One media string; `field` is its path for messages ("images[1]").
  void media(const json& v, const std::string& field, Media kind) {
    if (!v.is_string()) {
      fail(kInvalid, field, field + " " + show(v) + " must be a string (URL or data URI)");
      return;
    }
    const auto& s = v.get<std::string>();
    std::string why = media_problem(s, kind);
    if (why.empty()) {
      // §1.2 / §18 Q3: inline images under 10 MB decoded, videos and audio
      // under 20 MB. Estimated from the Base64 length; decoding is the
      // caller's job. §13: PageSizeOutOfRange is the image size/format code.
      if (s.rfind("data:", 0) != 0) return;
      std::size_t decoded = (s.size() - s.find(";base64,") - 8) / 4 * 3;
      std::size_t limit = kind == Media::image ? kInlineImageMax : kInlineMediaMax;
      if (decoded >= limit)
        fail(kind == Media::image ? "PageSizeOutOfRange" : kInvalid, field,
             field + " is an inline " +
                 (kind == Media::image   ? "image"
                  : kind == Media::video ? "video"
                                         : "audio") +
                 " of about " + std::to_string(decoded / 1'000'000) + " MB decoded; the limit is " +
                 std::to_string(limit / 1'000'000) + " MB (use a URL)");
      return;
    }
    // §13: ImageFormatInvalid for images; no dedicated official code for
    // videos / audio, so FieldInvalid.
    fail(kind == Media::image ? kImageFormat : kInvalid, field, field + " " + show(v) + ": " + why);
  }

  void media_array(const json& arr, const std::string& field, Media kind, table::Count count,
                   const std::string& rule) {
    auto n = static_cast<int>(arr.size());
    if (n < count.min || n > count.max)
      fail(kCount, field,
           field + " has " + std::to_string(n) + " item" + (n == 1 ? "" : "s") + "; " + rule +
               " takes " + range_text(count.min, count.max));
    for (std::size_t i = 0; i < arr.size(); ++i)
      media(arr[i], field + "[" + std::to_string(i) + "]", kind);
  }

  // --- prompt (§18 Q2)

  void check_prompt() {
    const json* v = get("prompt");
    bool required = row != nullptr
                        ? row->prompt_required
                        : endpoint == Endpoint::text2video || endpoint == Endpoint::reference2video;
    if (required && (v == nullptr || v->get<std::string>().empty()) && bad.count("prompt") == 0U) {
      fail(kLacking, "prompt", std::string("prompt is required for ") + spec.path);
      return;
    }
    if (v == nullptr || row == nullptr) return;
    auto n = static_cast<int>(utf8_length(v->get<std::string>()));
    if (n > row->prompt_max) {
      fail(kInvalid, "prompt",
           "prompt is " + std::to_string(n) + " characters; the limit for " + what + " is " +
               std::to_string(row->prompt_max));
    } else if ((row->gen == Gen::q1 || row->gen == Gen::v20) && n > kPromptWarn) {
      warn("prompt", "prompt is " + std::to_string(n) + " characters; older " + row->model +
                         " pages cap prompts at 1500 (§18 Q2)");
    }
  }

  // --- inputs per endpoint

  void check_inputs() {
    switch (endpoint) {
      case Endpoint::text2video:
        break;
      case Endpoint::img2video:
      case Endpoint::start_end2video: {
        table::Count want = row != nullptr ? row->images
                                           : (endpoint == Endpoint::img2video ? table::Count{1, 1}
                                                                              : table::Count{2, 2});
        if (const json* v = get("images"))
          media_array(*v, "images", Media::image, want, std::string(spec.path));
        else if (bad.count("images") == 0U)
          fail(kLacking, "images",
               std::string("images is required for ") + spec.path + " (" +
                   range_text(want.min, want.max) +
                   (endpoint == Endpoint::img2video ? " start frame)" : " images: [start, end])"));
        break;
      }
      case Endpoint::reference2video:
        check_reference();
        break;
      case Endpoint::extend:
        check_extend();
        break;
      case Endpoint::multiframe:
        check_multiframe();
        break;
    }
  }

  void check_reference() {
    const json* images = get("images");
    const json* videos = get("videos");
    const json* subjects = get("subjects");
    const json* sounds = get("sounds");
    bool has_videos = videos != nullptr && !videos->empty();
    if (images == nullptr && subjects == nullptr) {
      if (bad.count("images") == 0U && bad.count("subjects") == 0U)
        fail(kLacking, "images",
             "reference2video needs images (1\u20137 reference images) or subjects");
      return;
    }
    // §6: the two flavours are not mixed in one request [D-PE].
    if (subjects != nullptr && (images != nullptr || videos != nullptr)) {
      fail(kUnwanted, "subjects",
           "subjects cannot be combined with images/videos in one reference2video request");
      return;
    }
    if (sounds != nullptr) {
      // §1.2: newest CN docs only; Vtrix "not supported yet, reserved".
      if (dialect == Dialect::vtrix)
        fail(kUnwanted, "sounds", "sounds is not supported under the vtrix dialect (reserved)");
      else
        media_array(*sounds, "sounds", Media::audio, {1, 7}, "reference2video");
    }
    if (row == nullptr) return;
    if (subjects != nullptr) {
      check_subjects(*subjects);
      return;
    }
    if (!row->plain) {
      fail(kUnwanted, "images", what + " takes subjects only, not images/videos");
      return;
    }
    if (videos != nullptr && row->videos.max == 0) {
      fail(kUnwanted, "videos",
           "videos is only accepted by viduq2-pro reference2video, not " + std::string(row->model));
    } else if (videos != nullptr) {
      media_array(*videos, "videos", Media::video, row->videos, what);
    }
    if (images != nullptr) {
      table::Count want =
          has_videos && row->images_with_videos.max > 0 ? row->images_with_videos : row->images;
      media_array(*images, "images", Media::image, want, what + (has_videos ? " with videos" : ""));
    } else {
      fail(kLacking, "images", "images is required for " + what + " (1\u20137 reference images)");
    }
  }

  // §6B: subjects[] with id (q2-era) or name (newer) — both accepted (Q10).
  void check_subjects(const json& subjects) {
    if (!row->subjects) {
      fail(kUnwanted, "subjects",
           row->model + std::string(" does not support subjects in reference2video"));
      return;
    }
    bool q2pro = std::string_view(row->model) == "viduq2-pro";
    auto n = static_cast<int>(subjects.size());
    if (n < 1 || n > 7)
      fail(kCount, "subjects",
           "subjects has " + std::to_string(n) + (n == 1 ? " item" : " items") + "; " + what +
               " takes 1\u20137");
    std::set<std::string> names;
    int total_images = 0, image_subjects = 0, video_subjects = 0;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      const std::string at = "subjects[" + std::to_string(i) + "]";
      const json& s = subjects[i];
      if (!s.is_object()) {
        fail(kInvalid, at, at + " " + show(s) + " must be an object {name, images, ...}");
        continue;
      }
      for (auto it = s.begin(); it != s.end(); ++it) {
        if (!contains(kSubjectKeys, it.key()))
          fail(kUnwanted, at + "." + it.key(),
               at + "." + it.key() + " is not a subject field; allowed: " + join(kSubjectKeys));
        else if ((it.key() == "images" || it.key() == "videos") ? !it->is_array()
                                                                : !it->is_string())
          fail(kInvalid, at + "." + it.key(),
               at + "." + it.key() + " " + show(*it) + " must be " +
                   ((it.key() == "images" || it.key() == "videos") ? "an array" : "a string"));
      }
      std::string handle;
      for (const char* k : {"name", "id"})
        if (auto h = s.find(k); h != s.end() && h->is_string() && !h->get<std::string>().empty()) {
          handle = h->get<std::string>();
          break;
        }
      if (handle.empty())
        fail(kLacking, at + ".name",
             at + ".name (or .id) is required: the handle the prompt refers to as @name");
      else if (!names.insert(handle).second)
        fail(kInvalid, at + ".name",
             at + ".name \"" + handle + "\" is used twice; subject names must be unique");
      int slots = 0;
      if (auto im = s.find("images"); im != s.end() && im->is_array()) {
        for (std::size_t j = 0; j < im->size(); ++j)
          media((*im)[j], at + ".images[" + std::to_string(j) + "]", Media::image);
        slots += static_cast<int>(im->size());
        total_images += static_cast<int>(im->size());
        if (!im->empty()) ++image_subjects;
      }
      if (auto vi = s.find("videos"); vi != s.end() && vi->is_array()) {
        if (!q2pro) {
          fail(kUnwanted, at + ".videos",
               at + ".videos is only accepted by viduq2-pro, not " + row->model);
        } else {
          for (std::size_t j = 0; j < vi->size(); ++j)
            media((*vi)[j], at + ".videos[" + std::to_string(j) + "]", Media::video);
          slots += static_cast<int>(vi->size());
          if (!vi->empty()) ++video_subjects;
        }
      }
      if (slots > 3)
        fail(kCount, at + ".images",
             at + ".images has " + std::to_string(slots) +
                 " items (videos included); each subject takes 1\u20133");
      bool has_server = s.contains("server_id") && s["server_id"].is_string() &&
                        !s["server_id"].get<std::string>().empty();
      if (slots == 0 && !has_server)
        fail(kLacking, at + ".images",
             at + " needs images (1\u20133), videos (viduq2-pro) or a server_id");
      if (q2pro && s.contains("voice_id") && s["voice_id"].is_string() &&
          !s["voice_id"].get<std::string>().empty())
        fail(kUnwanted, at + ".voice_id", at + ".voice_id is not accepted by viduq2-pro subjects");
    }
    if (total_images > 7)
      fail(kCount, "subjects",
           "subjects carry " + std::to_string(total_images) + " images in total; " + what +
               " takes 1\u20137");
    if (q2pro && image_subjects > 4)
      fail(kCount, "subjects",
           "subjects has " + std::to_string(image_subjects) +
               " image subjects; viduq2-pro takes at most 4");
    if (q2pro && video_subjects > 2)
      fail(kCount, "subjects",
           "subjects has " + std::to_string(video_subjects) +
               " video subjects; viduq2-pro takes at most 2");
  }

  // §7: exactly one of video_url / video_creation_id; images 0-1 (end frame).
  void check_extend() {
    const json* url = get("video_url");
    const json* id = get("video_creation_id");
    if (url == nullptr && id == nullptr) {
      if (bad.count("video_url") == 0U && bad.count("video_creation_id") == 0U)
        fail(kLacking, "video_url", "extend needs exactly one of video_url or video_creation_id");
    } else if (url != nullptr && id != nullptr) {
      fail(kInvalid, "video_creation_id",
           "extend takes exactly one of video_url or video_creation_id, not both");
    } else if (url != nullptr) {
      media(*url, "video_url", Media::video);
    } else if (id->get<std::string>().empty()) {
      fail(kLacking, "video_creation_id",
           "video_creation_id is empty; give a creations[].id of an earlier task");
    }
    if (const json* v = get("images"))
      media_array(*v, "images", Media::image, {0, 1}, "extend (one optional end frame)");
  }

  // §8: start_image + image_settings[] (2-9) of {key_image, prompt, duration}.
  // Fills each item's duration (default 5) and returns the total seconds.
  int check_multiframe() {
    int total = 0;
    if (const json* v = get("start_image"))
      media(*v, "start_image", Media::image);
    else if (bad.count("start_image") == 0U)
      fail(kLacking, "start_image",
           "start_image is required for multiframe (one image, not an array)");
    json* settings = body.contains("image_settings") && bad.count("image_settings") == 0U
                         ? &body["image_settings"]
                         : nullptr;
    if (settings == nullptr) {
      if (bad.count("image_settings") == 0U)
        fail(kLacking, "image_settings",
             "image_settings is required for multiframe (2\u20139 key frames)");
      return 0;
    }
    auto n = static_cast<int>(settings->size());
    if (n < 2 || n > 9)
      fail(kCount, "image_settings",
           "image_settings has " + std::to_string(n) + (n == 1 ? " item" : " items") +
               "; multiframe takes 2\u20139");
    const table::Durations& d = row != nullptr ? row->duration : table::Durations{5, 2, 7, {}};
    for (std::size_t i = 0; i < settings->size(); ++i) {
      const std::string at = "image_settings[" + std::to_string(i) + "]";
      json& item = (*settings)[i];
      if (!item.is_object()) {
        fail(kInvalid, at,
             at + " " + show(item) + " must be an object {key_image, prompt, duration}");
        continue;
      }
      for (auto it = item.begin(); it != item.end(); ++it)
        if (it.key() != "key_image" && it.key() != "prompt" && it.key() != "duration")
          fail(kUnwanted, at + "." + it.key(),
               at + "." + it.key() +
                   " is not an image_settings field; allowed: key_image, prompt, duration");
      if (auto k = item.find("key_image"); k == item.end())
        fail(kLacking, at + ".key_image", at + ".key_image is required (the segment's end frame)");
      else
        media(*k, at + ".key_image", Media::image);
      if (auto p = item.find("prompt"); p != item.end()) {
        if (!p->is_string())
          fail(kInvalid, at + ".prompt", at + ".prompt " + show(*p) + " must be a string");
        else if (auto len = utf8_length(p->get<std::string>());
                 len > static_cast<std::size_t>(kSegmentPromptMax))
          fail(kInvalid, at + ".prompt",
               at + ".prompt is " + std::to_string(len) + " characters; the limit is " +
                   std::to_string(kSegmentPromptMax));
      }
      auto du = item.find("duration");
      if (du == item.end()) {
        item["duration"] = d.def;
        total += d.def;
      } else if (!du->is_number_integer()) {
        fail(kInvalid, at + ".duration", at + ".duration " + show(*du) + " must be an integer");
      } else if (auto s = du->get<std::int64_t>(); s < d.min || s > d.max) {
        fail(kInvalid, at + ".duration",
             at + ".duration " + du->dump() + " is not allowed for " +
                 (what.empty() ? "multiframe" : what) + "; allowed: " + durations_text(d));
      } else {
        total += static_cast<int>(s);
      }
    }
    return total;
  }

  // --- duration, resolution, aspect ratio (§2.2, §2.3, §2.4)

  int check_duration() {
    const table::Durations& d = row->duration;
    const json* v = get("duration");
    if (v == nullptr) {
      if (bad.count("duration") == 0U && accepts(spec, "duration")) body["duration"] = d.def;
      return d.def;
    }
    auto s = v->get<std::int64_t>();
    bool ok = d.only.empty() ? (s >= d.min && s <= d.max)
                             : std::find(d.only.begin(), d.only.end(), s) != d.only.end();
    if (!ok) {
      fail(kInvalid, "duration",
           "duration " + v->dump() + " is not allowed for " + what +
               "; allowed: " + durations_text(d));
      return d.def;
    }
    return static_cast<int>(s);
  }

  std::string check_resolution(int duration) {
    const table::ResTier* tier = &row->resolution.front();
    for (const auto& t : row->resolution)
      if (duration >= t.dur_min && duration <= t.dur_max) tier = &t;
    const json* v = get("resolution");
    if (v == nullptr) {
      if (bad.count("resolution") == 0U) body["resolution"] = tier->def;
      return tier->def;
    }
    std::string r = v->get<std::string>();
    if (!contains(tier->allowed, r)) {
      std::string at = row->resolution.size() > 1 ? " at " + std::to_string(duration) + " s" : "";
      fail(kInvalid, "resolution",
           "resolution " + show(*v) + " is not allowed for " + what + at +
               "; allowed: " + join(tier->allowed) + " (default " + tier->def + ")");
      return tier->def;
    }
    return r;
  }

  static bool any_ratio(const std::string& r) {
    auto colon = r.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= r.size()) return false;
    auto digits = [](std::string_view s) {
      return s.size() <= 5 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::string_view a(r.data(), colon), b(r.data() + colon + 1, r.size() - colon - 1);
    if (!digits(a) || !digits(b)) return false;
    double w = std::stod(std::string(a)), h = std::stod(std::string(b));
    return w > 0 && h > 0 && w / h >= 0.25 && w / h <= 4.0;  // §1.2: 1:4-4:1
  }

  std::string check_aspect() {
    if (!accepts(spec, "aspect_ratio") || row->aspect == Aspect::none) return "";
    Names list = row->aspect == Aspect::basic ? Names(kBasicRatios) : Names(kWideRatios);
    const json* v = get("aspect_ratio");
    if (v == nullptr) {
      if (bad.count("aspect_ratio") == 0U) body["aspect_ratio"] = "16:9";
      return "16:9";
    }
    std::string r = v->get<std::string>();
    bool ok = contains(list, r) || (row->aspect == Aspect::any && (r == "auto" || any_ratio(r)));
    if (!ok) {
      fail(kInvalid, "aspect_ratio",
           "aspect_ratio " + show(*v) + " is not allowed for " + what + "; allowed: " + join(list) +
               (row->aspect == Aspect::any ? ", auto or any W:H within 1:4\u20134:1" : "") +
               " (default 16:9)");
      return "16:9";
    }
    return r;
  }

  // --- family rules (§2.4) and defaults. Returns the effective audio flag.

  bool check_family(int duration, bool subject_call) {
    const bool q3 = row->gen == Gen::q3;
    const bool q3mix = std::string_view(row->model) == "viduq3-mix";

    // bgm: default false; not available on q3; no effect when q2 runs 9-10 s.
    if (accepts(spec, "bgm")) {
      if (const json* v = get("bgm")) {
        if (v->get<bool>() && q3)
          fail(kInvalid, "bgm",
               "bgm true is not available on " + what + "; allowed: false (q3 models have no BGM)");
        else if (v->get<bool>() && row->gen == Gen::q2 && duration >= 9)
          warn("bgm",
               "bgm has no effect when " + what + " runs " + std::to_string(duration) + " s");
      } else if (bad.count("bgm") == 0U) {
        body["bgm"] = false;
      }
    }

    // audio: q3 = direct audio-video output, default true; q2/q1/2.0 on
    // img2video and subject calls = dialogue with voice_id, default false;
    // elsewhere (t2v, start-end, non-subject reference) only q3 has audio.
    enum class Audio {
      none,
      direct,
      voice
    } mode = q3                                                ? Audio::direct
             : endpoint == Endpoint::img2video || subject_call ? Audio::voice
                                                               : Audio::none;
    bool audio = false;
    if (accepts(spec, "audio")) {
      if (const json* v = get("audio")) {
        audio = v->get<bool>();
        if (audio && mode == Audio::none) {
          fail(kInvalid, "audio",
               "audio true is not available on " + what + "; only q3 models make sound here");
          audio = false;
        }
      } else if (bad.count("audio") == 0U && mode != Audio::none) {
        audio = mode == Audio::direct;
        body["audio"] = audio;
      }
    }
    // audio_type: "needed when audio=true", default all (§2.4, Q22).
    if (audio && accepts(spec, "audio_type") && !body.contains("audio_type") &&
        mode == Audio::voice)
      body["audio_type"] = "all";

    // off_peak (§2.4, Q24): default false. Vtrix: temporarily unavailable.
    // q3 needs audio=true; q3-mix has none; other models not with audio.
    if (accepts(spec, "off_peak")) {
      if (const json* v = get("off_peak")) {
        if (v->get<bool>()) {
          if (dialect == Dialect::vtrix)
            fail(
                kInvalid, "off_peak",
                "off_peak true is temporarily unavailable under the vtrix dialect; allowed: false");
          else if (q3mix)
            fail(kInvalid, "off_peak",
                 "off_peak true is not available on " + what + "; allowed: false");
          else if (q3 && !audio)
            fail(kInvalid, "off_peak", "off_peak true on " + what + " requires audio true");
          else if (!q3 && audio)
            fail(kInvalid, "off_peak",
                 "off_peak true cannot be combined with audio true on " + what);
        }
      } else if (bad.count("off_peak") == 0U) {
        body["off_peak"] = false;
      }
    }

    // §3: style only matters before q2; §2.4 / Q9: movement_amplitude is
    // ignored by q2/q3 but still accepted and defaulted to "auto".
    if (accepts(spec, "style") && !body.contains("style")) body["style"] = "general";
    if (accepts(spec, "movement_amplitude") && !body.contains("movement_amplitude"))
      body["movement_amplitude"] = "auto";
    if (spec.fill_watermark && !body.contains("watermark")) body["watermark"] = false;
    return audio;
  }

  Validation run() {
    Validation out;
    if (!body.is_object()) {
      out.errors.push_back({kBadRequest, 400, "",
                            std::string("the request body for ") + spec.path +
                                " must be a JSON object, got " + show(body)});
      return out;
    }
    // §1.2: the whole HTTP body must not exceed 20 MB (Base64 media count).
    if (auto size = body.dump(-1, ' ', false, json::error_handler_t::replace).size();
        size > kBodyMax)
      fail(kBadRequest, "body",
           "the request body is " + std::to_string(size / 1'000'000) +
               " MB; the limit is 20 MB (send large media as URLs)");
    check_types();
    check_model();
    check_common();
    check_prompt();
    check_inputs();
    int duration = 0, segments = 0;
    std::string resolution, aspect;
    bool audio = false;
    if (row != nullptr) {
      if (endpoint == Endpoint::multiframe) {
        segments = body.contains("image_settings") && body["image_settings"].is_array()
                       ? static_cast<int>(body["image_settings"].size())
                       : 0;
        duration = 0;
        for (const auto& item : body.value("image_settings", json::array()))
          if (item.is_object() && item.contains("duration") && item["duration"].is_number_integer())
            duration += item["duration"].get<int>();
      } else {
        duration = check_duration();
      }
      resolution = check_resolution(duration);
      aspect = check_aspect();
      audio = check_family(duration, get("subjects") != nullptr);
    }
    out.errors = std::move(errors);
    out.warnings = std::move(warnings);
    if (!out.errors.empty() || row == nullptr) return out;

    Resolved r;
    r.endpoint = endpoint;
    r.model = row->model;
    r.duration = duration;
    r.resolution = resolution;
    r.aspect_ratio = aspect;
    if (auto size = output_size(resolution, aspect)) std::tie(r.width, r.height) = *size;
    r.body = &body;
    r.off_peak = flag("off_peak");
    r.is_rec = flag("is_rec");
    r.audio = audio;
    r.segments = segments;
    r.dialect = dialect;
    r.credits = price(r);
    out.resolved = r;
    return out;
  }
};

}  // namespace

// ---------------------------------------------------------------- public

const char* endpoint_path(Endpoint e) {
  return spec_of(e).path;
}

std::optional<Endpoint> endpoint_from_path(const std::string& path) {
  for (const auto& s : kEndpoints)
    if (path == s.path) return s.endpoint;
  return std::nullopt;
}

const char* dialect_name(Dialect d) {
  return d == Dialect::vidu ? "vidu" : "vtrix";
}

std::vector<std::string> models_for(Endpoint endpoint, Dialect dialect) {
  std::vector<std::string> out;
  for (const auto& r : table::model_rows())
    if (r.endpoint == endpoint && (dialect == Dialect::vidu ? r.official : r.vtrix_id[0] != '\0'))
      out.emplace_back(r.model);
  return out;
}

std::optional<ModelCaps> model_caps(Endpoint endpoint, const std::string& model, Dialect dialect) {
  for (const auto& r : table::model_rows()) {
    if (r.endpoint != endpoint || model != r.model) continue;
    if (!(dialect == Dialect::vidu ? r.official : r.vtrix_id[0] != '\0')) return std::nullopt;
    ModelCaps c;
    c.endpoint = endpoint;
    c.model = r.model;
    c.official = r.official;
    c.vtrix_id = r.vtrix_id;
    c.default_duration = r.duration.def;
    if (!r.duration.only.empty())
      c.durations = r.duration.only;
    else
      for (int d = r.duration.min; d <= r.duration.max; ++d) c.durations.push_back(d);
    for (const auto& t : r.resolution)
      c.resolution_tiers.push_back({std::max(t.dur_min, r.duration.min),
                                    std::min(t.dur_max, r.duration.max), t.def, t.allowed});
    if (accepts(spec_of(endpoint), "aspect_ratio") && r.aspect != Aspect::none) {
      Names list = r.aspect == Aspect::basic ? Names(kBasicRatios) : Names(kWideRatios);
      c.aspect_ratios.assign(list.begin(), list.end());
      c.any_aspect_ratio = r.aspect == Aspect::any;
    }
    c.prompt_max = r.prompt_max;
    c.prompt_required = r.prompt_required;
    c.min_images = r.images.min;
    c.max_images = r.images.max;
    c.max_videos = r.videos.max;
    c.plain_reference = endpoint == Endpoint::reference2video && r.plain;
    c.subjects = endpoint == Endpoint::reference2video && r.subjects;
    return c;
  }
  return std::nullopt;
}

Validation validate(Endpoint endpoint, json& body) {
  return validate(endpoint, body, Dialect::vidu);
}

Validation validate(Endpoint endpoint, json& body, Dialect dialect) {
  Checker c(endpoint, body, dialect);
  return c.run();
}

int price(const Resolved& request) {
  // §18 Q7: how a q2-pro reference "0 = auto" length is charged is unknown;
  // estimate it as the 5 s default.
  int d = request.duration;
  if (d == 0 && request.endpoint == Endpoint::reference2video) d = 5;
  const table::PriceRule* found = nullptr;
  auto find = [&](const std::string& res, bool off_peak) {
    for (const auto& p : table::price_rules())
      if ((p.endpoints & table::bit(request.endpoint)) != 0U && request.model == p.model &&
          (res.empty() || res == p.resolution) && p.off_peak == off_peak)
        return &p;
    return static_cast<const table::PriceRule*>(nullptr);
  };
  // Exact tier, then without the off-peak discount (documented for q3-pro
  // only), then the 720p rule for tiers no source prices, then any tier.
  for (const auto& [res, op] : {std::pair<std::string, bool>{request.resolution, request.off_peak},
                                {request.resolution, false},
                                {"720p", false},
                                {"", false}}) {
    if ((found = find(res, op)) != nullptr) break;
  }
  if (found == nullptr) return 0;
  int credits = 0;
  if (found->flat > 0) {
    credits = found->flat;
  } else if (found->per_segment > 0) {
    credits = request.segments * found->per_segment + found->per_s * d;
  } else if (d <= 1) {
    credits = found->first;
  } else {
    credits = found->at2 > 0 ? found->at2 + found->per_s * (d - 2)
                             : found->first + found->per_s * (d - 1);
  }
  // §14: q2 reference "+0.075 if audio" (15 credits); is_rec +10 credits.
  if (request.endpoint == Endpoint::reference2video && request.audio &&
      (request.model == "viduq2" || request.model == "viduq2-pro"))
    credits += 15;
  if (request.is_rec) credits += 10;
  return credits;
}

std::optional<std::pair<int, int>> output_size(const std::string& resolution,
                                               const std::string& aspect_ratio) {
  for (const auto& s : table::size_rows())
    if (resolution == s.resolution && aspect_ratio == s.aspect_ratio)
      return std::pair{s.width, s.height};
  return std::nullopt;
}

std::optional<std::string> vtrix_error_code(Endpoint endpoint, const FieldError& error) {
  for (const auto& row : table::vtrix_error_rows()) {
    if (row.endpoint != endpoint) continue;
    std::string_view field = error.field, want = row.field;
    bool field_ok =
        field == want || (field.size() > want.size() && field.substr(0, want.size()) == want &&
                          field[want.size()] == '[');
    if (field_ok && (row.reason[0] == '\0' || error.reason == row.reason))
      return std::string(row.code);
  }
  return std::nullopt;
}

std::optional<std::string> vtrix_model(Endpoint endpoint, const std::string& model) {
  for (const auto& r : table::model_rows())
    if (r.endpoint == endpoint && model == r.model && r.vtrix_id[0] != '\0')
      return std::string(r.vtrix_id);
  return std::nullopt;
}

std::optional<OfficialModel> official_from_vtrix(const std::string& vtrix_id) {
  std::string id = vtrix_id;
  for (const auto& a : table::vtrix_aliases())
    if (id == a.alias) id = a.canonical;
  for (const auto& r : table::model_rows())
    if (r.vtrix_id[0] != '\0' && id == r.vtrix_id) return OfficialModel{r.endpoint, r.model};
  return std::nullopt;
}

}  // namespace reel::vidu
