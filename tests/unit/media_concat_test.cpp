// media::concat against the test media (tests/media/make_fixtures.sh), checked
// with ffprobe/ffmpeg and by decoding the output here.
#include <gtest/gtest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "host/media/media.hpp"

namespace fs = std::filesystem;
using reel::media::concat;
using reel::media::ConcatMode;
using reel::media::ConcatResult;
using reel::media::MediaError;

namespace {

constexpr double kFrame = 1.0 / 30;             // the test clips' frame duration
constexpr double kAudioFrame = 1024.0 / 48000;  // one AAC frame

struct Shell {
  int status = -1;
  std::string out;
};

// Runs a shell command; its stdout (and stderr when the command redirects it).
Shell run(const std::string& command) {
  Shell r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  r.status = pclose(pipe);
  return r;
}

std::string shell_quoted(const std::string& path) {
  return "'" + path + "'";
}

double ffprobe_number(const std::string& args, const std::string& path) {
  Shell r = run("ffprobe -v error " + args + " -of default=nw=1:nk=1 " + shell_quoted(path));
  EXPECT_EQ(r.status, 0) << r.out;
  return std::atof(r.out.c_str());
}

double format_duration(const std::string& path) {
  return ffprobe_number("-show_entries format=duration", path);
}

double stream_duration(const std::string& path, const std::string& stream) {
  return ffprobe_number("-select_streams " + stream + " -show_entries stream=duration", path);
}

long packets(const std::string& path, const std::string& stream) {
  return std::lround(ffprobe_number(
      "-count_packets -select_streams " + stream + " -show_entries stream=nb_read_packets", path));
}

// `ffmpeg -v error` decoding everything: "" when it is silent and exits 0.
std::string ffmpeg_decode_errors(const std::string& path) {
  Shell r = run("ffmpeg -nostdin -v error -i " + shell_quoted(path) + " -f null - 2>&1");
  if (r.status != 0 && r.out.empty()) return "ffmpeg exited with " + std::to_string(r.status);
  return r.out;
}

// Our own reading of a file: every video frame and audio sample decoded.
struct Decoded {
  int video_frames = 0;
  std::set<std::pair<int, int>> sizes;
  int errors = 0;
  int64_t samples = 0;  // per channel
  int sample_rate = 0;
  std::vector<double> loudness;  // RMS of each 10 ms of audio
  // Luma of the first frame at or after `probe_at` seconds, for letterbox checks.
  double probe_at = -1;
  std::vector<uint8_t> probe_luma;
  int probe_width = 0;
  int probe_height = 0;
};

Decoded decode_all(const std::string& path, double probe_at = -1) {
  Decoded d;
  d.probe_at = probe_at;
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) {
    d.errors = 1;
    return d;
  }
  avformat_find_stream_info(fmt, nullptr);
  std::vector<AVCodecContext*> decoders(fmt->nb_streams, nullptr);
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVCodecParameters* par = fmt->streams[i]->codecpar;
    const AVCodec* codec = avcodec_find_decoder(par->codec_id);
    if (codec == nullptr) continue;
    decoders[i] = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(decoders[i], par);
    decoders[i]->pkt_timebase = fmt->streams[i]->time_base;
    if (avcodec_open2(decoders[i], codec, nullptr) < 0) ++d.errors;
  }
  std::vector<double> window;
  double sum = 0;
  int in_window = 0;
  AVFrame* frame = av_frame_alloc();
  auto drain = [&](unsigned index) {
    AVCodecContext* dec = decoders[index];
    for (;;) {
      int err = avcodec_receive_frame(dec, frame);
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
      if (err < 0) {
        ++d.errors;
        return;
      }
      if (dec->codec_type == AVMEDIA_TYPE_VIDEO) {
        ++d.video_frames;
        d.sizes.insert({frame->width, frame->height});
        double t = frame->best_effort_timestamp * av_q2d(fmt->streams[index]->time_base);
        if (d.probe_at >= 0 && d.probe_luma.empty() && t >= d.probe_at) {
          d.probe_width = frame->width;
          d.probe_height = frame->height;
          for (int y = 0; y < frame->height; ++y) {
            const uint8_t* row = frame->data[0] + y * frame->linesize[0];
            d.probe_luma.insert(d.probe_luma.end(), row, row + frame->width);
          }
        }
      } else if (dec->codec_type == AVMEDIA_TYPE_AUDIO && frame->format == AV_SAMPLE_FMT_FLTP) {
        d.sample_rate = frame->sample_rate;
        int window_size = frame->sample_rate / 100;
        auto* left = reinterpret_cast<const float*>(frame->extended_data[0]);
        for (int i = 0; i < frame->nb_samples; ++i) {
          sum += double(left[i]) * left[i];
          if (++in_window == window_size) {
            d.loudness.push_back(std::sqrt(sum / window_size));
            sum = 0;
            in_window = 0;
          }
        }
        d.samples += frame->nb_samples;
      }
    }
  };
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(fmt, pkt) >= 0) {
    unsigned index = static_cast<unsigned>(pkt->stream_index);
    if (decoders[index] != nullptr) {
      if (avcodec_send_packet(decoders[index], pkt) < 0) ++d.errors;
      drain(index);
    }
    av_packet_unref(pkt);
  }
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (decoders[i] == nullptr) continue;
    avcodec_send_packet(decoders[i], nullptr);
    drain(i);
    avcodec_free_context(&decoders[i]);
  }
  av_packet_free(&pkt);
  av_frame_free(&frame);
  avformat_close_input(&fmt);
  return d;
}

