#include "host/media/join_encode.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "host/media/media.hpp"

namespace reel::media::join {

namespace {

av::Codec open_decoder(const Clip& clip, const AVStream* st, const char* kind) {
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  std::string name = avcodec_get_name(st->codecpar->codec_id);
  if (codec == nullptr) {
    throw MediaError(clip.path, std::string("cannot decode its ") + kind + ": no " + name +
                                    " decoder in this FFmpeg");
  }
  av::Codec dec(avcodec_alloc_context3(codec));
  if (!dec) throw std::bad_alloc();
  int err = avcodec_parameters_to_context(dec.get(), st->codecpar);
  if (err >= 0) {
    dec->pkt_timebase = st->time_base;
    dec->thread_count = 0;  // FFmpeg's library default is one thread
    err = avcodec_open2(dec.get(), codec, nullptr);
  }
  if (err < 0) {
    throw MediaError(clip.path,
                     failure(std::string("cannot decode its ") + kind + " (" + name + ")", err));
  }
  return dec;
}

av::FramePtr new_frame() {
  av::FramePtr frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

av::Packet new_packet() {
  av::Packet pkt(av_packet_alloc());
  if (!pkt) throw std::bad_alloc();
  return pkt;
}

bool x264_takes(AVPixelFormat fmt) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr || codec->pix_fmts == nullptr) return fmt == AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == fmt) return true;
  }
  return false;
}

double sar_value(AVRational sar) {
  return sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0;
}

int even(double v) {
  return std::max(2, static_cast<int>(std::lround(v / 2)) * 2);
}

// Turns a planar 8-bit picture clockwise by 90, 180 or 270 degrees (swscale
// cannot rotate).
av::FramePtr rotate(const AVFrame* src, int degrees) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(src->format));
  av::FramePtr out = new_frame();
  out->format = src->format;
  bool swap = degrees != 180;
  out->width = swap ? src->height : src->width;
  out->height = swap ? src->width : src->height;
  if (av_frame_get_buffer(out.get(), 0) < 0) throw std::bad_alloc();
  for (int plane = 0; plane < 3 && src->data[plane] != nullptr; ++plane) {
    int sx = plane == 0 ? 0 : desc->log2_chroma_w;
    int sy = plane == 0 ? 0 : desc->log2_chroma_h;
    int w = AV_CEIL_RSHIFT(src->width, sx);
    int h = AV_CEIL_RSHIFT(src->height, sy);
    const uint8_t* s = src->data[plane];
    uint8_t* d = out->data[plane];
    ptrdiff_t sl = src->linesize[plane];
    ptrdiff_t dl = out->linesize[plane];
    for (ptrdiff_t y = 0; y < h; ++y) {
      for (ptrdiff_t x = 0; x < w; ++x) {
        uint8_t v = s[y * sl + x];
        if (degrees == 90) {
          d[x * dl + (h - 1 - y)] = v;
        } else if (degrees == 180) {
          d[(h - 1 - y) * dl + (w - 1 - x)] = v;
        } else {
          d[(w - 1 - x) * dl + y] = v;
        }
      }
    }
  }
  return out;
}

// A copy of `src` as yuv420p, for rotating: the one layout whose planes
// rotate without resampling chroma.
av::FramePtr to_yuv420p(const AVFrame* src) {
  av::FramePtr out = new_frame();
  out->format = AV_PIX_FMT_YUV420P;
  out->width = src->width;
  out->height = src->height;
  if (av_frame_get_buffer(out.get(), 0) < 0) throw std::bad_alloc();
  SwsContext* sws =
      sws_getContext(src->width, src->height, static_cast<AVPixelFormat>(src->format), src->width,
                     src->height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (sws == nullptr) throw std::runtime_error("cannot convert the picture to rotate it");
  sws_scale(sws, src->data, src->linesize, 0, src->height, out->data, out->linesize);
  sws_freeContext(sws);
  return out;
}

}  // namespace

VideoTarget video_target_of(const Clip& first) {
  const AVCodecParameters* par = first.video->codecpar;
  VideoTarget t;
  t.width = par->width;
  t.height = par->height;
  t.sar = par->sample_aspect_ratio;
  auto fmt = static_cast<AVPixelFormat>(par->format);
  t.pix_fmt = fmt != AV_PIX_FMT_NONE && x264_takes(fmt) ? fmt : AV_PIX_FMT_YUV420P;
  t.frame_rate = first.frame_rate;
  t.rotation = first.rotation;
  t.color_range = par->color_range;
  t.color_primaries = par->color_primaries;
  t.color_trc = par->color_trc;
  t.color_space = par->color_space;
  t.chroma_location = par->chroma_location;
  return t;
}

