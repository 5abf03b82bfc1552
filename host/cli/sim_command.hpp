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

}  // namespace reel::cli
