// host/vidu/request: script options -> official body, local inputs, the
// facts host/media reports turned into errors, and inline data URLs.
#include "host/vidu/request.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

using nlohmann::json;
using reel::vidu::apply_inputs;
using reel::vidu::build_request;
using reel::vidu::Endpoint;
using reel::vidu::finish;
using reel::vidu::InputFacts;

const reel::vidu::FieldError* find(const std::vector<reel::vidu::FieldError>& errors,
                                   const std::string& field) {
  for (const auto& e : errors)
    if (e.field == field) return &e;
  return nullptr;
}

InputFacts png(std::int64_t size) {
  InputFacts f;
  f.kind = "image";
  f.mime = "image/png";
  f.size = size;
  return f;
}

TEST(ViduKind, NamesMapToEndpoints) {
  EXPECT_EQ(reel::vidu::endpoint_from_kind("start_end"), Endpoint::start_end2video);
  EXPECT_EQ(reel::vidu::endpoint_from_kind("reference"), Endpoint::reference2video);
  EXPECT_EQ(reel::vidu::endpoint_from_kind("multiframe"), Endpoint::multiframe);
  EXPECT_FALSE(reel::vidu::endpoint_from_kind("start-end2video"));
  EXPECT_STREQ(reel::vidu::kind_name(Endpoint::extend), "extend");
}

TEST(ViduRequest, PassesApiFieldsThrough) {
  auto r = build_request(Endpoint::text2video, {{"model", "viduq2"},
                                                {"prompt", "p"},
                                                {"seed", 7},
                                                {"bgm", true},
                                                {"payload", "x"},
                                                {"wm_position", 2}});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.inputs.empty());
  EXPECT_EQ(r.body["seed"], 7);
  EXPECT_EQ(r.body["bgm"], true);
  EXPECT_EQ(r.body["wm_position"], 2);
  auto checked = finish(r);
  EXPECT_TRUE(checked.errors.empty());
  EXPECT_EQ(checked.credits, 35);
}

TEST(ViduRequest, UnknownOptionIsUnwantedAndListsAccepted) {
  auto r = build_request(Endpoint::img2video, {{"model", "viduq2-pro"}, {"colour", "red"}});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].reason, "FieldUnwanted");
  EXPECT_EQ(r.errors[0].field, "colour");
  EXPECT_NE(r.errors[0].message.find("\"red\""), std::string::npos);
  EXPECT_NE(r.errors[0].message.find("image, "), std::string::npos);
  EXPECT_FALSE(r.body.contains("colour"));
}

TEST(ViduRequest, ImageUrlGoesStraightIntoImages) {
  auto r = build_request(Endpoint::img2video,
                         {{"model", "viduq2-pro"}, {"image", "https://example.com/a.png"}});
  EXPECT_TRUE(r.inputs.empty());
  EXPECT_EQ(r.body["images"], json::array({"https://example.com/a.png"}));
}

TEST(ViduRequest, LocalPathsAndFramesBecomeInputs) {
  auto r =
      build_request(Endpoint::start_end2video, {{"model", "viduq2-pro"},
                                                {"first", "a.png"},
                                                {"last", {{"path", "frame.png"}, {"width", 640}}}});
  ASSERT_EQ(r.inputs.size(), 2U);
  EXPECT_EQ(r.inputs[0].path, "a.png");
  EXPECT_EQ(r.inputs[0].pointer, "/images/0");
  EXPECT_EQ(r.inputs[0].field, "images[0]");
  EXPECT_EQ(r.inputs[0].option, "first");
  EXPECT_EQ(r.inputs[1].path, "frame.png");
  EXPECT_EQ(r.inputs[1].pointer, "/images/1");
  EXPECT_EQ(r.inputs[1].use, "image");
  EXPECT_EQ(r.body["images"].size(), 2U);
}

TEST(ViduRequest, StartEndNeedsBothFrames) {
  auto r = build_request(Endpoint::start_end2video, {{"model", "viduq2-pro"}, {"first", "a.png"}});
  const auto* e = find(r.errors, "last");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->reason, "FieldLacking");
}