av::Codec open_x264(const VideoTarget& target, const X264Settings& settings) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) throw std::runtime_error("libx264 is not available in this FFmpeg");
  av::Codec enc(avcodec_alloc_context3(codec));
  if (!enc) throw std::bad_alloc();
  enc->width = target.width;
  enc->height = target.height;
  enc->pix_fmt = target.pix_fmt;
  enc->sample_aspect_ratio = target.sar;
  enc->time_base = av_inv_q(target.frame_rate);
  enc->framerate = target.frame_rate;
  enc->color_range = target.color_range;
  enc->color_primaries = target.color_primaries;
  enc->color_trc = target.color_trc;
  enc->colorspace = target.color_space;
  enc->chroma_sample_location = target.chroma_location;
  enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  enc->thread_count = 0;
  if (settings.level > 0) enc->level = settings.level;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "preset", "veryfast", 0);
  if (settings.crf >= 0) av_dict_set(&opts, "crf", std::to_string(settings.crf).c_str(), 0);
  if (!settings.params.empty()) av_dict_set(&opts, "x264-params", settings.params.c_str(), 0);
  int err = avcodec_open2(enc.get(), codec, &opts);
  av_dict_free(&opts);
  if (err < 0) throw std::runtime_error(failure("libx264 refused its settings", err));
  return enc;
}

VideoEncoder::VideoEncoder(av::Codec encoder, const VideoTarget& target, PacketSink sink)
    : enc_(std::move(encoder)),
      target_(target),
      sink_(std::move(sink)),
      decoded_(new_frame()),
      packet_(new_packet()) {}

VideoEncoder::~VideoEncoder() {
  sws_freeContext(sws_);
}

void VideoEncoder::begin_clip(const Clip& clip) {
  clip_ = &clip;
  dec_ = open_decoder(clip, clip.video, "video");
  next_slot_ = 0;
  pending_.reset();
  clip_slots_ = clip.duration > 0
                    ? av_rescale_q_rnd(clip.duration, clip.video->time_base,
                                       av_inv_q(target_.frame_rate), AV_ROUND_NEAR_INF)
                    : 0;
}

void VideoEncoder::send(const AVPacket* pkt) {
  int err = avcodec_send_packet(dec_.get(), pkt);
  if (err < 0 && err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
    throw MediaError(clip_->path, failure("its video does not decode", err));
  }
  receive_frames();
}

void VideoEncoder::receive_frames() {
  for (;;) {
    int err = avcodec_receive_frame(dec_.get(), decoded_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) throw MediaError(clip_->path, failure("its video does not decode", err));
    take(decoded_.get());
    av_frame_unref(decoded_.get());
  }
}

