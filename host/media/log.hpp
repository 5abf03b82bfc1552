// FFmpeg writes its complaints to stderr by default ("moov atom not found").
// reel keeps them quiet and remembers the last one per thread, so that a
// MediaError can cite it.
#pragma once

#include <string>

namespace reel::media::log {

// Installs the capture once per process; cheap to call before every operation.
void capture_ffmpeg_messages();

// The last message FFmpeg logged at error level on this thread ("" if none),
// without FFmpeg's "[context @ address]" prefix, and forgets it.
std::string take_last_error();

}  // namespace reel::media::log