// Where the sound is silent, as [from, to) seconds, at 10 ms resolution.
std::vector<std::pair<double, double>> silences(const Decoded& d, double min_length = 0.2) {
  std::vector<std::pair<double, double>> spans;
  size_t i = 0;
  while (i < d.loudness.size()) {
    if (d.loudness[i] > 1e-3) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.loudness.size() && d.loudness[j] <= 1e-3) ++j;
    if ((j - i) * 0.01 >= min_length) spans.emplace_back(i * 0.01, j * 0.01);
    i = j;
  }
  return spans;
}

class MediaConcat : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("REEL_TEST_MEDIA");
    if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "REEL_TEST_MEDIA is not set";
    media_ = dir;
    std::string pattern = (fs::temp_directory_path() / "reel-concat-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    out_dir_ = pattern;
  }
  void TearDown() override {
    if (!out_dir_.empty()) {
      std::error_code ec;
      fs::remove_all(out_dir_, ec);
    }
  }

  std::string media(const std::string& name) const { return (fs::path(media_) / name).string(); }
  std::string out(const std::string& name = "joined.mp4") const {
    return (fs::path(out_dir_) / name).string();
  }
  std::vector<std::string> files_in_out_dir() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(out_dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }
  std::vector<std::string> ten_clips() const {
    std::vector<std::string> clips;
    for (int i = 1; i <= 10; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "cat_%02d.mp4", i);
      clips.push_back(media(name));
    }
    return clips;
  }

  // A failing join: MediaError naming `culprit`, nothing left in the folder.
  MediaError expect_failure(const std::vector<std::string>& inputs, ConcatMode mode,
                            const std::string& culprit) {
    try {
      concat(inputs, out(), mode);
    } catch (const MediaError& e) {
      EXPECT_EQ(e.path(), culprit) << e.what();
      EXPECT_TRUE(files_in_out_dir().empty());
      return e;
    }
    ADD_FAILURE() << "concat did not fail";
    return MediaError("", "");
  }

  std::string media_;
  std::string out_dir_;
};

TEST_F(MediaConcat, CopyOfTenClipsKeepsEveryFrameAndItsSound) {
  std::vector<std::string> clips = ten_clips();
  ConcatResult result = concat(clips, out(), ConcatMode::copy);

  EXPECT_EQ(result.path, out());
  EXPECT_NEAR(result.duration, 50.0, kFrame);
  EXPECT_EQ(result.reencoded, std::vector<bool>(10, false));
  EXPECT_NEAR(format_duration(out()), 50.0, kFrame);
  long frames = 0;
  for (const std::string& clip : clips) frames += packets(clip, "v:0");
  EXPECT_EQ(packets(out(), "v:0"), frames);
  double video = stream_duration(out(), "v:0");
  double audio = stream_duration(out(), "a:0");
  EXPECT_NEAR(video, 50.0, kFrame);
  EXPECT_NEAR(audio, video, kAudioFrame);

  Decoded d = decode_all(out());
  EXPECT_EQ(d.errors, 0);
  EXPECT_EQ(d.video_frames, frames);
  EXPECT_EQ(d.sizes, (std::set<std::pair<int, int>>{{1280, 720}}));
  EXPECT_NEAR(static_cast<double>(d.samples) / 48000, 50.0, kAudioFrame)
      << "decoded sound drifts from the video";
  EXPECT_TRUE(silences(d).empty()) << "a gap in the sound";
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
  EXPECT_EQ(files_in_out_dir(), std::vector<std::string>{"joined.mp4"});
}

