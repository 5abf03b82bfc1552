// Media string checks. Section numbers (§) refer to
// ../shared/reference/vidu-api.md.
#include "host/vidu/media.hpp"

#include "host/vidu/fields.hpp"
#include "host/vidu/wording.hpp"

#include <algorithm>
#include <cctype>

namespace reel::vidu::detail {

namespace {

// clang-format off
constexpr std::string_view kImageMimes[] = {"image/png", "image/jpeg", "image/jpg", "image/webp"};  // §1.2
constexpr std::string_view kVideoMimes[] = {"video/mp4", "video/quicktime", "video/mov", "video/avi",
                                            "video/x-msvideo"};  // §1.2: mp4 / mov / avi
constexpr std::string_view kAudioMimes[] = {"audio/mp3", "audio/mpeg"};  // §1.2
// clang-format on

}  // namespace

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

}  // namespace reel::vidu::detail
