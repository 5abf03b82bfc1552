// The data behind capabilities.hpp: one row per (endpoint, model) with what
// that pair accepts, plus the price and output-size tables. Internal to
// host/vidu; everything else goes through capabilities.hpp. The rules that
// read these tables live in validate.cpp, validate_inputs.cpp and
// capabilities.cpp. Section numbers refer to ../shared/reference/vidu-api.md.
#pragma once

#include "host/vidu/capabilities.hpp"

#include <span>
#include <string>
#include <vector>

namespace reel::vidu::table {

// Model generation: decides the family-wide rules of §2.4 (audio, bgm,
// movement_amplitude, off_peak).
enum class Gen { q3, q2, q1, v20 };

// Allowed durations (§2.2): a range min..max, or the discrete list `only`.
struct Durations {
  int def = 5;
  int min = 0;
  int max = 0;
  std::vector<int> only;  // non-empty: exactly these values
};

// Resolutions for the durations dur_min..dur_max (vidu2.0 4 s vs 8 s, §2.3).
struct ResTier {
  int dur_min = 0;
  int dur_max = 99;
  std::string def;
  std::vector<std::string> allowed;
};

// aspect_ratio (§2.4): `none` = the inputs decide and the field is unwanted;
// `basic` = 16:9, 9:16, 1:1; `wide` = basic + 4:3, 3:4 (q2/q3); `any` = wide
// plus "auto" and any W:H between 1:4 and 4:1 (q2/q3 reference, newer CN docs).
enum class Aspect { none, basic, wide, any };

struct Count {
  int min = 0;
  int max = 0;
};

struct ModelRow {
  Endpoint endpoint;
  const char* model;
  Gen gen;
  bool official;         // listed by the official endpoint page (§2.1)
  const char* vtrix_id;  // canonical Vtrix id (§16.5); "" = Vtrix does not sell it
  Durations duration;
  std::vector<ResTier> resolution;
  Aspect aspect;
  int prompt_max;  // characters (§18 Q2)
  bool prompt_required;
  Count images;              // images[] without videos ({0,0} = field unwanted)
  Count images_with_videos;  // reference q2-pro: 1-4 when videos are given
  Count videos;              // reference videos ({0,0} = unwanted)
  bool plain = true;         // reference: accepts the non-subject flavour (6A)
  bool subjects = false;     // reference: accepts the subject flavour (6B)
};

std::span<const ModelRow> model_rows();

// Vtrix ids that name an existing row under a second spelling (§16.5 lists
// both); official_from_vtrix accepts them, vtrix_model returns the canonical.
struct VtrixAlias {
  const char* alias;
  const char* canonical;
};
std::span<const VtrixAlias> vtrix_aliases();

// Vtrix ids of §16.5 that are not one of the six video endpoints (image
// generation, subject library, one-click MV, legacy ids with no documented
// endpoint). official_from_vtrix returns nothing for them.
std::span<const char* const> vtrix_unmapped_ids();

// Price rule (§14), in credits: for d seconds,
//   d <= 1: first;  d >= 2: (at2 ? at2 + per_s*(d-2) : first + per_s*(d-1));
// per_segment > 0 marks a multiframe rule: n*per_segment + per_s*T;
// flat > 0: that many credits whatever the duration.
struct PriceRule {
  unsigned endpoints;  // bit mask of 1u << Endpoint
  const char* model;
  const char* resolution;
  bool off_peak;
  int first = 0;
  int per_s = 0;
  int at2 = 0;
  int per_segment = 0;
  int flat = 0;
};
std::span<const PriceRule> price_rules();

struct SizeRow {
  const char* resolution;
  const char* aspect_ratio;
  int width;
  int height;
};
std::span<const SizeRow> size_rows();

// §16.4: a Vtrix page's error code for a field (an exact name, or an array
// prefix such as "images" matching "images[0]") and a §13 reason ("" = any).
// First match wins.
struct VtrixErrorRow {
  Endpoint endpoint;
  const char* field;
  const char* reason;
  const char* code;
};
std::span<const VtrixErrorRow> vtrix_error_rows();

constexpr unsigned bit(Endpoint e) {
  return 1u << static_cast<unsigned>(e);
}

}  // namespace reel::vidu::table
