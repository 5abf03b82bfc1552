// extract_frame against the ffmpeg CLI, pixel for pixel: both PNGs are
// decoded here with libavcodec and their sizes and RGB bytes must be equal.
// The media come from tests/media/make_fixtures.sh (env REEL_TEST_MEDIA).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "host/media/av.hpp"
#include "host/media/media.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace {

namespace fs = std::filesystem;
using reel::media::extract_frame;
using reel::media::Frame;
using reel::media::FrameRequest;
using reel::media::MediaError;
using Where = FrameRequest::Where;

std::string media_dir() {
  const char* dir = std::getenv("REEL_TEST_MEDIA");
  return dir != nullptr ? dir : "";
}

// ---------------------------------------------------------------------------
// Reading PNGs back

struct Picture {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // rows packed tightly, 3 bytes a pixel
  std::string error;         // why it could not be read; empty when it was
};

Picture decode_png(const std::string& path) {
  Picture pic;
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) {
    pic.error = "cannot open " + path;
    return pic;
  }
  reel::media::av::InputFormat fmt(raw);
  if (avformat_find_stream_info(fmt.get(), nullptr) < 0 || fmt->nb_streams != 1) {
    pic.error = "no single stream in " + path;
    return pic;
  }
  const AVCodecParameters* par = fmt->streams[0]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  reel::media::av::Codec dec(avcodec_alloc_context3(codec));
  reel::media::av::Packet packet(av_packet_alloc());
  reel::media::av::FramePtr frame(av_frame_alloc());
  if (par->codec_id != AV_CODEC_ID_PNG || avcodec_parameters_to_context(dec.get(), par) < 0 ||
      avcodec_open2(dec.get(), codec, nullptr) < 0 || av_read_frame(fmt.get(), packet.get()) < 0 ||
      avcodec_send_packet(dec.get(), packet.get()) < 0 ||
      avcodec_send_packet(dec.get(), nullptr) < 0 ||
      avcodec_receive_frame(dec.get(), frame.get()) < 0) {
    pic.error = "cannot decode " + path + " as PNG";
    return pic;
  }
  if (frame->format != AV_PIX_FMT_RGB24) {
    pic.error = path + " is " + av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format)) +
                ", not rgb24";
    return pic;
  }
  pic.width = frame->width;
  pic.height = frame->height;
  const size_t row = 3 * static_cast<size_t>(pic.width);
  for (int y = 0; y < pic.height; ++y) {
    const uint8_t* line = frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0];
    pic.rgb.insert(pic.rgb.end(), line, line + row);
  }
  return pic;
}

::testing::AssertionResult same_picture(const std::string& ours, const std::string& reference) {
  const Picture a = decode_png(ours);
  const Picture b = decode_png(reference);
  if (!a.error.empty()) return ::testing::AssertionFailure() << a.error;
  if (!b.error.empty()) return ::testing::AssertionFailure() << b.error;
  if (a.width != b.width || a.height != b.height) {
    return ::testing::AssertionFailure()
           << "size " << a.width << "x" << a.height << " vs " << b.width << "x" << b.height;
  }
  size_t differing = 0;
  size_t first = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) {
    if (a.rgb[i] != b.rgb[i] && differing++ == 0) first = i;
  }
  if (differing == 0) return ::testing::AssertionSuccess();
  const size_t pixel = first / 3;
  return ::testing::AssertionFailure()
         << differing << " of " << a.rgb.size() << " bytes differ, first at x=" << pixel % a.width
         << " y=" << pixel / a.width;
}

// ---------------------------------------------------------------------------
// The reference tool

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs `ffmpeg -nostdin -v error -y BEFORE -i INPUT AFTER OUT`; true when it
// exited 0 and wrote OUT (it can exit 0 without writing, pitfall 18).
bool ffmpeg(const std::string& before, const std::string& input, const std::string& after,
            const std::string& out) {
  const std::string command = "ffmpeg -nostdin -v error -y " + before + " -i " +
                              shell_quote(input) + " " + after + " " + shell_quote(out);
  return std::system(command.c_str()) == 0 && fs::exists(out);
}

// ---------------------------------------------------------------------------
// Fixture: a scratch folder per test, removed afterwards.

class FrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (media_dir().empty()) {
      GTEST_SKIP() << "REEL_TEST_MEDIA is not set; run through ctest, or point it at the output "
                      "of tests/media/make_fixtures.sh";
    }
    std::string pattern = (fs::temp_directory_path() / "reel-frame-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string media(const std::string& name) const {
    return (fs::path(media_dir()) / name).string();
  }
  std::string scratch(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> files_in_scratch() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  fs::path dir_;
};

