// reel's runtime against lua5.4, measured in the same run:
//   startup:   `reel -e ''` against `lua5.4 -e ''` (spawn to exit, 200 runs each)
//   async 10k: 10 000 tasks sleeping 10 ms joined with async.all, against
//              lua5.4 suspending and resuming 10 000 plain coroutines
// This binary links nothing heavy: a child's peak RSS as wait4 reports it is
// at least the size of the process that spawned it.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"

using namespace reel::bench;

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  const std::string reel = take_flag(args, "reel", "build/reel");
  const std::string lua = take_flag(args, "lua", "lua5.4");
  const std::string dir = take_flag(args, "dir", "tests/bench");

  auto add = [](const char* name, std::vector<std::string> argv, int iterations) {
    benchmark::RegisterBenchmark(name, [name, argv](benchmark::State& s) { run_process(s, name, argv); })
        ->UseManualTime()
        ->Iterations(iterations)
        ->Unit(benchmark::kMillisecond);
  };
  add("startup/lua5.4", {lua, "-e", ""}, 200);
  add("startup/reel", {reel, "-e", ""}, 200);
  add("async10k/lua5.4", {lua, dir + "/coroutines_10k.lua", "10000"}, 10);
  add("async10k/reel", {reel, dir + "/async_10k.lua", "10000"}, 10);

  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  const double start_ratio = median_seconds("startup/reel") / median_seconds("startup/lua5.4");
  const double async_s = median_seconds("async10k/reel");
  const double async_mb = median_rss_mb("async10k/reel");
  std::printf("\nsummary (medians)\n");
  std::printf("  startup: reel %.2f ms, lua5.4 %.2f ms: %.2fx (target: within 3x)\n",
              median_seconds("startup/reel") * 1e3, median_seconds("startup/lua5.4") * 1e3,
              start_ratio);
  std::printf("  async 10k x sleep(0.01): reel %.0f ms wall, %.1f MB peak RSS "
              "(targets: < 1000 ms, < 50 MB)\n",
              async_s * 1e3, async_mb);
  std::printf("  peer, lua5.4 with 10k plain coroutines: %.0f ms, %.1f MB; RSS ratio %.2fx\n",
              median_seconds("async10k/lua5.4") * 1e3, median_rss_mb("async10k/lua5.4"),
              async_mb / median_rss_mb("async10k/lua5.4"));
  const bool ok = start_ratio <= 3.0 && async_s < 1.0 && async_mb < 50.0;
  std::printf("  targets %s\n", ok ? "met" : "NOT met");
  return 0;
}
