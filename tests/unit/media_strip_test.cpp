// make_strip: sizes, pixels and errors. Inputs are pictures made here (flat
// colours written with reel's own PNG writer, or by the ffmpeg CLI where a
// PNG needs what that writer does not do) and the fixtures of
// tests/media/make_fixtures.sh (env REEL_TEST_MEDIA).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "host/media/av.hpp"
#include "host/media/media.hpp"
#include "host/media/png_file.hpp"

// A namespace of its own: media_tests is built as one unity translation
// unit, and the other files' helpers live in the shared anonymous namespace.
namespace media_strip_test {
namespace {

namespace fs = std::filesystem;
using reel::media::Frame;
using reel::media::make_strip;
using reel::media::MediaError;
using reel::media::StripOptions;
using Rgb = std::array<int, 3>;

constexpr Rgb kRed = {255, 0, 0};
constexpr Rgb kBlue = {0, 0, 255};
constexpr Rgb kGrey = {0x20, 0x20, 0x20};

std::string test_media_dir() {
  const char* dir = std::getenv("REEL_TEST_MEDIA");
  return dir != nullptr ? dir : "";
}

// A PNG read back as packed RGB.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
  std::string error;

  Rgb at(int x, int y) const {
    const size_t i = 3 * (static_cast<size_t>(y) * width + x);
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

Image read_png(const std::string& path) {
  namespace av = reel::media::av;
  Image img;
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) {
    img.error = "cannot open " + path;
    return img;
  }
  av::InputFormat fmt(raw);
  const AVCodecParameters* par = fmt->streams[0]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  av::Codec dec(avcodec_alloc_context3(codec));
  av::Packet packet(av_packet_alloc());
  av::FramePtr frame(av_frame_alloc());
  if (par->codec_id != AV_CODEC_ID_PNG || avcodec_parameters_to_context(dec.get(), par) < 0 ||
      avcodec_open2(dec.get(), codec, nullptr) < 0 || av_read_frame(fmt.get(), packet.get()) < 0 ||
      avcodec_send_packet(dec.get(), packet.get()) < 0 ||
      avcodec_send_packet(dec.get(), nullptr) < 0 ||
      avcodec_receive_frame(dec.get(), frame.get()) < 0) {
    img.error = "cannot decode " + path + " as PNG";
    return img;
  }
  if (frame->format != AV_PIX_FMT_RGB24) {
    img.error = path + " is not rgb24";
    return img;
  }
  img.width = frame->width;
  img.height = frame->height;
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* line = frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0];
    img.rgb.insert(img.rgb.end(), line, line + 3 * static_cast<size_t>(img.width));
  }
  return img;
}

// A flat-coloured RGB PNG, through the writer make_strip itself uses.
void write_flat_png(const std::string& path, int width, int height, Rgb colour,
                    AVRational sar = {1, 1}) {
  reel::media::av::FramePtr frame(av_frame_alloc());
  frame->format = AV_PIX_FMT_RGB24;
  frame->width = width;
  frame->height = height;
  frame->sample_aspect_ratio = sar;
  ASSERT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
  for (int y = 0; y < height; ++y) {
    uint8_t* row = frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0];
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) row[3 * x + c] = static_cast<uint8_t>(colour[c]);
    }
  }
  reel::media::write_png(path, frame.get(), path);
}

// Colours within `tolerance` per channel (swscale's RGB path goes through
// YUV internally, which may be off by a step or two).
::testing::AssertionResult near_colour(const Image& img, int x, int y, Rgb want,
                                       int tolerance = 3) {
  const Rgb got = img.at(x, y);
  for (int c = 0; c < 3; ++c) {
    if (std::abs(got[c] - want[c]) > tolerance) {
      return ::testing::AssertionFailure()
             << "pixel (" << x << "," << y << ") is " << got[0] << "," << got[1] << "," << got[2]
             << ", want " << want[0] << "," << want[1] << "," << want[2];
    }
  }
  return ::testing::AssertionSuccess();
}

class StripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "reel-strip-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string scratch(const std::string& name) const { return (dir_ / name).string(); }
  std::string media(const std::string& name) const {
    return (fs::path(test_media_dir()) / name).string();
  }
  bool have_media() const { return !test_media_dir().empty(); }

  std::vector<std::string> files_in_scratch() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // The reason of the MediaError make_strip throws, after checking it names `path`.
  std::string reason_of(const std::vector<std::string>& pictures, const std::string& out,
                        const StripOptions& options, const std::string& path) {
    try {
      make_strip(pictures, out, options);
    } catch (const MediaError& e) {
      EXPECT_EQ(e.path(), path) << e.what();
      return e.reason();
    }
    ADD_FAILURE() << "no MediaError";
    return "";
  }

  fs::path dir_;
};

// ---------------------------------------------------------------------------
// Layout and pixels

TEST_F(StripTest, RedThenBlueWithAGreyGap) {
  write_flat_png(scratch("red.png"), 320, 180, kRed);    // 16:9 -> 160x90
  write_flat_png(scratch("blue.png"), 100, 200, kBlue);  // 1:2  -> 45x90
  const Frame strip =
      make_strip({scratch("red.png"), scratch("blue.png")}, scratch("strip.png"), {90, 4});
  EXPECT_EQ(strip.path, scratch("strip.png"));
  EXPECT_EQ(strip.width, 160 + 4 + 45);
  EXPECT_EQ(strip.height, 90);

  const Image img = read_png(strip.path);
  ASSERT_EQ(img.error, "");
  EXPECT_EQ(img.width, strip.width);
  EXPECT_EQ(img.height, strip.height);
  for (int y : {0, 45, 89}) {
    EXPECT_TRUE(near_colour(img, 0, y, kRed));
    EXPECT_TRUE(near_colour(img, 80, y, kRed));
    EXPECT_TRUE(near_colour(img, 159, y, kRed));
    for (int x = 160; x < 164; ++x) EXPECT_EQ(img.at(x, y), kGrey) << x << "," << y;
    EXPECT_TRUE(near_colour(img, 164, y, kBlue));
    EXPECT_TRUE(near_colour(img, 208, y, kBlue));
  }
  EXPECT_EQ(files_in_scratch(), (std::vector<std::string>{"blue.png", "red.png", "strip.png"}));
}

TEST_F(StripTest, NoGapAndOnePicture) {
  write_flat_png(scratch("red.png"), 64, 48, kRed);
  write_flat_png(scratch("blue.png"), 64, 48, kBlue);
  const Frame joined =
      make_strip({scratch("red.png"), scratch("blue.png")}, scratch("a.png"), {24, 0});
  EXPECT_EQ(joined.width, 64);  // 32 + 0 + 32
  const Image img = read_png(joined.path);
  EXPECT_TRUE(near_colour(img, 31, 12, kRed));
  EXPECT_TRUE(near_colour(img, 32, 12, kBlue));

  const Frame single = make_strip({scratch("blue.png")}, scratch("b.png"), {});  // default 180
  EXPECT_EQ(single.width, 240);
  EXPECT_EQ(single.height, 180);
}

// Widths are rounded to nearest: 100x300 at 16 px high is 5.33 -> 5 px.
TEST_F(StripTest, WidthsRoundToNearest) {
  write_flat_png(scratch("narrow.png"), 100, 300, kRed);  // 5.33
  write_flat_png(scratch("wide.png"), 300, 192, kBlue);   // 25.0
  write_flat_png(scratch("half.png"), 110, 160, kRed);    // 11.0
  write_flat_png(scratch("up.png"), 70, 64, kBlue);       // 17.5 -> 18
  const Frame strip = make_strip(
      {scratch("narrow.png"), scratch("wide.png"), scratch("half.png"), scratch("up.png")},
      scratch("s.png"), {16, 1});
  EXPECT_EQ(strip.width, 5 + 1 + 25 + 1 + 11 + 1 + 18);
}

