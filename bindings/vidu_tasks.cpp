// The vidu module's remote part (DESIGN.md, the Lua API): vidu.text2video{}
// and the other create calls, vidu.task(ID), vidu.credits(), and the Task and
// Clip objects (the progress board is bindings/vidu_progress.cpp, --plan's
// lines bindings/vidu_plan.cpp). host/vidu's Client does the work on the event loop; this file
// only turns its tasks into Lua objects and its changes into wake-ups of the
// fibers waiting on them (callbacks never resume Lua themselves).
//
// Settings come from the environment, which reel's command line fills
// (host/vidu/settings.hpp).
#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bindings/error_object.hpp"
#include "bindings/lua_cli.hpp"
#include "bindings/scheduler.hpp"
#include "bindings/vidu_plan.hpp"
#include "bindings/vidu_progress.hpp"
#include "bindings/vidu_request.hpp"
#include "host/journal/journal.hpp"
#include "host/vidu/call_key.hpp"
#include "host/vidu/client.hpp"
#include "host/vidu/progress.hpp"
#include "host/vidu/settings.hpp"

namespace reel::lua {

namespace {

constexpr const char* kTaskMetatable = "vidu.Task";
constexpr const char* kSessionMetatable = "vidu.Session";
constexpr const char* kSessionKey = "reel.vidu.session";  // the registry slot of the one session
constexpr const char* kPendingMetatable = "vidu.Pending";
constexpr double kDefaultTimeout = 900;  // seconds of processing, DESIGN.md's example

double now() {
  return static_cast<double>(uv_hrtime()) / 1e9;
}

// --- the session: one client per Lua state, made at the first remote call ---

class Session {
 public:
  Session(Scheduler& scheduler, const vidu::ClientConfig& config,
          std::shared_ptr<vidu::Progress> progress, std::unique_ptr<journal::Journal> journal,
          std::string script)
      : scheduler_(scheduler),
        progress_(std::move(progress)),
        journal_(std::move(journal)),
        client_(scheduler.loop(), config, progress_.get(), journal_.get()),
        script_(std::move(script)) {
    client_.on_change([this](uint64_t task) { changed(task); });
  }

  // Tasks that are still running remotely when the state closes are said,
  // so nobody loses track of what they paid for.
  ~Session() {
    std::string ids;
    int n = 0;
    for (const uint64_t h : submitted_) {
      const vidu::TaskInfo& i = client_.task(h);
      if (i.finished() || i.id.empty()) continue;
      ids += (n++ > 0 ? ", " : "") + i.id;
    }
    if (n > 0) {
      std::fprintf(stderr,
                   "reel: %d task%s still running remotely (%s); vidu.task(ID):wait() picks "
                   "one up\n",
                   n, n > 1 ? "s" : "", ids.c_str());
    }
  }

  vidu::Client& client() { return client_; }
  Scheduler& scheduler() { return scheduler_; }
  void track(uint64_t task) { submitted_.push_back(task); }

  // The name of the task this run follows under remote id `id` ("" if none).
  std::string task_name(const std::string& id) const {
    for (const uint64_t h : submitted_)
      if (!id.empty() && client_.task(h).id == id) return client_.task(h).name;
    return "";
  }

  // The journal key of a call: what it belongs to (the script and the server
  // it talks to: a clip made by the simulator is never a real one), its
  // canonical request, and how many identical calls this run made before it.
  // The server is its service id when it has one (--sim: the simulator's
  // folder, stable across runs, unlike its port), else its base URL.
  std::string call_key(const std::string& canonical) {
    const vidu::ClientConfig& c = client_.config();
    std::string server = c.service.empty() ? c.base_url : c.service;
    while (!server.empty() && server.back() == '/') server.pop_back();
    const std::string owner =
        script_ + "\n" + (c.dialect == vidu::Dialect::vtrix ? "vtrix " : "vidu ") + server;
    return vidu::call_key(owner, canonical, ++occurrences_[canonical]);
  }
  const std::string& script() const { return script_; }

  // Wakes `w` when the task finishes or changes state.
  void wait_for(uint64_t task, Wake w) { waiters_[task].push_back({w, client_.task(task).state}); }

 private:
  struct Waiting {
    Wake wake;
    vidu::TaskState state;
  };

