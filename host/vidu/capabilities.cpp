// Endpoint names, the models and capabilities per endpoint, prices, output
// sizes and the Vtrix id mapping, all read from the tables in models.cpp.
// Request validation is in validate.cpp and validate_inputs.cpp. Section
// numbers (§) and open questions (Q) refer to ../shared/reference/vidu-api.md.
#include "host/vidu/capabilities.hpp"

#include "host/vidu/fields.hpp"
#include "host/vidu/models.hpp"

#include <algorithm>
#include <string_view>

namespace reel::vidu {

using detail::accepts;
using detail::Names;
using detail::spec_of;
using table::Aspect;

// ---------------------------------------------------------------- public

const char* endpoint_path(Endpoint e) {
  return spec_of(e).path;
}

std::optional<Endpoint> endpoint_from_path(const std::string& path) {
  for (const auto& s : detail::endpoint_specs())
    if (path == s.path) return s.endpoint;
  return std::nullopt;
}

const char* dialect_name(Dialect d) {
  return d == Dialect::vidu ? "vidu" : "vtrix";
}

std::vector<std::string> models_for(Endpoint endpoint, Dialect dialect) {
  std::vector<std::string> out;
  for (const auto& r : table::model_rows())
    if (r.endpoint == endpoint && (dialect == Dialect::vidu ? r.official : r.vtrix_id[0] != '\0'))
      out.emplace_back(r.model);
  return out;
}

std::optional<ModelCaps> model_caps(Endpoint endpoint, const std::string& model, Dialect dialect) {
  for (const auto& r : table::model_rows()) {
    if (r.endpoint != endpoint || model != r.model) continue;
    if (!(dialect == Dialect::vidu ? r.official : r.vtrix_id[0] != '\0')) return std::nullopt;
    ModelCaps c;
    c.endpoint = endpoint;
    c.model = r.model;
    c.official = r.official;
    c.vtrix_id = r.vtrix_id;
    c.default_duration = r.duration.def;
    if (!r.duration.only.empty())
      c.durations = r.duration.only;
    else
      for (int d = r.duration.min; d <= r.duration.max; ++d) c.durations.push_back(d);
    for (const auto& t : r.resolution)
      c.resolution_tiers.push_back({std::max(t.dur_min, r.duration.min),
                                    std::min(t.dur_max, r.duration.max), t.def, t.allowed});
    if (accepts(spec_of(endpoint), "aspect_ratio") && r.aspect != Aspect::none) {
      Names list =
          r.aspect == Aspect::basic ? Names(detail::kBasicRatios) : Names(detail::kWideRatios);
      c.aspect_ratios.assign(list.begin(), list.end());
      c.any_aspect_ratio = r.aspect == Aspect::any;
    }
    c.prompt_max = r.prompt_max;
    c.prompt_required = r.prompt_required;
    c.min_images = r.images.min;
    c.max_images = r.images.max;
    c.max_videos = r.videos.max;
    c.plain_reference = endpoint == Endpoint::reference2video && r.plain;
    c.subjects = endpoint == Endpoint::reference2video && r.subjects;
    return c;
  }
  return std::nullopt;
}

int price(const Resolved& request) {
  // §18 Q7: how a q2-pro reference "0 = auto" length is charged is unknown;
  // estimate it as the 5 s default.
  int d = request.duration;
  if (d == 0 && request.endpoint == Endpoint::reference2video) d = 5;
  const table::PriceRule* found = nullptr;
  auto find = [&](const std::string& res, bool off_peak) {
    for (const auto& p : table::price_rules())
      if ((p.endpoints & table::bit(request.endpoint)) != 0U && request.model == p.model &&
          (res.empty() || res == p.resolution) && p.off_peak == off_peak)
        return &p;
    return static_cast<const table::PriceRule*>(nullptr);
  };
  // Exact tier, then without the off-peak discount (documented for q3-pro
  // only), then the 720p rule for tiers no source prices, then any tier.
  for (const auto& [res, op] : {std::pair<std::string, bool>{request.resolution, request.off_peak},
                                {request.resolution, false},
                                {"720p", false},
                                {"", false}}) {
    if ((found = find(res, op)) != nullptr) break;
  }
  if (found == nullptr) return 0;
  int credits = 0;
  if (found->flat > 0) {
    credits = found->flat;
  } else if (found->per_segment > 0) {
    credits = request.segments * found->per_segment + found->per_s * d;
  } else if (d <= 1) {
    credits = found->first;
  } else {
    credits = found->at2 > 0 ? found->at2 + found->per_s * (d - 2)
                             : found->first + found->per_s * (d - 1);
  }
  // §14: q2 reference "+0.075 if audio" (15 credits); is_rec +10 credits.
  if (request.endpoint == Endpoint::reference2video && request.audio &&
      (request.model == "viduq2" || request.model == "viduq2-pro"))
    credits += 15;
  if (request.is_rec) credits += 10;
  return credits;
}

std::optional<std::pair<int, int>> output_size(const std::string& resolution,
                                               const std::string& aspect_ratio) {
  for (const auto& s : table::size_rows())
    if (resolution == s.resolution && aspect_ratio == s.aspect_ratio)
      return std::pair{s.width, s.height};
  return std::nullopt;
}

std::optional<std::string> vtrix_error_code(Endpoint endpoint, const FieldError& error) {
  for (const auto& row : table::vtrix_error_rows()) {
    if (row.endpoint != endpoint) continue;
    std::string_view field = error.field, want = row.field;
    bool field_ok =
        field == want || (field.size() > want.size() && field.substr(0, want.size()) == want &&
                          field[want.size()] == '[');
    if (field_ok && (row.reason[0] == '\0' || error.reason == row.reason))
      return std::string(row.code);
  }
  return std::nullopt;
}

std::optional<std::string> vtrix_model(Endpoint endpoint, const std::string& model) {
  for (const auto& r : table::model_rows())
    if (r.endpoint == endpoint && model == r.model && r.vtrix_id[0] != '\0')
      return std::string(r.vtrix_id);
  return std::nullopt;
}

std::optional<OfficialModel> official_from_vtrix(const std::string& vtrix_id) {
  std::string id = vtrix_id;
  for (const auto& a : table::vtrix_aliases())
    if (id == a.alias) id = a.canonical;
  for (const auto& r : table::model_rows())
    if (r.vtrix_id[0] != '\0' && id == r.vtrix_id) return OfficialModel{r.endpoint, r.model};
  return std::nullopt;
}

}  // namespace reel::vidu