// Constant frame rate out: each decoded picture fills the output slots from
// its own time (rounded to a slot) until the next picture's, which repeats or
// drops pictures when the clip's rate differs from the target's.
void VideoEncoder::take(AVFrame* decoded) {
  int64_t slot = next_slot_;
  if (decoded->best_effort_timestamp != AV_NOPTS_VALUE) {
    slot = av_rescale_q_rnd(decoded->best_effort_timestamp - clip_->start, clip_->video->time_base,
                            av_inv_q(target_.frame_rate),
                            static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
    slot = std::max<int64_t>(slot, 0);
  }
  if (clip_slots_ > 0 && slot >= clip_slots_) return;  // past the clip's end (edit list)
  if (pending_) {
    while (next_slot_ < slot) emit();
  }
  pending_ = fit(decoded);
}

// The decoded picture as the target wants it: turned to the output's
// orientation, scaled to fit inside the target keeping its shape (display
// aspect, with sample aspect ratios), centred on black.
av::FramePtr VideoEncoder::fit(AVFrame* decoded) {
  AVFrame* src = decoded;
  av::FramePtr turned;
  AVRational src_sar = decoded->sample_aspect_ratio;
  if (src_sar.num <= 0) src_sar = clip_->video->codecpar->sample_aspect_ratio;
  int turn = ((clip_->rotation - target_.rotation) % 360 + 360) % 360;
  if (turn != 0) {
    av::FramePtr planar;
    if (src->format != AV_PIX_FMT_YUV420P && src->format != AV_PIX_FMT_YUVJ420P) {
      planar = to_yuv420p(src);
      src = planar.get();
    }
    turned = rotate(src, turn);
    src = turned.get();
    if (turn != 180 && src_sar.num > 0) src_sar = av_inv_q(src_sar);
  }
  const int W = target_.width;
  const int H = target_.height;
  bool same_shape = std::fabs(sar_value(src_sar) - sar_value(target_.sar)) < 1e-9;
  if (src->width == W && src->height == H && src->format == target_.pix_fmt && same_shape) {
    av::FramePtr copy(av_frame_clone(src));
    if (!copy) throw std::bad_alloc();
    return copy;
  }

  double src_aspect = src->width * sar_value(src_sar) / src->height;
  double dst_aspect = W * sar_value(target_.sar) / H;
  int box_w = W;
  int box_h = H;
  if (src_aspect > dst_aspect) {
    box_h = std::min(H, even(W * sar_value(target_.sar) / src_aspect));
  } else {
    box_w = std::min(W, even(H * src_aspect / sar_value(target_.sar)));
  }
  int x = ((W - box_w) / 2) & ~1;
  int y = ((H - box_h) / 2) & ~1;

  av::FramePtr out = new_frame();
  out->format = target_.pix_fmt;
  out->width = W;
  out->height = H;
  if (av_frame_get_buffer(out.get(), 0) < 0) throw std::bad_alloc();
  ptrdiff_t lines[4];
  for (int i = 0; i < 4; ++i) lines[i] = out->linesize[i];
  av_image_fill_black(out->data, lines, target_.pix_fmt, target_.color_range, W, H);

  sws_ =
      sws_getCachedContext(sws_, src->width, src->height, static_cast<AVPixelFormat>(src->format),
                           box_w, box_h, target_.pix_fmt, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (sws_ == nullptr) throw MediaError(clip_->path, "cannot scale its pictures");
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(target_.pix_fmt);
  uint8_t* dst[4] = {};
  for (int c = 0; c < desc->nb_components; ++c) {
    int plane = desc->comp[c].plane;
    int sx = (c == 1 || c == 2) ? desc->log2_chroma_w : 0;
    int sy = (c == 1 || c == 2) ? desc->log2_chroma_h : 0;
    dst[plane] = out->data[plane] + static_cast<ptrdiff_t>(y >> sy) * out->linesize[plane] +
                 static_cast<ptrdiff_t>(x >> sx) * desc->comp[c].step;
  }
  sws_scale(sws_, src->data, src->linesize, 0, src->height, dst, out->linesize);
  return out;
}

void VideoEncoder::emit() {
  AVFrame* frame = pending_.get();
  frame->pts = run_frames_ + next_slot_;
  frame->sample_aspect_ratio = target_.sar;
  // Each clip starts with a keyframe: a clean cut, and a point to seek to.
  frame->pict_type = next_slot_ == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  int err = avcodec_send_frame(enc_.get(), frame);
  if (err < 0) throw MediaError(clip_->path, failure("re-encoding its video failed", err));
  ++next_slot_;
  receive_packets();
}

void VideoEncoder::receive_packets() {
  for (;;) {
    int err = avcodec_receive_packet(enc_.get(), packet_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) throw std::runtime_error(failure("libx264 failed", err));
    sink_(packet_.get());
    av_packet_unref(packet_.get());
  }
}

void VideoEncoder::end_clip() {
  int err = avcodec_send_packet(dec_.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF) {
    throw MediaError(clip_->path, failure("its video does not decode", err));
  }
  receive_frames();
  if (!pending_) throw MediaError(clip_->path, "has no video pictures that decode");
  int64_t slots = std::max(clip_slots_, next_slot_ + 1);
  while (next_slot_ < slots) emit();
  run_frames_ += next_slot_;
  pending_.reset();
  dec_.reset();
  clip_ = nullptr;
}

void VideoEncoder::finish() {
  int err = avcodec_send_frame(enc_.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF) throw std::runtime_error(failure("libx264 failed", err));
  receive_packets();
}

av::Codec open_aac(const AudioTarget& target) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (codec == nullptr) throw std::runtime_error("no AAC encoder in this FFmpeg");
  av::Codec enc(avcodec_alloc_context3(codec));
  if (!enc) throw std::bad_alloc();
  enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
  enc->sample_rate = target.sample_rate;
  enc->time_base = {1, target.sample_rate};
  enc->bit_rate = target.bit_rate;
  enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int err = av_channel_layout_copy(&enc->ch_layout, &target.layout);
  if (err >= 0) err = avcodec_open2(enc.get(), codec, nullptr);
  if (err < 0) throw std::runtime_error(failure("the AAC encoder refused its settings", err));
  return enc;
}

AudioEncoder::AudioEncoder(av::Codec encoder, PacketSink sink)
    : enc_(std::move(encoder)),
      sink_(std::move(sink)),
      channels_(enc_->ch_layout.nb_channels),
      frame_size_(enc_->frame_size > 0 ? enc_->frame_size : 1024),
      pending_(static_cast<size_t>(channels_)),
      frame_(new_frame()),
      packet_(new_packet()),
      decoded_(new_frame()),
      converted_(static_cast<size_t>(channels_)) {}

AudioEncoder::~AudioEncoder() {
  swr_free(&swr_);
}

void AudioEncoder::begin_clip(const Clip& clip, int64_t start, int64_t expected_end) {
  clip_ = &clip;
  clip_start_ = start;
  limit_ = expected_end >= 0 ? expected_end : INT64_MAX;
  placed_ = false;
  skip_ = 0;
  swr_free(&swr_);
  if (written() < start) append_silence(start - written());
  if (clip.audio != nullptr) dec_ = open_decoder(clip, clip.audio, "audio");
}

void AudioEncoder::send(const AVPacket* pkt) {
  int err = avcodec_send_packet(dec_.get(), pkt);
  if (err < 0 && err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
    throw MediaError(clip_->path, failure("its audio does not decode", err));
  }
  receive_frames();
}

void AudioEncoder::receive_frames() {
  for (;;) {
    int err = avcodec_receive_frame(dec_.get(), decoded_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) throw MediaError(clip_->path, failure("its audio does not decode", err));
    take(decoded_.get());
    av_frame_unref(decoded_.get());
  }
}

void AudioEncoder::take(const AVFrame* frame) {
  if (!placed_) {
    placed_ = true;
    place(frame);
    open_resampler(frame);
  }
  if (swr_ == nullptr) {
    append(frame->extended_data, frame->nb_samples);
    return;
  }
  int room = std::max(swr_get_out_samples(swr_, frame->nb_samples), 0);
  std::vector<uint8_t*> out = converted_planes(room);
  int got = swr_convert(swr_, out.data(), room, const_cast<const uint8_t**>(frame->extended_data),
                        frame->nb_samples);
  if (got < 0) throw MediaError(clip_->path, failure("cannot resample its audio", got));
  append(out.data(), got);
}

// Where the clip's sound starts against its video, from its first decoded
// frame: pad with silence or skip samples so that it lands there.
void AudioEncoder::place(const AVFrame* first) {
  const AVRational samples{1, enc_->sample_rate};
  int64_t rel = 0;
  if (first->pts != AV_NOPTS_VALUE) {
    rel = av_rescale_q(first->pts, clip_->audio->time_base, samples) -
          av_rescale_q(clip_->start, clip_->video->time_base, samples);
  }
  int64_t want = clip_start_ + rel;
  if (want > written()) {
    append_silence(want - written());
  } else {
    skip_ = written() - want;
  }
}

// A resampler to the encoder's format, rate and layout, unless the decoder
// already gives exactly that.
void AudioEncoder::open_resampler(const AVFrame* frame) {
  AVChannelLayout in_layout;
  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
    av_channel_layout_default(&in_layout, frame->ch_layout.nb_channels);
  } else {
    av_channel_layout_copy(&in_layout, &frame->ch_layout);
  }
  bool same = frame->format == AV_SAMPLE_FMT_FLTP && frame->sample_rate == enc_->sample_rate &&
              av_channel_layout_compare(&in_layout, &enc_->ch_layout) == 0;
  int err = 0;
  if (!same) {
    err = swr_alloc_set_opts2(&swr_, &enc_->ch_layout, AV_SAMPLE_FMT_FLTP, enc_->sample_rate,
                              &in_layout, static_cast<AVSampleFormat>(frame->format),
                              frame->sample_rate, 0, nullptr);
    if (err >= 0) err = swr_init(swr_);
  }
  av_channel_layout_uninit(&in_layout);
  if (err < 0) throw MediaError(clip_->path, failure("cannot resample its audio", err));
}

