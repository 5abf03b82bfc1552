// The world of the Client tests (vidu_client_test.cpp, vidu_client_journal_test.cpp):
// a real in-process simulator on loopback, a real event loop, a real Client,
// and helpers that read the simulator's GET /_sim/stats. Test-only, included
// by one test file each; inline so that each may use what it needs.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "host/journal/journal.hpp"
#include "host/net/event_loop.hpp"
#include "host/net/http_client.hpp"
#include "host/sim/simulator.hpp"
#include "host/vidu/client.hpp"

namespace client_test {

namespace fs = std::filesystem;
using json = nlohmann::json;
using reel::net::EventLoop;
using reel::net::HttpClient;
using reel::net::HttpRequest;
using reel::net::HttpResponse;
using reel::vidu::Client;
using reel::vidu::ClientConfig;
using reel::vidu::Dialect;
using reel::vidu::Endpoint;
using reel::vidu::Failure;
using reel::vidu::Submission;
using reel::vidu::TaskInfo;
using reel::vidu::TaskState;
using Clock = std::chrono::steady_clock;

inline const std::string kKey = "client-test-key";

// --- the world: a simulator, a loop, a client -------------------------------

struct SimSetup {
  double speed = 50;
  std::string faults;
  int concurrency = 5;
  int64_t credits = 100000;
  std::string key = kKey;

  SimSetup& with_faults(std::string f) {
    faults = std::move(f);
    return *this;
  }
  SimSetup& with_concurrency(int n) {
    concurrency = n;
    return *this;
  }
  SimSetup& with_credits(int64_t n) {
    credits = n;
    return *this;
  }
  SimSetup& with_key(std::string k) {
    key = std::move(k);
    return *this;
  }
};

inline SimSetup at_speed(double speed) {
  SimSetup s;
  s.speed = speed;
  return s;
}

inline fs::path fresh_dir(const std::string& what) {
  static std::mt19937_64 rng(std::random_device{}());
  fs::path p = fs::temp_directory_path() /
               ("reel-client-" + what + "-" + std::to_string(rng() % 1000000000));
  fs::create_directories(p);
  return p;
}

// Members are destroyed in reverse: the clients go before the loop, the
// simulator last.
struct World {
  std::unique_ptr<reel::sim::Simulator> sim;
  EventLoop loop;
  fs::path out;
  std::unique_ptr<HttpClient> http;  // for /_sim/stats and raw requests
  ClientConfig config;
  std::unique_ptr<reel::journal::Journal> journal;  // outlives the client
  std::unique_ptr<Client> client;
  std::map<uint64_t, std::vector<TaskState>> seen;  // states reported through on_change
  std::map<uint64_t, int> changes;

  explicit World(const SimSetup& setup, Dialect dialect = Dialect::vidu,
                 const std::string& client_key = kKey) {
    reel::sim::Options options;
    options.key = setup.key;
    options.speed = setup.speed;
    options.faults = setup.faults;
    options.concurrency = setup.concurrency;
    options.credits = setup.credits;
    options.quiet = true;
    sim = std::make_unique<reel::sim::Simulator>(options);
    sim->start();
    out = fresh_dir("out");
    http = std::make_unique<HttpClient>(loop);
    config.base_url = sim->base_url();
    config.key = client_key;
    config.dialect = dialect;
    config.out_dir = out.string();
    config.time_scale = setup.speed;
    new_client();
  }

  ~World() {
    client.reset();
    journal.reset();
    http.reset();
    std::error_code ec;
    fs::remove_all(out, ec);
  }

  // A client as a new run of a script would make it: the old one is gone
  // (with what it had in flight), the simulator and the files stay.
  void new_client() {
    client.reset();
    seen.clear();
    changes.clear();
    client = std::make_unique<Client>(loop, config, nullptr, journal.get());
    client->on_change([this](uint64_t h) {
      ++changes[h];
      auto& states = seen[h];
      const TaskState s = client->task(h).state;
      if (states.empty() || states.back() != s) states.push_back(s);
    });
  }