TEST_F(MediaConcat, CopyRefusesAClipOfAnotherSize) {
  MediaError e = expect_failure({media("cat_01.mp4"), media("cat_other_size.mp4")},
                                ConcatMode::copy, media("cat_other_size.mp4"));
  std::string text = e.what();
  EXPECT_NE(text.find("960×540"), std::string::npos) << text;
  EXPECT_NE(text.find("1280×720"), std::string::npos) << text;
  EXPECT_NE(text.find("cat_01.mp4"), std::string::npos) << text;
  EXPECT_NE(text.find("mode='auto'"), std::string::npos) << text;
}

TEST_F(MediaConcat, CopyRefusesAClipWithoutSound) {
  MediaError e = expect_failure({media("cat_01.mp4"), media("cat_no_audio.mp4")}, ConcatMode::copy,
                                media("cat_no_audio.mp4"));
  EXPECT_NE(std::string(e.what()).find("no audio"), std::string::npos) << e.what();
}

TEST_F(MediaConcat, CopyRefusesAnotherFrameRate) {
  // Like the cat_ clips but at 25 fps; made by the ffmpeg tool, outside the output folder.
  std::string clip = out_dir_ + "-25fps.mp4";
  Shell made =
      run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=duration=1:size=1280x720:rate=25"
          " -f lavfi -i sine=duration=1:sample_rate=48000 -c:v libx264 -preset ultrafast"
          " -pix_fmt yuv420p -c:a aac -ac 2 " +
          shell_quoted(clip) + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.out;
  MediaError e = expect_failure({media("cat_01.mp4"), clip}, ConcatMode::copy, clip);
  EXPECT_NE(std::string(e.what()).find("25 fps but the first clip, cat_01.mp4, has 30"),
            std::string::npos)
      << e.what();
  fs::remove(clip);
}

TEST_F(MediaConcat, AutoReencodesOnlyTheOddClipsAndFillsMissingSound) {
  std::vector<std::string> clips = {media("cat_01.mp4"), media("cat_other_size.mp4"),
                                    media("cat_no_audio.mp4"), media("cat_02.mp4")};
  ConcatResult result = concat(clips, out(), ConcatMode::automatic);

  EXPECT_EQ(result.reencoded, (std::vector<bool>{false, true, false, false}));
  EXPECT_NEAR(result.duration, 16.0, kFrame);
  EXPECT_NEAR(format_duration(out()), 16.0, kFrame);
  EXPECT_NEAR(stream_duration(out(), "a:0"), stream_duration(out(), "v:0"), kAudioFrame);
  EXPECT_EQ(packets(out(), "v:0"), 150 + 90 + 90 + 150);

  Decoded d = decode_all(out());
  EXPECT_EQ(d.errors, 0);
  EXPECT_EQ(d.video_frames, 480);
  EXPECT_EQ(d.sizes, (std::set<std::pair<int, int>>{{1280, 720}}));
  // Tone, tone, silence exactly under the clip without audio, tone.
  auto quiet = silences(d);
  ASSERT_EQ(quiet.size(), 1u);
  EXPECT_NEAR(quiet[0].first, 8.0, 0.03);
  EXPECT_NEAR(quiet[0].second, 11.0, 0.03);
  EXPECT_NEAR(static_cast<double>(d.samples) / 48000, 16.0, 2 * kAudioFrame);
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
  EXPECT_EQ(files_in_out_dir(), std::vector<std::string>{"joined.mp4"});
}

