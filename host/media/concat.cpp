// media::concat: joins clips, in order, into one MP4.
//
// Every clip is opened and inspected first (join_clip.cpp); then one pass
// reads each clip once and writes the output (join_output.cpp). A clip's
// video and audio are each either stream-copied, with timestamps shifted to
// follow what came before, or decoded and re-encoded (join_encode.cpp).
//
// Modes:
// * copy: every clip must match the first (codec and its SPS/PPS, size, SAR,
//   pixel format, frame rate, rotation; audio codec and its settings, rate,
//   layout, and whether there is audio at all). Otherwise MediaError names
//   the first clip that differs and how, and nothing is written.
// * reencode: every clip through libx264 (veryfast, CRF 18) and AAC, at the
//   first clip's size, SAR, frame rate and audio rate/layout.
// * automatic: clips that match the first are copied; the others are
//   re-encoded to match. The catch is that an MP4 track has one avcC: one
//   set of SPS/PPS that every sample must decode with. A picture encoded by
//   us can share a track with copied ones only if our encoder produces
//   byte-identical SPS/PPS. So auto mode reads the x264 settings the first
//   clip carries in its bitstream (an SEI that x264 writes by default), opens
//   libx264 with the settings that shape those headers, and compares the
//   SPS/PPS it gets with the first clip's. Identical: only the odd clips are
//   re-encoded and the track stays a plain avc1 track that every player
//   takes. Not identical (not x264, or settings that cannot be reproduced):
//   all video is re-encoded, because the alternatives — in-band parameter
//   sets under avc3, or several sample descriptions — play in fewer places.
//   Audio follows the same rule with the AAC AudioSpecificConfig: clips with
//   other audio, or none (silence is made for them), are encoded with
//   FFmpeg's AAC encoder when its config equals the track's, else all audio
//   is re-encoded. When the first clip has no audio but a later one has, the
//   output still gets audio (the first audio clip sets its parameters), with
//   silence under the clips that have none: dropping sound the user has is
//   worse than adding silence.
//
// `reencoded[i]` is true when clip i's own pictures or sound were decoded
// and encoded again; silence added under a clip without audio does not count.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "host/media/join_clip.hpp"
#include "host/media/join_encode.hpp"
#include "host/media/join_h264.hpp"
#include "host/media/join_output.hpp"
#include "host/media/log.hpp"
#include "host/media/media.hpp"

namespace reel::media {

namespace {

using join::Clip;

struct Plan {
  std::vector<bool> encode_video;  // per clip
  std::vector<bool> encode_audio;  // per clip: its audio re-encoded, or silence made for it
  join::VideoTarget video;
  join::X264Settings x264;
  bool splice = false;              // re-encoded video must share the first clip's SPS/PPS
  const Clip* audio_ref = nullptr;  // the clip whose audio sets the track's; nullptr: no audio
  join::AudioTarget audio;
  // Opened while planning (to compare headers); used for the first run.
  av::Codec x264_ready;
  av::Codec aac_ready;

  bool any_copied_video() const {
    return std::count(encode_video.begin(), encode_video.end(), false) > 0;
  }
  bool any_copied_audio() const {
    return audio_ref != nullptr && std::count(encode_audio.begin(), encode_audio.end(), false) > 0;
  }
};

const char* const kUseOtherModes = "; use mode='auto' or 'reencode'";

// The "options: ..." x264 wrote into the first picture, read through a
// second, light handle on the file (no stream analysis).
std::string x264_options_of(const Clip& clip) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, clip.path.c_str(), nullptr, nullptr) < 0) return "";
  av::InputFormat fmt(raw);
  av::Packet pkt(av_packet_alloc());
  for (int i = 0; pkt && i < 200 && av_read_frame(raw, pkt.get()) >= 0; ++i) {
    bool video = pkt->stream_index == clip.video->index;
    std::string options = video ? join::h264::x264_options_in(pkt->data, pkt->size) : "";
    av_packet_unref(pkt.get());
    if (video) return options;
  }
  return "";
}

