// Pictures for the simulator's renderer (see render_picture.hpp).
#include "host/sim/render_picture.hpp"

extern "C" {
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "host/media/log.hpp"
#include "host/media/media.hpp"
#include "host/media/sniff.hpp"

namespace reel::sim::picture {

namespace {

using media::MediaError;
using media::av::FramePtr;

// Scaling flags for every conversion: bit-exact C paths where swscale has
// them, so that the bytes do not depend on which SIMD the CPU offers.
constexpr int kSwsFlags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT;

std::string detail(int err) {
  std::string text = media::log::take_last_error();
  if (text.empty() && err < 0) text = media::av::error_text(err);
  return text.empty() ? "" : " (" + text + ")";
}

// The plane sizes of a yuv420p frame.
int plane_width(const AVFrame* f, int plane) {
  return plane == 0 ? f->width : (f->width + 1) / 2;
}
int plane_height(const AVFrame* f, int plane) {
  return plane == 0 ? f->height : (f->height + 1) / 2;
}

// Checks what FFmpeg cannot: that the file is readable, an image type Vidu
// takes, whole, and of a size reel handles.
media::sniff::Image check_image_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw MediaError(path, std::string("cannot read it: ") + std::strerror(errno));
  }
  std::fclose(file);
  media::sniff::Image image = media::sniff::image(path);
  if (image.type == media::sniff::ImageType::none) {
    throw MediaError(path, "is not a PNG, JPEG or WebP image");
  }
  if (!image.problem.empty()) throw MediaError(path, image.problem);
  if (image.width > media::kMaxDimension || image.height > media::kMaxDimension) {
    throw MediaError(path, "the picture is " + std::to_string(image.width) + "x" +
                               std::to_string(image.height) + "; at most " +
                               std::to_string(media::kMaxDimension) + " px per side");
  }
  return image;
}

// The first picture of the image file, as decoded.
FramePtr decode_image(const std::string& path) {
  const media::sniff::Image image = check_image_file(path);
  media::log::capture_ffmpeg_messages();
  const AVInputFormat* demuxer = av_find_input_format(media::sniff::demuxer(image.type));
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), demuxer, nullptr);
  if (err < 0) throw MediaError(path, "cannot open the image" + detail(err));
  media::av::InputFormat fmt(raw);
  if (fmt->nb_streams < 1) throw MediaError(path, "has no picture");
  const AVCodecParameters* par = fmt->streams[0]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) throw MediaError(path, "no decoder for it in this FFmpeg");
  media::av::Codec dec(avcodec_alloc_context3(codec));
  media::av::Packet pkt(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!dec || !pkt || !frame) throw std::bad_alloc();
  err = avcodec_parameters_to_context(dec.get(), par);
  if (err >= 0) err = avcodec_open2(dec.get(), codec, nullptr);
  if (err < 0) throw MediaError(path, "cannot decode the image" + detail(err));
  // One packet is the picture; sending the end afterwards drains it.
  bool sent_end = false;
  while (!sent_end) {
    err = av_read_frame(fmt.get(), pkt.get());
    if (err >= 0 && pkt->stream_index != 0) {
      av_packet_unref(pkt.get());
      continue;
    }
    sent_end = err < 0;
    err = avcodec_send_packet(dec.get(), sent_end ? nullptr : pkt.get());
    av_packet_unref(pkt.get());
    if (err < 0 && err != AVERROR(EAGAIN)) break;
    err = avcodec_receive_frame(dec.get(), frame.get());
    if (err >= 0) return frame;
    if (err != AVERROR(EAGAIN)) break;
  }
  throw MediaError(path, "the image does not decode" + detail(err));
}

// Copies the even-aligned window at (x, y) of a yuv420p frame into `dst`.
void crop_into(const AVFrame* src, int x, int y, AVFrame* dst) {
  for (int plane = 0; plane < 3; ++plane) {
    const int shift = plane == 0 ? 0 : 1;
    const int w = plane_width(dst, plane);
    const int h = plane_height(dst, plane);
    for (int row = 0; row < h; ++row) {
      const uint8_t* from = src->data[plane] +
                            static_cast<ptrdiff_t>((y >> shift) + row) * src->linesize[plane] +
                            (x >> shift);
      std::memcpy(dst->data[plane] + static_cast<ptrdiff_t>(row) * dst->linesize[plane], from,
                  static_cast<size_t>(w));
    }
  }
}

