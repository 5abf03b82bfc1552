// Script options -> official-dialect request body. Section numbers (§) refer
// to ../shared/reference/vidu-api.md; the option names are DESIGN.md's.
#include "host/vidu/request.hpp"

#include "host/vidu/checker.hpp"
#include "host/vidu/fields.hpp"
#include "host/vidu/media.hpp"
#include "host/vidu/wording.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

namespace reel::vidu {

namespace {

using detail::join;
using detail::show;
using nlohmann::json;

struct KindName {
  const char* kind;
  Endpoint endpoint;
};
constexpr KindName kKinds[] = {
    {"text2video", Endpoint::text2video},
    {"img2video", Endpoint::img2video},
    {"start_end", Endpoint::start_end2video},
    {"reference", Endpoint::reference2video},
    {"extend", Endpoint::extend},
    {"multiframe", Endpoint::multiframe},
};

// The Lua-side names of each endpoint's media options (DESIGN.md); every
// other option is an API field under its own name.
std::vector<std::string_view> lua_names(Endpoint e) {
  switch (e) {
    case Endpoint::img2video:
      return {"image"};
    case Endpoint::start_end2video:
      return {"first", "last"};
    case Endpoint::extend:
      return {"video", "last"};
    case Endpoint::multiframe:
      return {"start", "frames"};
    default:
      return {};
  }
}

// Which API field each Lua name fills, to refuse setting it twice.
std::string api_field_of(Endpoint e, std::string_view option) {
  if (option == "image" || option == "first" || option == "last") return "images";
  if (option == "start") return "start_image";
  if (option == "frames") return "image_settings";
  if (option == "video") return e == Endpoint::extend ? "video_url" : "videos";
  return std::string(option);
}

// Placeholders until apply_inputs() knows the file: valid in form so the
// table reports nothing about them by itself.
constexpr const char* kPlaceholderImage = "data:image/png;base64,AAAA";
constexpr const char* kPlaceholderVideo = "data:video/mp4;base64,AAAA";

bool is_remote(const std::string& s) {
  return detail::is_http_url(s) || s.rfind("data:", 0) == 0;
}

// Builds one Request; one member per kind of option.
class Builder {
 public:
  explicit Builder(Request& r) : r_(r), spec_(detail::spec_of(r.endpoint)) {}

  void run(const json& options) {
    for (auto it = options.begin(); it != options.end(); ++it) option(it.key(), it.value());
    if (r_.endpoint == Endpoint::start_end2video) start_end_frames();
  }

 private:
  void fail(const char* reason, const std::string& field, const std::string& message) {
    r_.errors.push_back({reason, 400, field, message});
  }

  void option(const std::string& name, const json& v) {
    if (name == "name") {
      shot_name(v);
      return;
    }
    if (name == "fresh" || name == "retry_failed") {
      replay_rule(name, v);
      return;
    }
    if (name == "out") {
      out_folder(v);
      return;
    }
    const auto names = lua_names(r_.endpoint);
    const bool lua_name = detail::contains(names, name);
    if (!lua_name && detail::field_of(spec_, name) == nullptr) {
      fail(detail::kUnwanted, name,
           "option \"" + name + "\" (" + show(v) + ") is not accepted by vidu." +
               kind_name(r_.endpoint) + "; accepted: " + accepted());
      return;
    }
    // `image = X` and `images = {X}` both fill images: only one may be given.
    const std::string field = api_field_of(r_.endpoint, name);
    if (!filled_.insert(field).second) {
      fail(detail::kInvalid, name,
           "option \"" + name + "\" sets " + field +
               ", which another option already sets; give only one of them");
      return;
    }
    if (name == "image") {
      r_.body["images"] = json::array();
      image(v, "/images/0", "image", "image");
    } else if (name == "first" || name == "last") {
      frames_[name] = v;  // placed together in start_end_frames()
      filled_.erase(field);
      if (r_.endpoint == Endpoint::extend) {  // extend's target end frame (§7)
        r_.body["images"] = json::array();
        image(v, "/images/0", "last", "image");
        filled_.insert(field);
      }
    } else if (name == "images") {
      list(v, name, false);
    } else if (name == "videos") {
      list(v, name, true);
    } else if (name == "video" || name == "video_url") {
      extend_video(v, name);
    } else if (name == "start" || name == "start_image") {
      image(v, "/start_image", name, "image");
    } else if (name == "frames" || name == "image_settings") {
      key_frames(v, name);
    } else if (name == "subjects") {
      subjects(v);
    } else {
      r_.body[name] = v;  // every other documented field, as is
    }
  }

