// The renderer's files (see render_output.hpp).
#include "host/sim/render_output.hpp"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "host/media/log.hpp"
#include "host/media/media.hpp"
#include "host/sim/render_picture.hpp"

namespace reel::sim::output {

namespace fs = std::filesystem;
using media::MediaError;

namespace {

// "what (FFmpeg's last complaint or the error code)".
std::string failure(const std::string& what, int err) {
  std::string detail = media::log::take_last_error();
  if (detail.empty() && err < 0) detail = media::av::error_text(err);
  return detail.empty() ? what : what + " (" + detail + ")";
}

}  // namespace

std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const fs::path p(path);
  if (p.filename().empty()) throw MediaError(path, "names a folder, not an output file");
  const fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw MediaError(path, "the folder " + folder.string() + " does not exist");
  }
  const std::string name = "." + p.filename().string() + "." + std::to_string(getpid()) + "-" +
                           std::to_string(counter++) + ".part";
  return (p.parent_path() / name).string();
}

TempFile::~TempFile() {
  if (!kept_) ::unlink(path_.c_str());
}

void TempFile::publish(const std::string& target) {
  if (::rename(path_.c_str(), target.c_str()) != 0) {
    throw MediaError(
        target, std::string("cannot move the finished file into place: ") + std::strerror(errno));
  }
  kept_ = true;
}

// ---------------------------------------------------------------------------
// MP4

namespace {

constexpr int kSampleRate = 48000;
constexpr double kTau = 6.283185307179586;

}  // namespace

Mp4Writer::Mp4Writer(const std::string& temp, const std::string& target, int width, int height,
                     int fps, const Tone* tone)
    : target_(target), fps_(fps), pkt_(av_packet_alloc()) {
  if (!pkt_) throw std::bad_alloc();
  media::log::capture_ffmpeg_messages();
  AVFormatContext* raw = nullptr;
  int err = avformat_alloc_output_context2(&raw, nullptr, "mp4", temp.c_str());
  if (err < 0) throw MediaError(target, failure("cannot set up MP4 output", err));
  fmt_.reset(raw);
  fmt_->flags |= AVFMT_FLAG_BITEXACT;  // no library version, no creation time
  open_video(width, height, fps);
  if (tone != nullptr) open_audio(*tone);

  err = avio_open(&fmt_->pb, temp.c_str(), AVIO_FLAG_WRITE);
  if (err < 0) throw MediaError(target, failure("cannot create the file", err));
  AVDictionary* mux = nullptr;
  av_dict_set(&mux, "movflags", "+faststart", 0);  // index first: plays while downloading
  err = avformat_write_header(fmt_.get(), &mux);
  av_dict_free(&mux);
  if (err < 0) throw MediaError(target, failure("cannot start the MP4", err));
}

Mp4Writer::~Mp4Writer() = default;

void Mp4Writer::open_video(int width, int height, int fps) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) throw MediaError(target_, "libx264 is not available in this FFmpeg");
  enc_.reset(avcodec_alloc_context3(codec));
  if (!enc_) throw std::bad_alloc();
  enc_->width = width;
  enc_->height = height;
  enc_->pix_fmt = AV_PIX_FMT_YUV420P;
  enc_->sample_aspect_ratio = AVRational{1, 1};
  enc_->time_base = AVRational{1, fps};
  enc_->framerate = AVRational{fps, 1};
  enc_->gop_size = 2 * fps;
  enc_->keyint_min = 2 * fps;
  enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_BITEXACT;
  // x264's output depends on its thread count; one thread makes it the same
  // on every machine (and the simulator renders several clips at once).
  enc_->thread_count = 1;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "preset", "ultrafast", 0);  // about 3x faster than veryfast
  av_dict_set(&opts, "crf", "23", 0);
  // A keyframe exactly every two seconds: no scene-cut keyframes.
  const std::string params = "keyint=" + std::to_string(2 * fps) +
                             ":min-keyint=" + std::to_string(2 * fps) + ":scenecut=0";
  av_dict_set(&opts, "x264-params", params.c_str(), 0);
  int err = avcodec_open2(enc_.get(), codec, &opts);
  av_dict_free(&opts);
  if (err < 0) throw MediaError(target_, failure("libx264 refused its settings", err));

  stream_ = avformat_new_stream(fmt_.get(), nullptr);
  if (stream_ == nullptr) throw std::bad_alloc();
  err = avcodec_parameters_from_context(stream_->codecpar, enc_.get());
  if (err < 0) throw MediaError(target_, failure("cannot set up the video track", err));
  stream_->time_base = enc_->time_base;
  stream_->avg_frame_rate = enc_->framerate;
}