  void changed(uint64_t task) {
    auto it = waiters_.find(task);
    if (it == waiters_.end()) return;
    const vidu::TaskInfo& info = client_.task(task);
    std::vector<Waiting> still;
    for (const Waiting& w : it->second) {
      if (info.finished() || info.state != w.state)
        scheduler_.wake(w.wake);
      else
        still.push_back(w);
    }
    if (still.empty())
      waiters_.erase(it);
    else
      it->second = std::move(still);
  }

  Scheduler& scheduler_;
  std::shared_ptr<vidu::Progress> progress_;   // outlives the client, which reports to it
  std::unique_ptr<journal::Journal> journal_;  // likewise
  vidu::Client client_;
  std::string script_;
  std::unordered_map<std::string, int> occurrences_;  // canonical request -> calls so far
  std::unordered_map<uint64_t, std::vector<Waiting>> waiters_;
  std::vector<uint64_t> submitted_;
};

int session_gc(lua_State* L) {
  auto** s = static_cast<Session**>(luaL_checkudata(L, 1, kSessionMetatable));
  delete *s;
  *s = nullptr;
  return 0;
}

int raise_setting(lua_State* L, const vidu::SettingError& e) {
  ErrorInfo info;
  info.code = e.code();
  info.message = e.what();
  return raise_error(L, info);
}

Session& session(lua_State* L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, kSessionKey) == LUA_TUSERDATA) {
    auto** s = static_cast<Session**>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return **s;
  }
  lua_pop(L, 1);
  vidu::ClientConfig config;
  try {
    config = vidu::client_config_from_env();
  } catch (const vidu::SettingError& e) {
    raise_setting(L, e);
  }
  std::unique_ptr<journal::Journal> journal;
  try {
    journal = std::make_unique<journal::Journal>(vidu::journal_path_from_env());
  } catch (const journal::JournalError& e) {
    raise_setting(L, vidu::SettingError("JournalFailed", e.what()));
  }
  std::string script = "(interactive)";
  if (lua_getfield(L, LUA_REGISTRYINDEX, kScriptKey) == LUA_TSTRING) script = lua_tostring(L, -1);
  lua_pop(L, 1);
  // The board first: it is then finalized after the session.
  std::shared_ptr<vidu::Progress> progress = progress_board(L);