  // name = "open": reel's label, 1-64 characters, never sent to the API.
  void shot_name(const json& v) {
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 64) {
      fail(detail::kInvalid, "name",
           "name " + show(v) + " must be a string of 1 to 64 characters (the shot's label)");
      return;
    }
    r_.name = v.get<std::string>();
  }

  // fresh = true, retry_failed = true: how the journal replays the call.
  void replay_rule(const std::string& name, const json& v) {
    if (!v.is_boolean()) {
      fail(detail::kInvalid, name, name + " " + show(v) + " must be true or false");
      return;
    }
    (name == "fresh" ? r_.fresh : r_.retry_failed) = v.get<bool>();
  }

  // out = "folder": the clip is downloaded there instead of --out.
  void out_folder(const json& v) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      fail(detail::kInvalid, "out",
           "out " + show(v) + " must be a folder name (a non-empty string)");
      return;
    }
    r_.out = v.get<std::string>();
  }

  std::string accepted() const { return join(option_names(r_.endpoint)); }

  // An IMAGE or VIDEO: a URL or data URI as is; a file path, or the `path`
  // of a Frame/Clip, as a local input. Returns false when it is neither.
  bool media(const json& v, const std::string& pointer, const std::string& option, const char* use,
             bool video) {
    std::string text;
    if (v.is_string()) {
      text = v.get<std::string>();
    } else if (v.is_object() && v.contains("path") && v["path"].is_string()) {
      text = v["path"].get<std::string>();
    } else if (v.is_object() && v.contains("url") && v["url"].is_string()) {
      text = v["url"].get<std::string>();
    }
    const std::string field = field_of_pointer(pointer);
    const json::json_pointer at(pointer);
    if (text.empty()) {
      r_.body[at] = video ? kPlaceholderVideo : kPlaceholderImage;  // reported here, not twice
      fail(detail::kInvalid, field,
           option + " " + show(v) + " must be " +
               (video ? "a video file path, an http(s) URL or a Clip"
                      : "an image file path, an http(s) URL or a Frame"));
      return false;
    }
    if (is_remote(text)) {
      r_.body[at] = text;
    } else {
      r_.body[at] = video ? kPlaceholderVideo : kPlaceholderImage;
      r_.inputs.push_back({text, pointer, field, option, use, video});
    }
    return true;
  }

  void image(const json& v, const std::string& pointer, const std::string& option,
             const char* use) {
    media(v, pointer, option, use, false);
  }

  // images = {IMAGE, ...} / videos = {VIDEO, ...}. Reference inputs follow
  // §6A's rules (≥128×128, ...), the others §1.2's.
  void list(const json& v, const std::string& name, bool video) {
    if (!v.is_array()) {
      fail(detail::kInvalid, name,
           name + " " + show(v) + " must be a list of " + (video ? "videos" : "images"));
      return;
    }
    const bool reference = r_.endpoint == Endpoint::reference2video;
    const char* use = reference ? "reference" : "image";
    r_.body[name] = json::array();
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string at = "/" + name + "/" + std::to_string(i);
      media(v[i], at, field_of_pointer(at), use, video);
    }
  }

  // start_end: first and last are the two images, in that order (§5).
  void start_end_frames() {
    if (frames_.empty()) return;  // images (or nothing) was given: the table reports
    if (filled_.count("images") != 0U) {
      fail(detail::kInvalid, "first",
           "first/last and images both set images; give either first and last or images");
      return;
    }
    for (const char* name : {"first", "last"}) {
      if (frames_.count(name) == 0U)
        fail(detail::kLacking, name,
             std::string(name) + " is required for vidu.start_end (first and last images)");
    }
    r_.body["images"] = json::array();
    if (auto f = frames_.find("first"); f != frames_.end())
      image(f->second, "/images/0", "first", "image");
    if (auto l = frames_.find("last"); l != frames_.end()) {
      const bool both = frames_.count("first") != 0U;
      image(l->second, both ? "/images/1" : "/images/0", "last", "image");
    }
  }

  // extend's source: a Clip from this API goes as video_creation_id (§7),
  // anything else as video_url.
  void extend_video(const json& v, const std::string& name) {
    if (v.is_object() && v.contains("creation_id") && v["creation_id"].is_string() &&
        !v["creation_id"].get<std::string>().empty()) {
      r_.body["video_creation_id"] = v["creation_id"];
      clip_length(v, name);
      return;
    }
    media(v, "/video_url", name, "extend", true);
  }

  // §7's 4-60 s rule for a source the server already has: the Clip knows
  // its length, so a too short one is refused here rather than paid for.
  void clip_length(const json& clip, const std::string& name) {
    auto d = clip.find("duration");
    if (d == clip.end() || !d->is_number()) return;
    const double seconds = std::round(d->get<double>() * 1000) / 1000;
    if (seconds >= 4 && seconds <= 60) return;
    char text[32];
    std::snprintf(text, sizeof text, "%.3g s", seconds);
    fail(detail::kInvalid, name,
         name + " (the Clip of creation " + clip["creation_id"].get<std::string>() + ") is " +
             text + " long; extend needs 4–60 s: extend a longer clip");
  }

  // frames = { {image=, prompt=, duration=}, ... } -> image_settings (§8);
  // `key_image` is accepted for `image`, other keys are left for the table.
  void key_frames(const json& v, const std::string& name) {
    if (!v.is_array()) {
      fail(detail::kInvalid, name,
           name + " " + show(v) + " must be a list of {image=, prompt=, duration=} tables");
      return;
    }
    r_.body["image_settings"] = json::array();
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string at = "/image_settings/" + std::to_string(i);
      const std::string label = name + "[" + std::to_string(i + 1) + "]";
      json item = v[i];
      if (!item.is_object()) {
        fail(detail::kInvalid, field_of_pointer(at),
             label + " " + show(item) + " must be a table {image=, prompt=, duration=}");
        r_.body[json::json_pointer(at)] = json::object();
        continue;
      }
      json image_value;
      if (item.contains("image")) {
        image_value = item["image"];
        item.erase("image");
      } else if (item.contains("key_image")) {
        image_value = item["key_image"];
      }
      r_.body[json::json_pointer(at)] = item;
      if (!image_value.is_null()) image(image_value, at + "/key_image", label + ".image", "image");
    }
  }

  // subjects = { {id=, images={IMAGE, ...}, videos={VIDEO, ...}}, ... } (§6B):
  // a subject's local files are inputs like any other; the rest is the
  // table's to check.
  void subjects(const json& v) {
    r_.body["subjects"] = v;
    if (!v.is_array()) return;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_object()) continue;
      for (const bool video : {false, true}) {
        const char* key = video ? "videos" : "images";
        auto list = v[i].find(key);
        if (list == v[i].end() || !list->is_array()) continue;
        for (std::size_t j = 0; j < list->size(); ++j) {
          const std::string at =
              "/subjects/" + std::to_string(i) + "/" + key + "/" + std::to_string(j);
          media((*list)[j], at, field_of_pointer(at), "reference", video);
        }
      }
    }
  }

  // "/image_settings/1/key_image" -> "image_settings[1].key_image", as the
  // table names fields.
  static std::string field_of_pointer(const std::string& pointer) {
    std::string out;
    std::size_t i = 1;
    while (i <= pointer.size()) {
      std::size_t next = pointer.find('/', i);
      if (next == std::string::npos) next = pointer.size();
      std::string part = pointer.substr(i, next - i);
      const bool index =
          !part.empty() && std::all_of(part.begin(), part.end(),
                                       [](unsigned char c) { return std::isdigit(c) != 0; });
      out += index ? "[" + part + "]" : (out.empty() ? part : "." + part);
      i = next + 1;
    }
    return out;
  }

  Request& r_;
  const detail::EndpointSpec& spec_;
  std::set<std::string> filled_;        // API fields set so far
  std::map<std::string, json> frames_;  // start_end's first/last
};

