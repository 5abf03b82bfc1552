// The simulator's clips: one small renderer per kind of shot, each feeding
// pictures to an MP4 writer (render_output) and made from pictures that
// render_picture moves and mixes. The first picture is also the cover.
#include "host/sim/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "host/media/media.hpp"
#include "host/sim/render_output.hpp"
#include "host/sim/render_picture.hpp"

namespace reel::sim {

namespace {

using media::av::FramePtr;
using Kind = RenderSpec::Kind;

// How far image and extend shots push in over their length.
constexpr double kPushIn = 0.1;
// How much wider than the frame a reference image is laid out, to pan across.
constexpr double kPanWidth = 1.25;

int64_t frame_count(double seconds, int fps) {
  return std::llround(seconds * fps);
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::text:
      return "text";
    case Kind::image:
      return "image";
    case Kind::start_end:
      return "start_end";
    case Kind::extend:
      return "extend";
    case Kind::reference:
      return "reference";
    case Kind::multiframe:
      return "multiframe";
  }
  return "?";
}

void require(bool ok, const RenderSpec& spec, const std::string& what) {
  if (!ok) throw std::invalid_argument(std::string("render ") + kind_name(spec.kind) + ": " + what);
}

// Seconds of multiframe segments: as given, or the duration shared equally.
std::vector<double> segments_of(const RenderSpec& spec) {
  const size_t count = spec.images.size() - 1;
  if (!spec.segment_durations.empty()) return spec.segment_durations;
  return std::vector<double>(count, spec.duration / static_cast<double>(count));
}

// Problems with the spec itself are the caller's: std::invalid_argument.
void check_spec(const RenderSpec& spec) {
  require(spec.width >= 2 && spec.height >= 2 && spec.width % 2 == 0 && spec.height % 2 == 0 &&
              spec.width <= media::kMaxDimension && spec.height <= media::kMaxDimension,
          spec, "the size must be even, 2 to 16384 px a side");
  require(spec.fps >= 1 && spec.fps <= 240, spec, "fps must be 1 to 240");
  const size_t images = spec.images.size();
  switch (spec.kind) {
    case Kind::text:
      break;
    case Kind::image:
      require(images >= 1, spec, "needs an image");
      break;
    case Kind::start_end:
      require(images >= 2, spec, "needs a first and a last image");
      break;
    case Kind::extend:
      require(!spec.source_video.empty(), spec, "needs a source video");
      break;
    case Kind::reference:
      require(images >= 1, spec, "needs reference images");
      break;
    case Kind::multiframe:
      require(images >= 2, spec, "needs a start image and key frames");
      require(spec.segment_durations.empty() || spec.segment_durations.size() == images - 1, spec,
              "needs one segment duration per key frame after the first");
      for (double d : segments_of(spec)) require(d > 0, spec, "segments must last > 0 s");
      return;
  }
  require(spec.duration > 0 && frame_count(spec.duration, spec.fps) >= 1, spec,
          "the duration must be at least one frame");
}

// Encodes pictures and keeps a copy of the first, for the cover.
class Sink {
 public:
  explicit Sink(output::Mp4Writer& mp4) : mp4_(mp4) {}
  void add(AVFrame* frame) {
    if (!first_) {
      first_ = picture::blank(frame->width, frame->height);
      av_frame_copy(first_.get(), frame);
    }
    mp4_.add(frame);
  }
  const AVFrame* first() const { return first_.get(); }

