// The capability table (host/vidu/capabilities.hpp) against
// ../shared/reference/vidu-api.md: prompt lengths, image and video counts,
// media strings and inline sizes, subjects and the family rules (§2.4); all
// errors are reported at once.
#include "vidu_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

using nlohmann::json;
using namespace reel::vidu;
using namespace reel::vidu::test_support;

// ---------------------------------------------------------- prompt lengths

TEST(ViduPrompt, LimitsPerModel) {  // §18 Q2
  auto len = [](Endpoint e, const char* model, std::size_t n) {
    json b = minimal(e, model);
    b["prompt"] = std::string(n, 'a');
    return run(e, b);
  };
  EXPECT_TRUE(len(Endpoint::text2video, "viduq3-pro", 5000).errors.empty());
  EXPECT_FALSE(len(Endpoint::text2video, "viduq3-pro", 5001).errors.empty());
  EXPECT_TRUE(len(Endpoint::text2video, "viduq2", 2000).errors.empty());
  Validation v = len(Endpoint::text2video, "viduq2", 2001);
  ASSERT_EQ(v.errors.size(), 1U);
  EXPECT_EQ(v.errors[0].field, "prompt");
  EXPECT_EQ(v.errors[0].reason, "FieldInvalid");
  EXPECT_EQ(v.errors[0].message,
            "prompt is 2001 characters; the limit for viduq2 text2video is 2000");
  EXPECT_FALSE(len(Endpoint::extend, "viduq2-pro", 2001).errors.empty());
  EXPECT_TRUE(len(Endpoint::reference2video, "viduq2-pro", 5000).errors.empty());  // seed 002
  Validation w = len(Endpoint::text2video, "viduq1", 1600);
  EXPECT_TRUE(w.errors.empty());
  ASSERT_EQ(w.warnings.size(), 1U);
  EXPECT_EQ(w.warnings[0].field, "prompt");
  // Characters, not bytes: 2000 × "é" (2 bytes each) is fine.
  json b = minimal(Endpoint::text2video, "viduq2");
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "\xC3\xA9";
  b["prompt"] = s;
  ok(Endpoint::text2video, b);
}

TEST(ViduPrompt, MultiframeSegment) {
  json b = minimal(Endpoint::multiframe, "viduq2-turbo");
  b["image_settings"][1]["prompt"] = std::string(2001, 'a');
  expect_error(Endpoint::multiframe, b, "image_settings[1].prompt", "FieldInvalid");
  json top = minimal(Endpoint::multiframe, "viduq2-turbo");
  top["prompt"] = "x";  // no top-level prompt on multiframe (§8)
  expect_error(Endpoint::multiframe, top, "prompt", "FieldUnwanted");
}

// ----------------------------------------------------------------- counts

TEST(ViduCounts, Images) {
  json i = minimal(Endpoint::img2video, "viduq2-pro");
  i["images"] = {kUrl, kUrl};
  FieldError e = only_error(Endpoint::img2video, i);
  EXPECT_EQ(e.reason, "FieldItemCountOutOfRange");
  EXPECT_EQ(e.field, "images");
  json se = minimal(Endpoint::start_end2video, "viduq2-pro");
  se["images"] = {kUrl};
  expect_error(Endpoint::start_end2video, se, "images", "FieldItemCountOutOfRange");
  json r = minimal(Endpoint::reference2video, "viduq2");
  r["images"] = json::array();
  for (int k = 0; k < 8; ++k) r["images"].push_back(kUrl);
  expect_error(Endpoint::reference2video, r, "images", "FieldItemCountOutOfRange");
  json x = minimal(Endpoint::extend, "viduq2-pro");
  x["images"] = {kUrl, kUrl};
  expect_error(Endpoint::extend, x, "images", "FieldItemCountOutOfRange");
  json x1 = minimal(Endpoint::extend, "viduq2-pro");
  x1["images"] = {kUrl};
  ok(Endpoint::extend, x1);
}

TEST(ViduCounts, Q2ProVideos) {
  json r = minimal(Endpoint::reference2video, "viduq2-pro");
  r["videos"] = {kMp4};
  r["images"] = {kUrl, kUrl, kUrl, kUrl};
  ok(Endpoint::reference2video, r);
  r["images"].push_back(kUrl);  // 1-4 images when videos are given
  expect_error(Endpoint::reference2video, r, "images", "FieldItemCountOutOfRange");
  json v = minimal(Endpoint::reference2video, "viduq2-pro");
  v["videos"] = {kMp4, kMp4, kMp4};
  expect_error(Endpoint::reference2video, v, "videos", "FieldItemCountOutOfRange");
  json q2 = minimal(Endpoint::reference2video, "viduq2");
  q2["videos"] = {kMp4};
  expect_error(Endpoint::reference2video, q2, "videos", "FieldUnwanted");
  json bad = minimal(Endpoint::reference2video, "viduq2-pro");
  bad["videos"] = {"data:image/png;base64,AAAA"};
  expect_error(Endpoint::reference2video, bad, "videos[0]", "FieldInvalid");
}

