// make_strip: the pictures of a contact sheet side by side in one PNG. Each
// picture is decoded by FFmpeg's image demuxer for its content (png_pipe,
// jpeg_pipe, webp_pipe: the bytes decide, not the name, and no file name is
// read as an image2 sequence pattern), scaled to the strip's height in one
// swscale pass, and only that small copy is kept until the strip is laid
// out, so fifty 1080p frames never sit in memory at once.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "host/media/av.hpp"
#include "host/media/log.hpp"
#include "host/media/media.hpp"
#include "host/media/picture.hpp"
#include "host/media/png_file.hpp"
#include "host/media/sniff.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace reel::media {

namespace {

namespace fs = std::filesystem;

constexpr uint8_t kBackground = 0x20;  // #202020: every channel the same byte

// Every failure about one picture names it and its place in the list, so a
// long storyboard's bad thumbnail is found at once.
class PictureError {
 public:
  PictureError(std::string path, size_t index, size_t count)
      : path_(std::move(path)),
        label_("picture " + std::to_string(index + 1) + " of " + std::to_string(count) +
               " for the strip") {}

  [[noreturn]] void fail(const std::string& reason) const {
    throw MediaError(path_, label_ + ": " + reason);
  }
  [[noreturn]] void fail(const std::string& what, int err) const {
    std::string detail = log::take_last_error();
    if (detail.empty() && err < 0) detail = av::error_text(err);
    fail(what + (detail.empty() ? "" : " (" + detail + ")"));
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string label_;
};

// The image type by its bytes, after the reasons a file cannot be one.
sniff::ImageType picture_type(const PictureError& pic) {
  std::error_code ec;
  const fs::file_status status = fs::status(pic.path(), ec);
  if (!fs::exists(status)) {
    pic.fail("file not found; pass the path of a PNG or JPEG that exists (or a Frame)");
  }
  if (fs::is_directory(status)) pic.fail("is a folder, not a picture; pass a PNG or JPEG file");
  const sniff::Image image = sniff::image(pic.path());
  if (image.type == sniff::ImageType::none) {
    if (::access(pic.path().c_str(), R_OK) != 0) {
      pic.fail(std::string("cannot read the file: ") + std::strerror(errno));
    }
    pic.fail(
        "not a PNG, JPEG or WebP picture; a strip is made of pictures (take frames of a video "
        "with media.frame first)");
  }
  if (!image.problem.empty()) pic.fail(image.problem);
  if (image.width > kMaxDimension || image.height > kMaxDimension) {
    pic.fail("the picture is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
             "; reel handles at most " + std::to_string(kMaxDimension) + " px per side");
  }
  return image.type;
}

// The picture, decoded, its sample aspect ratio set from the file (PNG pHYs,
// JPEG density) when the decoder left it unset.
av::FramePtr decode_picture(const PictureError& pic) {
  const sniff::ImageType type = picture_type(pic);
  const AVInputFormat* demuxer = av_find_input_format(sniff::demuxer(type));
  if (demuxer == nullptr) {
    pic.fail(std::string("this FFmpeg build cannot read ") + sniff::name(type) + " pictures");
  }
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, pic.path().c_str(), demuxer, nullptr);
  if (err < 0) pic.fail("cannot open it", err);
  av::InputFormat fmt(raw);
  if (fmt->nb_streams < 1) pic.fail("holds no picture; the file is damaged");
  AVStream* stream = fmt->streams[0];
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (codec == nullptr) pic.fail("this FFmpeg build has no decoder for it");
  av::Codec decoder(avcodec_alloc_context3(codec));
  av::Packet packet(av_packet_alloc());
  av::FramePtr frame(av_frame_alloc());
  if (!decoder || !packet || !frame) pic.fail("out of memory");
  err = avcodec_parameters_to_context(decoder.get(), stream->codecpar);
  if (err >= 0) err = avcodec_open2(decoder.get(), codec, nullptr);
  if (err < 0) pic.fail(std::string("cannot start the ") + codec->name + " decoder", err);

  // One picture: packets until it comes out, then the end-of-stream marker
  // for a decoder that holds it back.
  bool draining = false;
  for (;;) {
    err = avcodec_receive_frame(decoder.get(), frame.get());
    if (err == 0) break;
    if (err != AVERROR(EAGAIN) || draining) {
      pic.fail("cannot decode the picture; the file is damaged or truncated", err);
    }
    err = av_read_frame(fmt.get(), packet.get());
    if (err == AVERROR_EOF) {
      draining = true;
      err = avcodec_send_packet(decoder.get(), nullptr);
    } else if (err >= 0) {
      err = avcodec_send_packet(decoder.get(), packet.get());
      av_packet_unref(packet.get());
    }
    if (err < 0 && err != AVERROR(EAGAIN)) {
      pic.fail("cannot decode the picture; the file is damaged or truncated", err);
    }
  }
  frame->sample_aspect_ratio = av_guess_sample_aspect_ratio(fmt.get(), stream, frame.get());
  return frame;
}

// The picture at `height` px high, as wide as its displayed aspect ratio
// says, in packed RGB (RGBA when it has transparency, blended when laid out).
av::FramePtr scale_to_height(const PictureError& pic, const AVFrame* src, int height) {
  AVRational sar = src->sample_aspect_ratio;
  if (sar.num <= 0 || sar.den <= 0) sar = AVRational{1, 1};
  const int width = picture::scaled_side(height, static_cast<int64_t>(src->width) * sar.num,
                                         static_cast<int64_t>(src->height) * sar.den);
  if (width > kStripMaxWidth) {
    pic.fail("at " + std::to_string(height) + " px high it would be " + std::to_string(width) +
             " px wide, more than a whole strip may be (" + std::to_string(kStripMaxWidth) +
             "); leave out such a narrow, wide picture");
  }
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(src->format));
  const bool alpha = desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0;
  std::string problem;
  // Square pixels now: the aspect ratio is in the width.
  av::FramePtr out = picture::converted(
      src, width, height, alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24, AVRational{1, 1}, &problem);
  if (!out) pic.fail(problem);
  return out;
}