int even_at_least(double v, int minimum) {
  const int rounded = static_cast<int>(std::ceil(v / 2 - 1e-9)) * 2;
  return std::max(rounded, minimum);
}

// Sample positions along one axis of a plane: source index and 8-bit
// fraction towards the next sample, for each destination sample.
struct Taps {
  std::vector<int> index;
  std::vector<int> next;
  std::vector<int> frac;  // 0..255
};

Taps taps(int dst_size, int src_size, double start, double span) {
  Taps t;
  t.index.resize(static_cast<size_t>(dst_size));
  t.next.resize(static_cast<size_t>(dst_size));
  t.frac.resize(static_cast<size_t>(dst_size));
  for (int i = 0; i < dst_size; ++i) {
    // Pixel centres map to pixel centres, so the whole view is the identity.
    const double pos = (start + (i + 0.5) / dst_size * span) * src_size - 0.5;
    int index = static_cast<int>(std::floor(pos));
    int frac = static_cast<int>(std::lround((pos - index) * 256));
    if (frac == 256) {
      ++index;
      frac = 0;
    }
    if (index < 0) {
      index = 0;
      frac = 0;
    }
    if (index >= src_size - 1) {
      index = src_size - 1;
      frac = 0;
    }
    t.index[i] = index;
    t.next[i] = std::min(index + 1, src_size - 1);
    t.frac[i] = frac;
  }
  return t;
}

// ---------------------------------------------------------------------------
// Pattern helpers

// splitmix64: a small, well-mixed generator for the pattern's look.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }  // [0, 1)
  double range(double lo, double hi) { return lo + (hi - lo) * unit(); }
};

struct Rgb {
  int r = 0;
  int g = 0;
  int b = 0;
};

Rgb from_hsv(double h, double s, double v) {
  h = std::fmod(h, 1.0) * 6;
  const int sector = static_cast<int>(h) % 6;
  const double f = h - std::floor(h);
  const double p = v * (1 - s), q = v * (1 - s * f), u = v * (1 - s * (1 - f));
  double r = v, g = u, b = p;
  switch (sector) {
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = u;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = u, g = p, b = v;
      break;
    case 5:
      r = v, g = p, b = q;
      break;
    default:
      break;
  }
  auto byte = [](double c) { return static_cast<int>(std::lround(std::clamp(c, 0.0, 1.0) * 255)); };
  return {byte(r), byte(g), byte(b)};
}

// Limited-range BT.601, as swscale converts RGB to yuv420p by default.
struct Yuv {
  int c[3];  // Y, U, V
};

Yuv to_yuv(const Rgb& p) {
  return {{((66 * p.r + 129 * p.g + 25 * p.b + 128) >> 8) + 16,
           ((-38 * p.r - 74 * p.g + 112 * p.b + 128) >> 8) + 128,
           ((112 * p.r - 94 * p.g - 18 * p.b + 128) >> 8) + 128}};
}

constexpr double kTau = 6.283185307179586;
constexpr int kWaveBits = 10;  // entries in the gradient's wave table: 1 << kWaveBits

}  // namespace

// ---------------------------------------------------------------------------
// Frames

FramePtr blank(int width, int height) {
  FramePtr frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  if (av_frame_get_buffer(frame.get(), 0) < 0) throw std::bad_alloc();
  return frame;
}

