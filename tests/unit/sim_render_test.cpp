// The simulator's renderer (host/sim/render.hpp): every kind of shot gives an
// H.264 yuv420p MP4 of the requested size, frame rate and length, and a JPEG
// cover of the first frame; the same spec gives the same bytes; pictures
// start and end where the kind says. Outputs are checked with media::probe
// and by decoding them with libavcodec. Inputs come from
// tests/media/make_fixtures.sh (env REEL_TEST_MEDIA).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "host/media/av.hpp"
#include "host/media/media.hpp"
#include "host/sim/render.hpp"

extern "C" {
#include <libswscale/swscale.h>
}

namespace {

namespace fs = std::filesystem;
using reel::media::MediaError;
using reel::sim::render;
using reel::sim::RenderSpec;
using Kind = RenderSpec::Kind;

std::string media(const std::string& name) {
  const char* dir = std::getenv("REEL_TEST_MEDIA");
  return std::string(dir != nullptr ? dir : "") + "/" + name;
}

// A fresh folder per test, removed afterwards (kept with KEEP_RENDERS=1, to look at).
class SimRender : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("REEL_TEST_MEDIA") == nullptr) GTEST_SKIP() << "REEL_TEST_MEDIA is not set";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();  // "Test/param" for parameterised tests
    std::replace(name.begin(), name.end(), '/', '-');
    dir_ = fs::temp_directory_path() / ("reel-sim-render-" + std::to_string(getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (std::getenv("KEEP_RENDERS") != nullptr) return;
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  fs::path dir_;
};

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---------------------------------------------------------------------------
// Decoding outputs back into small RGB pictures

constexpr int kProbeW = 128;  // size pictures are compared at
constexpr int kProbeH = 72;

using Rgb = std::vector<uint8_t>;

Rgb to_rgb(const AVFrame* frame) {
  SwsContext* sws =
      sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                     kProbeW, kProbeH, AV_PIX_FMT_RGB24, SWS_AREA, nullptr, nullptr, nullptr);
  Rgb rgb(static_cast<size_t>(kProbeW) * kProbeH * 3);
  uint8_t* dst[1] = {rgb.data()};
  const int stride[1] = {kProbeW * 3};
  sws_scale(sws, frame->data, frame->linesize, 0, frame->height, dst, stride);
  sws_freeContext(sws);
  return rgb;
}

// Every picture of the file's first video stream (or its one picture), in
// order, scaled to kProbeW×kProbeH RGB.
std::vector<Rgb> decode_all(const std::string& path) {
  std::vector<Rgb> pictures;
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return pictures;
  reel::media::av::InputFormat fmt(raw);
  if (avformat_find_stream_info(fmt.get(), nullptr) < 0) return pictures;
  const int index = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return pictures;
  const AVCodecParameters* par = fmt->streams[index]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  reel::media::av::Codec dec(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(dec.get(), par);
  if (avcodec_open2(dec.get(), codec, nullptr) < 0) return pictures;
  reel::media::av::Packet pkt(av_packet_alloc());
  reel::media::av::FramePtr frame(av_frame_alloc());
  auto receive = [&] {
    while (avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
      pictures.push_back(to_rgb(frame.get()));
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(fmt.get(), pkt.get()) >= 0) {
    if (pkt->stream_index == index) avcodec_send_packet(dec.get(), pkt.get());
    av_packet_unref(pkt.get());
    receive();
  }
  avcodec_send_packet(dec.get(), nullptr);
  receive();
  return pictures;
}

Rgb picture_of(const std::string& image) {
  std::vector<Rgb> pictures = decode_all(image);
  return pictures.empty() ? Rgb{} : pictures[0];
}

// Mean absolute difference per byte, 0..255.
double difference(const Rgb& a, const Rgb& b) {
  if (a.size() != b.size() || a.empty()) return 255;
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return sum / static_cast<double>(a.size());
}

// A width×height PNG whose pixel (x, y) is colour(x, y), as RGB; the
// fixtures' images are all colour bars, too alike to tell apart.
void write_png(const std::string& path, int width, int height,
               const std::function<std::array<int, 3>(int, int)>& colour) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  reel::media::av::Codec enc(avcodec_alloc_context3(codec));
  enc->width = width;
  enc->height = height;
  enc->pix_fmt = AV_PIX_FMT_RGB24;
  enc->time_base = AVRational{1, 25};
  ASSERT_GE(avcodec_open2(enc.get(), codec, nullptr), 0);
  reel::media::av::FramePtr frame(av_frame_alloc());
  frame->format = AV_PIX_FMT_RGB24;
  frame->width = width;
  frame->height = height;
  ASSERT_GE(av_frame_get_buffer(frame.get(), 0), 0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::array<int, 3> rgb = colour(x, y);
      for (int c = 0; c < 3; ++c) {
        frame->data[0][y * frame->linesize[0] + x * 3 + c] = static_cast<uint8_t>(rgb[c]);
      }
    }
  }
  reel::media::av::Packet pkt(av_packet_alloc());
  ASSERT_GE(avcodec_send_frame(enc.get(), frame.get()), 0);
  ASSERT_GE(avcodec_send_frame(enc.get(), nullptr), 0);
  ASSERT_GE(avcodec_receive_packet(enc.get(), pkt.get()), 0);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(pkt->data), pkt->size);
}

