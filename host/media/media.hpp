// host/media: facts about media files, frames out of them, and joins, on
// FFmpeg's libraries in process (no subprocesses). No Lua here; the `media`
// Lua module (bindings/media.cpp) and `reel probe` sit on top.
//
// Every function is synchronous and thread-safe for distinct files: the
// bindings run them on libuv's thread pool. Failures throw MediaError, whose
// message names the file and the reason in words a user acts on.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace reel::media {

class MediaError : public std::runtime_error {
 public:
  MediaError(const std::string& path, const std::string& reason)
      : std::runtime_error(path + ": " + reason), path_(path), reason_(reason) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

// Largest width or height reel accepts for checks and frames: larger pictures
// are reported by probe but refused by check() and extract_frame (FFmpeg's own
// image size limit is just under 16384×16384 pixels).
inline constexpr int kMaxDimension = 16384;

struct Rational {
  int num = 0;
  int den = 1;
  double value() const { return den != 0 ? static_cast<double>(num) / den : 0.0; }
};

struct VideoInfo {
  std::string codec;  // FFmpeg codec name: "h264", "vp9", "png", "mjpeg", "webp", ...
  int width = 0;      // as displayed: rotation applied
  int height = 0;
  int coded_width = 0;  // as stored in the stream (what ffprobe calls width/height)
  int coded_height = 0;
  int rotation = 0;     // degrees counter-clockwise from the display matrix, as ffprobe
  Rational sar{1, 1};   // sample aspect ratio (1:1 when unset)
  Rational frame_rate;  // average frame rate (ffprobe's avg_frame_rate); 0/1 for images
  std::string pix_fmt;  // "yuv420p", "rgb24", ...; "" when unknown (too large to decode in a probe)
  int64_t frames = 0;   // from the container when it says; 0 when unknown
  double duration = 0;  // seconds; the container's when the stream has none
};

struct AudioInfo {
  std::string codec;
  int channels = 0;
  int sample_rate = 0;
  std::string layout;  // "stereo", "mono", ...
  double duration = 0;
};

struct MediaInfo {
  std::string path;
  std::string kind;    // "video", "image" or "audio"
  std::string format;  // container: ffprobe's format_name ("mov,mp4,m4a,3gp,3g2,mj2", "png_pipe",
                       // ...); images: the demuxer for their content ("jpeg_pipe" where ffprobe
                       // X.jpg says "image2")
  std::string
      mime;  // what to send it as: "video/mp4", "image/png", "image/jpeg", "image/webp", ...
  double duration = 0;   // seconds; 0 for still images
  int64_t size = 0;      // bytes on disk
  int64_t bit_rate = 0;  // bits per second; 0 when unknown
  std::optional<VideoInfo> video;
  std::optional<AudioInfo> audio;
};

// How far probe reads. `full` decodes the first frame when the header lacks
// a fact (the pixel format of H.264, an audio layout), as ffprobe does.
// `container` stops at what the header says: FFmpeg opens the file, a decoder
// exists for its codec, the index stays inside the file, and the size, frame
// rate and duration are known; pix_fmt may stay "". Checking a download
// costs a twentieth of a full probe that way.
enum class ProbeDepth { full, container };

// Header facts, decoding only when the container lacks them. Images (png,
// jpeg, webp) are recognised by content, not by name.
MediaInfo probe(const std::string& path, ProbeDepth depth = ProbeDepth::full);

// What a file is used for; each has Vidu's documented limits
// (../shared/reference/vidu-api.md §1.2 and the endpoint sections).
enum class Use { extend, reference, image, start_end };
std::optional<Use> use_from_name(const std::string& name);  // "extend", "reference", ...
const char* use_name(Use use);

// Every problem with `info` for `use`, in words a user acts on ("3.5 s long;
// extend needs 4–60 s"); empty when the file is fine.
std::vector<std::string> check(const MediaInfo& info, Use use);

// start_end: each image as for `image`, plus the two sizes within 0.8–1.25.
std::vector<std::string> check_start_end(const MediaInfo& first, const MediaInfo& last);

// Largest width or height a caller may ask a frame to be scaled to.
inline constexpr int kMaxFrameSide = 8192;

// A frame written as an RGB PNG.
struct FrameRequest {
  enum class Where { first, last, at } where = Where::first;
  double at = 0;  // seconds, for Where::at
  // Target size in pixels, 0 = as decoded. One side given: the other follows
  // the displayed aspect ratio (sample aspect ratio applied, rounded to
  // nearest); both: the largest such size inside width x height. A scaled
  // frame has square pixels. Each 1..kMaxFrameSide.
  int width = 0;
  int height = 0;
};
struct Frame {
  std::string path;
  int width = 0;  // as displayed
  int height = 0;
  double time = 0;  // presentation time of the frame, seconds
};
// `out` is written through a temporary name and renamed when complete.
Frame extract_frame(const std::string& path, const FrameRequest& request, const std::string& out);

// A strip of pictures for a contact sheet: each PNG, JPEG or WebP scaled to
// `height` (displayed aspect ratio kept), left to right, `gap` px of #202020
// between them, written as one RGB PNG through a temporary name. The folder
// of `out` must exist. Returns its path and size (time 0).
inline constexpr int kStripMinHeight = 16;
inline constexpr int kStripMaxHeight = 2160;
inline constexpr int kStripMaxGap = 256;
inline constexpr int kStripMaxWidth = 32768;  // the whole strip; bounds its memory
struct StripOptions {
  int height = 180;
  int gap = 4;
};
Frame make_strip(const std::vector<std::string>& pictures, const std::string& out,
                 const StripOptions& options = {});

enum class ConcatMode { automatic, copy, reencode };
struct ConcatResult {
  std::string path;
  double duration = 0;
  std::vector<bool> reencoded;  // per input: was it re-encoded to match the first?
};
// Joins the inputs in order into `out` (MP4), through a temporary name.
ConcatResult concat(const std::vector<std::string>& inputs, const std::string& out,
                    ConcatMode mode);

}  // namespace reel::media
