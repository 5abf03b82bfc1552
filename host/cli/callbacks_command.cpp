// `reel callbacks`: an HTTP receiver for Vidu's callbacks (vidu-api.md §12).
// Each POST is checked in this order, and the first failure refuses it:
//   forged    401  no signature, wrong algorithm or access key, Date or
//                  x-request-nonce not among the signed headers, or an
//                  HMAC-SHA256 that does not match (§12.2, key = API key);
//   stale     401  no Date, an unreadable one, or one more than --max-skew
//                  seconds away from now;
//   replayed  401  a nonce already accepted within the skew window;
//   malformed 400  a body that is not a JSON object with a task id and a
//                  known state (§13.1: 400 BadRequest is an invalid request).
// Accepted callbacks (200) record the state, err_code, credits and result
// URLs in the journal row of the task. An unknown task id is answered 200
// and logged as unknown: the sender cannot do better by retrying, and the
// receiver may share a key with runs that use another journal.
//
// Built into reel_callbacks.so (SQLite, OpenSSL, cpp-httplib) and reached
// through host/plugin. Exit status: 0 stopped by SIGINT or SIGTERM, 1 the
// journal cannot be opened or the address cannot be listened on, 2 no key or
// a bad --listen (commands.cpp handles the other usage errors).
#include "host/cli/callbacks_command.hpp"

#include <httplib.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "host/journal/journal.hpp"
#include "host/sim/signature.hpp"

namespace reel::cli {

namespace {

using Json = nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// Vidu's bodies are a task's query answer: a few kilobytes.
constexpr size_t kMaxBody = 1 << 20;

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string trim(const std::string& s) {
  const size_t start = s.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  return s.substr(start, s.find_last_not_of(" \t\r\n") - start + 1);
}

// Text from the sender, made safe for one log line: control characters
// become '?', and it is cut short (a body can claim any task id).
std::string loggable(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 100))
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  return out.empty() ? "-" : out;
}

