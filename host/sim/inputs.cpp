// Decoding, locating and checking media inputs (see inputs.hpp).
#include "host/sim/inputs.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "host/sim/signature.hpp"

namespace reel::sim {

namespace {

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

ApiError field_error(const std::string& reason, const std::string& field,
                     const std::string& message) {
  return ApiError{400, reason, field + ": " + message, field, 0};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string extension_for(const std::string& mime) {
  if (mime == "image/png") return ".png";
  if (mime == "image/jpeg" || mime == "image/jpg") return ".jpg";
  if (mime == "image/webp") return ".webp";
  if (mime == "video/mp4") return ".mp4";
  if (mime == "video/quicktime") return ".mov";
  return ".bin";
}

std::optional<std::string> decode_base64(const std::string& text) {
  std::string clean;
  clean.reserve(text.size());
  for (char ch : text)
    if (ch != '\n' && ch != '\r' && ch != ' ') clean += ch;
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  if (!clean.empty() && clean.back() == '=') ++padding;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// A picture in one of the documented formats (png, jpeg, webp) whose size
// FFmpeg could read; other problems with it are about size or shape.
bool is_image(const media::MediaInfo& info) {
  if (info.kind != "image" || !info.video || info.video->width <= 0 || info.video->height <= 0)
    return false;
  const std::string& codec = info.video->codec;
  return codec == "png" || codec == "mjpeg" || codec == "webp";
}

}  // namespace

Inputs::Inputs(std::string data_dir, const FileUrls& urls)
    : data_dir_(std::move(data_dir)), urls_(urls) {}

void Inputs::set_origin(const std::string& host, int port) {
  host_ = host;
  port_ = port;
}

std::variant<std::string, ApiError> Inputs::decode_data_uri(const std::string& value,
                                                            const std::string& field,
                                                            bool* temporary) const {
  size_t comma = value.find(',');
  std::string header = value.substr(5, comma == std::string::npos ? 0 : comma - 5);
  const std::string suffix = ";base64";
  if (comma == std::string::npos || header.size() <= suffix.size() ||
      header.compare(header.size() - suffix.size(), suffix.size(), suffix) != 0)
    return field_error("FieldInvalid", field,
                       "a data URI must look like data:<mime>;base64,<data> (§1.2)");
  std::string mime = header.substr(0, header.size() - suffix.size());
  auto bytes = decode_base64(value.substr(comma + 1));
  if (!bytes || bytes->empty())
    return field_error("ImageFormatInvalid", field, "the data URI is not valid Base64");
  std::filesystem::create_directories(data_dir_ + "/inputs");
  std::string path = data_dir_ + "/inputs/" + random_hex(8) + extension_for(mime);
  std::ofstream(path, std::ios::binary)
      .write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  *temporary = true;
  return path;
}

std::variant<std::string, ApiError> Inputs::own_file(const std::string& url,
                                                     const std::string& field) const {
  // http://HOST:PORT/files/... where HOST is ours (or a loopback alias).
  std::string rest = url.substr(url.find("://") + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string port = ":" + std::to_string(port_);
  bool ours = authority == host_ + port || authority == "127.0.0.1" + port ||
              authority == "localhost" + port;
  if (!ours || !starts_with(path, "/files/"))
    return field_error("ImageDownloadFailure", field,
                       "the simulator does not fetch remote URLs (" + url +
                           "); send a data: URI or a URL the simulator served");
  std::string local;
  switch (urls_.check(path.substr(0, path.find('?')), unix_now(), &local)) {
    case FileUrls::Check::ok:
      return local;
    case FileUrls::Check::expired:
      return field_error("ImageDownloadFailure", field, "the URL has expired: " + url);
    case FileUrls::Check::invalid:
      break;
  }
  return field_error("ImageDownloadFailure", field, "no such file: " + url);
}

std::variant<Input, ApiError> Inputs::resolve(const std::string& value, const std::string& field,
                                              std::optional<media::Use> use) const {
  Input input;
  std::variant<std::string, ApiError> located;
  if (starts_with(value, "data:")) {
    located = decode_data_uri(value, field, &input.temporary);
  } else if (starts_with(value, "http://") || starts_with(value, "https://")) {
    located = own_file(value, field);
  } else {
    return field_error("FieldInvalid", field, "expected a URL or a data:<mime>;base64, URI (§1.2)");
  }
  if (auto* error = std::get_if<ApiError>(&located)) return *error;
  input.path = std::get<std::string>(located);
  bool video = use == media::Use::extend;
  try {
    input.info = media::probe(input.path);
  } catch (const media::MediaError& e) {
    if (input.temporary) std::filesystem::remove(input.path);
    return field_error(video ? "FieldInvalid" : "ImageFormatInvalid", field,
                       "cannot be read as " + std::string(video ? "a video" : "an image") + " (" +
                           e.reason() + ")");
  }
  std::vector<std::string> problems;
  if (use) problems = media::check(input.info, *use);
  if (!problems.empty()) {
    if (input.temporary) std::filesystem::remove(input.path);
    std::string message = problems.front();
    for (size_t i = 1; i < problems.size(); ++i) message += "; " + problems[i];
    const char* reason = video                  ? "FieldInvalid"
                         : is_image(input.info) ? "PageSizeOutOfRange"  // size or ratio (§13)
                                                : "ImageFormatInvalid";
    return field_error(reason, field, message);
  }
  return input;
}

}  // namespace reel::sim
