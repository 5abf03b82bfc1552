// The form of media strings in a request (§1.2): http(s) URLs and
// `data:<mime>;base64,` URIs. Internal to host/vidu.
#pragma once

#include <string>
#include <string_view>

namespace reel::vidu::detail {

enum class Media { image, video, audio };

bool is_http_url(std::string_view s);

// §1.2: a public URL or a `data:<mime>;base64,<data>` URI with an allowed MIME.
// Returns "" when fine, else why not.
std::string media_problem(const std::string& s, Media kind);

}  // namespace reel::vidu::detail