TEST(ViduCounts, Multiframe) {
  json one = minimal(Endpoint::multiframe, "viduq2-pro");
  one["image_settings"].erase(1);
  expect_error(Endpoint::multiframe, one, "image_settings", "FieldItemCountOutOfRange");
  json ten = minimal(Endpoint::multiframe, "viduq2-pro");
  ten["image_settings"] = json::array();
  for (int k = 0; k < 10; ++k) ten["image_settings"].push_back({{"key_image", kUrl}});
  expect_error(Endpoint::multiframe, ten, "image_settings", "FieldItemCountOutOfRange");
  json nine = ten;
  nine["image_settings"].erase(9);
  ok(Endpoint::multiframe, nine);
  json nokey = minimal(Endpoint::multiframe, "viduq2-pro");
  nokey["image_settings"][0] = {{"prompt", "x"}};
  expect_error(Endpoint::multiframe, nokey, "image_settings[0].key_image", "FieldLacking");
  json longseg = minimal(Endpoint::multiframe, "viduq2-pro");
  longseg["image_settings"][1]["duration"] = 8;
  FieldError e = only_error(Endpoint::multiframe, longseg);
  EXPECT_EQ(e.field, "image_settings[1].duration");
  EXPECT_EQ(e.message,
            "image_settings[1].duration 8 is not allowed for viduq2-pro multiframe; allowed: "
            "2\u20137 (default 5)");
  json extra = minimal(Endpoint::multiframe, "viduq2-pro");
  extra["image_settings"][0]["images"] = {kUrl};
  expect_error(Endpoint::multiframe, extra, "image_settings[0].images", "FieldUnwanted");
}

// ------------------------------------------------------------ media strings

TEST(ViduMedia, ImageStrings) {
  auto img = [](const std::string& s) {
    json b = minimal(Endpoint::img2video, "viduq2-pro");
    b["images"] = {s};
    return b;
  };
  for (const char* good : {"https://x.example/a.webp", "http://x.example/a",
                           "data:image/jpeg;base64,/9j/", "data:image/webp;base64,UklGR"}) {
    json b = img(good);
    ok(Endpoint::img2video, b);
  }
  for (const char* bad : {"ftp://x/a.png", "/tmp/a.png", "data:image/gif;base64,R0lG",
                          "data:image/png,raw", "data:image/png;base64,", "https://"}) {
    expect_error(Endpoint::img2video, img(bad), "images[0]", "ImageFormatInvalid");
  }
  json ms = minimal(Endpoint::multiframe, "viduq2-pro");
  ms["start_image"] = "data:text/plain;base64,AAAA";
  expect_error(Endpoint::multiframe, ms, "start_image", "ImageFormatInvalid");
}

TEST(ViduMedia, ExtendSource) {
  json neither = {{"model", "viduq2-pro"}};
  expect_error(Endpoint::extend, neither, "video_url", "FieldLacking");
  json both = {{"model", "viduq2-pro"}, {"video_url", kMp4}, {"video_creation_id", "1"}};
  expect_error(Endpoint::extend, both, "video_creation_id", "FieldInvalid");
  json url = {{"model", "viduq2-turbo"}, {"video_url", kMp4}};
  ok(Endpoint::extend, url);
  json data = {{"model", "viduq2-turbo"}, {"video_url", "data:video/mp4;base64,AAAA"}};
  ok(Endpoint::extend, data);
  json bad = {{"model", "viduq2-turbo"}, {"video_url", "clip.mp4"}};
  expect_error(Endpoint::extend, bad, "video_url", "FieldInvalid");
  json empty = {{"model", "viduq2-turbo"}, {"video_creation_id", ""}};
  expect_error(Endpoint::extend, empty, "video_creation_id", "FieldLacking");
}

// ---------------------------------------------------------------- subjects

