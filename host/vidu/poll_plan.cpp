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
// A parked task (deep in the queue) is still looked at every five minutes,
// in case the queue does not keep creation order after all.
constexpr double kParkDelay = 300;
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

double PollPlan::expected_queue(int ahead, double video_seconds) const {
  // Tasks leave the queue `concurrency_` at a time, one run apart.
  return expected_run(video_seconds) * (static_cast<double>(ahead) / concurrency_);
}

int PollPlan::park_depth() const {
  return std::max(10, concurrency_);
}

double PollPlan::park_delay() const {
  return kParkDelay / scale_;
}

double PollPlan::delay(const PollFacts& f) const {
  const double floor = kFloor / scale_;
  const double run = expected_run(f.video_seconds);
  if (f.processing) {
    // At the expected end; once overdue, back off from a tenth of a run.
    const double left = run - f.since;
    const double wanted = left > 0 ? left : 0.1 * run + 0.25 * -left;
    return std::clamp(wanted, floor, kRunCeiling / scale_);
  }
  // Waiting: shortly before it is expected to start, and at least every so
  // often in case the queue moves faster than thought.
  const double wanted = 0.8 * expected_queue(f.ahead, f.video_seconds) + 0.1 * run;
  return std::clamp(wanted, floor, kQueueCeiling / scale_);
}

double PollPlan::round_gap(int processing, double video_seconds) const {
  const double run = expected_run(video_seconds);
  const double gap = std::min(0.5 * run, 2 * run / std::max(1, processing));
  return std::max(gap, kFloor / scale_);
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
