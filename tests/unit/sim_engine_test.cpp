// The simulator over real HTTP: started in process on an ephemeral port and
// driven with libcurl, as a client would. The engine behind the API: injected
// faults, signed callbacks, the Vtrix error codes, and tasks kept across
// restarts (persist).
#include "sim_test_support.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "host/media/media.hpp"
#include "host/sim/engine.hpp"
#include "host/sim/faults.hpp"
#include "host/sim/http_server.hpp"
#include "host/sim/signature.hpp"
#include "host/sim/simulator.hpp"
#include "host/vidu/capabilities.hpp"

using namespace reel::sim::test_support;

namespace {

TEST(SimFaults, GrammarAndDeterminism) {
  EXPECT_THROW(reel::sim::Faults("bogus=0.1"), std::invalid_argument);
  EXPECT_THROW(reel::sim::Faults("429=2"), std::invalid_argument);
  EXPECT_THROW(reel::sim::Faults("429"), std::invalid_argument);
  reel::sim::Faults always("429=1:7");
  auto fault = always.for_request();
  EXPECT_EQ(fault.status, 429);
  EXPECT_EQ(fault.retry_after, 7);
  reel::sim::Faults a("500=0.5,seed=3"), b("500=0.5,seed=3");
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.for_request().status, b.for_request().status);
  reel::sim::Faults none("");
  EXPECT_EQ(none.for_request().status, 0);
}

TEST(SimFaults, InjectedErrorsHaveNoEffectAndFailedTasksAreRefunded) {
  Options options = fast_options();
  options.faults = "fail=1";
  Simulator sim(options);
  sim.start();
  json created = create(sim, text_request());
  json done = wait_for(sim, created["task_id"], {"success", "failed"});
  EXPECT_EQ(done["state"], "failed");
  EXPECT_FALSE(done["err_code"].get<std::string>().empty());
  EXPECT_EQ(done["credits"], 0);

  Options throttled = fast_options();
  throttled.faults = "429=1:3";
  Simulator busy(throttled);
  busy.start();
  Reply reply = http("POST", busy.base_url() + "/ent/v2/text2video", kAuth, text_request().dump());
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.headers["retry-after"], "3");
  EXPECT_EQ(parse(reply)["reason"], "TooManyRequests");
  json stats = parse(http("GET", busy.base_url() + "/_sim/stats"));
  EXPECT_EQ(stats["tasks_created"].size(), 0u);
  EXPECT_EQ(stats["credits"]["charged"], 0);
}

TEST(SimCallbacks, SigningStringMatchesTheDocumentedExample) {
  std::string date = "Tue, 06 May 2025 12:09:42 GMT";
  EXPECT_EQ(reel::sim::callback_signing_string(
                "http://127.0.0.1:8080/vidu/callback?name=james&age=36", date, "abc"),
            "POST\n/vidu/callback\nname=james&age=36\nvidu\n" + date + "\nDate:" + date +
                "\nx-request-nonce:abc\n");
  EXPECT_EQ(reel::sim::callback_signing_string("http://h", date, "n"),
            "POST\n/\n\nvidu\n" + date + "\nDate:" + date + "\nx-request-nonce:n\n");
}

TEST(SimCallbacks, DeliversSignedStateChanges) {
  std::mutex mutex;
  std::vector<reel::sim::HttpRequest> received;
  reel::sim::HttpServer receiver({}, [&](const reel::sim::HttpRequest& request) {
    std::lock_guard lock(mutex);
    received.push_back(request);
    return reel::sim::HttpResponse{};
  });
  receiver.start();
  std::string callback = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook?x=1";

  Simulator sim(fast_options());
  sim.start();
  json request = text_request();
  request["callback_url"] = callback;
  json created = create(sim, request);
  wait_for(sim, created["task_id"], {"success", "failed"});
  std::vector<reel::sim::HttpRequest> got;
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mutex);
      got = received;
    }
    if (!got.empty() && parse(Reply{200, got.back().body, {}, CURLE_OK})["state"] == "success")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(json::parse(got.back().body)["state"], "success");
  for (const auto& hook : got) {
    EXPECT_EQ(hook.method, "POST");
    std::string state = json::parse(hook.body)["state"];
    EXPECT_TRUE(state == "processing" || state == "success") << state;  // §12.1
    EXPECT_EQ(hook.header("x-hmac-access-key"), "vidu");
    EXPECT_EQ(hook.header("x-hmac-algorithm"), "hmac-sha256");
    EXPECT_EQ(hook.header("x-hmac-signed-headers"), "Date;x-request-nonce");
    std::string expected = reel::sim::base64(reel::sim::hmac_sha256(
        kKey, reel::sim::callback_signing_string(callback, hook.header("date"),
                                                 hook.header("x-request-nonce"))));
    EXPECT_EQ(hook.header("x-hmac-signature"), expected);
  }
  receiver.stop();
}