// Two smooth, clearly different 16:9 pictures.
void write_gradients(const std::string& warm, const std::string& cool) {
  write_png(warm, 640, 360, [](int x, int y) {
    return std::array<int, 3>{200 + x / 16, y / 2, 40};
  });
  write_png(cool, 640, 360, [](int x, int y) {
    return std::array<int, 3>{20, 60 + y / 3, 255 - x / 4};
  });
}

constexpr double kSame = 6;        // different only by compression and scaling
constexpr double kDifferent = 20;  // clearly another picture

// ---------------------------------------------------------------------------
// Specs

RenderSpec small(Kind kind) {
  RenderSpec spec;
  spec.kind = kind;
  spec.width = 320;
  spec.height = 180;
  spec.duration = 2;
  spec.fps = 24;
  spec.prompt = "a cat on a skateboard";
  spec.seed = 7;
  return spec;
}

RenderSpec spec_for(Kind kind) {
  RenderSpec spec = small(kind);
  switch (kind) {
    case Kind::text:
      break;
    case Kind::image:
      spec.images = {media("image.png")};
      break;
    case Kind::start_end:
      spec.images = {media("image.png"), media("square_480.png")};
      break;
    case Kind::extend:
      spec.source_video = media("src_4s.mp4");
      break;
    case Kind::reference:
      spec.images = {media("image.png"), media("image.webp"), media("image_640x400.png")};
      break;
    case Kind::multiframe:
      spec.images = {media("image.png"), media("square_480.png"), media("image.jpg")};
      spec.segment_durations = {1, 1.5};
      break;
  }
  return spec;
}

// Seconds of video the spec asks for.
double expected_duration(const RenderSpec& spec) {
  if (spec.kind == Kind::extend) return 4 + spec.duration;  // src_4s.mp4
  if (spec.kind == Kind::multiframe) return 2.5;
  return spec.duration;
}

void expect_clip(const std::string& mp4, const RenderSpec& spec, double seconds) {
  const reel::media::MediaInfo info = reel::media::probe(mp4);
  ASSERT_TRUE(info.video.has_value()) << mp4;
  EXPECT_FALSE(info.audio.has_value());
  EXPECT_EQ(info.mime, "video/mp4");
  EXPECT_EQ(info.video->codec, "h264");
  EXPECT_EQ(info.video->pix_fmt, "yuv420p");
  EXPECT_EQ(info.video->width, spec.width);
  EXPECT_EQ(info.video->height, spec.height);
  EXPECT_NEAR(info.video->frame_rate.value(), spec.fps, 1e-6);
  EXPECT_NEAR(info.duration, seconds, 1.0 / spec.fps + 1e-6);
  EXPECT_NEAR(info.video->duration, seconds, 1.0 / spec.fps + 1e-6);
  if (info.video->frames > 0) {
    EXPECT_EQ(info.video->frames, std::llround(seconds * spec.fps));
  }
}