// "first \"a.png\" (images[0])": the option, the file and the API field.
// Just `images[0] "a.png"` when the script used the API name.
std::string label(const LocalInput& in) {
  std::string text = in.option + " \"" + in.path + "\"";
  if (in.option != in.field) text += " (" + in.field + ")";
  return text;
}

// §13: images that are no image at all are ImageFormatInvalid; size, ratio
// and pixel rules are PageSizeOutOfRange ("image size/format/ratio
// problem"); videos have no dedicated code, so FieldInvalid.
const char* reason_for(const LocalInput& in, const InputFacts& f) {
  if (in.video) return detail::kInvalid;
  if (!f.unreadable.empty() || f.kind != "image") return detail::kImageFormat;
  return "PageSizeOutOfRange";
}

}  // namespace

std::optional<Endpoint> endpoint_from_kind(const std::string& kind) {
  for (const auto& k : kKinds)
    if (kind == k.kind) return k.endpoint;
  return std::nullopt;
}

const char* kind_name(Endpoint endpoint) {
  for (const auto& k : kKinds)
    if (endpoint == k.endpoint) return k.kind;
  return "?";
}

std::vector<std::string> option_names(Endpoint endpoint) {
  std::set<std::string> names{"name", "fresh", "retry_failed", "out"};
  for (auto n : lua_names(endpoint)) names.emplace(n);
  for (const auto& f : detail::common_fields()) names.emplace(f.name);
  for (const auto& f : detail::spec_of(endpoint).fields) names.emplace(f.name);
  return {names.begin(), names.end()};
}

