// reel's own subcommands and options (CLI11), beside the lua5.4 command line.
#pragma once

namespace reel::cli {

// True when argv[1] names a subcommand or one of reel's own options, so that
// CLI11 rather than the lua5.4 command line should read the arguments.
bool is_reel_command(const char* arg);

// Parses and runs a reel command; returns the exit status.
int run_reel_command(int argc, char** argv);

}  // namespace reel::cli
