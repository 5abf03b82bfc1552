// Request validation, continued: the media inputs each endpoint takes
// (images, start/end frames, reference images/videos/sounds/subjects, the
// extended video, multiframe key frames) and the form and size of each media
// string. Section numbers (§) and open questions (Q) refer to
// ../shared/reference/vidu-api.md.
#include "host/vidu/checker.hpp"

#include "host/vidu/fields.hpp"
#include "host/vidu/media.hpp"
#include "host/vidu/models.hpp"
#include "host/vidu/wording.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string_view>

namespace reel::vidu::detail {

using nlohmann::json;

// One media string; `field` is its path for messages ("images[1]").
void Checker::media(const json& v, const std::string& field, Media kind) {
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

void Checker::media_array(const json& arr, const std::string& field, Media kind, table::Count count,
                          const std::string& rule) {
  auto n = static_cast<int>(arr.size());
  if (n < count.min || n > count.max)
    fail(kCount, field,
         field + " has " + std::to_string(n) + " item" + (n == 1 ? "" : "s") + "; " + rule +
             " takes " + range_text(count.min, count.max));
  for (std::size_t i = 0; i < arr.size(); ++i)
    media(arr[i], field + "[" + std::to_string(i) + "]", kind);
}

void Checker::check_inputs() {
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

void Checker::check_reference() {
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
void Checker::check_subjects(const json& subjects) {
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
      else if ((it.key() == "images" || it.key() == "videos") ? !it->is_array() : !it->is_string())
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
void Checker::check_extend() {
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
int Checker::check_multiframe() {
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

}  // namespace reel::vidu::detail
