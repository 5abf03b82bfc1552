// reel's benchmarks, each against a peer measured in the same run:
//   startup:   `reel -e ''` against `lua5.4 -e ''` (process spawn to exit)
//   async 10k: 10 000 tasks sleeping 10 ms joined with async.all, against
//              lua5.4 suspending and resuming 10 000 plain coroutines
//   media (with --media=DIR, the test media of tests/media/make_fixtures.sh):
//     probe 50 files in process against ffprobe -show_format -show_streams
//     per file; the last frame of two 1080p clips against the correct ffmpeg
//     command (-sseof -1 -update 1), both in process and as a `reel -e`
//     process; joining ten 5 s 720p clips by copy against ffmpeg's concat
//     demuxer with -c copy
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

#include "host/media/media.hpp"

extern char** environ;

namespace {

std::string g_reel = "build/reel";
std::string g_lua = "lua5.4";
std::string g_dir = "tests/bench";
std::string g_media;  // the test media folder; media cases run only when set

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

// An in-process case: the wall time of `fn` per iteration.
template <typename F>
void run_in_process(benchmark::State& state, const std::string& name, F fn) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(elapsed.count());
    g_runs[name].push_back({elapsed.count(), 0});
  }
}

// 50 probes over the readable test media, cycling through the files.
std::vector<std::string> probe_set() {
  const char* files[] = {"h264_aac.mp4",   "h264_aac_faststart.mp4",
                         "video_only.mp4", "portrait_9x16.mp4",
                         "rotated.mp4",    "anamorphic.mp4",
                         "ntsc_2997.mov",  "mpeg4.avi",
                         "vp9.webm",       "src_4s.mp4",
                         "image.png",      "image.jpg",
                         "image.webp",     "tall_1x5.png",
                         "cat_01.mp4"};
  std::vector<std::string> set;
  for (size_t i = 0; set.size() < 50; ++i)
    set.push_back(g_media + "/" + files[i % std::size(files)]);
  return set;
}

void BM_ProbeInProcess(benchmark::State& s) {
  const auto files = probe_set();
  run_in_process(s, "probe50/reel", [&] {
    for (const auto& f : files) benchmark::DoNotOptimize(reel::media::probe(f));
  });
}

void BM_ProbeFfprobe(benchmark::State& s) {
  const auto files = probe_set();
  run_in_process(s, "probe50/ffprobe", [&] {
    for (const auto& f : files) {
      spawn_and_wait(
          {"ffprobe", "-v", "quiet", "-show_format", "-show_streams", "-o", "/dev/null", f});
    }
  });
}

std::string scratch(const std::string& name) {
  return "/tmp/reel-bench-" + name;
}

void last_frame_cases(const std::string& clip) {
  const std::string file = g_media + "/" + clip;
  benchmark::RegisterBenchmark(("lastframe/" + clip + "/reel").c_str(),
                               [file, clip](benchmark::State& s) {
                                 reel::media::FrameRequest last;
                                 last.where = reel::media::FrameRequest::Where::last;
                                 run_in_process(s, "lastframe/" + clip + "/reel", [&] {
                                   reel::media::extract_frame(file, last, scratch("last.png"));
                                 });
                               })
      ->UseManualTime()
      ->Iterations(10)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(
      ("lastframe/" + clip + "/reel-process").c_str(),
      [file, clip](benchmark::State& s) {
        const std::string code =
            "media.frame('" + file + "', {at = 'last', out = '" + scratch("last-p.png") + "'})";
        run_case(s, "lastframe/" + clip + "/reel-process", {g_reel, "-e", code});
      })
      ->UseManualTime()
      ->Iterations(10)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("lastframe/" + clip + "/ffmpeg").c_str(),
                               [file, clip](benchmark::State& s) {
                                 run_case(
                                     s, "lastframe/" + clip + "/ffmpeg",
                                     {"ffmpeg", "-nostdin", "-v", "error", "-y", "-sseof", "-1",
                                      "-i", file, "-update", "1", scratch("last-ff.png")});
                               })
      ->UseManualTime()
      ->Iterations(10)
      ->Unit(benchmark::kMillisecond);
}