  auto** slot = static_cast<Session**>(lua_newuserdatauv(L, sizeof(Session*), 0));
  *slot = nullptr;
  if (luaL_newmetatable(L, kSessionMetatable)) {
    lua_pushcfunction(L, session_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  *slot = new Session(Scheduler::from(L), config, std::move(progress), std::move(journal),
                      std::move(script));
  lua_setfield(L, LUA_REGISTRYINDEX, kSessionKey);
  return **slot;
}

// --- errors ------------------------------------------------------------------

// `shot`: the task's name, so that the error names the shot it belongs to.
int raise_failure(lua_State* L, const vidu::Failure& f, const std::string& task_id,
                  const std::string& shot = "") {
  ErrorInfo info;
  info.code = f.code;
  info.message = f.message;
  info.field = f.field;
  info.retryable = f.retryable;
  push_error(L, info);
  if (f.http_status != 0) {
    lua_pushinteger(L, f.http_status);
    lua_setfield(L, -2, "http_status");
  }
  if (!task_id.empty()) {
    lua_pushstring(L, task_id.c_str());
    lua_setfield(L, -2, "task_id");
  }
  if (!f.err_code.empty()) {
    lua_pushstring(L, f.err_code.c_str());
    lua_setfield(L, -2, "err_code");
  }
  if (!shot.empty()) {
    lua_pushstring(L, shot.c_str());
    lua_setfield(L, -2, "shot");
  }
  // DESIGN.md: exit status 3 when the script ends on a failed remote task.
  if (f.code == "TaskFailed" || f.code.rfind("Result", 0) == 0) {
    lua_pushinteger(L, kExitRemoteFailure);
    lua_setfield(L, -2, "exit_status");
  }
  return lua_error(L);
}

// --- waiting on a callback ---------------------------------------------------

// The outcome of a client call a fiber waits for. The callback may run before
// the fiber has suspended (answers known at once); then there is nothing to
// wake and the call returns directly.
struct Pending {
  bool done = false;
  std::optional<vidu::Failure> failure;
  std::optional<vidu::Balance> balance;
  Scheduler* scheduler = nullptr;
  Wake wake;

  void complete() {
    done = true;
    if (wake.fiber != nullptr) scheduler->wake(wake);
  }
};

// A userdata holding the Pending on the fiber's stack while it waits.
std::shared_ptr<Pending> push_pending(lua_State* L) {
  auto* box = new (lua_newuserdatauv(L, sizeof(std::shared_ptr<Pending>), 0))
      std::shared_ptr<Pending>(std::make_shared<Pending>());
  if (luaL_newmetatable(L, kPendingMetatable)) {
    lua_pushcfunction(L, [](lua_State* L) {
      static_cast<std::shared_ptr<Pending>*>(lua_touserdata(L, 1))->~shared_ptr();
      return 0;
    });
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  (*box)->scheduler = &Scheduler::from(L);
  return *box;
}

Pending& pending_at(lua_State* L, int index) {
  return **static_cast<std::shared_ptr<Pending>*>(luaL_checkudata(L, index, kPendingMetatable));
}

// Suspends the running fiber until `p` completes, then calls `k`.
int await(lua_State* L, Pending& p, Fiber* self, lua_KFunction k) {
  if (p.done) return k(L, LUA_OK, 0);
  p.wake = p.scheduler->suspend(self);
  return lua_yieldk(L, 0, 0, k);
}

// --- Task ----------------------------------------------------------------------

struct TaskBox {
  uint64_t handle;
};

TaskBox& check_task(lua_State* L, int index) {
  return *static_cast<TaskBox*>(luaL_checkudata(L, index, kTaskMetatable));
}

void push_task(lua_State* L, uint64_t handle) {
  auto* box = static_cast<TaskBox*>(lua_newuserdatauv(L, sizeof(TaskBox), 1));
  box->handle = handle;
  luaL_setmetatable(L, kTaskMetatable);
}

// The Clip of a finished task, made once and kept as the Task's user value so
// that t.clip == t:wait().
int push_clip(lua_State* L, int task_index, const vidu::Clip& c) {
  if (lua_getiuservalue(L, task_index, 1) == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  lua_createtable(L, 0, 10);
  const auto set_string = [L](const char* key, const std::string& v) {
    lua_pushstring(L, v.c_str());
    lua_setfield(L, -2, key);
  };
  set_string("path", c.path);
  set_string("url", c.url);
  set_string("cover_url", c.cover_url);
  if (!c.creation_id.empty()) set_string("creation_id", c.creation_id);
  set_string("task_id", c.task_id);
  lua_pushinteger(L, c.credits);
  lua_setfield(L, -2, "credits");
  lua_pushnumber(L, c.duration);
  lua_setfield(L, -2, "duration");
  lua_pushinteger(L, c.width);
  lua_setfield(L, -2, "width");
  lua_pushinteger(L, c.height);
  lua_setfield(L, -2, "height");
  lua_pushnumber(L, c.fps);
  lua_setfield(L, -2, "fps");
  lua_getfield(L, LUA_REGISTRYINDEX, kClipClassKey);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, task_index, 1);
  return 1;
}

const char* visible_state(const vidu::TaskInfo& i) {
  return i.failure ? "failed" : vidu::state_name(i.state);
}

int task_index(lua_State* L) {
  const TaskBox& box = check_task(L, 1);
  const std::string key = luaL_checkstring(L, 2);
  const vidu::TaskInfo& i = session(L).client().task(box.handle);
  if (key == "id") {
    i.id.empty() ? lua_pushnil(L) : static_cast<void>(lua_pushstring(L, i.id.c_str()));
  } else if (key == "state") {
    lua_pushstring(L, visible_state(i));
  } else if (key == "kind") {
    i.endpoint ? static_cast<void>(lua_pushstring(L, vidu::kind_name(*i.endpoint)))
               : lua_pushnil(L);
  } else if (key == "model") {
    i.model.empty() ? lua_pushnil(L) : static_cast<void>(lua_pushstring(L, i.model.c_str()));
  } else if (key == "name") {
    lua_pushstring(L, i.name.c_str());
  } else if (key == "credits") {
    i.credits ? lua_pushinteger(L, *i.credits) : lua_pushnil(L);
  } else if (key == "replayed") {
    lua_pushboolean(L, i.replayed);  // the journal had it: no create in this run
  } else if (key == "clip") {
    i.clip ? static_cast<void>(push_clip(L, 1, *i.clip)) : lua_pushnil(L);
  } else if (key == "error") {
    if (!i.failure) {
      lua_pushnil(L);
    } else {
      // Built like a raised one, without raising.
      ErrorInfo info{i.failure->code, i.failure->message, i.failure->field, "",
                     i.failure->retryable};
      push_error(L, info);
      if (!i.id.empty()) {
        lua_pushstring(L, i.id.c_str());
        lua_setfield(L, -2, "task_id");
      }
      lua_pushstring(L, i.name.c_str());
      lua_setfield(L, -2, "shot");
    }
  } else {
    // Methods.
    luaL_getmetatable(L, kTaskMetatable);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, key.c_str());
  }
  return 1;
}

int task_tostring(lua_State* L) {
  const TaskBox& box = check_task(L, 1);
  const vidu::TaskInfo& i = session(L).client().task(box.handle);
  lua_pushfstring(L, "vidu.Task(%s, %s%s%s, %s)", i.name.c_str(),
                  i.model.empty() ? "" : (i.model + " ").c_str(), i.id.empty() ? "" : "task ",
                  i.id.c_str(), visible_state(i));
  return 1;
}

// t:wait{timeout = seconds of processing (900), queue_timeout = seconds queued
// (none)} -> Clip. The stack holds t, opts, timeout, queue_timeout across
// suspensions.
int wait_step(lua_State* L);

int wait_k(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  return wait_step(L);
}

double option_seconds(lua_State* L, const char* key, double fallback) {
  lua_getfield(L, 2, key);
  double v = fallback;
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) > 0))
      luaL_error(L, "task:wait: %s must be a number of seconds > 0, got %s", key,
                 luaL_tolstring(L, -1, nullptr));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