TEST(ViduSubjects, Rules) {
  json s = minimal(Endpoint::reference2video, "viduq2", true);
  Resolved r = ok(Endpoint::reference2video, s);
  EXPECT_EQ(s["audio"], false);  // q2-era subject calls default false
  EXPECT_EQ(r.credits, 45);      // 25 + 5·4

  json q2id = minimal(Endpoint::reference2video, "viduq2");  // Q10: id or name
  q2id.erase("images");
  q2id["subjects"] =
      json::array({{{"id", "1"}, {"images", {kUrl}}}, {{"id", "2"}, {"server_id", "srv-9"}}});
  ok(Endpoint::reference2video, q2id);

  json audio = minimal(Endpoint::reference2video, "viduq2", true);
  audio["audio"] = true;
  Resolved ra = ok(Endpoint::reference2video, audio);
  EXPECT_EQ(audio["audio_type"], "all");
  EXPECT_EQ(ra.credits, 60);  // +15 with audio

  json q3 = minimal(Endpoint::reference2video, "viduq3-turbo", true);
  ok(Endpoint::reference2video, q3);
  EXPECT_EQ(q3["audio"], true);

  expect_error(Endpoint::reference2video, minimal(Endpoint::reference2video, "viduq3-mix", true),
               "subjects", "FieldUnwanted");
  expect_error(Endpoint::reference2video, minimal(Endpoint::reference2video, "viduq3-turbo", false),
               "images", "FieldUnwanted");

  json mixed = minimal(Endpoint::reference2video, "viduq2", true);
  mixed["images"] = {kUrl};
  expect_error(Endpoint::reference2video, mixed, "subjects", "FieldUnwanted");

  json dup = minimal(Endpoint::reference2video, "viduq2", true);
  dup["subjects"].push_back({{"name", "hero"}, {"images", {kUrl}}});
  expect_error(Endpoint::reference2video, dup, "subjects[1].name", "FieldInvalid");

  json noname = minimal(Endpoint::reference2video, "viduq2", true);
  noname["subjects"][0].erase("name");
  expect_error(Endpoint::reference2video, noname, "subjects[0].name", "FieldLacking");

  json four = minimal(Endpoint::reference2video, "viduq2", true);
  four["subjects"][0]["images"] = {kUrl, kUrl, kUrl, kUrl};
  expect_error(Endpoint::reference2video, four, "subjects[0].images", "FieldItemCountOutOfRange");

  json many = minimal(Endpoint::reference2video, "viduq2", true);
  many["subjects"] = json::array();
  for (int k = 0; k < 8; ++k)
    many["subjects"].push_back({{"name", "s" + std::to_string(k)}, {"server_id", "x"}});
  expect_error(Endpoint::reference2video, many, "subjects", "FieldItemCountOutOfRange");

  json total = minimal(Endpoint::reference2video, "viduq2", true);
  total["subjects"] = json::array();
  for (int k = 0; k < 3; ++k)
    total["subjects"].push_back(
        {{"name", "s" + std::to_string(k)}, {"images", {kUrl, kUrl, kUrl}}});
  expect_error(Endpoint::reference2video, total, "subjects",
               "FieldItemCountOutOfRange");  // 9 > 7 in total

  json vids = minimal(Endpoint::reference2video, "viduq2", true);
  vids["subjects"][0]["videos"] = {kMp4};
  expect_error(Endpoint::reference2video, vids, "subjects[0].videos", "FieldUnwanted");
  json provid = minimal(Endpoint::reference2video, "viduq2-pro", true);
  provid["subjects"][0]["videos"] = {kMp4};
  ok(Endpoint::reference2video, provid);
  json provoice = minimal(Endpoint::reference2video, "viduq2-pro", true);
  provoice["subjects"][0]["voice_id"] = "v1";
  expect_error(Endpoint::reference2video, provoice, "subjects[0].voice_id", "FieldUnwanted");

  json badimg = minimal(Endpoint::reference2video, "viduq2", true);
  badimg["subjects"][0]["images"] = {"hero.png"};
  expect_error(Endpoint::reference2video, badimg, "subjects[0].images[0]", "ImageFormatInvalid");
}

// ------------------------------------------------------ family rules (§2.4)