TEST_F(MediaConcat, AutoCopiesWhenEverythingMatches) {
  ConcatResult result =
      concat({media("cat_01.mp4"), media("cat_02.mp4")}, out(), ConcatMode::automatic);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{false, false}));
  EXPECT_NEAR(format_duration(out()), 10.0, kFrame);
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
}

TEST_F(MediaConcat, AutoGivesSoundWhenOnlyALaterClipHasIt) {
  ConcatResult result =
      concat({media("cat_no_audio.mp4"), media("cat_01.mp4")}, out(), ConcatMode::automatic);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{false, false}));
  EXPECT_NEAR(stream_duration(out(), "a:0"), 8.0, kAudioFrame);
  Decoded d = decode_all(out());
  EXPECT_EQ(d.errors, 0);
  auto quiet = silences(d);
  ASSERT_EQ(quiet.size(), 1u);
  EXPECT_NEAR(quiet[0].first, 0.0, 0.03);
  EXPECT_NEAR(quiet[0].second, 3.0, 0.03);
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
}

TEST_F(MediaConcat, AutoLetterboxesAnotherShapeAndConvertsTheFrameRate) {
  // 720×1280 portrait at 30 fps, then 640×360 at 29.97 fps.
  std::vector<std::string> clips = {media("cat_01.mp4"), media("portrait_9x16.mp4"),
                                    media("ntsc_2997.mov")};
  ConcatResult result = concat(clips, out(), ConcatMode::automatic);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{false, true, true}));
  EXPECT_NEAR(result.duration, 13.0, kFrame);
  EXPECT_NEAR(format_duration(out()), 13.0, 2 * kFrame);

  Decoded d = decode_all(out(), 6.0);
  EXPECT_EQ(d.errors, 0);
  EXPECT_EQ(d.video_frames, 150 + 120 + 120);
  EXPECT_EQ(d.sizes, (std::set<std::pair<int, int>>{{1280, 720}}));
  // The portrait picture, 405 px wide inside 1280: black bars either side.
  ASSERT_EQ(d.probe_width, 1280);
  auto luma = [&](int x, int y) { return d.probe_luma[static_cast<size_t>(y) * 1280 + x]; };
  for (int y : {10, 360, 700}) {
    EXPECT_LE(luma(100, y), 20) << "left bar at row " << y;
    EXPECT_LE(luma(1180, y), 20) << "right bar at row " << y;
  }
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
}

TEST_F(MediaConcat, AutoConvertsOtherSound) {
  // MPEG-4 video at 25 fps, 4.04 s, with mono MP3 sound, after H.264 + stereo AAC.
  std::string avi = media("mpeg4.avi");
  ConcatResult result = concat({media("cat_01.mp4"), avi}, out(), ConcatMode::automatic);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{false, true}));
  long avi_frames = std::lround(format_duration(avi) * 30);  // at the first clip's 30 fps
  EXPECT_NEAR(result.duration, (150 + avi_frames) * kFrame, 1e-6);
  EXPECT_NEAR(stream_duration(out(), "a:0"), stream_duration(out(), "v:0"), kAudioFrame);
  Decoded d = decode_all(out());
  EXPECT_EQ(d.errors, 0);
  EXPECT_EQ(d.video_frames, 150 + avi_frames);
  EXPECT_EQ(d.sample_rate, 48000);
  EXPECT_TRUE(silences(d, 0.05).empty()) << "a gap in the sound";
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
}

TEST_F(MediaConcat, AutoTurnsARotatedClipToTheFirstClipsOrientation) {
  // rotated.mp4 is 1280×720 stored, shown turned to portrait: inside the
  // landscape output it stands upright between black bars.
  ConcatResult result =
      concat({media("cat_01.mp4"), media("rotated.mp4")}, out(), ConcatMode::automatic);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{false, true}));
  Decoded d = decode_all(out(), 7.0);
  EXPECT_EQ(d.errors, 0);
  ASSERT_EQ(d.probe_width, 1280);
  EXPECT_LE(d.probe_luma[360 * 1280 + 100], 20);
  EXPECT_LE(d.probe_luma[360 * 1280 + 1180], 20);
  EXPECT_GT(d.probe_luma[360 * 1280 + 640], 20);
}