 private:
  output::Mp4Writer& mp4_;
  FramePtr first_;
};

// A picture to paint the next frame into. The encoder may still hold a
// reference to the last one, so it gets a fresh buffer if so.
AVFrame* canvas(FramePtr& frame, int width, int height) {
  if (!frame) frame = picture::blank(width, height);
  if (av_frame_make_writable(frame.get()) < 0) throw std::bad_alloc();
  return frame.get();
}

// Step `i` of `n` as a fraction, 0 at the first and 1 at the last.
double progress(int64_t i, int64_t n) {
  return n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 1.0;
}

// ---------------------------------------------------------------------------
// The kinds

void render_text(const RenderSpec& spec, Sink& sink) {
  picture::Pattern pattern(picture::hash(spec.prompt, spec.seed), spec.width, spec.height);
  FramePtr frame;
  const int64_t n = frame_count(spec.duration, spec.fps);
  for (int64_t i = 0; i < n; ++i) {
    AVFrame* out = canvas(frame, spec.width, spec.height);
    pattern.render(static_cast<double>(i) / spec.fps, out);
    sink.add(out);
  }
}

void render_image(const RenderSpec& spec, Sink& sink) {
  const FramePtr image = picture::load_image(spec.images[0], spec.width, spec.height);
  FramePtr frame;
  const int64_t n = frame_count(spec.duration, spec.fps);
  for (int64_t i = 0; i < n; ++i) {
    AVFrame* out = canvas(frame, spec.width, spec.height);
    picture::sample(image.get(), picture::zoomed(1 + kPushIn * progress(i, n)), out);
    sink.add(out);
  }
}

void render_start_end(const RenderSpec& spec, Sink& sink) {
  const FramePtr first = picture::load_image(spec.images[0], spec.width, spec.height);
  const FramePtr last = picture::load_image(spec.images[1], spec.width, spec.height);
  FramePtr frame;
  const int64_t n = frame_count(spec.duration, spec.fps);
  for (int64_t i = 0; i < n; ++i) {
    AVFrame* out = canvas(frame, spec.width, spec.height);
    picture::blend(first.get(), last.get(), picture::ease(i, n), out);
    sink.add(out);
  }
}

// The source as it is, then its last picture pushed in on, cross-fading to
// the end frame when there is one.
void render_extend(const RenderSpec& spec, Sink& sink) {
  output::SourceVideo source(spec.source_video, spec.width, spec.height, spec.fps);
  FramePtr end;
  if (!spec.images.empty()) end = picture::load_image(spec.images[0], spec.width, spec.height);
  FramePtr frame;
  while (const AVFrame* shown = source.next()) {
    AVFrame* out = canvas(frame, spec.width, spec.height);
    av_frame_copy(out, shown);
    sink.add(out);
  }
  const FramePtr last = picture::blank(spec.width, spec.height);
  av_frame_copy(last.get(), frame.get());
  FramePtr moved;
  const int64_t n = frame_count(spec.duration, spec.fps);
  for (int64_t i = 1; i <= n; ++i) {  // step 0 is the source's last frame, already shown
    AVFrame* out = canvas(frame, spec.width, spec.height);
    const picture::View view = picture::zoomed(1 + kPushIn * progress(i, n + 1));
    if (end) {
      AVFrame* pushed = canvas(moved, spec.width, spec.height);
      picture::sample(last.get(), view, pushed);
      picture::blend(pushed, end.get(), picture::ease(i, n + 1), out);
    } else {
      picture::sample(last.get(), view, out);
    }
    sink.add(out);
  }
}

// Each reference in turn for an equal share of the frames, laid out wider
// than the frame and panned across, alternately left and right.
void render_reference(const RenderSpec& spec, Sink& sink) {
  const int pan_width =
      std::max(spec.width, static_cast<int>(std::lround(spec.width * kPanWidth / 2)) * 2);
  const double window = static_cast<double>(spec.width) / pan_width;
  const auto count = static_cast<int64_t>(spec.images.size());
  const int64_t n = frame_count(spec.duration, spec.fps);
  FramePtr frame;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t from = n * k / count, to = n * (k + 1) / count;
    if (from == to) continue;  // more references than frames
    const FramePtr image = picture::load_image(spec.images[k], pan_width, spec.height);
    for (int64_t i = from; i < to; ++i) {
      double along = progress(i - from, to - from);
      if (k % 2 == 1) along = 1 - along;
      AVFrame* out = canvas(frame, spec.width, spec.height);
      picture::sample(image.get(), {(1 - window) * along, 0, window, 1}, out);
      sink.add(out);
    }
  }
}

// Key frame j sits at the start of segment j (the first at 0 s); each
// segment cross-fades to the next key frame, and the last one ends on it.
void render_multiframe(const RenderSpec& spec, Sink& sink) {
  const std::vector<double> segments = segments_of(spec);
  std::vector<int64_t> starts{0};  // frame at which each key frame is reached
  double elapsed = 0;
  for (double seconds : segments) {
    elapsed += seconds;
    starts.push_back(frame_count(elapsed, spec.fps));
  }
  FramePtr frame;
  FramePtr from = picture::load_image(spec.images[0], spec.width, spec.height);
  for (size_t j = 0; j < segments.size(); ++j) {
    FramePtr to = picture::load_image(spec.images[j + 1], spec.width, spec.height);
    const bool last_segment = j + 1 == segments.size();
    // The next segment starts exactly on the next key frame; the last one
    // reaches it on its own final frame.
    const int64_t steps = starts[j + 1] - starts[j] + (last_segment ? 0 : 1);
    for (int64_t f = starts[j]; f < starts[j + 1]; ++f) {
      AVFrame* out = canvas(frame, spec.width, spec.height);
      picture::blend(from.get(), to.get(), picture::ease(f - starts[j], steps), out);
      sink.add(out);
    }
    from = std::move(to);
  }
}

void render_frames(const RenderSpec& spec, Sink& sink) {
  switch (spec.kind) {
    case Kind::text:
      return render_text(spec, sink);
    case Kind::image:
      return render_image(spec, sink);
    case Kind::start_end:
      return render_start_end(spec, sink);
    case Kind::extend:
      return render_extend(spec, sink);
    case Kind::reference:
      return render_reference(spec, sink);
    case Kind::multiframe:
      return render_multiframe(spec, sink);
  }
}

}  // namespace

void render(const RenderSpec& spec, const std::string& out_mp4, const std::string& out_cover_jpg) {
  check_spec(spec);
  output::TempFile mp4(output::temporary_name(out_mp4));
  output::TempFile cover(output::temporary_name(out_cover_jpg));
  {
    const output::Tone tone{picture::hash(spec.prompt, spec.seed)};
    output::Mp4Writer writer(mp4.path(), out_mp4, spec.width, spec.height, spec.fps,
                             spec.audio ? &tone : nullptr);
    Sink sink(writer);
    render_frames(spec, sink);
    if (sink.first() == nullptr) throw media::MediaError(out_mp4, "no frames to write");
    writer.finish();
    output::write_jpeg(sink.first(), cover.path(), out_cover_jpg);
  }
  mp4.publish(out_mp4);
  try {
    cover.publish(out_cover_jpg);
  } catch (...) {
    std::remove(out_mp4.c_str());  // both or neither
    throw;
  }
}

}  // namespace reel::sim
