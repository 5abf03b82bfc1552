// probe: the facts about a media file, from libavformat in process.
//
// Most facts are in the container header, which avformat_open_input reads
// without decoding anything: the moov atom, the Matroska tracks, the AVI
// header. A few live only in the coded stream: the pixel format (and, for
// H.264, the sample aspect ratio) in the sequence header, and the channel
// layout in the audio decoder's configuration. Only when the header lacks one
// of them do we call avformat_find_stream_info, which reads on (at most
// kProbeBytes and kAnalyzeMicros) and decodes the first frame of each stream:
// that is what ffprobe does, so the numbers agree with it. For H.264 MP4s that
// is one key frame, 2–5 ms; files whose header has everything skip it.
//
// Images are recognised by their bytes (sniff.hpp), opened with the demuxer
// for that content whatever their name, and checked for a cut-short end,
// which FFmpeg alone does not notice.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "host/media/av.hpp"
#include "host/media/log.hpp"
#include "host/media/media.hpp"
#include "host/media/sniff.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace reel::media {

namespace {

// Bounds on the work for one probe. The byte and time limits are
// libavformat's defaults, which ffprobe uses, so our answers match its.
constexpr int64_t kProbeBytes = 5'000'000;
constexpr int64_t kAnalyzeMicros = 5'000'000;
// Decoders refuse pictures larger than this (an RGBA frame of 200 MB) while
// probing; such a picture keeps its header size and an unknown pixel format.
constexpr int64_t kMaxDecodePixels = 50'000'000;
// Local files only, so nothing should take this long; it turns a pathological
// file on a stalled disk into an error instead of a hang.
constexpr auto kTimeout = std::chrono::seconds(20);

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Messages

// ---------------------------------------------------------------------------
// Opening

int64_t regular_file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw MediaError(path, "no such file");
    if (errno == EACCES) throw MediaError(path, "permission denied: reel cannot read it");
    throw MediaError(path, std::string("cannot read it: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw MediaError(path, "is a directory, not a media file");
  // A FIFO or device could block or never end.
  if (!S_ISREG(st.st_mode)) throw MediaError(path, "not a regular file");
  return st.st_size;
}

int interrupted(void* deadline) {
  return Clock::now() > *static_cast<Clock::time_point*>(deadline);
}

// FFmpeg demuxers that accept plain text by file name (ANSI art and the
// like) and would call a .txt file a video.
bool is_text_demuxer(const char* name) {
  static const char* const text[] = {"tty", "bin", "xbin", "adf", "idf"};
  return std::any_of(std::begin(text), std::end(text),
                     [&](const char* t) { return std::strcmp(name, t) == 0; });
}

std::string open_failure(const std::string& path, int err) {
  const std::string detail = log::take_last_error();
  if (err == AVERROR_EXIT) {
    return "gave up after " + std::to_string(kTimeout.count()) +
           " s reading the header (a stalled disk or a malformed file)";
  }
  if (err == AVERROR(EACCES)) return "permission denied: reel cannot read it";
  if (err == AVERROR_INVALIDDATA || err == AVERROR_EOF) {
    if (!sniff::starts_like_mp4(path)) {
      return "not a media file FFmpeg can read (garbage or unsupported format)";
    }
    if (detail.find("moov atom not found") != std::string::npos) {
      return "truncated: the moov atom is missing (the download or copy did not finish)";
    }
    return "damaged MP4: " + (detail.empty() ? av::error_text(err) : detail);
  }
  return "cannot open it: " + av::error_text(err) + (detail.empty() ? "" : " (" + detail + ")");
}

// Opens `path` as a local file only: no protocols ("http://...", "concat:")
// and, for images, the demuxer their bytes call for.
av::InputFormat open_input(const std::string& path, const sniff::Image& img,
                           Clock::time_point* deadline) {
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) throw MediaError(path, "out of memory");
  raw->interrupt_callback = {interrupted, deadline};
  raw->probesize = kProbeBytes;
  raw->max_analyze_duration = kAnalyzeMicros;
  const AVInputFormat* forced = nullptr;
  if (img.type != sniff::ImageType::none) {
    forced = av_find_input_format(sniff::demuxer(img.type));
  } else if (sniff::starts_like_mp4(path)) {
    // What the format probe would pick, without running every demuxer's
    // prober over the first kilobytes (a third of probing an MP4).
    forced = av_find_input_format("mov");
  }
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  const int err = avformat_open_input(&raw, ("file:" + path).c_str(), forced, &options);
  av_dict_free(&options);
  if (err < 0) throw MediaError(path, open_failure(path, err));  // FFmpeg freed `raw`
  av::InputFormat ctx(raw);
  if (is_text_demuxer(ctx->iformat->name)) {
    throw MediaError(path, "not a media file FFmpeg can read (it looks like text)");
  }
  return ctx;
}

// ---------------------------------------------------------------------------
// Streams

// The stream a player would show: not cover art, the default one if marked.
int pick_stream(const AVFormatContext* ic, AVMediaType type) {
  int best = -1;
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    const AVStream* st = ic->streams[i];
    if (st->codecpar->codec_type != type || (st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      continue;
    }
    const bool is_default = st->disposition & AV_DISPOSITION_DEFAULT;
    if (best < 0 || (is_default && !(ic->streams[best]->disposition & AV_DISPOSITION_DEFAULT))) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

AVRational frame_rate_of(const AVStream* st) {
  if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0) return st->avg_frame_rate;
  if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0) return st->r_frame_rate;
  return {0, 1};
}

bool is_image_demuxer(const std::string& name) {
  return name == "image2" || name == "image2pipe" ||
         (name.size() > 5 && name.compare(name.size() - 5, 5, "_pipe") == 0);
}

// ic->duration as avformat_find_stream_info leaves it: the demuxer's own, or
// else the longest stream, or the span from the earliest start to the latest
// end (update_stream_timings in libavformat/demux.c). AV_NOPTS_VALUE when
// nothing says.
int64_t container_duration_us(const AVFormatContext* ic) {
  if (ic->duration != AV_NOPTS_VALUE) return ic->duration;
  int64_t start = INT64_MAX, end = INT64_MIN, longest = INT64_MIN;
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    const AVStream* st = ic->streams[i];
    const auto type = st->codecpar->codec_type;
    if ((type != AVMEDIA_TYPE_VIDEO && type != AVMEDIA_TYPE_AUDIO) || st->time_base.den <= 0) {
      continue;
    }
    if (st->duration == AV_NOPTS_VALUE) continue;
    longest = std::max(longest, av_rescale_q(st->duration, st->time_base, AV_TIME_BASE_Q));
    if (st->start_time != AV_NOPTS_VALUE) {
      const int64_t first = av_rescale_q(st->start_time, st->time_base, AV_TIME_BASE_Q);
      const int64_t length =
          av_rescale_q_rnd(st->duration, st->time_base, AV_TIME_BASE_Q, AV_ROUND_NEAR_INF);
      int64_t last = 0;
      if (__builtin_add_overflow(first, length, &last)) continue;  // nonsense timestamps
      start = std::min(start, first);
      end = std::max(end, last);
    }
  }
  int64_t span = 0;
  if (start != INT64_MAX && end >= start && !__builtin_sub_overflow(end, start, &span)) {
    longest = std::max(longest, span);
  }
  return longest > 0 ? longest : AV_NOPTS_VALUE;
}