// Copies `pic` into `canvas` with its left edge at `x`; transparency shows
// the background.
void paste(const AVFrame* pic, AVFrame* canvas, int x) {
  for (int y = 0; y < pic->height; ++y) {
    const uint8_t* src = pic->data[0] + static_cast<ptrdiff_t>(y) * pic->linesize[0];
    uint8_t* dst = canvas->data[0] + static_cast<ptrdiff_t>(y) * canvas->linesize[0] +
                   3 * static_cast<ptrdiff_t>(x);
    if (pic->format == AV_PIX_FMT_RGB24) {
      std::memcpy(dst, src, 3 * static_cast<size_t>(pic->width));
      continue;
    }
    for (int i = 0; i < pic->width; ++i, src += 4, dst += 3) {
      const unsigned a = src[3];
      for (int c = 0; c < 3; ++c) {
        dst[c] = static_cast<uint8_t>((src[c] * a + kBackground * (255 - a) + 127) / 255);
      }
    }
  }
}

std::string range_text(int lo, int hi) {
  return std::to_string(lo) + " to " + std::to_string(hi);
}

// The options and the place of `out`, before any picture is read.
void check_request(const std::vector<std::string>& pictures, const std::string& out,
                   const StripOptions& options) {
  if (options.height < kStripMinHeight || options.height > kStripMaxHeight) {
    throw MediaError(out, "height=" + std::to_string(options.height) +
                              " is out of range; a strip is " +
                              range_text(kStripMinHeight, kStripMaxHeight) +
                              " px high, so pass a height in that range");
  }
  if (options.gap < 0 || options.gap > kStripMaxGap) {
    throw MediaError(out, "gap=" + std::to_string(options.gap) + " is out of range; use " +
                              range_text(0, kStripMaxGap) + " px between pictures");
  }
  if (pictures.empty()) {
    throw MediaError(out,
                     "no pictures to put in the strip; pass a list of one or more PNG or "
                     "JPEG files (or Frames)");
  }
  const fs::path folder = fs::path(out).parent_path();
  std::error_code ec;
  if (out.empty() || fs::path(out).filename().empty()) {
    throw MediaError(out, "no file name for the strip; pass a path such as \"strip.png\"");
  }
  if (!folder.empty() && !fs::is_directory(folder, ec)) {
    throw MediaError(out, "the folder " + folder.string() +
                              " does not exist; create it first, or write the strip elsewhere");
  }
}

}  // namespace

Frame make_strip(const std::vector<std::string>& pictures, const std::string& out,
                 const StripOptions& options) {
  log::capture_ffmpeg_messages();
  log::take_last_error();  // nothing stale from an earlier call on this thread
  check_request(pictures, out, options);

  std::vector<av::FramePtr> scaled;
  scaled.reserve(pictures.size());
  int64_t width = 0;
  for (size_t i = 0; i < pictures.size(); ++i) {
    const PictureError pic(pictures[i], i, pictures.size());
    const av::FramePtr decoded = decode_picture(pic);
    scaled.push_back(scale_to_height(pic, decoded.get(), options.height));
    width += (i > 0 ? options.gap : 0) + scaled.back()->width;
    if (width > kStripMaxWidth) {
      throw MediaError(out, "the strip would be more than " + std::to_string(kStripMaxWidth) +
                                " px wide at picture " + std::to_string(i + 1) + " of " +
                                std::to_string(pictures.size()) +
                                "; use a smaller height or fewer pictures");
    }
  }

  av::FramePtr canvas(av_frame_alloc());
  if (canvas) {
    canvas->format = AV_PIX_FMT_RGB24;
    canvas->width = static_cast<int>(width);
    canvas->height = options.height;
    canvas->sample_aspect_ratio = AVRational{1, 1};
  }
  if (!canvas || av_frame_get_buffer(canvas.get(), 0) < 0) throw MediaError(out, "out of memory");
  for (int y = 0; y < canvas->height; ++y) {
    std::memset(canvas->data[0] + static_cast<ptrdiff_t>(y) * canvas->linesize[0], kBackground,
                3 * static_cast<size_t>(canvas->width));
  }
  int x = 0;
  for (const av::FramePtr& pic : scaled) {
    paste(pic.get(), canvas.get(), x);
    x += pic->width + options.gap;
  }
  write_png(out, canvas.get(), out);
  return Frame{out, canvas->width, canvas->height, 0};
}

}  // namespace reel::media