// A picture with non-square pixels (PNG pHYs, as media.frame writes for
// anamorphic video) is laid out as displayed.
TEST_F(StripTest, SampleAspectRatioIsApplied) {
  write_flat_png(scratch("anamorphic.png"), 64, 64, kRed, AVRational{2, 1});
  const Frame strip = make_strip({scratch("anamorphic.png")}, scratch("s.png"), {32, 4});
  EXPECT_EQ(strip.width, 64);
  EXPECT_EQ(strip.height, 32);
}

// Transparent parts show the strip's background, not black.
TEST_F(StripTest, TransparencyShowsTheBackground) {
  const std::string clear = scratch("clear.png");
  const std::string command =
      "ffmpeg -nostdin -v error -y -f lavfi -i color=c=red:size=64x32 -frames:v 1 "
      "-vf format=rgba,colorchannelmixer=aa=0 -pix_fmt rgba '" +
      clear + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const Frame strip = make_strip({clear}, scratch("s.png"), {32, 4});
  const Image img = read_png(strip.path);
  ASSERT_EQ(img.error, "");
  EXPECT_EQ(img.at(10, 10), kGrey);
}

// The fixtures: PNG, JPEG and WebP by content, whatever their name, at the default height.
TEST_F(StripTest, ReadsPngJpegAndWebpByContent) {
  if (!have_media()) GTEST_SKIP() << "REEL_TEST_MEDIA is not set";
  const Frame strip = make_strip({media("image.png"), media("image.jpg"), media("png_named.jpg"),
                                  media("image.webp"), media("tall_1x5.png")},
                                 scratch("s.png"));
  // 640x360 -> 320 (four of them), 160x800 -> 36; four gaps of 4.
  EXPECT_EQ(strip.width, 4 * 320 + 36 + 4 * 4);
  EXPECT_EQ(strip.height, 180);
  const Image img = read_png(strip.path);
  ASSERT_EQ(img.error, "");
  EXPECT_EQ(img.width, strip.width);
  // The PNG and the same picture as JPEG come out nearly alike (testsrc2's
  // top-left is a flat colour patch).
  const Rgb png = img.at(20, 20);
  EXPECT_TRUE(near_colour(img, 324 + 20, 20, png, 12));
}

// A frame from media.frame's writer, fed to the strip as a Frame would be.
TEST_F(StripTest, TakesFramesOfAVideo) {
  if (!have_media()) GTEST_SKIP() << "REEL_TEST_MEDIA is not set";
  reel::media::FrameRequest request;
  request.width = 320;
  const Frame a = reel::media::extract_frame(media("rotated.mp4"), request, scratch("a.png"));
  const Frame b = reel::media::extract_frame(media("anamorphic.mp4"), {}, scratch("b.png"));
  const Frame strip = make_strip({a.path, b.path}, scratch("s.png"), {120, 4});
  // 320x569 portrait -> 67; 720x576 at SAR 16:15 shows as 768x576 -> 160.
  EXPECT_EQ(strip.width, 67 + 4 + 160);
}

TEST_F(StripTest, ReplacesAnExistingFileWhole) {
  write_flat_png(scratch("red.png"), 32, 32, kRed);
  std::ofstream(scratch("s.png")) << "old contents";
  make_strip({scratch("red.png")}, scratch("s.png"), {16, 4});
  EXPECT_EQ(read_png(scratch("s.png")).error, "");
  EXPECT_EQ(files_in_scratch(), (std::vector<std::string>{"red.png", "s.png"}));
}

// ---------------------------------------------------------------------------
// Errors: MediaError naming the thing at fault, and nothing written