TEST(ViduRequest, ReferenceInputsUseReferenceRules) {
  auto r = build_request(Endpoint::reference2video, {{"model", "viduq2-pro"},
                                                     {"images", {"a.png", "https://x.org/b.png"}},
                                                     {"videos", {{{"path", "clip.mp4"}}}},
                                                     {"prompt", "p"}});
  ASSERT_EQ(r.inputs.size(), 2U);
  EXPECT_EQ(r.inputs[0].use, "reference");
  EXPECT_FALSE(r.inputs[0].video);
  EXPECT_EQ(r.inputs[1].pointer, "/videos/0");
  EXPECT_TRUE(r.inputs[1].video);
  EXPECT_EQ(r.body["images"][1], "https://x.org/b.png");
}

TEST(ViduRequest, ExtendClipGoesAsCreationId) {
  auto r = build_request(Endpoint::extend, {{"model", "viduq2-pro"},
                                            {"video", {{"creation_id", "c1"}, {"path", "x.mp4"}}},
                                            {"last", "https://x.org/end.png"}});
  EXPECT_TRUE(r.inputs.empty());
  EXPECT_EQ(r.body["video_creation_id"], "c1");
  EXPECT_FALSE(r.body.contains("video_url"));
  EXPECT_EQ(r.body["images"], json::array({"https://x.org/end.png"}));
}

TEST(ViduRequest, ExtendPathIsAnExtendInput) {
  auto r = build_request(Endpoint::extend, {{"model", "viduq2-pro"}, {"video", "src.mp4"}});
  ASSERT_EQ(r.inputs.size(), 1U);
  EXPECT_EQ(r.inputs[0].pointer, "/video_url");
  EXPECT_EQ(r.inputs[0].use, "extend");
  EXPECT_TRUE(r.inputs[0].video);
}

TEST(ViduRequest, MultiframeFramesBecomeImageSettings) {
  auto r = build_request(Endpoint::multiframe,
                         {{"model", "viduq2-turbo"},
                          {"start", "https://x.org/s.png"},
                          {"frames",
                           {{{"image", "k1.png"}, {"prompt", "a"}, {"duration", 3}},
                            {{"key_image", "https://x.org/k2.png"}}}}});
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.body["start_image"], "https://x.org/s.png");
  ASSERT_EQ(r.body["image_settings"].size(), 2U);
  EXPECT_EQ(r.body["image_settings"][0]["prompt"], "a");
  EXPECT_FALSE(r.body["image_settings"][0].contains("image"));
  EXPECT_EQ(r.body["image_settings"][1]["key_image"], "https://x.org/k2.png");
  ASSERT_EQ(r.inputs.size(), 1U);
  EXPECT_EQ(r.inputs[0].pointer, "/image_settings/0/key_image");
  EXPECT_EQ(r.inputs[0].field, "image_settings[0].key_image");
  apply_inputs(r, {png(1000)});
  auto checked = finish(r);
  EXPECT_TRUE(checked.errors.empty()) << checked.errors[0].message;
  EXPECT_EQ(checked.credits, 70);  // 2·15 + 8·5 (§14 turbo 720p)
}

TEST(ViduRequest, OneFieldFromTwoOptionsIsRefused) {
  auto r = build_request(Endpoint::img2video,
                         {{"model", "viduq2-pro"}, {"image", "a.png"}, {"images", {"b.png"}}});
  const auto* e = find(r.errors, "images");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->reason, "FieldInvalid");
}

TEST(ViduRequest, BadImageValueIsInvalidAndReportedOnce) {
  auto r = build_request(Endpoint::img2video, {{"model", "viduq2-pro"}, {"image", 3}});
  const auto* e = find(r.errors, "images[0]");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->reason, "FieldInvalid");
  EXPECT_EQ(finish(r).errors.size(), 1U);
}