void expect_cover(const std::string& jpg, const RenderSpec& spec) {
  const reel::media::MediaInfo info = reel::media::probe(jpg);
  EXPECT_EQ(info.kind, "image");
  EXPECT_EQ(info.mime, "image/jpeg");
  ASSERT_TRUE(info.video.has_value());
  EXPECT_EQ(info.video->width, spec.width);
  EXPECT_EQ(info.video->height, spec.height);
}

// ---------------------------------------------------------------------------
// Every kind

class SimRenderKind : public SimRender, public ::testing::WithParamInterface<Kind> {};

TEST_P(SimRenderKind, WritesAnH264ClipOfTheRequestedShapeAndACover) {
  const RenderSpec spec = spec_for(GetParam());
  render(spec, path("out.mp4"), path("cover.jpg"));
  expect_clip(path("out.mp4"), spec, expected_duration(spec));
  expect_cover(path("cover.jpg"), spec);
  const std::vector<Rgb> frames = decode_all(path("out.mp4"));
  EXPECT_EQ(static_cast<int64_t>(frames.size()), std::llround(expected_duration(spec) * spec.fps));
  ASSERT_FALSE(frames.empty());
  EXPECT_LT(difference(picture_of(path("cover.jpg")), frames[0]), kSame) << "cover = frame 0";
  // Only the finished files: no temporary ones.
  std::vector<std::string> names = files();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"cover.jpg", "out.mp4"}));
}