TEST_F(StripTest, BadOptionsNameTheRule) {
  write_flat_png(scratch("red.png"), 32, 32, kRed);
  const std::string out = scratch("s.png");
  const std::vector<std::string> one = {scratch("red.png")};
  EXPECT_EQ(reason_of(one, out, {15, 4}, out),
            "height=15 is out of range; a strip is 16 to 2160 px high, so pass a height in that "
            "range");
  EXPECT_NE(reason_of(one, out, {2161, 4}, out).find("height=2161"), std::string::npos);
  EXPECT_NE(reason_of(one, out, {0, 4}, out).find("height=0"), std::string::npos);
  EXPECT_NE(reason_of(one, out, {180, -1}, out).find("gap=-1"), std::string::npos);
  EXPECT_NE(reason_of({}, out, {}, out).find("no pictures"), std::string::npos);
  EXPECT_EQ(files_in_scratch(), std::vector<std::string>{"red.png"});
}

TEST_F(StripTest, MissingOutputFolderIsAnErrorNamingIt) {
  write_flat_png(scratch("red.png"), 32, 32, kRed);
  const std::string out = scratch("no/such/strip.png");
  const std::string reason = reason_of({scratch("red.png")}, out, {}, out);
  EXPECT_NE(reason.find("does not exist"), std::string::npos) << reason;
  EXPECT_NE(reason.find(scratch("no/such")), std::string::npos) << reason;
  EXPECT_EQ(files_in_scratch(), std::vector<std::string>{"red.png"});
}

// An unreadable picture is named with its place in the list, and no strip
// (nor a temporary part of one) is left, while an older strip stays as it was.
TEST_F(StripTest, UnreadablePictureNamesItsPathAndIndex) {
  write_flat_png(scratch("red.png"), 32, 32, kRed);
  std::ofstream(scratch("notes.txt")) << "shot list\n";
  fs::create_directory(scratch("folder"));
  std::ofstream(scratch("old.png")) << "old contents";
  struct Case {
    std::string bad;
    std::string reason_part;
  };
  std::vector<Case> cases = {
      {scratch("missing.png"), "file not found"},
      {scratch("notes.txt"), "not a PNG, JPEG or WebP picture"},
      {scratch("folder"), "is a folder"},
  };
  if (have_media()) {
    cases.push_back({media("truncated.png"), "truncated"});
    cases.push_back({media("truncated.jpg"), "truncated"});
    cases.push_back({media("h264_aac.mp4"), "media.frame"});
    cases.push_back({media("huge_17000x5000.png"), "at most 16384 px"});
  }
  for (const Case& c : cases) {
    const std::string reason =
        reason_of({scratch("red.png"), c.bad, scratch("red.png")}, scratch("old.png"), {}, c.bad);
    EXPECT_EQ(reason.rfind("picture 2 of 3 for the strip: ", 0), 0u) << reason;
    EXPECT_NE(reason.find(c.reason_part), std::string::npos) << c.bad << ": " << reason;
  }
  EXPECT_EQ(files_in_scratch(),
            (std::vector<std::string>{"folder", "notes.txt", "old.png", "red.png"}));
  std::ifstream in(scratch("old.png"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            "old contents");
}

// The strip's width is bounded (its memory with it): one picture too wide
// for the height, or too many pictures together.
TEST_F(StripTest, TooWideIsAnError) {
  write_flat_png(scratch("wide.png"), 16000, 16, kRed);
  const std::string out = scratch("s.png");
  const std::string one = reason_of({scratch("wide.png")}, out, {64, 4}, scratch("wide.png"));
  EXPECT_NE(one.find("64000 px wide"), std::string::npos) << one;
  const std::string many =
      reason_of({scratch("wide.png"), scratch("wide.png"), scratch("wide.png")}, out, {16, 4}, out);
  EXPECT_NE(many.find("more than 32768 px wide at picture 3 of 3"), std::string::npos) << many;
  EXPECT_EQ(files_in_scratch(), std::vector<std::string>{"wide.png"});
}

}  // namespace
}  // namespace media_strip_test
