// The Vidu client: submits tasks, follows them to their end and brings their
// clips home, on the process's event loop (DESIGN.md "Architecture"). No Lua
// here: bindings/vidu_tasks.cpp turns these tasks into Task and Clip objects.
//
// Promises (issue 5):
// - A create is sent once. It is repeated only when it provably never
//   reached the server (HttpClient's rule) or after the task it may have
//   created was looked for by its payload tag and not found; never two paid
//   tasks for one submit(). Vtrix cannot look tasks up, so there a create
//   whose answer was lost fails with CreateUnconfirmed instead of repeating.
// - Many tasks share one poll timer; due tasks are asked about together in
//   one list call (official dialect) instead of one query each.
// - A success is downloaded under a temporary name, probed, and only then
//   renamed into place; an empty, undecodable or wrongly long file fails the
//   task and leaves nothing behind.
// - The key goes into the Authorization header and nowhere else.
// - With a journal (issue 6), every call is recorded before it is sent and
//   at each change, so a run after a crash resumes it instead of paying
//   again (client_journal.cpp says how each recorded state is replayed).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/net/event_loop.hpp"
#include "host/net/retry.hpp"
#include "host/vidu/capabilities.hpp"
#include "host/vidu/wire.hpp"

namespace reel::journal {
class Journal;
}

namespace reel::vidu {

class Progress;

struct ClientConfig {
  std::string base_url = "https://api.vidu.com";  // plain http only to loopback
  std::string key;                                // never logged, never in a message
  // Who the server is for the journal, when not its base URL: the in-process
  // simulator's ("sim:<data folder>", REEL_SERVICE_ID) outlives its random port.
  std::string service;
  Dialect dialect = Dialect::vidu;
  std::string out_dir = "out";  // where clips are downloaded
  double time_scale = 1;        // the server's clock runs this much faster (simulator --speed)
  int max_creates = 8;          // create requests in flight at once
  int max_downloads = 8;        // downloads in flight at once
};

// The back-off of every request the client sends: HttpClient's, on the
// server's clock (time_scale). A Retry-After the server sends is honoured
// as it is.
net::RetryPolicy retry_policy(const ClientConfig& config);

// A finished task's result, downloaded and probed.
struct Clip {
  std::string path;  // the downloaded file
  std::string url;
  std::string cover_url;
  std::string creation_id;  // official creations[].id ("" on Vtrix)
  std::string task_id;
  int credits = 0;
  double duration = 0;  // from the probe of the file
  int width = 0;
  int height = 0;
  double fps = 0;
  std::string sha256;  // of the file, as the journal records it
};

// Why a task, or a call about one, did not succeed. Becomes a vidu.Error.
struct Failure {
  std::string code;     // "TaskFailed", "Timeout", "CreateUnconfirmed", "ResultEmpty", an API
                        // reason such as "FieldInvalid" or "TooManyRequests", ...
  std::string message;  // one sentence: what, why, what to do
  std::string field;
  std::string err_code;  // TaskFailed: the API's err_code
  int http_status = 0;
  bool retryable = false;
};

struct TaskInfo {
  std::string name;                  // the shot's name, or "<kind>#<n>"
  std::optional<Endpoint> endpoint;  // unknown for vidu.task(ID)
  std::string model;
  std::string id;  // the remote task id; "" while submitting
  TaskState state = TaskState::submitting;
  std::optional<int> credits;  // the API's figure once known (the estimate before)
  std::string err_code;
  double submitted_at = 0;  // seconds on the loop's clock
  double state_since = 0;   // when the current state was first seen
  double queued_for = 0;    // seconds spent created/queueing (so far)
  double processing_for = 0;
  bool downloading = false;
  bool cancel_requested = false;
  bool replayed = false;  // the journal had it: no create was sent in this run
  std::optional<Clip> clip;        // success, downloaded and verified
  std::optional<Failure> failure;  // set when it is over without a clip

  bool finished() const { return clip.has_value() || failure.has_value(); }
};

// What submit() sends: a validated official-dialect body whose local files
// are placeholders until create_body() inlines them.
struct Submission {
  Endpoint endpoint = Endpoint::text2video;
  std::string name;
  nlohmann::json body;
  std::vector<InlineFile> files;
  double expected_duration = 0;  // seconds the result should last; 0: trust the API's figure
  int estimate = 0;              // credits, until the API says
  // The journal: the call's key (call_key.hpp; "" records nothing), what it
  // belongs to and its canonical request (for listing), and its replay rules.
  std::string key;
  std::string script;
  std::string canonical;
  bool fresh = false;         // a new task even when the journal has one
  bool retry_failed = false;  // a new task when the journal's one failed
  std::string out_dir;        // where the clip goes; "": the config's out_dir
};

class Client {
 public:
  // Called on the loop thread whenever a task's TaskInfo changed.
  using Changed = std::function<void(uint64_t task)>;

  // `progress` may be null (no display), `journal` too (nothing recorded);
  // both must outlive the client.
  Client(net::EventLoop& loop, ClientConfig config, Progress* progress,
         journal::Journal* journal = nullptr);
  ~Client();  // drops pending work without calling back
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void on_change(Changed fn);

  // Returns at once; the create request is sent from the loop.
  uint64_t submit(Submission submission);
  // Follows an existing remote task (vidu.task(ID)); the handle of the task
  // already followed under that id, unless that one failed here.
  uint64_t attach(const std::string& remote_id);
  const TaskInfo& task(uint64_t handle) const;  // handle from submit/attach

  // Gives up waiting on the task locally (wait's timeout): it stays
  // remote, and the progress line says so.
  void mark_timed_out(uint64_t handle, const Failure& why);

  // POST .../cancel, then a query to confirm; `done` gets nothing on success
  // or the refusal. Before the task exists remotely, the cancel is sent as
  // soon as it does; a task that has started is refused here (Q15).
  void cancel(uint64_t handle, std::function<void(std::optional<Failure>)> done);

  void credits(std::function<void(std::optional<Balance>, std::optional<Failure>)> done);

  // HTTP requests sent, by purpose (tests and benchmarks count them).
  struct Counters {
    uint64_t creates = 0;
    uint64_t queries = 0;
    uint64_t lists = 0;
    uint64_t downloads = 0;
    uint64_t other = 0;
    uint64_t total() const { return creates + queries + lists + downloads + other; }
  };
  const Counters& counters() const;

  const ClientConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reel::vidu