int task_wait(lua_State* L) {
  check_task(L, 1);
  double timeout = kDefaultTimeout;
  double queue_timeout = 0;  // 0: no limit
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      lua_pop(L, 1);
      const char* k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
      if (std::strcmp(k, "timeout") != 0 && std::strcmp(k, "queue_timeout") != 0)
        return luaL_error(L, "task:wait: unknown option \"%s\" (timeout, queue_timeout)", k);
    }
    timeout = option_seconds(L, "timeout", timeout);
    queue_timeout = option_seconds(L, "queue_timeout", 0);
  }
  lua_settop(L, 2);
  lua_pushnumber(L, timeout);
  lua_pushnumber(L, queue_timeout);
  return wait_step(L);
}

int wait_step(lua_State* L) {
  const TaskBox& box = check_task(L, 1);
  const double timeout = lua_tonumber(L, 3);
  const double queue_timeout = lua_tonumber(L, 4);
  Session& s = session(L);
  const vidu::TaskInfo& i = s.client().task(box.handle);
  if (i.clip) return push_clip(L, 1, *i.clip);
  if (i.failure) return raise_failure(L, *i.failure, i.id, i.name);

  const double in_state = now() - i.state_since;
  const bool processing = i.state == vidu::TaskState::processing;
  const bool queued = i.state == vidu::TaskState::created || i.state == vidu::TaskState::queueing;
  const double ran = i.processing_for + (processing ? in_state : 0);
  const double waited = i.queued_for + (queued ? in_state : 0);
  const bool run_over = ran >= timeout;
  if (run_over || (queue_timeout > 0 && waited >= queue_timeout)) {
    char text[96];
    std::snprintf(text, sizeof text,
                  run_over ? " has been processing for %.1f s, past wait{timeout=%g}"
                           : " has been queued for %.1f s, past wait{queue_timeout=%g}",
                  run_over ? ran : waited, run_over ? timeout : queue_timeout);
    vidu::Failure f{"Timeout",
                    "task " + (i.id.empty() ? i.name : i.id + " (" + i.name + ")") + text +
                        "; it is still running remotely: wait again, or cancel it with t:cancel()",
                    "",
                    "",
                    0,
                    true};
    s.client().mark_timed_out(box.handle, f);
    return raise_failure(L, f, i.id, i.name);
  }

  Fiber* self = running_fiber(L, "task:wait");
  Scheduler& sched = s.scheduler();
  const Wake w = sched.suspend(self);
  s.wait_for(box.handle, w);
  // Wake at the deadline that applies in this state; a change of state
  // wakes the fiber anyway and the deadline is worked out again.
  const double left = processing                    ? timeout - ran
                      : queued && queue_timeout > 0 ? queue_timeout - waited
                                                    : -1;
  if (left > 0) {
    Scheduler* sp = &sched;
    sched.loop().after(static_cast<uint64_t>(std::ceil(left * 1000)) + 1, [sp, w] { sp->wake(w); });
  }
  return lua_yieldk(L, 0, 0, wait_k);
}

