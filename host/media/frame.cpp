// extract_frame: one frame of a video (or a still image) written as an RGB
// PNG, pixel for pixel what the ffmpeg CLI writes for the same frame:
//   first   `ffmpeg -i F -frames:v 1 -pix_fmt rgb24 out.png`
//   at=t    `ffmpeg -ss t -i F -frames:v 1 -pix_fmt rgb24 out.png` (accurate seek)
//   last    `ffmpeg -sseof -1 -i F -update 1 -pix_fmt rgb24 out.png`
// Like the CLI it turns the picture as the display matrix says and keeps the
// stored size of anamorphic video (the PNG carries the aspect ratio instead).
//
// Speed comes from doing only what the answer needs: other streams are
// discarded by the demuxer, the decoder runs on all cores (frame threads), the
// last frame decodes only the last GOP, and exactly one frame is converted and
// encoded (the CLI converts and encodes every frame after the seek point).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "host/media/av.hpp"
#include "host/media/log.hpp"
#include "host/media/media.hpp"
#include "host/media/picture.hpp"
#include "host/media/png_file.hpp"
#include "host/media/sniff.hpp"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace reel::media {

namespace {

// ---------------------------------------------------------------------------
// Messages

// " (detail)" from FFmpeg's log, else from the error code, else "".
std::string detail_suffix(int err) {
  std::string detail = log::take_last_error();
  if (detail.empty() && err < 0) detail = av::error_text(err);
  return detail.empty() ? "" : " (" + detail + ")";
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string duration_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

// reel refuses pictures beyond kMaxDimension a side, as check() does.
void check_dimensions(const std::string& path, int width, int height) {
  if (width <= kMaxDimension && height <= kMaxDimension) return;
  throw MediaError(path, "the picture is " + std::to_string(width) + "x" + std::to_string(height) +
                             "; reel handles at most " + std::to_string(kMaxDimension) +
                             " px per side");
}

// Images are checked by their bytes before FFmpeg sees them: its decoders
// conceal a cut-short JPEG (grey below the cut) and learn a picture's size
// only by decoding all of it.
void check_image_bytes(const std::string& path) {
  const sniff::Image image = sniff::image(path);
  if (image.type == sniff::ImageType::none) return;
  if (!image.problem.empty()) throw MediaError(path, image.problem);
  check_dimensions(path, image.width, image.height);
}

// ---------------------------------------------------------------------------
// Opening

// A container opened on its best video stream, with a decoder ready for it.
struct Source {
  std::string path;
  av::InputFormat fmt;
  AVStream* stream = nullptr;
  av::Codec decoder;
};

[[noreturn]] void throw_open_failure(const std::string& path, int err) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) == 0 && !ec) {
    throw MediaError(path, "the file is empty (0 bytes)");
  }
  if (err == AVERROR(ENOENT)) throw MediaError(path, "file not found");
  if (err == AVERROR(EACCES)) throw MediaError(path, "permission denied: cannot read the file");
  const std::string detail = log::take_last_error();
  if (detail.find("moov atom not found") != std::string::npos && sniff::starts_like_mp4(path)) {
    throw MediaError(path,
                     "not a complete MP4/MOV: its index (moov atom) is missing, so the file is "
                     "truncated or damaged; download or export it again");
  }
  if (err == AVERROR_INVALIDDATA) {
    throw MediaError(path, "not a video or image that FFmpeg can read" +
                               (detail.empty() ? "" : " (" + detail + ")"));
  }
  throw MediaError(path,
                   "cannot open the file: " + (detail.empty() ? av::error_text(err) : detail));
}

[[noreturn]] void throw_no_video(const Source& src) {
  for (unsigned i = 0; i < src.fmt->nb_streams; ++i) {
    if (src.fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      throw MediaError(src.path, "has no video stream (it is audio only), so it has no frames");
    }
  }
  throw MediaError(src.path, "has no video stream, so it has no frames");
}

