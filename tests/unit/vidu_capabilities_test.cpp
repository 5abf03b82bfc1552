// The capability table (host/vidu/capabilities.hpp) against
// ../shared/reference/vidu-api.md: every rule gives its documented reason and
// status with a message naming the field; defaults are filled; all errors are
// reported at once; prices (§14), output sizes (§15) and the Vtrix ids (§16.5).
#include "host/vidu/capabilities.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>
#include <string>

using nlohmann::json;
using namespace reel::vidu;

namespace {

const std::string kPng = "data:image/png;base64,iVBORw0KGgo=";
const std::string kUrl = "https://example.com/a.png";
const std::string kMp4 = "https://example.com/clip.mp4";

Validation run(Endpoint e, json& body, Dialect d = Dialect::vidu) {
  return validate(e, body, d);
}

// The single error a body produces; checks status 400 and that the message
// names the field.
FieldError only_error(Endpoint e, json body, Dialect d = Dialect::vidu) {
  Validation v = run(e, body, d);
  EXPECT_EQ(v.errors.size(), 1U) << body.dump();
  EXPECT_FALSE(v.resolved.has_value());
  if (v.errors.empty()) return {};
  for (const auto& err : v.errors) {
    EXPECT_EQ(err.http_status, 400);
    EXPECT_NE(err.message.find(err.field), std::string::npos) << err.message;
    if (std::getenv("VIDU_TEST_VERBOSE") != nullptr)
      std::cerr << "  [" << err.reason << "] " << err.message << "\n";
  }
  return v.errors.front();
}

void expect_error(Endpoint e, const json& body, const std::string& field, const std::string& reason,
                  Dialect d = Dialect::vidu) {
  SCOPED_TRACE(body.dump().substr(0, 200));
  FieldError err = only_error(e, body, d);
  EXPECT_EQ(err.field, field);
  EXPECT_EQ(err.reason, reason);
}

Resolved ok(Endpoint e, json& body, Dialect d = Dialect::vidu) {
  Validation v = run(e, body, d);
  for (const auto& err : v.errors) ADD_FAILURE() << err.reason << ": " << err.message;
  EXPECT_TRUE(v.resolved.has_value()) << body.dump();
  return v.resolved.value_or(Resolved{});
}

// The smallest valid body for an endpoint and model.
json minimal(Endpoint e, const std::string& model, bool subjects = false) {
  json b = {{"model", model}};
  switch (e) {
    case Endpoint::text2video:
      b["prompt"] = "a lighthouse at dawn";
      break;
    case Endpoint::img2video:
      b["images"] = {kUrl};
      break;
    case Endpoint::start_end2video:
      b["images"] = {kUrl, kPng};
      break;
    case Endpoint::reference2video:
      b["prompt"] = "@hero walks";
      if (subjects)
        b["subjects"] = json::array({{{"name", "hero"}, {"images", {kUrl}}}});
      else
        b["images"] = {kUrl};
      break;
    case Endpoint::extend:
      b["video_creation_id"] = "123";
      break;
    case Endpoint::multiframe:
      b["start_image"] = kUrl;
      b["image_settings"] = json::array({{{"key_image", kUrl}}, {{"key_image", kPng}}});
      break;
  }
  return b;
}

const Endpoint kAllEndpoints[] = {Endpoint::text2video,      Endpoint::img2video,
                                  Endpoint::start_end2video, Endpoint::reference2video,
                                  Endpoint::extend,          Endpoint::multiframe};

}  // namespace

// ------------------------------------------------------------------ paths

TEST(ViduEndpoints, PathsRoundTrip) {
  EXPECT_STREQ(endpoint_path(Endpoint::start_end2video), "start-end2video");
  for (Endpoint e : kAllEndpoints) EXPECT_EQ(endpoint_from_path(endpoint_path(e)), e);
  EXPECT_FALSE(endpoint_from_path("template").has_value());
  EXPECT_STREQ(dialect_name(Dialect::vtrix), "vtrix");
}

// ---------------------------------------------------------------- defaults

TEST(ViduDefaults, Text2videoQ2) {
  json b = {{"model", "viduq2"}, {"prompt", "x"}};
  Resolved r = ok(Endpoint::text2video, b);
  EXPECT_EQ(b["duration"], 5);
  EXPECT_EQ(b["resolution"], "720p");
  EXPECT_EQ(b["aspect_ratio"], "16:9");
  EXPECT_EQ(b["movement_amplitude"], "auto");
  EXPECT_EQ(b["style"], "general");
  EXPECT_EQ(b["bgm"], false);
  EXPECT_EQ(b["off_peak"], false);
  EXPECT_EQ(b["watermark"], false);
  EXPECT_FALSE(b.contains("seed"));   // the simulator / server picks it
  EXPECT_FALSE(b.contains("audio"));  // not a q2 text2video field value to fill
  EXPECT_EQ(r.model, "viduq2");
  EXPECT_EQ(r.duration, 5);
  EXPECT_EQ(r.width, 1280);
  EXPECT_EQ(r.height, 720);
  EXPECT_EQ(r.credits, 35);  // 15 + 5·4
  EXPECT_EQ(r.body, &b);
}

