// `reel sim`: the simulator in the foreground until Ctrl-C or SIGTERM. Built
// into the reel_sim module (it needs FFmpeg, libmicrohttpd, OpenSSL, libcurl)
// and reached through host/plugin.
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "host/cli/sim_command.hpp"
#include "host/sim/simulator.hpp"

extern "C" __attribute__((visibility("default"))) int reel_sim_command(
    const reel::cli::SimCommand& command) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked before the simulator starts its threads, so that they inherit the
  // mask and only sigwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    reel::sim::Simulator simulator(command.options);
    simulator.start();
    const char* path = command.dialect == "vtrix" ? "/model/v1/generation" : "/ent/v2";
    std::printf("reel sim: serving the Vidu API at %s (%s dialect: %s%s; both dialects are served)\n",
                simulator.base_url().c_str(), command.dialect.c_str(), simulator.base_url().c_str(),
                path);
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    simulator.stop();
    std::printf("reel sim: stopped\n");
    return signal == SIGINT ? 130 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reel sim: %s\n", e.what());
    return 1;
  }
}

extern "C" __attribute__((visibility("default"))) void* reel_sim_start(
    const reel::sim::Options& options, std::string* base_url, std::string* error) {
  try {
    auto simulator = std::make_unique<reel::sim::Simulator>(options);
    simulator->start();
    *base_url = simulator->base_url();
    return simulator.release();
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

extern "C" __attribute__((visibility("default"))) void reel_sim_stop(void* simulator) {
  delete static_cast<reel::sim::Simulator*>(simulator);
}
