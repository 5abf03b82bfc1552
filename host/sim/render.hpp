// The simulator's output media: real H.264 MP4s (libx264 through libavcodec)
// at the requested size, duration and frame rate, and a JPEG cover (the first
// frame). Byte-identical for the same spec: no wall-clock metadata.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reel::sim {

struct RenderSpec {
  enum class Kind { text, image, start_end, extend, reference, multiframe };
  Kind kind = Kind::text;
  int width = 1280;
  int height = 720;
  double duration = 5;  // seconds of new material (extend: added after the source)
  int fps = 24;
  uint64_t seed = 1;
  std::string prompt;
  std::vector<std::string> images;        // image: [first]; start_end: [first, last];
                                          // reference: the references; multiframe: keyframes;
                                          // extend: optional [end frame]
  std::vector<double> segment_durations;  // multiframe: seconds per keyframe segment
  std::string source_video;               // extend: the clip to continue
  bool audio = false;  // add an AAC track (48 kHz stereo): a soft tone seeded by prompt+seed
};

// Writes `out_mp4` and `out_cover_jpg` through temporary names. Throws
// media::MediaError (host/media/media.hpp) naming the input at fault.
//
// Frame count: round(duration * fps); extend: the source's duration in frames
// at `fps`, then round(duration * fps) new ones; multiframe: the sum of
// segment_durations (one per image after the first; when empty, `duration`
// shared equally). The size must be even (yuv420p). A spec that cannot be
// rendered (no images for an image kind, odd size, ...) throws
// std::invalid_argument. Deterministic: the same spec and inputs give
// byte-identical files. Thread-safe for distinct outputs.
void render(const RenderSpec& spec, const std::string& out_mp4, const std::string& out_cover_jpg);

}  // namespace reel::sim
