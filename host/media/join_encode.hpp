// The re-encoding side of media::concat: decoders for the clips, libx264 and
// FFmpeg's AAC encoder for the output. One encoder serves a run of
// consecutive re-encoded clips; every clip's video takes exactly its
// duration in frames of the target rate, and its audio exactly the samples
// that span its video, padded with silence or cut, so nothing drifts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/media/av.hpp"
#include "host/media/join_clip.hpp"

struct SwsContext;
struct SwrContext;

namespace reel::media::join {

// Encoded packets, timestamps in the encoder's time base counting from the
// start of its run. The sink takes the packet's reference.
using PacketSink = std::function<void(AVPacket*)>;

// What every encoded picture must be: the first clip's geometry.
struct VideoTarget {
  int width = 0;
  int height = 0;
  AVRational sar{1, 1};
  AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  AVRational frame_rate{30, 1};
  int rotation = 0;  // clockwise degrees the output's display matrix turns pictures
  AVColorRange color_range = AVCOL_RANGE_UNSPECIFIED;
  AVColorPrimaries color_primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic color_trc = AVCOL_TRC_UNSPECIFIED;
  AVColorSpace color_space = AVCOL_SPC_UNSPECIFIED;
  AVChromaLocation chroma_location = AVCHROMA_LOC_UNSPECIFIED;
};

// The first clip's geometry; yuv420p when libx264 cannot take its pixel format.
VideoTarget video_target_of(const Clip& first);

struct X264Settings {
  std::string params;  // x264-params ("key=value:..."); may set the rate control
  int crf = 18;        // used when >= 0
  int level = 0;       // level_idc to use; 0 lets x264 choose
};

// libx264 for `target`, headers out of band (what MP4 wants). Throws
// std::runtime_error when libx264 is missing or refuses the settings.
av::Codec open_x264(const VideoTarget& target, const X264Settings& settings);

// Decodes clips and feeds their pictures, fitted to the target (scaled,
// letterboxed, turned), to one libx264 run at the target's constant rate.
class VideoEncoder {
 public:
  VideoEncoder(av::Codec encoder, const VideoTarget& target, PacketSink sink);
  ~VideoEncoder();
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  const AVCodecContext* context() const { return enc_.get(); }
  int64_t frames() const { return run_frames_; }  // frames of the clips ended so far

  void begin_clip(const Clip& clip);
  void send(const AVPacket* pkt);  // a packet of the clip's video stream
  // Decodes the rest and fills the clip's last frame slots; the clip then
  // spans frames() - (frames() before it) frames.
  void end_clip();
  // Drains the encoder; the run is over.
  void finish();

 private:
  void receive_frames();
  void take(AVFrame* decoded);
  av::FramePtr fit(AVFrame* decoded);
  void emit();
  void receive_packets();

  av::Codec enc_;
  VideoTarget target_;
  PacketSink sink_;
  const Clip* clip_ = nullptr;
  av::Codec dec_;
  av::FramePtr decoded_;
  av::FramePtr pending_;  // the picture that fills slots until the next one's
  av::Packet packet_;
  SwsContext* sws_ = nullptr;
  int64_t run_frames_ = 0;
  int64_t next_slot_ = 0;   // within the clip
  int64_t clip_slots_ = 0;  // the clip's frame count from its header; 0 when unknown
};

struct AudioTarget {
  int sample_rate = 48000;
  AVChannelLayout layout = AV_CHANNEL_LAYOUT_STEREO;
  int64_t bit_rate = 128000;
};

// FFmpeg's native AAC encoder for `target`. Throws std::runtime_error.
av::Codec open_aac(const AudioTarget& target);

// Decodes clips' audio (or makes silence for clips without), resamples it to
// the target and feeds one AAC run, each clip placed against its video.
class AudioEncoder {
 public:
  AudioEncoder(av::Codec encoder, PacketSink sink);
  ~AudioEncoder();
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;

  const AVCodecContext* context() const { return enc_.get(); }

  // The clip's video spans samples [start, expected_end) of the run;
  // expected_end (from the header) is -1 when unknown.
  void begin_clip(const Clip& clip, int64_t start, int64_t expected_end);
  void send(const AVPacket* pkt);  // a packet of the clip's audio stream
  // Ends the clip's audio exactly at sample `end` of the run.
  void end_clip(int64_t end);
  void finish();

 private:
  void receive_frames();
  void take(const AVFrame* frame);
  void place(const AVFrame* first);
  void open_resampler(const AVFrame* frame);
  std::vector<uint8_t*> converted_planes(int samples);
  void append(const uint8_t* const* planes, int64_t count);
  void append_silence(int64_t count);
  void encode_until(int64_t limit);
  void encode(size_t from, int count);
  void receive_packets();
  int64_t written() const { return pending_from_ + static_cast<int64_t>(pending_[0].size()); }

  av::Codec enc_;
  PacketSink sink_;
  int channels_;
  int frame_size_;
  std::vector<std::vector<float>> pending_;  // per channel: samples not yet encoded
  int64_t pending_from_ = 0;                 // run sample index of pending_[c][0]
  av::FramePtr frame_;
  av::Packet packet_;
  // The clip being read.
  const Clip* clip_ = nullptr;
  av::Codec dec_;
  av::FramePtr decoded_;
  SwrContext* swr_ = nullptr;
  std::vector<std::vector<float>> converted_;
  bool placed_ = false;
  int64_t clip_start_ = 0;
  int64_t limit_ = INT64_MAX;  // samples at or past it are past the clip's video
  int64_t skip_ = 0;           // samples to drop before the clip's video starts
};

}  // namespace reel::media::join
