// libFuzzer target: media::probe on arbitrary bytes. Any input must give
// facts or a MediaError; never a crash, a hang or a sanitizer report.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "host/media/media.hpp"

namespace {

// probe reads a file by path, so each input is written to one file in /dev/shm.
const std::string& input_path() {
  static const std::string path = "/dev/shm/reel-probe-fuzz-" + std::to_string(getpid());
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* f = std::fopen(input_path().c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const reel::media::MediaInfo info = reel::media::probe(input_path());
    (void)reel::media::check(info, reel::media::Use::reference);
  } catch (const reel::media::MediaError&) {
  }
  return 0;
}