TEST_P(SimRenderKind, TheSameSpecGivesTheSameBytes) {
  const RenderSpec spec = spec_for(GetParam());
  render(spec, path("a.mp4"), path("a.jpg"));
  render(spec, path("b.mp4"), path("b.jpg"));
  // (Compared as booleans: a failure would otherwise print megabytes.)
  EXPECT_TRUE(bytes_of(path("a.mp4")) == bytes_of(path("b.mp4"))) << "the MP4s differ";
  EXPECT_TRUE(bytes_of(path("a.jpg")) == bytes_of(path("b.jpg"))) << "the covers differ";
  EXPECT_GT(bytes_of(path("a.mp4")).size(), 1000u);
}

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
  static const char* const names[] = {"text",   "image",     "start_end",
                                      "extend", "reference", "multiframe"};
  return names[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(AllKinds, SimRenderKind,
                         ::testing::Values(Kind::text, Kind::image, Kind::start_end, Kind::extend,
                                           Kind::reference, Kind::multiframe),
                         kind_name);

// ---------------------------------------------------------------------------
// Text

TEST_F(SimRender, TextOfAnotherPromptOrSeedLooksDifferent) {
  RenderSpec spec = small(Kind::text);
  render(spec, path("a.mp4"), path("a.jpg"));
  spec.prompt = "a dog on a surfboard";
  render(spec, path("b.mp4"), path("b.jpg"));
  spec.prompt = "a cat on a skateboard";
  spec.seed = 8;
  render(spec, path("c.mp4"), path("c.jpg"));
  EXPECT_TRUE(bytes_of(path("a.mp4")) != bytes_of(path("b.mp4")));
  EXPECT_TRUE(bytes_of(path("a.mp4")) != bytes_of(path("c.mp4")));
  const Rgb a = picture_of(path("a.jpg")), b = picture_of(path("b.jpg")),
            c = picture_of(path("c.jpg"));
  EXPECT_GT(difference(a, b), kDifferent);
  EXPECT_GT(difference(a, c), kDifferent);
}

TEST_F(SimRender, TextMoves) {
  const RenderSpec spec = small(Kind::text);
  render(spec, path("a.mp4"), path("a.jpg"));
  const std::vector<Rgb> frames = decode_all(path("a.mp4"));
  ASSERT_EQ(frames.size(), 48u);
  EXPECT_GT(difference(frames.front(), frames.back()), 2.0);
}

TEST_F(SimRender, Text720pAt24fpsForFiveSeconds) {
  RenderSpec spec = small(Kind::text);
  spec.width = 1280;
  spec.height = 720;
  spec.duration = 5;
  const auto start = std::chrono::steady_clock::now();
  render(spec, path("a.mp4"), path("a.jpg"));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  RecordProperty("seconds", std::to_string(took.count()));
  std::printf("5 s 720p24 text clip rendered in %.2f s\n", took.count());
  expect_clip(path("a.mp4"), spec, 5);
  expect_cover(path("a.jpg"), spec);
}

// ---------------------------------------------------------------------------
// Pictures where the kinds say

TEST_F(SimRender, ImageStartsOnTheImageAndPushesIn) {
  RenderSpec spec = spec_for(Kind::image);  // 16:9 image into 16:9 frame: no crop
  render(spec, path("a.mp4"), path("a.jpg"));
  const std::vector<Rgb> frames = decode_all(path("a.mp4"));
  ASSERT_FALSE(frames.empty());
  const Rgb image = picture_of(media("image.png"));
  EXPECT_LT(difference(frames.front(), image), kSame);
  EXPECT_GT(difference(frames.back(), image), difference(frames.front(), image));
}

TEST_F(SimRender, StartEndGoesFromTheFirstImageToTheLast) {
  // Both images 16:9 (as the frame), so scaling alone makes them comparable.
  write_gradients(path("warm.png"), path("cool.png"));
  RenderSpec spec = small(Kind::start_end);
  spec.images = {path("warm.png"), path("cool.png")};
  render(spec, path("a.mp4"), path("a.jpg"));
  const std::vector<Rgb> frames = decode_all(path("a.mp4"));
  ASSERT_EQ(frames.size(), 48u);
  const Rgb first = picture_of(spec.images[0]), last = picture_of(spec.images[1]);
  ASSERT_GT(difference(first, last), kDifferent) << "the fixtures must differ for this test";
  EXPECT_LT(difference(frames.front(), first), kSame);
  EXPECT_LT(difference(frames.back(), last), kSame);
  EXPECT_GT(difference(frames.front(), last), kDifferent);
  EXPECT_GT(difference(frames.back(), first), kDifferent);
}

TEST_F(SimRender, ExtendPlaysTheSourceThenAddsTheDuration) {
  RenderSpec spec = small(Kind::extend);
  spec.source_video = media("src_4s.mp4");  // 320x180, 25 fps, 4 s
  spec.fps = 25;
  spec.duration = 2;
  render(spec, path("a.mp4"), path("a.jpg"));
  expect_clip(path("a.mp4"), spec, 6);
  const std::vector<Rgb> out = decode_all(path("a.mp4"));
  const std::vector<Rgb> source = decode_all(spec.source_video);
  ASSERT_EQ(out.size(), 150u);
  ASSERT_EQ(source.size(), 100u);
  for (size_t i : {0, 1, 2, 50, 99}) {
    EXPECT_LT(difference(out[i], source[i]), kSame) << "frame " << i;
  }
  // The new part continues from the source's last frame.
  EXPECT_LT(difference(out[100], source[99]), kSame);
}

TEST_F(SimRender, ExtendScalesTheSourceAndEndsOnTheEndFrame) {
  RenderSpec spec = small(Kind::extend);
  spec.width = 640;
  spec.height = 360;
  spec.source_video = media("src_4s.mp4");
  spec.images = {media("image.png")};
  spec.duration = 1;
  render(spec, path("a.mp4"), path("a.jpg"));
  expect_clip(path("a.mp4"), spec, 5);
  const std::vector<Rgb> out = decode_all(path("a.mp4"));
  const std::vector<Rgb> source = decode_all(spec.source_video);
  ASSERT_EQ(out.size(), 120u);
  EXPECT_LT(difference(out[0], source[0]), kSame);
  EXPECT_LT(difference(out.back(), picture_of(media("image.png"))), kSame);
}

TEST_F(SimRender, ExtendTurnsARotatedSourceUpright) {
  // rotated.mp4: stored 1280x720, displayed 720x1280 (a phone held upright).
  RenderSpec spec = small(Kind::extend);
  spec.source_video = media("rotated.mp4");
  spec.width = 360;
  spec.height = 640;
  spec.fps = 25;
  spec.duration = 1;
  render(spec, path("a.mp4"), path("a.jpg"));
  expect_clip(path("a.mp4"), spec, 6);
  reel::media::extract_frame(spec.source_video, {}, path("first.png"));  // turned, as the CLI does
  EXPECT_LT(difference(picture_of(path("a.jpg")), picture_of(path("first.png"))), kSame);
}

TEST_F(SimRender, MultiframeReachesEachKeyFrameOnTime) {
  const RenderSpec spec = spec_for(Kind::multiframe);  // keys at 0, 1 and 2.5 s
  render(spec, path("a.mp4"), path("a.jpg"));
  const std::vector<Rgb> frames = decode_all(path("a.mp4"));
  ASSERT_EQ(frames.size(), 60u);
  EXPECT_LT(difference(frames[0], picture_of(media("image.png"))), kSame);
  // square_480.png covers the 16:9 frame cropped, so compare to the clip's
  // own render of it: a single-image clip starts on it exactly.
  RenderSpec still = small(Kind::image);
  still.images = {media("square_480.png")};
  render(still, path("b.mp4"), path("b.jpg"));
  EXPECT_LT(difference(frames[24], picture_of(path("b.jpg"))), kSame);
  EXPECT_LT(difference(frames.back(), picture_of(media("image.jpg"))), kSame);
}

TEST_F(SimRender, ReferenceShowsEachImageInTurn) {
  write_gradients(path("warm.png"), path("cool.png"));
  RenderSpec spec = small(Kind::reference);
  spec.images = {path("warm.png"), path("cool.png")};
  render(spec, path("a.mp4"), path("a.jpg"));
  const std::vector<Rgb> frames = decode_all(path("a.mp4"));
  ASSERT_EQ(frames.size(), 48u);
  // The first half pans across one image, the second across the other.
  EXPECT_LT(difference(frames[0], frames[1]), kSame);
  EXPECT_GT(difference(frames[0], frames[23]), 0.5) << "it pans";
  EXPECT_GT(difference(frames[23], frames[24]), kDifferent);
}

TEST_F(SimRender, AudioIsAnAacTrackAsLongAsTheVideo) {
  RenderSpec spec = spec_for(Kind::extend);  // a source with audio: the clip's own tone replaces it
  spec.audio = true;
  render(spec, path("a.mp4"), path("a.jpg"));
  render(spec, path("b.mp4"), path("b.jpg"));
  const reel::media::MediaInfo info = reel::media::probe(path("a.mp4"));
  ASSERT_TRUE(info.video.has_value());
  ASSERT_TRUE(info.audio.has_value());
  EXPECT_EQ(info.audio->codec, "aac");
  EXPECT_EQ(info.audio->sample_rate, 48000);
  EXPECT_EQ(info.audio->channels, 2);
  EXPECT_NEAR(info.audio->duration, 6, 0.03);
  EXPECT_NEAR(info.video->duration, 6, 1.0 / spec.fps + 1e-6);
  EXPECT_TRUE(bytes_of(path("a.mp4")) == bytes_of(path("b.mp4"))) << "the MP4s differ";
  spec.seed = 8;
  render(spec, path("c.mp4"), path("c.jpg"));
  EXPECT_TRUE(bytes_of(path("a.mp4")) != bytes_of(path("c.mp4")));
}

// The simulator renders several tasks at once: renders on other threads
// give the same bytes as one at a time.
TEST_F(SimRender, ConcurrentRendersMatchSerialOnes) {
  const std::vector<RenderSpec> specs = {spec_for(Kind::text), spec_for(Kind::image),
                                         spec_for(Kind::extend), spec_for(Kind::start_end)};
  for (size_t i = 0; i < specs.size(); ++i) {
    render(specs[i], path("serial" + std::to_string(i) + ".mp4"),
           path("serial" + std::to_string(i) + ".jpg"));
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < specs.size(); ++i) {
    threads.emplace_back([&, i] {
      render(specs[i], path("parallel" + std::to_string(i) + ".mp4"),
             path("parallel" + std::to_string(i) + ".jpg"));
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string n = std::to_string(i);
    EXPECT_TRUE(bytes_of(path("serial" + n + ".mp4")) == bytes_of(path("parallel" + n + ".mp4")))
        << "spec " << i;
    EXPECT_TRUE(bytes_of(path("serial" + n + ".jpg")) == bytes_of(path("parallel" + n + ".jpg")))
        << "spec " << i;
  }
}

// ---------------------------------------------------------------------------
// Failures

TEST_F(SimRender, AMissingImageIsNamedAndNothingIsLeft) {
  RenderSpec spec = spec_for(Kind::start_end);
  spec.images[1] = path("missing.png");
  try {
    render(spec, path("a.mp4"), path("a.jpg"));
    FAIL() << "no error";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.path(), path("missing.png"));
    EXPECT_NE(std::string(e.what()).find("missing.png"), std::string::npos);
  }
  EXPECT_TRUE(files().empty());
}

TEST_F(SimRender, ADamagedOrWrongImageIsNamed) {
  for (const std::string name : {"truncated.png", "truncated.jpg", "notes.txt", "src_4s.mp4"}) {
    RenderSpec spec = small(Kind::image);
    spec.images = {media(name)};
    try {
      render(spec, path("a.mp4"), path("a.jpg"));
      ADD_FAILURE() << name << ": no error";
    } catch (const MediaError& e) {
      EXPECT_EQ(e.path(), media(name)) << e.what();
    }
    EXPECT_TRUE(files().empty()) << name;
  }
}

TEST_F(SimRender, ABadSourceVideoIsNamed) {
  for (const std::string name : {"missing.mp4", "garbage.mp4", "audio_only.mp4"}) {
    RenderSpec spec = small(Kind::extend);
    spec.source_video = media(name);
    try {
      render(spec, path("a.mp4"), path("a.jpg"));
      ADD_FAILURE() << name << ": no error";
    } catch (const MediaError& e) {
      EXPECT_EQ(e.path(), media(name)) << e.what();
    }
    EXPECT_TRUE(files().empty()) << name;
  }
}

TEST_F(SimRender, AMissingOutputFolderIsNamed) {
  const RenderSpec spec = small(Kind::text);
  EXPECT_THROW(render(spec, path("no/such/a.mp4"), path("a.jpg")), MediaError);
  EXPECT_TRUE(files().empty());
}

TEST_F(SimRender, AnUnrenderableSpecIsTheCallersError) {
  RenderSpec odd = small(Kind::text);
  odd.width = 321;
  EXPECT_THROW(render(odd, path("a.mp4"), path("a.jpg")), std::invalid_argument);
  RenderSpec no_images = small(Kind::start_end);
  no_images.images = {media("image.png")};
  EXPECT_THROW(render(no_images, path("a.mp4"), path("a.jpg")), std::invalid_argument);
  RenderSpec segments = spec_for(Kind::multiframe);
  segments.segment_durations = {1};
  EXPECT_THROW(render(segments, path("a.mp4"), path("a.jpg")), std::invalid_argument);
  EXPECT_TRUE(files().empty());
}

TEST_F(SimRender, ReplacesExistingFiles) {
  const RenderSpec spec = small(Kind::text);
  std::ofstream(path("a.mp4")) << "old";
  std::ofstream(path("a.jpg")) << "old";
  render(spec, path("a.mp4"), path("a.jpg"));
  expect_clip(path("a.mp4"), spec, 2);
  expect_cover(path("a.jpg"), spec);
}

}  // namespace
