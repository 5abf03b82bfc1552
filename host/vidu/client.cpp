// The task engine behind vidu.*: creating tasks (with the payload-tag lookup
// that keeps a lost answer from paying twice), cancel, credits, and what the
// user sees. Following tasks to their end is in client_poll.cpp, downloading
// and checking a result in fetch.cpp.
#include "host/vidu/client.hpp"

#include <algorithm>
#include <chrono>

#include "host/vidu/call_key.hpp"
#include "host/vidu/client_impl.hpp"
#include "host/vidu/request.hpp"

namespace reel::vidu {

namespace {

constexpr int kMaxCreateRounds = 6;  // creates sent for one submit (only ever one can land)
constexpr int kMaxLookupPages = 20;  // 2 000 recent tasks searched for a lost create

double wall_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

std::string random_hex(std::mt19937_64& rng, int bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(rng() & 0xff);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace

Client::Impl::Impl(net::EventLoop& l, ClientConfig c, Progress* p, journal::Journal* jr)
    : loop(l),
      config(std::move(c)),
      progress(p),
      http(l),
      plan(config.time_scale),
      journal(jr),
      owner(journal::this_owner()) {
  prepare_hashing();  // downloads are hashed on the thread pool
  poll_timer = new uv_timer_t;
  kick_timer = new uv_timer_t;
  for (uv_timer_t* t : {poll_timer, kick_timer}) {
    uv_timer_init(loop.get(), t);
    t->data = this;
  }
  fetcher = std::make_unique<Fetcher>(loop, http, config, counters.downloads);
}

Client::Impl::~Impl() {
  *alive = false;
  // Calls still running remotely are left for the next run to follow.
  for (Job& j : jobs)
    if (!j.info.finished()) release_call(j);
  for (uv_timer_t* t : {poll_timer, kick_timer}) {
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

// --- telling the world -------------------------------------------------------

std::string Client::Impl::base() const {
  std::string b = config.base_url;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b;
}

net::HttpRequest Client::Impl::api_request(const char* method, const std::string& path) const {
  net::HttpRequest r;
  r.method = method;
  r.url = base() + path;
  r.headers = {auth_header(config.dialect, config.key), "Content-Type: application/json",
               "Accept: application/json"};
  r.retry = retry_policy(config);
  return r;
}

ProgressRow Client::Impl::row(const Job& j) const {
  const TaskInfo& i = j.info;
  ProgressRow r;
  r.name = i.name;
  r.task_id = i.id;
  r.elapsed = now() - i.submitted_at;
  r.credits = i.credits;
  r.state = state_name(i.state);
  if (i.downloading) r.state = "downloading";
  if (i.clip) {
    r.state = "done";
    r.detail = i.clip->path + (i.replayed ? " (from the journal)" : "");
  } else if (j.timed_out && !i.failure) {
    r.state = "timeout";
  } else if (i.failure) {
    r.state = i.failure->code == "Cancelled" ? "cancelled"
              : i.failure->code == "Timeout" ? "timeout"
                                             : "failed";
    r.detail = i.failure->code + ": " + i.failure->message;
  } else if (is_waiting(i.state)) {
    const int ahead = ahead_of(j);
    if (ahead > 0) r.detail = std::to_string(ahead) + " ahead";
  } else if (i.state == TaskState::processing) {
    const double left = plan.expected_run(j.video_seconds) - (now() - i.state_since);
    if (left > 0) r.detail = "~" + std::to_string(static_cast<int>(left + 0.5)) + " s left";
  }
  return r;
}

void Client::Impl::notify(Job& j) {
  if (progress != nullptr && progress->mode() != Progress::Mode::quiet) {
    if (j.info.finished())
      progress->finish(j.handle, row(j));
    else
      progress->update(j.handle, row(j));
  }
  if (changed) changed(j.handle);
}

void Client::Impl::fail(Job& j, Failure f) {
  if (j.info.finished()) return;
  j.info.downloading = false;
  j.info.state = TaskState::failed;
  // Refused before a task existed: nothing is owed, so the estimate goes.
  // A create whose answer was lost may have been charged, so it stays there.
  if (j.info.id.empty() && f.code != "CreateUnconfirmed") j.info.credits.reset();
  j.info.failure = std::move(f);
  j.next_poll = 0;
  record_failure(j);
  notify(j);
}

// A one-off callback that is dropped if the client goes first.
void Client::Impl::after(double seconds, std::function<void()> fn) {
  std::weak_ptr<bool> weak = alive;
  loop.after(static_cast<uint64_t>(seconds * 1000), [weak, fn = std::move(fn)] {
    if (auto a = weak.lock(); a && *a) fn();
  });
}

// --- creating -----------------------------------------------------------------

void Client::Impl::kick() {
  uv_timer_start(
      kick_timer, [](uv_timer_t* t) { static_cast<Impl*>(t->data)->pump(); }, 0, 0);
}

void Client::Impl::pump() {
  while (creates_in_flight < config.max_creates && !create_queue.empty()) {
    const uint64_t handle = create_queue.front();
    create_queue.pop_front();
    start_create(job(handle));
  }
}

void Client::Impl::start_create(Job& j) {
  ++creates_in_flight;
  ++j.create_rounds;
  if (j.sent_unix == 0) j.sent_unix = wall_now();
  if (j.submission.files.empty()) {
    std::string body;
    try {
      body = create_body(config.dialect, j.submission.endpoint, j.submission.body, {});
    } catch (const std::exception& e) {
      body_failed(j, e.what());
      return;
    }
    send_create(j, std::move(body));
    return;
  }
  // Reading and encoding files of up to 20 MB: on the thread pool.
  struct Work {
    uv_work_t req{};
    Impl* self;
    uint64_t handle;
    std::shared_ptr<bool> alive;
    Dialect dialect;
    Endpoint endpoint;
    nlohmann::json body;
    std::vector<InlineFile> files;
    std::string text;
    std::string error;
  };
  auto* w = new Work{{},
                     this,
                     j.handle,
                     alive,
                     config.dialect,
                     j.submission.endpoint,
                     j.submission.body,
                     j.submission.files,
                     {},
                     {}};
  w->req.data = w;
  uv_queue_work(
      loop.get(), &w->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        try {
          w->text = create_body(w->dialect, w->endpoint, std::move(w->body), w->files);
        } catch (const std::exception& e) {
          w->error = e.what();
        }
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        if (!*w->alive) return;
        Job& j = w->self->job(w->handle);
        if (!w->error.empty()) {
          w->self->body_failed(j, w->error);
          return;
        }
        w->self->send_create(j, std::move(w->text));
      });
}

// The body could not be built: an input file went away since it was
// checked, or the dialect does not sell the model. Nothing was sent.
void Client::Impl::body_failed(Job& j, const std::string& why) {
  --creates_in_flight;
  fail(j, {"InputUnreadable", j.info.name + ": " + why + "; nothing was sent", "", "", 0, false});
  pump();
}

void Client::Impl::send_create(Job& j, std::string body) {
  try {
    record_sending(j);
  } catch (const std::exception& e) {
    --creates_in_flight;
    fail(j, {"JournalFailed",
             kind_label(j) + " was not sent: the journal " + journal->path() +
                 " cannot record it (" + e.what() + ")",
             "", "", 0, false});
    pump();
    return;
  }
  net::HttpRequest r = api_request("POST", create_path(config.dialect, j.submission.endpoint));
  r.body = std::move(body);
  r.timeout = 120;           // a 20 MB body on a slow uplink
  r.retry.max_attempts = 6;  // only unsent requests and 429s are repeated
  const uint64_t handle = j.handle;
  http.send(std::move(r), [this, handle](net::HttpResponse&& res) {
    --creates_in_flight;
    counters.creates += res.attempts;
    on_create_answer(job(handle), std::move(res));
    pump();
  });
}

void Client::Impl::on_create_answer(Job& j, net::HttpResponse&& res) {
  if (res.cancelled) return;
  if (res.ok()) {
    try {
      adopt(j, parse_task(config.dialect, res.body));
    } catch (const WireError& e) {
      lost_answer(j, std::string("its answer could not be read (") + e.what() + ")");
    }
    return;
  }
  const bool answered = res.error.empty() && res.status != 0;
  if (answered && res.status == 429) {
    // 429 is a refusal before any effect (retry.hpp); the client already
    // waited as told. Try again later, a bounded number of times.
    retry_create(j, parse_failure(config.dialect, res.status, res.body));
    return;
  }
  if (answered && res.status >= 400 && res.status < 500 && res.status != 408) {
    const ApiFailure f = parse_failure(config.dialect, res.status, res.body);
    std::string message = "vidu refused the " + kind_label(j) + " request: " + f.message;
    if (res.status == 401) message += " (check VIDU_API_KEY or --key-file)";
    fail(j, {f.code, message, "", "", res.status, false});
    return;
  }
  const std::string what =
      answered ? "the server answered HTTP " + std::to_string(res.status) : res.error;
  if (!res.request_sent) {
    retry_create(j, {0, "Unreachable", "it never reached the server: " + what, ""});
    return;
  }
  lost_answer(j, what);
}

std::string Client::Impl::kind_label(const Job& j) const {
  return std::string(kind_name(*j.info.endpoint)) + " \"" + j.info.name + "\"";
}

void Client::Impl::retry_create(Job& j, const ApiFailure& why) {
  if (j.create_rounds >= kMaxCreateRounds) {
    // Every round was refused (429) or provably never made a task.
    fail(j, {"CreateFailed",
             kind_label(j) + " could not be created in " + std::to_string(j.create_rounds) +
                 " rounds (the last: " + why.code + ", " + why.message +
                 "); no task was created, so nothing was paid: try again later",
             "", "", why.http_status, true});
    return;
  }
  const double delay = std::min(30.0, 0.5 * (1 << j.create_rounds)) / config.time_scale;
  const uint64_t handle = j.handle;
  after(delay, [this, handle] {
    create_queue.push_back(handle);
    pump();
  });
}

// The create may or may not have made a task. Official: look for the tag
// among recent tasks before sending it again. Vtrix cannot be asked.
void Client::Impl::lost_answer(Job& j, const std::string& what) {
  if (config.dialect == Dialect::vtrix) {
    fail(j, {"CreateUnconfirmed",
             kind_label(j) + ": the create request may have reached Vtrix but " + what +
                 "; Vtrix cannot look tasks up, so reel does not send it again (that could pay "
                 "twice): check the Vtrix console, and if no task was made there, pass fresh = "
                 "true to create it",
             "", "", 0, false});
    return;
  }
  const uint64_t handle = j.handle;
  // A short pause so that a task created just now shows in the list.
  after(1.0 / config.time_scale, [this, handle, what] { lookup(job(handle), "", 0, what); });
}

void Client::Impl::lookup(Job& j, const std::string& token, int page, const std::string& what) {
  net::HttpRequest r = api_request("GET", recent_tasks_path(j.sent_unix - 600, token));
  const uint64_t handle = j.handle;
  http.send(std::move(r), [this, handle, page, what](net::HttpResponse&& res) {
    counters.other += res.attempts;
    if (res.cancelled) return;
    Job& j = job(handle);
    if (!res.ok()) {
      fail(j, {"CreateUnconfirmed",
               kind_label(j) + ": the create request may have reached Vidu but " + what +
                   ", and looking for the task failed too (" + describe(res) +
                   "); reel does not send it now: run the script again and it looks for "
                   "the task (payload \"" + j.tag + "\") before anything is sent",
               "", "", res.status, false});
      return;
    }
    TaskPage found;
    try {
      found = parse_task_list(res.body);
    } catch (const WireError& e) {
      fail(j, {"CreateUnconfirmed",
               kind_label(j) +
                   ": the create answer was lost and the task list could not be "
                   "read (" +
                   e.what() + "); reel does not send it again",
               "", "", 0, false});
      return;
    }
    for (RemoteTask& t : found.tasks) {
      if (t.payload == j.tag && adopted.count(t.id) == 0 && !known_elsewhere(j, t.id)) {
        adopt(j, std::move(t));
        return;
      }
    }
    if (!found.next_page_token.empty()) {
      if (page + 1 < kMaxLookupPages) {
        lookup(j, found.next_page_token, page + 1, what);
        return;
      }
      // Tasks remain unread: not finding the tag proves nothing, and sending
      // the create again could pay twice (found by the soak, tests/soak).
      fail(j, {"CreateUnconfirmed",
               kind_label(j) + ": the create request may have reached Vidu but " + what +
                   ", and the task was not among the " + std::to_string(kMaxLookupPages) +
                   " pages of recent tasks reel looked through; more remain, so reel does not "
                   "send it again: find the task with payload \"" + j.tag +
                   "\" in the Vidu console, or pass fresh = true to create it",
               "", "", 0, false});
      return;
    }
    // Provably not created: the answer was lost and no task carries the tag.
    retry_create(j,
                 {0, "CreateLost", "its answer was lost and no task carries its payload tag", ""});
  });
}

std::string Client::Impl::describe(const net::HttpResponse& res) {
  return res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error;
}

void Client::Impl::adopt(Job& j, RemoteTask remote) {
  if (remote.id.empty()) {
    lost_answer(j, "its answer had no task id");
    return;
  }
  j.info.id = remote.id;
  adopted.insert(remote.id);
  j.submission.body = nlohmann::json();  // the inline files may be megabytes
  j.submission.files.clear();
  j.info.state_since = now();
  apply(j, std::move(remote));
  if (!j.info.finished()) schedule(j, plan.first_delay());
  if (j.info.cancel_requested) send_cancel(j);
}

void Client::Impl::send_cancel(Job& j) {
  auto path = cancel_path(config.dialect, j.info.id);
  auto waiters = std::move(j.cancel_waiters);
  j.cancel_waiters.clear();
  net::HttpRequest r = api_request("POST", *path);
  r.body = nlohmann::json{{"id", j.info.id}}.dump();  // the documented example sends it too
  const uint64_t handle = j.handle;
  http.send(std::move(r), [this, handle, waiters](net::HttpResponse&& res) {
    counters.other += res.attempts;
    if (res.cancelled) return;
    Job& j = job(handle);
    std::optional<Failure> refusal;
    if (!res.ok()) {
      const ApiFailure f = parse_failure(config.dialect, res.status, res.body);
      // A 400 says the task is past cancelling (Q15: "task state is
      // scheduled/success, can not cancel"), whatever this client last saw.
      const bool past = res.error.empty() && res.status == 400;
      refusal = Failure{past ? "NotCancellable" : f.code,
                        "vidu refused to cancel task " + j.info.id + " (" + j.info.name +
                            "): " + (res.error.empty() ? f.message : res.error),
                        "",
                        "",
                        res.status,
                        !res.error.empty()};
    }
    // Q15: the task's own state says what happened, either way.
    if (!j.info.finished() && !j.poll_in_flight) query(j);
    for (const auto& w : waiters) w(refusal);
  });
}

net::RetryPolicy retry_policy(const ClientConfig& config) {
  net::RetryPolicy policy;
  policy.base_delay /= config.time_scale;
  policy.max_delay /= config.time_scale;
  return policy;
}

Client::Client(net::EventLoop& loop, ClientConfig config, Progress* progress,
               journal::Journal* journal)
    : impl_(std::make_unique<Impl>(loop, std::move(config), progress, journal)) {}

Client::~Client() = default;

void Client::on_change(Changed fn) {
  impl_->changed = std::move(fn);
}

uint64_t Client::submit(Submission s) {
  Impl& m = *impl_;
  Impl::Job& j = m.add_job();
  const uint64_t handle = j.handle;
  TaskInfo& i = j.info;
  i.endpoint = s.endpoint;
  i.model = s.body.value("model", "");
  i.name = s.name.empty() ? std::string(kind_name(s.endpoint)) + "#" +
                                std::to_string(++m.kind_counts[static_cast<int>(s.endpoint)])
                          : s.name;
  i.credits = s.estimate;
  i.submitted_at = i.state_since = m.now();
  auto payload = s.body.find("payload");
  if (payload != s.body.end() && payload->is_string() && !payload->get<std::string>().empty()) {
    j.tag = payload->get<std::string>();
    j.user_payload = true;
  } else {
    j.tag = "reel:" + random_hex(m.rng, 16);
    s.body["payload"] = j.tag;
  }
  if (auto d = s.body.find("duration"); d != s.body.end() && d->is_number() && d->get<double>() > 0)
    j.video_seconds = d->get<double>();
  j.submission = std::move(s);
  if (m.journal != nullptr && !j.submission.key.empty())
    m.open_call(j);
  else
    m.queue_create(j);
  return handle;
}

uint64_t Client::attach(const std::string& remote_id) {
  Impl& m = *impl_;
  // A task this client already follows (or has fetched) is the same Task;
  // one that failed locally (a download, a poll) is followed afresh.
  for (const Impl::Job& j : m.jobs)
    if (j.info.id == remote_id && (!j.info.finished() || j.info.clip)) return j.handle;
  Impl::Job& j = m.add_job();
  const uint64_t handle = j.handle;
  j.info.id = remote_id;
  j.info.name = "task " + remote_id;
  j.info.state = TaskState::created;
  j.info.submitted_at = j.info.state_since = m.now();
  m.adopted.insert(remote_id);
  // A task the journal knows: its row records what follows (and its clip,
  // if already fetched, is the answer).
  std::optional<journal::Call> known;
  if (m.journal != nullptr) {
    try {
      known = m.journal->find_task(remote_id);
      if (known && !m.journal->take_over(known->id, m.owner, journal::owner_alive)) known.reset();
    } catch (const std::exception& e) {
      m.journal_trouble(e);
      known.reset();
    }
  }
  if (known) {
    j.call_id = known->id;
    j.recorded_state = known->state;
    j.recorded_task = known->task_id;
    if (!known->shot.empty()) j.info.name = known->shot;
    j.info.model = known->model;
    if (known->state == "success" && !known->file.empty()) {
      m.replay_clip(j, *known);
      return handle;
    }
  }
  m.schedule(j, 0);
  return handle;
}

const TaskInfo& Client::task(uint64_t handle) const {
  return impl_->job(handle).info;
}

void Client::mark_timed_out(uint64_t handle, const Failure& why) {
  Impl::Job& j = impl_->job(handle);
  j.timed_out = true;
  if (impl_->progress != nullptr) {
    ProgressRow r = impl_->row(j);
    r.detail = why.message;
    impl_->progress->finish(handle, r);
  }
}

void Client::cancel(uint64_t handle, std::function<void(std::optional<Failure>)> done) {
  Impl& m = *impl_;
  Impl::Job& j = m.job(handle);
  const std::string who = "task " + (j.info.id.empty() ? j.info.name : j.info.id);
  if (m.config.dialect == Dialect::vtrix) {
    done(Failure{"Unsupported", who + " cannot be cancelled: the Vtrix dialect has no cancel call",
                 "", "", 0, false});
    return;
  }
  if (j.info.finished()) {
    done(Failure{"NotCancellable", who + " has already ended (" + state_name(j.info.state) + ")",
                 "", "", 0, false});
    return;
  }
  // vidu-api.md Q15: the API refuses to cancel a task that has started.
  if (j.info.state == TaskState::processing || j.info.state == TaskState::success) {
    done(Failure{"NotCancellable",
                 who + " is " + state_name(j.info.state) +
                     "; Vidu cancels only tasks that have not started (created or queueing)",
                 "", "", 0, false});
    return;
  }
  j.info.cancel_requested = true;
  j.cancel_waiters.push_back(std::move(done));
  if (!j.info.id.empty()) m.send_cancel(j);
}

void Client::credits(std::function<void(std::optional<Balance>, std::optional<Failure>)> done) {
  Impl& m = *impl_;
  auto path = credits_path(m.config.dialect);
  if (!path) {
    done(std::nullopt,
         Failure{"Unsupported", "the Vtrix dialect has no credits call", "", "", 0, false});
    return;
  }
  m.http.send(m.api_request("GET", *path), [&m, done](net::HttpResponse&& res) {
    m.counters.other += res.attempts;
    if (res.cancelled) return;
    if (!res.ok()) {
      const ApiFailure f = m.config.dialect == Dialect::vidu
                               ? parse_failure(m.config.dialect, res.status, res.body)
                               : ApiFailure{};
      done(std::nullopt, Failure{res.error.empty() ? f.code : "Unreachable",
                                 "the credit balance could not be read: " +
                                     (res.error.empty() ? f.message : res.error),
                                 "", "", res.status, !res.error.empty() || res.status >= 500});
      return;
    }
    try {
      done(parse_balance(res.body), std::nullopt);
    } catch (const WireError& e) {
      done(std::nullopt, Failure{"BadAnswer", std::string("the credit balance answer: ") + e.what(),
                                 "", "", res.status, false});
    }
  });
}

const Client::Counters& Client::counters() const {
  return impl_->counters;
}

const ClientConfig& Client::config() const {
  return impl_->config;
}

}  // namespace reel::vidu