FramePtr cover(const std::string& path, const AVFrame* src, int width, int height,
               SwsContext** cache) {
  // Scale so that the picture covers the target on both axes, then crop.
  int scaled_w = width;
  int scaled_h = height;
  if (static_cast<int64_t>(src->width) * height > static_cast<int64_t>(width) * src->height) {
    scaled_w = even_at_least(static_cast<double>(src->width) * height / src->height, width);
  } else {
    scaled_h = even_at_least(static_cast<double>(src->height) * width / src->width, height);
  }
  FramePtr scaled = blank(scaled_w, scaled_h);
  SwsContext* local = nullptr;
  SwsContext** sws = cache != nullptr ? cache : &local;
  *sws = sws_getCachedContext(*sws, src->width, src->height,
                              static_cast<AVPixelFormat>(src->format), scaled_w, scaled_h,
                              AV_PIX_FMT_YUV420P, kSwsFlags, nullptr, nullptr, nullptr);
  if (*sws == nullptr) throw MediaError(path, "cannot scale its pictures");
  sws_scale(*sws, src->data, src->linesize, 0, src->height, scaled->data, scaled->linesize);
  sws_freeContext(local);
  if (scaled_w == width && scaled_h == height) return scaled;
  FramePtr out = blank(width, height);
  crop_into(scaled.get(), ((scaled_w - width) / 2) & ~1, ((scaled_h - height) / 2) & ~1, out.get());
  return out;
}

FramePtr turn(const AVFrame* src, int clockwise) {
  const bool sideways = clockwise == 90 || clockwise == 270;
  FramePtr out = blank(sideways ? src->height : src->width, sideways ? src->width : src->height);
  for (int plane = 0; plane < 3; ++plane) {
    const int sw = plane_width(src, plane), sh = plane_height(src, plane);
    const int dw = plane_width(out.get(), plane), dh = plane_height(out.get(), plane);
    const uint8_t* s = src->data[plane];
    const ptrdiff_t sl = src->linesize[plane];
    for (int y = 0; y < dh; ++y) {
      uint8_t* d = out->data[plane] + static_cast<ptrdiff_t>(y) * out->linesize[plane];
      for (int x = 0; x < dw; ++x) {
        // Where destination (x, y) comes from in the source.
        int sx = x, sy = y;
        if (clockwise == 90) {
          sx = y;
          sy = sh - 1 - x;
        } else if (clockwise == 180) {
          sx = sw - 1 - x;
          sy = sh - 1 - y;
        } else if (clockwise == 270) {
          sx = sw - 1 - y;
          sy = x;
        }
        d[x] = s[sy * sl + sx];
      }
    }
  }
  return out;
}

FramePtr load_image(const std::string& path, int width, int height) {
  FramePtr decoded = decode_image(path);
  return cover(path, decoded.get(), width, height);
}

View zoomed(double zoom) {
  const double span = 1 / zoom;
  return {(1 - span) / 2, (1 - span) / 2, span, span};
}

void sample(const AVFrame* src, const View& view, AVFrame* dst) {
  for (int plane = 0; plane < 3; ++plane) {
    const int dw = plane_width(dst, plane), dh = plane_height(dst, plane);
    const int sw = plane_width(src, plane), sh = plane_height(src, plane);
    const Taps cols = taps(dw, sw, view.x, view.w);
    const Taps rows = taps(dh, sh, view.y, view.h);
    for (int j = 0; j < dh; ++j) {
      const uint8_t* top =
          src->data[plane] + static_cast<ptrdiff_t>(rows.index[j]) * src->linesize[plane];
      const uint8_t* bottom =
          src->data[plane] + static_cast<ptrdiff_t>(rows.next[j]) * src->linesize[plane];
      const int fy = rows.frac[j];
      uint8_t* out = dst->data[plane] + static_cast<ptrdiff_t>(j) * dst->linesize[plane];
      for (int i = 0; i < dw; ++i) {
        const int a = cols.index[i], b = cols.next[i], fx = cols.frac[i];
        const int upper = top[a] * (256 - fx) + top[b] * fx;
        const int lower = bottom[a] * (256 - fx) + bottom[b] * fx;
        out[i] = static_cast<uint8_t>((upper * (256 - fy) + lower * fy + 32768) >> 16);
      }
    }
  }
}