std::string utc_time(double unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool terminal(const std::string& state) {
  return state == "success" || state == "failed";
}

struct Outcome {
  int status = 200;
  std::string task_id;  // "" until the body is read
  std::string log;      // the end of the log line: what was done, or why it was refused
  std::string why;      // a refusal's reason, for the answer's message
};

class Receiver {
 public:
  Receiver(std::string secret, int max_skew, journal::Journal& journal)
      : secret_(std::move(secret)), max_skew_(max_skew), journal_(journal) {}

  void handle(const httplib::Request& request, httplib::Response& response) {
    Outcome outcome;
    {
      // One at a time: callbacks are few, and the journal and the nonces
      // are shared.
      std::lock_guard<std::mutex> lock(mutex_);
      outcome = check(request);
    }
    Json body;
    if (outcome.status == 200) {
      body = {{"code", 200}, {"message", "ok"}};
    } else {
      const char* reason = outcome.status == 401   ? "Unauthorized"
                           : outcome.status == 400 ? "BadRequest"
                                                   : "InternalServiceFailure";
      body = {{"code", outcome.status}, {"reason", reason}, {"message", outcome.why}};
    }
    response.status = outcome.status;
    response.set_content(body.dump(), "application/json");
    // Never the signature, the access key header or the secret: only what
    // the checks concluded.
    std::fprintf(stderr, "%s %s:%d task=%s %s\n", utc_time(unix_now()).c_str(),
                 request.remote_addr.c_str(), request.remote_port,
                 loggable(outcome.task_id).c_str(), outcome.log.c_str());
    std::fflush(stderr);
  }

 private:
  static Outcome refuse(int status, std::string why) {
    Outcome o;
    o.status = status;
    o.log = "refused " + std::to_string(status) + " " + why;
    o.why = std::move(why);
    return o;
  }

  Outcome check(const httplib::Request& request) {
    const double now = unix_now();
    // The path and query as the sender wrote them in the callback URL, so
    // taken from the raw request target (not decoded, not re-ordered).
    const std::string& target = request.target;
    const size_t mark = target.find('?');
    std::string path = target.substr(0, mark);
    if (path.empty()) path = "/";
    const std::string query = mark == std::string::npos ? "" : target.substr(mark + 1);
    // In httplib's order, so a repeated header reads as it would from request.
    const sim::CallbackHeaders headers(request.headers.begin(), request.headers.end());
    const std::string why =
        sim::verify_callback("POST", path, query, headers, secret_, now, max_skew_);
    if (!why.empty()) return refuse(401, why);

    const std::string nonce = request.get_header_value("x-request-nonce");  // not empty: verified
    forget_nonces(now);
    if (nonces_.count(nonce) != 0) return refuse(401, "replayed: the nonce was seen before");
    // Remembered only once the signature holds, so that nobody without the
    // key can use up a nonce; kept until any Date it could be sent with is
    // stale (a Date up to max_skew ahead stays fresh for 2 * max_skew).
    nonces_[nonce] = now + 2.0 * max_skew_ + 1;

    return record(request.body);
  }

  void forget_nonces(double now) {
    for (auto it = nonces_.begin(); it != nonces_.end();) {
      if (it->second < now)
        it = nonces_.erase(it);
      else
        ++it;
    }
  }

  Outcome record(const std::string& text) {
    const Json body = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return refuse(400, "malformed: the body is not a JSON object");
    Outcome o;
    // §12.1: the body is the task's query answer, whose id is "id"; task_id
    // is accepted too (the create answer's name for it).
    for (const char* field : {"id", "task_id"}) {
      const auto it = body.find(field);
      if (it == body.end()) continue;
      if (it->is_string()) o.task_id = it->get<std::string>();
      if (it->is_number_integer()) o.task_id = std::to_string(it->get<int64_t>());
      if (!o.task_id.empty()) break;
    }
    if (o.task_id.empty()) return refuse(400, "malformed: no task id");
    const auto state_it = body.find("state");
    const std::string state =
        state_it != body.end() && state_it->is_string() ? state_it->get<std::string>() : "";
    static const char* const kStates[] = {"created", "queueing", "processing", "success", "failed"};
    if (std::find(std::begin(kStates), std::end(kStates), state) == std::end(kStates)) {
      Outcome bad = refuse(400, "malformed: no known state");
      bad.task_id = o.task_id;
      return bad;
    }
    std::string err_code;
    if (auto it = body.find("err_code"); it != body.end() && it->is_string())
      err_code = it->get<std::string>();
    std::optional<int64_t> credits;
    if (auto it = body.find("credits"); it != body.end() && it->is_number_integer())
      credits = it->get<int64_t>();

    try {
      const std::optional<journal::Call> call = journal_.find_task(o.task_id);
      if (!call) {
        o.log = "accepted " + state + " (unknown task: not in the journal)";
        return o;
      }
      // Callbacks and the polling client both write the row; a late
      // "processing" must not undo a finished task.
      if (terminal(call->state) && !terminal(state)) {
        o.log = "accepted " + state + " (ignored: journal row " + std::to_string(call->id) +
                " is already " + call->state + ")";
        return o;
      }
      journal_.set_state(call->id, state, err_code, credits);
      const auto creations = body.find("creations");
      if (state == "success" && creations != body.end() && creations->is_array() &&
          !creations->empty() && (*creations)[0].is_object()) {
        const Json& first = (*creations)[0];
        auto text_of = [&](const char* name) {
          auto it = first.find(name);
          return it != first.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        if (!text_of("url").empty())
          journal_.set_result(call->id, text_of("url"), text_of("cover_url"), text_of("id"));
      }
      o.log = "accepted " + state + (err_code.empty() ? "" : " (" + loggable(err_code) + ")") +
              " -> journal row " + std::to_string(call->id);
      return o;
    } catch (const std::exception& e) {
      // 500: Vidu retries the final states, and the journal may be free then.
      Outcome failed = refuse(500, std::string("journal error: ") + e.what());
      failed.task_id = o.task_id;
      return failed;
    }
  }

  const std::string secret_;
  const int max_skew_;
  journal::Journal& journal_;
  std::mutex mutex_;
  std::unordered_map<std::string, double> nonces_;  // nonce -> when it may be forgotten
};

// --key-file's first line, else VIDU_API_KEY; "" when neither gives one.
std::string read_key(const std::string& key_file, std::string* error) {
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      *error = "cannot read the key file " + key_file;
      return "";
    }
    line = trim(line);
    if (line.empty()) *error = "the key file " + key_file + " has an empty first line";
    return line;
  }
  const char* env = std::getenv("VIDU_API_KEY");
  if (env == nullptr || *env == '\0') *error = "no API key: set VIDU_API_KEY or give --key-file";
  return env != nullptr ? env : "";
}