// The format bit rate ffprobe prints: the file's size over its duration
// whenever both are known (update_stream_timings again), else the demuxer's.
int64_t container_bit_rate(const AVFormatContext* ic, int64_t size, int64_t duration_us) {
  if (size > 0 && duration_us > 0) {
    const double rate =
        static_cast<double>(size) * 8.0 * AV_TIME_BASE / static_cast<double>(duration_us);
    if (rate < static_cast<double>(INT64_MAX)) return static_cast<int64_t>(rate);
  }
  return std::max<int64_t>(ic->bit_rate, 0);
}

// Whether the header alone answers everything probe reports (at `container`
// depth: everything but the pixel format and the audio layout).
bool header_is_enough(const AVFormatContext* ic, int video, int audio, bool image,
                      ProbeDepth depth) {
  if ((ic->ctx_flags & AVFMTCTX_NOHEADER) || (video < 0 && audio < 0)) return false;
  const bool full = depth == ProbeDepth::full;
  if (video >= 0) {
    const AVStream* st = ic->streams[video];
    const AVCodecParameters* p = st->codecpar;
    if (p->codec_id == AV_CODEC_ID_NONE || p->width <= 0 || p->height <= 0 ||
        (full && p->format < 0)) {
      return false;
    }
    if (!image && frame_rate_of(st).num == 0) return false;
  }
  if (audio >= 0 && full) {
    const AVCodecParameters* p = ic->streams[audio]->codecpar;
    if (p->codec_id == AV_CODEC_ID_NONE || p->sample_rate <= 0 || p->ch_layout.nb_channels <= 0 ||
        p->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
      return false;
    }
  }
  return image || container_duration_us(ic) != AV_NOPTS_VALUE;
}

