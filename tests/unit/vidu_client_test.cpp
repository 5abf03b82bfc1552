// reel::vidu::Client (host/vidu/client.hpp) without Lua: a real Client on a
// real net::EventLoop against the real in-process simulator on loopback. The
// simulator's GET /_sim/stats proves what reached the server (how many
// requests of each kind, how many tasks were created and paid for), so the
// client's own Counters are cross-checked, never trusted alone. The pure
// helpers are in vidu_poll_plan_test.cpp.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "host/net/event_loop.hpp"
#include "host/net/http_client.hpp"
#include "host/sim/simulator.hpp"
#include "host/vidu/client.hpp"
#include "host/vidu/fetch.hpp"
#include "tests/unit/vidu_client_world.hpp"

namespace {

using namespace client_test;

// --- a task's life ------------------------------------------------------------

TEST(ViduClient, Text2VideoSucceedsAndDownloadsAProbedClip) {
  World w(at_speed(50));
  const uint64_t h = w.client->submit(t2v("a red kite over the sea"));
  EXPECT_EQ(w.client->task(h).state, TaskState::submitting);
  EXPECT_EQ(w.client->task(h).name, "text2video#1");
  ASSERT_TRUE(w.finish_all({h}, 60)) << "the task did not finish";

  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.clip.has_value()) << failure_text(t);
  EXPECT_FALSE(t.failure.has_value());
  EXPECT_EQ(t.state, TaskState::success);
  EXPECT_FALSE(t.id.empty());
  ASSERT_TRUE(t.credits.has_value());
  EXPECT_GT(*t.credits, 0);

  // The states seen through on_change only ever move forward and end in success.
  const auto& states = w.seen[h];
  ASSERT_FALSE(states.empty());
  EXPECT_TRUE(std::is_sorted(states.begin(), states.end())) << "states went backwards";
  EXPECT_EQ(states.back(), TaskState::success);
  EXPECT_NE(states.front(), TaskState::submitting) << "the first change is the create answer";

  const auto& clip = *t.clip;
  EXPECT_EQ(clip.task_id, t.id);
  EXPECT_EQ(clip.credits, *t.credits);
  EXPECT_FALSE(clip.url.empty());
  EXPECT_FALSE(clip.creation_id.empty());
  EXPECT_EQ(fs::path(clip.path).parent_path(), w.out);
  EXPECT_EQ(fs::path(clip.path).filename().string(), "text2video_1-" + t.id + ".mp4");
  ASSERT_TRUE(fs::exists(clip.path));
  EXPECT_GT(fs::file_size(clip.path), 1000U);
  EXPECT_TRUE(reel::vidu::duration_matches(clip.duration, 1)) << clip.duration;
  EXPECT_EQ(clip.width, 960);  // 540p 16:9 is 960x528 (host/vidu/models.cpp)
  EXPECT_EQ(clip.height, 528);
  EXPECT_GT(clip.fps, 0);
  EXPECT_EQ(files_in(w.out), std::vector<std::string>{fs::path(clip.path).filename().string()})
      << "only the clip, no .part";

  // Client and server agree on what was sent: one create, one download.
  const auto& c = w.client->counters();
  EXPECT_EQ(c.creates, 1U);
  EXPECT_EQ(c.downloads, 1U);
  const json stats = w.stats();
  EXPECT_EQ(on_route(stats, "POST /ent/v2/text2video"), 1);
  EXPECT_EQ(on_route(stats, "GET /files"), 1);
  EXPECT_EQ(client_requests(stats), static_cast<int64_t>(c.total())) << stats.dump();
  EXPECT_EQ(tasks_created(stats), 1);
}

