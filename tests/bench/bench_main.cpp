// reel's benchmarks, each against a peer measured in the same run:
//   startup:   `reel -e ''` against `lua5.4 -e ''` (process spawn to exit)
//   async 10k: 10 000 tasks sleeping 10 ms joined with async.all, against
//              lua5.4 suspending and resuming 10 000 plain coroutines
// Each case spawns the real binaries; the wall time of a child is measured
// around posix_spawn/wait4, its peak RSS comes from wait4's rusage. The
// summary prints medians and the ratios the targets are stated in.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string g_reel = "build/reel";
std::string g_lua = "lua5.4";
std::string g_dir = "tests/bench";

struct ChildRun {
  double seconds = 0;
  long peak_rss_kb = 0;
};

ChildRun spawn_and_wait(const std::vector<std::string>& argv) {
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

// Every measured child, by case name, for the summary.
std::map<std::string, std::vector<ChildRun>> g_runs;

void run_case(benchmark::State& state, const std::string& name,
              const std::vector<std::string>& argv) {
  for (auto _ : state) {
    const ChildRun r = spawn_and_wait(argv);
    state.SetIterationTime(r.seconds);
    g_runs[name].push_back(r);
    state.counters["peak_rss_MB"] = static_cast<double>(r.peak_rss_kb) / 1024.0;
  }
}

void BM_StartupLua(benchmark::State& s) {
  run_case(s, "startup/lua5.4", {g_lua, "-e", ""});
}
void BM_StartupReel(benchmark::State& s) {
  run_case(s, "startup/reel", {g_reel, "-e", ""});
}
void BM_Async10kReel(benchmark::State& s) {
  run_case(s, "async10k/reel", {g_reel, g_dir + "/async_10k.lua", "10000"});
}
void BM_Coroutines10kLua(benchmark::State& s) {
  run_case(s, "async10k/lua5.4", {g_lua, g_dir + "/coroutines_10k.lua", "10000"});
}

template <typename F>
double median(std::vector<ChildRun> runs, F field) {
  std::sort(runs.begin(), runs.end(), [&](auto& a, auto& b) { return field(a) < field(b); });
  return runs.empty() ? 0 : field(runs[runs.size() / 2]);
}

void print_summary() {
  auto secs = [](const ChildRun& r) { return r.seconds; };
  auto rss = [](const ChildRun& r) { return static_cast<double>(r.peak_rss_kb); };
  const double lua_start = median(g_runs["startup/lua5.4"], secs);
  const double reel_start = median(g_runs["startup/reel"], secs);
  const double reel_async = median(g_runs["async10k/reel"], secs);
  const double reel_async_rss = median(g_runs["async10k/reel"], rss) / 1024.0;
  const double lua_co = median(g_runs["async10k/lua5.4"], secs);
  const double lua_co_rss = median(g_runs["async10k/lua5.4"], rss) / 1024.0;
  std::printf("\nsummary (medians over %zu / %zu runs)\n", g_runs["startup/reel"].size(),
              g_runs["async10k/reel"].size());
  std::printf("  startup: reel %.2f ms, lua5.4 %.2f ms, ratio %.2fx (target: within 3x)\n",
              reel_start * 1e3, lua_start * 1e3, reel_start / lua_start);
  std::printf(
      "  async 10k x sleep(0.01): reel %.0f ms wall, %.1f MB peak RSS (targets: < 1000 ms, < 50 "
      "MB)\n",
      reel_async * 1e3, reel_async_rss);
  std::printf("  peer, lua5.4 10k plain coroutines: %.0f ms, %.1f MB; reel/lua5.4 RSS %.2fx\n",
              lua_co * 1e3, lua_co_rss, reel_async_rss / lua_co_rss);
  const bool ok = reel_start / lua_start <= 3.0 && reel_async < 1.0 && reel_async_rss < 50.0;
  std::printf("  targets %s\n", ok ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
  // Own flags first: --reel=PATH --lua=PATH --dir=PATH; the rest are Google Benchmark's.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--reel=", 0) == 0) {
      g_reel = a.substr(7);
    } else if (a.rfind("--lua=", 0) == 0) {
      g_lua = a.substr(6);
    } else if (a.rfind("--dir=", 0) == 0) {
      g_dir = a.substr(6);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::RegisterBenchmark("startup/lua5.4", BM_StartupLua)
      ->UseManualTime()
      ->Iterations(200)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("startup/reel", BM_StartupReel)
      ->UseManualTime()
      ->Iterations(200)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("async10k/lua5.4", BM_Coroutines10kLua)
      ->UseManualTime()
      ->Iterations(10)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("async10k/reel", BM_Async10kReel)
      ->UseManualTime()
      ->Iterations(10)
      ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  return 0;
}
