#include "host/media/join_clip.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "host/media/join_h264.hpp"
#include "host/media/log.hpp"
#include "host/media/media.hpp"

namespace reel::media::join {

namespace {

AVStream* find_video(AVFormatContext* fmt) {
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    AVStream* st = fmt->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        (st->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0) {
      return st;
    }
  }
  return nullptr;
}

const uint8_t* display_matrix_of(const AVStream* st) {
#if LIBAVFORMAT_VERSION_MAJOR < 61
  size_t size = 0;
  const uint8_t* m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
  return size >= 9 * sizeof(int32_t) ? m : nullptr;
#else
  const AVPacketSideData* sd = av_packet_side_data_get(
      st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  return sd != nullptr && sd->size >= 9 * sizeof(int32_t) ? sd->data : nullptr;
#endif
}

// av_display_rotation_get gives degrees counter-clockwise; a player turns the
// picture the other way (as ffmpeg's autorotate does).
int clockwise_rotation(const uint8_t* matrix) {
  if (matrix == nullptr) return 0;
  double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(ccw)) return 0;
  long quarter = std::lround(-ccw / 90.0);
  return static_cast<int>(((quarter % 4) + 4) % 4) * 90;
}

AVRational frame_rate_of(const AVStream* st) {
  auto sane = [](AVRational r) { return r.num > 0 && r.den > 0 && av_q2d(r) <= 1000; };
  if (sane(st->r_frame_rate)) return st->r_frame_rate;
  if (sane(st->avg_frame_rate)) return st->avg_frame_rate;
  return {0, 1};
}

// The stream's duration from the header, else the container's; 0 if neither.
int64_t video_duration(const AVFormatContext* fmt, const AVStream* st, int64_t start) {
  if (st->duration > 0 && st->duration != AV_NOPTS_VALUE) return st->duration;
  if (fmt->duration > 0 && fmt->duration != AV_NOPTS_VALUE) {
    int64_t total = av_rescale_q(fmt->duration, AV_TIME_BASE_Q, st->time_base);
    return total > start ? total - start : total;
  }
  return 0;
}

// Index-carrying containers (MP4, MOV) say where every sample lies; a file
// that ends before its last sample was cut off while being copied or written.
void check_complete(const Clip& clip) {
  int64_t file_size = avio_size(clip.fmt->pb);
  if (file_size <= 0) return;
  for (AVStream* st : {clip.video, clip.audio}) {
    if (st == nullptr) continue;
    int entries = avformat_index_get_entries_count(st);
    if (entries <= 0) continue;
    const AVIndexEntry* last = avformat_index_get_entry(st, entries - 1);
    if (last == nullptr || last->pos + last->size <= file_size) continue;
    throw MediaError(clip.path, "truncated: its samples run to byte " +
                                    std::to_string(last->pos + last->size) + " but the file has " +
                                    std::to_string(file_size) + " bytes");
  }
}

bool is_still_image(const AVFormatContext* fmt) {
  std::string name = fmt->iformat->name;
  return name.find("_pipe") != std::string::npos || name == "image2";
}

std::string codec_name(const AVCodecParameters* par) {
  return avcodec_get_name(par->codec_id);
}

std::string size_text(const AVCodecParameters* par) {
  return std::to_string(par->width) + "×" + std::to_string(par->height);
}

AVRational sar_of(const AVCodecParameters* par) {
  AVRational sar = par->sample_aspect_ratio;
  return sar.num > 0 && sar.den > 0 ? sar : AVRational{1, 1};
}

std::string ratio_text(AVRational r) {
  return std::to_string(r.num) + ":" + std::to_string(r.den);
}

std::string rotation_text(int rotation) {
  return rotation == 0 ? "not rotated" : "rotated " + std::to_string(rotation) + "°";
}

std::string pix_fmt_text(int format) {
  const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(format));
  return name != nullptr ? name : "unknown";
}

std::string layout_text(const AVChannelLayout& layout) {
  char text[64] = {};
  if (av_channel_layout_describe(&layout, text, sizeof text) < 0) {
    return std::to_string(layout.nb_channels) + " channels";
  }
  return text;
}

bool same_layout(const AVChannelLayout& a, const AVChannelLayout& b) {
  if (a.nb_channels != b.nb_channels) return false;
  // An unspecified order says only how many channels there are.
  if (a.order == AV_CHANNEL_ORDER_UNSPEC || b.order == AV_CHANNEL_ORDER_UNSPEC) return true;
  return av_channel_layout_compare(&a, &b) == 0;
}

bool same_bytes(const AVCodecParameters* a, const AVCodecParameters* b) {
  return a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 ||
          std::memcmp(a->extradata, b->extradata, static_cast<size_t>(a->extradata_size)) == 0);
}

// Whether the decoder set-up in the headers (SPS/PPS for H.264, which may sit
// in avcC with different framing; the bytes for other codecs) is the same.
bool same_codec_headers(const AVCodecParameters* a, const AVCodecParameters* b) {
  if (a->codec_id == AV_CODEC_ID_H264) {
    auto sa = h264::parse_extradata(a->extradata, a->extradata_size);
    auto sb = h264::parse_extradata(b->extradata, b->extradata_size);
    if (sa && sb) return *sa == *sb;
  }
  return same_bytes(a, b);
}

}  // namespace

