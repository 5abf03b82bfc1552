// The client's journal (issue 6): every call is claimed in the journal
// before its create is sent and recorded at each change, so that a run after
// a crash, a kill or a cut network resumes each call instead of paying again.
//
// What an earlier run left, and what this run does with it:
//   submitting  claimed, create never sent      create it (with the row's tag)
//   sending     the create may have left        official: look for the tag among
//                                               recent tasks, create only if absent;
//                                               Vtrix: CreateUnconfirmed
//   created/queueing/processing                 follow the task
//   success     file there, checksum right      the clip at once
//               file gone or changed            follow the task: download again
//                                               (an expired URL is refreshed)
//   failed      no task was ever made           create it (nothing was paid)
//               the task failed                 the failure again, unless
//                                               retry_failed: then a new task
// fresh = true skips all of that and creates a new task. A row another live
// reel process owns is waited on until it lets go.
#include <filesystem>

#include "host/vidu/call_key.hpp"
#include "host/vidu/client_impl.hpp"
#include "host/vidu/request.hpp"

namespace reel::vidu {

namespace {

constexpr double kOwnerPollSeconds = 0.5;  // how often a call owned elsewhere is looked at

std::optional<TaskState> running_state(const std::string& s) {
  if (s == "created") return TaskState::created;
  if (s == "queueing") return TaskState::queueing;
  if (s == "processing") return TaskState::processing;
  if (s == "success") return TaskState::success;
  return std::nullopt;
}

// The failure a failed row stands for, said again in this run.
Failure recorded_failure(const journal::Call& call, const std::string& name) {
  const std::string& e = call.err_code;
  const std::string code = e == "UserCancelled"       ? "Cancelled"
                           : e.rfind("Result", 0) == 0 ? e
                                                       : "TaskFailed";
  return Failure{code,
                 "task " + call.task_id + " (" + name + ") failed in an earlier run (" +
                     (e.empty() ? "no error code" : e) +
                     "); the journal does not pay for it again by itself: pass retry_failed = "
                     "true (or --retry-failed) to create a new task",
                 "", e, 0, false};
}

}  // namespace

void Client::Impl::queue_create(Job& j) {
  create_queue.push_back(j.handle);
  kick();
}

void Client::Impl::open_call(Job& j) {
  const Submission& s = j.submission;
  journal::Call proposed;
  proposed.key = s.key;
  proposed.script = s.script;
  proposed.shot = j.info.name;
  proposed.kind = kind_name(s.endpoint);
  proposed.model = j.info.model;
  proposed.request = s.canonical;
  proposed.dialect = config.dialect == Dialect::vtrix ? "vtrix" : "vidu";
  proposed.base_url = base();
  proposed.payload = j.tag;
  journal::Journal::Claim claim;
  try {
    claim = journal->claim(proposed, owner);
  } catch (const std::exception& e) {
    // Unrecorded, a crash could pay twice: nothing is sent.
    fail(j, {"JournalFailed",
             kind_label(j) + " was not sent: the journal " + journal->path() +
                 " cannot record it (" + e.what() + "); fix that, or choose another with --journal",
             "", "", 0, false});
    return;
  }
  if (claim.inserted) {
    j.call_id = claim.call.id;  // from now on this run owns the row
    j.recorded_state = claim.call.state;
    queue_create(j);
    return;
  }
  resume_call(j, claim.call.id);
}

void Client::Impl::resume_call(Job& j, int64_t call_id) {
  std::optional<journal::Call> call;
  try {
    if (journal->take_over(call_id, owner, journal::owner_alive)) call = journal->get(call_id);
  } catch (const std::exception& e) {
    fail(j, {"JournalFailed",
             kind_label(j) + ": the journal " + journal->path() + " cannot be read (" + e.what() +
                 "); nothing was sent",
             "", "", 0, false});
    return;
  }
  if (!call) {
    // Another reel process runs this very call: wait until it lets go, then
    // take what it leaves (usually the finished clip).
    const uint64_t handle = j.handle;
    after(kOwnerPollSeconds, [this, handle, call_id] { resume_call(job(handle), call_id); });
    return;
  }
  j.call_id = call_id;  // taken over: this run owns the row now
  j.recorded_state = call->state;
  j.recorded_task = call->task_id;
  j.recorded_credits = call->credits ? std::optional<int>(static_cast<int>(*call->credits))
                                     : std::nullopt;
  const auto recreate = [&] {
    try {
      journal->reset(call->id, owner, j.tag);
    } catch (const std::exception& e) {
      journal_trouble(e);
      fail(j, {"JournalFailed", kind_label(j) + " was not sent: the journal cannot record it", "",
               "", 0, false});
      return;
    }
    j.recorded_state = "submitting";
    j.recorded_credits.reset();
    queue_create(j);
  };
  if (j.submission.fresh) {
    recreate();
    return;
  }
  const std::string& state = call->state;
  if (state == "submitting") {
    // Claimed by a run that stopped before sending: its tag is as good as any.
    j.tag = call->payload;
    if (!j.user_payload) j.submission.body["payload"] = j.tag;
    queue_create(j);
    return;
  }
  if (state == "sending") {
    // The create may have made a task whose answer never came home.
    j.tag = call->payload;
    if (!j.user_payload) j.submission.body["payload"] = j.tag;
    j.sent_unix = call->created_at;
    j.create_rounds = 1;
    lost_answer(j, "the run that sent it stopped before its answer arrived");
    return;
  }
  if (state == "failed") {
    if (call->task_id.empty() || j.submission.retry_failed) {
      recreate();  // no task was made before, or the user pays for a new one
      return;
    }
    j.info.id = call->task_id;
    j.info.replayed = true;
    fail(j, recorded_failure(*call, j.info.name));
    return;
  }
  const auto remote = running_state(state);
  if (!remote || call->task_id.empty()) {
    recreate();  // a state this reel does not know: nothing to follow
    return;
  }
  j.info.replayed = true;
  if (call->credits) j.info.credits = static_cast<int>(*call->credits);
  if (*remote == TaskState::success && !call->file.empty()) {
    replay_clip(j, *call);
    return;
  }
  follow(j, call->task_id, *remote);
}

void Client::Impl::follow(Job& j, const std::string& task_id, TaskState state) {
  j.info.id = task_id;
  j.info.state = state;
  j.info.state_since = now();
  adopted.insert(task_id);
  j.submission.body = nlohmann::json();  // only the create needs it
  j.submission.files.clear();
  schedule(j, 0);
}

// A recorded clip counts only if its file is still the one downloaded; the
// checksum is read on the thread pool (clips are megabytes).
void Client::Impl::replay_clip(Job& j, const journal::Call& call) {
  struct Work {
    uv_work_t req{};
    Impl* self;
    uint64_t handle;
    std::weak_ptr<bool> alive;
    journal::Call call;
    bool intact = false;
  };
  auto* w = new Work{{}, this, j.handle, alive, call, false};
  w->req.data = w;
  uv_queue_work(
      loop.get(), &w->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        std::error_code ec;
        try {
          w->intact = std::filesystem::is_regular_file(w->call.file, ec) &&
                      file_sha256(w->call.file) == w->call.file_sha256;
        } catch (const std::exception&) {
          w->intact = false;  // unreadable: fetched again
        }
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        if (auto a = w->alive.lock(); !a || !*a) return;
        Impl& self = *w->self;
        Job& j = self.job(w->handle);
        const journal::Call& c = w->call;
        if (!w->intact) {
          self.follow(j, c.task_id, TaskState::success);
          return;
        }
        Clip clip;
        clip.path = c.file;
        // Said as this run would say it when the file is where it would put it.
        const std::string& out_dir =
            j.submission.out_dir.empty() ? self.config.out_dir : j.submission.out_dir;
        const auto here = std::filesystem::path(out_dir) / std::filesystem::path(c.file).filename();
        std::error_code ec;
        if (std::filesystem::absolute(here, ec).lexically_normal() ==
            std::filesystem::path(c.file).lexically_normal())
          clip.path = here.string();
        clip.url = c.url;
        clip.cover_url = c.cover_url;
        clip.creation_id = c.creation_id;
        clip.task_id = c.task_id;
        clip.credits = static_cast<int>(c.credits.value_or(0));
        clip.duration = c.duration;
        clip.width = c.width;
        clip.height = c.height;
        clip.fps = c.fps;
        clip.sha256 = c.file_sha256;
        j.info.id = c.task_id;
        j.info.state = TaskState::success;
        j.info.clip = std::move(clip);
        self.adopted.insert(c.task_id);
        self.release_call(j);
        self.notify(j);
      });
}

