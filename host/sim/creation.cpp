// See creation.hpp. Media inputs are resolved before any charge, so a refused
// request costs nothing.
#include "host/sim/creation.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

namespace reel::sim {

namespace {

using nlohmann::json;
using vidu::Endpoint;

std::string string_at(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

// Inline media are megabytes of Base64 whose bytes are already decoded into
// inputs/. The echo is kept for every task and shown in every list row: a
// thousand image tasks would otherwise hold (and page out) hundreds of MB.
json elide_data_uris(const json& value) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.size() > 256 && s.compare(0, 5, "data:") == 0) {
      const size_t comma = s.find(',');
      return s.substr(0, comma == std::string::npos ? 64 : comma + 1) + "(" +
             std::to_string(s.size()) + " characters, not kept)";
    }
    return value;
  }
  if (value.is_array() || value.is_object()) {
    json out = value;
    for (auto& item : out) item = elide_data_uris(item);
    return out;
  }
  return value;
}

namespace {

ApiError from_field_errors(const std::vector<vidu::FieldError>& errors) {
  const vidu::FieldError& first = errors.front();
  ApiError error{first.http_status, first.reason, first.message, first.field, 0};
  if (errors.size() > 1) {
    error.message += " (also:";
    for (size_t i = 1; i < errors.size(); ++i)
      error.message += (i > 1 ? "; " : " ") + errors[i].message;
    error.message += ")";
  }
  return error;
}

// Output size that follows an input's shape at a resolution tier: the short
// side is the tier ("720p" -> 720), both sides even for H.264.
std::pair<int, int> size_from_shape(const std::string& resolution, int width, int height) {
  int tier = std::atoi(resolution.c_str());
  if (tier <= 0) tier = 720;
  if (width <= 0 || height <= 0) return {tier * 16 / 9 / 2 * 2, tier};
  auto even = [](double v) { return std::max(2, static_cast<int>(std::lround(v / 2)) * 2); };
  if (width >= height) return {even(tier * static_cast<double>(width) / height), tier};
  return {tier, even(tier * static_cast<double>(height) / width)};
}

// Media inputs of one request, resolved and checked; temporaries are
// removed again if the request fails later.
struct MediaSet {
  std::vector<Input> inputs;
  ~MediaSet() {
    if (!keep)
      for (const auto& input : inputs)
        if (input.temporary) std::filesystem::remove(input.path);
  }
  bool keep = false;
};

std::optional<ApiError> add(MediaSet& set, const Inputs& inputs, const json& value,
                            const std::string& field, std::optional<media::Use> use) {
  if (!value.is_string())
    return ApiError{400, "FieldInvalid", field + ": expected a string", field, 0};
  auto resolved = inputs.resolve(value.get<std::string>(), field, use);
  if (auto* error = std::get_if<ApiError>(&resolved)) return *error;
  set.inputs.push_back(std::get<Input>(std::move(resolved)));
  return std::nullopt;
}

std::optional<ApiError> add_list(MediaSet& set, const Inputs& inputs, const json& body,
                                 const char* key, const std::string& prefix, media::Use use) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) return std::nullopt;
  for (size_t i = 0; i < it->size(); ++i)
    if (auto error = add(set, inputs, (*it)[i], prefix + key + "[" + std::to_string(i) + "]", use))
      return error;
  return std::nullopt;
}

// Resolves the endpoint's media fields into `set` and fills the spec's
// inputs. Returns the first problem.
std::optional<ApiError> resolve_media(Endpoint endpoint, const json& body, CreateContext& context,
                                      MediaSet& set, RenderSpec& spec) {
  const Inputs& inputs = context.inputs;
  switch (endpoint) {
    case Endpoint::text2video:
      return std::nullopt;
    case Endpoint::img2video:
      if (auto e = add_list(set, inputs, body, "images", "", media::Use::image)) return e;
      break;
    case Endpoint::start_end2video: {
      if (auto e = add_list(set, inputs, body, "images", "", media::Use::start_end)) return e;
      if (set.inputs.size() == 2) {
        auto problems = media::check_start_end(set.inputs[0].info, set.inputs[1].info);
        if (!problems.empty())
          return ApiError{400, "PageSizeOutOfRange", "images: " + problems.front(), "images", 0};
      }
      break;
    }
    case Endpoint::reference2video: {
      if (auto e = add_list(set, inputs, body, "images", "", media::Use::reference)) return e;
      auto subjects = body.find("subjects");
      if (subjects != body.end() && subjects->is_array())
        for (size_t i = 0; i < subjects->size(); ++i)
          if (auto e = add_list(set, inputs, (*subjects)[i], "images",
                                "subjects[" + std::to_string(i) + "].", media::Use::reference))
            return e;
      break;
    }
    case Endpoint::extend: {
      std::string creation_id = string_at(body, "video_creation_id");
      if (!creation_id.empty()) {
        auto creation = context.engine.find_creation(creation_id);
        if (!creation)
          return ApiError{404, "CreationNotFound",
                          "video_creation_id: no successful creation " + creation_id,
                          "video_creation_id", 0};
        spec.source_video = creation->video_path;
        try {
          auto problems = media::check(media::probe(spec.source_video), media::Use::extend);
          if (!problems.empty())
            return ApiError{400, "FieldInvalid", "video_creation_id: " + problems.front(),
                            "video_creation_id", 0};
        } catch (const media::MediaError& e) {
          return ApiError{400, "FieldInvalid", "video_creation_id: " + e.reason(),
                          "video_creation_id", 0};
        }
      } else if (body.contains("video_url")) {
        if (auto e = add(set, inputs, body["video_url"], "video_url", media::Use::extend)) return e;
        spec.source_video = set.inputs.back().path;
      }
      size_t before = set.inputs.size();
      if (auto e = add_list(set, inputs, body, "images", "", media::Use::image)) return e;
      for (size_t i = before; i < set.inputs.size(); ++i) spec.images.push_back(set.inputs[i].path);
      return std::nullopt;
    }
    case Endpoint::multiframe: {
      if (auto e =
              add(set, inputs, body.value("start_image", json()), "start_image", media::Use::image))
        return e;
      const json settings = body.value("image_settings", json::array());
      for (size_t i = 0; i < settings.size(); ++i) {
        std::string field = "image_settings[" + std::to_string(i) + "].key_image";
        if (auto e =
                add(set, inputs, settings[i].value("key_image", json()), field, media::Use::image))
          return e;
        spec.segment_durations.push_back(settings[i].value("duration", 5.0));
      }
      break;
    }
  }
  for (const auto& input : set.inputs) spec.images.push_back(input.path);
  return std::nullopt;
}