av::Codec open_decoder(const Source& src, const AVCodec* codec) {
  av::Codec ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw MediaError(src.path, "out of memory");
  int err = avcodec_parameters_to_context(ctx.get(), src.stream->codecpar);
  if (err >= 0) {
    ctx->pkt_timebase = src.stream->time_base;
    // Library users get one thread by default (pitfall 13); 0 = one per core.
    // Frame threads are what make long-GOP H.264 fast; decoders stay bit-exact.
    ctx->thread_count = 0;
    ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    err = avcodec_open2(ctx.get(), codec, nullptr);
  }
  if (err < 0) {
    throw MediaError(
        src.path, std::string("cannot start the ") + codec->name + " decoder" + detail_suffix(err));
  }
  return ctx;
}

Source open_source(const std::string& path) {
  Source src;
  src.path = path;
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (err < 0) throw_open_failure(path, err);
  src.fmt.reset(raw);
  err = avformat_find_stream_info(src.fmt.get(), nullptr);
  if (err < 0) {
    throw MediaError(
        path, "cannot read the streams; the file is damaged or truncated" + detail_suffix(err));
  }
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(src.fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index == AVERROR_STREAM_NOT_FOUND) throw_no_video(src);
  if (index < 0 || codec == nullptr) {
    const AVCodecDescriptor* desc = nullptr;
    for (unsigned i = 0; i < src.fmt->nb_streams && desc == nullptr; ++i) {
      if (src.fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        desc = avcodec_descriptor_get(src.fmt->streams[i]->codecpar->codec_id);
      }
    }
    throw MediaError(path, std::string("this FFmpeg build has no decoder for its video (") +
                               (desc != nullptr ? desc->name : "unknown codec") + ")");
  }
  src.stream = src.fmt->streams[index];
  check_dimensions(path, src.stream->codecpar->width, src.stream->codecpar->height);
  // The demuxer then skips audio and everything else instead of handing it over.
  for (unsigned i = 0; i < src.fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != index) src.fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  src.decoder = open_decoder(src, codec);
  return src;
}

// Still images come from the image demuxers (png_pipe, jpeg_pipe, image2...).
bool is_still_image(const Source& src) {
  const std::string_view name = src.fmt->iformat->name;
  return name == "image2" || name == "image2pipe" ||
         (name.size() > 5 && name.substr(name.size() - 5) == "_pipe");
}

// ---------------------------------------------------------------------------
// Time: seconds from the file's start, as the CLI's -ss counts them.

int64_t origin_us(const Source& src) {
  return src.fmt->start_time != AV_NOPTS_VALUE ? src.fmt->start_time : 0;
}

int64_t stream_ts_at(const Source& src, double seconds) {
  const auto us = static_cast<int64_t>(std::llround(seconds * AV_TIME_BASE)) + origin_us(src);
  return av_rescale_q(us, AV_TIME_BASE_Q, src.stream->time_base);
}

double seconds_of(const Source& src, int64_t ts) {
  if (ts == AV_NOPTS_VALUE) return 0;
  return ts * av_q2d(src.stream->time_base) - origin_us(src) / double(AV_TIME_BASE);
}

// The video's length in seconds: the stream's, else the container's (WebM
// streams carry none, pitfall 16); 0 when neither says.
double duration_of(const Source& src) {
  if (src.stream->duration != AV_NOPTS_VALUE && src.stream->duration > 0) {
    return src.stream->duration * av_q2d(src.stream->time_base);
  }
  if (src.fmt->duration != AV_NOPTS_VALUE && src.fmt->duration > 0) {
    return src.fmt->duration / double(AV_TIME_BASE);
  }
  return 0;
}

double frame_interval(const Source& src) {
  AVRational rate = src.stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = src.stream->r_frame_rate;
  return rate.num > 0 && rate.den > 0 ? av_q2d(av_inv_q(rate)) : 0;
}

int64_t frame_ts(const AVFrame* frame) {
  return frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
}

// ---------------------------------------------------------------------------
// Decoding

// Frames of the source's video stream in presentation order, through the end
// of the stream: at end of input the decoder is drained, or the last frames
// (B-frames, frame threads' backlog) would be lost (pitfall 13).
class FrameReader {
 public:
  explicit FrameReader(Source& src) : src_(src), packet_(av_packet_alloc()) {
    if (!packet_) throw MediaError(src.path, "out of memory");
  }

