// Where reel writes a file before giving it its name: a hidden name in the
// same folder, so that the final rename is atomic and never crosses file
// systems, e.g. ".film.mp4.4242-0.part". The pid in the name lets a later
// run tell a part left by a killed process from one still being written.
#pragma once

#include <string>

namespace reel::media {

// A fresh temporary name for `out` in its folder, unique per process and
// call. Parts that killed processes left for the same `out` are removed
// first (a kill -9 leaves no chance to clean up).
std::string temporary_path(const std::string& out);

}  // namespace reel::media
