// The files the simulator's renderer writes and reads: the H.264 MP4 and the
// JPEG cover, each under a temporary name until the caller publishes both,
// and the frames of a source video (extend). Byte-identical output for the
// same pictures: bit-exact muxer and encoders, one x264 thread, no dates.
#pragma once

#include <cstdint>
#include <string>

#include "host/media/av.hpp"

struct SwsContext;

namespace reel::sim::output {

// A hidden name next to `path` for writing it (same folder, so renaming it
// into place is atomic). Throws media::MediaError when the folder is missing.
std::string temporary_name(const std::string& path);

// Removes the file when destroyed unless released: a failed render leaves
// nothing behind.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  // Renames the file to `target`; it is then no longer ours to remove.
  void publish(const std::string& target);

 private:
  std::string path_;
  bool kept_ = false;
};

// The sound of a clip, when it has one: a soft tone whose pitch and pulse
// come from `seed`, as AAC (48 kHz stereo).
struct Tone {
  uint64_t seed = 0;
};

// libx264 (yuv420p, fixed GOP of two seconds) into an MP4 at `temp`, with an
// AAC track exactly as long as the video when `tone` is given; errors name
// `target`, the file the caller will publish it as.
class Mp4Writer {
 public:
  Mp4Writer(const std::string& temp, const std::string& target, int width, int height, int fps,
            const Tone* tone = nullptr);
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // Encodes the next frame (yuv420p of the writer's size); its time is the
  // number of frames before it over the frame rate.
  void add(AVFrame* frame);
  int64_t frames() const { return frames_; }
  // Drains the encoder and writes the index; the file is complete.
  void finish();

 private:
  void open_video(int width, int height, int fps);
  void open_audio(const Tone& tone);
  void drain(AVCodecContext* enc, AVStream* stream);
  // Encodes the tone up to sample `end` (whole encoder frames only unless
  // `last`).
  void sound_until(int64_t end, bool last);

  std::string target_;
  int fps_;
  media::av::OutputFormat fmt_;
  media::av::Codec enc_;
  media::av::Packet pkt_;
  AVStream* stream_ = nullptr;
  int64_t frames_ = 0;
  // The tone, when there is one.
  media::av::Codec audio_enc_;
  AVStream* audio_stream_ = nullptr;
  media::av::FramePtr samples_;
  int64_t sound_written_ = 0;  // samples encoded so far
  double pitch_ = 0;           // Hz
  double pulse_ = 0;           // loudness cycles per second
};

// The picture (yuv420p) as a baseline JPEG (full-range yuvj420p) at `temp`;
// errors name `target`.
void write_jpeg(const AVFrame* frame, const std::string& temp, const std::string& target);

// The frames of a video, decoded in order, turned upright as its display
// matrix says, and fitted (covering, cropped) to width×height yuv420p, one per slot of a constant
// `fps`: a source at another rate has frames repeated or dropped. Errors name the video.
class SourceVideo {
 public:
  SourceVideo(const std::string& path, int width, int height, int fps);
  ~SourceVideo();
  SourceVideo(const SourceVideo&) = delete;
  SourceVideo& operator=(const SourceVideo&) = delete;

  // Output slots the source fills: its duration in frames at `fps`.
  int64_t slots() const { return slots_; }
  // The picture for the next slot, or nullptr after the last. It stays valid
  // until the next call.
  const AVFrame* next();

 private:
  bool decode_one();  // the next decoded picture into pending_; false at the end
  media::av::FramePtr fit(const AVFrame* decoded);

  std::string path_;
  int width_;
  int height_;
  int fps_;
  media::av::InputFormat fmt_;
  media::av::Codec dec_;
  media::av::Packet pkt_;
  media::av::FramePtr decoded_;
  int stream_ = -1;
  int64_t slots_ = 0;
  int64_t slot_ = 0;              // the next slot to hand out
  media::av::FramePtr current_;   // the picture handed out for past slots
  media::av::FramePtr upcoming_;  // the next decoded picture, fitted
  int64_t upcoming_slot_ = 0;     // the slot it starts at
  bool ended_ = false;            // the decoder has nothing more
  bool draining_ = false;
  SwsContext* sws_ = nullptr;         // for sources of another size or pixel format
  SwsContext* sws_planar_ = nullptr;  // to yuv420p before turning
  int clockwise_ = 0;                 // how far to turn its pictures upright
};

}  // namespace reel::sim::output