  // From now on the client records into (and replays from) this journal.
  void use_journal(std::unique_ptr<reel::journal::Journal> j) {
    client.reset();
    journal = std::move(j);
    new_client();
  }

  // Turns the loop until `done()` or the wall-clock deadline. A ticking
  // timer keeps run_once from blocking past the deadline.
  bool run_until(const std::function<bool()>& done, double timeout_s = 60) {
    auto* tick = new uv_timer_t;
    uv_timer_init(loop.get(), tick);
    uv_timer_start(
        tick, [](uv_timer_t*) {}, 20, 20);
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (!done() && Clock::now() < deadline) loop.run_once();
    uv_close(reinterpret_cast<uv_handle_t*>(tick),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    return done();
  }

  bool finish_all(const std::vector<uint64_t>& handles, double timeout_s = 60) {
    return run_until(
        [&] {
          return std::all_of(handles.begin(), handles.end(),
                             [&](uint64_t h) { return client->task(h).finished(); });
        },
        timeout_s);
  }

  HttpResponse send(HttpRequest request) {
    std::optional<HttpResponse> got;
    http->send(std::move(request), [&](HttpResponse&& r) { got = std::move(r); });
    EXPECT_TRUE(run_until([&] { return got.has_value(); }, 30)) << "no answer in time";
    return got ? std::move(*got) : HttpResponse{};
  }

  json stats() {
    HttpRequest r;
    r.url = sim->base_url() + "/_sim/stats";
    HttpResponse res = send(std::move(r));
    EXPECT_EQ(res.status, 200) << res.body;
    return json::parse(res.body, nullptr, false);
  }

  // A task created behind the client's back (for attach).
  std::string create_raw(const json& body) {
    HttpRequest r;
    r.method = "POST";
    r.url = sim->base_url() + "/ent/v2/text2video";
    r.headers = {"Authorization: Token " + kKey, "Content-Type: application/json"};
    r.body = body.dump();
    HttpResponse res = send(std::move(r));
    EXPECT_EQ(res.status, 200) << res.body;
    return json::parse(res.body, nullptr, false).value("task_id", "");
  }
};

inline json t2v_body(const std::string& prompt, int duration = 1) {
  return {{"model", "viduq2"},
          {"prompt", prompt},
          {"duration", duration},
          {"resolution", "540p"},
          {"aspect_ratio", "16:9"}};
}

inline Submission t2v(const std::string& prompt, int duration = 1) {
  Submission s;
  s.endpoint = Endpoint::text2video;
  s.body = t2v_body(prompt, duration);
  s.expected_duration = duration;
  s.estimate = 1;
  return s;
}

// Requests the simulator saw on `route`, all statuses ("drop" included).
inline int64_t on_route(const json& stats, const std::string& route) {
  int64_t n = 0;
  if (!stats.contains("requests") || !stats["requests"].contains(route)) return 0;
  for (const auto& [status, count] : stats["requests"][route].items()) n += count.get<int64_t>();
  return n;
}

// API and file requests: everything but the test's own /_sim/stats calls.
inline int64_t client_requests(const json& stats) {
  int64_t n = 0;
  for (const auto& [route, by_status] : stats["requests"].items()) {
    if (route.rfind("GET /_sim", 0) == 0) continue;
    for (const auto& [status, count] : by_status.items()) n += count.get<int64_t>();
  }
  return n;
}

inline int64_t tasks_created(const json& stats) {
  int64_t n = 0;
  for (const auto& [kind, count] : stats["tasks_created"].items()) n += count.get<int64_t>();
  return n;
}

inline std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string failure_text(const TaskInfo& t) {
  if (!t.failure) return "(no failure)";
  return t.failure->code + ": " + t.failure->message;
}

}  // namespace client_test