TEST(SimFaults, SpoiledOutputsAndTruncatedDownloads) {
  Options options = fast_options();
  options.faults = "empty=1";
  Simulator empty(options);
  empty.start();
  json done = wait_for(empty, create(empty, text_request())["task_id"], {"success", "failed"});
  ASSERT_EQ(done["state"], "success");
  Reply body = http("GET", done["creations"][0]["url"]);
  EXPECT_EQ(body.status, 200);
  EXPECT_TRUE(body.body.empty());

  options.faults = "truncate=1";
  Simulator cut(options);
  cut.start();
  done = wait_for(cut, create(cut, text_request())["task_id"], {"success", "failed"});
  ASSERT_EQ(done["state"], "success");
  Reply partial = http("GET", done["creations"][0]["url"]);
  EXPECT_NE(partial.result, CURLE_OK);  // announced length not delivered
  EXPECT_LT(partial.body.size(), std::stoul(partial.headers["content-length"]));
}

TEST(SimFaults, DroppedAndSlowAnswers) {
  Options options = fast_options();
  options.faults = "drop=1";
  Simulator dropping(options);
  dropping.start();
  EXPECT_NE(http("GET", dropping.base_url() + "/ent/v2/credits", kAuth).result, CURLE_OK);

  options.faults = "slow=1:300";
  Simulator slow(options);
  slow.start();
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(http("GET", slow.base_url() + "/ent/v2/credits", kAuth).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(290));
  // Stats are never faulted.
  EXPECT_EQ(http("GET", dropping.base_url() + "/_sim/stats").status, 200);
}