void find_stream_info(AVFormatContext* ic, const std::string& path) {
  std::vector<AVDictionary*> options(ic->nb_streams, nullptr);
  for (auto& o : options) av_dict_set_int(&o, "max_pixels", kMaxDecodePixels, 0);
  const int err = avformat_find_stream_info(ic, options.empty() ? nullptr : options.data());
  for (auto& o : options) av_dict_free(&o);
  if (err == AVERROR_EXIT) {
    throw MediaError(path, "gave up after " + std::to_string(kTimeout.count()) +
                               " s reading its streams (a stalled disk or a malformed file)");
  }
  if (err < 0) {
    const std::string detail = log::take_last_error();
    throw MediaError(path,
                     "cannot read its streams: " + (detail.empty() ? av::error_text(err) : detail));
  }
}

// A file whose index (MP4 sample table, AVI idx1, Matroska cues) points past
// its end was cut short: the header survived, the media did not.
void check_index_within_file(const AVFormatContext* ic, int64_t size, const std::string& path) {
  int64_t needed = 0;
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    AVStream* st = ic->streams[i];
    const int n = avformat_index_get_entries_count(st);
    for (int k = 0; k < n; ++k) {
      const AVIndexEntry* e = avformat_index_get_entry(st, k);
      if (e == nullptr || e->pos < 0) continue;
      const int64_t bytes =
          std::max(e->size, 0);  // a signed bit-field, so a damaged file can make it negative
      const int64_t end = e->pos > INT64_MAX - bytes ? INT64_MAX : e->pos + bytes;
      needed = std::max(needed, end);
    }
  }
  if (needed > size) {
    throw MediaError(path, "truncated: it is " + sniff::bytes_text(size) +
                               " but its index points to " + sniff::bytes_text(needed) +
                               " of data (the download or copy did not finish)");
  }
}

// Why there is nothing to probe: no streams at all, or only others.
[[noreturn]] void throw_no_media(const AVFormatContext* ic, const std::string& path) {
  if (ic->nb_streams == 0) {
    throw MediaError(path,
                     "zero duration: it holds no video or audio (the export or recording produced "
                     "nothing)");
  }
  std::string kinds;
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    const char* type = av_get_media_type_string(ic->streams[i]->codecpar->codec_type);
    std::string name = type != nullptr ? type : "unknown";
    if (ic->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC) name = "cover art";
    if (kinds.find(name) == std::string::npos) kinds += (kinds.empty() ? "" : ", ") + name;
  }
  throw MediaError(path, "no video or audio stream (only " + kinds + ")");
}

// ---------------------------------------------------------------------------
// Facts

