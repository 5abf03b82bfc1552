// The capability table (host/vidu/capabilities.hpp) against
// ../shared/reference/vidu-api.md: prices (§14), output sizes (§15) and the
// model_caps rows, every allowed combination of which validates and is priced.
#include "vidu_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

using nlohmann::json;
using namespace reel::vidu;
using namespace reel::vidu::test_support;

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