TEST(ViduClient, ThirtyTasksArePolledTogetherInListCalls) {
  // Speed 10, not 50: the client's poll plan follows the simulated clock,
  // the simulator's rendering does not. At 50 the renders (slow under ASan)
  // outlasted the planned processing and the polls followed the wall clock:
  // 25 list calls idle, 42 on a loaded machine, against the limit of 30.
  // At 10: 19 idle, 22 loaded.
  World w(at_speed(10).with_concurrency(5));
  std::vector<uint64_t> handles;
  for (int i = 0; i < 30; ++i)
    handles.push_back(w.client->submit(t2v("batch " + std::to_string(i))));
  ASSERT_TRUE(w.finish_all(handles, 120)) << "not all tasks finished";

  std::set<std::string> ids;
  std::set<std::string> paths;
  for (uint64_t h : handles) {
    const TaskInfo& t = w.client->task(h);
    ASSERT_TRUE(t.clip.has_value()) << t.name << " " << failure_text(t);
    EXPECT_TRUE(fs::exists(t.clip->path));
    ids.insert(t.id);
    paths.insert(t.clip->path);
  }
  EXPECT_EQ(ids.size(), 30U);
  EXPECT_EQ(paths.size(), 30U);
  EXPECT_EQ(files_in(w.out).size(), 30U);

  const auto& c = w.client->counters();
  const json stats = w.stats();
  std::printf("[ counters ] creates %llu lists %llu queries %llu downloads %llu other %llu\n",
              static_cast<unsigned long long>(c.creates), static_cast<unsigned long long>(c.lists),
              static_cast<unsigned long long>(c.queries),
              static_cast<unsigned long long>(c.downloads),
              static_cast<unsigned long long>(c.other));
  // Every answer about a task is reported through on_change: once for the
  // create answer, once per look, once when the download ends; so the looks
  // at the tasks are the changes less two per task.
  uint64_t looks = 0;
  for (uint64_t h : handles) looks += static_cast<uint64_t>(w.changes[h] - 2);
  std::printf("[ looks    ] %llu looks at 30 tasks took %llu requests\n",
              static_cast<unsigned long long>(looks),
              static_cast<unsigned long long>(c.queries + c.lists));
  EXPECT_GT(c.lists, 0U);
  EXPECT_EQ(c.creates, 30U);
  EXPECT_EQ(c.downloads, 30U);
  // One query per look would take `looks` requests; list calls take far fewer.
  EXPECT_GE(looks, 60U);
  EXPECT_LE(2 * (c.queries + c.lists), looks) << "polling is not batched";
  // The target: under 3 requests per task in all (create, download,
  // and less than one poll request per task).
  EXPECT_LT(c.queries + c.lists, 30U) << "more poll requests than tasks";
  EXPECT_LT(static_cast<double>(c.total()) / 30, 3.0);
  // The server saw exactly what the client counted.
  EXPECT_EQ(on_route(stats, "POST /ent/v2/text2video"), 30);
  EXPECT_EQ(on_route(stats, "GET /ent/v2/tasks"), static_cast<int64_t>(c.lists));
  EXPECT_EQ(on_route(stats, "GET /ent/v2/tasks/{id}/creations"), static_cast<int64_t>(c.queries));
  EXPECT_EQ(on_route(stats, "GET /files"), 30);
  EXPECT_EQ(client_requests(stats), static_cast<int64_t>(c.total())) << stats.dump();
  EXPECT_LT(static_cast<double>(client_requests(stats)) / 30, 3.0) << stats.dump();
  EXPECT_EQ(tasks_created(stats), 30);
}

TEST(ViduClient, VtrixDialectQueriesEachTask) {
  World w(at_speed(50), Dialect::vtrix);
  std::vector<uint64_t> handles;
  for (int i = 0; i < 3; ++i)
    handles.push_back(w.client->submit(t2v("vtrix " + std::to_string(i))));
  ASSERT_TRUE(w.finish_all(handles, 60));
  for (uint64_t h : handles) {
    const TaskInfo& t = w.client->task(h);
    ASSERT_TRUE(t.clip.has_value()) << failure_text(t);
    EXPECT_TRUE(fs::exists(t.clip->path));
    EXPECT_TRUE(reel::vidu::duration_matches(t.clip->duration, 1));
    EXPECT_TRUE(t.clip->creation_id.empty());
  }
  const auto& c = w.client->counters();
  EXPECT_EQ(c.lists, 0U);
  EXPECT_GT(c.queries, 0U);
  EXPECT_EQ(c.creates, 3U);
  const json stats = w.stats();
  EXPECT_EQ(on_route(stats, "POST /model/v1/generation"), 3);
  EXPECT_EQ(on_route(stats, "GET /model/v1/generation/task/{id}"), static_cast<int64_t>(c.queries));
  EXPECT_EQ(on_route(stats, "GET /ent/v2/tasks"), 0);
  EXPECT_EQ(client_requests(stats), static_cast<int64_t>(c.total())) << stats.dump();
}

// --- never two paid tasks for one submit --------------------------------------