// t:cancel() -> true; raises the API's refusal as a vidu.Error.
int cancel_k(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  Pending& p = pending_at(L, -1);
  if (p.failure) {
    const TaskBox& box = check_task(L, 1);
    return raise_failure(L, *p.failure, session(L).client().task(box.handle).id);
  }
  lua_pushboolean(L, 1);
  return 1;
}

int task_cancel(lua_State* L) {
  const TaskBox& box = check_task(L, 1);
  Fiber* self = running_fiber(L, "task:cancel");
  lua_settop(L, 1);
  std::shared_ptr<Pending> p = push_pending(L);
  session(L).client().cancel(box.handle, [p](std::optional<vidu::Failure> f) {
    p->failure = std::move(f);
    p->complete();
  });
  return await(L, *p, self, cancel_k);
}

// --- module functions ----------------------------------------------------------

// What the result should last: extend adds to its source (when its length is
// known: a local file or a Clip), the others last their duration (0: auto).
double expected_duration(lua_State* L, const CheckedRequest& r) {
  const int seconds = r.checked.duration;
  if (r.request.endpoint != vidu::Endpoint::extend) return seconds;
  for (size_t i = 0; i < r.request.inputs.size(); ++i)
    if (r.request.inputs[i].use == "extend" && i < r.facts.size())
      return r.facts[i].duration + seconds;
  lua_getfield(L, 1, "video");
  double source = 0;
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "duration");
    source = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return source > 0 ? source + seconds : 0;
}

int submit_checked(lua_State* L, CheckedRequest& r) {
  if (!r.checked.errors.empty()) {
    push_errors(L, r.checked.errors);
    return lua_error(L);
  }
  Session& s = session(L);
  if (!vidu::quiet_from_env()) {
    for (const auto& w : r.checked.warnings)
      std::fprintf(stderr, "reel: warning: %s\n", w.message.c_str());
  }
  vidu::Submission sub;
  sub.endpoint = r.request.endpoint;
  sub.name = r.request.name;
  sub.expected_duration = expected_duration(L, r);
  sub.estimate = r.checked.credits.value_or(0);
  for (size_t i = 0; i < r.request.inputs.size() && i < r.facts.size(); ++i) {
    const vidu::LocalInput& in = r.request.inputs[i];
    sub.files.push_back({in.pointer, in.path, r.facts[i].mime, r.facts[i].sha256});
    // The placeholder is as long as the file's Base64 (for the size rules);
    // the task keeps its body until created, so keep it short.
    r.request.body[nlohmann::json::json_pointer(in.pointer)] = "";
  }
  sub.body = std::move(r.request.body);
  sub.canonical = vidu::canonical_request(sub.endpoint, sub.body, sub.files);
  sub.key = s.call_key(sub.canonical);
  sub.script = s.script();
  sub.fresh = r.request.fresh;
  sub.retry_failed = r.request.retry_failed || vidu::retry_failed_from_env();
  sub.out_dir = r.request.out;
  const uint64_t handle = s.client().submit(std::move(sub));
  s.track(handle);
  if (planning()) {
    const vidu::TaskInfo& info = s.client().task(handle);
    print_plan_line(L, 1, info.name, vidu::kind_name(r.request.endpoint), info.model,
                    r.checked.credits.value_or(0),
                    [&s](const std::string& id) { return s.task_name(id); });
  }
  push_task(L, handle);
  return 1;
}

// vidu.text2video{...} & co.: upvalue 1 is the endpoint.
int create(lua_State* L) {
  const auto endpoint = static_cast<vidu::Endpoint>(lua_tointeger(L, lua_upvalueindex(1)));
  const std::string who = std::string("vidu.") + vidu::kind_name(endpoint);
  if (!lua_istable(L, 1))
    return luaL_error(L, "%s: expected a table of options, got %s", who.c_str(),
                      luaL_typename(L, 1));
  lua_settop(L, 1);
  return check_request(L, endpoint, 1, who.c_str(), dialect_setting(L), submit_checked);
}

// vidu.task(ID) -> Task
int task(lua_State* L) {
  const std::string id = luaL_checkstring(L, 1);
  bool ok = !id.empty() && id.size() <= 128;
  for (const char c : id)
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '-' || c == '_');
  if (!ok)
    return luaL_argerror(L, 1, "a task id is letters, digits, '-' and '_' (as the API returns it)");
  Session& s = session(L);
  const uint64_t handle = s.client().attach(id);
  s.track(handle);
  push_task(L, handle);
  return 1;
}

