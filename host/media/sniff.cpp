#include "host/media/sniff.hpp"

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace reel::media::sniff {

namespace {

// Walks stop here whatever the file holds, so a hostile file cannot keep us
// busy; real images have far fewer chunks or segments.
constexpr int kMaxChunks = 1'000'000;

// Random access to a file through stdio; every read says whether it got all
// the bytes asked for.
class File {
 public:
  explicit File(const std::string& path) : f_(std::fopen(path.c_str(), "rb")) {
    if (f_ && fseeko(f_.get(), 0, SEEK_END) == 0) size_ = ftello(f_.get());
  }
  bool ok() const { return f_ != nullptr && size_ >= 0; }
  int64_t size() const { return size_; }
  bool read_at(int64_t pos, void* out, size_t n) const {
    if (pos < 0 || pos + static_cast<int64_t>(n) > size_) return false;
    if (fseeko(f_.get(), pos, SEEK_SET) != 0) return false;
    return std::fread(out, 1, n, f_.get()) == n;
  }
  // Reads up to n bytes; returns how many.
  size_t read_some(int64_t pos, void* out, size_t n) const {
    if (pos < 0 || pos >= size_ || fseeko(f_.get(), pos, SEEK_SET) != 0) return 0;
    return std::fread(out, 1, n, f_.get());
  }

 private:
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> f_;
  int64_t size_ = -1;
};

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t be16(const uint8_t* p) {
  return uint32_t{p[0]} << 8 | p[1];
}
uint32_t le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}
uint32_t le24(const uint8_t* p) {
  return uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}
uint64_t be64(const uint8_t* p) {
  return uint64_t{be32(p)} << 32 | be32(p + 4);
}
uint32_t le16(const uint8_t* p) {
  return uint32_t{p[1]} << 8 | p[0];
}

std::string cut_short(const char* what, int64_t size) {
  return std::string("truncated: the ") + what + " stops after " + bytes_text(size) +
         ", before its end (the download or copy did not finish)";
}

// ---------------------------------------------------------------------------
// PNG: an 8-byte signature, then chunks (length, type, data, CRC); IHDR comes
// first and IEND last. Anything after IEND is ignored, as decoders do.

bool is_png(const uint8_t* head, size_t n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return n >= 8 && std::memcmp(head, sig, 8) == 0;
}

void read_png(const File& file, const uint8_t* head, size_t n, Image& img) {
  if (n >= 24 && std::memcmp(head + 12, "IHDR", 4) == 0) {
    img.width = static_cast<int>(be32(head + 16) & 0x7fffffff);
    img.height = static_cast<int>(be32(head + 20) & 0x7fffffff);
  }
  int64_t pos = 8;
  for (int i = 0; i < kMaxChunks; ++i) {
    uint8_t chunk[8];
    const bool whole_chunk =
        file.read_at(pos, chunk, sizeof chunk) && pos + 12 + int64_t{be32(chunk)} <= file.size();
    if (!whole_chunk) {
      img.problem = cut_short("PNG", file.size());
      return;
    }
    if (std::memcmp(chunk + 4, "IEND", 4) == 0) return;
    pos += 12 + int64_t{be32(chunk)};
  }
  // Gave up walking: call it whole and let the decoder judge.
}

// ---------------------------------------------------------------------------
// JPEG: markers (0xFF, code), most followed by a 16-bit length. A start of
// frame (SOFn) holds the size; after each start of scan (SOS) comes
// entropy-coded data in which 0xFF is always followed by 0x00 or a restart
// code, so the next real marker is found by scanning. EOI (0xFFD9) ends the
// image; bytes after it (motion photos append a video there) are ignored.

bool is_jpeg(const uint8_t* head, size_t n) {
  return n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff;
}

bool is_sof(uint8_t m) {
  return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}
bool is_standalone(uint8_t m) {
  return m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7);
}

// Position of the 0xFF of the first marker at or after `pos` that is not part
// of entropy-coded data; -1 when the file ends first.
int64_t next_marker(const File& file, int64_t pos) {
  std::array<uint8_t, 65536> buf;
  while (pos < file.size()) {
    const size_t n = file.read_some(pos, buf.data(), buf.size());
    if (n < 2) return -1;
    for (size_t i = 0; i + 1 < n; ++i) {
      if (buf[i] != 0xff) continue;
      const uint8_t next = buf[i + 1];
      if (next != 0x00 && next != 0xff && !(next >= 0xd0 && next <= 0xd7)) {
        return pos + static_cast<int64_t>(i);
      }
    }
    // The last byte may be an 0xFF whose partner is in the next block.
    pos += static_cast<int64_t>(n) - 1;
  }
  return -1;
}