// A loopback TCP proxy in front of the simulator that lets the first
// `swallow` create requests (POST .../text2video or /model/v1/generation)
// reach the server and then closes the connection instead of passing the
// answer on: the task exists, its creator never hears of it (the case the
// simulator's own drop fault, which strikes before any effect, cannot make).
class SwallowingProxy {
 public:
  SwallowingProxy(const std::string& target_url, int swallow) : swallow_(swallow) {
    target_port_ = std::stoi(target_url.substr(target_url.rfind(':') + 1));
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_, 64) != 0)
      throw std::runtime_error("proxy: cannot listen");
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~SwallowingProxy() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    for (auto& t : pipes_) t.join();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int swallowed() const { return swallowed_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      pipes_.emplace_back([this, client] { pipe(client); });
    }
  }

  void pipe(int client) {
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(server);
      return;
    }
    bool first = true;
    bool swallow = false;
    char buf[65536];
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (!stopping_) {
      if (poll(fds, 2, 100) < 0) break;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = read(client, buf, sizeof buf);
        if (n <= 0) break;
        if (first) {
          const std::string head(buf, static_cast<size_t>(n));
          const bool create = head.rfind("POST /ent/v2/text2video", 0) == 0 ||
                              head.rfind("POST /model/v1/generation ", 0) == 0;
          if (create && swallowed_ < swallow_) {
            ++swallowed_;
            swallow = true;
          }
          first = false;
        }
        if (write(server, buf, static_cast<size_t>(n)) != n) break;
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = read(server, buf, sizeof buf);
        if (n <= 0 || swallow) break;  // the answer came: drop it and the connection
        if (write(client, buf, static_cast<size_t>(n)) != n) break;
      }
    }
    close(server);
    close(client);
  }

  int swallow_;
  std::atomic<int> swallowed_{0};
  std::atomic<bool> stopping_{false};
  int target_port_ = 0;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> pipes_;  // joined at the end (a test makes a few dozen)
};

TEST(ViduClient, CreatedTaskWhoseAnswerWasLostIsFoundByItsPayloadTag) {
  World w(at_speed(50));
  SwallowingProxy proxy(w.sim->base_url(), 2);
  // A client that talks to the API through the proxy.
  ClientConfig config = w.client->config();
  config.base_url = proxy.base_url();
  w.client = std::make_unique<Client>(w.loop, config, nullptr);
  Submission tagged = t2v("tagged by the script");
  tagged.body["payload"] = "my-own-tag-42";
  const uint64_t a = w.client->submit(std::move(tagged));
  const uint64_t b = w.client->submit(t2v("tagged by reel"));
  ASSERT_TRUE(w.finish_all({a, b}, 60));
  EXPECT_EQ(proxy.swallowed(), 2);
  std::set<std::string> ids;
  for (uint64_t h : {a, b}) {
    const TaskInfo& t = w.client->task(h);
    ASSERT_TRUE(t.clip.has_value()) << failure_text(t);
    EXPECT_TRUE(fs::exists(t.clip->path));
    ids.insert(t.id);
  }
  EXPECT_EQ(ids.size(), 2U);
  const auto& c = w.client->counters();
  EXPECT_EQ(c.creates, 2U) << "a create whose task exists was sent again";
  EXPECT_GT(c.other, 0U) << "no lookup";
  const json stats = w.stats();
  EXPECT_EQ(tasks_created(stats), 2) << stats.dump();
  EXPECT_EQ(on_route(stats, "POST /ent/v2/text2video"), 2);
}

TEST(ViduClient, VtrixCreatedTaskWhoseAnswerWasLostIsUnconfirmed) {
  World w(at_speed(50), Dialect::vtrix);
  SwallowingProxy proxy(w.sim->base_url(), 1);
  ClientConfig config = w.client->config();
  config.base_url = proxy.base_url();
  w.client = std::make_unique<Client>(w.loop, config, nullptr);
  const uint64_t h = w.client->submit(t2v("lost on vtrix"));
  ASSERT_TRUE(w.finish_all({h}, 30));
  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.failure.has_value());
  EXPECT_EQ(t.failure->code, "CreateUnconfirmed") << failure_text(t);
  EXPECT_EQ(w.client->counters().creates, 1U);
  const json stats = w.stats();
  EXPECT_EQ(tasks_created(stats), 1) << "the task exists: it must not be created again";
  EXPECT_EQ(on_route(stats, "POST /model/v1/generation"), 1);
}