  // Fills `frame` and returns true, or returns false when nothing is left.
  bool next(AVFrame* frame) {
    int errors_in_a_row = 0;
    for (;;) {
      av_frame_unref(frame);
      const int got = avcodec_receive_frame(src_.decoder.get(), frame);
      if (got == 0) return true;
      if (got == AVERROR_EOF) return false;
      if (got == AVERROR(EAGAIN)) {
        if (!feed()) return false;
        errors_in_a_row = 0;
        continue;
      }
      // A damaged frame: the CLI reports it and moves on, and so do we. The
      // bound only guards against a decoder that keeps failing without input.
      note_decode_error(got);
      if (++errors_in_a_row > 64) return false;
    }
  }

  // After a seek: drop the decoder's backlog and start reading afresh.
  void restart() {
    avcodec_flush_buffers(src_.decoder.get());
    draining_ = false;
    packets_ = 0;
    first_packet_key_ = false;
  }

  // Whether reading began at a keyframe, so frames after a seek are whole.
  bool started_at_keyframe() const { return packets_ > 0 && first_packet_key_; }
  // Why the input looked damaged (a read error, a packet cut short), "" if not.
  const std::string& damage() const { return damage_; }
  const std::string& decode_error() const { return decode_error_; }

 private:
  // Sends the decoder one packet of our stream, or the end-of-stream marker.
  // Returns false only when the decoder has nothing more coming.
  bool feed() {
    if (draining_) return false;
    for (;;) {
      const int err = av_read_frame(src_.fmt.get(), packet_.get());
      if (err < 0) {
        if (err != AVERROR_EOF) damage_ = av::error_text(err);
        // FFmpeg's own words are more precise ("offset 0x242d64: partial file").
        if (!damage_.empty()) {
          if (std::string detail = log::take_last_error(); !detail.empty()) damage_ = detail;
        }
        draining_ = true;
        // With frame threads a failed last frame reports here, not on receive.
        const int drained = avcodec_send_packet(src_.decoder.get(), nullptr);
        if (drained < 0 && drained != AVERROR_EOF) note_decode_error(drained);
        return true;
      }
      if (packet_->stream_index != src_.stream->index) {
        av_packet_unref(packet_.get());
        continue;
      }
      if (packets_++ == 0) first_packet_key_ = (packet_->flags & AV_PKT_FLAG_KEY) != 0;
      // A packet cut short by the end of the file; the demuxer then says EOF.
      if ((packet_->flags & AV_PKT_FLAG_CORRUPT) != 0) damage_ = "a packet is cut short";
      const int sent = avcodec_send_packet(src_.decoder.get(), packet_.get());
      av_packet_unref(packet_.get());
      if (sent < 0 && sent != AVERROR(EAGAIN)) note_decode_error(sent);
      return true;
    }
  }

  void note_decode_error(int err) {
    const std::string detail = log::take_last_error();
    decode_error_ = detail.empty() ? av::error_text(err) : detail;
  }

  Source& src_;
  av::Packet packet_;
  bool draining_ = false;
  int64_t packets_ = 0;
  bool first_packet_key_ = false;
  std::string damage_;
  std::string decode_error_;
};

av::FramePtr new_frame(const Source& src) {
  av::FramePtr frame(av_frame_alloc());
  if (!frame) throw MediaError(src.path, "out of memory");
  return frame;
}

// Seeks to the keyframe at or before `ts` (stream time base).
bool seek_back(Source& src, FrameReader& reader, int64_t ts) {
  if (av_seek_frame(src.fmt.get(), src.stream->index, ts, AVSEEK_FLAG_BACKWARD) < 0) {
    log::take_last_error();  // a failed seek is not the user's problem: we fall back
    return false;
  }
  reader.restart();
  return true;
}

// The frame with the latest presentation time from here to the end. The
// stream's frames come out in presentation order, so that is the last one.
av::FramePtr decode_to_end(Source& src, FrameReader& reader) {
  av::FramePtr kept;
  av::FramePtr frame = new_frame(src);
  while (reader.next(frame.get())) {
    if (!kept) kept = new_frame(src);
    av_frame_unref(kept.get());
    av_frame_move_ref(kept.get(), frame.get());
  }
  return kept;
}

