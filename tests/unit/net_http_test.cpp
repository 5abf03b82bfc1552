// reel::net::HttpClient against the real in-process Vidu simulator: real
// sockets, real libcurl, the real uv loop; the simulator's /_sim/stats proves
// how many requests actually reached the server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "host/net/event_loop.hpp"
#include "host/net/http_client.hpp"
#include "host/net/retry.hpp"
#include "host/sim/simulator.hpp"

namespace {

using json = nlohmann::json;
using reel::net::EventLoop;
using reel::net::HttpClient;
using reel::net::HttpRequest;
using reel::net::HttpResponse;
using reel::net::RetryPolicy;
using Clock = std::chrono::steady_clock;

const std::string kKey = "net-test-key";
const std::string kAuth = "Authorization: Token " + kKey;

std::unique_ptr<reel::sim::Simulator> start_sim(const std::string& faults = "") {
  reel::sim::Options options;
  options.key = kKey;
  options.speed = 50;
  options.quiet = true;
  options.faults = faults;
  auto sim = std::make_unique<reel::sim::Simulator>(options);
  sim->start();
  return sim;
}

// Turns the loop until `done()` or the deadline. A ticking timer keeps
// run_once from blocking past the deadline.
bool run_until(EventLoop& loop, const std::function<bool()>& done, double timeout_s = 30) {
  auto* tick = new uv_timer_t;
  uv_timer_init(loop.get(), tick);
  uv_timer_start(
      tick, [](uv_timer_t*) {}, 20, 20);
  auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done() && Clock::now() < deadline) loop.run_once();
  uv_close(reinterpret_cast<uv_handle_t*>(tick),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  return done();
}

HttpResponse fetch(EventLoop& loop, HttpClient& client, HttpRequest request) {
  std::optional<HttpResponse> out;
  client.send(std::move(request), [&](HttpResponse&& r) { out = std::move(r); });
  EXPECT_TRUE(run_until(
      loop, [&] { return out.has_value(); }, 60))
      << "no answer in time";
  return out ? std::move(*out) : HttpResponse{};
}

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.headers = {kAuth};
  return r;
}

HttpRequest create_request(const std::string& base) {
  HttpRequest r;
  r.method = "POST";
  r.url = base + "/ent/v2/text2video";
  r.headers = {kAuth, "Content-Type: application/json"};
  r.body = json{
      {"model", "viduq2"},
      {"prompt", "a red kite over the sea"},
      {"duration", 1},
      {"resolution", "540p"},
      {"aspect_ratio",
       "16:9"}}.dump();
  return r;
}

RetryPolicy quick(int attempts) {
  RetryPolicy p;
  p.max_attempts = attempts;
  p.base_delay = 0.01;
  p.max_delay = 0.05;
  return p;
}

// Requests the simulator saw on `route` with `status` (a number or "drop").
int64_t seen(EventLoop& loop, HttpClient& client, const std::string& base, const std::string& route,
             const std::string& status) {
  HttpResponse r = fetch(loop, client, get(base + "/_sim/stats"));
  json stats = json::parse(r.body);
  auto& requests = stats["requests"];
  if (!requests.contains(route) || !requests[route].contains(status)) return 0;
  return requests[route][status].get<int64_t>();
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path temp_path(const std::string& name) {
  static std::mt19937_64 rng(std::random_device{}());
  return std::filesystem::temp_directory_path() /
         ("reel-net-" + std::to_string(rng() % 1000000000) + "-" + name);
}

// A loopback port with nothing listening: bound once, then released.
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// ---------------------------------------------------------------------------
// Retry arithmetic

TEST(NetRetry, BackoffIsFullJitterUnderAGrowingCappedCeiling) {
  RetryPolicy p;  // 0.5 s, x2, cap 30 s
  std::mt19937_64 rng(1);
  for (int attempt = 2; attempt <= 12; ++attempt) {
    double ceiling = std::min(30.0, 0.5 * std::pow(2.0, attempt - 2));
    double most = 0;
    for (int i = 0; i < 200; ++i) {
      double d = reel::net::backoff_delay(p, attempt, rng);
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling);
      most = std::max(most, d);
    }
    EXPECT_GT(most, ceiling * 0.8) << "the whole range is used";
  }
}