TEST(ViduClient, LostCreateAnswersAreLookedUpNeverPaidTwice) {
  // Half of all API requests lose their connection (before any effect).
  World w(at_speed(50).with_faults("drop=0.5,seed=11"));
  constexpr int kTasks = 12;
  std::vector<uint64_t> handles;
  for (int i = 0; i < kTasks; ++i)
    handles.push_back(w.client->submit(t2v("lost " + std::to_string(i))));
  ASSERT_TRUE(w.finish_all(handles, 180));

  int succeeded = 0;
  int with_id = 0;
  std::set<std::string> ids;
  for (uint64_t h : handles) {
    const TaskInfo& t = w.client->task(h);
    if (!t.id.empty()) {
      ++with_id;
      EXPECT_TRUE(ids.insert(t.id).second) << "two submits adopted task " << t.id;
    }
    if (t.clip) {
      ++succeeded;
      EXPECT_TRUE(fs::exists(t.clip->path));
      continue;
    }
    ASSERT_TRUE(t.failure.has_value());
    // Unconfirmed (the lookup failed too) or provably never created after
    // every round was lost: both say nothing was paid twice.
    EXPECT_TRUE(t.failure->code == "CreateUnconfirmed" || t.failure->code == "CreateFailed")
        << failure_text(t);
    EXPECT_TRUE(t.id.empty()) << "a task that exists remotely failed: " << failure_text(t);
    std::printf("[ lost     ] %s\n", failure_text(t).c_str());
  }
  const auto& c = w.client->counters();
  const json stats = w.stats();
  std::printf(
      "[ lost     ] %d/%d succeeded; creates %llu lookups+other %llu; server created %lld\n",
      succeeded, kTasks, static_cast<unsigned long long>(c.creates),
      static_cast<unsigned long long>(c.other), static_cast<long long>(tasks_created(stats)));
  EXPECT_GT(succeeded, 0);
  EXPECT_GT(c.creates, static_cast<uint64_t>(kTasks)) << "no create was ever lost: bad seed?";
  EXPECT_GT(c.other, 0U) << "no lookup after a lost answer";
  // Every task the server made belongs to exactly one submit.
  EXPECT_EQ(tasks_created(stats), with_id) << stats.dump();
  EXPECT_LE(tasks_created(stats), kTasks);
  EXPECT_EQ(
      stats["credits"]["charged"].get<int64_t>() - stats["credits"]["refunded"].get<int64_t>(),
      stats["credits"]["net"].get<int64_t>());
  // Creates are counted exactly (each on a connection of its own). A GET on a
  // reused keep-alive connection that the server drops is re-sent by libcurl
  // itself, unseen by HttpClient's attempt count, so the server may see more
  // GETs than the client counted, never fewer.
  EXPECT_EQ(on_route(stats, "POST /ent/v2/text2video"), static_cast<int64_t>(c.creates));
  EXPECT_GE(client_requests(stats), static_cast<int64_t>(c.total())) << stats.dump();
}

TEST(ViduClient, VtrixLostCreateIsUnconfirmedAndNeverSentTwice) {
  World w(at_speed(50).with_faults("drop=0.5,seed=3"), Dialect::vtrix);
  constexpr int kTasks = 10;
  std::vector<uint64_t> handles;
  for (int i = 0; i < kTasks; ++i)
    handles.push_back(w.client->submit(t2v("vtrix lost " + std::to_string(i))));
  ASSERT_TRUE(w.finish_all(handles, 120));
  int unconfirmed = 0;
  int with_id = 0;
  for (uint64_t h : handles) {
    const TaskInfo& t = w.client->task(h);
    if (!t.id.empty()) ++with_id;
    if (t.clip) continue;
    ASSERT_TRUE(t.failure.has_value());
    EXPECT_EQ(t.failure->code, "CreateUnconfirmed") << failure_text(t);
    EXPECT_NE(t.failure->message.find("Vtrix"), std::string::npos) << t.failure->message;
    ++unconfirmed;
  }
  EXPECT_GT(unconfirmed, 0) << "no create was dropped: bad seed?";
  const json stats = w.stats();
  // One create request per submit, whatever happened to it.
  EXPECT_EQ(on_route(stats, "POST /model/v1/generation"), kTasks) << stats.dump();
  EXPECT_EQ(w.client->counters().creates, static_cast<uint64_t>(kTasks));
  EXPECT_EQ(tasks_created(stats), with_id);
  EXPECT_EQ(with_id, kTasks - unconfirmed);
}