std::vector<uint8_t*> AudioEncoder::converted_planes(int samples) {
  std::vector<uint8_t*> planes(static_cast<size_t>(channels_));
  for (int c = 0; c < channels_; ++c) {
    converted_[c].resize(static_cast<size_t>(samples));
    planes[c] = reinterpret_cast<uint8_t*>(converted_[c].data());
  }
  return planes;
}

void AudioEncoder::append(const uint8_t* const* planes, int64_t count) {
  int64_t from = std::min(skip_, count);
  skip_ -= from;
  int64_t keep = std::min(count - from, std::max<int64_t>(limit_ - written(), 0));
  if (keep <= 0) return;
  for (int c = 0; c < channels_; ++c) {
    const auto* samples = reinterpret_cast<const float*>(planes[c]) + from;
    pending_[c].insert(pending_[c].end(), samples, samples + keep);
  }
  // Encode as it comes, but hold back the stretch the clip's true end may cut.
  if (limit_ != INT64_MAX) encode_until(limit_ - enc_->sample_rate / 10);
}

void AudioEncoder::append_silence(int64_t count) {
  for (auto& plane : pending_) plane.insert(plane.end(), static_cast<size_t>(count), 0.0f);
}

void AudioEncoder::end_clip(int64_t end) {
  if (dec_) {
    int err = avcodec_send_packet(dec_.get(), nullptr);
    if (err < 0 && err != AVERROR_EOF) {
      throw MediaError(clip_->path, failure("its audio does not decode", err));
    }
    receive_frames();
    if (swr_ != nullptr) {
      // What the resampler still holds.
      constexpr int kRoom = 4096;
      for (;;) {
        std::vector<uint8_t*> out = converted_planes(kRoom);
        int got = swr_convert(swr_, out.data(), kRoom, nullptr, 0);
        if (got <= 0) break;
        append(out.data(), got);
      }
    }
  }
  if (written() < end) {
    append_silence(end - written());
  } else if (written() > end) {
    auto keep = static_cast<size_t>(std::max<int64_t>(end - pending_from_, 0));
    for (auto& plane : pending_) plane.resize(std::min(plane.size(), keep));
  }
  encode_until(end);
  dec_.reset();
  swr_free(&swr_);
  clip_ = nullptr;
}

