// The capability table (host/vidu/capabilities.hpp) against
// ../shared/reference/vidu-api.md: the Vtrix dialect, its model ids (§16.5),
// what it sells beyond Vidu and its error codes (§16.4).
#include "vidu_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

using nlohmann::json;
using namespace reel::vidu;
using namespace reel::vidu::test_support;

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