// A task the journal holds for another call is not this call's, whatever
// payload it carries (a script may give many calls one payload).
bool Client::Impl::known_elsewhere(const Job& j, const std::string& task_id) {
  if (journal == nullptr) return false;
  try {
    auto other = journal->find_task(task_id);
    return other && other->id != j.call_id;
  } catch (const std::exception&) {
    return false;
  }
}

// --- recording ------------------------------------------------------------------

void Client::Impl::journal_trouble(const std::exception& e) {
  if (journal_warned) return;
  journal_warned = true;
  std::fprintf(stderr, "reel: warning: the journal %s cannot record (%s); a run after a crash may "
               "have to look tasks up by their payload tag\n",
               journal->path().c_str(), e.what());
}

// Before the create leaves: from here on a run after a crash looks for the
// task before creating another.
void Client::Impl::record_sending(Job& j) {
  if (j.call_id == 0 || j.recorded_state == "sending") return;
  journal->set_state(j.call_id, "sending", "", std::nullopt);  // throws: the caller sends nothing
  j.recorded_state = "sending";
}

// The task id (first time), the state and credits, and a success's result
// URLs: one transaction.
void Client::Impl::record_state(Job& j) {
  if (j.call_id == 0) return;
  const std::string state = state_name(j.info.state);
  const bool new_task = j.recorded_task != j.info.id;
  if (!new_task && state == j.recorded_state && j.info.credits == j.recorded_credits) return;
  try {
    journal::Journal::Batch batch(*journal);
    if (new_task) journal->set_task(j.call_id, j.info.id);
    journal->set_state(j.call_id, state, j.info.err_code,
                       j.info.credits ? std::optional<int64_t>(*j.info.credits) : std::nullopt);
    if (j.info.state == TaskState::success && !j.last.creations.empty()) {
      const Creation& c = j.last.creations.front();
      journal->set_result(j.call_id, c.url, c.cover_url, c.id);
    }
    batch.commit();
    j.recorded_task = j.info.id;
    j.recorded_state = state;
    j.recorded_credits = j.info.credits;
  } catch (const std::exception& e) {
    journal_trouble(e);
  }
}