void read_jpeg(const File& file, Image& img) {
  uint8_t tail[2] = {};
  const bool ends_with_eoi =
      file.read_at(file.size() - 2, tail, 2) && tail[0] == 0xff && tail[1] == 0xd9;
  const std::string cut = cut_short("JPEG", file.size());
  int64_t pos = 2;
  for (int i = 0; i < kMaxChunks; ++i) {
    uint8_t m[4];
    if (!file.read_at(pos, m, 2)) {
      img.problem = cut;
      return;
    }
    if (m[0] != 0xff) {  // stray bytes between segments: decoders skip them, so do we
      pos = next_marker(file, pos);
      if (pos < 0) {
        img.problem = cut;
        return;
      }
      continue;
    }
    if (m[1] == 0xff) {  // fill byte
      ++pos;
      continue;
    }
    if (m[1] == 0xd9) return;
    if (is_standalone(m[1])) {
      pos += 2;
      continue;
    }
    if (!file.read_at(pos + 2, m + 2, 2)) {
      img.problem = cut;
      return;
    }
    const int64_t end = pos + 2 + be16(m + 2);
    if (end > file.size()) {
      img.problem = cut;
      return;
    }
    uint8_t sof[5];
    if (is_sof(m[1]) && img.width == 0 && file.read_at(pos + 4, sof, sizeof sof)) {
      img.height = static_cast<int>(be16(sof + 1));
      img.width = static_cast<int>(be16(sof + 3));
    }
    if (m[1] == 0xda) {
      // Scanning the entropy-coded data reads the whole file; a file that
      // ends with EOI is whole without it.
      if (ends_with_eoi && img.width > 0) return;
      pos = next_marker(file, end);
      if (pos < 0) {
        img.problem = cut;
        return;
      }
    } else {
      pos = end;
    }
  }
  // Gave up walking: call it whole and let the decoder judge.
}

// ---------------------------------------------------------------------------
// WebP: a RIFF file ("RIFF", size, "WEBP") whose first chunk is VP8 (lossy),
// VP8L (lossless) or VP8X (extended, with the canvas size). Whether it is
// whole is the RIFF size's business (container_problem).

bool is_webp(const uint8_t* head, size_t n) {
  return n >= 16 && std::memcmp(head, "RIFF", 4) == 0 && std::memcmp(head + 8, "WEBP", 4) == 0;
}

void read_webp(const uint8_t* head, size_t n, Image& img) {
  if (n >= 30 && std::memcmp(head + 12, "VP8X", 4) == 0) {
    img.width = static_cast<int>(le24(head + 24)) + 1;
    img.height = static_cast<int>(le24(head + 27)) + 1;
  } else if (n >= 30 && std::memcmp(head + 12, "VP8 ", 4) == 0 && head[23] == 0x9d &&
             head[24] == 0x01 && head[25] == 0x2a) {
    img.width = static_cast<int>(le16(head + 26) & 0x3fff);
    img.height = static_cast<int>(le16(head + 28) & 0x3fff);
  } else if (n >= 25 && std::memcmp(head + 12, "VP8L", 4) == 0 && head[20] == 0x2f) {
    const uint32_t bits = le32(head + 21);
    img.width = static_cast<int>(bits & 0x3fff) + 1;
    img.height = static_cast<int>((bits >> 14) & 0x3fff) + 1;
  }
}

// ---------------------------------------------------------------------------
// Containers that state their own length: a file shorter than that was cut.

std::string cut_at(int64_t size, const std::string& what, int64_t needed) {
  return "truncated: it is " + bytes_text(size) + " but its " + what + " runs to " +
         bytes_text(needed) + " (the download or copy did not finish)";
}

bool is_box_type(const uint8_t* p) {
  for (int i = 0; i < 4; ++i) {
    if (p[i] < 0x20 || p[i] > 0x7e) return false;
  }
  return true;
}

bool is_mp4_start(const uint8_t* head) {
  static const char* const boxes[] = {"ftyp", "moov", "mdat", "free", "skip", "wide", "pnot"};
  for (const char* box : boxes) {
    if (std::memcmp(head + 4, box, 4) == 0) return true;
  }
  return false;
}

// MP4/QuickTime: top-level boxes (a 32-bit size and a type; size 1 means a
// 64-bit size follows, 0 "to the end") must end within the file. Cut before
// the moov box, the file lost its index.
std::string mp4_problem(const File& file) {
  int64_t pos = 0;
  bool seen_moov = false;
  for (int i = 0; i < kMaxChunks && pos + 8 <= file.size(); ++i) {
    uint8_t box[16];
    if (!file.read_at(pos, box, 8) || !is_box_type(box + 4)) return "";  // trailing bytes
    uint64_t length = be32(box);
    if (length == 1) {
      if (!file.read_at(pos + 8, box + 8, 8)) return "";
      length = be64(box + 8);
    } else if (length == 0) {
      length = static_cast<uint64_t>(file.size() - pos);
    }
    if (length < 8) return "";  // damaged: FFmpeg will say how
    const bool is_moov = std::memcmp(box + 4, "moov", 4) == 0;
    const uint64_t room = static_cast<uint64_t>(file.size() - pos);
    if (length > room) {
      if (!seen_moov && !is_moov) {
        return "truncated: the moov atom is missing (the download or copy did not finish)";
      }
      const std::string type(reinterpret_cast<const char*>(box + 4), 4);
      const uint64_t end = std::min<uint64_t>(static_cast<uint64_t>(pos) + length, INT64_MAX);
      return cut_at(file.size(), type + " atom", static_cast<int64_t>(end));
    }
    seen_moov = seen_moov || is_moov;
    pos += static_cast<int64_t>(length);
  }
  return "";
}