TEST(ViduRequest, SubjectFilesBecomeReferenceInputs) {
  auto r =
      build_request(Endpoint::reference2video,
                    {{"model", "viduq2"},
                     {"prompt", "@1 walks"},
                     {"subjects", {{{"id", "1"}, {"images", {"https://x.org/a.png", "b.png"}}}}}});
  ASSERT_EQ(r.inputs.size(), 1U);
  EXPECT_EQ(r.inputs[0].pointer, "/subjects/0/images/1");
  EXPECT_EQ(r.inputs[0].field, "subjects[0].images[1]");
  EXPECT_EQ(r.inputs[0].use, "reference");
  apply_inputs(r, {png(5000)});
  EXPECT_TRUE(finish(r).errors.empty());
}

TEST(ViduInputs, ProblemsNameTheFileWithTheirCodes) {
  auto r = build_request(Endpoint::reference2video, {{"model", "viduq2-pro"},
                                                     {"images", {"tall.png", "junk.bin"}},
                                                     {"videos", {"short.mp4"}},
                                                     {"prompt", "p"}});
  InputFacts tall = png(100);
  tall.problems = {"1:5 aspect ratio (160×800); reference images must be between 1:4 and 4:1"};
  InputFacts junk;
  junk.unreadable = "not a media file FFmpeg can read";
  InputFacts video;
  video.kind = "video";
  video.mime = "video/webm";
  video.problems = {"a vp9 video; reference videos must be mp4, avi or mov"};
  apply_inputs(r, {tall, junk, video});
  auto checked = finish(r);
  ASSERT_EQ(checked.errors.size(), 3U);
  EXPECT_EQ(checked.errors[0].reason, "PageSizeOutOfRange");
  EXPECT_NE(checked.errors[0].message.find("tall.png"), std::string::npos);
  EXPECT_EQ(checked.errors[1].reason, "ImageFormatInvalid");
  EXPECT_NE(checked.errors[1].message.find("junk.bin"), std::string::npos);
  EXPECT_EQ(checked.errors[2].reason, "FieldInvalid");
  EXPECT_EQ(checked.errors[2].field, "videos[0]");
}

TEST(ViduInputs, PlaceholderCarriesTheBase64Size) {
  auto r = build_request(Endpoint::img2video, {{"model", "viduq2-pro"}, {"image", "big.png"}});
  apply_inputs(r, {png(12'000'000)});  // > 10 MB decoded inline (§1.2)
  EXPECT_EQ(r.body["images"][0].get<std::string>().size(),
            std::string("data:image/png;base64,").size() + 16'000'000);
  auto checked = finish(r);
  const auto* e = find(checked.errors, "images[0]");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->reason, "PageSizeOutOfRange");
}

TEST(ViduInputs, PairProblemsGoToImages) {
  auto r = build_request(Endpoint::start_end2video,
                         {{"model", "viduq2-pro"}, {"first", "a.png"}, {"last", "b.png"}});
  apply_inputs(r, {png(10), png(10)}, {"start and end sizes differ"});
  auto checked = finish(r);
  ASSERT_EQ(checked.errors.size(), 1U);
  EXPECT_EQ(checked.errors[0].field, "images");
  EXPECT_NE(checked.errors[0].message.find("a.png"), std::string::npos);
  EXPECT_NE(checked.errors[0].message.find("b.png"), std::string::npos);
}

TEST(ViduInline, EncodesTheFileAsBase64) {
  EXPECT_EQ(reel::vidu::base64_size(0), 0U);
  EXPECT_EQ(reel::vidu::base64_size(1), 4U);
  EXPECT_EQ(reel::vidu::base64_size(3), 4U);
  EXPECT_EQ(reel::vidu::base64_size(4), 8U);
  const std::string path = testing::TempDir() + "vidu_inline_test.bin";
  for (const auto& [data, encoded] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}}) {
    std::ofstream(path, std::ios::binary) << data;
    EXPECT_EQ(reel::vidu::inline_data_url(path, "image/png"), "data:image/png;base64," + encoded);
  }
  std::remove(path.c_str());
  EXPECT_THROW(reel::vidu::inline_data_url("/no/such/file", "image/png"), std::runtime_error);
}

}  // namespace