TEST(NetRetry, RetryAfterReadsSecondsAndHttpDates) {
  std::time_t now = curl_getdate("Sun, 06 Nov 1994 08:49:37 GMT", nullptr);
  EXPECT_EQ(reel::net::parse_retry_after("3", now), 3.0);
  EXPECT_EQ(reel::net::parse_retry_after(" 120 ", now), 120.0);
  EXPECT_EQ(reel::net::parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), 30.0);
  EXPECT_EQ(reel::net::parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0.0);
  EXPECT_FALSE(reel::net::parse_retry_after("soon", now).has_value());
  EXPECT_FALSE(reel::net::parse_retry_after("", now).has_value());
}

TEST(NetRetry, OnlySafeMethodsAreIdempotent) {
  EXPECT_TRUE(reel::net::is_idempotent("GET"));
  EXPECT_TRUE(reel::net::is_idempotent("HEAD"));
  EXPECT_FALSE(reel::net::is_idempotent("POST"));
  EXPECT_FALSE(reel::net::is_idempotent("PATCH"));
}

// ---------------------------------------------------------------------------
// Against the simulator

TEST(NetHttp, GetsSimStatsAsJson) {
  auto sim = start_sim();
  EventLoop loop;
  HttpClient client(loop);
  HttpResponse r = fetch(loop, client, get(sim->base_url() + "/_sim/stats"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(r.request_sent);
  EXPECT_TRUE(json::parse(r.body, nullptr, false).is_object()) << r.body;
  EXPECT_FALSE(r.headers.empty());
  for (const auto& [name, value] : r.headers)
    EXPECT_EQ(name, [&] {
      std::string l = name;
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return l;
    }());
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(NetHttp, HundredConcurrentGetsShareOneResponsiveLoop) {
  auto sim = start_sim("slow=1.0:100");  // every answer 100 ms late
  EventLoop loop;
  HttpClient client(loop);
  int completed = 0, ok = 0;
  for (int i = 0; i < 100; ++i) {
    client.send(get(sim->base_url() + "/ent/v2/credits"), [&](HttpResponse&& r) {
      ++completed;
      if (r.status == 200) ++ok;
    });
  }
  EXPECT_EQ(client.in_flight(), 100u);
  // A timer on the same loop must keep firing while the transfers run.
  int ticks_during = 0;
  uv_timer_t probe;
  uv_timer_init(loop.get(), &probe);
  struct Probe {
    HttpClient* client;
    int* ticks;
  } state{&client, &ticks_during};
  probe.data = &state;
  uv_timer_start(
      &probe,
      [](uv_timer_t* t) {
        auto* s = static_cast<Probe*>(t->data);
        if (s->client->in_flight() > 0) ++*s->ticks;
      },
      10, 10);
  auto started = Clock::now();
  EXPECT_TRUE(run_until(
      loop, [&] { return completed == 100; }, 60));
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  uv_close(reinterpret_cast<uv_handle_t*>(&probe), nullptr);
  run_until(
      loop, [] { return false; }, 0.05);  // let the close callback run
  EXPECT_EQ(ok, 100);
  EXPECT_GT(ticks_during, 5) << "the loop stalled while " << seconds << " s of transfers ran";
  EXPECT_EQ(seen(loop, client, sim->base_url(), "GET /ent/v2/credits", "200"), 100);
}

TEST(NetHttp, PostCreatesATask) {
  auto sim = start_sim();
  EventLoop loop;
  HttpClient client(loop);
  HttpResponse r = fetch(loop, client, create_request(sim->base_url()));
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_FALSE(body.value("task_id", "").empty()) << r.body;
  EXPECT_EQ(r.headers.count("content-type"), 1u);
}

TEST(NetHttp, TooManyRequestsIsRetriedAfterRetryAfter) {
  auto sim = start_sim("429=1.0:1");  // every API request: 429, Retry-After: 1
  EventLoop loop;
  HttpClient client(loop);
  HttpRequest request = get(sim->base_url() + "/ent/v2/credits");
  request.retry = quick(3);
  auto started = Clock::now();
  HttpResponse r = fetch(loop, client, request);
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_TRUE(r.error.empty()) << "a response arrived: " << r.error;
  EXPECT_GE(seconds, 1.9) << "Retry-After: 1 was honoured twice, not the 10 ms back-off";
  EXPECT_EQ(seen(loop, client, sim->base_url(), "GET /ent/v2/credits", "429"), r.attempts);

  // A 429 is a refusal without effect: a create is repeated too.
  HttpRequest create = create_request(sim->base_url());
  create.retry = quick(2);
  HttpResponse c = fetch(loop, client, create);
  EXPECT_EQ(c.status, 429);
  EXPECT_EQ(c.attempts, 2);
  EXPECT_EQ(seen(loop, client, sim->base_url(), "POST /ent/v2/text2video", "429"), 2);
}

TEST(NetHttp, SomeTooManyRequestsThenSuccess) {
  auto sim = start_sim("429=0.5:1,seed=3");
  EventLoop loop;
  HttpClient client(loop);
  int attempts = 0, ok = 0;
  for (int i = 0; i < 4; ++i) {
    HttpRequest request = get(sim->base_url() + "/ent/v2/credits");
    request.retry = quick(10);
    HttpResponse r = fetch(loop, client, request);
    attempts += r.attempts;
    ok += r.status == 200;
  }
  EXPECT_EQ(ok, 4);
  int64_t requests = seen(loop, client, sim->base_url(), "GET /ent/v2/credits", "429") +
                     seen(loop, client, sim->base_url(), "GET /ent/v2/credits", "200");
  EXPECT_EQ(requests, attempts);
  EXPECT_GT(attempts, 4) << "seed 3 gives at least one 429";
}

TEST(NetHttp, ServerErrorIsRetriedForGetButNotForPost) {
  auto sim = start_sim("500=1.0");
  EventLoop loop;
  HttpClient client(loop);
  HttpRequest request = get(sim->base_url() + "/ent/v2/credits");
  request.retry = quick(3);
  HttpResponse r = fetch(loop, client, request);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(seen(loop, client, sim->base_url(), "GET /ent/v2/credits", "500"), 3);

  HttpRequest create = create_request(sim->base_url());
  create.retry = quick(3);
  HttpResponse c = fetch(loop, client, create);
  EXPECT_EQ(c.status, 500);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_TRUE(c.request_sent);
  EXPECT_EQ(seen(loop, client, sim->base_url(), "POST /ent/v2/text2video", "500"), 1);
}

TEST(NetHttp, DroppedPostIsNotRetriedButDroppedGetIs) {
  auto sim = start_sim("drop=1.0");
  EventLoop loop;
  HttpClient client(loop);
  // A warm keep-alive connection first: libcurl would silently resend a
  // request on a reused connection that closes without an answer.
  EXPECT_EQ(seen(loop, client, sim->base_url(), "POST /ent/v2/text2video", "drop"), 0);
  HttpRequest create = create_request(sim->base_url());
  create.retry = quick(3);
  HttpResponse c = fetch(loop, client, create);
  EXPECT_EQ(c.status, 0);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_TRUE(c.request_sent);
  EXPECT_NE(c.error.find("may have reached the server"), std::string::npos) << c.error;
  EXPECT_EQ(c.error.find(kKey), std::string::npos) << "no header values in errors";
  EXPECT_EQ(seen(loop, client, sim->base_url(), "POST /ent/v2/text2video", "drop"), 1);

  HttpRequest request = get(sim->base_url() + "/ent/v2/credits");
  request.retry = quick(3);
  HttpResponse r = fetch(loop, client, request);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_FALSE(r.error.empty());
  // At least one per attempt; libcurl may add its own resend on a reused
  // connection, which is harmless for a GET.
  EXPECT_GE(seen(loop, client, sim->base_url(), "GET /ent/v2/credits", "drop"), 3);
}

TEST(NetHttp, RefusedConnectionRetriesEvenAPostThenFailsClearly) {
  EventLoop loop;
  HttpClient client(loop);
  HttpRequest create = create_request("http://127.0.0.1:" + std::to_string(closed_port()));
  create.retry = quick(3);
  HttpResponse c = fetch(loop, client, create);
  EXPECT_EQ(c.status, 0);
  EXPECT_EQ(c.attempts, 3) << c.error;
  EXPECT_FALSE(c.request_sent) << "nothing was ever sent: safe to create again";
  EXPECT_NE(c.error.find("cannot connect"), std::string::npos) << c.error;
  EXPECT_NE(c.error.find("after 3 attempts"), std::string::npos) << c.error;
}

TEST(NetHttp, PlainHttpToARemoteHostIsRefusedBeforeConnecting) {
  EventLoop loop;
  HttpClient client(loop);
  for (const char* url : {"http://example.com/ent/v2/credits", "http://10.0.0.1:80/x",
                          "http://128.0.0.1/", "ftp://127.0.0.1/x", "not a url"}) {
    bool called = false;
    HttpResponse r;
    HttpRequest request = get(url);
    client.send(request, [&](HttpResponse&& got) {
      called = true;
      r = std::move(got);
    });
    EXPECT_FALSE(called) << "never called back from inside send()";
    ASSERT_TRUE(run_until(
        loop, [&] { return called; }, 5));
    EXPECT_EQ(r.attempts, 0) << url;
    EXPECT_FALSE(r.request_sent);
    EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(kKey), std::string::npos);
  }
  HttpResponse r = fetch(loop, client, get("http://example.com/"));
  EXPECT_NE(r.error.find("only to loopback"), std::string::npos) << r.error;
  // Loopback in its other spellings is allowed through (and fails to connect).
  for (std::string host : {"localhost", "127.0.0.2", "[::1]"}) {
    HttpRequest request = get("http://" + host + ":" + std::to_string(closed_port()) + "/");
    request.retry = quick(1);
    HttpResponse local = fetch(loop, client, request);
    EXPECT_EQ(local.attempts, 1) << host << ": " << local.error;
    EXPECT_EQ(local.error.find("only to loopback"), std::string::npos) << local.error;
  }
}

TEST(NetHttp, ErrorTextsLeaveOutSignaturesAndHeaders) {
  EventLoop loop;
  HttpClient client(loop);
  std::string base = "http://127.0.0.1:" + std::to_string(closed_port());
  HttpRequest download = get(base + "/files/123.SECRETMAC/x.mp4?sig=SECRETSIG");
  auto path = temp_path("never.mp4");
  download.download_to = path.string();
  download.retry = quick(1);
  HttpResponse d = fetch(loop, client, download);
  EXPECT_NE(d.error.find("cannot connect"), std::string::npos) << d.error;
  EXPECT_EQ(d.error.find("SECRET"), std::string::npos) << d.error;
  EXPECT_EQ(d.error.find(kKey), std::string::npos) << d.error;
  std::filesystem::remove(path);

  HttpRequest api = get(base + "/ent/v2/credits?token=SECRETQUERY");
  api.retry = quick(1);
  HttpResponse a = fetch(loop, client, api);
  EXPECT_NE(a.error.find("/ent/v2/credits"), std::string::npos) << "the path helps: " << a.error;
  EXPECT_EQ(a.error.find("SECRET"), std::string::npos) << a.error;

  HttpRequest nowhere = get(base + "/x");
  nowhere.download_to = "/nonexistent-dir/reel/x.mp4";
  HttpResponse n = fetch(loop, client, nowhere);
  EXPECT_EQ(n.attempts, 0);
  EXPECT_NE(n.error.find("cannot open /nonexistent-dir/reel/x.mp4"), std::string::npos) << n.error;
}

// A TLS server with a self-signed certificate (openssl s_server): the client
// must refuse it, and not retry a certificate failure.
TEST(NetHttp, UntrustedCertificateIsRefused) {
  auto dir = temp_path("tls");
  std::filesystem::create_directories(dir);
  std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  std::string make =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
      " -out " + cert + " >/dev/null 2>&1";
  if (std::system(make.c_str()) != 0) GTEST_SKIP() << "no openssl CLI";
  int port = closed_port();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    std::string accept = std::to_string(port);
    execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept.c_str(), "-key",
           key.c_str(), "-cert", cert.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  EventLoop loop;
  HttpClient client(loop);
  HttpResponse r;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  do {  // until s_server listens
    HttpRequest request = get("https://127.0.0.1:" + std::to_string(port) + "/");
    request.retry = quick(1);
    r = fetch(loop, client, request);
  } while (r.error.find("cannot connect") != std::string::npos && Clock::now() < deadline);
  HttpRequest request = get("https://127.0.0.1:" + std::to_string(port) + "/");
  request.retry = quick(3);
  r = fetch(loop, client, request);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("certificate"), std::string::npos) << r.error;
  EXPECT_EQ(r.attempts, 1) << "a certificate failure is not transient: " << r.error;
}

// Creates a task and waits for its result URL.
std::string finished_video_url(EventLoop& loop, HttpClient& client, const std::string& base) {
  HttpResponse created = fetch(loop, client, create_request(base));
  std::string id = json::parse(created.body).value("task_id", "");
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    HttpResponse r = fetch(loop, client, get(base + "/ent/v2/tasks/" + id + "/creations"));
    json task = json::parse(r.body, nullptr, false);
    if (task.value("state", "") == "success") return task["creations"][0].value("url", "");
    if (task.value("state", "") == "failed") break;
    bool slept = false;
    loop.after(50, [&] { slept = true; });
    run_until(loop, [&] { return slept; });
  }
  ADD_FAILURE() << "task " << id << " did not succeed";
  return "";
}