// vidu.credits() -> total, { {type=, credit_remain=, concurrency_limit=, ...}, ... }
int credits_k(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  Pending& p = pending_at(L, -1);
  if (p.failure) return raise_failure(L, *p.failure, "");
  lua_pushinteger(L, p.balance->total);
  lua_createtable(L, static_cast<int>(p.balance->entries.size()), 0);
  lua_Integer n = 0;
  for (const auto& e : p.balance->entries) {
    lua_createtable(L, 0, 5);
    lua_pushstring(L, e.type.c_str());
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, e.credit_remain);
    lua_setfield(L, -2, "credit_remain");
    lua_pushinteger(L, e.concurrency_limit);
    lua_setfield(L, -2, "concurrency_limit");
    lua_pushinteger(L, e.current_concurrency);
    lua_setfield(L, -2, "current_concurrency");
    lua_pushinteger(L, e.queue_count);
    lua_setfield(L, -2, "queue_count");
    lua_rawseti(L, -2, ++n);
  }
  return 2;
}

int credits(lua_State* L) {
  Fiber* self = running_fiber(L, "vidu.credits");
  lua_settop(L, 0);
  std::shared_ptr<Pending> p = push_pending(L);
  session(L).client().credits([p](std::optional<vidu::Balance> b, std::optional<vidu::Failure> f) {
    p->balance = std::move(b);
    p->failure = std::move(f);
    p->complete();
  });
  return await(L, *p, self, credits_k);
}

// Clip methods are plain Lua over the media module.
constexpr const char* kClipClass = R"lua(
local Clip = {}
Clip.__index = Clip
Clip.__name = "vidu.Clip"
local function frame(self, at, suffix, opts)
  local out = opts and opts.out or (self.path:gsub("%.mp4$", "") .. suffix)
  return media.frame(self.path, { at = at, out = out })
end
function Clip:first_frame(opts) return frame(self, "first", "-first.png", opts) end
function Clip:last_frame(opts) return frame(self, "last", "-last.png", opts) end
function Clip:__tostring()
  return ("vidu.Clip(%s, %.2f s, %dx%d)"):format(self.path, self.duration, self.width, self.height)
end
return Clip
)lua";

}  // namespace

void add_task_functions(lua_State* L) {
  struct Kind {
    const char* name;
    vidu::Endpoint endpoint;
  };
  constexpr Kind kKinds[] = {
      {"text2video", vidu::Endpoint::text2video},
      {"img2video", vidu::Endpoint::img2video},
      {"start_end", vidu::Endpoint::start_end2video},
      {"reference", vidu::Endpoint::reference2video},
      {"extend", vidu::Endpoint::extend},
      {"multiframe", vidu::Endpoint::multiframe},
  };
  for (const Kind& k : kKinds) {
    lua_pushinteger(L, static_cast<lua_Integer>(k.endpoint));
    lua_pushcclosure(L, create, 1);
    lua_setfield(L, -2, k.name);
  }
  lua_pushcfunction(L, task);
  lua_setfield(L, -2, "task");
  lua_pushcfunction(L, credits);
  lua_setfield(L, -2, "credits");
  lua_pushcfunction(L, script_progress);
  lua_setfield(L, -2, "progress");

  luaL_newmetatable(L, kTaskMetatable);
  lua_pushcfunction(L, task_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, task_tostring);
  lua_setfield(L, -2, "__tostring");
  const luaL_Reg methods[] = {{"wait", task_wait}, {"cancel", task_cancel}, {nullptr, nullptr}};
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  // The fields task_index answers, listed for the REPL's completion.
  constexpr const char* kFields[] = {"id",      "state",    "kind", "model", "name",
                                     "credits", "replayed", "clip", "error"};
  lua_createtable(L, static_cast<int>(std::size(kFields)), 0);
  for (size_t i = 0; i < std::size(kFields); ++i) {
    lua_pushstring(L, kFields[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, "fields");
  lua_setfield(L, -2, "Task");

  if (luaL_loadstring(L, kClipClass) != LUA_OK) lua_error(L);
  lua_call(L, 0, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kClipClassKey);
  lua_setfield(L, -2, "Clip");
}

}  // namespace reel::lua