TEST(SimCallbacks, RetriesFailedDeliveriesThreeTimes) {
  std::mutex mutex;
  int attempts = 0;
  reel::sim::HttpServer receiver({}, [&](const reel::sim::HttpRequest&) {
    std::lock_guard lock(mutex);
    ++attempts;
    reel::sim::HttpResponse response;
    response.status = 500;
    return response;
  });
  receiver.start();
  Options options = fast_options();
  options.faults = "fail=1";
  Simulator sim(options);
  sim.start();
  json request = text_request();
  request["callback_url"] = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
  wait_for(sim, create(sim, request)["task_id"], {"failed"});
  // processing and failed (§12.1): 2 changes x (1 + 3 retries), 0.25+0.5+1 s apart.
  json stats;
  for (int i = 0; i < 200; ++i) {
    stats = parse(http("GET", sim.base_url() + "/_sim/stats"));
    if (stats["callbacks"]["failed"] == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(stats["callbacks"]["failed"], 2);
  std::lock_guard lock(mutex);
  EXPECT_EQ(attempts, 8);
  receiver.stop();
}

TEST(SimVtrix, ErrorsCarryNumericCodes) {
  Simulator sim(fast_options());
  sim.start();
  auto model = reel::vidu::vtrix_model(reel::vidu::Endpoint::text2video, "viduq2");
  ASSERT_TRUE(model.has_value());
  json params = text_request();
  params["duration"] = 99;
  json body = {{"model", *model}, {"input", json::array({{{"params", params}}})}};
  Reply reply =
      http("POST", sim.base_url() + "/model/v1/generation", "Bearer " + kKey, body.dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(parse(reply)["error"]["code"], 8012005) << reply.body;
  body["model"] = "no_such_model";
  reply = http("POST", sim.base_url() + "/model/v1/generation", "Bearer " + kKey, body.dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_TRUE(parse(reply)["error"]["code"].is_number_integer());
  EXPECT_EQ(http("GET", sim.base_url() + "/model/v1/generation/task/1", "Bearer " + kKey).status,
            404);
}

// ---- Tasks kept across restarts (Engine::Config::persist) ----

using reel::sim::Engine;
using reel::sim::State;
using reel::sim::Task;

// A data folder of one test, removed at its end.
struct DataDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("sim-store-" + reel::sim::random_hex(6));
  DataDir() { std::filesystem::create_directories(path); }
  ~DataDir() { std::filesystem::remove_all(path); }
  std::string str() const { return path.string(); }
  std::string tasks_file() const { return (path / "tasks.jsonl").string(); }
};

Engine::Config persisted(const DataDir& dir, double speed) {
  Engine::Config config;
  config.data_dir = dir.str();
  config.persist = true;
  config.speed = speed;
  config.workers = 1;
  return config;
}

// A small text task, as create_task() would make it.
Task text_task(const std::string& prompt) {
  Task task;
  task.endpoint = reel::vidu::Endpoint::text2video;
  task.dialect = "official";
  task.key = kKey;
  task.model = "viduq2";
  task.resolution = "540p";
  task.aspect_ratio = "16:9";
  task.credits = 10;
  task.payload = "tag-" + prompt;
  task.spec.kind = reel::sim::RenderSpec::Kind::text;
  task.spec.width = 320;
  task.spec.height = 176;
  task.spec.duration = 1;
  task.spec.prompt = prompt;
  task.echo = std::make_shared<const json>(json{{"model", "viduq2"}, {"prompt", prompt}});
  return task;
}

std::optional<Task> wait_state(const Engine& engine, const std::string& id,
                               std::initializer_list<State> states, double timeout_s = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::optional<Task> task;
  while (std::chrono::steady_clock::now() < deadline) {
    task = engine.get(id);
    if (task)
      for (State state : states)
        if (task->state == state) return task;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "task " << id << " never reached the state; last: "
                << (task ? reel::sim::state_name(task->state) : "unknown");
  return task;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool no_counts(const reel::sim::EngineCounts& counts) {
  for (const auto& [state, n] : counts.by_state)
    if (n != 0) return false;
  return counts.created_by_kind.empty() && counts.credits_charged == 0 &&
         counts.credits_refunded == 0;
}

TEST(SimPersist, FinishedTasksOutliveTheEngineAndATornLineIsSkipped) {
  DataDir dir;
  std::string id, creation_id;
  {
    Engine first(persisted(dir, 50), nullptr);
    first.start();
    id = first.submit(text_task("kept"))->id;
    auto done = wait_state(first, id, {State::success, State::failed});
    ASSERT_TRUE(done && done->state == State::success);
    ASSERT_TRUE(done->creation);
    creation_id = done->creation->id;
  }
  // Killed mid-write: half a line at the end.
  std::ofstream(dir.tasks_file(), std::ios::app) << R"({"id":")" << id << R"(","state":"fa)";

  Engine second(persisted(dir, 50), nullptr);
  second.start();
  auto task = second.get(id);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->state, State::success);
  EXPECT_EQ(task->credits, 10);
  EXPECT_EQ(task->payload, "tag-kept");
  EXPECT_TRUE(task->key.empty()) << "the key is never stored";
  ASSERT_TRUE(task->echo);
  EXPECT_EQ(task->echo->value("prompt", ""), "kept");
  auto listed = second.list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, id);
  auto creation = second.find_creation(creation_id);
  ASSERT_TRUE(creation);
  EXPECT_TRUE(std::filesystem::exists(creation->video_path));
  EXPECT_NEAR(reel::media::probe(creation->video_path).duration, 1.0, 0.1);
  // Stats are this process's: nothing was created or charged here.
  EXPECT_TRUE(no_counts(second.counts()));
  EXPECT_EQ(second.balance().remain, 100000);
  // New ids never collide with stored ones; both are listed, newest first.
  std::string next = second.submit(text_task("new"))->id;
  EXPECT_NE(next, id);
  ASSERT_TRUE(wait_state(second, next, {State::success}));
  listed = second.list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, next);
  EXPECT_EQ(second.counts().created_by_kind.at("text2video"), 1);
  second.stop();

  // The load compacted the file: every line whole, one per task, no key.
  std::string stored = slurp(dir.tasks_file());
  EXPECT_EQ(stored.find(kKey), std::string::npos);
  std::istringstream lines(stored);
  std::string line;
  while (std::getline(lines, line)) EXPECT_FALSE(json::parse(line, nullptr, false).is_discarded());
  Engine third(persisted(dir, 50), nullptr);
  third.start();
  EXPECT_EQ(third.list().size(), 2u);
  EXPECT_EQ(third.get(next)->state, State::success);
}

TEST(SimPersist, UnfinishedTasksRenderAgainOrFailWhenTheirInputsAreGone) {
  DataDir dir;
  std::string text_id, image_id;
  const std::string input = dir.str() + "/inputs/decoded.png";
  {
    // So slow that both stay "created" until the engine goes.
    Engine first(persisted(dir, 0.0001), nullptr);
    first.start();
    text_id = first.submit(text_task("later"))->id;
    std::filesystem::create_directories(dir.path / "inputs");
    std::ofstream(input) << "not read before the restart";
    Task image = text_task("from an image");
    image.endpoint = reel::vidu::Endpoint::img2video;
    image.spec.kind = reel::sim::RenderSpec::Kind::image;
    image.spec.images = {input};
    image.temp_inputs = {input};
    image_id = first.submit(image)->id;
  }
  EXPECT_TRUE(std::filesystem::exists(input)) << "inputs stay while the task is unfinished";
  std::filesystem::remove(input);

  Engine second(persisted(dir, 50), nullptr);
  second.start();
  auto text = wait_state(second, text_id, {State::success, State::failed});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->state, State::success) << text->err_code;
  ASSERT_TRUE(text->creation);
  EXPECT_TRUE(std::filesystem::exists(text->creation->video_path));
  auto image = second.get(image_id);
  ASSERT_TRUE(image);
  EXPECT_EQ(image->state, State::failed);
  EXPECT_EQ(image->err_code, "InternalServiceFailure");
  EXPECT_EQ(image->credits, 0) << "refunded";
  EXPECT_TRUE(no_counts(second.counts()));
  EXPECT_EQ(second.balance().remain, 100000);
}