// libx264 set up to give exactly the first clip's SPS/PPS, or nullopt.
std::optional<join::X264Settings> splice_settings(const Clip& first, const Plan& plan,
                                                  av::Codec& encoder) {
  const AVCodecParameters* par = first.video->codecpar;
  if (par->codec_id != AV_CODEC_ID_H264 || par->format != plan.video.pix_fmt) return std::nullopt;
  auto sets = join::h264::parse_extradata(par->extradata, par->extradata_size);
  if (!sets) return std::nullopt;
  auto params = join::h264::x264_params_for(x264_options_of(first));
  if (!params) return std::nullopt;
  join::X264Settings settings{*params, -1, join::h264::level_of(*sets)};
  try {
    encoder = join::open_x264(plan.video, settings);
  } catch (const std::runtime_error&) {
    log::take_last_error();
    return std::nullopt;
  }
  auto got = join::h264::parse_extradata(encoder->extradata, encoder->extradata_size);
  if (!got || !(*got == *sets)) return std::nullopt;
  return settings;
}

join::AudioTarget audio_target_of(const Clip& ref) {
  const AVCodecParameters* par = ref.audio->codecpar;
  join::AudioTarget target;
  target.sample_rate = par->sample_rate;
  // Native layouts only: they hold no allocation, so AudioTarget copies freely.
  if (par->ch_layout.order == AV_CHANNEL_ORDER_NATIVE) {
    av_channel_layout_copy(&target.layout, &par->ch_layout);
  } else {
    av_channel_layout_default(&target.layout, par->ch_layout.nb_channels);
  }
  target.bit_rate = par->bit_rate > 0 ? par->bit_rate : 64000LL * target.layout.nb_channels;
  return target;
}

bool same_extradata(const AVCodecParameters* par, const AVCodecContext* enc) {
  return par->extradata_size == enc->extradata_size &&
         std::equal(par->extradata, par->extradata + par->extradata_size, enc->extradata);
}

void plan_copy(const std::vector<Clip>& clips, Plan& plan) {
  const Clip& first = clips[0];
  for (const AVStream* st : {first.video, first.audio}) {
    if (st != nullptr && !join::mp4_can_hold(st->codecpar->codec_id)) {
      throw MediaError(first.path, std::string(avcodec_get_name(st->codecpar->codec_id)) +
                                       " cannot be stream-copied into MP4; use mode='reencode'");
    }
  }
  for (const Clip& clip : clips) {
    std::string why = join::video_difference(first, clip);
    if (why.empty()) why = join::audio_difference(first, clip);
    if (!why.empty()) throw MediaError(clip.path, why + kUseOtherModes);
  }
  plan.encode_video.assign(clips.size(), false);
  plan.encode_audio.assign(clips.size(), false);
  plan.audio_ref = first.audio != nullptr ? &first : nullptr;
}

void plan_video_auto(const std::vector<Clip>& clips, Plan& plan) {
  const Clip& first = clips[0];
  std::vector<bool> odd(clips.size(), false);
  for (size_t i = 1; i < clips.size(); ++i) {
    odd[i] = !join::video_difference(first, clips[i]).empty();
  }
  bool all_match = std::count(odd.begin(), odd.end(), true) == 0;
  if (join::mp4_can_hold(first.video->codecpar->codec_id)) {
    if (all_match) {
      plan.encode_video = odd;
      return;
    }
    if (auto settings = splice_settings(first, plan, plan.x264_ready)) {
      plan.encode_video = odd;
      plan.x264 = *settings;
      plan.splice = true;
      return;
    }
  }
  plan.encode_video.assign(clips.size(), true);
  plan.x264_ready.reset();
}

void plan_audio_auto(const std::vector<Clip>& clips, Plan& plan) {
  const Clip& ref = *plan.audio_ref;
  std::vector<bool> odd(clips.size(), false);
  for (size_t i = 0; i < clips.size(); ++i) odd[i] = !join::audio_difference(ref, clips[i]).empty();
  const AVCodecParameters* par = ref.audio->codecpar;
  if (join::mp4_can_hold(par->codec_id)) {
    if (std::count(odd.begin(), odd.end(), true) == 0) {
      plan.encode_audio = odd;
      return;
    }
    if (par->codec_id == AV_CODEC_ID_AAC) {
      plan.aac_ready = join::open_aac(plan.audio);
      if (same_extradata(par, plan.aac_ready.get())) {
        plan.encode_audio = odd;
        return;
      }
    }
  }
  plan.encode_audio.assign(clips.size(), true);
}

