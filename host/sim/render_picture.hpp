// Pictures for the simulator's renderer: yuv420p frames made from images,
// moved (zoom, pan), cross-faded, and the seeded pattern of text shots. All
// arithmetic on pixels is integer or fixed point, so the same inputs give the
// same bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/media/av.hpp"

struct SwsContext;

namespace reel::sim::picture {

// A new yuv420p frame of the given (even) size; contents undefined.
media::av::FramePtr blank(int width, int height);

// The picture `src` scaled to cover width×height exactly, keeping its
// shape: the excess is cropped evenly from both sides. `path` is named in
// errors. `cache`, when given, keeps the scaler for the next call (video).
media::av::FramePtr cover(const std::string& path, const AVFrame* src, int width, int height,
                          SwsContext** cache = nullptr);

// `src` (yuv420p, even size) turned clockwise by 90, 180 or 270 degrees.
media::av::FramePtr turn(const AVFrame* src, int clockwise);

// The image at `path` (PNG, JPEG or WebP, by content), covering
// width×height. Throws media::MediaError naming `path`.
media::av::FramePtr load_image(const std::string& path, int width, int height);

// A window onto a picture in its own normalised coordinates (0..1 on both
// axes): the whole picture is {0, 0, 1, 1}.
struct View {
  double x = 0;
  double y = 0;
  double w = 1;
  double h = 1;
};

// The centred window of a picture magnified `zoom` times (1: all of it).
View zoomed(double zoom);

// Fills `dst` with the `view` of `src`, bilinear in fixed point. The whole
// view of a picture of dst's size copies it exactly.
void sample(const AVFrame* src, const View& view, AVFrame* dst);

// dst = a + (b - a) * alpha / 256, plane by plane; alpha 0 is a, 256 is b.
void blend(const AVFrame* a, const AVFrame* b, int alpha, AVFrame* dst);

// 0..256 for position `i` of `n` steps (0 at i = 0, 256 at i = n - 1),
// eased in and out so fades start and end gently.
int ease(int64_t i, int64_t n);

// The animated pattern of a text shot, its look (colours, shapes, speeds)
// drawn from `seed`. Painted straight into the yuv420p planes (blending is
// linear, so it is the same in YUV as in RGB): no conversion per frame.
class Pattern {
 public:
  Pattern(uint64_t seed, int width, int height);
  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  // The picture `t` seconds in, into `dst` (yuv420p, the pattern's size).
  void render(double t, AVFrame* dst);

 private:
  struct Look;
  void paint_background(double t, AVFrame* dst, int plane);
  void paint_blobs(double t, AVFrame* dst, int plane);

  int width_;
  int height_;
  std::unique_ptr<Look> look_;
};

// 64 bits from a prompt and a seed (FNV-1a, then mixed), for Pattern.
uint64_t hash(const std::string& prompt, uint64_t seed);

}  // namespace reel::sim::picture
