// Small RAII wrappers for FFmpeg objects, shared by host/media's files.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace reel::media::av {

struct FormatInputCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
using InputFormat = std::unique_ptr<AVFormatContext, FormatInputCloser>;

struct FormatOutputFreer {
  void operator()(AVFormatContext* ctx) const {
    if (ctx != nullptr && ctx->pb != nullptr && !(ctx->oformat->flags & AVFMT_NOFILE)) {
      avio_closep(&ctx->pb);
    }
    avformat_free_context(ctx);
  }
};
using OutputFormat = std::unique_ptr<AVFormatContext, FormatOutputFreer>;

struct CodecFreer {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
using Codec = std::unique_ptr<AVCodecContext, CodecFreer>;

struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;

struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using Packet = std::unique_ptr<AVPacket, PacketFreer>;

struct ScalerFreer {
  void operator()(SwsContext* sws) const { sws_freeContext(sws); }
};
using Scaler = std::unique_ptr<SwsContext, ScalerFreer>;

inline std::string error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

}  // namespace reel::media::av