Plan make_plan(const std::vector<Clip>& clips, ConcatMode mode) {
  Plan plan;
  const Clip& first = clips[0];
  if (mode == ConcatMode::copy) {
    plan_copy(clips, plan);
    return plan;
  }
  plan.video = join::video_target_of(first);
  for (const Clip& clip : clips) {
    if (clip.audio != nullptr) {
      plan.audio_ref = &clip;
      plan.audio = audio_target_of(clip);
      break;
    }
  }
  if (mode == ConcatMode::reencode) {
    plan.encode_video.assign(clips.size(), true);
    plan.encode_audio.assign(clips.size(), plan.audio_ref != nullptr);
  } else {
    plan_video_auto(clips, plan);
    plan.encode_audio.assign(clips.size(), false);
    if (plan.audio_ref != nullptr) plan_audio_auto(clips, plan);
  }
  if (!plan.any_copied_video() && !plan.x264_ready) {
    plan.x264_ready = join::open_x264(plan.video, plan.x264);
  }
  if (plan.audio_ref != nullptr && !plan.any_copied_audio() && !plan.aac_ready) {
    plan.aac_ready = join::open_aac(plan.audio);
  }
  return plan;
}

void set_display_matrix(AVStream* st, const uint8_t* matrix) {
  if (matrix == nullptr) return;
  constexpr size_t kSize = 9 * sizeof(int32_t);
#if LIBAVFORMAT_VERSION_MAJOR < 61
  uint8_t* data = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, kSize);
  if (data != nullptr) std::memcpy(data, matrix, kSize);
#else
  AVCodecParameters* par = st->codecpar;
  if (av_packet_side_data_get(par->coded_side_data, par->nb_coded_side_data,
                              AV_PKT_DATA_DISPLAYMATRIX) != nullptr) {
    return;
  }
  AVPacketSideData* sd = av_packet_side_data_new(&par->coded_side_data, &par->nb_coded_side_data,
                                                 AV_PKT_DATA_DISPLAYMATRIX, kSize, 0);
  if (sd != nullptr) std::memcpy(sd->data, matrix, kSize);
#endif
}

AVStream* add_stream(AVFormatContext* fmt, const AVCodecParameters* par, AVRational time_base) {
  AVStream* st = avformat_new_stream(fmt, nullptr);
  if (st == nullptr || avcodec_parameters_copy(st->codecpar, par) < 0) throw std::bad_alloc();
  st->codecpar->codec_tag = 0;  // the MP4 muxer picks its own tag
  st->time_base = time_base;
  return st;
}

AVStream* add_stream(AVFormatContext* fmt, const AVCodecContext* enc) {
  AVStream* st = avformat_new_stream(fmt, nullptr);
  if (st == nullptr || avcodec_parameters_from_context(st->codecpar, enc) < 0) {
    throw std::bad_alloc();
  }
  st->time_base = enc->time_base;
  return st;
}

// One pass over the clips, writing the output.
class Joiner {
 public:
  Joiner(std::vector<Clip>& clips, Plan& plan, join::Output& output)
      : clips_(clips), plan_(plan), output_(output), packet_(av_packet_alloc()) {
    if (!packet_) throw std::bad_alloc();
  }

  double run() {
    add_streams();
    output_.open();
    video_.emplace(output_, vst_);
    if (ast_ != nullptr) audio_.emplace(output_, ast_);
    for (size_t i = 0; i < clips_.size(); ++i) join_clip(i);
    if (audio_) audio_->finish(av_rescale_q(end_, vst_->time_base, ast_->time_base));
    output_.commit();
    return static_cast<double>(end_) * av_q2d(vst_->time_base);
  }

