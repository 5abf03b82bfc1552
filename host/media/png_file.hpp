// A picture written as a PNG file: readers of the file see the old one or the
// whole new one, never a part, and a failure leaves nothing behind.
#pragma once

#include <string>

#include "host/media/av.hpp"

namespace reel::media {

// `rgb` is packed RGB24 (its sample aspect ratio is kept as the PNG's pHYs);
// `path` is the source the picture came from, named in errors.
void write_png(const std::string& path, const AVFrame* rgb, const std::string& out);

}  // namespace reel::media