void Mp4Writer::open_audio(const Tone& tone) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (codec == nullptr) throw MediaError(target_, "this FFmpeg has no AAC encoder");
  audio_enc_.reset(avcodec_alloc_context3(codec));
  samples_.reset(av_frame_alloc());
  if (!audio_enc_ || !samples_) throw std::bad_alloc();
  audio_enc_->sample_fmt = AV_SAMPLE_FMT_FLTP;
  audio_enc_->sample_rate = kSampleRate;
  audio_enc_->time_base = AVRational{1, kSampleRate};
  audio_enc_->bit_rate = 96000;
  audio_enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_BITEXACT;
  const AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  int err = av_channel_layout_copy(&audio_enc_->ch_layout, &stereo);
  if (err >= 0) err = avcodec_open2(audio_enc_.get(), codec, nullptr);
  if (err < 0) throw MediaError(target_, failure("the AAC encoder refused its settings", err));
  audio_stream_ = avformat_new_stream(fmt_.get(), nullptr);
  if (audio_stream_ == nullptr) throw std::bad_alloc();
  err = avcodec_parameters_from_context(audio_stream_->codecpar, audio_enc_.get());
  if (err < 0) throw MediaError(target_, failure("cannot set up the audio track", err));
  audio_stream_->time_base = audio_enc_->time_base;
  // A note between A3 and A4 and a slow swell, from the seed's two halves.
  pitch_ = 220.0 * std::pow(2.0, static_cast<double>(tone.seed % 1000) / 1000.0);
  pulse_ = 0.1 + static_cast<double>((tone.seed >> 32) % 1000) / 2500.0;
}

void Mp4Writer::add(AVFrame* frame) {
  frame->pts = frames_++;
  frame->pict_type = AV_PICTURE_TYPE_NONE;
  frame->sample_aspect_ratio = AVRational{1, 1};
  const int err = avcodec_send_frame(enc_.get(), frame);
  if (err < 0) throw MediaError(target_, failure("libx264 failed", err));
  drain(enc_.get(), stream_);
  // The sound keeps pace with the pictures, so the muxer interleaves them
  // without holding either back.
  if (audio_enc_) sound_until(av_rescale(frames_, kSampleRate, fps_), false);
}

void Mp4Writer::drain(AVCodecContext* enc, AVStream* stream) {
  for (;;) {
    int err = avcodec_receive_packet(enc, pkt_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) throw MediaError(target_, failure("encoding failed", err));
    if (enc == enc_.get()) pkt_->duration = 1;  // one frame, in the encoder's time base
    av_packet_rescale_ts(pkt_.get(), enc->time_base, stream->time_base);
    pkt_->stream_index = stream->index;
    err = av_interleaved_write_frame(fmt_.get(), pkt_.get());
    if (err < 0) throw MediaError(target_, failure("cannot write the MP4", err));
  }
}

void Mp4Writer::sound_until(int64_t end, bool last) {
  const int frame_size = audio_enc_->frame_size;
  while (sound_written_ < end) {
    const auto count = static_cast<int>(std::min<int64_t>(frame_size, end - sound_written_));
    if (count < frame_size && !last) return;
    av_frame_unref(samples_.get());
    samples_->nb_samples = count;
    samples_->format = AV_SAMPLE_FMT_FLTP;
    samples_->sample_rate = kSampleRate;
    int err = av_channel_layout_copy(&samples_->ch_layout, &audio_enc_->ch_layout);
    if (err >= 0) err = av_frame_get_buffer(samples_.get(), 0);
    if (err < 0) throw std::bad_alloc();
    auto* left = reinterpret_cast<float*>(samples_->data[0]);
    auto* right = reinterpret_cast<float*>(samples_->data[1]);
    for (int i = 0; i < count; ++i) {
      // From the sample's index, not a running phase: no drift, no state.
      const double t = static_cast<double>(sound_written_ + i) / kSampleRate;
      const double level = 0.06 * (0.6 + 0.4 * std::sin(kTau * pulse_ * t));
      left[i] = static_cast<float>(level * std::sin(kTau * pitch_ * t));
      right[i] = static_cast<float>(level * std::sin(kTau * pitch_ * 1.5 * t));  // a fifth up
    }
    samples_->pts = sound_written_;
    sound_written_ += count;
    err = avcodec_send_frame(audio_enc_.get(), samples_.get());
    if (err < 0) throw MediaError(target_, failure("AAC encoding failed", err));
    drain(audio_enc_.get(), audio_stream_);
  }
}