TEST(ViduDefaults, Q3AudioTrue) {
  json b = minimal(Endpoint::img2video, "viduq3-pro");
  Resolved r = ok(Endpoint::img2video, b);
  EXPECT_EQ(b["audio"], true);
  EXPECT_EQ(b["resolution"], "720p");
  EXPECT_FALSE(b.contains("aspect_ratio"));
  EXPECT_TRUE(r.audio);
  EXPECT_EQ(r.aspect_ratio, "");
  EXPECT_EQ(r.width, 0);
}

TEST(ViduDefaults, Q2Img2videoAudioFalse) {
  json b = minimal(Endpoint::img2video, "viduq2-pro");
  ok(Endpoint::img2video, b);
  EXPECT_EQ(b["audio"], false);
  EXPECT_FALSE(b.contains("audio_type"));
  json c = minimal(Endpoint::img2video, "viduq2-pro");
  c["audio"] = true;
  ok(Endpoint::img2video, c);
  EXPECT_EQ(c["audio_type"], "all");
}

TEST(ViduDefaults, Vidu20FourVersusEightSeconds) {
  json four = minimal(Endpoint::img2video, "vidu2.0");
  ok(Endpoint::img2video, four);
  EXPECT_EQ(four["duration"], 4);
  EXPECT_EQ(four["resolution"], "360p");
  json eight = minimal(Endpoint::start_end2video, "vidu2.0");
  eight["duration"] = 8;
  ok(Endpoint::start_end2video, eight);
  EXPECT_EQ(eight["resolution"], "720p");
  json bad = minimal(Endpoint::img2video, "vidu2.0");
  bad["duration"] = 8;
  bad["resolution"] = "1080p";
  FieldError e = only_error(Endpoint::img2video, bad);
  EXPECT_EQ(e.reason, "FieldInvalid");
  EXPECT_EQ(e.message,
            "resolution \"1080p\" is not allowed for vidu2.0 img2video at 8 s; allowed: 720p "
            "(default 720p)");
  json fine = minimal(Endpoint::img2video, "vidu2.0");
  fine["resolution"] = "1080p";
  ok(Endpoint::img2video, fine);
}

TEST(ViduDefaults, ExtendAndMultiframe) {
  json e = minimal(Endpoint::extend, "viduq2-pro");
  Resolved r = ok(Endpoint::extend, e);
  EXPECT_EQ(e["duration"], 5);
  EXPECT_EQ(e["resolution"], "720p");
  EXPECT_FALSE(e.contains("watermark"));  // Q6: only when the user sets it
  EXPECT_FALSE(e.contains("off_peak"));
  EXPECT_EQ(r.credits, 70);  // 30 + 10·4

  json m = minimal(Endpoint::multiframe, "viduq2-pro");
  m["image_settings"].push_back({{"key_image", kUrl}, {"duration", 3}});
  Resolved mr = ok(Endpoint::multiframe, m);
  EXPECT_EQ(m["image_settings"][0]["duration"], 5);
  EXPECT_EQ(m["image_settings"][1]["duration"], 5);
  EXPECT_EQ(mr.duration, 13);
  EXPECT_EQ(mr.segments, 3);
  EXPECT_EQ(mr.credits, 3 * 30 + 13 * 10);
}

