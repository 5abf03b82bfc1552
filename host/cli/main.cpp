// reel: `reel SUBCOMMAND ...` for reel's own commands, and otherwise the
// lua5.4 command line, unchanged (so `busted --lua=reel` and shebang scripts
// work).
#include <malloc.h>

#include "bindings/lua_cli.hpp"
#include "host/cli/commands.hpp"

int main(int argc, char** argv) {
  // Decoders allocate and free megabytes per file (every downloaded clip is
  // probed). Served from the heap and kept there, those buffers are reused;
  // left to mmap and trimming, each probe faults them in afresh (a third of
  // the CPU of a 1000-clip run).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  if (argc >= 2 && reel::cli::is_reel_command(argv[1])) {
    return reel::cli::run_reel_command(argc, argv);
  }
  return reel::lua::run_lua_command_line(argc, argv);
}