void Mp4Writer::finish() {
  int err = avcodec_send_frame(enc_.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF) throw MediaError(target_, failure("libx264 failed", err));
  drain(enc_.get(), stream_);
  if (audio_enc_) {
    sound_until(av_rescale(frames_, kSampleRate, fps_), true);
    err = avcodec_send_frame(audio_enc_.get(), nullptr);
    if (err < 0 && err != AVERROR_EOF) {
      throw MediaError(target_, failure("AAC encoding failed", err));
    }
    drain(audio_enc_.get(), audio_stream_);
  }
  err = av_write_trailer(fmt_.get());
  if (err < 0) throw MediaError(target_, failure("cannot finish the MP4", err));
  err = avio_closep(&fmt_->pb);
  if (err < 0) throw MediaError(target_, failure("cannot finish writing the MP4", err));
}

// ---------------------------------------------------------------------------
// JPEG

namespace {

// The picture in the full-range layout JPEG uses.
media::av::FramePtr full_range(const AVFrame* frame) {
  media::av::FramePtr out(av_frame_alloc());
  if (!out) throw std::bad_alloc();
  out->format = AV_PIX_FMT_YUVJ420P;
  out->width = frame->width;
  out->height = frame->height;
  if (av_frame_get_buffer(out.get(), 0) < 0) throw std::bad_alloc();
  SwsContext* sws =
      sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                     frame->width, frame->height, AV_PIX_FMT_YUVJ420P,
                     SWS_BICUBIC | SWS_ACCURATE_RND | SWS_BITEXACT, nullptr, nullptr, nullptr);
  if (sws == nullptr) throw std::runtime_error("cannot convert the cover to full range");
  sws_scale(sws, frame->data, frame->linesize, 0, frame->height, out->data, out->linesize);
  sws_freeContext(sws);
  return out;
}

void write_bytes(const std::string& temp, const std::string& target, const uint8_t* data,
                 size_t size) {
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) {
    throw MediaError(target, std::string("cannot create the file: ") + std::strerror(errno));
  }
  const bool written = std::fwrite(data, 1, size, file) == size;
  const int write_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    throw MediaError(target, std::string("cannot write the file: ") +
                                 std::strerror(written ? errno : write_errno));
  }
}

}  // namespace

void write_jpeg(const AVFrame* frame, const std::string& temp, const std::string& target) {
  media::log::capture_ffmpeg_messages();
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) throw MediaError(target, "this FFmpeg has no JPEG encoder");
  media::av::Codec enc(avcodec_alloc_context3(codec));
  media::av::Packet pkt(av_packet_alloc());
  if (!enc || !pkt) throw std::bad_alloc();
  media::av::FramePtr picture = full_range(frame);
  enc->width = frame->width;
  enc->height = frame->height;
  enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
  enc->time_base = AVRational{1, 25};  // required, though there is one picture
  enc->flags |= AV_CODEC_FLAG_BITEXACT | AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * 3;  // fixed quality: about what `ffmpeg -q:v 3` gives
  picture->quality = enc->global_quality;
  picture->pts = 0;
  int err = avcodec_open2(enc.get(), codec, nullptr);
  if (err >= 0) err = avcodec_send_frame(enc.get(), picture.get());
  if (err >= 0) err = avcodec_send_frame(enc.get(), nullptr);
  if (err >= 0) err = avcodec_receive_packet(enc.get(), pkt.get());
  if (err < 0) throw MediaError(target, failure("cannot encode the cover", err));
  write_bytes(temp, target, pkt->data, static_cast<size_t>(pkt->size));
}

// ---------------------------------------------------------------------------
// Source video

namespace {

// Degrees clockwise that turn the stream's pictures upright: its display
// matrix gives them counter-clockwise (as ffprobe's "rotation").
int clockwise_turn(const AVStream* st) {
  size_t size = 0;
#if LIBAVFORMAT_VERSION_MAJOR < 61
  const uint8_t* matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
#else
  const uint8_t* matrix = nullptr;
  const AVPacketSideData* side = av_packet_side_data_get(
      st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  if (side != nullptr) {
    matrix = side->data;
    size = side->size;
  }
#endif
  if (matrix == nullptr || size < 9 * sizeof(int32_t)) return 0;
  const double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(ccw)) return 0;
  const int quarter = static_cast<int>(std::lround(-ccw / 90));
  return ((quarter % 4 + 4) % 4) * 90;
}

}  // namespace