// The first frame shown at or after `ts`, else the last frame there is.
// `started_late` tells whether the very first frame decoded was already past
// `ts`, i.e. the seek landed after the target and frames before were skipped.
av::FramePtr decode_until(Source& src, FrameReader& reader, int64_t ts, bool* started_late) {
  av::FramePtr kept;
  av::FramePtr frame = new_frame(src);
  bool first = true;
  while (reader.next(frame.get())) {
    const int64_t pts = frame_ts(frame.get());
    if (first && started_late != nullptr) *started_late = pts != AV_NOPTS_VALUE && pts > ts;
    first = false;
    if (!kept) kept = new_frame(src);
    av_frame_unref(kept.get());
    av_frame_move_ref(kept.get(), frame.get());
    if (pts == AV_NOPTS_VALUE || pts >= ts) break;
  }
  return kept;
}

[[noreturn]] void throw_no_frame(const Source& src, const FrameReader& reader) {
  std::string why = reader.decode_error();
  if (why.empty()) why = reader.damage();
  const char* what = is_still_image(src) ? "the image" : "any video frame";
  throw MediaError(src.path, std::string("cannot decode ") + what +
                                 "; the file is damaged or truncated" +
                                 (why.empty() ? "" : " (" + why + ")"));
}

// Decoding stopped at `reached` seconds. When that is short of the stream's
// end because the input was damaged, the frame asked for may be in the part
// that is missing: say so instead of handing back an earlier frame (the CLI
// exits 0 there, pitfall 18).
void check_read_to_end(const Source& src, const FrameReader& reader, double reached) {
  if (reader.damage().empty()) return;
  const double duration = duration_of(src);
  if (duration > 0 && reached + 2 * frame_interval(src) >= duration) return;
  throw MediaError(src.path, "the file is truncated: its video stops at " + duration_text(reached) +
                                 " s" +
                                 (duration > 0 ? " of " + duration_text(duration) + " s" : "") +
                                 " (" + reader.damage() + "); download or export it again");
}

av::FramePtr first_frame(Source& src) {
  FrameReader reader(src);
  av::FramePtr frame = new_frame(src);
  if (!reader.next(frame.get())) throw_no_frame(src, reader);
  return frame;
}

// Where the video ends, in its time base; AV_NOPTS_VALUE when unknown.
int64_t end_ts(const Source& src) {
  const AVStream* st = src.stream;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
    return (st->start_time != AV_NOPTS_VALUE ? st->start_time : 0) + st->duration;
  }
  const double duration = duration_of(src);
  return duration > 0 ? stream_ts_at(src, duration) : AV_NOPTS_VALUE;
}

// The last GOP decoded to the end after a seek to the last keyframe; null
// when the seek cannot be trusted (no index, or it did not land on a
// keyframe). For a single-GOP file that keyframe is frame 0: all of it.
av::FramePtr last_frame_after_seek(Source& src) {
  const int64_t end = end_ts(src);
  if (end == AV_NOPTS_VALUE) return nullptr;
  FrameReader reader(src);
  if (!seek_back(src, reader, end)) return nullptr;
  av::FramePtr frame = decode_to_end(src, reader);
  if (!frame || !reader.started_at_keyframe()) return nullptr;
  check_read_to_end(src, reader, seconds_of(src, frame_ts(frame.get())));
  return frame;
}

// The true last frame. The fallback decodes everything from a fresh start.
av::FramePtr last_frame(Source& src) {
  if (av::FramePtr frame = last_frame_after_seek(src)) return frame;
  src = open_source(src.path);
  FrameReader reader(src);
  av::FramePtr frame = decode_to_end(src, reader);
  if (!frame) throw_no_frame(src, reader);
  check_read_to_end(src, reader, seconds_of(src, frame_ts(frame.get())));
  return frame;
}

void check_time_in_range(const Source& src, double at) {
  if (!std::isfinite(at) || at < 0) {
    throw MediaError(src.path,
                     "at=" + seconds_text(at) + " s is not a time in the clip; use 0 or more");
  }
  if (is_still_image(src)) {
    if (at != 0) {
      throw MediaError(src.path, "at=" + seconds_text(at) +
                                     " s but this is a still image; use at=0, first or last");
    }
    return;
  }
  const double duration = duration_of(src);
  // Up to one frame past the end is the last frame: durations are rounded.
  if (duration > 0 && at > duration + frame_interval(src) + 1e-6) {
    throw MediaError(src.path, "at=" + seconds_text(at) + " s but the clip is " +
                                   duration_text(duration) + " s long");
  }
}

