#include "host/vidu/poll_plan.hpp"

#include <algorithm>

namespace reel::vidu {

namespace {

// Unscaled bounds, in seconds of the real service: q2 shots take tens of
// seconds to minutes (vidu-api.md §11.7), so never poll faster than once a
// second, and look at least every 30 s (60 s deep in the queue).
constexpr double kFloor = 1;
constexpr double kFirst = 2;
constexpr double kRunCeiling = 30;
constexpr double kQueueCeiling = 60;
// Before anything has finished: 8 s of work per second of video (a guess on
// the slow side for 720p q2 shots).
constexpr double kPerSecond = 8;

}  // namespace

PollPlan::PollPlan(double time_scale)
    : scale_(std::max(time_scale, 1e-3)), per_second_(kPerSecond / scale_) {}

double PollPlan::first_delay() const {
  return kFirst / scale_;
}

double PollPlan::expected_run(double video_seconds) const {
  return per_second_ * std::max(video_seconds, 1.0);
}

double PollPlan::expected_queue(int ahead) const {
  // Tasks leave the queue `concurrency_` at a time, one run apart.
  return expected_run(5) * (static_cast<double>(ahead) / concurrency_);
}

double PollPlan::delay(const PollFacts& f) const {
  const double floor = kFloor / scale_;
  if (f.processing) {
    const double left = expected_run(f.video_seconds) - f.since;
    // Half-way to the expected end, then back off slowly once overdue.
    const double wanted = left > 0 ? left * 0.5 : 0.25 * -left;
    return std::clamp(wanted, floor, kRunCeiling / scale_);
  }
  // Waiting: look again shortly before it is expected to start, and at
  // least every so often in case the queue moves faster than thought.
  const double wanted = 0.8 * expected_queue(f.ahead) + 0.25 * f.since;
  return std::clamp(wanted, floor, kQueueCeiling / scale_);
}

void PollPlan::observe_run(double seconds, double video_seconds) {
  const double per_second = seconds / std::max(video_seconds, 1.0);
  if (per_second <= 0) return;
  // The first real figure replaces the guess; later ones move it halfway.
  per_second_ = learnt_ ? 0.5 * per_second_ + 0.5 * per_second : per_second;
  learnt_ = true;
}

void PollPlan::observe_running(int count) {
  concurrency_ = std::max(concurrency_, count);
}

}  // namespace reel::vidu