// --- refusals -------------------------------------------------------------------

TEST(ViduClient, ApiRefusalFailsWithItsReasonAndIsNotRetried) {
  World w(at_speed(50));
  // What the server says to this body, asked directly.
  json bad = t2v_body("too long", 1);
  bad["duration"] = 99;
  HttpRequest raw;
  raw.method = "POST";
  raw.url = w.sim->base_url() + "/ent/v2/text2video";
  raw.headers = {"Authorization: Token " + kKey, "Content-Type: application/json"};
  raw.body = bad.dump();
  raw.retry.max_attempts = 1;
  const HttpResponse direct = w.send(raw);
  ASSERT_EQ(direct.status, 400) << direct.body;
  const std::string reason = json::parse(direct.body).value("reason", "");
  ASSERT_FALSE(reason.empty()) << direct.body;

  // The client does not validate here: the body goes as handed.
  Submission s = t2v("too long");
  s.body = bad;
  const uint64_t h = w.client->submit(std::move(s));
  ASSERT_TRUE(w.finish_all({h}, 30));
  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.failure.has_value());
  EXPECT_EQ(t.failure->code, reason);
  EXPECT_EQ(t.failure->http_status, 400);
  EXPECT_FALSE(t.failure->retryable);
  EXPECT_NE(t.failure->message.find("refused"), std::string::npos) << t.failure->message;
  EXPECT_EQ(t.state, TaskState::failed);
  EXPECT_TRUE(t.id.empty());
  EXPECT_EQ(w.client->counters().creates, 1U);
  EXPECT_EQ(w.client->counters().total(), 1U);
  const json stats = w.stats();
  EXPECT_EQ(on_route(stats, "POST /ent/v2/text2video"), 2);  // ours and the client's
  EXPECT_EQ(tasks_created(stats), 0);
}

TEST(ViduClient, WrongKeyIsUnauthorizedAndTheKeyIsNeverShown) {
  const std::string secret = "sk-wrong-SECRET-7c1e5a";
  World w(at_speed(50).with_key("the-right-key"), Dialect::vidu, secret);
  const uint64_t h = w.client->submit(t2v("no entry"));
  ASSERT_TRUE(w.finish_all({h}, 30));
  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.failure.has_value());
  EXPECT_EQ(t.failure->code, "Unauthorized");
  EXPECT_EQ(t.failure->http_status, 401);
  EXPECT_EQ(t.failure->message.find(secret), std::string::npos) << t.failure->message;
  EXPECT_EQ(t.failure->message.find("SECRET"), std::string::npos) << t.failure->message;
  EXPECT_NE(t.failure->message.find("VIDU_API_KEY"), std::string::npos) << t.failure->message;
  EXPECT_EQ(w.client->counters().creates, 1U);

  // The credits call says the same, without the key either.
  std::optional<Failure> refused;
  bool answered = false;
  w.client->credits([&](std::optional<reel::vidu::Balance> b, std::optional<Failure> f) {
    EXPECT_FALSE(b.has_value());
    refused = std::move(f);
    answered = true;
  });
  ASSERT_TRUE(w.run_until([&] { return answered; }, 30));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->code, "Unauthorized");
  EXPECT_EQ(refused->message.find(secret), std::string::npos) << refused->message;
}

// --- cancel and credits ----------------------------------------------------------

