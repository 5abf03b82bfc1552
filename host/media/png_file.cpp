// Writes an RGB picture as a PNG file, atomically.
#include "host/media/png_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "host/media/log.hpp"
#include "host/media/media.hpp"
#include "host/media/temp_file.hpp"

namespace reel::media {

namespace {

av::Packet encode_png(const std::string& path, const AVFrame* rgb) {
  const AVCodec* png = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (png == nullptr) throw MediaError(path, "this FFmpeg build has no PNG encoder");
  av::Codec enc(avcodec_alloc_context3(png));
  av::Packet packet(av_packet_alloc());
  if (!enc || !packet) throw MediaError(path, "out of memory");
  enc->width = rgb->width;
  enc->height = rgb->height;
  enc->pix_fmt = AV_PIX_FMT_RGB24;
  enc->time_base = AVRational{1, 25};  // required even for one picture (pitfall 14)
  if (rgb->sample_aspect_ratio.num > 0 && rgb->sample_aspect_ratio.den > 0) {
    enc->sample_aspect_ratio = rgb->sample_aspect_ratio;  // written as pHYs, like the CLI
  }
  int err = avcodec_open2(enc.get(), png, nullptr);
  if (err >= 0) err = avcodec_send_frame(enc.get(), rgb);
  if (err >= 0) err = avcodec_send_frame(enc.get(), nullptr);
  if (err >= 0) err = avcodec_receive_packet(enc.get(), packet.get());
  if (err < 0) {
    std::string detail = log::take_last_error();
    if (detail.empty()) detail = av::error_text(err);
    throw MediaError(path, "cannot encode the PNG (" + detail + ")");
  }
  return packet;
}

// A file in the folder of `out` that nobody else has: created with O_EXCL and
// the usual permissions (umask applies, unlike mkstemp's 0600).
int create_temporary(const std::string& out, std::string* name) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    *name = temporary_path(out);
    const int fd = ::open(name->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

void write_fully(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category());
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Readers of `out` see the old file or the whole new one, never a part; on
// failure nothing is left behind.
void write_atomically(const std::string& out, const uint8_t* data, size_t size) {
  std::string temp;
  const int fd = create_temporary(out, &temp);
  if (fd < 0) {
    throw MediaError(out, std::string("cannot write the frame here: ") + std::strerror(errno));
  }
  try {
    write_fully(fd, data, size);
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category());
  } catch (const std::system_error& e) {
    ::close(fd);  // harmless when already closed: the name is unlinked next
    ::unlink(temp.c_str());
    throw MediaError(out, std::string("cannot write the frame: ") + e.code().message());
  }
  if (::rename(temp.c_str(), out.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw MediaError(out, std::string("cannot write the frame: ") + std::strerror(err));
  }
}

}  // namespace

void write_png(const std::string& path, const AVFrame* rgb, const std::string& out) {
  av::Packet png = encode_png(path, rgb);
  write_atomically(out, png->data, static_cast<size_t>(png->size));
}

}  // namespace reel::media