SourceVideo::SourceVideo(const std::string& path, int width, int height, int fps)
    : path_(path),
      width_(width),
      height_(height),
      fps_(fps),
      pkt_(av_packet_alloc()),
      decoded_(av_frame_alloc()) {
  if (!pkt_ || !decoded_) throw std::bad_alloc();
  media::log::capture_ffmpeg_messages();
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (err < 0) throw MediaError(path, failure("cannot open the video", err));
  fmt_.reset(raw);
  err = avformat_find_stream_info(fmt_.get(), nullptr);
  if (err < 0) throw MediaError(path, failure("cannot read the video", err));
  stream_ = av_find_best_stream(fmt_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (stream_ < 0) throw MediaError(path, "has no video");
  for (unsigned i = 0; i < fmt_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_) fmt_->streams[i]->discard = AVDISCARD_ALL;
  }
  const AVStream* st = fmt_->streams[stream_];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (codec == nullptr) throw MediaError(path, "no decoder for its video in this FFmpeg");
  dec_.reset(avcodec_alloc_context3(codec));
  if (!dec_) throw std::bad_alloc();
  err = avcodec_parameters_to_context(dec_.get(), st->codecpar);
  if (err >= 0) {
    dec_->pkt_timebase = st->time_base;
    dec_->thread_count = 0;  // decoding is exact whatever the threads
    err = avcodec_open2(dec_.get(), codec, nullptr);
  }
  if (err < 0) throw MediaError(path, failure("cannot decode its video", err));

  clockwise_ = clockwise_turn(st);
  double seconds = st->duration > 0 ? static_cast<double>(st->duration) * av_q2d(st->time_base)
                                    : static_cast<double>(fmt_->duration) / AV_TIME_BASE;
  if (!(seconds > 0)) throw MediaError(path, "its duration is unknown");
  slots_ = std::max<int64_t>(1, std::llround(seconds * fps));
}

SourceVideo::~SourceVideo() {
  sws_freeContext(sws_);
  sws_freeContext(sws_planar_);
}

const AVFrame* SourceVideo::next() {
  if (slot_ >= slots_) return nullptr;
  // Move on to the next decoded picture once its slot has come.
  while (!ended_ && (!upcoming_ || upcoming_slot_ <= slot_)) {
    if (upcoming_) current_ = std::move(upcoming_);
    if (!decode_one()) ended_ = true;
  }
  if (!current_) {
    if (!upcoming_) throw MediaError(path_, "has no video pictures that decode");
    current_ = std::move(upcoming_);  // the first picture starts late: show it from the start
    if (!decode_one()) ended_ = true;
  }
  ++slot_;
  return current_.get();
}

// Reads and decodes until a picture comes out; fits it into upcoming_.
bool SourceVideo::decode_one() {
  const AVStream* st = fmt_->streams[stream_];
  for (;;) {
    int err = avcodec_receive_frame(dec_.get(), decoded_.get());
    if (err >= 0) {
      const int64_t start = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
      const int64_t ts = decoded_->best_effort_timestamp;
      int64_t slot = upcoming_slot_ + 1;
      if (ts != AV_NOPTS_VALUE) {
        slot = av_rescale_q_rnd(ts - start, st->time_base, AVRational{1, fps_},
                                static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
      }
      upcoming_slot_ = std::max<int64_t>(slot, 0);
      upcoming_ = fit(decoded_.get());
      av_frame_unref(decoded_.get());
      return true;
    }
    if (err == AVERROR_EOF) return false;
    if (err != AVERROR(EAGAIN)) throw MediaError(path_, failure("its video does not decode", err));
    if (draining_) return false;
    err = av_read_frame(fmt_.get(), pkt_.get());
    if (err == AVERROR_EOF) {
      draining_ = true;
      err = avcodec_send_packet(dec_.get(), nullptr);  // the last pictures (pitfall 13)
    } else if (err < 0) {
      throw MediaError(path_, failure("cannot read the video", err));
    } else {
      if (pkt_->stream_index == stream_) err = avcodec_send_packet(dec_.get(), pkt_.get());
      av_packet_unref(pkt_.get());
    }
    if (err < 0 && err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
      throw MediaError(path_, failure("its video does not decode", err));
    }
  }
}

media::av::FramePtr SourceVideo::fit(const AVFrame* decoded) {
  media::av::FramePtr upright;
  if (clockwise_ != 0) {
    // Turned at its own size first (swscale cannot turn pictures).
    media::av::FramePtr planar;
    if (decoded->format != AV_PIX_FMT_YUV420P || decoded->width % 2 != 0 ||
        decoded->height % 2 != 0) {
      planar =
          picture::cover(path_, decoded, decoded->width & ~1, decoded->height & ~1, &sws_planar_);
      decoded = planar.get();
    }
    upright = picture::turn(decoded, clockwise_);
    decoded = upright.get();
  }
  if (decoded->width == width_ && decoded->height == height_ &&
      decoded->format == AV_PIX_FMT_YUV420P) {
    media::av::FramePtr copy = picture::blank(width_, height_);
    if (av_frame_copy(copy.get(), decoded) < 0) throw std::bad_alloc();
    return copy;
  }
  return picture::cover(path_, decoded, width_, height_, &sws_);
}

}  // namespace reel::sim::output