FrameRequest first() {
  return FrameRequest{Where::first, 0};
}
FrameRequest last() {
  return FrameRequest{Where::last, 0};
}
FrameRequest at(double seconds) {
  return FrameRequest{Where::at, seconds};
}

const std::vector<std::string> kVideos = {
    "h264_aac.mp4",      "gop_single_1080p.mp4", "gop_2s_1080p.mp4",
    "portrait_9x16.mp4", "rotated.mp4",          "vp9.webm",
    "mpeg4.avi",         "ntsc_2997.mov",        "anamorphic.mp4",
};
const std::vector<std::string> kImages = {
    "image.png", "image.jpg", "image.webp", "png_named.jpg", "jpeg_named.mp4",
};

// "image.png" -> "image_png": gtest names allow only letters, digits, "_".
std::string identifier(const std::string& text) {
  std::string name;
  for (char c : text) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}
std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  return identifier(info.param);
}

// ---------------------------------------------------------------------------
// Every file's frames equal the CLI's

class VideoFrameTest : public FrameTest, public ::testing::WithParamInterface<std::string> {};

// The true last frame, as `-update 1` keeps overwriting its output to the end.
TEST_P(VideoFrameTest, LastFrameMatchesFfmpegUpdate) {
  const std::string input = media(GetParam());
  const std::string reference = scratch("reference.png");
  ASSERT_TRUE(ffmpeg("-sseof -1", input, "-update 1 -pix_fmt rgb24", reference));
  const Frame frame = extract_frame(input, last(), scratch("ours.png"));
  EXPECT_EQ(frame.path, scratch("ours.png"));
  EXPECT_TRUE(same_picture(frame.path, reference));
  const Picture pic = decode_png(frame.path);
  EXPECT_EQ(frame.width, pic.width);
  EXPECT_EQ(frame.height, pic.height);
  EXPECT_GT(frame.time, 3.5);  // every clip here is 4-5 s long
}

TEST_P(VideoFrameTest, FirstFrameMatchesFfmpeg) {
  const std::string input = media(GetParam());
  const std::string reference = scratch("reference.png");
  ASSERT_TRUE(ffmpeg("", input, "-frames:v 1 -pix_fmt rgb24", reference));
  const Frame frame = extract_frame(input, first(), scratch("ours.png"));
  EXPECT_TRUE(same_picture(frame.path, reference));
  EXPECT_LT(frame.time, 0.05);
}

// `-ss` before `-i` seeks to the keyframe before and drops frames up to the
// time (accurate seek): the first frame shown at or after 2.5 s.
TEST_P(VideoFrameTest, FrameAtMatchesFfmpegAccurateSeek) {
  const std::string input = media(GetParam());
  const std::string reference = scratch("reference.png");
  ASSERT_TRUE(ffmpeg("-ss 2.5", input, "-frames:v 1 -pix_fmt rgb24", reference));
  const Frame frame = extract_frame(input, at(2.5), scratch("ours.png"));
  EXPECT_TRUE(same_picture(frame.path, reference));
  EXPECT_GE(frame.time, 2.5 - 1e-6);
  EXPECT_LT(frame.time, 2.5 + 0.045);  // within one frame at 25 fps
}

INSTANTIATE_TEST_SUITE_P(Media, VideoFrameTest, ::testing::ValuesIn(kVideos), test_name);

class ImageFrameTest : public FrameTest, public ::testing::WithParamInterface<std::string> {};

// Images are recognised by content (png_named.jpg is a PNG); first = last.
TEST_P(ImageFrameTest, FirstAndLastAreTheImage) {
  const std::string input = media(GetParam());
  const std::string reference = scratch("reference.png");
  ASSERT_TRUE(ffmpeg("", input, "-frames:v 1 -pix_fmt rgb24", reference));
  const Frame a = extract_frame(input, first(), scratch("first.png"));
  const Frame b = extract_frame(input, last(), scratch("last.png"));
  EXPECT_TRUE(same_picture(a.path, reference));
  EXPECT_TRUE(same_picture(b.path, reference));
  EXPECT_EQ(a.width, 640);
  EXPECT_EQ(a.height, 360);
  EXPECT_EQ(a.time, 0);
  EXPECT_EQ(b.time, 0);
}

INSTANTIATE_TEST_SUITE_P(Media, ImageFrameTest, ::testing::ValuesIn(kImages), test_name);

// ---------------------------------------------------------------------------
// What the comparisons can tell apart