TEST(SimPersist, ATaskCutOffWhileProcessingIsRenderedAfterTheRestart) {
  DataDir dir;
  std::string id;
  {
    // Speed 1: half a second created, then two seconds processing.
    Engine first(persisted(dir, 1), nullptr);
    first.start();
    id = first.submit(text_task("interrupted"))->id;
    ASSERT_TRUE(wait_state(first, id, {State::processing}));
  }
  Engine second(persisted(dir, 50), nullptr);
  second.start();
  auto done = wait_state(second, id, {State::success, State::failed});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, State::success) << done->err_code;
  EXPECT_TRUE(no_counts(second.counts()));
}

TEST(SimPersist, TwoEnginesOnOneFolderLoseNothing) {
  DataDir dir;
  Engine first(persisted(dir, 50), nullptr);
  first.start();
  std::string a = first.submit(text_task("first"))->id;
  ASSERT_TRUE(wait_state(first, a, {State::success}));
  // The second shares the folder: it reads the first's tasks and does not
  // compact the file under it.
  Engine second(persisted(dir, 50), nullptr);
  second.start();
  EXPECT_TRUE(second.get(a));
  std::string b = second.submit(text_task("second"))->id;
  std::string c = first.submit(text_task("third"))->id;
  ASSERT_TRUE(wait_state(second, b, {State::success}));
  ASSERT_TRUE(wait_state(first, c, {State::success}));
  first.stop();
  second.stop();
  Engine third(persisted(dir, 50), nullptr);
  third.start();
  for (const auto& id : {a, b, c}) {
    auto task = third.get(id);
    ASSERT_TRUE(task) << id;
    EXPECT_EQ(task->state, State::success) << id;
  }
}

TEST(SimPersist, TheSimulatorServesItsOldTasksAndURLsAfterARestart) {
  DataDir dir;
  Options options = fast_options();
  options.data_dir = dir.str();
  options.persist = true;
  json done;
  std::string old_path;
  {
    Simulator sim(options);
    sim.start();
    json created = create(sim, text_request());
    done = wait_for(sim, created["task_id"], {"success", "failed"});
    ASSERT_EQ(done["state"], "success");
    std::string url = done["creations"][0]["url"];
    old_path = url.substr(sim.base_url().size());
  }
  ASSERT_TRUE(std::filesystem::exists(dir.path / "url-secret"));
  EXPECT_EQ(std::filesystem::status(dir.path / "url-secret").permissions() &
                std::filesystem::perms::others_read,
            std::filesystem::perms::none);

  Simulator sim(options);
  sim.start();
  const std::string id = done["id"];
  json again = query(sim, id);
  EXPECT_EQ(again["state"], "success");
  EXPECT_EQ(again["creations"][0]["id"], done["creations"][0]["id"]);
  // A URL minted before the restart still checks (same secret).
  Reply old = http("GET", sim.base_url() + old_path);
  EXPECT_EQ(old.status, 200);
  EXPECT_FALSE(old.body.empty());
  json listed = parse(http("GET", sim.base_url() + "/ent/v2/tasks?task_ids=" + id, kAuth));
  ASSERT_EQ(listed["tasks"].size(), 1u) << listed.dump();
  json stats = parse(http("GET", sim.base_url() + "/_sim/stats"));
  EXPECT_EQ(stats["tasks_created"].size(), 0u) << stats.dump();
  EXPECT_EQ(stats["credits"]["charged"], 0);
  // Nothing in the folder holds the key.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path)) {
    if (entry.is_regular_file()) {
      EXPECT_EQ(slurp(entry.path().string()).find(kKey), std::string::npos) << entry.path();
    }
  }
}

}  // namespace
