// The simulator over real HTTP: started in process on an ephemeral port and
// driven with libcurl, as a client would. The engine behind the API: injected
// faults, signed callbacks and the Vtrix error codes.
#include "sim_test_support.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "host/media/media.hpp"
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

}  // namespace