TEST(NetHttp, DownloadResumesAPartialFileWithRange) {
  auto sim = start_sim();
  EventLoop loop;
  HttpClient client(loop);
  std::string url = finished_video_url(loop, client, sim->base_url());
  ASSERT_FALSE(url.empty());

  auto full_path = temp_path("full.mp4");
  HttpRequest full;
  full.url = url;
  full.download_to = full_path.string();
  HttpResponse f = fetch(loop, client, full);
  ASSERT_EQ(f.status, 200) << f.error << f.body;
  EXPECT_TRUE(f.body.empty()) << "the body went to the file";
  std::string bytes = read_file(full_path);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(f.downloaded, static_cast<int64_t>(bytes.size()));

  // A file cut after a third: only the rest is fetched, and appended.
  auto part_path = temp_path("part.mp4");
  std::ofstream(part_path, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  HttpRequest resume;
  resume.url = url;
  resume.download_to = part_path.string();
  HttpResponse p = fetch(loop, client, resume);
  EXPECT_EQ(p.status, 206) << p.error << p.body;
  EXPECT_EQ(read_file(part_path), bytes);
  EXPECT_EQ(seen(loop, client, sim->base_url(), "GET /files", "206"), 1);

  // A complete file: the server has nothing after its end (416), and the file
  // is left as it is.
  HttpResponse again = fetch(loop, client, resume);
  EXPECT_TRUE(again.ok()) << again.status << " " << again.error;
  EXPECT_EQ(read_file(part_path), bytes);

  // An error answer does not touch the file and arrives in `body`.
  HttpRequest missing = resume;
  missing.url = sim->base_url() + "/files/0.bad/none.mp4";
  HttpResponse m = fetch(loop, client, missing);
  EXPECT_GE(m.status, 400);
  EXPECT_FALSE(m.body.empty());
  EXPECT_EQ(read_file(part_path), bytes);

  std::filesystem::remove(full_path);
  std::filesystem::remove(part_path);
}

TEST(NetHttp, TruncatedDownloadsAreResumedUntilComplete) {
  auto sim = start_sim("truncate=1.0");  // every file answer stops half-way
  EventLoop loop;
  HttpClient client(loop);
  std::string url = finished_video_url(loop, client, sim->base_url());
  ASSERT_FALSE(url.empty());
  std::string first, second;
  for (std::string* out : {&first, &second}) {
    auto path = temp_path("cut.mp4");
    HttpRequest request;
    request.url = url;
    request.download_to = path.string();
    request.retry = quick(64);
    HttpResponse r = fetch(loop, client, request);
    EXPECT_TRUE(r.ok()) << r.status << " " << r.error;
    EXPECT_GT(r.attempts, 2);
    *out = read_file(path);
    std::filesystem::remove(path);
  }
  EXPECT_GT(first.size(), 1000u);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.substr(4, 4), "ftyp") << "an MP4 from its first byte";
}

