// Shared helpers for the capability-table tests (vidu_rules_test.cpp,
// vidu_inputs_test.cpp, vidu_prices_test.cpp, vidu_dialects_test.cpp): small
// request bodies and checks of the errors validate() reports.
#pragma once

#include "host/vidu/capabilities.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace reel::vidu::test_support {

using nlohmann::json;

inline const std::string kPng = "data:image/png;base64,iVBORw0KGgo=";
inline const std::string kUrl = "https://example.com/a.png";
inline const std::string kMp4 = "https://example.com/clip.mp4";

inline Validation run(Endpoint e, json& body, Dialect d = Dialect::vidu) {
  return validate(e, body, d);
}

// The single error a body produces; checks status 400 and that the message
// names the field.
inline FieldError only_error(Endpoint e, json body, Dialect d = Dialect::vidu) {
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

inline void expect_error(Endpoint e, const json& body, const std::string& field,
                         const std::string& reason, Dialect d = Dialect::vidu) {
  SCOPED_TRACE(body.dump().substr(0, 200));
  FieldError err = only_error(e, body, d);
  EXPECT_EQ(err.field, field);
  EXPECT_EQ(err.reason, reason);
}

inline Resolved ok(Endpoint e, json& body, Dialect d = Dialect::vidu) {
  Validation v = run(e, body, d);
  for (const auto& err : v.errors) ADD_FAILURE() << err.reason << ": " << err.message;
  EXPECT_TRUE(v.resolved.has_value()) << body.dump();
  return v.resolved.value_or(Resolved{});
}

// The smallest valid body for an endpoint and model.
inline json minimal(Endpoint e, const std::string& model, bool subjects = false) {
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

inline constexpr Endpoint kAllEndpoints[] = {Endpoint::text2video,      Endpoint::img2video,
                                             Endpoint::start_end2video, Endpoint::reference2video,
                                             Endpoint::extend,          Endpoint::multiframe};

}  // namespace reel::vidu::test_support
