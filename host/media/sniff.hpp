// What a file is by its own bytes, before FFmpeg opens it. FFmpeg's image
// demuxers learn an image's size only by decoding it, and nothing in FFmpeg
// says whether a PNG, JPEG or WebP ends early; the headers and the chunk or
// marker structure answer both cheaply, whatever the file is named.
#pragma once

#include <cstdint>
#include <string>

namespace reel::media::sniff {

// The image formats Vidu accepts (vidu-api.md §1.2).
enum class ImageType { none, png, jpeg, webp };

struct Image {
  ImageType type = ImageType::none;
  int width = 0;  // from the header; 0 when it does not say
  int height = 0;
  std::string problem;  // why the file is cut short or damaged, in a user's words; "" when whole
};

// Reads the header (and, to find where the image ends, walks its chunks or
// markers). type is none for anything else and for files that cannot be read.
Image image(const std::string& path);

const char* mime(ImageType type);     // "image/png", ...
const char* demuxer(ImageType type);  // FFmpeg's demuxer for it: "png_pipe", ...
const char* name(ImageType type);     // "PNG", "JPEG", "WebP"

// True when the file starts with an ISO base media (MP4/QuickTime) box header,
// so a missing moov atom means a cut-short MP4 rather than some other file.
bool starts_like_mp4(const std::string& path);

// Why the file is cut short, judged from the lengths its container states
// (MP4 boxes, the RIFF header of AVI and WebP, the Matroska segment); ""
// when whole or not one of these.
std::string container_problem(const std::string& path);

// "20000 bytes", "4.7 MB".
std::string bytes_text(int64_t bytes);

}  // namespace reel::media::sniff