// Degrees counter-clockwise from the display matrix, as ffprobe prints them.
int rotation_of(const AVStream* st) {
#if LIBAVFORMAT_VERSION_MAJOR < 61
  size_t size = 0;
  const uint8_t* m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
#else
  const AVPacketSideData* sd = av_packet_side_data_get(
      st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  const uint8_t* m = sd != nullptr ? sd->data : nullptr;
  const size_t size = sd != nullptr ? sd->size : 0;
#endif
  if (m == nullptr || size < 9 * sizeof(int32_t)) return 0;
  const double degrees = av_display_rotation_get(reinterpret_cast<const int32_t*>(m));
  return std::isfinite(degrees) ? static_cast<int>(degrees) : 0;
}

double seconds(int64_t ts, AVRational time_base) {
  return static_cast<double>(ts) * av_q2d(time_base);
}

// A stream's own duration, or the container's when it has none (Matroska).
double stream_duration(const AVStream* st, double container) {
  if (st->duration == AV_NOPTS_VALUE || st->duration < 0) return container;
  return seconds(st->duration, st->time_base);
}

VideoInfo video_info(AVFormatContext* ic, AVStream* st, const sniff::Image& img, bool image,
                     double container_duration) {
  const AVCodecParameters* p = st->codecpar;
  VideoInfo v;
  v.codec = avcodec_get_name(p->codec_id);
  // A picture too large to decode while probing keeps the size its header states.
  v.coded_width = p->width > 0 ? p->width : img.width;
  v.coded_height = p->height > 0 ? p->height : img.height;
  v.rotation = rotation_of(st);
  const bool quarter_turn = std::lround(v.rotation / 90.0) % 2 != 0;
  v.width = quarter_turn ? v.coded_height : v.coded_width;
  v.height = quarter_turn ? v.coded_width : v.coded_height;
  const AVRational sar = av_guess_sample_aspect_ratio(ic, st, nullptr);
  if (sar.num > 0 && sar.den > 0) v.sar = {sar.num, sar.den};
  const char* pix_fmt = av_get_pix_fmt_name(static_cast<AVPixelFormat>(p->format));
  v.pix_fmt = pix_fmt != nullptr ? pix_fmt : "";
  if (!image) {
    const AVRational rate = frame_rate_of(st);
    v.frame_rate = {rate.num, rate.den};
    v.frames = std::max<int64_t>(st->nb_frames, 0);
    v.duration = stream_duration(st, container_duration);
  }
  return v;
}

AudioInfo audio_info(const AVStream* st, double container_duration) {
  const AVCodecParameters* p = st->codecpar;
  AudioInfo a;
  a.codec = avcodec_get_name(p->codec_id);
  a.channels = p->ch_layout.nb_channels;
  a.sample_rate = p->sample_rate;
  if (p->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) {
    char layout[128] = {};
    if (av_channel_layout_describe(&p->ch_layout, layout, sizeof layout) > 0) a.layout = layout;
  }
  a.duration = stream_duration(st, container_duration);
  return a;
}

bool all_codecs_in(const AVFormatContext* ic, std::initializer_list<AVCodecID> codecs) {
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    const auto* p = ic->streams[i]->codecpar;
    if (p->codec_type != AVMEDIA_TYPE_VIDEO && p->codec_type != AVMEDIA_TYPE_AUDIO) continue;
    if (std::find(codecs.begin(), codecs.end(), p->codec_id) == codecs.end()) return false;
  }
  return true;
}

// The MIME type to send a video or audio file as, from its container.
std::string container_mime(const AVFormatContext* ic, bool has_video) {
  const std::string name = ic->iformat->name;
  const std::string family = has_video ? "video/" : "audio/";
  if (name.rfind("mov,mp4", 0) == 0) {
    // QuickTime files carry the brand "qt  "; everything else here is MP4.
    const AVDictionaryEntry* brand = av_dict_get(ic->metadata, "major_brand", nullptr, 0);
    if (brand != nullptr && std::strncmp(brand->value, "qt", 2) == 0) return family + "quicktime";
    return family + "mp4";
  }
  if (name == "matroska,webm") {
    const bool webm = all_codecs_in(ic, {AV_CODEC_ID_VP8, AV_CODEC_ID_VP9, AV_CODEC_ID_AV1,
                                         AV_CODEC_ID_OPUS, AV_CODEC_ID_VORBIS});
    return family + (webm ? "webm" : "x-matroska");
  }
  if (name == "avi") return "video/x-msvideo";
  if (name == "mp3") return "audio/mpeg";
  if (name == "wav") return "audio/wav";
  if (name == "flac") return "audio/flac";
  if (name == "aac") return "audio/aac";
  if (name == "ogg") return family + "ogg";
  if (name == "mpegts") return "video/mp2t";
  if (name == "mpeg") return "video/mpeg";
  if (name == "gif") return "image/gif";
  return "application/octet-stream";
}

