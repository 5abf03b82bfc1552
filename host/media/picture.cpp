#include "host/media/picture.hpp"

#include <algorithm>
#include <cstring>

#include "host/media/log.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace reel::media::picture {

namespace {

av::FramePtr new_picture(AVPixelFormat format, int width, int height, AVRational sar) {
  av::FramePtr out(av_frame_alloc());
  if (!out) return nullptr;
  out->format = format;
  out->width = width;
  out->height = height;
  out->sample_aspect_ratio = sar;
  if (av_frame_get_buffer(out.get(), 0) < 0) return nullptr;
  return out;
}

// out(x, y) = in(y, x), with rows read or written bottom-up as `turn` says.
av::FramePtr transpose(const AVFrame* in, const Turn& turn) {
  av::FramePtr out =
      new_picture(AV_PIX_FMT_RGB24, in->height, in->width,
                  AVRational{in->sample_aspect_ratio.den, in->sample_aspect_ratio.num});
  if (!out) return nullptr;
  for (int y = 0; y < out->height; ++y) {
    const int src_col = y;
    uint8_t* dst =
        out->data[0] + static_cast<ptrdiff_t>(turn.write_rows_reversed ? out->height - 1 - y : y) *
                           out->linesize[0];
    for (int x = 0; x < out->width; ++x) {
      const int src_row = turn.read_rows_reversed ? in->height - 1 - x : x;
      const uint8_t* px =
          in->data[0] + static_cast<ptrdiff_t>(src_row) * in->linesize[0] + 3 * ptrdiff_t{src_col};
      std::memcpy(dst + 3 * ptrdiff_t{x}, px, 3);
    }
  }
  return out;
}

av::FramePtr flip(const AVFrame* in, bool hflip, bool vflip) {
  av::FramePtr out = new_picture(AV_PIX_FMT_RGB24, in->width, in->height, in->sample_aspect_ratio);
  if (!out) return nullptr;
  for (int y = 0; y < in->height; ++y) {
    const uint8_t* src =
        in->data[0] + static_cast<ptrdiff_t>(vflip ? in->height - 1 - y : y) * in->linesize[0];
    uint8_t* dst = out->data[0] + static_cast<ptrdiff_t>(y) * out->linesize[0];
    if (!hflip) {
      std::memcpy(dst, src, 3 * static_cast<size_t>(in->width));
      continue;
    }
    for (int x = 0; x < in->width; ++x)
      std::memcpy(dst + 3 * ptrdiff_t{x}, src + 3 * ptrdiff_t{in->width - 1 - x}, 3);
  }
  return out;
}

}  // namespace

int scaled_side(int side, int64_t num, int64_t den) {
  const int64_t n = static_cast<int64_t>(side) * num;
  return static_cast<int>(std::max<int64_t>(1, (2 * n + den) / (2 * den)));
}

av::FramePtr converted(const AVFrame* src, int width, int height, AVPixelFormat to, AVRational sar,
                       std::string* problem) {
  const auto format = static_cast<AVPixelFormat>(src->format);
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  const bool shrink = (width < src->width && height <= src->height) ||
                      (width <= src->width && height < src->height);
  av::Scaler sws(sws_getContext(src->width, src->height, format, width, height, to,
                                shrink ? SWS_AREA : SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws) {
    *problem = std::string("cannot convert pixel format ") +
               (desc != nullptr ? desc->name : "unknown") + " to RGB";
    return nullptr;
  }
  const int* coefficients = sws_getCoefficients(src->colorspace);
  const bool full_range = src->color_range == AVCOL_RANGE_JPEG ||
                          (desc != nullptr && std::strncmp(desc->name, "yuvj", 4) == 0);
  sws_setColorspaceDetails(sws.get(), coefficients, full_range ? 1 : 0, coefficients, 0, 0, 1 << 16,
                           1 << 16);
  av::FramePtr out = new_picture(to, width, height, sar);
  int err = out ? 0 : AVERROR(ENOMEM);
  if (err == 0) {
    const int rows =
        sws_scale(sws.get(), src->data, src->linesize, 0, src->height, out->data, out->linesize);
    if (rows != height) err = rows < 0 ? rows : AVERROR_EXTERNAL;
  }
  if (err < 0) {
    std::string detail = log::take_last_error();
    if (detail.empty()) detail = av::error_text(err);
    *problem = "cannot convert the picture to RGB (" + detail + ")";
    return nullptr;
  }
  return out;
}

av::FramePtr turned(const AVFrame* rgb, const Turn& turn) {
  if (turn.transpose) return transpose(rgb, turn);
  return flip(rgb, turn.hflip, turn.vflip);
}

}  // namespace reel::media::picture
