// Parsing of the --faults grammar (see faults.hpp) and the rolls.
#include "host/sim/faults.hpp"

#include <map>
#include <sstream>
#include <stdexcept>

namespace reel::sim {

namespace {

double parse_number(const std::string& text, const std::string& item) {
  try {
    size_t used = 0;
    double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--faults: bad number in '" + item + "'");
}

}  // namespace

Faults::Faults(const std::string& spec) {
  std::map<std::string, Rate*> names = {
      {"429", &r429_},    {"quota", &quota_},     {"500", &r500_},          {"502", &r502_},
      {"503", &r503_},    {"drop", &drop_},       {"slow", &slow_},         {"fail", &fail_},
      {"empty", &empty_}, {"corrupt", &corrupt_}, {"truncate", &truncate_}, {"expire", &expire_}};
  r429_.arg = quota_.arg = 1;
  uint64_t seed = 1;
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("--faults: expected NAME=P in '" + item + "'");
    std::string name = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    if (name == "seed") {
      seed = static_cast<uint64_t>(parse_number(value, item));
      continue;
    }
    auto it = names.find(name);
    if (it == names.end()) throw std::invalid_argument("--faults: unknown fault '" + name + "'");
    size_t colon = value.find(':');
    it->second->p = parse_number(value.substr(0, colon), item);
    if (it->second->p < 0 || it->second->p > 1)
      throw std::invalid_argument("--faults: probability outside 0..1 in '" + item + "'");
    if (colon != std::string::npos) it->second->arg = parse_number(value.substr(colon + 1), item);
    any_ = any_ || it->second->p > 0;
  }
  rng_.seed(seed);
  expire_rng_.seed(seed ^ 0x9e3779b97f4a7c15ULL);
}

double Faults::roll() {
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0, 1)(rng_);
}

RequestFault Faults::for_request() {
  RequestFault fault;
  if (!any_) return fault;
  double x = roll();
  auto hit = [&](const Rate& rate) {
    if (x < rate.p) return true;
    x -= rate.p;
    return false;
  };
  if (hit(r429_)) {
    fault = {429, "TooManyRequests", static_cast<int>(r429_.arg), false, 0};
  } else if (hit(quota_)) {
    fault = {429, "QuotaExceeded", static_cast<int>(quota_.arg), false, 0};
  } else if (hit(r500_)) {
    fault = {500, "InternalServiceFailure", 0, false, 0};
  } else if (hit(r502_)) {
    fault = {502, "InternalServiceFailure", 0, false, 0};
  } else if (hit(r503_)) {
    fault = {503, "InternalServiceFailure", 1, false, 0};
  } else if (hit(drop_)) {
    fault.drop = true;
  }
  if (slow_.p > 0 && roll() < slow_.p) fault.delay_ms = static_cast<int>(slow_.arg);
  return fault;
}

TaskFault Faults::for_task() {
  TaskFault fault;
  if (!any_) return fault;
  static const char* const kErrors[] = {"InternalServiceFailure", "CreationPolicyViolation",
                                        "ModelUnavailable"};
  double x = roll();
  if (x < fail_.p) {
    fault.error = kErrors[static_cast<int>(roll() * 3) % 3];
  } else if (x < fail_.p + empty_.p) {
    fault.empty = true;
  } else if (x < fail_.p + empty_.p + corrupt_.p) {
    fault.corrupt = true;
  }
  return fault;
}

bool Faults::truncate_download() {
  return truncate_.p > 0 && roll() < truncate_.p;
}

bool Faults::expire_urls() {
  if (expire_.p <= 0) return false;
  std::lock_guard lock(mutex_);
  return std::uniform_real_distribution<double>(0, 1)(expire_rng_) < expire_.p;
}

}  // namespace reel::sim
