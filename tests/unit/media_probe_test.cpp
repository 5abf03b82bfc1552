// probe() against ffprobe, field by field, on the media made by
// tests/media/make_fixtures.sh; check() against each documented Vidu limit;
// bad input against the reasons a user gets.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/media/media.hpp"

namespace reel::media {
namespace {

using nlohmann::json;

std::string media_dir() {
  const char* dir = std::getenv("REEL_TEST_MEDIA");
  return dir != nullptr ? dir : "";
}

#define REQUIRE_MEDIA()                                                                   \
  if (media_dir().empty())                                                                \
  GTEST_SKIP() << "REEL_TEST_MEDIA is not set: run through ctest, or set it to a folder " \
                  "made by tests/media/make_fixtures.sh"

std::string fixture(const std::string& name) {
  return media_dir() + "/" + name;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// ffprobe on the file; with `from_stdin`, on its bytes alone (no name to go by).
json ffprobe(const std::string& path, bool from_stdin = false) {
  const std::string input = from_stdin ? "-i pipe:0 < " + quoted(path) : quoted(path);
  return json::parse(
      run("ffprobe -v error -print_format json -show_format -show_streams " + input));
}

const json* first_stream(const json& probe, const std::string& type) {
  for (const json& st : probe["streams"]) {
    const bool cover = st.contains("disposition") && st["disposition"].value("attached_pic", 0);
    if (st["codec_type"] == type && !cover) return &st;
  }
  return nullptr;
}

std::string six_decimals(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", seconds);
  return buf;
}

std::string ratio(const Rational& r, char sep) {
  return std::to_string(r.num) + sep + std::to_string(r.den);
}

int ffprobe_rotation(const json& st) {
  if (!st.contains("side_data_list")) return 0;
  for (const json& sd : st["side_data_list"]) {
    if (sd.contains("rotation")) return sd["rotation"].get<int>();
  }
  return 0;
}

bool contains(const std::vector<std::string>& list, const std::string& text) {
  for (const std::string& s : list) {
    if (s.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& s : list) out += "\n  " + s;
  return out;
}

// ---------------------------------------------------------------------------
// probe == ffprobe

class ProbeMatchesFfprobe : public ::testing::TestWithParam<std::string> {};

void expect_video_matches(const VideoInfo& v, const json& st, const json& format, bool image) {
  EXPECT_EQ(v.codec, st["codec_name"]);
  EXPECT_EQ(v.coded_width, st["width"]);
  EXPECT_EQ(v.coded_height, st["height"]);
  const int rotation = ffprobe_rotation(st);
  EXPECT_EQ(v.rotation, rotation);
  const bool sideways = rotation % 180 != 0;
  EXPECT_EQ(v.width, sideways ? st["height"].get<int>() : st["width"].get<int>());
  EXPECT_EQ(v.height, sideways ? st["width"].get<int>() : st["height"].get<int>());
  // ffprobe leaves the aspect ratio out when nothing sets it; we say 1:1.
  EXPECT_EQ(ratio(v.sar, ':'), st.value("sample_aspect_ratio", std::string("1:1")));
  EXPECT_EQ(v.pix_fmt, st["pix_fmt"]);
  if (image) {
    // A still picture has no rate; ffprobe shows the image demuxer's default.
    EXPECT_EQ(ratio(v.frame_rate, '/'), "0/1");
    EXPECT_EQ(v.frames, 0);
    EXPECT_EQ(v.duration, 0);
    return;
  }
  const std::string avg = st["avg_frame_rate"];
  EXPECT_EQ(ratio(v.frame_rate, '/'), avg != "0/0" ? avg : st["r_frame_rate"].get<std::string>());
  EXPECT_EQ(v.frames, std::stoll(st.value("nb_frames", std::string("0"))));
  EXPECT_EQ(six_decimals(v.duration), st.value("duration", format["duration"].get<std::string>()));
}

void expect_audio_matches(const AudioInfo& a, const json& st, const json& format) {
  EXPECT_EQ(a.codec, st["codec_name"]);
  EXPECT_EQ(a.channels, st["channels"]);
  EXPECT_EQ(std::to_string(a.sample_rate), st["sample_rate"]);
  EXPECT_EQ(a.layout, st.value("channel_layout", std::string()));
  EXPECT_EQ(six_decimals(a.duration), st.value("duration", format["duration"].get<std::string>()));
}

TEST_P(ProbeMatchesFfprobe, EveryField) {
  REQUIRE_MEDIA();
  const std::string path = fixture(GetParam());
  const MediaInfo info = probe(path);
  const json expected = ffprobe(path);
  const json& format = expected["format"];

  EXPECT_EQ(info.path, path);
  EXPECT_EQ(std::to_string(info.size), format["size"]);
  const bool image = info.kind == "image";
  if (image) {
    // Images are opened by content: the demuxer ffprobe picks from the bytes
    // alone, not "image2" from a .jpg name.
    EXPECT_EQ(info.format, ffprobe(path, true)["format"]["format_name"]);
    EXPECT_EQ(info.duration, 0);
    EXPECT_EQ(info.bit_rate, 0);
  } else {
    EXPECT_EQ(info.format, format["format_name"]);
    EXPECT_EQ(six_decimals(info.duration), format["duration"]);
    EXPECT_EQ(std::to_string(info.bit_rate), format["bit_rate"]);
  }

  const json* video = first_stream(expected, "video");
  ASSERT_EQ(info.video.has_value(), video != nullptr);
  if (video != nullptr) expect_video_matches(*info.video, *video, format, image);
  const json* audio = first_stream(expected, "audio");
  ASSERT_EQ(info.audio.has_value(), audio != nullptr);
  if (audio != nullptr) expect_audio_matches(*info.audio, *audio, format);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string name = p.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    GoodFixtures, ProbeMatchesFfprobe,
    ::testing::Values("h264_aac.mp4", "h264_aac_faststart.mp4", "video_only.mp4",
                      "portrait_9x16.mp4", "rotated.mp4", "anamorphic.mp4", "ntsc_2997.mov",
                      "mpeg4.avi", "vp9.webm", "src_3.5s.mp4", "src_4s.mp4", "src_60s.mp4",
                      "src_61s.mp4", "gop_single_1080p.mp4", "gop_2s_1080p.mp4", "cat_01.mp4",
                      "cat_other_size.mp4", "cat_no_audio.mp4", "image.png", "image.jpg",
                      "image.webp", "image_lossless.webp", "image_alpha.webp", "image_640x400.png",
                      "image_1280x720.jpg", "tall_1x5.png", "small_100.png",
                      "small_tall_60x300.png", "square_480.png", "png_named.jpg", "jpeg_named.mp4",
                      "audio_only.mp4"),
    test_name);

// ---------------------------------------------------------------------------
// What probe says beyond ffprobe's fields

TEST(Probe, KindAndMime) {
  REQUIRE_MEDIA();
  const std::pair<const char*, const char*> kinds[] = {
      {"h264_aac.mp4", "video"}, {"image.png", "image"}, {"audio_only.mp4", "audio"}};
  for (const auto& [name, kind] : kinds) EXPECT_EQ(probe(fixture(name)).kind, kind) << name;
  const std::pair<const char*, const char*> mimes[] = {
      {"h264_aac.mp4", "video/mp4"},    {"ntsc_2997.mov", "video/quicktime"},
      {"mpeg4.avi", "video/x-msvideo"}, {"vp9.webm", "video/webm"},
      {"image.png", "image/png"},       {"image.jpg", "image/jpeg"},
      {"image.webp", "image/webp"},     {"image_lossless.webp", "image/webp"},
      {"audio_only.mp4", "audio/mp4"}};
  for (const auto& [name, mime] : mimes) EXPECT_EQ(probe(fixture(name)).mime, mime) << name;
}

TEST(Probe, ImagesAreRecognisedByContentNotName) {
  REQUIRE_MEDIA();
  const MediaInfo png = probe(fixture("png_named.jpg"));
  EXPECT_EQ(png.kind, "image");
  EXPECT_EQ(png.mime, "image/png");
  EXPECT_EQ(png.format, "png_pipe");
  EXPECT_EQ(png.video->codec, "png");
  const MediaInfo jpeg = probe(fixture("jpeg_named.mp4"));
  EXPECT_EQ(jpeg.kind, "image");
  EXPECT_EQ(jpeg.mime, "image/jpeg");
  EXPECT_EQ(jpeg.format, "jpeg_pipe");
  EXPECT_EQ(jpeg.video->codec, "mjpeg");
  EXPECT_EQ(jpeg.video->width, 640);
}

TEST(Probe, RotationSwapsTheDisplayedSize) {
  REQUIRE_MEDIA();
  const MediaInfo info = probe(fixture("rotated.mp4"));
  EXPECT_EQ(info.video->rotation, 90);
  EXPECT_EQ(info.video->coded_width, 1280);
  EXPECT_EQ(info.video->width, 720);
  EXPECT_EQ(info.video->height, 1280);
}

TEST(Probe, HugeImageIsReportedNotDecoded) {
  REQUIRE_MEDIA();
  const MediaInfo info = probe(fixture("huge_17000x5000.png"));
  EXPECT_EQ(info.kind, "image");
  EXPECT_EQ(info.video->width, 17000);
  EXPECT_EQ(info.video->height, 5000);
  const json expected = ffprobe(fixture("huge_17000x5000.png"));
  EXPECT_EQ(info.video->coded_width, expected["streams"][0]["width"]);
  EXPECT_EQ(info.video->coded_height, expected["streams"][0]["height"]);
}

TEST(Probe, DistinctFilesOnManyThreads) {
  REQUIRE_MEDIA();
  const char* names[] = {"h264_aac.mp4", "vp9.webm",   "mpeg4.avi",      "image.png",
                         "image.jpg",    "image.webp", "audio_only.mp4", "garbage.mp4"};
  std::vector<std::thread> threads;
  std::vector<std::string> outcome(std::size(names));
  for (size_t i = 0; i < std::size(names); ++i) {
    threads.emplace_back([&, i] {
      try {
        outcome[i] = probe(fixture(names[i])).kind;
      } catch (const MediaError& e) {
        outcome[i] = "error: " + e.reason();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < std::size(names); ++i) {
    if (std::string(names[i]) == "garbage.mp4") {
      EXPECT_EQ(outcome[i].rfind("error: not a media file", 0), 0u) << outcome[i];
    } else {
      EXPECT_EQ(outcome[i].rfind("error", 0), std::string::npos) << names[i] << ": " << outcome[i];
    }
  }
}

// ---------------------------------------------------------------------------
// Bad input: a MediaError naming the file and a reason a user acts on

struct BadInput {
  const char* name;
  const char* starts;         // how the reason starts
  const char* contains = "";  // and what else it says
};

class ProbeRefuses : public ::testing::TestWithParam<BadInput> {};

void expect_refused(const std::string& path, const std::string& starts,
                    const std::string& contains) {
  try {
    probe(path);
    ADD_FAILURE() << path << " probed without error";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
    EXPECT_EQ(e.reason().rfind(starts, 0), 0u) << e.reason();
    EXPECT_NE(e.reason().find(contains), std::string::npos) << e.reason();
  }
}

TEST_P(ProbeRefuses, WithASpecificReason) {
  REQUIRE_MEDIA();
  expect_refused(fixture(GetParam().name), GetParam().starts, GetParam().contains);
}

INSTANTIATE_TEST_SUITE_P(
    BadFixtures, ProbeRefuses,
    ::testing::Values(
        BadInput{"empty.mp4", "empty file (0 bytes)"},
        BadInput{"garbage.mp4", "not a media file FFmpeg can read (garbage or unsupported format)"},
        BadInput{"truncated.mp4",
                 "truncated: the moov atom is missing (the download or copy did not finish)"},
        BadInput{"truncated_faststart.mp4", "truncated: it is ", "but its mdat atom runs to"},
        BadInput{"truncated.png", "truncated: the PNG stops after 20000 bytes, before its end"},
        BadInput{"truncated.jpg", "truncated: the JPEG stops after", "before its end"},
        BadInput{"truncated.webp", "truncated: it is ", "but its WebP header runs to"},
        BadInput{"zero_frames.mp4", "zero duration"},
        BadInput{"subtitle_only.srt", "no video or audio stream (only subtitle)"},
        BadInput{"notes.txt", "not a media file FFmpeg can read"},
        BadInput{"no_such_file.mp4", "no such file"}, BadInput{".", "is a directory"}),
    [](const ::testing::TestParamInfo<BadInput>& p) {
      std::string name = p.param.name;
      if (name == ".") name = "directory";
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

// A scratch folder for files made by a test, removed afterwards.
class Scratch {
 public:
  Scratch()
      : dir_(std::filesystem::temp_directory_path() /
             ("reel-probe-" + std::to_string(getpid()) + "-" + std::to_string(next_++))) {
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Writes `bytes` to `name` and returns its path.
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

 private:
  static inline int next_ = 0;
  std::filesystem::path dir_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Probe, CutShortContainersAreTruncated) {
  REQUIRE_MEDIA();
  const Scratch scratch;
  struct Cut {
    const char* name;
    size_t keep;  // bytes; 0 for half the file
    const char* says;
  };
  const Cut cuts[] = {{"mpeg4.avi", 0, "but its AVI header runs to"},
                      {"vp9.webm", 0, "but its Matroska segment runs to"},
                      {"vp9.webm", 30, "but its EBML header runs to"},
                      {"h264_aac_faststart.mp4", 2000, "but its moov atom runs to"},
                      {"h264_aac_faststart.mp4", 8, "truncated: the moov atom is missing"}};
  for (const Cut& cut : cuts) {
    const std::string whole = read_bytes(fixture(cut.name));
    const size_t keep = cut.keep != 0 ? cut.keep : whole.size() / 2;
    const std::string path = scratch.write(cut.name, whole.substr(0, keep));
    expect_refused(path, "truncated: ", cut.says);
  }
  // The numbers are the file's and what its header claims.
  const std::string avi = read_bytes(fixture("mpeg4.avi"));
  const std::string half = scratch.write("half.avi", avi.substr(0, avi.size() / 2));
  expect_refused(half,
                 "truncated: it is " + std::to_string(avi.size() / 2) +
                     " bytes but its AVI header runs to " + std::to_string(avi.size()) + " bytes",
                 "(the download or copy did not finish)");
}

// Cut at every kind of place and with bytes overwritten, nothing crashes,
// hangs or throws anything but MediaError. Run under ASan/UBSan to mean most.
TEST(Probe, SurvivesCutAndCorruptedInput) {
  REQUIRE_MEDIA();
  const Scratch scratch;
  std::mt19937 random(20240601);
  for (const char* name :
       {"h264_aac_faststart.mp4", "h264_aac.mp4", "vp9.webm", "mpeg4.avi", "ntsc_2997.mov",
        "image.png", "image.jpg", "image.webp", "image_lossless.webp", "image_alpha.webp"}) {
    const std::string whole = read_bytes(fixture(name));
    std::vector<std::string> variants;
    for (size_t keep : {size_t{1}, size_t{4}, size_t{8}, size_t{12}, size_t{16}, size_t{33},
                        size_t{100}, size_t{1000}, size_t{5000}, whole.size() / 3}) {
      variants.push_back(whole.substr(0, std::min(keep, whole.size())));
    }
    for (int k = 0; k < 12; ++k) {
      std::string bad = whole;
      const size_t window = std::min<size_t>(bad.size(), 4096);  // headers live up front
      for (int flips = 0; flips < 8; ++flips) bad[random() % window] = static_cast<char>(random());
      variants.push_back(bad);
    }
    for (const std::string& bytes : variants) {
      const std::string path = scratch.write(name, bytes);
      try {
        probe(path);
      } catch (const MediaError& e) {
        EXPECT_FALSE(e.reason().empty());
      }
    }
  }
}

TEST(Probe, RefusesAFifoInsteadOfBlocking) {
  const Scratch scratch;
  const std::string fifo = scratch.path("clip.mp4");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_refused(fifo, "not a regular file", "");
}

// ---------------------------------------------------------------------------
// check: each documented limit (vidu-api.md §1.2, §4–§7)

std::vector<std::string> check_file(const char* name, Use use) {
  return check(probe(fixture(name)), use);
}

TEST(Check, ExtendNeedsFourToSixtySeconds) {
  REQUIRE_MEDIA();
  EXPECT_EQ(check_file("src_3.5s.mp4", Use::extend),
            std::vector<std::string>{"3.52 s long; extend needs 4–60 s"});
  EXPECT_EQ(check_file("src_61s.mp4", Use::extend),
            std::vector<std::string>{"61 s long; extend needs 4–60 s"});
  EXPECT_TRUE(check_file("src_4s.mp4", Use::extend).empty());
  EXPECT_TRUE(check_file("src_60s.mp4", Use::extend).empty());
}

TEST(Check, ExtendNeedsAVideo) {
  REQUIRE_MEDIA();
  EXPECT_EQ(check_file("image.png", Use::extend),
            std::vector<std::string>{"it is an image; extend needs a video"});
  EXPECT_EQ(check_file("audio_only.mp4", Use::extend),
            std::vector<std::string>{"it is audio only; extend needs a video"});
}

TEST(Check, ReferenceImages) {
  REQUIRE_MEDIA();
  EXPECT_TRUE(check_file("image.png", Use::reference).empty());
  EXPECT_TRUE(check_file("image.webp", Use::reference).empty());
  EXPECT_EQ(check_file("tall_1x5.png", Use::reference),
            std::vector<std::string>{
                "1:5 aspect ratio (160×800); reference images must be between 1:4 and 4:1"});
  EXPECT_EQ(check_file("small_100.png", Use::reference),
            std::vector<std::string>{"100×100; reference images must be at least 128×128"});
}

TEST(Check, ListsEveryProblemAtOnce) {
  REQUIRE_MEDIA();
  const auto problems = check_file("small_tall_60x300.png", Use::reference);
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "60×300; reference images must be at least 128×128",
                "1:5 aspect ratio (60×300); reference images must be between 1:4 and 4:1"}));
}

TEST(Check, ReferenceVideos) {
  REQUIRE_MEDIA();
  EXPECT_TRUE(check_file("h264_aac.mp4", Use::reference).empty());
  EXPECT_TRUE(check_file("ntsc_2997.mov", Use::reference).empty());
  EXPECT_TRUE(check_file("mpeg4.avi", Use::reference).empty());
  EXPECT_EQ(check_file("vp9.webm", Use::reference),
            std::vector<std::string>{"a webm video; reference videos must be mp4, avi or mov"});
  EXPECT_EQ(check_file("src_60s.mp4", Use::reference),
            std::vector<std::string>{
                "60 s long; a reference video can be at most 8 s (two videos: 5 s each)"});
  EXPECT_EQ(check_file("audio_only.mp4", Use::reference),
            std::vector<std::string>{"it is audio only; reference needs png, jpeg or webp images "
                                     "or mp4, avi or mov videos"});
}

TEST(Check, ImageForImg2video) {
  REQUIRE_MEDIA();
  EXPECT_TRUE(check_file("image.jpg", Use::image).empty());
  // No minimum size is documented for img2video (§1.2, §18 Q4).
  EXPECT_TRUE(check_file("small_100.png", Use::image).empty());
  EXPECT_EQ(
      check_file("tall_1x5.png", Use::image),
      std::vector<std::string>{"1:5 aspect ratio (160×800); images must be between 1:4 and 4:1"});
  EXPECT_EQ(check_file("h264_aac.mp4", Use::image),
            std::vector<std::string>{"it is a video; image needs png, jpeg or webp"});
}

TEST(Check, HugeImagesAreRefused) {
  REQUIRE_MEDIA();
  EXPECT_EQ(check_file("huge_17000x5000.png", Use::image),
            std::vector<std::string>{"17000×5000; reel handles at most 16384 px per side"});
}

TEST(Check, StartEndPairs) {
  REQUIRE_MEDIA();
  const auto pair = [](const char* a, const char* b) {
    return check_start_end(probe(fixture(a)), probe(fixture(b)));
  };
  EXPECT_TRUE(pair("image.png", "image.jpg").empty());
  EXPECT_TRUE(pair("image.png", "image_640x400.png").empty());  // 0.9 in pixels, 1.11 in shape
  EXPECT_EQ(pair("image.png", "image_1280x720.jpg"),
            std::vector<std::string>{"start and end sizes differ in pixel count by 4× (640×360 "
                                     "vs 1280×720); start_end needs start÷end within 0.8–1.25"});
  EXPECT_EQ(pair("image.png", "square_480.png"),
            std::vector<std::string>{"start and end aspect ratios differ by 1.78× (640×360 vs "
                                     "480×480); start_end needs start÷end within 0.8–1.25"});
  const auto both = pair("small_100.png", "tall_1x5.png");
  EXPECT_EQ(both.size(), 3u) << joined(both);
  EXPECT_TRUE(contains(both, "end: 1:5 aspect ratio (160×800)")) << joined(both);
  EXPECT_TRUE(contains(both, "sizes differ in pixel count by 12.8×")) << joined(both);
  EXPECT_TRUE(contains(both, "aspect ratios differ by 5×")) << joined(both);
  EXPECT_EQ(
      pair("h264_aac.mp4", "image.png"),
      std::vector<std::string>{"start: it is a video; start_end needs png, jpeg or webp images"});
}

// The same rules on made-up facts, for limits no fixture sits on.

MediaInfo made_image(int width, int height, int64_t size = 100'000,
                     const std::string& mime = "image/png") {
  MediaInfo info;
  info.kind = "image";
  info.mime = mime;
  info.format = "png_pipe";
  info.size = size;
  info.video = VideoInfo{};
  info.video->width = width;
  info.video->height = height;
  return info;
}

MediaInfo made_video(double seconds, int64_t size = 1'000'000) {
  MediaInfo info;
  info.kind = "video";
  info.mime = "video/mp4";
  info.format = "mov,mp4,m4a,3gp,3g2,mj2";
  info.size = size;
  info.duration = seconds;
  info.video = VideoInfo{};
  info.video->width = 1280;
  info.video->height = 720;
  info.video->duration = seconds;
  return info;
}

TEST(CheckLimits, Boundaries) {
  EXPECT_TRUE(check(made_image(400, 100), Use::image).empty());  // 4:1 exactly
  EXPECT_TRUE(check(made_image(100, 400), Use::image).empty());  // 1:4 exactly
  EXPECT_TRUE(check(made_image(128, 128), Use::reference).empty());
  EXPECT_TRUE(check(made_image(16384, 4096), Use::image).empty());
  EXPECT_TRUE(check(made_image(640, 360, 50'000'000), Use::image).empty());
  EXPECT_EQ(check(made_image(401, 100), Use::image),
            std::vector<std::string>{"4.01:1 aspect ratio (401×100); images must be between 1:4 "
                                     "and 4:1"});
  // Never shown as the limit itself.
  EXPECT_EQ(check(made_image(4001, 1000), Use::image),
            std::vector<std::string>{"4.001:1 aspect ratio (4001×1000); images must be between "
                                     "1:4 and 4:1"});
  EXPECT_EQ(check(made_image(127, 128), Use::reference),
            std::vector<std::string>{"127×128; reference images must be at least 128×128"});
}

TEST(CheckLimits, FileSizes) {
  EXPECT_EQ(check(made_image(640, 360, 52'000'000), Use::image),
            std::vector<std::string>{"52.0 MB; images must be at most 50 MB"});
  EXPECT_EQ(check(made_image(640, 360, 52'000'000), Use::start_end),
            std::vector<std::string>{"52.0 MB; images must be at most 50 MB"});
  EXPECT_EQ(check(made_image(640, 360, 52'000'000), Use::reference),
            std::vector<std::string>{"52.0 MB; reference images must be at most 50 MB"});
  EXPECT_TRUE(check(made_video(5, 100'000'000), Use::reference).empty());
  EXPECT_EQ(check(made_video(5, 100'000'001), Use::reference),
            std::vector<std::string>{"100.0 MB; reference videos must be at most 100 MB"});
}

TEST(CheckLimits, ImageFormats) {
  EXPECT_EQ(check(made_image(640, 360, 1000, "image/bmp"), Use::image),
            std::vector<std::string>{"a bmp image; images must be png, jpeg or webp"});
}

TEST(CheckLimits, Durations) {
  EXPECT_TRUE(check(made_video(8), Use::reference).empty());
  EXPECT_EQ(check(made_video(8.01), Use::reference),
            std::vector<std::string>{
                "8.01 s long; a reference video can be at most 8 s (two videos: 5 s each)"});
  // Judged to the millisecond, as shown.
  EXPECT_TRUE(check(made_video(3.9999), Use::extend).empty());
  EXPECT_EQ(check(made_video(3.999), Use::extend),
            std::vector<std::string>{"3.999 s long; extend needs 4–60 s"});
  EXPECT_EQ(check(made_video(60.001), Use::extend),
            std::vector<std::string>{"60.001 s long; extend needs 4–60 s"});
}

TEST(CheckLimits, StartEndRatioBounds) {
  // 0.8 and 1.25 in pixel count are allowed, just beyond is not.
  EXPECT_TRUE(check_start_end(made_image(800, 500), made_image(1000, 500)).empty());
  EXPECT_TRUE(check_start_end(made_image(1000, 500), made_image(800, 500)).empty());
  EXPECT_TRUE(check_start_end(made_image(1000, 1000), made_image(1000, 800)).empty());
  EXPECT_EQ(check_start_end(made_image(1000, 1000), made_image(1000, 799)).size(), 2u);
}

TEST(Use, Names) {
  for (const Use use : {Use::extend, Use::reference, Use::image, Use::start_end}) {
    EXPECT_EQ(use_from_name(use_name(use)), use);
  }
  EXPECT_EQ(use_from_name("img2video"), std::nullopt);
  EXPECT_EQ(use_from_name(""), std::nullopt);
}

}  // namespace
}  // namespace reel::media