TEST(ViduClient, CancelAQueuedTaskAndRefuseToCancelAFinishedOne) {
  // One slot, and a 10 s video (0.5 s at speed 20): the later tasks queue.
  World w(at_speed(20).with_concurrency(1).with_credits(5000));
  const uint64_t first = w.client->submit(t2v("first", 1));
  const uint64_t busy = w.client->submit(t2v("busy", 10));
  const uint64_t queued = w.client->submit(t2v("queued", 1));

  // Cancelled before it even exists remotely: sent once its id is known.
  std::optional<std::optional<Failure>> early;
  w.client->cancel(queued, [&](std::optional<Failure> f) { early = std::move(f); });
  EXPECT_TRUE(w.client->task(queued).cancel_requested);

  ASSERT_TRUE(w.finish_all({first, busy, queued}, 90));
  ASSERT_TRUE(early.has_value()) << "the cancel was never answered";
  EXPECT_FALSE(early->has_value()) << (*early)->code << ": " << (*early)->message;
  const TaskInfo& c = w.client->task(queued);
  ASSERT_TRUE(c.failure.has_value()) << "the queued task was not cancelled";
  EXPECT_EQ(c.failure->code, "Cancelled") << failure_text(c);
  EXPECT_EQ(c.err_code, "UserCancelled");
  EXPECT_FALSE(c.clip.has_value());
  EXPECT_TRUE(w.client->task(first).clip.has_value()) << failure_text(w.client->task(first));
  EXPECT_TRUE(w.client->task(busy).clip.has_value()) << failure_text(w.client->task(busy));

  // A finished task cannot be cancelled; nothing is sent for it.
  const uint64_t before = w.client->counters().total();
  std::optional<std::optional<Failure>> late;
  w.client->cancel(first, [&](std::optional<Failure> f) { late = std::move(f); });
  ASSERT_TRUE(late.has_value());
  ASSERT_TRUE(late->has_value());
  EXPECT_EQ((*late)->code, "NotCancellable");
  EXPECT_EQ(w.client->counters().total(), before);

  // The balance: the starting credits minus what stayed charged.
  std::optional<reel::vidu::Balance> balance;
  std::optional<Failure> failure;
  bool answered = false;
  w.client->credits([&](std::optional<reel::vidu::Balance> b, std::optional<Failure> f) {
    balance = std::move(b);
    failure = std::move(f);
    answered = true;
  });
  ASSERT_TRUE(w.run_until([&] { return answered; }, 30));
  ASSERT_TRUE(balance.has_value()) << (failure ? failure->message : "");
  const json stats = w.stats();
  const int64_t net = stats["credits"]["net"].get<int64_t>();
  const int64_t paid = *w.client->task(first).credits + *w.client->task(busy).credits;
  EXPECT_EQ(net, paid) << "the cancelled task is refunded";
  EXPECT_EQ(balance->total, 5000 - net);
  EXPECT_EQ(balance->total, stats["credits"]["balance"].get<int64_t>());
  EXPECT_FALSE(balance->entries.empty());
}

// --- attach ------------------------------------------------------------------------

TEST(ViduClient, AttachFollowsAnExistingTaskAndDownloadsIt) {
  World w(at_speed(50));
  const std::string id = w.create_raw(t2v_body("made elsewhere", 1));
  ASSERT_FALSE(id.empty());
  const uint64_t h = w.client->attach(id);
  EXPECT_EQ(w.client->task(h).id, id);
  ASSERT_TRUE(w.finish_all({h}, 60));
  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.clip.has_value()) << failure_text(t);
  EXPECT_EQ(t.clip->task_id, id);
  EXPECT_TRUE(fs::exists(t.clip->path));
  EXPECT_TRUE(reel::vidu::duration_matches(t.clip->duration, 1)) << t.clip->duration;
  EXPECT_EQ(w.client->counters().creates, 0U);
  EXPECT_EQ(tasks_created(w.stats()), 1);
}

TEST(ViduClient, AttachingTheSameTaskTwiceGivesTwoGoodClips) {
  World w(at_speed(50));
  const std::string id = w.create_raw(t2v_body("followed twice", 1));
  ASSERT_FALSE(id.empty());
  const uint64_t a = w.client->attach(id);
  const uint64_t b = w.client->attach(id);
  ASSERT_TRUE(w.finish_all({a, b}, 60));
  for (uint64_t h : {a, b}) {
    const TaskInfo& t = w.client->task(h);
    ASSERT_TRUE(t.clip.has_value()) << failure_text(t);
    ASSERT_TRUE(fs::exists(t.clip->path)) << t.clip->path;
    EXPECT_TRUE(reel::vidu::duration_matches(t.clip->duration, 1)) << t.clip->duration;
  }
  for (const auto& name : files_in(w.out)) EXPECT_EQ(name.find(".part"), std::string::npos) << name;
}

TEST(ViduClient, AttachOfAnUnknownIdFails) {
  World w(at_speed(50));
  const uint64_t h = w.client->attach("123456789012345678");
  ASSERT_TRUE(w.finish_all({h}, 30));
  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.failure.has_value());
  EXPECT_FALSE(t.clip.has_value());
  EXPECT_EQ(t.failure->http_status, 404) << failure_text(t);
  EXPECT_EQ(t.failure->code, "TaskNotFound") << failure_text(t);
  EXPECT_NE(t.failure->message.find("123456789012345678"), std::string::npos);
  EXPECT_TRUE(files_in(w.out).empty());
}

}  // namespace
