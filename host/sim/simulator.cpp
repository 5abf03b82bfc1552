// The simulator: wires the HTTP server to both dialects, the engine, result
// files, faults, callbacks and the /_sim/stats counters.
//
// Where vidu-api.md leaves room, the simulator decides:
// * one organisation: every accepted key shares the balance and the
//   concurrency limit (§11.6);
// * cancel works only in created/queueing (Q15); it ends the task failed with
//   UserCancelled and credits 0, refunded; otherwise 400 BadRequest "task
//   state is <state>, can not cancel" (§11.4); unknown ids 404 TaskNotFound;
// * tasks that fail (faults, render errors) are refunded too (credits 0);
// * error bodies are §13.1's; several field errors: the first one's reason,
//   all of them in the message; bodies over 20 MB: 413 with reason BadRequest;
//   remote URLs: 400 ImageDownloadFailure (nothing is fetched); unreadable
//   images: ImageFormatInvalid; size/ratio problems: PageSizeOutOfRange;
// * callbacks go out on the changes §12.1 lists (processing, success,
//   failed), signed per §12.2, retried 3 times (0.25, 0.5, 1 s apart);
// * result URLs are minted per query, valid url_ttl from then (§11.2's 24 h);
//   expired: 403 Forbidden, forged: 404 NotFound; byte ranges are served;
// * faults strike before a request has any effect (see faults.hpp).
#include "host/sim/simulator.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>

#include "host/sim/callbacks.hpp"
#include "host/sim/engine.hpp"
#include "host/sim/faults.hpp"
#include "host/sim/file_urls.hpp"
#include "host/sim/http_server.hpp"
#include "host/sim/inputs.hpp"
#include "host/sim/official_api.hpp"
#include "host/sim/service.hpp"
#include "host/sim/stats.hpp"
#include "host/sim/vtrix_api.hpp"

namespace reel::sim {

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

std::string iso8601(double unix_seconds) {
  time_t whole = static_cast<time_t>(unix_seconds);
  int micros = static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1e6);
  tm utc{};
  gmtime_r(&whole, &utc);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%06dZ", micros);
  return buf;
}

std::string Service::file_url(const std::string& name) const {
  return base_url + urls->path_for(name, unix_now());
}

namespace {

using nlohmann::json;

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// A private folder under $TMPDIR, removed again when the simulator goes.
std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/reel-sim-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create " + pattern);
  return pattern;
}

}  // namespace

struct Simulator::Impl {
  Options options;
  std::string data_dir;
  bool own_data_dir = false;
  std::optional<FileUrls> urls;
  std::optional<Faults> faults;
  std::optional<Inputs> inputs;
  std::unique_ptr<Engine> engine;
  CallbackSender callbacks;
  std::unique_ptr<HttpServer> server;
  RequestStats stats;
  Service service;
  bool running = false;
  // Set once base_url is known: requests that race the start get a 503.
  std::atomic<bool> ready{false};

  HttpResponse handle(const HttpRequest& request) {
    auto started = std::chrono::steady_clock::now();
    std::string route = route_of(request.method, request.path);
    HttpResponse response;
    try {
      response = dispatch(request);
    } catch (const std::exception& e) {
      response = official_error({500, "InternalServiceFailure", e.what(), "", 0});
    }
    stats.record(route, response.drop ? "drop" : std::to_string(response.status));
    if (!options.quiet) log(request, response, started);
    return response;
  }

  // One line per request; the path only, never headers (keys stay out of logs).
  void log(const HttpRequest& request, const HttpResponse& response,
           std::chrono::steady_clock::time_point started) {
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    std::fprintf(stderr, "reel sim: %s %s %s %.1f ms%s\n", request.method.c_str(),
                 request.path.c_str(),
                 response.drop ? "dropped" : std::to_string(response.status).c_str(), ms,
                 response.delay_ms > 0 ? " (slowed)" : "");
  }

  HttpResponse dispatch(const HttpRequest& request) {
    if (!ready.load(std::memory_order_acquire))
      return official_error({503, "InternalServiceFailure", "starting up; retry", "", 1});
    if (request.path == "/_sim/stats") return stats_response();
    if (starts_with(request.path, "/files/")) return serve_file(request);
    bool official = starts_with(request.path, "/ent/v2/");
    bool vtrix = starts_with(request.path, "/model/v1/");
    if (!official && !vtrix) {
      return official_error({404, "NotFound", "no such path: " + request.path, "", 0});
    }
    // Faults strike before the request has any effect: a faulted create
    // never creates a task or charges credits.
    RequestFault fault = faults->for_request();
    HttpResponse response;
    if (fault.drop) {
      response.drop = true;
      return response;
    }
    if (fault.status != 0) {
      ApiError error{fault.status, fault.reason, "injected fault (--faults)", "",
                     fault.retry_after};
      response = official ? official_error(error) : vtrix_error(error);
    } else {
      response = official ? handle_official(request, service) : handle_vtrix(request, service);
    }
    response.delay_ms = fault.delay_ms;
    return response;
  }

