// Request validation: the checker's core (types, model, shared fields,
// prompt, duration, resolution, aspect ratio, family rules, the final
// Resolved) and the two public validate() overloads. The media inputs per
// endpoint are in validate_inputs.cpp. Section numbers (§) and open
// questions (Q) refer to ../shared/reference/vidu-api.md.
#include "host/vidu/capabilities.hpp"

#include "host/vidu/checker.hpp"
#include "host/vidu/fields.hpp"
#include "host/vidu/media.hpp"
#include "host/vidu/models.hpp"
#include "host/vidu/wording.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <tuple>

namespace reel::vidu {

namespace detail {

using nlohmann::json;
using table::Aspect;
using table::Gen;

// ------------------------------------------------------------- the checker

void Checker::fail(const char* reason, const std::string& field, const std::string& message) {
  errors.push_back({reason, 400, field, message});
  bad.insert(field);
}

void Checker::warn(const std::string& field, const std::string& message) {
  warnings.push_back({kWarning, 200, field, message});
}

// The field's value when present with the right type, else null.
const json* Checker::get(const char* name) const {
  if (bad.count(name) != 0U) return nullptr;
  auto it = body.find(name);
  return it == body.end() ? nullptr : &*it;
}

bool Checker::flag(const char* name) const {
  const json* v = get(name);
  return v != nullptr && v->get<bool>();
}

void Checker::check_types() {
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

std::string Checker::accepted_fields() const {
  std::vector<std::string_view> names;
  for (const auto& f : common_fields()) names.emplace_back(f.name);
  for (const auto& f : spec.fields) names.emplace_back(f.name);
  return join(names);
}

std::vector<std::string> Checker::models() const {
  return models_for(endpoint, dialect);
}

void Checker::check_model() {
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
  fail(kBadModel, "model",
       "model " + show(*it) + " is not offered for " + spec.path + "; allowed: " + join(models()));
}

// --- model-independent checks (§1.3)

void Checker::check_common() {
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

void Checker::enum_field(const char* name, Names allowed, const char* def) {
  if (const json* v = get(name); v != nullptr && !contains(allowed, v->get<std::string>()))
    fail(kInvalid, name,
         std::string(name) + " " + show(*v) + " is not allowed for " + spec.path +
             "; allowed: " + join(allowed) + " (default " + def + ")");
}

// --- prompt (§18 Q2)

void Checker::check_prompt() {
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

// --- duration, resolution, aspect ratio (§2.2, §2.3, §2.4)

int Checker::check_duration() {
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

std::string Checker::check_resolution(int duration) {
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

bool Checker::any_ratio(const std::string& r) {
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

std::string Checker::check_aspect() {
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

bool Checker::check_family(int duration, bool subject_call) {
  const bool q3 = row->gen == Gen::q3;
  const bool q3mix = std::string_view(row->model) == "viduq3-mix";

  // bgm: default false; not available on q3; no effect when q2 runs 9-10 s.
  if (accepts(spec, "bgm")) {
    if (const json* v = get("bgm")) {
      if (v->get<bool>() && q3)
        fail(kInvalid, "bgm",
             "bgm true is not available on " + what + "; allowed: false (q3 models have no BGM)");
      else if (v->get<bool>() && row->gen == Gen::q2 && duration >= 9)
        warn("bgm", "bgm has no effect when " + what + " runs " + std::to_string(duration) + " s");
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
  if (audio && accepts(spec, "audio_type") && !body.contains("audio_type") && mode == Audio::voice)
    body["audio_type"] = "all";

  // off_peak (§2.4, Q24): default false. Vtrix: temporarily unavailable.
  // q3 needs audio=true; q3-mix has none; other models not with audio.
  if (accepts(spec, "off_peak")) {
    if (const json* v = get("off_peak")) {
      if (v->get<bool>()) {
        if (dialect == Dialect::vtrix)
          fail(kInvalid, "off_peak",
               "off_peak true is temporarily unavailable under the vtrix dialect; allowed: false");
        else if (q3mix)
          fail(kInvalid, "off_peak",
               "off_peak true is not available on " + what + "; allowed: false");
        else if (q3 && !audio)
          fail(kInvalid, "off_peak", "off_peak true on " + what + " requires audio true");
        else if (!q3 && audio)
          fail(kInvalid, "off_peak", "off_peak true cannot be combined with audio true on " + what);
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

Validation Checker::run() {
  Validation out;
  if (!body.is_object()) {
    out.errors.push_back({kBadRequest, 400, "",
                          std::string("the request body for ") + spec.path +
                              " must be a JSON object, got " + show(body)});
    return out;
  }
  // §1.2: the whole HTTP body must not exceed 20 MB (Base64 media count).
  if (auto size = body.dump(-1, ' ', false, json::error_handler_t::replace).size(); size > kBodyMax)
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

}  // namespace detail

// ---------------------------------------------------------------- public

Validation validate(Endpoint endpoint, nlohmann::json& body) {
  return validate(endpoint, body, Dialect::vidu);
}

Validation validate(Endpoint endpoint, nlohmann::json& body, Dialect dialect) {
  detail::Checker c(endpoint, body, dialect);
  return c.run();
}

}  // namespace reel::vidu