// The popular `-sseof -1 -frames:v 1` recipe stops at the first frame of the
// last second, not the last frame; the pixel comparison sees the difference.
TEST_F(FrameTest, SseofFramesOneIsNotTheLastFrame) {
  const std::string input = media("h264_aac.mp4");
  const std::string early = scratch("early.png");
  ASSERT_TRUE(ffmpeg("-sseof -1", input, "-frames:v 1 -pix_fmt rgb24", early));
  const Frame last_frame = extract_frame(input, last(), scratch("last.png"));
  EXPECT_FALSE(same_picture(last_frame.path, early));
  // It is the frame one second before the end.
  const Frame one_second_early = extract_frame(input, at(4.0), scratch("at4.png"));
  EXPECT_TRUE(same_picture(one_second_early.path, early));
  EXPECT_NEAR(last_frame.time - one_second_early.time, 29.0 / 30, 1e-3);
}

TEST_F(FrameTest, RotationIsApplied) {
  const Frame frame = extract_frame(media("rotated.mp4"), first(), scratch("f.png"));
  EXPECT_EQ(frame.width, 720);  // stored 1280x720 with a 90° display matrix
  EXPECT_EQ(frame.height, 1280);
}

TEST_F(FrameTest, AnamorphicKeepsTheStoredSize) {
  const Frame frame = extract_frame(media("anamorphic.mp4"), last(), scratch("f.png"));
  EXPECT_EQ(frame.width, 720);  // SAR 16:15 is not scaled away, as the CLI does
  EXPECT_EQ(frame.height, 576);
}

// Durations are rounded, so up to one frame past the end is the last frame.
TEST_F(FrameTest, AtJustPastTheEndIsTheLastFrame) {
  const std::string input = media("h264_aac.mp4");
  const Frame end = extract_frame(input, at(5.02), scratch("end.png"));
  const Frame last_frame = extract_frame(input, last(), scratch("last.png"));
  EXPECT_TRUE(same_picture(end.path, last_frame.path));
  EXPECT_DOUBLE_EQ(end.time, last_frame.time);
}

TEST_F(FrameTest, AtZeroIsTheFirstFrame) {
  const std::string input = media("gop_2s_1080p.mp4");
  const Frame zero = extract_frame(input, at(0), scratch("zero.png"));
  const Frame first_frame = extract_frame(input, first(), scratch("first.png"));
  EXPECT_TRUE(same_picture(zero.path, first_frame.path));
}

// ---------------------------------------------------------------------------
// Errors: MediaError naming the file, and nothing left behind

std::string reason_of(const std::string& input, const FrameRequest& request,
                      const std::string& out) {
  try {
    extract_frame(input, request, out);
  } catch (const MediaError& e) {
    EXPECT_EQ(e.path(), input);
    EXPECT_NE(std::string(e.what()).find(input), std::string::npos) << e.what();
    return e.reason();
  }
  ADD_FAILURE() << "no MediaError for " << input;
  return "";
}

TEST_F(FrameTest, TimeOutOfRangeIsAnError) {
  const std::string input = media("h264_aac.mp4");
  const std::string out = scratch("f.png");
  EXPECT_EQ(reason_of(input, at(9), out), "at=9 s but the clip is 5.0 s long");
  EXPECT_NE(reason_of(input, at(-1), out).find("at=-1 s"), std::string::npos);
  EXPECT_FALSE(reason_of(input, at(std::nan("")), out).empty());
  EXPECT_NE(reason_of(media("image.png"), at(1), out).find("still image"), std::string::npos);
  EXPECT_TRUE(files_in_scratch().empty());
}

struct BadInput {
  std::string name;
  std::string reason_part;  // what the reason must say
};
void PrintTo(const BadInput& input, std::ostream* os) {
  *os << input.name;
}
std::string bad_input_name(const ::testing::TestParamInfo<BadInput>& info) {
  return identifier(info.param.name);
}

class BadInputTest : public FrameTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputTest, ThrowsNamingTheFileAndLeavesNothing) {
  const std::string input = media(GetParam().name);
  for (const FrameRequest& request : {first(), last(), at(0)}) {
    const std::string reason = reason_of(input, request, scratch("f.png"));
    EXPECT_NE(reason.find(GetParam().reason_part), std::string::npos) << reason;
  }
  EXPECT_TRUE(files_in_scratch().empty());
}

INSTANTIATE_TEST_SUITE_P(Media, BadInputTest,
                         ::testing::Values(BadInput{"truncated.mp4", "moov atom"},
                                           BadInput{"empty.mp4", "empty"},
                                           BadInput{"garbage.mp4", "not a video or image"},
                                           BadInput{"truncated.png", "truncated"},
                                           BadInput{"audio_only.mp4", "no video stream"},
                                           BadInput{"missing.mp4", "not found"}),
                         bad_input_name);