// "HOST:PORT" or "[V6]:PORT" -> host, port; false when it is neither.
bool split_listen(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  if (host->empty()) return false;
  const std::string digits = listen.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 5)
    return false;
  *port = std::atoi(digits.c_str());
  return *port <= 65535;
}

}  // namespace

}  // namespace reel::cli

extern "C" __attribute__((visibility("default"))) int reel_callbacks_command(
    const reel::cli::CallbacksOptions& options) {
  using namespace reel::cli;
  std::string host;
  int port = 0;
  if (!split_listen(options.listen, &host, &port)) {
    std::fprintf(stderr, "reel callbacks: --listen wants HOST:PORT, not '%s'\n",
                 options.listen.c_str());
    return kExitUsage;
  }
  std::string key_error;
  const std::string secret = read_key(options.key_file, &key_error);
  if (!key_error.empty()) {
    std::fprintf(stderr, "reel callbacks: %s\n", key_error.c_str());
    return kExitUsage;
  }
  std::string journal_path = options.journal;
  if (journal_path.empty()) {
    const char* env = std::getenv("REEL_JOURNAL");
    journal_path = env != nullptr && *env != '\0' ? env : ".reel/journal.db";
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  // Blocked before httplib starts its threads, so that they inherit the mask
  // and only sigwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A shell starts background commands with SIGINT ignored, and an ignored
  // signal never reaches sigwait: the default disposition, while blocked,
  // lets it do so without killing the process.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  try {
    reel::journal::Journal journal(journal_path);
    Receiver receiver(secret, options.max_skew, journal);
    httplib::Server server;
    // A keep-alive connection holds one of httplib's workers (debian-deps.md).
    server.set_keep_alive_timeout(1);
    server.set_payload_max_length(kMaxBody);
    server.Post(".*", [&receiver](const httplib::Request& request, httplib::Response& response) {
      receiver.handle(request, response);
    });
    // Bound here, before the thread starts: 0.11 has no wait_until_ready().
    if (port == 0) {
      port = server.bind_to_any_port(host);
      if (port < 0) port = 0;
    } else if (!server.bind_to_port(host, port)) {
      port = 0;
    }
    if (port == 0) {
      std::fprintf(stderr, "reel callbacks: cannot listen on %s\n", options.listen.c_str());
      return kExitFailed;
    }
    const bool v6 = host.find(':') != std::string::npos;
    std::printf("reel callbacks: listening on http://%s%s%s:%d/ (journal %s, max skew %d s)\n",
                v6 ? "[" : "", host.c_str(), v6 ? "]" : "", port, journal_path.c_str(),
                options.max_skew);
    std::fflush(stdout);
    std::thread serving([&server] { server.listen_after_bind(); });
    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.stop();
    serving.join();
    std::printf("reel callbacks: stopped\n");
    std::fflush(stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reel callbacks: %s\n", e.what());
    return kExitFailed;
  }
}
