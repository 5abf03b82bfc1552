// `reel tasks`: the calls the journal holds, one of them in full, and the
// cancel of a remote task. Built into reel_vidu.so (SQLite, and libcurl to
// cancel) and reached through host/plugin.
//
// Exit status: 0 done (a missing or empty journal lists as nothing), 1 when
// the journal holds no such ID, cannot be read, or a cancel is refused or
// fails; 2 (usage) is commands.cpp's. An unknown ID is 1, not 2: the command
// line was well formed, the journal just does not hold it.
#include "host/cli/tasks_command.hpp"

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/journal/journal.hpp"
#include "host/net/event_loop.hpp"
#include "host/vidu/client.hpp"
#include "host/vidu/settings.hpp"

namespace reel::cli {

namespace {

namespace fs = std::filesystem;
using journal::Call;
using journal::Journal;
using Json = nlohmann::ordered_json;  // fields in struct Call's order

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
// How long a cancel may wait for the API, in all: a person is waiting.
constexpr uint64_t kCancelDeadlineMs = 30000;

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

// "12 s", "3 m", "2 h", "5 d": whole units, rounded down.
std::string age(double seconds) {
  const long s = static_cast<long>(std::max(0.0, seconds));
  char text[32];
  if (s < 60)
    std::snprintf(text, sizeof text, "%ld s", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%ld m", s / 60);
  else if (s < 86400)
    std::snprintf(text, sizeof text, "%ld h", s / 3600);
  else
    std::snprintf(text, sizeof text, "%ld d", s / 86400);
  return text;
}

// Local time, to the second.
std::string clock_time(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const time_t t = static_cast<time_t>(unix_seconds);
  tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string state_text(const Call& c) {
  return c.err_code.empty() ? c.state : c.state + " (" + c.err_code + ")";
}

std::string credits_text(const std::optional<int64_t>& credits) {
  return credits ? std::to_string(*credits) : "-";
}

// The recorded request is "<endpoint> <JSON body>" (host/vidu/call_key):
// the endpoint ("" when there is none) and the body, null when it is not JSON.
std::pair<std::string, Json> split_request(const std::string& request) {
  const auto space = request.find(' ');
  const bool bare = request.empty() || request.front() == '{' || space == std::string::npos;
  Json body = Json::parse(bare ? request : request.substr(space + 1), nullptr, false);
  if (body.is_discarded()) body = nullptr;
  return {bare ? "" : request.substr(0, space), body};
}

// Every column, under struct Call's names, as recorded; times as Unix
// seconds. request_body adds the request's body as JSON (for jq and the like).
Json to_json(const Call& c) {
  return Json{{"id", c.id},
              {"key", c.key},
              {"script", c.script},
              {"shot", c.shot},
              {"kind", c.kind},
              {"model", c.model},
              {"request", c.request},
              {"request_body", split_request(c.request).second},
              {"dialect", c.dialect},
              {"base_url", c.base_url},
              {"payload", c.payload},
              {"task_id", c.task_id},
              {"state", c.state},
              {"err_code", c.err_code},
              {"credits", c.credits ? Json(*c.credits) : Json(nullptr)},
              {"url", c.url},
              {"cover_url", c.cover_url},
              {"creation_id", c.creation_id},
              {"file", c.file},
              {"file_sha256", c.file_sha256},
              {"duration", c.duration},
              {"width", c.width},
              {"height", c.height},
              {"fps", c.fps},
              {"owner", c.owner},
              {"created_at", c.created_at},
              {"updated_at", c.updated_at}};
}

void error(const TasksOptions& o, const std::string& message) {
  std::fprintf(stderr, "reel tasks %s: %s\n", o.action.c_str(), message.c_str());
}

std::string journal_path(const TasksOptions& o) {
  return o.journal.empty() ? vidu::journal_path_from_env() : o.journal;
}

// Nothing recorded yet: no file, or an empty one (never written by reel, but
// an empty SQLite file is an empty database).
bool nothing_recorded(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw journal::JournalError(
        path + " is a folder; --journal takes the journal's file, such as " + path + "/journal.db");
  if (!fs::exists(path, ec)) return !ec;
  return fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0 && !ec;
}

std::string nothing_recorded_text(const std::string& path) {
  return "no journal at " + path + ": nothing has been recorded yet";
}

// ID is a journal row id when it is a number that names a row, else a remote
// task id (Vidu's are 19-digit numbers; rows are counted from 1).
std::optional<Call> lookup(Journal& j, const std::string& id) {
  const bool number =
      !id.empty() && id.size() <= 18 &&
      std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); });
  if (number) {
    if (auto c = j.get(std::stoll(id))) return c;
  }
  return j.find_task(id);
}

std::string unknown_id_text(const std::string& id, const std::string& path) {
  return "the journal " + path + " holds no call " + id +
         " (neither a row id nor a remote task id); 'reel tasks --journal " + path +
         "' lists what it holds";
}

// --- list ---------------------------------------------------------------------

void print_table(const std::vector<Call>& calls) {
  const double now = unix_now();
  std::vector<std::vector<std::string>> rows = {
      {"ID", "TASK", "STATE", "SHOT", "MODEL", "CREDITS", "AGE", "FILE"}};
  for (const Call& c : calls) {
    rows.push_back({std::to_string(c.id), or_dash(c.task_id), state_text(c), or_dash(c.shot),
                    or_dash(c.model), credits_text(c.credits), age(now - c.created_at),
                    c.file.empty() ? "-" : fs::path(c.file).filename().string()});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

int list(const TasksOptions& o) {
  const std::string path = journal_path(o);
  if (nothing_recorded(path)) {
    // --json keeps stdout machine-readable: an empty array, the words aside.
    if (o.json) std::printf("[]\n");
    std::fprintf(o.json ? stderr : stdout, "%s\n", nothing_recorded_text(path).c_str());
    return kExitOk;
  }
  Journal j(path, Journal::read_only);
  // One more than asked, to tell whether there are more.
  std::vector<Call> calls = j.list_by_creation(o.all ? -1 : o.limit + 1);
  const bool more = !o.all && calls.size() > static_cast<size_t>(o.limit);
  if (more) calls.resize(o.limit);
  if (o.json) {
    Json out = Json::array();
    for (const Call& c : calls) out.push_back(to_json(c));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (calls.empty()) {
    std::printf("the journal %s is empty: nothing has been recorded yet\n", path.c_str());
    return kExitOk;
  }
  print_table(calls);
  if (more)
    std::printf("(the %d most recent calls; --all lists every one, --limit N more)\n", o.limit);
  return kExitOk;
}

// --- show ---------------------------------------------------------------------

int show(const TasksOptions& o) {
  const std::string path = journal_path(o);
  if (nothing_recorded(path)) {
    error(o, nothing_recorded_text(path) + ", so it holds no call " + o.id);
    return kExitFailed;
  }
  Journal j(path, Journal::read_only);
  const auto call = lookup(j, o.id);
  if (!call) {
    error(o, unknown_id_text(o.id, path));
    return kExitFailed;
  }
  const Call& c = *call;
  const std::vector<journal::StateSeen> states = j.states(c.id);
  if (o.json) {
    Json out = to_json(c);
    Json seen = Json::array();
    for (const auto& s : states) seen.push_back({{"state", s.state}, {"at", s.at}});
    out["states"] = std::move(seen);
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }

  const double now = unix_now();
  const auto when = [now](double t) {
    return t > 0 ? clock_time(t) + " (" + age(now - t) + " ago)" : std::string("-");
  };
  std::string owner = or_dash(c.owner);
  if (!c.owner.empty()) owner += journal::owner_alive(c.owner) ? " (running)" : " (gone)";
  auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return std::string(text);
  };
  const std::vector<std::pair<const char*, std::string>> fields = {
      {"id", std::to_string(c.id)},
      {"task_id", or_dash(c.task_id)},
      {"state", c.state},
      {"err_code", or_dash(c.err_code)},
      {"shot", or_dash(c.shot)},
      {"kind", or_dash(c.kind)},
      {"model", or_dash(c.model)},
      {"credits", credits_text(c.credits)},
      {"script", or_dash(c.script)},
      {"dialect", or_dash(c.dialect)},
      {"base_url", or_dash(c.base_url)},
      {"payload", or_dash(c.payload)},
      {"owner", owner},
      {"created_at", when(c.created_at)},
      {"updated_at", when(c.updated_at)},
      {"url", or_dash(c.url)},
      {"cover_url", or_dash(c.cover_url)},
      {"creation_id", or_dash(c.creation_id)},
      {"file", or_dash(c.file)},
      {"file_sha256", or_dash(c.file_sha256)},
      {"duration", number(c.duration)},
      {"width", std::to_string(c.width)},
      {"height", std::to_string(c.height)},
      {"fps", number(c.fps)},
      {"key", or_dash(c.key)},
  };
  for (const auto& [name, value] : fields) std::printf("%-12s %s\n", name, value.c_str());

  std::printf("\nstates seen\n");
  if (states.empty()) std::printf("  (none recorded)\n");
  for (size_t n = 0; n < states.size(); ++n) {
    const double at = states[n].at;
    const double first = states.front().at;
    std::printf("  %-11s %s", states[n].state.c_str(), clock_time(at).c_str());
    if (n > 0 && at > 0 && first > 0) std::printf("  (+%.1f s)", at - first);  // since the first
    std::printf("\n");
  }

  const auto [endpoint, body] = split_request(c.request);
  std::printf("\nrequest%s\n", endpoint.empty() ? "" : (" (" + endpoint + ")").c_str());
  const std::string text = body.is_null() ? or_dash(c.request) : body.dump(2);
  std::string indented = "  ";
  for (const char ch : text) {
    indented += ch;
    if (ch == '\n') indented += "  ";
  }
  std::printf("%s\n", indented.c_str());
  return kExitOk;
}

// --- cancel -------------------------------------------------------------------

struct CancelReport {
  bool cancelled = false;
  std::string code;     // why not: "NoTask", "Ended", "OtherServer", "NotCancellable", ...
  std::string message;  // one sentence
  std::string state;    // the task's state as last known (the API's once it answered)
  std::string err_code;
  std::optional<int64_t> credits;
  bool recorded = false;  // the journal was updated with what the API said
};

// Base URLs compare without trailing slashes, and case-blind (the host is).
std::string base_of(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::transform(url.begin(), url.end(), url.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return url;
}

std::string who(const Call& c) {
  std::string s = "call " + std::to_string(c.id);
  if (!c.task_id.empty())
    s += " (task " + c.task_id + (c.shot.empty() ? "" : ", " + c.shot) + ")";
  else if (!c.shot.empty())
    s += " (" + c.shot + ")";
  return s;
}

// A folder of our own for the client's downloads: a task that turns out to
// have succeeded is handed to the downloader at once, and this command never
// wants its file (the run that made it fetches it). Removed on scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "reel-tasks-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Asks the API about the task first (the journal may be behind), cancels it
// when the API says it has not started, then waits for the API to report it
// failed with UserCancelled, and records that.
CancelReport cancel_remote(Journal& j, const Call& c, vidu::ClientConfig config) {
  CancelReport r;
  r.state = c.state;
  const std::string task = "task " + c.task_id;
  ScratchDir scratch;
  if (!scratch.path().empty()) config.out_dir = scratch.path();

  net::EventLoop loop;
  vidu::Client client(loop, config, nullptr);
  bool answered = false;
  client.on_change([&answered](uint64_t) { answered = true; });
  bool late = false;
  loop.after(kCancelDeadlineMs, [&late] { late = true; });
  const auto run_until = [&](const auto& done) {
    while (!done() && !late) loop.run_once();
    return done();
  };

  const uint64_t h = client.attach(c.task_id);
  const vidu::TaskInfo& i = client.task(h);
  const auto ended = [&i] { return i.failure.has_value() || i.clip.has_value() || i.downloading; };
  const auto record = [&] {
    r.state = "failed";
    r.err_code = i.err_code;
    r.credits = i.credits.value_or(0);
    j.set_state(c.id, r.state, r.err_code, r.credits);
    r.recorded = true;
  };
  // What the API said when the task is over; false when it is not.
  const auto over = [&](bool after_cancel) {
    if (i.failure && i.failure->code == "Cancelled") {
      record();
      r.cancelled = true;
      r.message = task + (after_cancel ? " was cancelled" : " was already cancelled") +
                  "; the journal records it failed (" + r.err_code + "), credits " +
                  credits_text(r.credits);
      return true;
    }
    if (i.failure && i.failure->code == "TaskFailed") {
      record();
      r.code = "Ended";
      r.message =
          task + " failed remotely with " + or_dash(r.err_code) +
          (after_cancel ? " before the cancel took effect" : "; there is nothing to cancel");
      return true;
    }
    if (i.clip || i.downloading || i.state == vidu::TaskState::success) {
      r.state = "success";
      r.code = "Ended";
      r.message =
          task + " has succeeded; there is nothing to cancel (the run that made it downloads it)";
      return true;
    }
    if (i.failure) {  // following it failed here: not found, no access, unreachable
      r.code = i.failure->code;
      r.message = i.failure->message;
      return true;
    }
    return false;
  };

  if (!run_until([&answered] { return answered; })) {
    r.code = "Timeout";
    r.message = "no answer from " + config.base_url + " about " + task + " within " +
                std::to_string(kCancelDeadlineMs / 1000) + " s; nothing was cancelled";
    return r;
  }
  if (over(false)) return r;
  r.state = vidu::state_name(i.state);

  bool replied = false;
  std::optional<vidu::Failure> refusal;
  client.cancel(h, [&](std::optional<vidu::Failure> f) {
    refusal = std::move(f);
    replied = true;
  });
  if (!run_until([&replied] { return replied; })) {
    r.code = "Timeout";
    r.message = "no answer from " + config.base_url + " to the cancel of " + task + " within " +
                std::to_string(kCancelDeadlineMs / 1000) +
                " s; it may or may not be cancelled: run reel tasks cancel again to see";
    return r;
  }
  if (refusal) {
    r.code = refusal->code;
    r.message = refusal->message;
    // An attached task is named after its id: say it once.
    const std::string twice = task + " (" + task + ")";
    if (auto at = r.message.find(twice); at != std::string::npos)
      r.message.replace(at, twice.size(), task);
    return r;
  }
  // The client asks the task again after the cancel: its answer decides.
  if (run_until(ended) && over(true)) return r;
  r.state = vidu::state_name(i.state);
  r.code = "Unconfirmed";
  r.message = config.base_url + " accepted the cancel of " + task + " but still reports it " +
              r.state + "; run reel tasks cancel again to confirm it";
  return r;
}

CancelReport cancel_call(Journal& j, const Call& c) {
  CancelReport r;
  r.state = c.state;
  r.err_code = c.err_code;
  r.credits = c.credits;
  if (c.task_id.empty()) {
    r.code = "NoTask";
    r.message = who(c) + " has no remote task yet (state " + c.state +
                "): there is nothing to cancel until the API answers its create";
    return r;
  }
  if (c.state == "success" || c.state == "failed") {
    r.code = "Ended";
    r.message =
        who(c) + " has already ended in state " + state_text(c) + "; there is nothing to cancel";
    return r;
  }
  vidu::ClientConfig config;
  try {
    config = vidu::client_config_from_env();
  } catch (const vidu::SettingError& e) {
    r.code = e.code();
    r.message = e.what();
    return r;
  }
  const std::string dialect = vidu::dialect_name(config.dialect);
  const bool other_dialect = !c.dialect.empty() && c.dialect != dialect;
  const bool other_server = !c.base_url.empty() && base_of(c.base_url) != base_of(config.base_url);
  if (other_dialect || other_server) {
    r.code = "OtherServer";
    r.message = who(c) + " was made at " + or_dash(c.base_url) + " (" + or_dash(c.dialect) +
                " dialect), but reel is set to " + config.base_url + " (" + dialect +
                "); a task can only be cancelled where it was made: set VIDU_BASE_URL and "
                "--dialect to match";
    return r;
  }
  if (config.dialect == vidu::Dialect::vtrix) {
    r.code = "Unsupported";
    r.message = who(c) + " cannot be cancelled: the Vtrix dialect has no cancel call";
    return r;
  }
  return cancel_remote(j, c, std::move(config));
}

int cancel(const TasksOptions& o) {
  const std::string path = journal_path(o);
  if (nothing_recorded(path)) {
    error(o, nothing_recorded_text(path) + ", so it holds no call " + o.id);
    return kExitFailed;
  }
  Journal j(path);  // read-write: the outcome is recorded
  const auto call = lookup(j, o.id);
  if (!call) {
    error(o, unknown_id_text(o.id, path));
    return kExitFailed;
  }
  const CancelReport r = cancel_call(j, *call);
  if (o.json) {
    Json out{{"id", call->id},           {"task_id", call->task_id},
             {"cancelled", r.cancelled}, {"state", r.state},
             {"err_code", r.err_code},   {"credits", r.credits ? Json(*r.credits) : Json(nullptr)},
             {"recorded", r.recorded},   {"code", r.code},
             {"message", r.message}};
    std::cout << out.dump(2) << "\n";
  } else if (r.cancelled) {
    std::printf("%s\n", r.message.c_str());
  } else {
    error(o, r.message);
  }
  return r.cancelled ? kExitOk : kExitFailed;
}

}  // namespace

}  // namespace reel::cli

extern "C" __attribute__((visibility("default"))) int reel_tasks_command(
    const reel::cli::TasksOptions& options) {
  try {
    if (options.action == "show") return reel::cli::show(options);
    if (options.action == "cancel") return reel::cli::cancel(options);
    return reel::cli::list(options);
  } catch (const reel::journal::JournalError& e) {
    reel::cli::error(options, e.what());
    return reel::cli::kExitFailed;
  }
}