// A frame before `target` means the frame asked for is past the end, which
// is fine unless reading stopped early.
void check_reached(const Source& src, const FrameReader& reader, const AVFrame* frame,
                   int64_t target) {
  const int64_t pts = frame_ts(frame);
  if (pts != AV_NOPTS_VALUE && pts < target) check_read_to_end(src, reader, seconds_of(src, pts));
}

// Seeks to the keyframe before `target` and decodes forward to it; null when
// the seek cannot be trusted (no index, not a keyframe, landed after it).
av::FramePtr frame_at_after_seek(Source& src, int64_t target) {
  FrameReader reader(src);
  if (!seek_back(src, reader, target)) return nullptr;
  bool started_late = false;
  av::FramePtr frame = decode_until(src, reader, target, &started_late);
  if (!frame || !reader.started_at_keyframe() || started_late) return nullptr;
  check_reached(src, reader, frame.get(), target);
  return frame;
}

// The first frame shown at or after `at` seconds, or the last frame when `at`
// is past it. Times at the start need no seek; a failed seek falls back to
// decoding from a fresh start.
av::FramePtr frame_at(Source& src, double at) {
  check_time_in_range(src, at);
  const int64_t target = stream_ts_at(src, at);
  const int64_t start = src.stream->start_time != AV_NOPTS_VALUE ? src.stream->start_time : 0;
  if (target > start) {
    if (av::FramePtr frame = frame_at_after_seek(src, target)) return frame;
    src = open_source(src.path);
  }
  FrameReader reader(src);
  av::FramePtr frame = decode_until(src, reader, target, nullptr);
  if (!frame) throw_no_frame(src, reader);
  check_reached(src, reader, frame.get(), target);
  return frame;
}

// ---------------------------------------------------------------------------
// As displayed: turned as the display matrix says, at the size asked for
// (the pixels themselves: picture.hpp)

