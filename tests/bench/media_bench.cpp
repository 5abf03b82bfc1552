// host/media against the FFmpeg command-line tools, on the test media of
// tests/media/make_fixtures.sh, measured in the same run:
//   probe:      50 files probed in process, against ffprobe -show_format
//               -show_streams run per file
//   last frame: a 5 s 1080p single-GOP clip and a 2 s-GOP clip, in process and
//               as a `reel -e` process, against the correct ffmpeg command
//               (-sseof -1 -i F -update 1)
//   join:       ten 5 s 720p clips by copy, against ffmpeg's concat demuxer
//               with -c copy
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "host/media/media.hpp"

using namespace reel::bench;
namespace media = reel::media;

namespace {

std::string g_media;
std::string g_reel;

std::string scratch(const std::string& name) { return "/tmp/reel-bench-" + name; }

std::vector<std::string> probe_set() {
  const char* files[] = {"h264_aac.mp4",     "h264_aac_faststart.mp4", "video_only.mp4",
                         "portrait_9x16.mp4", "rotated.mp4",           "anamorphic.mp4",
                         "ntsc_2997.mov",    "mpeg4.avi",              "vp9.webm",
                         "src_4s.mp4",       "image.png",              "image.jpg",
                         "image.webp",       "tall_1x5.png",           "cat_01.mp4"};
  std::vector<std::string> set;
  for (size_t i = 0; set.size() < 50; ++i) set.push_back(g_media + "/" + files[i % std::size(files)]);
  return set;
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

void add(const std::string& name, int iterations, std::function<void(benchmark::State&)> fn) {
  benchmark::RegisterBenchmark(name.c_str(), [fn](benchmark::State& s) { fn(s); })
      ->UseManualTime()
      ->Iterations(iterations)
      ->Unit(benchmark::kMillisecond);
}

void register_cases() {
  const auto files = probe_set();
  add("probe50/reel", 10, [files](benchmark::State& s) {
    run_in_process(s, "probe50/reel", [&] {
      for (const auto& f : files) benchmark::DoNotOptimize(media::probe(f));
    });
  });
  add("probe50/ffprobe", 3, [files](benchmark::State& s) {
    run_in_process(s, "probe50/ffprobe", [&] {
      for (const auto& f : files) {
        spawn_and_wait({"ffprobe", "-v", "quiet", "-show_format", "-show_streams", "-o", "/dev/null", f});
      }
    });
  });

  for (const std::string clip : {"gop_single_1080p.mp4", "gop_2s_1080p.mp4"}) {
    const std::string file = g_media + "/" + clip;
    const std::string base = "lastframe/" + clip;
    add(base + "/reel", 10, [file, base](benchmark::State& s) {
      media::FrameRequest last;
      last.where = media::FrameRequest::Where::last;
      run_in_process(s, base + "/reel", [&] { media::extract_frame(file, last, scratch("last.png")); });
    });
    add(base + "/reel-process", 10, [file, base](benchmark::State& s) {
      run_process(s, base + "/reel-process",
                  {g_reel, "-e",
                   "media.frame('" + file + "', {at = 'last', out = '" + scratch("last-p.png") + "'})"});
    });
    add(base + "/ffmpeg", 10, [file, base](benchmark::State& s) {
      run_process(s, base + "/ffmpeg",
                  {"ffmpeg", "-nostdin", "-v", "error", "-y", "-sseof", "-1", "-i", file, "-update",
                   "1", scratch("last-ff.png")});
    });
  }

  const auto inputs = concat_inputs();
  add("concat10/reel", 10, [inputs](benchmark::State& s) {
    run_in_process(s, "concat10/reel",
                   [&] { media::concat(inputs, scratch("concat.mp4"), media::ConcatMode::copy); });
  });
  const std::string list = scratch("concat-list.txt");
  if (FILE* f = std::fopen(list.c_str(), "w")) {
    for (const auto& in : inputs) std::fprintf(f, "file '%s'\n", in.c_str());
    std::fclose(f);
  }
  add("concat10/ffmpeg", 10, [list](benchmark::State& s) {
    run_process(s, "concat10/ffmpeg",
                {"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
                 "-c", "copy", scratch("concat-ff.mp4")});
  });
}

double ratio(const std::string& peer, const std::string& ours) {
  return median_seconds(peer) / median_seconds(ours);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  g_reel = std::filesystem::absolute(take_flag(args, "reel", "build/reel")).string();
  g_media = std::filesystem::absolute(take_flag(args, "media", "build/test-media")).string();
  register_cases();
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  bool ok = true;
  std::printf("\nsummary (medians; ratio = ffmpeg tool time / reel time)\n");
  const double probe = ratio("probe50/ffprobe", "probe50/reel");
  std::printf("  probe 50 files: reel in process %.1f ms, ffprobe per file %.0f ms: %.1fx "
              "(target: at least 20x)\n",
              median_seconds("probe50/reel") * 1e3, median_seconds("probe50/ffprobe") * 1e3, probe);
  ok = ok && probe >= 20;
  for (const std::string clip : {"gop_single_1080p.mp4", "gop_2s_1080p.mp4"}) {
    const std::string base = "lastframe/" + clip;
    const double in_process = ratio(base + "/ffmpeg", base + "/reel");
    const double as_process = ratio(base + "/ffmpeg", base + "/reel-process");
    std::printf("  last frame of %s: reel %.0f ms in process, %.0f ms as `reel -e`; ffmpeg %.0f ms: "
                "%.2fx / %.2fx (target: faster, > 1)\n",
                clip.c_str(), median_seconds(base + "/reel") * 1e3,
                median_seconds(base + "/reel-process") * 1e3, median_seconds(base + "/ffmpeg") * 1e3,
                in_process, as_process);
    ok = ok && in_process > 1.0 && as_process > 1.0;
  }
  const double join = ratio("concat10/ffmpeg", "concat10/reel");
  std::printf("  join ten 5 s 720p clips by copy: reel %.0f ms, ffmpeg concat demuxer %.0f ms: %.2fx "
              "(target: no slower, >= 1)\n",
              median_seconds("concat10/reel") * 1e3, median_seconds("concat10/ffmpeg") * 1e3, join);
  ok = ok && join >= 1.0;
  std::printf("  targets %s\n", ok ? "met" : "NOT met");
  return 0;
}