// The verified file, and the row let go: this call is done.
void Client::Impl::record_clip(Job& j) {
  if (j.call_id == 0 || !j.info.clip) return;
  const Clip& c = *j.info.clip;
  try {
    journal::Journal::Batch batch(*journal);
    journal->set_file(j.call_id, std::filesystem::absolute(c.path).string(), c.sha256, c.duration,
                      c.width, c.height, c.fps);
    journal->release(j.call_id);
    batch.commit();
  } catch (const std::exception& e) {
    journal_trouble(e);
  }
}

// What a failure leaves in the journal decides the next run: a verdict on
// the task (it failed remotely, or its result is bad) is final until the
// user asks again; a create that made no task is simply made next time; a
// failure to follow or fetch leaves the task's last state, to be followed
// again; a create whose fate is unknown stays "sending", to be looked up.
void Client::Impl::record_failure(Job& j) {
  if (j.call_id == 0) return;
  if (j.recorded_state == "failed") {  // said already (remotely, or by an earlier run)
    release_call(j);
    return;
  }
  const Failure& f = *j.info.failure;
  const bool verdict = f.code == "TaskFailed" || f.code == "Cancelled" ||
                       f.code.rfind("Result", 0) == 0;
  const bool no_task = j.info.id.empty() && f.code != "CreateUnconfirmed";
  if (verdict || no_task) {
    try {
      journal->set_state(j.call_id, "failed", verdict && !f.err_code.empty() ? f.err_code : f.code,
                         j.info.credits ? std::optional<int64_t>(*j.info.credits) : std::nullopt);
      j.recorded_state = "failed";
    } catch (const std::exception& e) {
      journal_trouble(e);
    }
  }
  release_call(j);
}

void Client::Impl::release_call(Job& j) {
  if (j.call_id == 0) return;
  try {
    journal->release(j.call_id);
  } catch (const std::exception& e) {
    journal_trouble(e);
  }
}

}  // namespace reel::vidu
