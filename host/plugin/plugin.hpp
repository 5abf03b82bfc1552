// Shared objects reel loads on first use. FFmpeg, libcurl and SQLite cost
// 3-21 ms of start-up when linked into the executable (measured: README,
// "Start-up and heavy libraries"), so the code that needs them is built as
// modules beside the executable and loaded when a script or command first
// needs it. The modules resolve the Lua API and reel's own symbols from the
// executable, which exports them (bindings/lua_exports.list).
#pragma once

#include <string>
#include <vector>

namespace reel::plugin {

// The address of `symbol` in the module file `name` (e.g. "reel_media.so"),
// loading the module once. Looks beside the executable, then in
// ../lib/reel/, or in $REEL_PLUGIN_DIR when set. Throws std::runtime_error
// naming the file and dlopen's reason.
void* symbol(const std::string& name, const char* symbol);

// Where reel's own Lua modules (stdlib/: storyboard, its contact sheet) are
// found, in order: $REEL_STDLIB when set; else ../share/reel/lua beside the
// executable (an installed reel), then the source tree's stdlib/ (a built
// tree), when they exist.
std::vector<std::string> stdlib_folders();

}  // namespace reel::plugin
