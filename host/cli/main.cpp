// reel: `reel SUBCOMMAND ...` for reel's own commands, and otherwise the
// lua5.4 command line, unchanged (so `busted --lua=reel` and shebang scripts
// work).
#include "bindings/lua_cli.hpp"
#include "host/cli/commands.hpp"

int main(int argc, char** argv) {
  if (argc >= 2 && reel::cli::is_reel_command(argv[1])) {
    return reel::cli::run_reel_command(argc, argv);
  }
  return reel::lua::run_lua_command_line(argc, argv);
}