TEST(ViduDefaults, EveryModelAcceptsAMinimalBody) {
  for (Dialect d : {Dialect::vidu, Dialect::vtrix}) {
    for (Endpoint e : kAllEndpoints) {
      for (const auto& model : models_for(e, d)) {
        for (bool subjects : {false, true}) {
          if (subjects && e != Endpoint::reference2video) continue;
          if (e == Endpoint::reference2video && model == (subjects ? "viduq3-mix" : "viduq3-turbo"))
            continue;
          SCOPED_TRACE(std::string(endpoint_path(e)) + " " + model + " " + dialect_name(d));
          json b = minimal(e, model, subjects);
          Resolved r = ok(e, b, d);
          EXPECT_GT(r.credits, 0);
          EXPECT_TRUE(b.contains("resolution"));
          if (e == Endpoint::text2video || e == Endpoint::reference2video) {
            EXPECT_TRUE(output_size(r.resolution, r.aspect_ratio).has_value());
            EXPECT_GT(r.width, 0);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- required

TEST(ViduRequired, ModelMissingOrUnknown) {
  expect_error(Endpoint::text2video, {{"prompt", "x"}}, "model", "FieldLacking");
  FieldError e = only_error(Endpoint::text2video, {{"model", "viduq2-turbo"}, {"prompt", "x"}});
  EXPECT_EQ(e.reason, "ModelUnavailable");
  EXPECT_EQ(e.field, "model");
  EXPECT_NE(e.message.find("viduq3-pro, viduq3-turbo, viduq2, viduq1"), std::string::npos)
      << e.message;
  expect_error(Endpoint::extend, {{"model", "viduq2"}, {"video_creation_id", "1"}}, "model",
               "ModelUnavailable");
}

TEST(ViduRequired, Prompt) {
  expect_error(Endpoint::text2video, {{"model", "viduq2"}}, "prompt", "FieldLacking");
  expect_error(Endpoint::text2video, {{"model", "viduq2"}, {"prompt", ""}}, "prompt",
               "FieldLacking");
  expect_error(Endpoint::reference2video, {{"model", "viduq2"}, {"images", {kUrl}}}, "prompt",
               "FieldLacking");
  json b = minimal(Endpoint::img2video, "viduq2-pro");  // optional on img2video
  ok(Endpoint::img2video, b);
}

TEST(ViduRequired, Images) {
  expect_error(Endpoint::img2video, {{"model", "viduq2-pro"}}, "images", "FieldLacking");
  expect_error(Endpoint::start_end2video, {{"model", "viduq2-pro"}}, "images", "FieldLacking");
  expect_error(Endpoint::reference2video, {{"model", "viduq2"}, {"prompt", "x"}}, "images",
               "FieldLacking");
  expect_error(Endpoint::multiframe,
               {{"model", "viduq2-pro"},
                {"image_settings", minimal(Endpoint::multiframe, "viduq2-pro")["image_settings"]}},
               "start_image", "FieldLacking");
  expect_error(Endpoint::multiframe, {{"model", "viduq2-pro"}, {"start_image", kUrl}},
               "image_settings", "FieldLacking");
}

// --------------------------------------------------------------- types

TEST(ViduTypes, WrongTypesAreFieldInvalid) {
  auto with = [](const char* k, json v) {
    json b = minimal(Endpoint::text2video, "viduq2");
    b[k] = std::move(v);
    return b;
  };
  expect_error(Endpoint::text2video, with("duration", "5"), "duration", "FieldInvalid");
  expect_error(Endpoint::text2video, with("duration", 5.5), "duration", "FieldInvalid");
  expect_error(Endpoint::text2video, with("bgm", "yes"), "bgm", "FieldInvalid");
  expect_error(Endpoint::text2video, with("seed", "7"), "seed", "FieldInvalid");  // Q23: integers
  expect_error(Endpoint::text2video, with("prompt", 3), "prompt", "FieldInvalid");
  expect_error(Endpoint::img2video, {{"model", "viduq2-pro"}, {"images", kUrl}}, "images",
               "FieldInvalid");
  expect_error(Endpoint::img2video, {{"model", "viduq2-pro"}, {"images", {42}}}, "images[0]",
               "FieldInvalid");
}

TEST(ViduTypes, UnknownAndInapplicableFieldsAreUnwanted) {
  json b = minimal(Endpoint::text2video, "viduq2");
  b["durtion"] = 5;
  expect_error(Endpoint::text2video, b, "durtion", "FieldUnwanted");
  json i = minimal(Endpoint::img2video, "viduq2-pro");
  i["aspect_ratio"] = "16:9";  // the image decides (§4)
  expect_error(Endpoint::img2video, i, "aspect_ratio", "FieldUnwanted");
  json t = minimal(Endpoint::text2video, "viduq2");
  t["is_rec"] = true;  // img2video & start-end only (§1.3)
  expect_error(Endpoint::text2video, t, "is_rec", "FieldUnwanted");
  json m = minimal(Endpoint::multiframe, "viduq2-turbo");
  m["aspect_ratio"] = "16:9";  // Q11
  expect_error(Endpoint::multiframe, m, "aspect_ratio", "FieldUnwanted");
  json x = minimal(Endpoint::extend, "viduq2-pro");
  x["off_peak"] = false;  // not an extend field (§7)
  expect_error(Endpoint::extend, x, "off_peak", "FieldUnwanted");
}

TEST(ViduTypes, BodyMustBeAnObject) {
  json b = json::array();
  Validation v = run(Endpoint::text2video, b);
  ASSERT_EQ(v.errors.size(), 1U);
  EXPECT_EQ(v.errors[0].reason, "BadRequest");
}

// ------------------------------------------------------- allowed values

TEST(ViduValues, DurationMessage) {
  json b = minimal(Endpoint::text2video, "viduq2");
  b["duration"] = 12;
  FieldError e = only_error(Endpoint::text2video, b);
  EXPECT_EQ(e.reason, "FieldInvalid");
  EXPECT_EQ(e.field, "duration");
  EXPECT_EQ(e.message,
            "duration 12 is not allowed for viduq2 text2video; allowed: 1\u201310 (default 5)");
}

TEST(ViduValues, DurationsPerModel) {
  auto dur = [](Endpoint e, const char* model, int d) {
    json b = minimal(e, model);
    b["duration"] = d;
    return run(e, b).errors.empty();
  };
  EXPECT_TRUE(dur(Endpoint::text2video, "viduq3-pro", 16));
  EXPECT_FALSE(dur(Endpoint::text2video, "viduq3-pro", 17));
  EXPECT_TRUE(dur(Endpoint::text2video, "viduq1", 5));
  EXPECT_FALSE(dur(Endpoint::text2video, "viduq1", 4));
  EXPECT_TRUE(dur(Endpoint::img2video, "viduq2-turbo", 10));
  EXPECT_TRUE(dur(Endpoint::start_end2video, "viduq2-pro", 8));
  EXPECT_FALSE(dur(Endpoint::start_end2video, "viduq2-pro", 9));
  EXPECT_FALSE(dur(Endpoint::img2video, "vidu2.0", 5));
  EXPECT_TRUE(dur(Endpoint::reference2video, "viduq2-pro", 0));  // 0 = auto
  EXPECT_FALSE(dur(Endpoint::reference2video, "viduq2", 0));
  EXPECT_FALSE(dur(Endpoint::reference2video, "viduq3", 2));
  EXPECT_FALSE(dur(Endpoint::reference2video, "vidu2.0", 8));
  EXPECT_TRUE(dur(Endpoint::extend, "viduq2-turbo", 7));
  EXPECT_FALSE(dur(Endpoint::extend, "viduq2-turbo", 8));
  EXPECT_FALSE(dur(Endpoint::extend, "viduq2-turbo", 0));
}

TEST(ViduValues, Resolutions) {
  auto res = [](Endpoint e, const char* model, const char* r) {
    json b = minimal(e, model);
    b["resolution"] = r;
    return run(e, b).errors.empty();
  };
  EXPECT_FALSE(res(Endpoint::img2video, "viduq2-pro-fast", "540p"));
  EXPECT_TRUE(res(Endpoint::img2video, "viduq2-pro", "540p"));
  EXPECT_FALSE(res(Endpoint::text2video, "viduq1", "720p"));
  EXPECT_FALSE(res(Endpoint::reference2video, "viduq3-mix", "540p"));
  EXPECT_FALSE(res(Endpoint::reference2video, "vidu2.0", "1080p"));
  EXPECT_FALSE(res(Endpoint::text2video, "viduq2", "2K"));  // Q8: experimental, not accepted
  json b = minimal(Endpoint::text2video, "viduq2");
  b["resolution"] = "4k";
  FieldError e = only_error(Endpoint::text2video, b);
  EXPECT_EQ(e.message,
            "resolution \"4k\" is not allowed for viduq2 text2video; allowed: 540p, 720p, 1080p "
            "(default 720p)");
}

TEST(ViduValues, AspectRatios) {
  auto ar = [](Endpoint e, const char* model, const char* r) {
    json b = minimal(e, model);
    b["aspect_ratio"] = r;
    return run(e, b).errors.empty();
  };
  EXPECT_TRUE(ar(Endpoint::text2video, "viduq2", "3:4"));
  EXPECT_FALSE(ar(Endpoint::text2video, "viduq1", "3:4"));  // 3:4 / 4:3 only q2/q3
  EXPECT_TRUE(ar(Endpoint::text2video, "viduq1", "1:1"));
  EXPECT_FALSE(ar(Endpoint::text2video, "viduq2", "auto"));
  EXPECT_TRUE(ar(Endpoint::reference2video, "viduq2", "auto"));  // CN: q2/q3 any ratio or auto
  EXPECT_TRUE(ar(Endpoint::reference2video, "viduq3", "21:9"));
  EXPECT_FALSE(ar(Endpoint::reference2video, "viduq3", "5:1"));
  EXPECT_FALSE(ar(Endpoint::reference2video, "vidu2.0", "4:3"));
  json b = minimal(Endpoint::text2video, "viduq1");
  b["aspect_ratio"] = "4:3";
  EXPECT_EQ(only_error(Endpoint::text2video, b).field, "aspect_ratio");
}

TEST(ViduValues, Enums) {
  auto with = [](Endpoint e, const char* model, const char* k, json v) {
    json b = minimal(e, model);
    b[k] = std::move(v);
    return b;
  };
  expect_error(Endpoint::text2video, with(Endpoint::text2video, "viduq2", "style", "cartoon"),
               "style", "FieldInvalid");
  expect_error(Endpoint::text2video,
               with(Endpoint::text2video, "viduq2", "movement_amplitude", "high"),
               "movement_amplitude", "FieldInvalid");
  expect_error(Endpoint::img2video, with(Endpoint::img2video, "viduq2-pro", "audio_type", "music"),
               "audio_type", "FieldInvalid");
  // §18 Q5: int 1-4 on t2v/i2v/r2v/start-end, string enum on extend/multiframe.
  expect_error(Endpoint::text2video, with(Endpoint::text2video, "viduq2", "wm_position", 5),
               "wm_position", "FieldInvalid");
  expect_error(Endpoint::text2video,
               with(Endpoint::text2video, "viduq2", "wm_position", "top_left"), "wm_position",
               "FieldInvalid");
  expect_error(Endpoint::extend, with(Endpoint::extend, "viduq2-pro", "wm_position", 3),
               "wm_position", "FieldInvalid");
  expect_error(Endpoint::extend, with(Endpoint::extend, "viduq2-pro", "wm_position", "middle"),
               "wm_position", "FieldInvalid");
  json good = with(Endpoint::multiframe, "viduq2-pro", "wm_position", "top_right");
  good["watermark"] = true;
  ok(Endpoint::multiframe, good);
  json good2 = with(Endpoint::img2video, "viduq2-pro", "wm_position", 1);
  ok(Endpoint::img2video, good2);
}

TEST(ViduValues, SharedOptionalFields) {
  auto with = [](const char* k, json v) {
    json b = minimal(Endpoint::text2video, "viduq2");
    b[k] = std::move(v);
    return b;
  };
  expect_error(Endpoint::text2video, with("seed", -1), "seed", "FieldInvalid");
  expect_error(Endpoint::text2video, with("seed", 2147483648LL), "seed", "FieldInvalid");
  json seeded = with("seed", 7);
  ok(Endpoint::text2video, seeded);
  EXPECT_EQ(seeded["seed"], 7);
  expect_error(Endpoint::text2video, with("payload", std::string(1'048'577, 'x')), "payload",
               "FieldInvalid");
  json big = with("payload", std::string(1'048'576, 'x'));
  ok(Endpoint::text2video, big);
  expect_error(Endpoint::text2video, with("callback_url", "example.com/cb"), "callback_url",
               "FieldInvalid");
  expect_error(Endpoint::text2video, with("wm_url", "ftp://x/y.png"), "wm_url", "FieldInvalid");
  expect_error(Endpoint::text2video, with("meta_data", "{not json"), "meta_data", "FieldInvalid");
  json meta = with("meta_data", R"({"Label":"reel"})");
  meta["callback_url"] = "https://hooks.example.com/vidu?x=1";
  ok(Endpoint::text2video, meta);
}

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

// ------------------------------------------------------------ prices (§14)

namespace {
int credits(Endpoint e, const std::string& model, json extra, Dialect d = Dialect::vidu) {
  json b = minimal(e, model);
  for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
  Resolved r = ok(e, b, d);
  return r.credits;
}
}  // namespace

TEST(ViduPrice, DocumentedExamples) {
  // Official reference table (credits/s).
  EXPECT_EQ(
      credits(Endpoint::reference2video, "viduq3-mix", {{"resolution", "1080p"}, {"duration", 8}}),
      240);
  EXPECT_EQ(
      credits(Endpoint::reference2video, "viduq3-mix", {{"resolution", "720p"}, {"duration", 4}}),
      100);
  EXPECT_EQ(
      credits(Endpoint::reference2video, "viduq3", {{"resolution", "540p"}, {"duration", 10}}),
      100);
  EXPECT_EQ(credits(Endpoint::reference2video, "viduq3", {{"resolution", "720p"}, {"duration", 5}}),
            100);
  EXPECT_EQ(
      credits(Endpoint::reference2video, "viduq3", {{"resolution", "1080p"}, {"duration", 4}}),
      100);
  // q3-pro t2v: 1080p 32/s, 720p 30/s, 540p 14/s; off-peak 16/15/7.
  EXPECT_EQ(credits(Endpoint::text2video, "viduq3-pro", {{"resolution", "1080p"}, {"duration", 5}}),
            160);
  EXPECT_EQ(credits(Endpoint::img2video, "viduq3-pro", {{"resolution", "540p"}, {"duration", 10}}),
            140);
  EXPECT_EQ(credits(Endpoint::text2video, "viduq3-pro",
                    {{"resolution", "540p"}, {"duration", 10}, {"off_peak", true}}),
            70);
  EXPECT_EQ(credits(Endpoint::start_end2video, "viduq3-pro",
                    {{"resolution", "1080p"}, {"duration", 2}, {"off_peak", true}}),
            32);
  // q3-turbo: 720p 0.06·d, 1080p 0.08·d.
  EXPECT_EQ(credits(Endpoint::text2video, "viduq3-turbo", {{"duration", 10}}), 120);
  EXPECT_EQ(
      credits(Endpoint::text2video, "viduq3-turbo", {{"resolution", "1080p"}, {"duration", 10}}),
      160);
  // q2 t2v: 1080p 0.10 + 0.05·(d−1).
  EXPECT_EQ(credits(Endpoint::text2video, "viduq2", {{"resolution", "1080p"}, {"duration", 10}}),
            110);
  // q2-pro i2v: 1080p 0.275 + 0.075·(d−1) → 55 + 15·4.
  EXPECT_EQ(credits(Endpoint::img2video, "viduq2-pro", {{"resolution", "1080p"}}), 115);
  EXPECT_EQ(credits(Endpoint::start_end2video, "viduq2-pro", {{"duration", 1}}), 15);
  // q2-turbo: 720p 0.04 (1 s), 0.05 (2 s), then +0.05/s.
  EXPECT_EQ(credits(Endpoint::img2video, "viduq2-turbo", {{"duration", 1}}), 8);
  EXPECT_EQ(credits(Endpoint::img2video, "viduq2-turbo", {{"duration", 2}}), 10);
  EXPECT_EQ(credits(Endpoint::img2video, "viduq2-turbo", {{"duration", 5}}), 40);
  EXPECT_EQ(credits(Endpoint::start_end2video, "viduq2-turbo",
                    {{"resolution", "1080p"}, {"duration", 3}}),
            55);
  // q2-pro-fast: 720p 0.04 + 0.01·(d−1); 1080p 0.08 + 0.02·(d−1).
  EXPECT_EQ(credits(Endpoint::img2video, "viduq2-pro-fast", {{"duration", 10}}), 26);
  EXPECT_EQ(credits(Endpoint::start_end2video, "viduq2-pro-fast", {{"resolution", "1080p"}}), 32);
  // extend: q2-turbo 1080p 0.20 + 0.05·(d−1).
  EXPECT_EQ(credits(Endpoint::extend, "viduq2-turbo", {{"resolution", "1080p"}, {"duration", 7}}),
            100);
  EXPECT_EQ(credits(Endpoint::extend, "viduq2-pro", {{"resolution", "1080p"}, {"duration", 1}}),
            60);
  // multiframe turbo 1080p: n·0.20 + T·0.05 → 2 segments of 5 s = 80 + 100.
  EXPECT_EQ(credits(Endpoint::multiframe, "viduq2-turbo", {{"resolution", "1080p"}}), 180);
  // q1: 80 credits per 5 s 1080p video.
  EXPECT_EQ(credits(Endpoint::text2video, "viduq1", json::object()), 80);
  EXPECT_EQ(credits(Endpoint::start_end2video, "viduq1-classic", json::object()), 80);
  // is_rec: +10.
  EXPECT_EQ(credits(Endpoint::img2video, "viduq2-pro", {{"is_rec", true}}), 65);
  // q2 reference 1080p: 0.375 + 0.05·(d−1).
  EXPECT_EQ(
      credits(Endpoint::reference2video, "viduq2", {{"resolution", "1080p"}, {"duration", 3}}), 95);
}

TEST(ViduPrice, DirectAndAutoDuration) {
  Resolved r;
  r.endpoint = Endpoint::reference2video;
  r.model = "viduq2-pro";
  r.resolution = "720p";
  r.duration = 0;  // auto: estimated as 5 s (Q7)
  EXPECT_EQ(price(r), 45);
  r.model = "nope";
  EXPECT_EQ(price(r), 0);
}

// ------------------------------------------------------ output sizes (§15)

TEST(ViduSize, Table) {
  struct Row {
    const char* res;
    const char* ar;
    int w, h;
  };
  const Row rows[] = {
      {"360p", "16:9", 640, 352},    {"360p", "9:16", 352, 640},    {"360p", "1:1", 480, 480},
      {"360p", "4:3", 544, 400},     {"360p", "3:4", 400, 544},     {"540p", "16:9", 960, 528},
      {"540p", "9:16", 528, 960},    {"540p", "1:1", 720, 720},     {"540p", "4:3", 816, 608},
      {"540p", "3:4", 608, 816},     {"720p", "16:9", 1280, 720},   {"720p", "9:16", 720, 1280},
      {"720p", "1:1", 960, 960},     {"720p", "4:3", 1104, 816},    {"720p", "3:4", 816, 1104},
      {"1080p", "16:9", 1920, 1080}, {"1080p", "9:16", 1080, 1920}, {"1080p", "1:1", 1440, 1440},
      {"1080p", "4:3", 1674, 1238},  {"1080p", "3:4", 1238, 1674},
  };
  for (const auto& r : rows) {
    auto s = output_size(r.res, r.ar);
    ASSERT_TRUE(s.has_value()) << r.res << " " << r.ar;
    EXPECT_EQ(s->first, r.w);
    EXPECT_EQ(s->second, r.h);
  }
  EXPECT_FALSE(output_size("720p", "").has_value());
  EXPECT_FALSE(output_size("2K", "16:9").has_value());
  EXPECT_FALSE(output_size("720p", "auto").has_value());
  json b = minimal(Endpoint::text2video, "viduq2");
  b["aspect_ratio"] = "9:16";
  b["resolution"] = "1080p";
  Resolved r = ok(Endpoint::text2video, b);
  EXPECT_EQ(r.width, 1080);
  EXPECT_EQ(r.height, 1920);
}

// ----------------------------------------------------------- Vtrix (§16.5)

TEST(ViduVtrix, EveryListedIdRoundTrips) {
  struct Id {
    const char* id;
    Endpoint e;
    const char* model;
  };
  const Id ids[] = {
      {"viduq3_pro_text2video", Endpoint::text2video, "viduq3-pro"},
      {"viduq3_turbo_text2video", Endpoint::text2video, "viduq3-turbo"},
      {"viduq3_pro_img2video", Endpoint::img2video, "viduq3-pro"},
      {"viduq3_turbo_img2video", Endpoint::img2video, "viduq3-turbo"},
      {"viduq3_pro_start_end2video", Endpoint::start_end2video, "viduq3-pro"},
      {"viduq3_turbo_start_end2video", Endpoint::start_end2video, "viduq3-turbo"},
      {"viduq3_i2v_reference", Endpoint::reference2video, "viduq3"},
      {"viduq2_text2video", Endpoint::text2video, "viduq2"},
      {"viduq2_pro_fast_text2video", Endpoint::text2video, "viduq2-pro-fast"},
      {"viduq2_pro_img2video", Endpoint::img2video, "viduq2-pro"},
      {"viduq2_turbo_img2video", Endpoint::img2video, "viduq2-turbo"},
      {"viduq2_pro_fast_img2video", Endpoint::img2video, "viduq2-pro-fast"},
      {"viduq2_pro_start_end2video", Endpoint::start_end2video, "viduq2-pro"},
      {"viduq2_turbo_start_end2video", Endpoint::start_end2video, "viduq2-turbo"},
      {"viduq2_pro_fast_start_end2video", Endpoint::start_end2video, "viduq2-pro-fast"},
      {"viduq2_reference2video", Endpoint::reference2video, "viduq2"},
      {"viduq2_pro_reference", Endpoint::reference2video, "viduq2-pro"},
      {"viduq2_pro_fast_reference2video", Endpoint::reference2video, "viduq2-pro-fast"},
      {"viduq2_pro_extend", Endpoint::extend, "viduq2-pro"},
      {"viduq2_turbo_extend", Endpoint::extend, "viduq2-turbo"},
      {"viduq1_text2video", Endpoint::text2video, "viduq1"},
      {"viduq1_img2video", Endpoint::img2video, "viduq1"},
      {"vidu20_img2video", Endpoint::img2video, "vidu2.0"},
      {"vidu-cn-multiframe-viduq2-turbo", Endpoint::multiframe, "viduq2-turbo"},
      {"vidu-cn-reference2video-vidu2.0", Endpoint::reference2video, "vidu2.0"},
  };
  for (const auto& i : ids) {
    SCOPED_TRACE(i.id);
    auto o = official_from_vtrix(i.id);
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->endpoint, i.e);
    EXPECT_EQ(o->model, i.model);
    EXPECT_EQ(vtrix_model(i.e, i.model), std::optional<std::string>(i.id));
  }
  // Second spellings of the same pairs: accepted, mapped to the canonical id.
  const Id aliases[] = {
      {"viduq2_turbo_start_end", Endpoint::start_end2video, "viduq2-turbo"},
      {"viduq2_i2v_reference", Endpoint::reference2video, "viduq2"},
      {"vidu_q1_i2v", Endpoint::img2video, "viduq1"},
      {"vidu_20_i2v", Endpoint::img2video, "vidu2.0"},
  };
  for (const auto& a : aliases) {
    SCOPED_TRACE(a.id);
    auto o = official_from_vtrix(a.id);
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->endpoint, a.e);
    EXPECT_EQ(o->model, a.model);
    auto back = vtrix_model(o->endpoint, o->model);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(official_from_vtrix(*back)->model, a.model);
  }
  // Not one of the six video endpoints (or no documented endpoint).
  for (const char* id : {"viduq2_reference2image", "vidu_q2", "vidu_15", "vidu_create_subjects",
                         "vidu_edit_subjects", "vidu_get_subjects", "vidu-cn-one-click/mv", "nope"})
    EXPECT_FALSE(official_from_vtrix(id).has_value()) << id;
  EXPECT_FALSE(vtrix_model(Endpoint::reference2video, "viduq3-mix").has_value());
  EXPECT_FALSE(vtrix_model(Endpoint::multiframe, "viduq2-pro").has_value());
}

TEST(ViduVtrix, ProFastText2videoIsVtrixOnly) {
  auto official = models_for(Endpoint::text2video, Dialect::vidu);
  auto vtrix = models_for(Endpoint::text2video, Dialect::vtrix);
  EXPECT_EQ(std::count(official.begin(), official.end(), "viduq2-pro-fast"), 0);
  EXPECT_EQ(std::count(vtrix.begin(), vtrix.end(), "viduq2-pro-fast"), 1);

  json b = {{"model", "viduq2-pro-fast"}, {"prompt", "a fast shot"}};
  FieldError e = only_error(Endpoint::text2video, b);
  EXPECT_EQ(e.reason, "ModelUnavailable");
  EXPECT_EQ(e.field, "model");
  EXPECT_NE(e.message.find("vtrix"), std::string::npos) << e.message;
  json plain = b;
  expect_error(Endpoint::text2video, plain, "model", "ModelUnavailable", Dialect::vidu);

  Resolved r = ok(Endpoint::text2video, b, Dialect::vtrix);
  EXPECT_EQ(b["duration"], 5);
  EXPECT_EQ(b["resolution"], "720p");
  EXPECT_EQ(b["aspect_ratio"], "16:9");
  EXPECT_EQ(r.dialect, Dialect::vtrix);
  EXPECT_EQ(r.credits, 16);  // 8 + 2·4
  // Seed 003: 1-8 s, 720p / 1080p, five ratios.
  json nine = {{"model", "viduq2-pro-fast"}, {"prompt", "x"}, {"duration", 9}};
  expect_error(Endpoint::text2video, nine, "duration", "FieldInvalid", Dialect::vtrix);
  json low = {{"model", "viduq2-pro-fast"}, {"prompt", "x"}, {"resolution", "540p"}};
  expect_error(Endpoint::text2video, low, "resolution", "FieldInvalid", Dialect::vtrix);
  json wide = {{"model", "viduq2-pro-fast"}, {"prompt", "x"}, {"aspect_ratio", "3:4"}};
  ok(Endpoint::text2video, wide, Dialect::vtrix);
}

TEST(ViduVtrix, OnlyWhatVtrixSells) {
  json classic = minimal(Endpoint::img2video, "viduq1-classic");
  ok(Endpoint::img2video, classic);
  expect_error(Endpoint::img2video, minimal(Endpoint::img2video, "viduq1-classic"), "model",
               "ModelUnavailable", Dialect::vtrix);
  expect_error(Endpoint::multiframe, minimal(Endpoint::multiframe, "viduq2-pro"), "model",
               "ModelUnavailable", Dialect::vtrix);
  json sounds = minimal(Endpoint::reference2video, "viduq2");
  sounds["sounds"] = {"data:audio/mp3;base64,AAAA"};
  json copy = sounds;
  ok(Endpoint::reference2video, copy);
  expect_error(Endpoint::reference2video, sounds, "sounds", "FieldUnwanted", Dialect::vtrix);
  for (Endpoint e : kAllEndpoints)
    for (const auto& m : models_for(e, Dialect::vtrix))
      EXPECT_TRUE(vtrix_model(e, m).has_value()) << m;
}

// ------------------------------------------------------------- model_caps

TEST(ViduCaps, DescribeRows) {
  EXPECT_FALSE(model_caps(Endpoint::text2video, "viduq2-pro-fast").has_value());
  auto fast = model_caps(Endpoint::text2video, "viduq2-pro-fast", Dialect::vtrix);
  ASSERT_TRUE(fast.has_value());
  EXPECT_FALSE(fast->official);
  EXPECT_EQ(fast->vtrix_id, "viduq2_pro_fast_text2video");
  EXPECT_EQ(fast->durations, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(fast->prompt_max, 2000);

  auto v20 = model_caps(Endpoint::img2video, "vidu2.0");
  ASSERT_TRUE(v20.has_value());
  EXPECT_EQ(v20->default_duration, 4);
  EXPECT_EQ(v20->durations, (std::vector<int>{4, 8}));
  ASSERT_EQ(v20->resolution_tiers.size(), 2U);
  EXPECT_EQ(v20->resolution_tiers[0].default_resolution, "360p");
  EXPECT_EQ(v20->resolution_tiers[1].resolutions, (std::vector<std::string>{"720p"}));
  EXPECT_TRUE(v20->aspect_ratios.empty());

  auto pro = model_caps(Endpoint::reference2video, "viduq2-pro");
  ASSERT_TRUE(pro.has_value());
  EXPECT_EQ(pro->durations.front(), 0);  // auto
  EXPECT_EQ(pro->max_videos, 2);
  EXPECT_TRUE(pro->any_aspect_ratio);
  EXPECT_TRUE(pro->subjects);
  auto mix = model_caps(Endpoint::reference2video, "viduq3-mix");
  ASSERT_TRUE(mix.has_value());
  EXPECT_FALSE(mix->subjects);
  EXPECT_FALSE(model_caps(Endpoint::reference2video, "viduq3-mix", Dialect::vtrix).has_value());
}

// Every allowed (duration, resolution, aspect ratio) of every row validates,
// is priced and, where the ratio is known, has an output size.
TEST(ViduCaps, EveryAllowedCombinationValidatesAndIsPriced) {
  int combos = 0;
  for (Dialect d : {Dialect::vidu, Dialect::vtrix}) {
    for (Endpoint e : kAllEndpoints) {
      for (const auto& model : models_for(e, d)) {
        auto caps = model_caps(e, model, d);
        ASSERT_TRUE(caps.has_value());
        std::vector<std::string> ratios = caps->aspect_ratios;
        if (ratios.empty()) ratios.push_back("");
        for (int dur : caps->durations) {
          for (const auto& tier : caps->resolution_tiers) {
            if (dur < tier.min_duration || dur > tier.max_duration) continue;
            for (const auto& res : tier.resolutions) {
              for (const auto& ar : ratios) {
                SCOPED_TRACE(std::string(endpoint_path(e)) + " " + model + " " +
                             std::to_string(dur) + " s " + res + " " + ar + " " + dialect_name(d));
                json b = minimal(e, model, !caps->plain_reference);
                b["resolution"] = res;
                if (e == Endpoint::multiframe)
                  for (auto& item : b["image_settings"]) item["duration"] = dur;
                else
                  b["duration"] = dur;
                if (!ar.empty()) b["aspect_ratio"] = ar;
                Resolved r = ok(e, b, d);
                EXPECT_GT(r.credits, 0);
                if (!ar.empty()) {
                  EXPECT_EQ(r.aspect_ratio, ar);
                  EXPECT_GT(r.width, 0);
                }
                ++combos;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(combos, 500);
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

// ------------------------------------------------------ Vtrix error codes

TEST(ViduVtrix, ErrorCodesOfTheExtendAndStartEndPages) {  // §16.4
  auto code = [](Endpoint e, json body) {
    Validation v = validate(e, body, Dialect::vtrix);
    EXPECT_EQ(v.errors.size(), 1U) << body.dump();
    return v.errors.empty() ? std::string() : vtrix_error_code(e, v.errors[0]).value_or("none");
  };
  json x = minimal(Endpoint::extend, "viduq2-pro");
  auto with = [&](const char* k, json v) {
    json b = x;
    b[k] = std::move(v);
    return b;
  };
  EXPECT_EQ(code(Endpoint::extend, {{"model", "viduq2-pro"}}), "008012001");
  EXPECT_EQ(code(Endpoint::extend, {{"model", "viduq2-pro"}, {"video_url", "clip.mp4"}}),
            "008012002");
  EXPECT_EQ(code(Endpoint::extend, with("video_url", kMp4)), "008012003");  // both given
  EXPECT_EQ(code(Endpoint::extend, with("prompt", std::string(2001, 'a'))), "008012004");
  EXPECT_EQ(code(Endpoint::extend, with("duration", 9)), "008012005");
  EXPECT_EQ(code(Endpoint::extend, with("resolution", "360p")), "008012006");
  EXPECT_EQ(code(Endpoint::extend, with("images", {kUrl, kUrl})), "008012007");
  EXPECT_EQ(code(Endpoint::extend, with("images", {"a.gif"})), "008012008");
  EXPECT_EQ(code(Endpoint::extend, with("payload", std::string(1'048'577, 'p'))), "008012010");
  EXPECT_EQ(code(Endpoint::extend, with("callback_url", "nope")), "008012011");
  EXPECT_EQ(code(Endpoint::start_end2video, {{"model", "viduq2-pro"}}), "002014001");
  EXPECT_EQ(code(Endpoint::text2video, {{"model", "viduq2"}}), "none");
}