TEST_F(MediaConcat, AutoReencodesEverythingWhenTheFirstClipsHeadersCannotBeMatched) {
  // VP9 first: libx264 cannot give its headers, so both clips are re-encoded.
  ConcatResult result =
      concat({media("vp9.webm"), media("cat_01.mp4")}, out(), ConcatMode::automatic);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{true, true}));
  EXPECT_NEAR(result.duration, 9.0, kFrame);
  Decoded d = decode_all(out());
  EXPECT_EQ(d.errors, 0);
  EXPECT_EQ(d.sizes, (std::set<std::pair<int, int>>{{640, 360}}));
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
  Shell codec =
      run("ffprobe -v error -select_streams v:0 -show_entries stream=codec_name "
          "-of default=nw=1:nk=1 " +
          shell_quoted(out()));
  EXPECT_EQ(codec.out, "h264\n");
}

TEST_F(MediaConcat, ReencodeOfTwoClips) {
  ConcatResult result =
      concat({media("cat_01.mp4"), media("cat_other_size.mp4")}, out(), ConcatMode::reencode);
  EXPECT_EQ(result.reencoded, (std::vector<bool>{true, true}));
  EXPECT_NEAR(result.duration, 8.0, kFrame);
  EXPECT_NEAR(format_duration(out()), 8.0, kFrame);
  EXPECT_NEAR(stream_duration(out(), "a:0"), stream_duration(out(), "v:0"), kAudioFrame);
  Decoded d = decode_all(out());
  EXPECT_EQ(d.errors, 0);
  EXPECT_EQ(d.video_frames, 240);
  EXPECT_EQ(d.sizes, (std::set<std::pair<int, int>>{{1280, 720}}));
  EXPECT_TRUE(silences(d).empty());
  EXPECT_EQ(ffmpeg_decode_errors(out()), "");
}

TEST_F(MediaConcat, BadInputsAreNamedAndLeaveNothingBehind) {
  // A file cut short after its index: made here from the fast-start fixture.
  fs::path cut =
      fs::path(out_dir_).parent_path() / (fs::path(out_dir_).filename().string() + "-cut.mp4");
  {
    std::ifstream in(media("h264_aac_faststart.mp4"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(cut, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  for (ConcatMode mode : {ConcatMode::copy, ConcatMode::automatic, ConcatMode::reencode}) {
    for (const std::string& bad :
         {media("truncated.mp4"), media("garbage.mp4"), media("no_such_clip.mp4"), cut.string()}) {
      SCOPED_TRACE(bad);
      expect_failure({media("cat_01.mp4"), bad}, mode, bad);
    }
  }
  fs::remove(cut);
}

// Offset in the file of a clip's `n`th video packet.
int64_t video_packet_position(const std::string& path, int n) {
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return -1;
  int64_t pos = -1;
  AVPacket* pkt = av_packet_alloc();
  while (pos < 0 && av_read_frame(fmt, pkt) >= 0) {
    if (fmt->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && n-- == 0) {
      pos = pkt->pos;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
  return pos;
}

TEST_F(MediaConcat, AFailureHalfwayRemovesTheUnfinishedFile) {
  // A clip whose 40th picture has a broken NAL length: it opens, but does
  // not decode, so a re-encoding join fails after writing the first clip.
  std::string broken = out_dir_ + "-broken.mp4";
  fs::copy_file(media("cat_no_audio.mp4"), broken, fs::copy_options::overwrite_existing);
  int64_t pos = video_packet_position(broken, 40);
  ASSERT_GT(pos, 0);
  {
    std::fstream file(broken, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(pos);
    file.write("\xff\xff\xff\xff", 4);
  }
  MediaError e = expect_failure({media("cat_01.mp4"), broken}, ConcatMode::reencode, broken);
  EXPECT_NE(std::string(e.what()).find("does not decode"), std::string::npos) << e.what();
  fs::remove(broken);
}

TEST_F(MediaConcat, AnEmptyListOrAMissingFolderIsAnError) {
  EXPECT_THROW(concat({}, out(), ConcatMode::automatic), MediaError);
  std::string nowhere = out_dir_ + "/no/such/folder/joined.mp4";
  try {
    concat({media("cat_01.mp4")}, nowhere, ConcatMode::copy);
    ADD_FAILURE() << "concat did not fail";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.path(), nowhere);
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(files_in_out_dir().empty());
}

}  // namespace