std::vector<std::string> concat_inputs() {
  std::vector<std::string> inputs;
  for (int i = 1; i <= 10; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/cat_%02d.mp4", i);
    inputs.push_back(g_media + name);
  }
  return inputs;
}

void BM_ConcatCopyReel(benchmark::State& s) {
  const auto inputs = concat_inputs();
  run_in_process(s, "concat10/reel", [&] {
    reel::media::concat(inputs, scratch("concat.mp4"), reel::media::ConcatMode::copy);
  });
}

void BM_ConcatCopyFfmpeg(benchmark::State& s) {
  const std::string list = scratch("concat-list.txt");
  if (FILE* f = std::fopen(list.c_str(), "w")) {
    for (const auto& in : concat_inputs()) std::fprintf(f, "file '%s'\n", in.c_str());
    std::fclose(f);
  }
  run_case(s, "concat10/ffmpeg",
           {"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
            "-c", "copy", scratch("concat-ff.mp4")});
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

double ratio_of_medians(const std::string& peer, const std::string& ours) {
  auto secs = [](const ChildRun& r) { return r.seconds; };
  return median(g_runs[peer], secs) / median(g_runs[ours], secs);
}

bool print_media_summary() {
  auto secs = [](const ChildRun& r) { return r.seconds; };
  bool ok = true;
  const double probe_ratio = ratio_of_medians("probe50/ffprobe", "probe50/reel");
  std::printf(
      "  probe 50 files: reel in process %.1f ms, ffprobe per file %.0f ms: %.1fx faster "
      "(target: at least 20x)\n",
      median(g_runs["probe50/reel"], secs) * 1e3, median(g_runs["probe50/ffprobe"], secs) * 1e3,
      probe_ratio);
  ok = ok && probe_ratio >= 20;
  for (const char* clip : {"gop_single_1080p.mp4", "gop_2s_1080p.mp4"}) {
    const std::string base = std::string("lastframe/") + clip;
    const double in_process = ratio_of_medians(base + "/ffmpeg", base + "/reel");
    const double as_process = ratio_of_medians(base + "/ffmpeg", base + "/reel-process");
    std::printf(
        "  last frame of %s: reel %.0f ms in process, %.0f ms as `reel -e`; ffmpeg %.0f ms: "
        "%.2fx / %.2fx (target: faster)\n",
        clip, median(g_runs[base + "/reel"], secs) * 1e3,
        median(g_runs[base + "/reel-process"], secs) * 1e3,
        median(g_runs[base + "/ffmpeg"], secs) * 1e3, in_process, as_process);
    ok = ok && in_process > 1.0 && as_process > 1.0;
  }
  const double concat_ratio = ratio_of_medians("concat10/ffmpeg", "concat10/reel");
  std::printf(
      "  join ten 5 s 720p clips by copy: reel %.0f ms, ffmpeg concat demuxer %.0f ms: "
      "%.2fx (target: no slower, >= 1)\n",
      median(g_runs["concat10/reel"], secs) * 1e3, median(g_runs["concat10/ffmpeg"], secs) * 1e3,
      concat_ratio);
  return ok && concat_ratio >= 1.0;
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
  bool ok = reel_start / lua_start <= 3.0 && reel_async < 1.0 && reel_async_rss < 50.0;
  if (!g_media.empty()) ok = print_media_summary() && ok;
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
    } else if (a.rfind("--media=", 0) == 0) {
      g_media = a.substr(8);
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
  if (!g_media.empty()) {
    benchmark::RegisterBenchmark("probe50/reel", BM_ProbeInProcess)
        ->UseManualTime()
        ->Iterations(10)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("probe50/ffprobe", BM_ProbeFfprobe)
        ->UseManualTime()
        ->Iterations(3)
        ->Unit(benchmark::kMillisecond);
    last_frame_cases("gop_single_1080p.mp4");
    last_frame_cases("gop_2s_1080p.mp4");
    benchmark::RegisterBenchmark("concat10/reel", BM_ConcatCopyReel)
        ->UseManualTime()
        ->Iterations(10)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("concat10/ffmpeg", BM_ConcatCopyFfmpeg)
        ->UseManualTime()
        ->Iterations(10)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_summary();
  return 0;
}