// Inputs made here from the fixtures: cut-short images (FFmpeg would conceal
// a cut JPEG as grey), one larger than reel handles, and files with no
// picture at all.
TEST_F(FrameTest, MoreBadInputsThrowAndLeaveNothing) {
  fs::create_directory(dir_ / "in");
  const auto write_file = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / "in" / name, std::ios::binary) << bytes;
    return (dir_ / "in" / name).string();
  };
  const auto first_half = [&](const std::string& fixture) {
    std::ifstream in(media(fixture), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes.substr(0, bytes.size() / 2);
  };
  const std::string huge = (dir_ / "in" / "huge.png").string();
  ASSERT_TRUE(
      ffmpeg("-f lavfi", "color=c=white:size=17000x64", "-frames:v 1 -pix_fmt monob", huge));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {write_file("half.jpg", first_half("image.jpg")), "truncated"},
      {write_file("half.webp", first_half("image.webp")), "truncated"},
      {huge, "at most 16384 px"},
      {write_file("notes.txt", "shot list\n1. lighthouse at dawn\n"), "not a video or image"},
      {write_file("subtitles.srt", "1\n00:00:00,000 --> 00:00:01,000\nhello\n"), "no video stream"},
  };
  for (const auto& [input, reason_part] : cases) {
    for (const FrameRequest& request : {first(), last(), at(0)}) {
      const std::string reason = reason_of(input, request, scratch("f.png"));
      EXPECT_NE(reason.find(reason_part), std::string::npos) << input << ": " << reason;
    }
  }
  EXPECT_EQ(files_in_scratch(), std::vector<std::string>{"in"});
}