void AudioEncoder::finish() {
  encode_until(written());
  if (!pending_[0].empty()) {
    // The last, short frame.
    encode(0, static_cast<int>(pending_[0].size()));
    pending_from_ += static_cast<int64_t>(pending_[0].size());
    for (auto& plane : pending_) plane.clear();
  }
  int err = avcodec_send_frame(enc_.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF) throw std::runtime_error(failure("AAC encoding failed", err));
  receive_packets();
}

// Encodes whole frames that end at or before `limit`.
void AudioEncoder::encode_until(int64_t limit) {
  size_t used = 0;
  const size_t total = pending_[0].size();
  while (total - used >= static_cast<size_t>(frame_size_) &&
         pending_from_ + static_cast<int64_t>(used) + frame_size_ <= limit) {
    encode(used, frame_size_);
    used += static_cast<size_t>(frame_size_);
  }
  if (used == 0) return;
  for (auto& plane : pending_)
    plane.erase(plane.begin(), plane.begin() + static_cast<ptrdiff_t>(used));
  pending_from_ += static_cast<int64_t>(used);
}

// Sends `count` pending samples from `from` on as one frame.
void AudioEncoder::encode(size_t from, int count) {
  frame_->nb_samples = count;
  frame_->format = AV_SAMPLE_FMT_FLTP;
  frame_->sample_rate = enc_->sample_rate;
  av_channel_layout_copy(&frame_->ch_layout, &enc_->ch_layout);
  if (av_frame_get_buffer(frame_.get(), 0) < 0) throw std::bad_alloc();
  for (int c = 0; c < channels_; ++c) {
    std::memcpy(frame_->extended_data[c], pending_[c].data() + from,
                sizeof(float) * static_cast<size_t>(count));
  }
  frame_->pts = pending_from_ + static_cast<int64_t>(from);
  int err = avcodec_send_frame(enc_.get(), frame_.get());
  av_frame_unref(frame_.get());
  if (err < 0) throw std::runtime_error(failure("AAC encoding failed", err));
  receive_packets();
}

void AudioEncoder::receive_packets() {
  for (;;) {
    int err = avcodec_receive_packet(enc_.get(), packet_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) throw std::runtime_error(failure("AAC encoding failed", err));
    sink_(packet_.get());
    av_packet_unref(packet_.get());
  }
}

}  // namespace reel::media::join
