// Whether a process on this machine still runs, for the files and journal
// rows a killed reel leaves behind (host/media/temp_file, host/journal).
#pragma once

#include <string>

namespace reel::process {

// The process exists and has not died: a zombie (killed, waiting for its
// parent or init to reap it) counts as gone.
bool running(long pid);

// When the process started, in clock ticks since boot (field 22 of
// /proc/PID/stat), so that a recycled pid is not taken for an older
// process; "" when it cannot be read.
std::string start_ticks(long pid);

}  // namespace reel::process