// The index is intact but the data stops half way: the early frames are
// there, the last one is not, and handing back an earlier frame would be a
// silent wrong answer (the CLI exits 0 with the wrong frame).
TEST_F(FrameTest, TruncatedDataIsAnErrorForTheMissingPart) {
  const std::string source = media("h264_aac_faststart.mp4");
  const std::string input = scratch("half.mp4");
  {
    std::ifstream in(source, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(input, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  const Frame early = extract_frame(input, first(), scratch("first.png"));
  EXPECT_EQ(early.width, 1280);
  const std::string reason = reason_of(input, last(), scratch("last.png"));
  EXPECT_NE(reason.find("truncated"), std::string::npos) << reason;
  EXPECT_NE(reason.find("of 5.0 s"), std::string::npos) << reason;
  EXPECT_FALSE(reason_of(input, at(4.5), scratch("late.png")).empty());
  EXPECT_FALSE(fs::exists(scratch("last.png")));
  EXPECT_FALSE(fs::exists(scratch("late.png")));
}

TEST_F(FrameTest, UnwritableOutputIsAnErrorNamingIt) {
  const std::string out = scratch("no/such/folder/f.png");
  try {
    extract_frame(media("h264_aac.mp4"), first(), out);
    ADD_FAILURE() << "no MediaError";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.path(), out);
  }
  EXPECT_TRUE(files_in_scratch().empty());
}

// ---------------------------------------------------------------------------
// Writing

TEST_F(FrameTest, ReplacesAnExistingFileWholeAndLeavesNoTemporary) {
  const std::string out = scratch("f.png");
  std::ofstream(out) << "old contents";
  extract_frame(media("video_only.mp4"), last(), out);
  EXPECT_TRUE(decode_png(out).error.empty());
  EXPECT_EQ(files_in_scratch(), std::vector<std::string>{"f.png"});
}

TEST_F(FrameTest, FailureKeepsAnExistingFile) {
  const std::string out = scratch("f.png");
  std::ofstream(out) << "old contents";
  EXPECT_THROW(extract_frame(media("truncated.mp4"), last(), out), MediaError);
  std::ifstream in(out);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            "old contents");
  EXPECT_EQ(files_in_scratch(), std::vector<std::string>{"f.png"});
}

// The bindings run extractions on a thread pool: distinct files at once give
// the same pictures as one at a time.
TEST_F(FrameTest, ConcurrentExtractionsAgreeWithSerialOnes) {
  const std::vector<std::string> inputs = {"gop_2s_1080p.mp4", "vp9.webm", "rotated.mp4",
                                           "mpeg4.avi"};
  for (size_t i = 0; i < inputs.size(); ++i) {
    extract_frame(media(inputs[i]), last(), scratch("serial" + std::to_string(i) + ".png"));
  }
  std::vector<std::string> errors(inputs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        extract_frame(media(inputs[i]), last(), scratch("parallel" + std::to_string(i) + ".png"));
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_TRUE(same_picture(scratch("parallel" + std::to_string(i) + ".png"),
                             scratch("serial" + std::to_string(i) + ".png")))
        << inputs[i];
  }
}

// ---------------------------------------------------------------------------
// Scaling: width and/or height, the displayed aspect ratio kept

FrameRequest scaled(FrameRequest request, int width, int height) {
  request.width = width;
  request.height = height;
  return request;
}

struct ScaleCase {
  std::string input;
  int width = 0;  // asked
  int height = 0;
  int want_width = 0;
  int want_height = 0;
};

TEST_F(FrameTest, ScaledSizesKeepTheDisplayedAspectRatio) {
  const std::vector<ScaleCase> cases = {
      {"h264_aac.mp4", 320, 0, 320, 180},         // 1280x720
      {"h264_aac.mp4", 0, 90, 160, 90},           //
      {"h264_aac.mp4", 1920, 0, 1920, 1080},      // larger than stored: bicubic
      {"gop_2s_1080p.mp4", 320, 100, 178, 100},   // both: the largest that fits (177.8)
      {"gop_2s_1080p.mp4", 320, 1000, 320, 180},  //
      {"rotated.mp4", 0, 640, 360, 640},          // displayed 720x1280
      {"rotated.mp4", 321, 0, 321, 571},          // 570.67, odd sizes are fine in a PNG
      {"anamorphic.mp4", 384, 0, 384, 288},       // 720x576 at SAR 16:15 shows as 768x576
      {"image.png", 101, 0, 101, 57},             // 56.81
      {"tall_1x5.png", 33, 0, 33, 165},           //
      {"tall_1x5.png", 0, 1, 1, 1},               // 0.2 rounds up to the least there is
  };
  for (const ScaleCase& c : cases) {
    const Frame frame =
        extract_frame(media(c.input), scaled(first(), c.width, c.height), scratch("f.png"));
    EXPECT_EQ(frame.width, c.want_width) << c.input << " " << c.width << "x" << c.height;
    EXPECT_EQ(frame.height, c.want_height) << c.input << " " << c.width << "x" << c.height;
    const Picture pic = decode_png(frame.path);
    EXPECT_EQ(pic.error, "");
    EXPECT_EQ(pic.width, c.want_width) << c.input;
    EXPECT_EQ(pic.height, c.want_height) << c.input;
  }
}

// The scaled picture is the CLI's `scale=320:-1:flags=area`, pixel for pixel
// (same flags, same matrix, one swscale pass). A turned video is scaled
// before it is turned, the CLI turns first: edges may differ by a step.
TEST_F(FrameTest, ScaledPixelsMatchTheCliAreaScale) {
  for (const std::string name : {"gop_2s_1080p.mp4", "vp9.webm", "image.jpg", "rotated.mp4"}) {
    const std::string input = media(name);
    const std::string reference = scratch("reference.png");
    ASSERT_TRUE(
        ffmpeg("", input, "-frames:v 1 -vf scale=320:-1:flags=area -pix_fmt rgb24", reference));
    const Frame frame = extract_frame(input, scaled(first(), 320, 0), scratch("ours.png"));
    if (name != "rotated.mp4") {
      EXPECT_TRUE(same_picture(frame.path, reference)) << name;
      continue;
    }
    const Picture a = decode_png(frame.path);
    const Picture b = decode_png(reference);
    ASSERT_EQ(a.error, "");
    ASSERT_EQ(b.error, "");
    ASSERT_EQ(a.width, b.width);
    ASSERT_EQ(a.height, b.height);
    double total = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) total += std::abs(a.rgb[i] - b.rgb[i]);
    EXPECT_LT(total / a.rgb.size(), 2.0);
  }
}

TEST_F(FrameTest, BadTargetSizesAreErrorsNamingTheOption) {
  const std::string input = media("h264_aac.mp4");
  const std::string out = scratch("f.png");
  EXPECT_EQ(reason_of(input, scaled(first(), -1, 0), out),
            "width=-1 is not a size; use a whole number of pixels from 1 to 8192");
  EXPECT_NE(reason_of(input, scaled(first(), 0, 8193), out).find("height=8193"), std::string::npos);
  // Allowed on its own, but the other side would pass the limit.
  EXPECT_EQ(reason_of(media("tall_1x5.png"), scaled(first(), 8192, 0), out),
            "width=8192 makes this 160x800 picture 8192x40960; a frame is at most 8192 px a "
            "side, so ask for a smaller size");
  EXPECT_TRUE(files_in_scratch().empty());
}

}  // namespace