RenderSpec::Kind kind_for(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::text2video:
      return RenderSpec::Kind::text;
    case Endpoint::img2video:
      return RenderSpec::Kind::image;
    case Endpoint::start_end2video:
      return RenderSpec::Kind::start_end;
    case Endpoint::reference2video:
      return RenderSpec::Kind::reference;
    case Endpoint::extend:
      return RenderSpec::Kind::extend;
    case Endpoint::multiframe:
      return RenderSpec::Kind::multiframe;
  }
  return RenderSpec::Kind::text;
}

// Pixel size of the output: the table's (§15) when the request decides it,
// else the shape of the first image (or of the extended video).
void size_output(const vidu::Resolved& resolved, const MediaSet& set, RenderSpec& spec) {
  if (resolved.width > 0 && resolved.height > 0 && !resolved.aspect_ratio.empty()) {
    spec.width = resolved.width;
    spec.height = resolved.height;
    return;
  }
  int w = 0, h = 0;
  for (const auto& input : set.inputs)
    if (input.info.video) {
      w = input.info.video->width;
      h = input.info.video->height;
      break;
    }
  if (w == 0 && !spec.source_video.empty()) {
    try {
      auto info = media::probe(spec.source_video);
      if (info.video) w = info.video->width, h = info.video->height;
    } catch (const media::MediaError&) {
    }
  }
  if (w == 0 && resolved.width > 0) {
    spec.width = resolved.width;
    spec.height = resolved.height;
    return;
  }
  std::tie(spec.width, spec.height) = size_from_shape(resolved.resolution, w, h);
}

}  // namespace

uint32_t seed_for(const std::string& canonical_body) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : canonical_body) hash = (hash ^ ch) * 1099511628211ull;
  return static_cast<uint32_t>(hash % 2147483646u) + 1;
}

std::variant<Task, ApiError> create_task(const CreateRequest& request, json& body,
                                         CreateContext& context) {
  vidu::Validation validation =
      vidu::validate(request.endpoint, body,
                     request.dialect == "vtrix" ? vidu::Dialect::vtrix : vidu::Dialect::vidu);
  if (!validation.errors.empty()) return from_field_errors(validation.errors);
  if (!validation.resolved)
    return ApiError{400, "BadRequest", "the request could not be resolved", "", 0};
  const vidu::Resolved& resolved = *validation.resolved;

  Task task;
  RenderSpec& spec = task.spec;
  MediaSet media_set;
  if (auto error = resolve_media(request.endpoint, body, context, media_set, spec)) return *error;

  int64_t seed =
      body.contains("seed") && body["seed"].is_number_integer() ? body["seed"].get<int64_t>() : 0;
  if (seed == 0) seed = seed_for(body.dump());
  body["seed"] = seed;

  spec.kind = kind_for(request.endpoint);
  spec.duration = resolved.duration > 0 ? resolved.duration : 5;
  spec.seed = static_cast<uint64_t>(seed);
  spec.prompt = string_at(body, "prompt");
  spec.audio = resolved.audio;  // q3's direct audio-video output
  size_output(resolved, media_set, spec);

  task.endpoint = request.endpoint;
  task.dialect = request.dialect;
  task.vtrix_model = request.vtrix_model;
  task.key = request.key;
  task.model = resolved.model;
  task.resolution = resolved.resolution;
  task.aspect_ratio = resolved.aspect_ratio;
  task.credits = vidu::price(resolved);
  task.payload = string_at(body, "payload");
  task.callback_url = string_at(body, "callback_url");
  TaskFault fault = context.faults.for_task();
  task.planned_error = fault.error;
  task.spoil = fault.empty ? Spoil::empty : fault.corrupt ? Spoil::corrupt : Spoil::none;
  for (const auto& input : media_set.inputs)
    if (input.temporary) task.temp_inputs.push_back(input.path);
  task.echo = std::make_shared<const json>(elide_data_uris(body));

  auto submitted = context.engine.submit(std::move(task));
  if (!submitted)
    return ApiError{400, "CreditInsufficient", "not enough credits for this task", "", 0};
  media_set.keep = true;
  return std::move(*submitted);
}

}  // namespace reel::sim