 private:
  void add_streams() {
    AVFormatContext* fmt = output_.format();
    const Clip& first = clips_[0];
    if (plan_.any_copied_video()) {
      vst_ = add_stream(fmt, first.video->codecpar, first.video->time_base);
    } else {
      vst_ = add_stream(fmt, plan_.x264_ready.get());
    }
    set_display_matrix(vst_, first.display_matrix);
    if (plan_.splice) {
      const AVCodecParameters* par = vst_->codecpar;
      auto sets = join::h264::parse_extradata(par->extradata, par->extradata_size);
      nal_length_size_ = sets ? sets->length_size : 4;
    }
    if (plan_.audio_ref == nullptr) return;
    const AVStream* ref = plan_.audio_ref->audio;
    if (plan_.any_copied_audio()) {
      ast_ = add_stream(fmt, ref->codecpar, {1, ref->codecpar->sample_rate});
      if (ast_->codecpar->frame_size <= 0 && ast_->codecpar->codec_id == AV_CODEC_ID_AAC) {
        ast_->codecpar->frame_size = 1024;
      }
    } else {
      ast_ = add_stream(fmt, plan_.aac_ready.get());
    }
  }

  void join_clip(size_t i) {
    Clip& clip = clips_[i];
    const int64_t start = end_;
    start_runs(i, start);
    if (audio_ && !plan_.encode_audio[i]) {
      int64_t trim = clip.duration > 0
                         ? av_rescale_q(clip.duration, clip.video->time_base, ast_->time_base)
                         : INT64_MAX;
      audio_->begin_piece(to_audio(start), trim);
    }
    if (venc_) venc_->begin_clip(clip);
    if (aenc_) {
      int64_t from = to_samples(start - audio_run_start_);
      int64_t expected =
          clip.duration > 0
              ? from + av_rescale_q(clip.duration, clip.video->time_base, {1, sample_rate()})
              : -1;
      aenc_->begin_clip(clip, from, expected);
    }

    int64_t extent = read(clip, start);

    if (venc_) {
      venc_->end_clip();
      end_ = video_run_start_ +
             av_rescale_q(venc_->frames(), venc_->context()->time_base, vst_->time_base);
    } else {
      if (extent <= 0) throw MediaError(clip.path, "has no video packets");
      end_ = start + av_rescale_q(extent, clip.video->time_base, vst_->time_base);
    }
    if (aenc_) aenc_->end_clip(to_samples(end_ - audio_run_start_));
    end_runs(i);
  }

  // Reads every packet of the clip once; returns how far its copied video
  // reaches past its start (clip's video time base).
  int64_t read(Clip& clip, int64_t start) {
    AVPacket* pkt = packet_.get();
    const AVRational vtb = clip.video->time_base;
    int64_t extent = 0;
    for (;;) {
      int err = av_read_frame(clip.fmt.get(), pkt);
      if (err == AVERROR_EOF) break;
      if (err < 0) throw MediaError(clip.path, join::failure("cannot be read to the end", err));
      if (pkt->stream_index == clip.video->index) {
        if (venc_) {
          venc_->send(pkt);
        } else {
          int64_t duration =
              pkt->duration > 0 ? pkt->duration : av_rescale_q(1, av_inv_q(clip.frame_rate), vtb);
          if (pkt->pts != AV_NOPTS_VALUE) {
            extent = std::max(extent, pkt->pts + duration - clip.start);
            pkt->pts -= clip.start;
          }
          if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= clip.start;
          video_->write(pkt, vtb, start);
        }
      } else if (audio_ && clip.audio != nullptr && pkt->stream_index == clip.audio->index) {
        if (aenc_) {
          aenc_->send(pkt);
        } else {
          int64_t shift = av_rescale_q(clip.start, vtb, clip.audio->time_base);
          if (pkt->pts != AV_NOPTS_VALUE) pkt->pts -= shift;
          if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= shift;
          audio_->add(pkt, clip.audio->time_base);
        }
      }
      av_packet_unref(pkt);
    }
    return extent;
  }