void blend(const AVFrame* a, const AVFrame* b, int alpha, AVFrame* dst) {
  alpha = std::clamp(alpha, 0, 256);
  for (int plane = 0; plane < 3; ++plane) {
    const int w = plane_width(dst, plane), h = plane_height(dst, plane);
    for (int j = 0; j < h; ++j) {
      const uint8_t* pa = a->data[plane] + static_cast<ptrdiff_t>(j) * a->linesize[plane];
      const uint8_t* pb = b->data[plane] + static_cast<ptrdiff_t>(j) * b->linesize[plane];
      uint8_t* out = dst->data[plane] + static_cast<ptrdiff_t>(j) * dst->linesize[plane];
      for (int i = 0; i < w; ++i) {
        out[i] = static_cast<uint8_t>((pa[i] * (256 - alpha) + pb[i] * alpha + 128) >> 8);
      }
    }
  }
}

int ease(int64_t i, int64_t n) {
  if (n <= 1 || i >= n - 1) return 256;
  if (i <= 0) return 0;
  const double x = static_cast<double>(i) / static_cast<double>(n - 1);
  return static_cast<int>(std::lround(x * x * (3 - 2 * x) * 256));
}

// ---------------------------------------------------------------------------
// The text pattern

uint64_t hash(const std::string& prompt, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  auto mix = [&h](uint8_t byte) {
    h ^= byte;
    h *= 0x100000001b3ULL;
  };
  for (char c : prompt) mix(static_cast<uint8_t>(c));
  mix(0);  // so that "ab"+seed and "a"+"b..." cannot collide by concatenation
  for (int i = 0; i < 8; ++i) mix(static_cast<uint8_t>(seed >> (8 * i)));
  return Random{h}.next();
}

struct Pattern::Look {
  // Background: a wave of two colours across the frame, its direction
  // turning and its bands drifting.
  double angle = 0;                      // radians at t = 0
  double spin = 0;                       // radians per second
  double bands = 1;                      // wave cycles across the frame's diagonal
  double drift = 0;                      // cycles per second
  uint8_t wave[3][1 << kWaveBits] = {};  // per plane: the colour at each phase of a cycle
  // Soft discs on Lissajous paths.
  struct Blob {
    Yuv colour;
    double radius;  // fraction of the shorter side
    double ax, ay;  // path amplitude, fraction of the frame
    double fx, fy;  // path frequency, cycles per second
    double px, py;  // path phase, radians
    double pulse;   // radius pulsing, cycles per second
    int opacity;    // 0..256
  };
  std::vector<Blob> blobs;
};

Pattern::Pattern(uint64_t seed, int width, int height)
    : width_(width), height_(height), look_(std::make_unique<Look>()) {
  Random rnd{seed};
  Look& look = *look_;
  const double hue = rnd.unit();
  const Yuv from = to_yuv(from_hsv(hue, rnd.range(0.5, 0.9), rnd.range(0.25, 0.5)));
  const Yuv to =
      to_yuv(from_hsv(hue + rnd.range(0.2, 0.5), rnd.range(0.5, 0.9), rnd.range(0.6, 0.95)));
  look.angle = rnd.range(0, kTau);
  look.spin = rnd.range(-0.4, 0.4);
  look.bands = rnd.range(0.6, 2.5);
  look.drift = rnd.range(-0.35, 0.35);
  for (int k = 0; k < (1 << kWaveBits); ++k) {
    const int m = static_cast<int>(std::lround(128 - 128 * std::cos(kTau * k / (1 << kWaveBits))));
    for (int plane = 0; plane < 3; ++plane) {
      look.wave[plane][k] =
          static_cast<uint8_t>((from.c[plane] * (256 - m) + to.c[plane] * m) >> 8);
    }
  }
  const int count = 3 + static_cast<int>(rnd.next() % 5);
  for (int i = 0; i < count; ++i) {
    Look::Blob blob;
    blob.colour = to_yuv(from_hsv(rnd.unit(), rnd.range(0.4, 1.0), rnd.range(0.5, 1.0)));
    blob.radius = rnd.range(0.08, 0.3);
    blob.ax = rnd.range(0.1, 0.45);
    blob.ay = rnd.range(0.1, 0.45);
    blob.fx = rnd.range(0.03, 0.25);
    blob.fy = rnd.range(0.03, 0.25);
    blob.px = rnd.range(0, kTau);
    blob.py = rnd.range(0, kTau);
    blob.pulse = rnd.range(0.1, 0.6);
    blob.opacity = static_cast<int>(rnd.range(120, 240));
    look.blobs.push_back(blob);
  }
}

