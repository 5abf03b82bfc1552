#include "bench_util.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

extern char** environ;

namespace reel::bench {

std::map<std::string, std::vector<Run>>& runs() {
  static std::map<std::string, std::vector<Run>> all;
  return all;
}

Run spawn_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    std::fprintf(stderr, "cannot start %s\n", args[0]);
    std::exit(2);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s failed (status %d)\n", args[0], status);
    std::exit(2);
  }
  return {elapsed.count(), usage.ru_maxrss};
}

void run_process(benchmark::State& state, const std::string& name,
                 const std::vector<std::string>& argv) {
  for (auto _ : state) {
    const Run r = spawn_and_wait(argv);
    state.SetIterationTime(r.seconds);
    runs()[name].push_back(r);
    state.counters["peak_rss_MB"] = static_cast<double>(r.peak_rss_kb) / 1024.0;
  }
}

void run_in_process(benchmark::State& state, const std::string& name,
                    const std::function<void()>& fn) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(elapsed.count());
    runs()[name].push_back({elapsed.count(), 0});
  }
}

namespace {
double median_of(const std::string& name, double (*field)(const Run&)) {
  std::vector<double> values;
  for (const Run& r : runs()[name]) values.push_back(field(r));
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}
}  // namespace

double median_seconds(const std::string& name) {
  return median_of(name, [](const Run& r) { return r.seconds; });
}

double median_rss_mb(const std::string& name) {
  return median_of(name, [](const Run& r) { return static_cast<double>(r.peak_rss_kb) / 1024.0; });
}

std::string take_flag(std::vector<char*>& args, const std::string& name,
                      const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (auto it = args.begin(); it != args.end(); ++it) {
    const std::string a = *it;
    if (a.rfind(prefix, 0) == 0) {
      args.erase(it);
      return a.substr(prefix.size());
    }
  }
  return fallback;
}

}  // namespace reel::bench