// Images FFmpeg reads beyond the three sniffed ones (BMP, TIFF, ...): the
// demuxer is named after the format ("bmp_pipe").
std::string other_image_mime(const std::string& demuxer, const std::string& codec) {
  const auto cut = demuxer.find("_pipe");
  std::string type =
      cut != std::string::npos && demuxer != "image2pipe" ? demuxer.substr(0, cut) : codec;
  if (type == "svg") type = "svg+xml";
  return "image/" + type;
}

}  // namespace

MediaInfo probe(const std::string& path, ProbeDepth depth) {
  log::capture_ffmpeg_messages();
  log::take_last_error();  // forget an earlier call's complaint

  MediaInfo info;
  info.path = path;
  info.size = regular_file_size(path);
  if (info.size == 0) throw MediaError(path, "empty file (0 bytes)");

  const sniff::Image img = sniff::image(path);
  if (!img.problem.empty()) throw MediaError(path, img.problem);
  if (const std::string cut = sniff::container_problem(path); !cut.empty()) {
    throw MediaError(path, cut);
  }

  Clock::time_point deadline = Clock::now() + kTimeout;
  av::InputFormat ctx = open_input(path, img, &deadline);
  AVFormatContext* ic = ctx.get();
  info.format = ic->iformat->name;
  const bool image = img.type != sniff::ImageType::none || is_image_demuxer(info.format);

  int video = pick_stream(ic, AVMEDIA_TYPE_VIDEO);
  int audio = pick_stream(ic, AVMEDIA_TYPE_AUDIO);
  if (!header_is_enough(ic, video, audio, image, depth)) {
    find_stream_info(ic, path);
    video = pick_stream(ic, AVMEDIA_TYPE_VIDEO);  // streams may appear while reading
    audio = pick_stream(ic, AVMEDIA_TYPE_AUDIO);
  }
  if (video < 0 && audio < 0) throw_no_media(ic, path);
  if (image && video < 0) throw MediaError(path, "an image file with no picture in it");
  if (!image) check_index_within_file(ic, info.size, path);

  if (video >= 0 && avcodec_find_decoder(ic->streams[video]->codecpar->codec_id) == nullptr) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
    av_fourcc_make_string(tag, ic->streams[video]->codecpar->codec_tag);
    throw MediaError(path, std::string("unsupported video codec (") +
                               avcodec_get_name(ic->streams[video]->codecpar->codec_id) + ", tag " +
                               tag + "): FFmpeg cannot decode it; re-encode it, e.g. to H.264");
  }

  if (image) {
    // A still picture: no duration or bit rate, whatever the demuxer's
    // default frame rate suggests.
    info.kind = "image";
    info.video = video_info(ic, ic->streams[video], img, true, 0);
    info.mime = img.type != sniff::ImageType::none
                    ? sniff::mime(img.type)
                    : other_image_mime(info.format, info.video->codec);
    return info;
  }

  const int64_t duration_us = container_duration_us(ic);
  if (duration_us == AV_NOPTS_VALUE) {
    // A bare stream (raw H.264, say) has no container to time it.
    throw MediaError(path, "unknown duration: the " + info.format +
                               " file does not say how long it is (remux it into MP4, e.g. "
                               "ffmpeg -i IN -c copy OUT.mp4)");
  }
  if (duration_us <= 0) {
    throw MediaError(
        path, "zero duration: it holds no frames (the export or recording produced nothing)");
  }
  info.duration = static_cast<double>(duration_us) / AV_TIME_BASE;
  info.bit_rate = container_bit_rate(ic, info.size, duration_us);
  info.kind = video >= 0 ? "video" : "audio";
  info.mime = container_mime(ic, video >= 0);
  if (video >= 0) info.video = video_info(ic, ic->streams[video], img, false, info.duration);
  if (audio >= 0) info.audio = audio_info(ic->streams[audio], info.duration);
  return info;
}

}  // namespace reel::media
