// What reel's benchmarks share: spawning the real binaries, timing, medians.
// Each case records every run under its name; the summary compares medians
// of cases measured in the same run.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace reel::bench {

struct Run {
  double seconds = 0;
  long peak_rss_kb = 0;  // of a child: max(its own peak, this process's size when spawned)
};

// Every run of every case, by case name.
std::map<std::string, std::vector<Run>>& runs();

// Spawns argv (PATH lookup), waits, and exits the benchmark if it fails.
Run spawn_and_wait(const std::vector<std::string>& argv);

// A case that spawns argv once per iteration.
void run_process(benchmark::State& state, const std::string& name,
                 const std::vector<std::string>& argv);

// A case that times `fn` in this process once per iteration.
void run_in_process(benchmark::State& state, const std::string& name,
                    const std::function<void()>& fn);

double median_seconds(const std::string& name);
double median_rss_mb(const std::string& name);

// Our value flag: --name=value among argv; removes it from argv.
std::string take_flag(std::vector<char*>& args, const std::string& name, const std::string& fallback);

}  // namespace reel::bench
