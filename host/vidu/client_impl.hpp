// The client's state and its parts, shared by client.cpp (creating tasks
// without ever paying twice, cancel, credits, telling the world) and
// client_poll.cpp (following tasks to their end and fetching their clips).
// Internal to host/vidu.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "host/journal/journal.hpp"
#include "host/net/http_client.hpp"
#include "host/vidu/client.hpp"
#include "host/vidu/fetch.hpp"
#include "host/vidu/poll_plan.hpp"
#include "host/vidu/progress.hpp"

namespace reel::vidu {

inline bool is_waiting(TaskState s) {
  return s == TaskState::created || s == TaskState::queueing;
}

struct Client::Impl {
  struct Job {
    uint64_t handle = 0;
    TaskInfo info;
    // Until the task exists remotely.
    Submission submission;
    std::string tag;  // the payload that identifies it
    bool user_payload = false;
    double sent_unix = 0;  // wall clock of the first create, for the lookup window
    int create_rounds = 0;
    // Polling.
    double video_seconds = 5;
    double next_poll = 0;  // loop seconds; 0: not scheduled
    double poll_interval = 0;
    bool poll_in_flight = false;
    int poll_failures = 0;
    bool seen_processing = false;
    bool parked = false;  // deep in the queue: see PollPlan::park_depth
    RemoteTask last;      // the latest answer
    std::vector<std::function<void(std::optional<Failure>)>> cancel_waiters;
    bool timed_out = false;
    // The journal's row for this call (0: not recorded) and the last task
    // id, state and credits written to it.
    int64_t call_id = 0;
    std::string recorded_task;
    std::string recorded_state;
    std::optional<int> recorded_credits;
  };

  net::EventLoop& loop;
  ClientConfig config;
  Progress* progress;
  net::HttpClient http;
  PollPlan plan;
  Changed changed;
  Counters counters;
  std::mt19937_64 rng{std::random_device{}()};
  std::deque<Job> jobs;  // jobs[handle - 1]: in submission order, never moved
  std::unordered_set<std::string> adopted;  // remote ids already owned by a job
  std::unordered_map<int, int> kind_counts;  // for "<kind>#<n>" names
  std::deque<uint64_t> create_queue;
  int creates_in_flight = 0;
  int queries_in_flight = 0;
  bool list_works = true;  // cleared when the list call does not answer for its ids
  double last_round = 0;   // when the last poll round started
  double gap = 0;          // PollPlan::round_gap as of the last arm()
  double timer_at = 0;     // when the poll timer fires; 0: stopped
  uv_timer_t* poll_timer;
  uv_timer_t* kick_timer;  // runs work queued by calls from Lua on the next turn
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::unique_ptr<Fetcher> fetcher;
  journal::Journal* journal;
  std::string owner;  // this process in the journal's owner column
  bool journal_warned = false;

  Impl(net::EventLoop& l, ClientConfig c, Progress* p, journal::Journal* jr);
  ~Impl();

  double now() const { return static_cast<double>(uv_hrtime()) / 1e9; }
  Job& job(uint64_t handle) { return jobs.at(handle - 1); }
  Job& add_job() {
    Job& j = jobs.emplace_back();
    j.handle = jobs.size();
    return j;
  }

  // --- telling the world (client.cpp) ------------------------------------------
  std::string base() const;
  net::HttpRequest api_request(const char* method, const std::string& path) const;
  ProgressRow row(const Job& j) const;
  void notify(Job& j);
  void fail(Job& j, Failure f);
  // A one-off callback that is dropped if the client goes first.
  void after(double seconds, std::function<void()> fn);

  // --- creating (client.cpp) ---------------------------------------------------
  void kick();
  void pump();
  void start_create(Job& j);
  // The body could not be built: an input file went away since it was
  // checked, or the dialect does not sell the model. Nothing was sent.
  void body_failed(Job& j, const std::string& why);
  void send_create(Job& j, std::string body);
  void on_create_answer(Job& j, net::HttpResponse&& res);
  std::string kind_label(const Job& j) const;
  void retry_create(Job& j, const ApiFailure& why);
  // The create may or may not have made a task. Official: look for the tag
  // among recent tasks before sending it again. Vtrix cannot be asked.
  void lost_answer(Job& j, const std::string& what);
  void lookup(Job& j, const std::string& token, int page, const std::string& what);
  static std::string describe(const net::HttpResponse& res);
  void adopt(Job& j, RemoteTask remote);
  void send_cancel(Job& j);

  // --- following and fetching (client_poll.cpp) -------------------------------
  int ahead_of(const Job& j) const;
  void apply(Job& j, RemoteTask remote);
  PollFacts facts_of(const Job& j, int ahead) const;
  // A task left the queue: parked tasks that are now near its front are
  // looked at on their normal schedule again. One pass counts positions.
  void unpark();
  void schedule(Job& j, double delay);
  void start_timer(double at);
  std::unordered_map<uint64_t, int> positions() const;
  // One timer for all tasks: set for the earliest due one, but no sooner
  // than the round gap after the last round (PollPlan::round_gap).
  void arm();
  void poll_round();
  void begin_poll(Job& j);
  // `ahead`: the task's place in the queue when the caller knows it (-1: count).
  void after_poll(Job& j, bool ok, int ahead = -1);
  void list_call(const std::vector<Job*>& batch);
  void query(Job& j);
  void on_query_answer(Job& j, const net::HttpResponse& res);
  void start_download(Job& j);

  // --- the journal (client_journal.cpp) -----------------------------------------
  // Claims the call's key, or resumes what an earlier run left of it.
  void open_call(Job& j);
  void resume_call(Job& j, int64_t call_id);
  void queue_create(Job& j);
  // Follows a task an earlier run created (or that vidu.task names).
  void follow(Job& j, const std::string& task_id, TaskState state);
  void replay_clip(Job& j, const journal::Call& call);
  bool known_elsewhere(const Job& j, const std::string& task_id);
  void record_sending(Job& j);
  void record_state(Job& j);
  void record_clip(Job& j);
  void record_failure(Job& j);
  void release_call(Job& j);
  // A journal write failed after the task was created: said once, the run
  // goes on (the payload tag still finds the task next time).
  void journal_trouble(const std::exception& e);
};

}  // namespace reel::vidu
