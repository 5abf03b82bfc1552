// Following tasks to their end: one timer for all of them, due tasks asked
// about together (one list call on the official dialect), states applied,
// and a success handed to the fetcher. The timing is PollPlan's.
#include <algorithm>

#include "host/vidu/client_impl.hpp"

namespace reel::vidu {

namespace {

constexpr int kMaxPollFailures = 12;  // consecutive failed looks before giving up on a task
constexpr size_t kListBatch = 100;    // the list call's page size limit (§11.3)
constexpr int kMaxQueriesInFlight = 16;

}  // namespace

int Client::Impl::ahead_of(const Job& j) const {
  int n = 0;
  for (const Job& other : jobs) {
    if (other.handle >= j.handle) break;
    if (is_waiting(other.info.state) && !other.info.finished()) ++n;
  }
  return n;
}

void Client::Impl::apply(Job& j, RemoteTask remote) {
  TaskInfo& i = j.info;
  if (remote.credits) i.credits = remote.credits;
  const double t = now();
  if (remote.state != i.state) {
    const double spent = t - i.state_since;
    if (is_waiting(i.state)) i.queued_for += spent;
    if (i.state == TaskState::processing) i.processing_for += spent;
    if (remote.state == TaskState::processing && !j.seen_processing) {
      j.seen_processing = true;
      int running = 0;
      for (const Job& o : jobs) running += o.info.state == TaskState::processing ? 1 : 0;
      plan.observe_running(running + 1);
    }
    if (remote.state == TaskState::success && i.state == TaskState::processing)
      plan.observe_run(i.processing_for, j.video_seconds);
    const bool left_queue = is_waiting(i.state) && !is_waiting(remote.state);
    i.state = remote.state;
    i.state_since = t;
    if (left_queue) unpark();
  }
  i.err_code = remote.err_code;
  j.last = std::move(remote);
  record_state(j);
  if (i.state == TaskState::failed) {
    const bool cancelled = i.err_code == "UserCancelled";
    const std::string why = j.last.err_message.empty() ? "" : " (" + j.last.err_message + ")";
    Failure f{
        cancelled ? "Cancelled" : "TaskFailed",
        "task " + i.id + " (" + i.name + ") " +
            (cancelled ? "was cancelled"
                       : "failed remotely with " +
                             (i.err_code.empty() ? std::string("no error code") : i.err_code)) +
            why + (cancelled ? "" : "; its credits are refunded by Vidu"),
        "",
        i.err_code,
        0,
        false};
    fail(j, std::move(f));
    return;
  }
  if (i.state == TaskState::success) {
    start_download(j);
    return;
  }
  notify(j);
}

PollFacts Client::Impl::facts_of(const Job& j, int ahead) const {
  PollFacts facts;
  facts.processing = j.info.state == TaskState::processing;
  facts.since = now() - j.info.state_since;
  facts.ahead = ahead;
  facts.video_seconds = j.video_seconds;
  return facts;
}

// A task left the queue: parked tasks that are now near its front are
// looked at on their normal schedule again. One pass counts positions.
void Client::Impl::unpark() {
  int ahead = 0;
  for (Job& j : jobs) {
    if (!is_waiting(j.info.state) || j.info.finished()) continue;
    if (j.parked && ahead < plan.park_depth() && !j.poll_in_flight) {
      j.parked = false;
      schedule(j, plan.delay(facts_of(j, ahead)));
    }
    ++ahead;
  }
}

void Client::Impl::schedule(Job& j, double delay) {
  j.poll_interval = delay;
  j.next_poll = now() + delay;
  // Sooner than the timer is set for: bring it forward (no scan needed).
  if (timer_at == 0 || j.next_poll < timer_at) start_timer(j.next_poll);
}

void Client::Impl::start_timer(double at) {
  if (gap > 0) at = std::max(at, last_round + gap);
  timer_at = at;
  const double wait = std::max(0.0, at - now());
  uv_update_time(loop.get());
  uv_timer_start(
      poll_timer, [](uv_timer_t* t) { static_cast<Impl*>(t->data)->poll_round(); },
      static_cast<uint64_t>(wait * 1000 + 0.999), 0);
}

// One timer for all tasks: set for the earliest due one, but no sooner
// than the round gap after the last round (PollPlan::round_gap).
void Client::Impl::arm() {
  double earliest = 0;
  int processing = 0;
  double video_seconds = 0;
  for (const Job& j : jobs) {
    if (j.info.state == TaskState::processing && !j.info.finished()) {
      ++processing;
      video_seconds += j.video_seconds;
    }
    if (j.next_poll <= 0 || j.poll_in_flight) continue;
    if (earliest == 0 || j.next_poll < earliest) earliest = j.next_poll;
  }
  gap = processing > 0 ? plan.round_gap(processing, video_seconds / processing) : 0;
  // Per-task queries wait for a free slot; a finishing query re-arms.
  const bool queries_only = config.dialect != Dialect::vidu || !list_works;
  if (earliest == 0 || (queries_only && queries_in_flight >= kMaxQueriesInFlight)) {
    uv_timer_stop(poll_timer);
    timer_at = 0;
    return;
  }
  start_timer(earliest);
}

// Where each waiting task stands in this client's queue, in one pass.
std::unordered_map<uint64_t, int> Client::Impl::positions() const {
  std::unordered_map<uint64_t, int> out;
  int ahead = 0;
  for (const Job& j : jobs) {
    if (!is_waiting(j.info.state) || j.info.finished()) continue;
    out[j.handle] = ahead++;
  }
  return out;
}

void Client::Impl::poll_round() {
  timer_at = 0;
  const double t = now() + 0.002;
  std::vector<Job*> due;
  std::vector<Job*> early;  // not parked, due before the next round could start
  for (Job& j : jobs) {
    if (j.next_poll <= 0 || j.poll_in_flight) continue;
    if (j.next_poll <= t)
      due.push_back(&j);
    else if (!j.parked && j.next_poll <= t + gap)
      early.push_back(&j);
  }
  if (due.empty()) {
    arm();
    return;
  }
  last_round = now();
  const auto sooner = [](const Job* a, const Job* b) { return a->next_poll < b->next_poll; };
  std::sort(due.begin(), due.end(), sooner);
  if (config.dialect == Dialect::vidu && list_works) {
    // A list call costs about the same for 2 tasks as for 100: the last
    // batch takes the tasks that would otherwise start the next round.
    std::sort(early.begin(), early.end(), sooner);
    const size_t room = (kListBatch - due.size() % kListBatch) % kListBatch;
    due.insert(due.end(), early.begin(), early.begin() + std::min(room, early.size()));
    for (size_t i = 0; i < due.size(); i += kListBatch) {
      std::vector<Job*> batch(due.begin() + i, due.begin() + std::min(due.size(), i + kListBatch));
      if (batch.size() == 1)
        query(*batch.front());
      else
        list_call(batch);
    }
  } else {
    for (Job* j : due) {
      if (queries_in_flight >= kMaxQueriesInFlight) break;
      query(*j);
    }
  }
  arm();
}

void Client::Impl::begin_poll(Job& j) {
  j.poll_in_flight = true;
  j.next_poll = 0;
}

void Client::Impl::after_poll(Job& j, bool ok, int ahead) {
  j.poll_in_flight = false;
  if (j.info.finished() || is_terminal(j.info.state)) return;
  if (!ok && ++j.poll_failures >= kMaxPollFailures) {
    fail(j, {"PollFailed",
             "task " + j.info.id + " (" + j.info.name +
                 ") could not be followed: " + std::to_string(j.poll_failures) +
                 " looks in a row failed; it may still finish remotely: vidu.task(\"" + j.info.id +
                 "\"):wait() picks it up again",
             "", "", 0, true});
    return;
  }
  if (ok) j.poll_failures = 0;
  if (ahead < 0) ahead = ahead_of(j);
  if (ok && is_waiting(j.info.state) && ahead >= plan.park_depth()) {
    j.parked = true;
    schedule(j, plan.park_delay());
    return;
  }
  j.parked = false;
  double delay = plan.delay(facts_of(j, ahead));
  if (!ok)
    delay = std::max(delay,
                     std::min(30.0, 1.0 * (1 << std::min(j.poll_failures, 5))) / config.time_scale);
  schedule(j, delay);
}

void Client::Impl::list_call(const std::vector<Job*>& batch) {
  std::vector<std::string> ids;
  std::vector<uint64_t> handles;
  for (Job* j : batch) {
    begin_poll(*j);
    ids.push_back(j->info.id);
    handles.push_back(j->handle);
  }
  http.send(api_request("GET", list_path(ids)), [this, handles](net::HttpResponse&& res) {
    counters.lists += res.attempts;
    if (res.cancelled) return;
    std::optional<TaskPage> page;
    if (res.ok()) {
      try {
        page = parse_task_list(res.body);
      } catch (const WireError&) {
      }
    }
    std::unordered_map<std::string, RemoteTask*> by_id;
    if (page)
      for (RemoteTask& t : page->tasks) by_id[t.id] = &t;
    size_t missing = 0;
    std::vector<Job*> answered;
    for (uint64_t h : handles) {
      Job& j = job(h);
      auto it = by_id.find(j.info.id);
      if (it == by_id.end()) {
        ++missing;
        continue;
      }
      j.poll_in_flight = false;
      apply(j, std::move(*it->second));
      answered.push_back(&j);
    }
    // Places in the queue once every answer is in, counted once.
    const auto place = positions();
    for (Job* j : answered) {
      auto at = place.find(j->handle);
      after_poll(*j, true, at == place.end() ? 0 : at->second);
    }
    arm();
    if (missing == 0) return;
    // Q14: a list answer without our tasks means this server reads the
    // query differently; ask one task at a time from now on.
    if (page || (res.status >= 400 && res.status < 500)) list_works = false;
    for (uint64_t h : handles) {
      Job& j = job(h);
      if (!j.poll_in_flight) continue;
      if (!list_works) {
        j.poll_in_flight = false;
        query(j);
      } else {
        after_poll(j, false);
      }
    }
  });
}

void Client::Impl::query(Job& j) {
  begin_poll(j);
  ++queries_in_flight;
  const uint64_t handle = j.handle;
  http.send(api_request("GET", task_path(config.dialect, j.info.id)),
            [this, handle](net::HttpResponse&& res) {
              --queries_in_flight;
              counters.queries += res.attempts;
              if (res.cancelled) return;
              Job& j = job(handle);
              on_query_answer(j, res);
              arm();
            });
}

void Client::Impl::on_query_answer(Job& j, const net::HttpResponse& res) {
  if (res.ok()) {
    try {
      RemoteTask remote = parse_task(config.dialect, res.body);
      j.poll_in_flight = false;
      apply(j, std::move(remote));
      after_poll(j, true);
      return;
    } catch (const WireError&) {
    }
  } else if (res.status == 401 || res.status == 403 || res.status == 404) {
    j.poll_in_flight = false;
    const ApiFailure f = parse_failure(config.dialect, res.status, res.body);
    fail(j, {f.code, "task " + j.info.id + " cannot be queried: " + f.message, "", "", res.status,
             false});
    return;
  }
  after_poll(j, false);
}

void Client::Impl::start_download(Job& j) {
  j.info.downloading = true;
  j.next_poll = 0;
  notify(j);
  FetchJob f;
  f.task_id = j.info.id;
  f.name = j.info.name;
  f.out_dir = j.submission.out_dir;
  f.creations = j.last.creations;
  f.expected_duration = j.submission.expected_duration;
  f.credits = j.info.credits.value_or(0);
  const uint64_t handle = j.handle;
  fetcher->fetch(
      std::move(f),
      // The result URL expired: ask the task for a fresh one.
      [this, handle](std::function<void(std::optional<std::vector<Creation>>)> got) {
        Job& j = job(handle);
        http.send(api_request("GET", task_path(config.dialect, j.info.id)),
                  [this, got](net::HttpResponse&& res) {
                    counters.queries += res.attempts;
                    if (res.cancelled) return;
                    try {
                      if (res.ok()) return got(parse_task(config.dialect, res.body).creations);
                    } catch (const WireError&) {
                    }
                    got(std::nullopt);
                  });
      },
      [this, handle](std::optional<Clip> clip, std::optional<Failure> failure) {
        Job& j = job(handle);
        j.info.downloading = false;
        if (failure) {
          fail(j, std::move(*failure));
          return;
        }
        j.info.clip = std::move(clip);
        record_clip(j);
        notify(j);
      });
}

}  // namespace reel::vidu
