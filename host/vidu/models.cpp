// The capability, price and size tables (see models.hpp). Every number here
// comes from ../shared/reference/vidu-api.md; the section is cited per block
// and per row where the sources disagree.
#include "host/vidu/models.hpp"

#include <array>

namespace reel::vidu::table {
namespace {

using E = Endpoint;

// clang-format off

// One row per (endpoint, model). Built on first use (model_rows()), so other
// translation units may read the table during their static initialisation.
std::vector<ModelRow> build_rows() {
  // §2.3 resolution tiers, default first in the comment.
  const std::vector<ResTier> kResQ = {{0, 99, "720p", {"540p", "720p", "1080p"}}};  // q3, q2, q2-pro, q2-turbo
  const std::vector<ResTier> kResQ3Mix = {{0, 99, "720p", {"720p", "1080p"}}};
  const std::vector<ResTier> kResFast = {{0, 99, "720p", {"720p", "1080p"}}};  // q2-pro-fast: no 540p
  const std::vector<ResTier> kResQ1 = {{0, 99, "1080p", {"1080p"}}};
  // vidu2.0: 4 s -> 360p default, 360p/720p/1080p; 8 s -> 720p only (§2.3).
  const std::vector<ResTier> kResV20 = {{0, 4, "360p", {"360p", "720p", "1080p"}},
                                        {5, 99, "720p", {"720p"}}};
  const std::vector<ResTier> kResV20Ref = {{0, 99, "360p", {"360p", "720p"}}};  // §6A

  // §18 Q2: prompt limits per model: 5000 for q3, 2000 for q2 / extend /
  // multiframe segments; q1 / vidu2.0 get 2000 with a warning above 1500 (the
  // warning is applied in validate.cpp). Exception: Vtrix's
  // viduq2_pro_reference page (seed 002) states 5000 for q2-pro reference.
  constexpr int kP3 = 5000;
  constexpr int kP2 = 2000;

  const Durations kD_q3{5, 1, 16, {}};
  const Durations kD_q3_ref{5, 3, 16, {}};  // viduq3 reference, q3-turbo subjects (derived)
  const Durations kD_q2_10{5, 1, 10, {}};
  const Durations kD_q2_8{5, 1, 8, {}};     // start-end q2 family; Vtrix q2-pro-fast text2video (seed 003)
  const Durations kD_q2pro_ref{5, 0, 10, {}};  // 0 = auto length (§6A, seed 002, Q7)
  const Durations kD_q1{5, 5, 5, {5}};
  const Durations kD_v20{4, 4, 8, {4, 8}};
  const Durations kD_v20_ref{4, 4, 4, {4}};
  const Durations kD_extend{5, 1, 7, {}};   // seconds added (§7)
  const Durations kD_segment{5, 2, 7, {}};  // per image_settings item (§8)

  const Count kNone{0, 0};
  const Count kOne{1, 1};
  const Count kTwo{2, 2};
  const Count kRef{1, 7};

  // endpoint, model, gen, official, vtrix id, durations, resolutions, aspect, prompt max,
  // prompt required, images, images with videos, videos, plain (6A), subjects (6B)
  return std::vector<ModelRow>{
    // §3 text2video (§2.1: viduq3-turbo, viduq3-pro, viduq2, viduq1; vidu1.5 only in an old snapshot)
    {E::text2video, "viduq3-pro", Gen::q3, true, "viduq3_pro_text2video", kD_q3, kResQ, Aspect::wide, kP3, true, kNone, kNone, kNone},
    {E::text2video, "viduq3-turbo", Gen::q3, true, "viduq3_turbo_text2video", kD_q3, kResQ, Aspect::wide, kP3, true, kNone, kNone, kNone},
    {E::text2video, "viduq2", Gen::q2, true, "viduq2_text2video", kD_q2_10, kResQ, Aspect::wide, kP2, true, kNone, kNone, kNone},
    // Vtrix only (DESIGN.md, seed 003): 1-8 s, 720p/1080p, five ratios, prompt 2000.
    {E::text2video, "viduq2-pro-fast", Gen::q2, false, "viduq2_pro_fast_text2video", kD_q2_8, kResFast, Aspect::wide, kP2, true, kNone, kNone, kNone},
    {E::text2video, "viduq1", Gen::q1, true, "viduq1_text2video", kD_q1, kResQ1, Aspect::basic, kP2, true, kNone, kNone, kNone},

    // §4 img2video: exactly 1 image, ratio from the image. viduq3-pro-fast
    // (relay only) and plain viduq2 (some CN copies) are left out (§2.1).
    {E::img2video, "viduq3-pro", Gen::q3, true, "viduq3_pro_img2video", kD_q3, kResQ, Aspect::none, kP3, false, kOne, kNone, kNone},
    {E::img2video, "viduq3-turbo", Gen::q3, true, "viduq3_turbo_img2video", kD_q3, kResQ, Aspect::none, kP3, false, kOne, kNone, kNone},
    {E::img2video, "viduq2-pro-fast", Gen::q2, true, "viduq2_pro_fast_img2video", kD_q2_10, kResFast, Aspect::none, kP2, false, kOne, kNone, kNone},
    {E::img2video, "viduq2-pro", Gen::q2, true, "viduq2_pro_img2video", kD_q2_10, kResQ, Aspect::none, kP2, false, kOne, kNone, kNone},
    {E::img2video, "viduq2-turbo", Gen::q2, true, "viduq2_turbo_img2video", kD_q2_10, kResQ, Aspect::none, kP2, false, kOne, kNone, kNone},
    {E::img2video, "viduq1", Gen::q1, true, "viduq1_img2video", kD_q1, kResQ1, Aspect::none, kP2, false, kOne, kNone, kNone},
    {E::img2video, "viduq1-classic", Gen::q1, true, "", kD_q1, kResQ1, Aspect::none, kP2, false, kOne, kNone, kNone},
    {E::img2video, "vidu2.0", Gen::v20, true, "vidu20_img2video", kD_v20, kResV20, Aspect::none, kP2, false, kOne, kNone, kNone},

    // §5 start-end2video: exactly 2 images [start, end]. q2 durations 1-8 (§2.2,
    // Q7: Comfy's 2-8 and Vtrix turbo's 4/8 are not used).
    {E::start_end2video, "viduq3-turbo", Gen::q3, true, "viduq3_turbo_start_end2video", kD_q3, kResQ, Aspect::none, kP3, false, kTwo, kNone, kNone},
    {E::start_end2video, "viduq3-pro", Gen::q3, true, "viduq3_pro_start_end2video", kD_q3, kResQ, Aspect::none, kP3, false, kTwo, kNone, kNone},
    {E::start_end2video, "viduq2-pro-fast", Gen::q2, true, "viduq2_pro_fast_start_end2video", kD_q2_8, kResFast, Aspect::none, kP2, false, kTwo, kNone, kNone},
    {E::start_end2video, "viduq2-pro", Gen::q2, true, "viduq2_pro_start_end2video", kD_q2_8, kResQ, Aspect::none, kP2, false, kTwo, kNone, kNone},
    {E::start_end2video, "viduq2-turbo", Gen::q2, true, "viduq2_turbo_start_end2video", kD_q2_8, kResQ, Aspect::none, kP2, false, kTwo, kNone, kNone},
    {E::start_end2video, "viduq1", Gen::q1, true, "", kD_q1, kResQ1, Aspect::none, kP2, false, kTwo, kNone, kNone},
    {E::start_end2video, "viduq1-classic", Gen::q1, true, "", kD_q1, kResQ1, Aspect::none, kP2, false, kTwo, kNone, kNone},
    {E::start_end2video, "vidu2.0", Gen::v20, true, "", kD_v20, kResV20, Aspect::none, kP2, false, kTwo, kNone, kNone},

    // §6 reference2video: 6A (images, q2-pro videos) and 6B (subjects).
    {E::reference2video, "viduq3-mix", Gen::q3, true, "", kD_q3, kResQ3Mix, Aspect::any, kP3, true, kRef, kNone, kNone, true, false},
    {E::reference2video, "viduq3", Gen::q3, true, "viduq3_i2v_reference", kD_q3_ref, kResQ, Aspect::any, kP3, true, kRef, kNone, kNone, true, true},
    // q3-turbo: subject calls only, per a 2026-04 derived doc (§2.1, §2.2).
    {E::reference2video, "viduq3-turbo", Gen::q3, true, "", kD_q3_ref, kResQ, Aspect::any, kP3, true, kNone, kNone, kNone, false, true},
    {E::reference2video, "viduq2-pro", Gen::q2, true, "viduq2_pro_reference", kD_q2pro_ref, kResQ, Aspect::any, kP3, true, kRef, {1, 4}, {1, 2}, true, true},
    {E::reference2video, "viduq2", Gen::q2, true, "viduq2_reference2video", kD_q2_10, kResQ, Aspect::any, kP2, true, kRef, kNone, kNone, true, true},
    // Vtrix only (§16.5); limits as relays document them: 1-10 s, 720p/1080p, prompt 2000.
    {E::reference2video, "viduq2-pro-fast", Gen::q2, false, "viduq2_pro_fast_reference2video", kD_q2_10, kResFast, Aspect::wide, kP2, true, kRef, kNone, kNone, true, true},
    {E::reference2video, "viduq1", Gen::q1, true, "", kD_q1, kResQ1, Aspect::basic, kP2, true, kRef, kNone, kNone, true, true},
    // Vtrix sells it as the domestic route "vidu-cn-reference2video-vidu2.0" (§16.5).
    {E::reference2video, "vidu2.0", Gen::v20, true, "vidu-cn-reference2video-vidu2.0", kD_v20_ref, kResV20Ref, Aspect::basic, kP2, true, kRef, kNone, kNone, true, true},

    // §7 extend: images 0-1 (target end frame), duration = seconds added.
    {E::extend, "viduq2-pro", Gen::q2, true, "viduq2_pro_extend", kD_extend, kResQ, Aspect::none, kP2, false, {0, 1}, kNone, kNone},
    {E::extend, "viduq2-turbo", Gen::q2, true, "viduq2_turbo_extend", kD_extend, kResQ, Aspect::none, kP2, false, {0, 1}, kNone, kNone},

    // §8 multiframe: durations and prompt limits are per image_settings item.
    // Vtrix only has the domestic turbo route, which documents images[] instead
    // of start_image/image_settings (Q12): the dialect adapter reshapes it.
    {E::multiframe, "viduq2-pro", Gen::q2, true, "", kD_segment, kResQ, Aspect::none, kP2, false, kNone, kNone, kNone},
    {E::multiframe, "viduq2-turbo", Gen::q2, true, "vidu-cn-multiframe-viduq2-turbo", kD_segment, kResQ, Aspect::none, kP2, false, kNone, kNone, kNone},
  };
}

constexpr std::array<VtrixAlias, 4> kAliases = {{
  {"viduq2_turbo_start_end", "viduq2_turbo_start_end2video"},
  {"viduq2_i2v_reference", "viduq2_reference2video"},
  {"vidu_q1_i2v", "viduq1_img2video"},
  {"vidu_20_i2v", "vidu20_img2video"},
}};

constexpr std::array<const char*, 7> kUnmapped = {
  "viduq2_reference2image",  // image generation (§9)
  "vidu_q2", "vidu_15",      // legacy ids; the pages do not say which endpoint
  "vidu_create_subjects", "vidu_edit_subjects", "vidu_get_subjects",  // subject library (§9)
  "vidu-cn-one-click/mv",    // one-click films (§9)
};

// §16.4 (seed 000: viduq2_pro_extend; seed 001: viduq2_pro_start_end2video).
constexpr std::array<VtrixErrorRow, 14> kVtrixErrors = {{
  {E::extend, "video_url", "FieldLacking", "008012001"},          // video parameter missing
  {E::extend, "video_creation_id", "FieldLacking", "008012001"},
  {E::extend, "video_url", "", "008012002"},                      // video URL invalid
  {E::extend, "video_creation_id", "", "008012003"},              // video creation id invalid
  {E::extend, "prompt", "", "008012004"},                         // prompt length invalid
  {E::extend, "duration", "", "008012005"},                       // duration invalid
  {E::extend, "resolution", "", "008012006"},                     // resolution invalid
  {E::extend, "images", "FieldItemCountOutOfRange", "008012007"}, // image count invalid
  {E::extend, "images", "PageSizeOutOfRange", "008012009"},       // image size invalid
  {E::extend, "images", "", "008012008"},                         // image format invalid
  {E::extend, "payload", "", "008012010"},                        // pass-through length invalid
  {E::extend, "callback_url", "", "008012011"},                   // callback URL invalid
  {E::start_end2video, "images", "FieldLacking", "002014001"},    // image is missing
  {E::start_end2video, "images", "FieldItemCountOutOfRange", "002014001"},
}};

// §14, in credits (1 credit = US$0.005). Sources: the official per-second
// table for q3 / q3-mix reference [V-R2V]; 302.ai's q3-pro table (also
// off-peak) [W-302Q3]; ComfyUI's USD badges divided by 0.005 for the rest
// [COMFY]. Per §18 Q19 the real charge is the `credits` of the creation
// response; these are estimates. Where no source gives a tier (540p of most
// q2 / q3-turbo rows) the 720p rule is used (see price()). Rows marked
// "no source" borrow the nearest documented family.
constexpr unsigned kTIS = bit(E::text2video) | bit(E::img2video) | bit(E::start_end2video);
constexpr unsigned kIS = bit(E::img2video) | bit(E::start_end2video);
constexpr unsigned kAll = 0x3f;
std::vector<PriceRule> build_prices() {
  return {
  // q3-pro t2v / i2v / start-end: 540p 14/s, 720p 30/s, 1080p 32/s; off-peak 7 / 15 / 16 per s.
  {kTIS, "viduq3-pro", "540p", false, 14, 14},
  {kTIS, "viduq3-pro", "720p", false, 30, 30},
  {kTIS, "viduq3-pro", "1080p", false, 32, 32},
  {kTIS, "viduq3-pro", "540p", true, 7, 7},
  {kTIS, "viduq3-pro", "720p", true, 15, 15},
  {kTIS, "viduq3-pro", "1080p", true, 16, 16},
  // q3-turbo: 720p 0.06·d, 1080p 0.08·d.
  {kTIS, "viduq3-turbo", "720p", false, 12, 12},
  {kTIS, "viduq3-turbo", "1080p", false, 16, 16},
  // Reference, official per-second table.
  {bit(E::reference2video), "viduq3-mix", "720p", false, 25, 25},
  {bit(E::reference2video), "viduq3-mix", "1080p", false, 30, 30},
  {bit(E::reference2video), "viduq3", "540p", false, 10, 10},
  {bit(E::reference2video), "viduq3", "720p", false, 20, 20},
  {bit(E::reference2video), "viduq3", "1080p", false, 25, 25},
  // no source: q3-turbo subjects priced as viduq3 reference.
  {bit(E::reference2video), "viduq3-turbo", "540p", false, 10, 10},
  {bit(E::reference2video), "viduq3-turbo", "720p", false, 20, 20},
  {bit(E::reference2video), "viduq3-turbo", "1080p", false, 25, 25},
  // q2 t2v: 720p 0.075 + 0.025·(d−1); 1080p 0.10 + 0.05·(d−1).
  {bit(E::text2video), "viduq2", "720p", false, 15, 5},
  {bit(E::text2video), "viduq2", "1080p", false, 20, 10},
  // q2-pro i2v / start-end: 720p 0.075 + 0.05·(d−1); 1080p 0.275 + 0.075·(d−1).
  {kIS, "viduq2-pro", "720p", false, 15, 10},
  {kIS, "viduq2-pro", "1080p", false, 55, 15},
  // q2-turbo i2v / start-end: 720p 0.04 (1 s), 0.05 (2 s), then +0.05/s; 1080p 0.175 + 0.05·(d−1).
  {kIS, "viduq2-turbo", "720p", false, 8, 10, 10},
  {kIS, "viduq2-turbo", "1080p", false, 35, 10},
  // q2-pro-fast i2v / start-end: 720p 0.04 + 0.01·(d−1); 1080p 0.08 + 0.02·(d−1).
  // Vtrix-only text2video / reference2video: no source, same formula.
  {kAll, "viduq2-pro-fast", "720p", false, 8, 2},
  {kAll, "viduq2-pro-fast", "1080p", false, 16, 4},
  // q2 reference (subjects): 720p 0.125 + 0.025·(d−1); 1080p 0.375 + 0.05·(d−1); +15 with audio.
  // no source for q2-pro reference: same formula.
  {bit(E::reference2video), "viduq2", "720p", false, 25, 5},
  {bit(E::reference2video), "viduq2", "1080p", false, 75, 10},
  {bit(E::reference2video), "viduq2-pro", "720p", false, 25, 5},
  {bit(E::reference2video), "viduq2-pro", "1080p", false, 75, 10},
  // extend: q2-pro 720p 0.15 + 0.05·(d−1), 1080p 0.30 + 0.075·(d−1);
  //         q2-turbo 720p 0.075 + 0.025·(d−1), 1080p 0.20 + 0.05·(d−1).
  {bit(E::extend), "viduq2-pro", "720p", false, 30, 10},
  {bit(E::extend), "viduq2-pro", "1080p", false, 60, 15},
  {bit(E::extend), "viduq2-turbo", "720p", false, 15, 5},
  {bit(E::extend), "viduq2-turbo", "1080p", false, 40, 10},
  // multiframe, n segments of total T s: pro n·(0.15 / 0.30) + T·(0.05 / 0.075);
  // turbo n·(0.075 / 0.20) + T·(0.025 / 0.05).
  {bit(E::multiframe), "viduq2-pro", "720p", false, 0, 10, 0, 30},
  {bit(E::multiframe), "viduq2-pro", "1080p", false, 0, 15, 0, 60},
  {bit(E::multiframe), "viduq2-turbo", "720p", false, 0, 5, 0, 15},
  {bit(E::multiframe), "viduq2-turbo", "1080p", false, 0, 10, 0, 40},
  // q1 (5 s, 1080p): 0.40 per video = 80 credits, every endpoint.
  {kAll, "viduq1", "1080p", false, 0, 0, 0, 0, 80},
  {kAll, "viduq1-classic", "1080p", false, 0, 0, 0, 0, 80},
  // no source for vidu2.0: priced as q2-turbo 720p (used for every tier).
  {kAll, "vidu2.0", "720p", false, 8, 10, 10},
  };
}

// §15 (Runware and DashScope agree).
constexpr std::array<SizeRow, 20> kSizes = {{
  {"360p", "16:9", 640, 352},   {"360p", "9:16", 352, 640},   {"360p", "1:1", 480, 480},
  {"360p", "4:3", 544, 400},    {"360p", "3:4", 400, 544},
  {"540p", "16:9", 960, 528},   {"540p", "9:16", 528, 960},   {"540p", "1:1", 720, 720},
  {"540p", "4:3", 816, 608},    {"540p", "3:4", 608, 816},
  {"720p", "16:9", 1280, 720},  {"720p", "9:16", 720, 1280},  {"720p", "1:1", 960, 960},
  {"720p", "4:3", 1104, 816},   {"720p", "3:4", 816, 1104},
  {"1080p", "16:9", 1920, 1080}, {"1080p", "9:16", 1080, 1920}, {"1080p", "1:1", 1440, 1440},
  {"1080p", "4:3", 1674, 1238}, {"1080p", "3:4", 1238, 1674},
}};
// clang-format on

}  // namespace

std::span<const ModelRow> model_rows() {
  static const std::vector<ModelRow> rows = build_rows();
  return rows;
}
std::span<const VtrixAlias> vtrix_aliases() {
  return kAliases;
}
std::span<const char* const> vtrix_unmapped_ids() {
  return kUnmapped;
}
std::span<const PriceRule> price_rules() {
  static const std::vector<PriceRule> rules = build_prices();
  return rules;
}
std::span<const SizeRow> size_rows() {
  return kSizes;
}
std::span<const VtrixErrorRow> vtrix_error_rows() {
  return kVtrixErrors;
}

}  // namespace reel::vidu::table