  // Encoders serve runs of consecutive re-encoded clips.
  void start_runs(size_t i, int64_t start) {
    if (plan_.encode_video[i] && !venc_) {
      video_run_start_ = start;
      venc_ = std::make_unique<join::VideoEncoder>(video_encoder(), plan_.video,
                                                   [this](AVPacket* p) { write_encoded_video(p); });
    }
    if (audio_ && plan_.encode_audio[i] && !aenc_) {
      audio_run_start_ = start;
      av::Codec enc = plan_.aac_ready ? std::move(plan_.aac_ready) : join::open_aac(plan_.audio);
      AVRational tb = enc->time_base;
      aenc_ = std::make_unique<join::AudioEncoder>(std::move(enc),
                                                   [this, tb](AVPacket* p) { audio_->add(p, tb); });
      audio_->begin_piece(to_audio(start));
    }
  }

  void end_runs(size_t i) {
    bool last = i + 1 == clips_.size();
    if (venc_ && (last || !plan_.encode_video[i + 1])) {
      venc_->finish();
      venc_.reset();
    }
    if (aenc_ && (last || !plan_.encode_audio[i + 1])) {
      aenc_->finish();
      aenc_.reset();
    }
  }

  av::Codec video_encoder() {
    if (plan_.x264_ready) return std::move(plan_.x264_ready);
    av::Codec enc = join::open_x264(plan_.video, plan_.x264);
    if (plan_.splice) {
      const AVCodecParameters* par = clips_[0].video->codecpar;
      auto want = join::h264::parse_extradata(par->extradata, par->extradata_size);
      auto got = join::h264::parse_extradata(enc->extradata, enc->extradata_size);
      if (!want || !got || !(*want == *got)) {
        throw std::runtime_error("libx264 gave other SPS/PPS on a second start");
      }
    }
    return enc;
  }

  void write_encoded_video(AVPacket* pkt) {
    // libx264 leaves durations unset; the last picture's is the track's end.
    if (pkt->duration <= 0) pkt->duration = 1;
    // Spliced among copied avc1 samples, the pictures must be length-prefixed
    // like them; otherwise the muxer converts libx264's Annex B itself.
    if (plan_.splice && !join::h264::annexb_to_mp4(pkt, nal_length_size_)) {
      throw std::runtime_error("libx264 gave a picture without NAL units");
    }
    video_->write(pkt, venc_->context()->time_base, video_run_start_);
  }

  int sample_rate() const { return ast_->codecpar->sample_rate; }
  int64_t to_audio(int64_t video_ts) const {
    return av_rescale_q(video_ts, vst_->time_base, ast_->time_base);
  }
  int64_t to_samples(int64_t video_ts) const {
    return av_rescale_q(video_ts, vst_->time_base, {1, sample_rate()});
  }

  std::vector<Clip>& clips_;
  Plan& plan_;
  join::Output& output_;
  av::Packet packet_;
  AVStream* vst_ = nullptr;
  AVStream* ast_ = nullptr;
  std::optional<join::VideoTrack> video_;
  std::optional<join::AudioTrack> audio_;
  std::unique_ptr<join::VideoEncoder> venc_;
  std::unique_ptr<join::AudioEncoder> aenc_;
  int nal_length_size_ = 4;  // of the copied avc1 samples, when splicing
  int64_t end_ = 0;          // where the video so far ends, output video time base
  int64_t video_run_start_ = 0;
  int64_t audio_run_start_ = 0;  // output video time base
};

}  // namespace

ConcatResult concat(const std::vector<std::string>& inputs, const std::string& out,
                    ConcatMode mode) {
  log::capture_ffmpeg_messages();
  if (inputs.empty()) throw MediaError(out, "no clips to join");
  try {
    join::Output output(out);
    std::vector<Clip> clips;
    clips.reserve(inputs.size());
    for (const std::string& path : inputs) clips.push_back(join::open_clip(path));
    Plan plan = make_plan(clips, mode);
    ConcatResult result;
    result.path = out;
    result.duration = Joiner(clips, plan, output).run();
    for (size_t i = 0; i < clips.size(); ++i) {
      result.reencoded.push_back(plan.encode_video[i] ||
                                 (plan.encode_audio[i] && clips[i].audio != nullptr));
    }
    return result;
  } catch (const MediaError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw MediaError(out, e.what());
  }
}

}  // namespace reel::media