  HttpResponse serve_file(const HttpRequest& request) {
    std::string local;
    switch (urls->check(request.path, unix_now(), &local)) {
      case FileUrls::Check::ok:
        break;
      case FileUrls::Check::expired:
        return official_error(
            {403, "Forbidden", "this URL has expired; query the task for a fresh one", "", 0});
      case FileUrls::Check::invalid:
        return official_error({404, "NotFound", "no such file", "", 0});
    }
    if (!std::filesystem::exists(local))
      return official_error({404, "NotFound", "no such file", "", 0});
    HttpResponse response;
    response.file_path = local;
    response.content_type =
        local.size() > 4 && local.substr(local.size() - 4) == ".jpg" ? "image/jpeg" : "video/mp4";
    response.headers.emplace_back("Accept-Ranges", "bytes");
    std::error_code ec;
    auto size = static_cast<int64_t>(std::filesystem::file_size(local, ec));
    if (ec) return official_error({404, "NotFound", "no such file", "", 0});
    // Ranges let a client resume a cut download, as from a real CDN.
    std::string range_header = request.header("range");
    if (!range_header.empty()) {
      auto range = byte_range(range_header, size);
      if (!range) {
        HttpResponse refused;
        refused.status = 416;
        refused.content_type.clear();
        refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
        return refused;
      }
      response.status = 206;
      response.file_offset = range->first;
      response.file_length = range->last - range->first + 1;
      response.headers.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                                         std::to_string(range->last) + "/" +
                                                         std::to_string(size));
      size = response.file_length;
    }
    if (faults->truncate_download() && size > 1) response.truncate_at = size / 2;
    return response;
  }

  HttpResponse stats_response() {
    json requests = json::object();
    for (const auto& [route, by_status] : stats.snapshot()) requests[route] = by_status;
    EngineCounts counts = engine->counts();
    Balance balance = engine->balance();
    json body = {
        {"requests", requests},
        {"requests_total", stats.total()},
        {"tasks_created", counts.created_by_kind},
        {"tasks_by_state", counts.by_state},
        {"credits",
         {{"charged", counts.credits_charged},
          {"refunded", counts.credits_refunded},
          {"net", counts.credits_charged - counts.credits_refunded},
          {"balance", balance.remain}}},
        {"concurrency",
         {{"limit", balance.concurrency_limit},
          {"running", balance.current_concurrency},
          {"queued", balance.queue_count}}},
        {"callbacks", {{"delivered", callbacks.delivered()}, {"failed", callbacks.failed()}}}};
    HttpResponse response;
    response.body = body.dump();
    return response;
  }

  // §12.1: Vidu pushes processing, success and failed (not created/queueing).
  // A task restored from an earlier run has no key to sign with: none.
  void on_state_change(const Task& task) {
    if (task.callback_url.empty() || task.key.empty() || task.state == State::created ||
        task.state == State::queueing)
      return;
    callbacks.send(task.callback_url, task.key, official_task_body(task, service));
  }
};

Simulator::Simulator(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Simulator::~Simulator() {
  stop();
  if (impl_->own_data_dir && !impl_->data_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(impl_->data_dir, ec);
  }
}

void Simulator::start() {
  Impl& s = *impl_;
  if (s.running) return;
  if (s.options.speed <= 0) throw std::runtime_error("speed must be positive");
  if (s.options.concurrency < 1) throw std::runtime_error("concurrency must be at least 1");
  s.faults.emplace(s.options.faults);  // throws on a bad SPEC, before anything starts
  if (s.data_dir.empty()) {
    s.own_data_dir = s.options.data_dir.empty();
    s.data_dir = s.own_data_dir ? make_temp_dir() : s.options.data_dir;
    std::filesystem::create_directories(s.data_dir);
  }
  const bool persist = s.options.persist && !s.own_data_dir;
  s.urls.emplace(s.data_dir, s.options.url_ttl, persist);
  s.inputs.emplace(s.data_dir, *s.urls);
  Engine::Config config;
  config.concurrency = s.options.concurrency;
  config.speed = s.options.speed;
  config.data_dir = s.data_dir;
  config.persist = persist;
  config.credits = s.options.credits;
  config.workers = std::max(1u, std::min(4u, std::thread::hardware_concurrency() / 2));
  s.engine =
      std::make_unique<Engine>(config, [this](const Task& task) { impl_->on_state_change(task); });

  HttpServer::Config http;
  http.host = s.options.host;
  http.port = s.options.port;
  http.threads = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
  s.server =
      std::make_unique<HttpServer>(http, [this](const HttpRequest& r) { return impl_->handle(r); });
  s.service.options = s.options;
  s.service.engine = s.engine.get();
  s.service.urls = &*s.urls;
  s.service.faults = &*s.faults;
  s.service.inputs = &*s.inputs;
  s.server->start();
  s.service.base_url = "http://" + s.options.host + ":" + std::to_string(s.server->port());
  s.inputs->set_origin(s.options.host, s.server->port());
  s.callbacks.start();
  try {
    s.engine->start();  // with persist, reads the stored tasks
  } catch (...) {
    s.server->stop();
    s.callbacks.stop();
    throw;
  }
  s.running = true;
  s.ready.store(true, std::memory_order_release);
}

void Simulator::stop() {
  Impl& s = *impl_;
  if (!s.running) return;
  s.running = false;
  s.ready.store(false);
  s.server->stop();
  s.engine->stop();
  s.callbacks.stop();
}

std::string Simulator::base_url() const {
  return impl_->service.base_url;
}

}  // namespace reel::sim