Request build_request(Endpoint endpoint, const json& options) {
  Request r;
  r.endpoint = endpoint;
  if (!options.is_object()) {
    r.errors.push_back({detail::kBadRequest, 400, "",
                        std::string("the options of vidu.") + kind_name(endpoint) +
                            " must be a table of named fields, got " + show(options)});
    return r;
  }
  Builder(r).run(options);
  return r;
}

void apply_inputs(Request& request, const std::vector<InputFacts>& facts,
                  const std::vector<std::string>& pair_problems) {
  for (std::size_t i = 0; i < request.inputs.size() && i < facts.size(); ++i) {
    const LocalInput& in = request.inputs[i];
    const InputFacts& f = facts[i];
    if (!f.unreadable.empty()) {
      request.errors.push_back(
          {reason_for(in, f), 400, in.field, label(in) + " cannot be used: " + f.unreadable});
    }
    for (const auto& p : f.problems)
      request.errors.push_back({reason_for(in, f), 400, in.field, label(in) + " is " + p});
    // A placeholder as long as the file's Base64, so the table's size rules
    // apply; a file with problems gets an allowed MIME so that its problems
    // are not reported twice.
    const bool fine = f.unreadable.empty() && f.problems.empty() && !f.mime.empty();
    const std::string mime = fine ? f.mime : (in.video ? "video/mp4" : "image/png");
    const auto size = static_cast<std::uint64_t>(std::max<std::int64_t>(f.size, 1));
    request.body[json::json_pointer(in.pointer)] =
        "data:" + mime + ";base64," + std::string(base64_size(size), 'A');
  }
  if (!pair_problems.empty()) {
    std::vector<std::string> files;
    for (const auto& in : request.inputs) files.push_back(label(in));
    for (const auto& p : pair_problems)
      request.errors.push_back(
          {detail::kInvalid, 400, "images", join(files) + " do not match as a pair: " + p});
  }
}

Checked finish(Request& request, Dialect dialect) {
  Checked out;
  out.errors = request.errors;
  Validation v = validate(request.endpoint, request.body, dialect);
  out.errors.insert(out.errors.end(), v.errors.begin(), v.errors.end());
  out.warnings = std::move(v.warnings);
  if (out.errors.empty() && v.resolved) {
    out.credits = price(*v.resolved);
    out.duration = v.resolved->duration;
  }
  return out;
}

std::string inline_data_url(const std::string& path, const std::string& mime) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(path + ": cannot be opened for reading");
  const std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw std::runtime_error(path + ": read failed");
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "data:" + mime + ";base64,";
  out.reserve(out.size() + base64_size(data.size()));
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(data[i]) << 16) |
                   (static_cast<unsigned char>(data[i + 1]) << 8) |
                   static_cast<unsigned char>(data[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (const std::size_t rest = data.size() - i; rest > 0) {
    auto n = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace reel::vidu