// RIFF (AVI, WebP): the size after "RIFF" covers the rest of the file.
// Writers that could not seek back leave it 0 or all ones, which says nothing.
std::string riff_problem(const File& file, const uint8_t* head) {
  const bool avi = std::memcmp(head + 8, "AVI ", 4) == 0;
  const bool webp = std::memcmp(head + 8, "WEBP", 4) == 0;
  const uint32_t length = le32(head + 4);
  if ((!avi && !webp) || length == 0 || length == 0xffffffff) return "";
  const int64_t end = 8 + int64_t{length};
  if (end <= file.size()) return "";
  return cut_at(file.size(), webp ? "WebP header" : "AVI header", end);
}

// An EBML variable-length integer at `pos`: the count of leading zero bits
// of its first byte gives its length. `unknown` is set for the all-ones
// value, which Matroska uses for "size unknown".
struct Vint {
  uint64_t value = 0;
  int length = 0;
  bool unknown = false;
};

bool read_vint(const File& file, int64_t pos, Vint* out) {
  uint8_t bytes[8];
  if (!file.read_at(pos, bytes, 1) || bytes[0] == 0) return false;
  int n = 1;
  while (!(bytes[0] & (0x80 >> (n - 1)))) ++n;
  if (!file.read_at(pos, bytes, static_cast<size_t>(n))) return false;
  const uint8_t first_mask = static_cast<uint8_t>((0x80 >> (n - 1)) - 1);
  uint64_t value = bytes[0] & first_mask;
  bool all_ones = value == first_mask;
  for (int i = 1; i < n; ++i) {
    value = value << 8 | bytes[i];
    all_ones = all_ones && bytes[i] == 0xff;
  }
  *out = {value, n, all_ones};
  return true;
}

// Matroska/WebM: the EBML header, then a Segment whose size covers the rest.
// Live recordings (a browser's MediaRecorder) leave that size unknown.
std::string matroska_problem(const File& file) {
  Vint header, segment;
  // A vint holds at most 56 bits, so these sums cannot overflow.
  if (!read_vint(file, 4, &header) || header.unknown) return "";
  const int64_t at = 4 + header.length + static_cast<int64_t>(header.value);
  if (at > file.size()) return cut_at(file.size(), "EBML header", at);
  uint8_t id[4];
  if (!file.read_at(at, id, 4) || be32(id) != 0x18538067) return "";
  if (!read_vint(file, at + 4, &segment) || segment.unknown) return "";
  const int64_t end = at + 4 + segment.length + static_cast<int64_t>(segment.value);
  return end > file.size() ? cut_at(file.size(), "Matroska segment", end) : "";
}

}  // namespace

Image image(const std::string& path) {
  Image img;
  const File file(path);
  if (!file.ok()) return img;
  uint8_t head[32] = {};
  const size_t n = file.read_some(0, head, sizeof head);
  if (is_png(head, n)) {
    img.type = ImageType::png;
    read_png(file, head, n, img);
  } else if (is_jpeg(head, n)) {
    img.type = ImageType::jpeg;
    read_jpeg(file, img);
  } else if (is_webp(head, n)) {
    img.type = ImageType::webp;
    read_webp(head, n, img);
  }
  return img;
}

const char* mime(ImageType type) {
  switch (type) {
    case ImageType::png:
      return "image/png";
    case ImageType::jpeg:
      return "image/jpeg";
    case ImageType::webp:
      return "image/webp";
    case ImageType::none:
      break;
  }
  return "";
}

const char* demuxer(ImageType type) {
  switch (type) {
    case ImageType::png:
      return "png_pipe";
    case ImageType::jpeg:
      return "jpeg_pipe";
    case ImageType::webp:
      return "webp_pipe";
    case ImageType::none:
      break;
  }
  return "";
}

const char* name(ImageType type) {
  switch (type) {
    case ImageType::png:
      return "PNG";
    case ImageType::jpeg:
      return "JPEG";
    case ImageType::webp:
      return "WebP";
    case ImageType::none:
      break;
  }
  return "";
}

bool starts_like_mp4(const std::string& path) {
  const File file(path);
  uint8_t head[8];
  return file.ok() && file.read_at(0, head, sizeof head) && is_mp4_start(head);
}

std::string container_problem(const std::string& path) {
  const File file(path);
  uint8_t head[12] = {};
  const size_t n = file.ok() ? file.read_some(0, head, sizeof head) : 0;
  if (n >= 8 && is_mp4_start(head)) return mp4_problem(file);
  if (n >= 12 && std::memcmp(head, "RIFF", 4) == 0) return riff_problem(file, head);
  if (n >= 4 && be32(head) == 0x1a45dfa3) return matroska_problem(file);
  return "";
}

std::string bytes_text(int64_t bytes) {
  if (bytes < 1'000'000) return std::to_string(bytes) + " bytes";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

}  // namespace reel::media::sniff