TEST(NetHttp, CancelCompletesOnceWithCancelled) {
  auto sim = start_sim("slow=1.0:3000");
  EventLoop loop;
  HttpClient client(loop);
  std::vector<HttpResponse> results;
  uint64_t a = client.send(get(sim->base_url() + "/ent/v2/credits"),
                           [&](HttpResponse&& r) { results.push_back(std::move(r)); });
  // A transfer waiting for its retry is cancelled as well.
  HttpRequest failing = get("http://127.0.0.1:" + std::to_string(closed_port()) + "/");
  failing.retry.base_delay = 10;
  failing.retry.max_delay = 10;
  uint64_t b = client.send(failing, [&](HttpResponse&& r) { results.push_back(std::move(r)); });
  run_until(
      loop, [] { return false; }, 0.3);  // both under way
  EXPECT_EQ(client.in_flight(), 2u);
  client.cancel(a);
  client.cancel(b);
  client.cancel(b);       // twice: ignored
  client.cancel(999999);  // unknown: ignored
  EXPECT_TRUE(results.empty()) << "not called back from inside cancel()";
  EXPECT_EQ(client.in_flight(), 0u);
  ASSERT_TRUE(run_until(
      loop, [&] { return results.size() == 2; }, 5));
  for (const HttpResponse& r : results) {
    EXPECT_TRUE(r.cancelled);
    EXPECT_FALSE(r.ok());
  }
  run_until(
      loop, [] { return false; }, 0.2);
  EXPECT_EQ(results.size(), 2u) << "exactly once";
}