const int32_t* display_matrix(const Source& src, const AVFrame* frame) {
  if (const AVFrameSideData* sd = av_frame_get_side_data(frame, AV_FRAME_DATA_DISPLAYMATRIX)) {
    if (sd->size >= 9 * sizeof(int32_t)) return reinterpret_cast<const int32_t*>(sd->data);
  }
#if LIBAVFORMAT_VERSION_MAJOR < 61
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(src.stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
#else
  const AVPacketSideData* sd =
      av_packet_side_data_get(src.stream->codecpar->coded_side_data,
                              src.stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  const uint8_t* data = sd != nullptr ? sd->data : nullptr;
  const size_t size = sd != nullptr ? sd->size : 0;
#endif
  return data != nullptr && size >= 9 * sizeof(int32_t) ? reinterpret_cast<const int32_t*>(data)
                                                        : nullptr;
}

picture::Turn turn_for(const int32_t* m) {
  picture::Turn turn;
  if (m == nullptr) return turn;
  // Clockwise degrees in [0, 360), as the CLI's get_rotation computes them.
  double theta = -std::round(av_display_rotation_get(m));
  theta -= 360 * std::floor(theta / 360 + 0.9 / 360);
  if (std::fabs(theta - 90) < 1) {
    turn.transpose = true;  // "clock", or "cclock_flip" for a mirrored matrix
    turn.read_rows_reversed = !(m[3] > 0);
  } else if (std::fabs(theta - 270) < 1) {
    turn.transpose = true;  // "cclock", or "clock_flip" for a mirrored matrix
    turn.write_rows_reversed = true;
    turn.read_rows_reversed = m[3] < 0;
  } else if (std::fabs(theta - 180) < 1) {
    turn.hflip = m[0] < 0;
    turn.vflip = m[4] < 0;
  } else if (std::fabs(theta) < 1) {
    turn.vflip = m[4] < 0;
  }
  // Other angles would need the CLI's rotate filter (interpolation, black
  // corners); such files are rare, so they are left as stored.
  return turn;
}

// "width=-1 is not a size; ..." for a bad target side, "" when fine (0 = unset).
std::string side_problem(const char* name, int value) {
  if (value >= 0 && value <= kMaxFrameSide) return "";
  return std::string(name) + "=" + std::to_string(value) +
         " is not a size; use a whole number of pixels from 1 to " + std::to_string(kMaxFrameSide);
}

struct Size {
  int width = 0;
  int height = 0;
};

// The size asked for, for a picture shown at `width` x `height` with `sar`.
// Aspect ratio w*sar/h is carried as the fraction aw/ah to round only once.
Size target_size(const std::string& path, const FrameRequest& request, int width, int height,
                 AVRational sar) {
  if (sar.num <= 0 || sar.den <= 0) sar = AVRational{1, 1};
  const int64_t aw = static_cast<int64_t>(width) * sar.num;
  const int64_t ah = static_cast<int64_t>(height) * sar.den;
  Size size;
  if (request.width > 0) size = {request.width, picture::scaled_side(request.width, ah, aw)};
  if (request.height > 0 && (size.width == 0 || size.height > request.height)) {
    size = {picture::scaled_side(request.height, aw, ah), request.height};
  }
  if (size.width > kMaxFrameSide || size.height > kMaxFrameSide) {
    const std::string asked = request.width > 0 ? "width=" + std::to_string(request.width)
                                                : "height=" + std::to_string(request.height);
    throw MediaError(path, asked + " makes this " + std::to_string(width) + "x" +
                               std::to_string(height) + " picture " + std::to_string(size.width) +
                               "x" + std::to_string(size.height) + "; a frame is at most " +
                               std::to_string(kMaxFrameSide) +
                               " px a side, so ask for a smaller size");
  }
  return size;
}

// The RGB picture as displayed, scaled to the size asked for. swscale cannot
// rotate, so the RGB buffer is moved by hand after it; a pointwise YUV-to-RGB
// conversion commutes with these moves, so the result equals the CLI's
// transpose-then-convert. Scaling happens in the same swscale pass as the
// conversion (one pass over the decoded picture), to the stored orientation
// of the target size.
av::FramePtr as_displayed(const Source& src, const AVFrame* decoded, const FrameRequest& request) {
  const picture::Turn turn = turn_for(display_matrix(src, decoded));
  int width = decoded->width;
  int height = decoded->height;
  AVRational sar = decoded->sample_aspect_ratio;
  if (request.width > 0 || request.height > 0) {
    AVRational shown =
        av_guess_sample_aspect_ratio(src.fmt.get(), src.stream, const_cast<AVFrame*>(decoded));
    if (turn.transpose && shown.num > 0) shown = AVRational{shown.den, shown.num};
    const Size size = turn.transpose ? target_size(src.path, request, height, width, shown)
                                     : target_size(src.path, request, width, height, shown);
    width = turn.transpose ? size.height : size.width;
    height = turn.transpose ? size.width : size.height;
    sar = AVRational{1, 1};  // the aspect ratio is now in the pixels themselves
  }
  std::string problem;
  av::FramePtr rgb = picture::converted(decoded, width, height, AV_PIX_FMT_RGB24, sar, &problem);
  if (!rgb) throw MediaError(src.path, problem);
  if (!turn.transpose && !turn.hflip && !turn.vflip) return rgb;
  av::FramePtr shown = picture::turned(rgb.get(), turn);
  if (!shown) throw MediaError(src.path, "out of memory");
  return shown;
}

}  // namespace

Frame extract_frame(const std::string& path, const FrameRequest& request, const std::string& out) {
  log::capture_ffmpeg_messages();
  log::take_last_error();  // nothing stale from an earlier call on this thread
  for (const auto& problem :
       {side_problem("width", request.width), side_problem("height", request.height)}) {
    if (!problem.empty()) throw MediaError(path, problem);
  }
  check_image_bytes(path);
  Source src = open_source(path);
  av::FramePtr decoded;
  switch (request.where) {
    case FrameRequest::Where::first:
      decoded = first_frame(src);
      break;
    case FrameRequest::Where::last:
      decoded = is_still_image(src) ? first_frame(src) : last_frame(src);
      break;
    case FrameRequest::Where::at:
      decoded = frame_at(src, request.at);
      break;
  }
  if (!decoded) throw MediaError(path, "unknown frame request");
  check_dimensions(path, decoded->width, decoded->height);  // containers can understate it
  av::FramePtr rgb = as_displayed(src, decoded.get(), request);
  write_png(path, rgb.get(), out);
  const double time = is_still_image(src) ? 0 : seconds_of(src, frame_ts(decoded.get()));
  return Frame{out, rgb->width, rgb->height, time};
}

}  // namespace reel::media
