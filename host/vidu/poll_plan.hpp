// When to ask about a task next (issue 5, "Waiting"): soon after creation,
// slower while it waits in the queue (later the further back it is), faster
// near its expected end. Expectations are learnt from the tasks this process
// has seen finish, so the plan follows the server's real pace; `time_scale`
// says the server's clock runs that many times faster than real time (the
// simulator's --speed), which scales the floors and ceilings too.
#pragma once

namespace reel::vidu {

// What the plan needs to know about one task.
struct PollFacts {
  bool processing = false;   // else created or queueing
  double since = 0;          // seconds since it entered its current state
  int ahead = 0;             // queueing: this process's tasks queued before it
  double video_seconds = 5;  // the output's length, which drives the run time
};

class PollPlan {
 public:
  explicit PollPlan(double time_scale = 1);

  // Seconds (real time) until the next look at a task.
  double delay(const PollFacts& facts) const;
  // The first look after the create answer.
  double first_delay() const;

  // A task was seen processing for `seconds` before it finished.
  void observe_run(double seconds, double video_seconds);
  // This many of the process's tasks were seen processing at once.
  void observe_running(int count);

  // Expected run time of a task of this length, real seconds.
  double expected_run(double video_seconds) const;
  // How long a queued task with `ahead` tasks in front of it may still wait.
  double expected_queue(int ahead, double video_seconds = 5) const;

  // Queued tasks this far back or further are not worth asking about: the
  // API starts tasks in creation order (vidu-api.md §11.6), so while the
  // ones ahead still wait, so do they. They are looked at again when the
  // queue moves, and otherwise only after park_delay().
  int park_depth() const;
  double park_delay() const;

  // The least time between two poll rounds while `processing` tasks run. One
  // round refreshes every due task at once, so spacing rounds so that about
  // two tasks finish between them halves the looks per task; a lone task is
  // still looked at twice per expected run.
  double round_gap(int processing, double video_seconds) const;

 private:
  double scale_;         // time_scale
  double per_second_;    // learnt run time per second of video
  int concurrency_ = 5;  // the documented default limit (§11.6) until more are seen
  bool learnt_ = false;
};

}  // namespace reel::vidu