Pattern::~Pattern() = default;

void Pattern::render(double t, AVFrame* dst) {
  for (int plane = 0; plane < 3; ++plane) {
    paint_background(t, dst, plane);
    paint_blobs(t, dst, plane);
  }
}

// The wave's phase is linear in x and y, so each row steps a fixed-point
// accumulator (1 << 32 per cycle) and looks the colour up in a table.
// Chroma samples take the phase at their place in luma coordinates.
void Pattern::paint_background(double t, AVFrame* dst, int plane) {
  const Look& look = *look_;
  const int scale = plane == 0 ? 1 : 2;
  const int w = plane_width(dst, plane), h = plane_height(dst, plane);
  const double angle = look.angle + look.spin * t;
  const double per_pixel = look.bands / std::hypot(width_, height_) * scale;
  constexpr double kCycle = 4294967296.0;
  const auto step_x = static_cast<uint32_t>(
      static_cast<int64_t>(std::llround(std::cos(angle) * per_pixel * kCycle)));
  const double step_y = std::sin(angle) * per_pixel;
  const double offset = look.drift * t;
  const uint8_t* wave = look.wave[plane];
  for (int y = 0; y < h; ++y) {
    const double start = offset + y * step_y;
    auto phase = static_cast<uint32_t>(
        static_cast<int64_t>(std::llround((start - std::floor(start)) * kCycle)));
    uint8_t* px = dst->data[plane] + static_cast<ptrdiff_t>(y) * dst->linesize[plane];
    for (int x = 0; x < w; ++x, phase += step_x) px[x] = wave[phase >> (32 - kWaveBits)];
  }
}

// Each disc fades out from its centre (alpha falls with the squared
// distance), drawn only inside its bounding box; in chroma at half scale.
void Pattern::paint_blobs(double t, AVFrame* dst, int plane) {
  const double scale = plane == 0 ? 1 : 2;
  const int w = plane_width(dst, plane), h = plane_height(dst, plane);
  const double shorter = std::min(width_, height_);
  for (const Look::Blob& blob : look_->blobs) {
    const double cx = width_ * (0.5 + blob.ax * std::sin(kTau * blob.fx * t + blob.px)) / scale;
    const double cy = height_ * (0.5 + blob.ay * std::sin(kTau * blob.fy * t + blob.py)) / scale;
    const double r = blob.radius * shorter * (1 + 0.15 * std::sin(kTau * blob.pulse * t)) / scale;
    const int64_t r2 = std::max<int64_t>(1, std::llround(r * r));
    const int64_t inverse = (int64_t{256} << 32) / r2;  // d2 * inverse >> 32 = 256 * d2 / r2
    const int x0 = std::max(0, static_cast<int>(cx - r));
    const int x1 = std::min(w, static_cast<int>(cx + r) + 1);
    const int y0 = std::max(0, static_cast<int>(cy - r));
    const int y1 = std::min(h, static_cast<int>(cy + r) + 1);
    const int icx = static_cast<int>(std::lround(cx)), icy = static_cast<int>(std::lround(cy));
    const int colour = blob.colour.c[plane];
    for (int y = y0; y < y1; ++y) {
      const int64_t dy2 = static_cast<int64_t>(y - icy) * (y - icy);
      uint8_t* px = dst->data[plane] + static_cast<ptrdiff_t>(y) * dst->linesize[plane];
      for (int x = x0; x < x1; ++x) {
        const int64_t d2 = dy2 + static_cast<int64_t>(x - icx) * (x - icx);
        if (d2 >= r2) continue;
        const auto falloff = static_cast<int>(256 - ((d2 * inverse) >> 32));  // 1..256
        const int a = (falloff * blob.opacity) >> 8;
        px[x] = static_cast<uint8_t>((px[x] * (256 - a) + colour * a) >> 8);
      }
    }
  }
}

}  // namespace reel::sim::picture
