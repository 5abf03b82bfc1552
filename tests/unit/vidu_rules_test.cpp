// The capability table (host/vidu/capabilities.hpp) against
// ../shared/reference/vidu-api.md: endpoint paths, filled defaults, required
// fields, types and allowed values; every rule gives its documented reason and
// status with a message naming the field.
#include "vidu_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

using nlohmann::json;
using namespace reel::vidu;
using namespace reel::vidu::test_support;

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
