// check: every documented Vidu limit on a file for what it is used for, all
// problems at once, each in words a user can act on. The simulator enforces
// the same rules, so they are the ones Vidu documents
// (../shared/reference/vidu-api.md; sections cited where each rule is used):
// no rule the docs do not state, and where a stated rule reads two ways, the
// stricter reading, so that a file that passes here passes Vidu.
//
// Not here, because they depend on the request rather than the file: the
// inline (Base64) limits, each decoded image < 10 MB and the JSON body
// ≤ 20 MB (§1.2, §18 Q3: the client enforces both and prefers URLs); how many
// images or videos a request carries (§6A); which models take videos (§6A,
// q2-pro only).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "host/media/media.hpp"

namespace reel::media {

namespace {

// "50MB" in the docs: read as decimal megabytes (not MiB), the stricter of
// the two readings.
constexpr int64_t kMegabyte = 1'000'000;
constexpr int64_t kMaxImageBytes = 50 * kMegabyte;            // §1.2, §4, §5, §6A, §7 images
constexpr int64_t kMaxReferenceVideoBytes = 100 * kMegabyte;  // §1.2, §6A videos

// §1.2: "Aspect ratio must lie between 1:4 and 4:1" for every image, and
// the same for reference videos. Width over height, bounds allowed.
constexpr double kMinAspect = 1.0 / 4.0;
constexpr double kMaxAspect = 4.0;

// §1.2, §6A: at least 128×128 for reference images and videos. §18 Q4
// suggests a client apply it to every image; we do not, because the
// simulator shares these rules and must accept what Vidu documents as valid
// (img2video, start-end and extend's end frame state no minimum).
constexpr int kMinReferenceSide = 128;

// §7: the source video of an extension is 4–60 s long (ComfyUI's 4–55 s is
// its own margin, not Vidu's rule).
constexpr double kMinExtendSeconds = 4;
constexpr double kMaxExtendSeconds = 60;

// §6A: "at most one 8 s clip or two 5 s clips". One file longer than 8 s
// never fits; the 5 s rule for a pair belongs to the request.
constexpr double kMaxReferenceVideoSeconds = 8;

// §5: start ÷ end within 0.8–1.25.
constexpr double kMinPairRatio = 0.8;
constexpr double kMaxPairRatio = 1.25;

// ---------------------------------------------------------------------------
// Words

// A number without trailing zeros: 4, 3.5, 3.52, 1.6.
std::string number(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string text = buf;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

std::string size_text(int width, int height) {
  return std::to_string(width) + "×" + std::to_string(height);
}

// `value` with two decimals, or more when two would make it read as
// `bound`: a refusal never shows "1.25×" for a limit of 1.25.
std::string number_beside(double value, double bound) {
  for (int decimals = 2; decimals < 6; ++decimals) {
    const std::string text = number(value, decimals);
    if (std::stod(text) != bound) return text;
  }
  return number(value, 6);
}

// "1:5", "4.01:1": the long side over the short one, as the docs write it.
std::string aspect_text(int width, int height) {
  if (width >= height) return number_beside(static_cast<double>(width) / height, 4) + ":1";
  return "1:" + number_beside(static_cast<double>(height) / width, 4);
}

std::string megabytes_text(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / kMegabyte);
  return buf;
}

// Durations are judged to the millisecond, the precision they are shown
// with, so a message never reads "4 s long; extend needs 4–60 s".
double milliseconds_rounded(double seconds) {
  return std::round(seconds * 1000) / 1000;
}

std::string seconds_text(double seconds) {
  return number(milliseconds_rounded(seconds), 3) + " s";
}

std::string kind_text(const MediaInfo& info) {
  if (info.kind == "image") return "it is an image";
  if (info.kind == "audio") return "it is audio only";
  return "it is a " + info.kind;
}

// "webm", "bmp", "quicktime": what a user would call the format.
std::string format_word(const MediaInfo& info) {
  const auto slash = info.mime.find('/');
  std::string word = slash != std::string::npos ? info.mime.substr(slash + 1) : info.mime;
  if (word.rfind("x-", 0) == 0) word.erase(0, 2);
  if (word.empty() || word == "octet-stream") word = info.format;
  return word;
}

bool is_accepted_image(const MediaInfo& info) {
  return info.mime == "image/png" || info.mime == "image/jpeg" || info.mime == "image/webp";
}

// §1.2, §6A: mp4, avi or mov (QuickTime).
bool is_accepted_reference_video(const MediaInfo& info) {
  return info.mime == "video/mp4" || info.mime == "video/quicktime" ||
         info.mime == "video/x-msvideo";
}

// ---------------------------------------------------------------------------
// Rules shared by images and videos

struct Picture {
  int width = 0;  // as displayed
  int height = 0;
};

Picture picture_of(const MediaInfo& info) {
  if (!info.video) return {};
  return {info.video->width, info.video->height};
}

// Also refuses sizes beyond what reel handles. Returns false when the size
// is unknown, so the rules about it cannot be judged.
bool check_size_known(const Picture& pic, std::vector<std::string>& problems) {
  if (pic.width <= 0 || pic.height <= 0) {
    problems.push_back("unknown width and height (FFmpeg could not read them)");
    return false;
  }
  if (pic.width > kMaxDimension || pic.height > kMaxDimension) {
    problems.push_back(size_text(pic.width, pic.height) + "; reel handles at most " +
                       std::to_string(kMaxDimension) + " px per side");
  }
  return true;
}

// `what` names the rule's owner: "images", "reference videos", ...
void check_aspect(const Picture& pic, const std::string& what, std::vector<std::string>& problems) {
  const double aspect = static_cast<double>(pic.width) / pic.height;
  if (aspect < kMinAspect || aspect > kMaxAspect) {
    problems.push_back(aspect_text(pic.width, pic.height) + " aspect ratio (" +
                       size_text(pic.width, pic.height) + "); " + what +
                       " must be between 1:4 and 4:1");
  }
}

void check_min_side(const Picture& pic, const std::string& what,
                    std::vector<std::string>& problems) {
  if (pic.width < kMinReferenceSide || pic.height < kMinReferenceSide) {
    problems.push_back(size_text(pic.width, pic.height) + "; " + what + " must be at least " +
                       size_text(kMinReferenceSide, kMinReferenceSide));
  }
}

void check_bytes(const MediaInfo& info, int64_t limit, const std::string& what,
                 std::vector<std::string>& problems) {
  if (info.size > limit) {
    problems.push_back(megabytes_text(info.size) + "; " + what + " must be at most " +
                       std::to_string(limit / kMegabyte) + " MB");
  }
}

// ---------------------------------------------------------------------------
// Per kind

// §1.2 (and §4, §5, §6A, §7 for their image fields): png/jpeg/webp, ≤ 50 MB,
// 1:4–4:1; reference images also ≥ 128×128.
void check_image(const MediaInfo& info, bool reference, std::vector<std::string>& problems) {
  const std::string what = reference ? "reference images" : "images";
  if (!is_accepted_image(info)) {
    problems.push_back("a " + format_word(info) + " image; " + what + " must be png, jpeg or webp");
  }
  check_bytes(info, kMaxImageBytes, what, problems);
  const Picture pic = picture_of(info);
  if (!check_size_known(pic, problems)) return;
  if (reference) check_min_side(pic, what, problems);
  check_aspect(pic, what, problems);
}

// §1.2, §6A: mp4/avi/mov, ≥ 128×128, 1:4–4:1, ≤ 100 MB, at most 8 s.
void check_reference_video(const MediaInfo& info, std::vector<std::string>& problems) {
  const std::string what = "reference videos";
  if (!is_accepted_reference_video(info)) {
    problems.push_back("a " + format_word(info) + " video; " + what + " must be mp4, avi or mov");
  }
  check_bytes(info, kMaxReferenceVideoBytes, what, problems);
  const double length = milliseconds_rounded(info.duration);
  if (length > kMaxReferenceVideoSeconds) {
    problems.push_back(seconds_text(info.duration) + " long; a reference video can be at most " +
                       number(kMaxReferenceVideoSeconds, 0) + " s (two videos: 5 s each)");
  }
  const Picture pic = picture_of(info);
  if (!check_size_known(pic, problems)) return;
  check_min_side(pic, what, problems);
  check_aspect(pic, what, problems);
}

// §7: the source video is 4–60 s long; the container is not restricted
// ("any reachable video"). The length is the video stream's: that is what
// gets extended, and a longer audio track does not make it longer.
void check_extend_source(const MediaInfo& info, std::vector<std::string>& problems) {
  const double seconds = info.video ? info.video->duration : info.duration;
  const double length = milliseconds_rounded(seconds);
  if (length < kMinExtendSeconds || length > kMaxExtendSeconds) {
    problems.push_back(seconds_text(seconds) + " long; extend needs " +
                       number(kMinExtendSeconds, 0) + "–" + number(kMaxExtendSeconds, 0) + " s");
  }
  check_size_known(picture_of(info), problems);
}

// "start and end sizes differ in pixel count by 2.25×": a quotient outside
// 0.8–1.25, shown as how many times larger one is than the other.
void check_pair_ratio(double ratio, const std::string& what, const std::string& sizes,
                      std::vector<std::string>& problems) {
  if (ratio >= kMinPairRatio && ratio <= kMaxPairRatio) return;
  const double factor = ratio >= 1 ? ratio : 1 / ratio;
  problems.push_back("start and end " + what + " by " + number_beside(factor, kMaxPairRatio) +
                     "× (" + sizes + "); start_end needs start÷end within 0.8–1.25");
}

}  // namespace

std::optional<Use> use_from_name(const std::string& name) {
  for (const Use use : {Use::extend, Use::reference, Use::image, Use::start_end}) {
    if (name == use_name(use)) return use;
  }
  return std::nullopt;
}

const char* use_name(Use use) {
  switch (use) {
    case Use::extend:
      return "extend";
    case Use::reference:
      return "reference";
    case Use::image:
      return "image";
    case Use::start_end:
      return "start_end";
  }
  return "";
}

std::vector<std::string> check(const MediaInfo& info, Use use) {
  // A file of the wrong kind gets that one problem: the size and shape
  // rules of the kind it is not would only add noise.
  std::vector<std::string> problems;
  switch (use) {
    case Use::extend:
      if (info.kind != "video") return {kind_text(info) + "; extend needs a video"};
      check_extend_source(info, problems);
      break;
    case Use::reference:
      if (info.kind == "image") {
        check_image(info, true, problems);
      } else if (info.kind == "video") {
        check_reference_video(info, problems);
      } else {
        return {kind_text(info) +
                "; reference needs png, jpeg or webp images or mp4, avi or mov videos"};
      }
      break;
    case Use::image:
      if (info.kind != "image") return {kind_text(info) + "; image needs png, jpeg or webp"};
      check_image(info, false, problems);
      break;
    case Use::start_end:
      if (info.kind != "image") {
        return {kind_text(info) + "; start_end needs png, jpeg or webp images"};
      }
      check_image(info, false, problems);
      break;
  }
  return problems;
}

// §5 [V-SE]: "ratio between start/end frame must be in 0.8~1.25". The
// official page calls the quantity the aspect ratio ("Aspect ratios must be
// close"); the Vtrix copy of the same rule calls it the resolution ("similar
// resolutions, the ratio of start frame resolution / end frame
// resolution"), and §5 advises keeping both images at near-identical
// resolution. Following that advice we require both: start÷end of the
// aspect ratios (width/height) and of the pixel counts (width×height), each
// within 0.8–1.25. Sizes are as displayed.
std::vector<std::string> check_start_end(const MediaInfo& first, const MediaInfo& last) {
  std::vector<std::string> problems;
  for (const std::string& p : check(first, Use::start_end)) problems.push_back("start: " + p);
  for (const std::string& p : check(last, Use::start_end)) problems.push_back("end: " + p);

  const Picture a = picture_of(first);
  const Picture b = picture_of(last);
  if (first.kind != "image" || last.kind != "image" || a.width <= 0 || a.height <= 0 ||
      b.width <= 0 || b.height <= 0) {
    return problems;
  }
  const std::string sizes = size_text(a.width, a.height) + " vs " + size_text(b.width, b.height);
  const double pixels =
      (static_cast<double>(a.width) * a.height) / (static_cast<double>(b.width) * b.height);
  check_pair_ratio(pixels, "sizes differ in pixel count", sizes, problems);
  const double aspects =
      (static_cast<double>(a.width) / a.height) / (static_cast<double>(b.width) / b.height);
  check_pair_ratio(aspects, "aspect ratios differ", sizes, problems);
  return problems;
}

}  // namespace reel::media