TEST(ViduFamily, BgmAudioOffPeak) {
  json bgm = minimal(Endpoint::text2video, "viduq3-turbo");
  bgm["bgm"] = true;
  expect_error(Endpoint::text2video, bgm, "bgm", "FieldInvalid");
  json q2bgm = minimal(Endpoint::img2video, "viduq2-pro");
  q2bgm["bgm"] = true;
  q2bgm["duration"] = 10;
  Validation w = run(Endpoint::img2video, q2bgm);
  EXPECT_TRUE(w.errors.empty());
  ASSERT_EQ(w.warnings.size(), 1U);  // no effect at 9-10 s
  EXPECT_EQ(w.warnings[0].field, "bgm");

  json audio = minimal(Endpoint::text2video, "viduq2");
  audio["audio"] = true;
  expect_error(Endpoint::text2video, audio, "audio", "FieldInvalid");
  json se = minimal(Endpoint::start_end2video, "viduq2-turbo");
  se["audio"] = false;
  ok(Endpoint::start_end2video, se);

  json q3op = minimal(Endpoint::text2video, "viduq3-pro");
  q3op["off_peak"] = true;
  q3op["audio"] = false;
  expect_error(Endpoint::text2video, q3op, "off_peak", "FieldInvalid");  // q3 needs audio
  json q3op_ok = minimal(Endpoint::text2video, "viduq3-pro");
  q3op_ok["off_peak"] = true;
  Resolved r = ok(Endpoint::text2video, q3op_ok);
  EXPECT_TRUE(r.off_peak);
  EXPECT_EQ(r.credits, 75);  // 15/s off-peak at 720p

  json mix = minimal(Endpoint::reference2video, "viduq3-mix");
  mix["off_peak"] = true;
  expect_error(Endpoint::reference2video, mix, "off_peak", "FieldInvalid");

  json q2audio = minimal(Endpoint::img2video, "viduq2-turbo");
  q2audio["off_peak"] = true;
  q2audio["audio"] = true;
  expect_error(Endpoint::img2video, q2audio, "off_peak", "FieldInvalid");
  json q2quiet = minimal(Endpoint::img2video, "viduq2-turbo");
  q2quiet["off_peak"] = true;
  ok(Endpoint::img2video, q2quiet);

  json vt = minimal(Endpoint::img2video, "viduq2-turbo");
  vt["off_peak"] = true;
  expect_error(Endpoint::img2video, vt, "off_peak", "FieldInvalid", Dialect::vtrix);  // Q24
}

TEST(ViduFamily, AllErrorsAtOnce) {
  json b = {{"model", "viduq2"},
            {"prompt", std::string(2001, 'a')},
            {"duration", 12},
            {"resolution", "4k"},
            {"aspect_ratio", "2:1"},
            {"bgm", "no"},
            {"colour", "red"},
            {"payload", std::string(1'048'577, 'p')},
            {"seed", -3}};
  Validation v = run(Endpoint::text2video, b);
  EXPECT_FALSE(v.resolved.has_value());
  std::set<std::string> fields;
  for (const auto& e : v.errors) {
    fields.insert(e.field);
    EXPECT_NE(e.message.find(e.field), std::string::npos) << e.message;
  }
  EXPECT_EQ(fields, (std::set<std::string>{"prompt", "duration", "resolution", "aspect_ratio",
                                           "bgm", "colour", "payload", "seed"}));
  EXPECT_EQ(v.errors.size(), 8U);
}

TEST(ViduFamily, UnknownModelStillChecksTheRest) {
  json b = {{"model", "sora"}, {"images", {"nope"}}, {"payload", std::string(1'048'577, 'p')}};
  Validation v = run(Endpoint::img2video, b);
  std::set<std::string> fields;
  for (const auto& e : v.errors) fields.insert(e.field);
  EXPECT_EQ(fields, (std::set<std::string>{"model", "images[0]", "payload"}));
}

// ------------------------------------------------------------ inline sizes

TEST(ViduMedia, InlineSizes) {  // §1.2, §18 Q3
  json big = minimal(Endpoint::img2video, "viduq2-pro");
  big["images"] = {"data:image/png;base64," + std::string(13'400'000, 'A')};  // ~10 MB decoded
  expect_error(Endpoint::img2video, big, "images[0]", "PageSizeOutOfRange");
  json fine = minimal(Endpoint::img2video, "viduq2-pro");
  fine["images"] = {"data:image/png;base64," + std::string(13'000'000, 'A')};  // ~9.75 MB
  ok(Endpoint::img2video, fine);
  json video = minimal(Endpoint::extend, "viduq2-pro");
  video.erase("video_creation_id");
  video["video_url"] = "data:video/mp4;base64," + std::string(26'700'000, 'A');  // ~20 MB
  Validation v = run(Endpoint::extend, video);  // too big for the body too
  ASSERT_EQ(v.errors.size(), 2U);
  EXPECT_EQ(v.errors[0].field, "body");
  EXPECT_EQ(v.errors[0].reason, "BadRequest");
  EXPECT_EQ(v.errors[1].field, "video_url");
  EXPECT_EQ(v.errors[1].reason, "FieldInvalid");
  json body = minimal(Endpoint::reference2video, "viduq2");
  body["images"] = json::array();
  for (int k = 0; k < 3; ++k)
    body["images"].push_back("data:image/webp;base64," + std::string(9'000'000, 'A'));
  expect_error(Endpoint::reference2video, body, "body", "BadRequest");  // 27 MB > 20 MB
}