Clip open_clip(const std::string& path) {
  Clip clip;
  clip.path = path;
  clip.name = std::filesystem::path(path).filename().string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw MediaError(path, "does not exist");
  if (std::filesystem::is_directory(path, ec)) throw MediaError(path, "is a folder, not a video");

  log::take_last_error();
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (err < 0) throw MediaError(path, failure("cannot be read as media", err));
  clip.fmt.reset(raw);
  err = avformat_find_stream_info(raw, nullptr);
  if (err < 0) throw MediaError(path, failure("cannot be read as media", err));

  clip.video = find_video(raw);
  if (clip.video == nullptr) throw MediaError(path, "has no video stream");
  if (is_still_image(raw)) throw MediaError(path, "is a still image; concat joins videos");
  int audio = av_find_best_stream(raw, AVMEDIA_TYPE_AUDIO, -1, clip.video->index, nullptr, 0);
  if (audio >= 0) clip.audio = raw->streams[audio];

  const AVCodecParameters* par = clip.video->codecpar;
  if (par->width <= 0 || par->height <= 0) throw MediaError(path, "has a video stream of no size");
  clip.frame_rate = frame_rate_of(clip.video);
  if (clip.frame_rate.num == 0) throw MediaError(path, "has a video stream without a frame rate");
  clip.start = clip.video->start_time != AV_NOPTS_VALUE ? clip.video->start_time : 0;
  clip.duration = video_duration(raw, clip.video, clip.start);
  clip.display_matrix = display_matrix_of(clip.video);
  clip.rotation = clockwise_rotation(clip.display_matrix);
  check_complete(clip);
  return clip;
}

std::string video_difference(const Clip& first, const Clip& clip) {
  const AVCodecParameters* a = first.video->codecpar;
  const AVCodecParameters* b = clip.video->codecpar;
  auto differs = [&](const std::string& mine, const std::string& theirs) {
    return mine + " but the first clip, " + first.name + ", " + theirs;
  };
  if (a->codec_id != b->codec_id) return differs(codec_name(b) + " video", "is " + codec_name(a));
  if (a->width != b->width || a->height != b->height) {
    return differs(size_text(b), "is " + size_text(a));
  }
  if (av_cmp_q(sar_of(a), sar_of(b)) != 0) {
    return differs("sample aspect ratio " + ratio_text(sar_of(b)), "has " + ratio_text(sar_of(a)));
  }
  if (a->format != b->format && a->format >= 0 && b->format >= 0) {
    return differs("pixel format " + pix_fmt_text(b->format), "has " + pix_fmt_text(a->format));
  }
  if (av_cmp_q(first.frame_rate, clip.frame_rate) != 0) {
    return differs(fps_text(clip.frame_rate) + " fps", "has " + fps_text(first.frame_rate));
  }
  if (first.rotation != clip.rotation) {
    return differs(rotation_text(clip.rotation), "is " + rotation_text(first.rotation));
  }
  if (!same_codec_headers(a, b)) {
    std::string which = a->codec_id == AV_CODEC_ID_H264 ? " (its SPS/PPS differ)" : "";
    return "encoded with other " + codec_name(a) + " settings than the first clip, " + first.name +
           which;
  }
  return "";
}

std::string audio_difference(const Clip& ref, const Clip& clip) {
  auto differs = [&](const std::string& mine, const std::string& theirs) {
    return mine + " but the first clip, " + ref.name + ", " + theirs;
  };
  if (clip.audio == nullptr && ref.audio == nullptr) return "";
  if (clip.audio == nullptr) return differs("no audio", "has audio");
  if (ref.audio == nullptr) return differs("audio", "has none");
  const AVCodecParameters* a = ref.audio->codecpar;
  const AVCodecParameters* b = clip.audio->codecpar;
  if (a->codec_id != b->codec_id) return differs(codec_name(b) + " audio", "has " + codec_name(a));
  if (a->sample_rate != b->sample_rate) {
    return differs(std::to_string(b->sample_rate) + " Hz audio",
                   "has " + std::to_string(a->sample_rate) + " Hz");
  }
  if (!same_layout(a->ch_layout, b->ch_layout)) {
    return differs(layout_text(b->ch_layout) + " audio", "has " + layout_text(a->ch_layout));
  }
  if (!same_bytes(a, b)) {
    return "audio encoded with other " + codec_name(a) + " settings than the first clip, " +
           ref.name;
  }
  return "";
}

std::string failure(const std::string& what, int err) {
  std::string reason = what + ": " + av::error_text(err);
  std::string detail = log::take_last_error();
  if (!detail.empty() && detail != av::error_text(err)) reason += " (" + detail + ")";
  return reason;
}

bool mp4_can_hold(AVCodecID codec) {
  static const AVOutputFormat* mp4 = av_guess_format("mp4", nullptr, nullptr);
  return mp4 != nullptr && avformat_query_codec(mp4, codec, FF_COMPLIANCE_NORMAL) == 1;
}

std::string fps_text(AVRational rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", av_q2d(rate));
  std::string s = text;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace reel::media::join
