// Decoded pictures made ready for a PNG: converted to packed RGB (or RGBA) at
// a size, as the ffmpeg CLI's scale filter converts, and turned as a display
// matrix asks. Shared by media.frame (frame.cpp) and media.strip (strip.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "host/media/av.hpp"

namespace reel::media::picture {

// One side from the other, rounded to nearest: round(side * num / den), >= 1.
int scaled_side(int side, int64_t num, int64_t den);

// `src` as `to` (AV_PIX_FMT_RGB24 or AV_PIX_FMT_RGBA) at width x height, with
// `sar` on the result. Its own matrix and range (full for JPEG); area
// averaging when it shrinks (no aliasing in thumbnails), bicubic otherwise
// (the CLI's pixels at the same size). nullptr, with *problem saying why,
// when swscale cannot.
av::FramePtr converted(const AVFrame* src, int width, int height, AVPixelFormat to, AVRational sar,
                       std::string* problem);

// How the CLI turns a picture for display (its autorotate in 5.1): a
// transpose whose direction bits match FFmpeg's transpose filter, or flips.
struct Turn {
  bool transpose = false;
  bool read_rows_reversed = false;   // transpose dir bit 0 (clock, clock_flip)
  bool write_rows_reversed = false;  // transpose dir bit 1 (cclock, clock_flip)
  bool hflip = false;
  bool vflip = false;
};

// A packed RGB picture turned; nullptr when out of memory.
av::FramePtr turned(const AVFrame* rgb, const Turn& turn);

}  // namespace reel::media::picture
