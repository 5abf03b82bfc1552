// The client's pure helpers: PollPlan's timing (host/vidu/poll_plan.hpp) and
// the fetcher's file names and duration tolerance (host/vidu/fetch.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/vidu/fetch.hpp"
#include "host/vidu/poll_plan.hpp"

namespace {

using reel::vidu::PollFacts;
using reel::vidu::PollPlan;

// --- PollPlan ----------------------------------------------------------------------

PollFacts waiting(int ahead, double since = 0) {
  PollFacts f;
  f.processing = false;
  f.ahead = ahead;
  f.since = since;
  return f;
}

PollFacts running(double since, double video_seconds = 5) {
  PollFacts f;
  f.processing = true;
  f.since = since;
  f.video_seconds = video_seconds;
  return f;
}

TEST(PollPlan, FirstDelayIsShortAndScaled) {
  EXPECT_DOUBLE_EQ(PollPlan(1).first_delay(), 2);
  EXPECT_DOUBLE_EQ(PollPlan(10).first_delay(), 0.2);
  EXPECT_LT(PollPlan(1).first_delay(), PollPlan(1).delay(waiting(20)));
}

TEST(PollPlan, QueueDelaysGrowWithTasksAhead) {
  PollPlan plan(1);
  double last = 0;
  for (int ahead : {0, 1, 2, 5, 10, 20, 100}) {
    const double d = plan.delay(waiting(ahead));
    EXPECT_GE(d, last) << "ahead " << ahead;
    last = d;
  }
  EXPECT_GT(plan.delay(waiting(5)), plan.delay(waiting(1)));
  // Nothing ahead: soon, but never below the floor (1 s).
  EXPECT_GE(plan.delay(waiting(0)), 1);
  EXPECT_LT(plan.delay(waiting(0)), plan.expected_run(5));
  // Deep in the queue: capped at 60 s.
  EXPECT_DOUBLE_EQ(plan.delay(waiting(10000)), 60);
  // The queue estimate: `ahead` tasks leave `concurrency` at a time.
  EXPECT_DOUBLE_EQ(plan.expected_queue(10, 1), plan.expected_run(1) * 10 / 5);
  EXPECT_GT(plan.expected_queue(10, 5), plan.expected_queue(10, 1));
  // More seen running at once: the queue is expected to drain faster.
  PollPlan wide(1);
  wide.observe_running(20);
  EXPECT_LT(wide.delay(waiting(8)), plan.delay(waiting(8)));
  EXPECT_DOUBLE_EQ(wide.expected_queue(10, 5), plan.expected_queue(10, 5) * 5 / 20);
  wide.observe_running(2);  // fewer later does not lower what was seen
  EXPECT_DOUBLE_EQ(wide.expected_queue(10, 5), plan.expected_queue(10, 5) * 5 / 20);
}

TEST(PollPlan, DeepQueuedTasksAreParked) {
  PollPlan plan(1);
  EXPECT_GE(plan.park_depth(), 10);
  EXPECT_GE(plan.park_delay(), 60) << "parked tasks are looked at less than the queue ceiling";
  plan.observe_running(40);
  EXPECT_GE(plan.park_depth(), 40) << "never parks a task that could start in the next wave";
  EXPECT_DOUBLE_EQ(PollPlan(100).park_delay() * 100, PollPlan(1).park_delay());
}

TEST(PollPlan, ProcessingDelaysShrinkTowardTheExpectedEnd) {
  PollPlan plan(1);
  const double run = plan.expected_run(5);
  EXPECT_DOUBLE_EQ(run, 40);  // 8 s per second of video before anything is learnt
  double last = 1e9;
  for (double since : {0.0, 10.0, 20.0, 30.0, 38.0}) {
    const double d = plan.delay(running(since));
    EXPECT_LE(d, last) << "since " << since;
    EXPECT_LE(since + d, run + 1e-9) << "looks past the expected end";
    EXPECT_GE(d, 1) << "below the floor";
    last = d;
  }
  EXPECT_DOUBLE_EQ(plan.delay(running(39.5)), 1);  // the floor
  // Overdue: backs off slowly, never above the 30 s ceiling.
  EXPECT_GT(plan.delay(running(80)), plan.delay(running(50)));
  EXPECT_DOUBLE_EQ(plan.delay(running(1000)), 30);
  // Longer videos are expected to run longer.
  EXPECT_GT(plan.expected_run(10), plan.expected_run(5));
  EXPECT_DOUBLE_EQ(plan.expected_run(0.5), plan.expected_run(1));  // at least one second
}

TEST(PollPlan, RoundsAreSpacedByTheRunTime) {
  PollPlan plan(1);
  const double run = plan.expected_run(1);
  // A lone task is still looked at at least twice per expected run.
  EXPECT_LE(plan.round_gap(1, 1), 0.5 * run);
  EXPECT_GT(plan.round_gap(1, 1), 1);
  // More tasks running: rounds come more often, never below the floor.
  EXPECT_LT(plan.round_gap(20, 1), plan.round_gap(2, 1));
  EXPECT_DOUBLE_EQ(plan.round_gap(100000, 1), 1);
  EXPECT_DOUBLE_EQ(PollPlan(50).round_gap(100000, 1), 1.0 / 50);
  EXPECT_NEAR(PollPlan(50).round_gap(3, 1) * 50, plan.round_gap(3, 1), 1e-9);
}

TEST(PollPlan, LearnsTheRunTimeFromFinishedTasks) {
  PollPlan plan(1);
  plan.observe_run(10, 5);  // 2 s per second of video replaces the guess
  EXPECT_DOUBLE_EQ(plan.expected_run(5), 10);
  EXPECT_LE(plan.delay(running(0)), 10);
  EXPECT_GE(plan.delay(running(0)), 1);
  plan.observe_run(20, 5);  // 4 s per second: moves half-way
  EXPECT_DOUBLE_EQ(plan.expected_run(5), 15);
  plan.observe_run(0, 5);  // nonsense is ignored
  EXPECT_DOUBLE_EQ(plan.expected_run(5), 15);
  plan.observe_run(-3, 5);
  EXPECT_DOUBLE_EQ(plan.expected_run(5), 15);
}

TEST(PollPlan, TimeScaleScalesEverything) {
  PollPlan real(1);
  PollPlan fast(50);
  EXPECT_DOUBLE_EQ(fast.first_delay() * 50, real.first_delay());
  EXPECT_DOUBLE_EQ(fast.expected_run(5) * 50, real.expected_run(5));
  for (int ahead : {0, 3, 50, 100000})
    EXPECT_NEAR(fast.delay(waiting(ahead)) * 50, real.delay(waiting(ahead)), 1e-9) << ahead;
  for (double since : {0.0, 10.0, 39.9, 500.0})
    EXPECT_NEAR(fast.delay(running(since / 50)) * 50, real.delay(running(since)), 1e-9) << since;
  // The floors and ceilings scale too.
  EXPECT_DOUBLE_EQ(fast.delay(waiting(100000)), 60.0 / 50);
  EXPECT_DOUBLE_EQ(fast.delay(running(1000)), 30.0 / 50);
  EXPECT_DOUBLE_EQ(fast.delay(running(39.99 / 50)), 1.0 / 50);
  // A nonsense scale does not divide by zero.
  PollPlan zero(0);
  EXPECT_GT(zero.first_delay(), 0);
  EXPECT_TRUE(std::isfinite(zero.delay(waiting(3))));
}

// --- fetch.hpp helpers ---------------------------------------------------------------

TEST(ViduFetch, ClipFileNamesAreSafe) {
  using reel::vidu::clip_file_name;
  EXPECT_EQ(clip_file_name("open", "123"), "open-123.mp4");
  EXPECT_EQ(clip_file_name("text2video#1", "9"), "text2video_1-9.mp4");
  EXPECT_EQ(clip_file_name("a b/c\\d:e", "7"), "a_b_c_d_e-7.mp4");
  EXPECT_EQ(clip_file_name("../../etc/passwd", "7"), "_.._.._etc_passwd-7.mp4");
  EXPECT_EQ(clip_file_name(".hidden", "7"), "_.hidden-7.mp4");
  EXPECT_EQ(clip_file_name("", "7"), "_-7.mp4");
  EXPECT_EQ(clip_file_name("Shot_2.v-1", "7"), "Shot_2.v-1-7.mp4");
  // Non-ASCII bytes become '_' one by one; long names are cut to 60 bytes.
  EXPECT_EQ(clip_file_name("é", "7"), "__-7.mp4");
  EXPECT_EQ(clip_file_name(std::string(200, 'x'), "7"), std::string(60, 'x') + "-7.mp4");
  for (const std::string& name :
       std::vector<std::string>{"a/b", "..", "x\ny", std::string("nul\0in", 6)}) {
    const std::string f = clip_file_name(name, "1");
    EXPECT_EQ(f.find('/'), std::string::npos) << f;
    EXPECT_EQ(f.find('\0'), std::string::npos);
    EXPECT_NE(f[0], '.') << f;
  }
}

TEST(ViduFetch, DurationMatchesWithinHalfASecondOrTenPercent) {
  using reel::vidu::duration_matches;
  EXPECT_TRUE(duration_matches(1, 1));
  EXPECT_TRUE(duration_matches(1.5, 1));
  EXPECT_TRUE(duration_matches(0.5, 1));
  EXPECT_FALSE(duration_matches(1.51, 1));
  EXPECT_FALSE(duration_matches(0.49, 1));
  EXPECT_TRUE(duration_matches(4.96, 5));
  EXPECT_TRUE(duration_matches(5.5, 5));
  EXPECT_FALSE(duration_matches(5.6, 5));
  // Long clips: 10 %.
  EXPECT_TRUE(duration_matches(10.9, 10));
  EXPECT_FALSE(duration_matches(11.1, 10));
  EXPECT_TRUE(duration_matches(18.1, 20));
  EXPECT_FALSE(duration_matches(17.9, 20));
  EXPECT_FALSE(duration_matches(0, 5));
}

}  // namespace
