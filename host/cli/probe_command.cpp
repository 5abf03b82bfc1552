#include "host/cli/probe_command.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "host/media/media.hpp"

namespace reel::cli {

namespace {

using nlohmann::json;

struct Probed {
  std::string path;
  std::optional<media::MediaInfo> info;
  std::string error;
  std::vector<std::string> problems;
};

json to_json(const media::MediaInfo& info) {
  json j = {{"path", info.path},        {"kind", info.kind},         {"format", info.format},
            {"mime", info.mime},        {"duration", info.duration}, {"size", info.size},
            {"bit_rate", info.bit_rate}};
  if (const auto& v = info.video) {
    j["video"] = {
        {"codec", v->codec},
        {"width", v->width},
        {"height", v->height},
        {"coded_width", v->coded_width},
        {"coded_height", v->coded_height},
        {"rotation", v->rotation},
        {"sar", std::to_string(v->sar.num) + ":" + std::to_string(v->sar.den)},
        {"fps", v->frame_rate.value()},
        {"frame_rate", std::to_string(v->frame_rate.num) + "/" + std::to_string(v->frame_rate.den)},
        {"pix_fmt", v->pix_fmt},
        {"frames", v->frames},
        {"duration", v->duration}};
  }
  if (const auto& a = info.audio) {
    j["audio"] = {{"codec", a->codec},
                  {"channels", a->channels},
                  {"sample_rate", a->sample_rate},
                  {"layout", a->layout},
                  {"duration", a->duration}};
  }
  return j;
}

std::string human_size(int64_t bytes) {
  char text[32];
  if (bytes >= 1000000) {
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.1f kB", static_cast<double>(bytes) / 1e3);
  }
  return text;
}

void print_facts(const media::MediaInfo& info) {
  std::printf("%s: %s, %s, %s", info.path.c_str(), info.kind.c_str(), info.format.c_str(),
              human_size(info.size).c_str());
  if (info.kind != "image") {
    std::printf(", %.3f s, %.2f Mb/s", info.duration, static_cast<double>(info.bit_rate) / 1e6);
  }
  std::printf("\n");
  if (const auto& v = info.video) {
    std::printf("  video: %s %dx%d", v->codec.c_str(), v->width, v->height);
    if (v->rotation != 0)
      std::printf(" (stored %dx%d, rotated %d°)", v->coded_width, v->coded_height, v->rotation);
    if (v->frame_rate.num != 0)
      std::printf(", %.3f fps (%d/%d)", v->frame_rate.value(), v->frame_rate.num,
                  v->frame_rate.den);
    if (!v->pix_fmt.empty()) std::printf(", %s", v->pix_fmt.c_str());  // unknown for huge images
    std::printf(", SAR %d:%d\n", v->sar.num, v->sar.den);
  }
  if (const auto& a = info.audio) {
    std::printf("  audio: %s %s (%d ch), %d Hz\n", a->codec.c_str(), a->layout.c_str(), a->channels,
                a->sample_rate);
  } else if (info.kind == "video") {
    std::printf("  audio: none\n");
  }
}

void print_problems(const std::vector<std::string>& problems, const std::string& use) {
  if (problems.empty()) {
    std::printf("  ok for %s\n", use.c_str());
    return;
  }
  for (const auto& p : problems) std::printf("  not ok for %s: %s\n", use.c_str(), p.c_str());
}

}  // namespace

}  // namespace reel::cli

// Exit status: 0 all readable (and fit for the use), 1 otherwise, 2 usage.
extern "C" __attribute__((visibility("default"))) int reel_probe_command(
    const reel::cli::ProbeOptions& options) {
  using namespace reel;
  std::optional<media::Use> use;
  if (!options.use.empty()) {
    use = media::use_from_name(options.use);
    if (!use) {
      std::fprintf(stderr,
                   "reel probe: --for must be extend, reference, image or start_end, not %s\n",
                   options.use.c_str());
      return 2;
    }
    if (*use == media::Use::start_end && options.files.size() != 2) {
      std::fprintf(stderr,
                   "reel probe: --for start_end takes two images, the first and the last frame\n");
      return 2;
    }
  }

  std::vector<cli::Probed> probed;
  bool all_ok = true;
  for (const auto& path : options.files) {
    cli::Probed p;
    p.path = path;
    try {
      p.info = media::probe(path);
      if (use && *use != media::Use::start_end) p.problems = media::check(*p.info, *use);
    } catch (const media::MediaError& e) {
      p.error = e.what();
    }
    all_ok = all_ok && p.error.empty() && p.problems.empty();
    probed.push_back(std::move(p));
  }
  std::vector<std::string> pair_problems;
  if (use && *use == media::Use::start_end && probed[0].info && probed[1].info) {
    pair_problems = media::check_start_end(*probed[0].info, *probed[1].info);
    all_ok = all_ok && pair_problems.empty();
  }

  if (options.json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& p : probed) {
      nlohmann::json j = p.info ? cli::to_json(*p.info) : nlohmann::json{{"path", p.path}};
      if (!p.error.empty()) j["error"] = p.error;
      if (use && *use != media::Use::start_end) j["problems"] = p.problems;
      files.push_back(std::move(j));
    }
    nlohmann::json out = {{"files", files}, {"ok", all_ok}};
    if (use) out["use"] = options.use;
    if (use && *use == media::Use::start_end) out["problems"] = pair_problems;
    std::cout << out.dump(2) << "\n";
    return all_ok ? 0 : 1;
  }
  for (const auto& p : probed) {
    if (!p.error.empty()) {
      std::fprintf(stderr, "reel probe: %s\n", p.error.c_str());
      continue;
    }
    cli::print_facts(*p.info);
    if (use && *use != media::Use::start_end) cli::print_problems(p.problems, options.use);
  }
  if (use && *use == media::Use::start_end && probed[0].info && probed[1].info) {
    std::printf("%s -> %s\n", options.files[0].c_str(), options.files[1].c_str());
    cli::print_problems(pair_problems, options.use);
  }
  return all_ok ? 0 : 1;
}