TEST(NetHttp, DestroyingTheClientDropsUnfinishedTransfers) {
  auto sim = start_sim("slow=1.0:3000");
  EventLoop loop;
  int calls = 0;
  {
    HttpClient client(loop);
    for (int i = 0; i < 5; ++i)
      client.send(get(sim->base_url() + "/ent/v2/credits"), [&](HttpResponse&&) { ++calls; });
    client.send(get("http://example.com/"), [&](HttpResponse&&) { ++calls; });  // pending
    run_until(
        loop, [] { return false; }, 0.2);
    EXPECT_EQ(calls, 1);
    client.send(get("http://example.com/"), [&](HttpResponse&&) { ++calls; });
  }
  // Only close callbacks are left: the loop winds down on its own.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (loop.alive() && Clock::now() < deadline) loop.run_once();
  EXPECT_FALSE(loop.alive());
  EXPECT_EQ(calls, 1);
}

TEST(NetHttp, CallbacksMaySendMore) {
  auto sim = start_sim();
  EventLoop loop;
  HttpClient client(loop);
  int remaining = 5, ok = 0;
  std::function<void(HttpResponse &&)> next = [&](HttpResponse&& r) {
    ok += r.status == 200;
    if (--remaining > 0) client.send(get(sim->base_url() + "/ent/v2/credits"), next);
  };
  client.send(get(sim->base_url() + "/ent/v2/credits"), next);
  EXPECT_TRUE(run_until(
      loop, [&] { return remaining == 0; }, 30));
  EXPECT_EQ(ok, 5);
}

}  // namespace
