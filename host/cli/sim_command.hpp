// `reel sim [--port N] [--dialect vidu|vtrix] [--speed X] [--faults SPEC] ...`:
// parsed in commands.cpp, run by kSimEntry in the reel_sim module.
#pragma once

#include <string>

#include "host/sim/simulator.hpp"

namespace reel::cli {

struct SimCommand {
  sim::Options options;
  std::string dialect = "vidu";  // which base path to announce; both are served
};

inline constexpr const char* kSimModule = "reel_sim.so";
inline constexpr const char* kSimEntry = "reel_sim_command";
using SimEntry = int (*)(const SimCommand&);

// `--sim` on run and repl: the simulator in this process, on an ephemeral
// loopback port, for as long as the script runs. Start returns a handle (or
// nullptr with *error set) and the base URL; stop takes the handle.
inline constexpr const char* kSimStartEntry = "reel_sim_start";
inline constexpr const char* kSimStopEntry = "reel_sim_stop";
using SimStart = void* (*)(const sim::Options&, std::string* base_url, std::string* error);
using SimStop = void (*)(void*);

}  // namespace reel::cli
