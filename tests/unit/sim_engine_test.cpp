// The simulator over real HTTP: started in process on an ephemeral port and
// driven with libcurl, as a client would.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "host/media/media.hpp"
#include "host/sim/faults.hpp"
#include "host/sim/http_server.hpp"
#include "host/sim/signature.hpp"
#include "host/sim/simulator.hpp"
#include "host/vidu/capabilities.hpp"

namespace {

using nlohmann::json;
using reel::sim::Options;
using reel::sim::Simulator;

struct Reply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  CURLcode result = CURLE_OK;
};

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t collect_header(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * count;
}

Reply http(const std::string& method, const std::string& url, const std::string& auth = "",
           const std::string& body = "") {
  Reply reply;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!auth.empty()) headers = curl_slist_append(headers, ("Authorization: " + auth).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  reply.result = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

json parse(const Reply& reply) {
  return json::parse(reply.body, nullptr, false);
}

const std::string kKey = "test-key-123";
const std::string kAuth = "Token " + kKey;

Options fast_options() {
  Options options;
  options.key = kKey;
  options.speed = 50;
  options.quiet = true;
  return options;
}

json text_request(int duration = 1) {
  return {{"model", "viduq2"},
          {"prompt", "a red kite over the sea"},
          {"duration", duration},
          {"resolution", "540p"},
          {"aspect_ratio", "16:9"}};
}

json create(Simulator& sim, const json& body, const std::string& endpoint = "text2video") {
  Reply reply = http("POST", sim.base_url() + "/ent/v2/" + endpoint, kAuth, body.dump());
  EXPECT_EQ(reply.status, 200) << reply.body;
  return parse(reply);
}

json query(Simulator& sim, const std::string& id) {
  return parse(http("GET", sim.base_url() + "/ent/v2/tasks/" + id + "/creations", kAuth));
}

json wait_for(Simulator& sim, const std::string& id, std::initializer_list<const char*> states,
              double timeout_s = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  json task;
  while (std::chrono::steady_clock::now() < deadline) {
    task = query(sim, id);
    for (const char* state : states)
      if (task.value("state", "") == state) return task;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "task " << id << " never reached the state; last: " << task.dump();
  return task;
}

std::string download(const std::string& url, long* status) {
  Reply reply = http("GET", url);
  *status = reply.status;
  auto path = std::filesystem::temp_directory_path() /
              ("sim-test-" + reel::sim::random_hex(6) +
               (url.find(".jpg") != std::string::npos ? ".jpg" : ".mp4"));
  std::ofstream(path, std::ios::binary) << reply.body;
  return path.string();
}

TEST(SimServer, RefusesMissingOrWrongKeyWithDocumentedBody) {
  Simulator sim(fast_options());
  sim.start();
  for (const std::string& auth : {std::string(), std::string("Token wrong"), "Bearer " + kKey}) {
    Reply reply = http("GET", sim.base_url() + "/ent/v2/credits", auth);
    EXPECT_EQ(reply.status, 401);
    json body = parse(reply);
    EXPECT_EQ(body["code"], 401);
    EXPECT_EQ(body["reason"], "Unauthorized");
    EXPECT_TRUE(body["metadata"]["trace_id"].is_string());
    EXPECT_EQ(reply.body.find(kKey), std::string::npos);
  }
}

TEST(SimServer, TextToVideoRunsToSuccessAndServesARealMp4) {
  Simulator sim(fast_options());
  sim.start();
  json request = text_request();
  request["payload"] = "shot-7";
  json created = create(sim, request);
  ASSERT_TRUE(created["task_id"].is_string());
  EXPECT_NE(created["task_id"].get<std::string>().find_first_of("0123456789"), std::string::npos);
  EXPECT_EQ(created["state"], "created");
  EXPECT_EQ(created["payload"], "shot-7");
  EXPECT_GT(created["credits"].get<int>(), 0);
  EXPECT_GT(created["seed"].get<int64_t>(), 0);
  EXPECT_EQ(created["created_at"].get<std::string>().back(), 'Z');

  json done = wait_for(sim, created["task_id"], {"success", "failed"});
  ASSERT_EQ(done["state"], "success") << done.dump();
  EXPECT_EQ(done["err_code"], "");
  EXPECT_EQ(done["payload"], "shot-7");
  EXPECT_EQ(done["credits"], created["credits"]);
  ASSERT_EQ(done["creations"].size(), 1u);
  const json& creation = done["creations"][0];
  EXPECT_EQ(creation["video"]["resolution"]["width"], 960);
  EXPECT_EQ(creation["video"]["resolution"]["height"], 528);

  long status = 0;
  std::string mp4 = download(creation["url"], &status);
  EXPECT_EQ(status, 200);
  auto info = reel::media::probe(mp4);
  ASSERT_TRUE(info.video.has_value());
  EXPECT_EQ(info.video->codec, "h264");
  EXPECT_EQ(info.video->width, 960);
  EXPECT_EQ(info.video->height, 528);
  EXPECT_NEAR(info.duration, 1.0, 0.2);
  // Resumable, as from a CDN.
  {
    CURL* curl = curl_easy_init();
    std::string part;
    curl_easy_setopt(curl, CURLOPT_URL, creation["url"].get<std::string>().c_str());
    curl_easy_setopt(curl, CURLOPT_RANGE, "10-19");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &part);
    EXPECT_EQ(curl_easy_perform(curl), CURLE_OK);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(curl);
    EXPECT_EQ(code, 206);
    std::ifstream whole(mp4, std::ios::binary);
    whole.seekg(10);
    std::string expected(10, '\0');
    whole.read(expected.data(), 10);
    EXPECT_EQ(part, expected);
  }
  std::string jpg = download(creation["cover_url"], &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(reel::media::probe(jpg).kind, "image");
  std::filesystem::remove(mp4);
  std::filesystem::remove(jpg);
}

TEST(SimServer, RefusesInvalidRequestsWithDocumentedCodes) {
  Simulator sim(fast_options());
  sim.start();
  Reply bad_json = http("POST", sim.base_url() + "/ent/v2/text2video", kAuth, "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(parse(bad_json)["reason"], "BadRequest");

  json bad_model = text_request();
  bad_model["model"] = "no-such-model";
  Reply refused = http("POST", sim.base_url() + "/ent/v2/text2video", kAuth, bad_model.dump());
  EXPECT_EQ(refused.status, 400);
  // The reason code is the capability table's call; the simulator passes it through.
  EXPECT_FALSE(parse(refused)["reason"].get<std::string>().empty()) << refused.body;
  EXPECT_NE(parse(refused)["message"].get<std::string>().find("no-such-model"), std::string::npos);

  json remote = {{"model", "viduq2-pro"}, {"images", {"https://example.com/a.png"}}};
  Reply fetch = http("POST", sim.base_url() + "/ent/v2/img2video", kAuth, remote.dump());
  EXPECT_EQ(fetch.status, 400);
  EXPECT_EQ(parse(fetch)["reason"], "ImageDownloadFailure") << fetch.body;

  json not_image = {{"model", "viduq2-pro"},
                    {"images", {"data:image/png;base64,aGVsbG8gd29ybGQ="}}};
  Reply format = http("POST", sim.base_url() + "/ent/v2/img2video", kAuth, not_image.dump());
  EXPECT_EQ(format.status, 400);
  EXPECT_EQ(parse(format)["reason"], "ImageFormatInvalid") << format.body;

  Reply unknown = http("GET", sim.base_url() + "/ent/v2/tasks/123/creations", kAuth);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(parse(unknown)["reason"], "TaskNotFound");
}

TEST(SimServer, QueuesBeyondTheConcurrencyLimitAndCancelsOnlyWaitingTasks) {
  Options options = fast_options();
  options.concurrency = 1;
  options.speed = 1;  // 2 s of processing per second of video
  Simulator sim(options);
  sim.start();
  int64_t start_balance = options.credits;
  std::vector<std::string> ids;
  int price = 0;
  // The first one runs 6 s: long enough for the checks below on a slow machine.
  for (int i = 0; i < 3; ++i) {
    json created = create(sim, text_request(i == 0 ? 3 : 1));
    ids.push_back(created["task_id"]);
    price += created["credits"].get<int>();
  }
  wait_for(sim, ids[0], {"processing"}, 10);
  wait_for(sim, ids[2], {"queueing"}, 10);
  EXPECT_EQ(query(sim, ids[1])["state"], "queueing");

  json credits = parse(http("GET", sim.base_url() + "/ent/v2/credits", kAuth));
  const json& remains = credits["remains"][0];
  EXPECT_EQ(remains["concurrency_limit"], 1);
  EXPECT_EQ(remains["current_concurrency"], 1);
  EXPECT_EQ(remains["queue_count"], 2);
  EXPECT_EQ(remains["credit_remain"], start_balance - price);

  // Running: refused as §11.4 shows.
  Reply running = http("POST", sim.base_url() + "/ent/v2/tasks/" + ids[0] + "/cancel", kAuth,
                       json{{"id", ids[0]}}.dump());
  EXPECT_EQ(running.status, 400);
  EXPECT_EQ(parse(running)["reason"], "BadRequest");
  EXPECT_NE(parse(running)["message"].get<std::string>().find("can not cancel"), std::string::npos);

  // Waiting: cancelled, refunded, failed with UserCancelled.
  int third_price = query(sim, ids[2])["credits"];
  Reply cancelled =
      http("POST", sim.base_url() + "/ent/v2/tasks/" + ids[2] + "/cancel", kAuth, "{}");
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(cancelled.body, "{}");
  json task = query(sim, ids[2]);
  EXPECT_EQ(task["state"], "failed");
  EXPECT_EQ(task["err_code"], "UserCancelled");
  EXPECT_EQ(task["credits"], 0);
  credits = parse(http("GET", sim.base_url() + "/ent/v2/credits", kAuth));
  EXPECT_EQ(credits["remains"][0]["credit_remain"], start_balance - price + third_price);
  EXPECT_EQ(credits["remains"][0]["queue_count"], 1);

  // The survivors run in submission order.
  wait_for(sim, ids[0], {"success"}, 20);
  EXPECT_NE(wait_for(sim, ids[1], {"processing", "success"}, 10)["state"], "queueing");

  // Cancelling twice is refused; an unknown id is 404.
  EXPECT_EQ(
      http("POST", sim.base_url() + "/ent/v2/tasks/" + ids[2] + "/cancel", kAuth, "{}").status,
      400);
  EXPECT_EQ(http("POST", sim.base_url() + "/ent/v2/tasks/999/cancel", kAuth, "{}").status, 404);
}

TEST(SimServer, StatsCountRequestsTasksAndCredits) {
  Simulator sim(fast_options());
  sim.start();
  int charged = 0;
  for (int i = 0; i < 2; ++i) charged += create(sim, text_request())["credits"].get<int>();
  http("GET", sim.base_url() + "/ent/v2/credits");  // 401
  json stats = parse(http("GET", sim.base_url() + "/_sim/stats"));
  EXPECT_EQ(stats["requests"]["POST /ent/v2/text2video"]["200"], 2);
  EXPECT_EQ(stats["requests"]["GET /ent/v2/credits"]["401"], 1);
  EXPECT_EQ(stats["tasks_created"]["text2video"], 2);
  EXPECT_EQ(stats["credits"]["charged"], charged);
  EXPECT_EQ(stats["credits"]["net"], charged);
  int64_t in_states = 0;
  for (const auto& [state, count] : stats["tasks_by_state"].items())
    in_states += count.get<int64_t>();
  EXPECT_EQ(in_states, 2);
}

TEST(SimServer, ListsTasksWithFiltersAndPageTokens) {
  Simulator sim(fast_options());
  sim.start();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(create(sim, text_request())["task_id"]);
  json page = parse(http("GET", sim.base_url() + "/ent/v2/tasks?pager.pagesz=2", kAuth));
  ASSERT_EQ(page["tasks"].size(), 2u) << page.dump();
  EXPECT_EQ(page["tasks"][0]["id"], ids[2]);  // newest first
  ASSERT_FALSE(page["next_page_token"].get<std::string>().empty());
  json rest = parse(http("GET",
                         sim.base_url() + "/ent/v2/tasks?pager.pagesz=2&pager.page_token=" +
                             page["next_page_token"].get<std::string>(),
                         kAuth));
  ASSERT_EQ(rest["tasks"].size(), 1u);
  EXPECT_EQ(rest["tasks"][0]["id"], ids[0]);
  EXPECT_EQ(rest["next_page_token"], "");
  json one = parse(http("GET", sim.base_url() + "/ent/v2/tasks?task_ids=" + ids[1], kAuth));
  ASSERT_EQ(one["tasks"].size(), 1u);
  EXPECT_EQ(one["tasks"][0]["id"], ids[1]);
  EXPECT_EQ(one["tasks"][0]["key_id"].get<std::string>().find(kKey), std::string::npos);
}

TEST(SimServer, ResultUrlsExpire) {
  Options options = fast_options();
  options.url_ttl = 1;
  Simulator sim(options);
  sim.start();
  json done = wait_for(sim, create(sim, text_request())["task_id"], {"success", "failed"});
  ASSERT_EQ(done["state"], "success");
  std::string url = done["creations"][0]["url"];
  EXPECT_EQ(http("GET", url).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(http("GET", url).status, 403);
  // Tampered tokens are unknown files.
  std::string forged = url;
  forged[forged.find("/files/") + 8] ^= 1;
  EXPECT_EQ(http("GET", forged).status, 404);
}

TEST(SimServer, RefusesTasksTheBalanceCannotPay) {
  Options options = fast_options();
  options.credits = 1;
  Simulator sim(options);
  sim.start();
  Reply reply = http("POST", sim.base_url() + "/ent/v2/text2video", kAuth, text_request().dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(parse(reply)["reason"], "CreditInsufficient");
  json stats = parse(http("GET", sim.base_url() + "/_sim/stats"));
  EXPECT_EQ(stats["credits"]["charged"], 0);
}

TEST(SimServer, VtrixDialectSharesTheEngine) {
  Simulator sim(fast_options());
  sim.start();
  auto model = reel::vidu::vtrix_model(reel::vidu::Endpoint::text2video, "viduq2");
  ASSERT_TRUE(model.has_value());
  json params = text_request();
  params.erase("model");
  json body = {{"model", *model}, {"input", json::array({{{"params", params}}})}};
  Reply created =
      http("POST", sim.base_url() + "/model/v1/generation", "Bearer " + kKey, body.dump());
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = parse(created)["id"];
  json task;
  for (int i = 0; i < 600; ++i) {
    task = parse(http("GET", sim.base_url() + "/model/v1/generation/task/" + id, "Bearer " + kKey));
    if (task["status"] == "completed" || task["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(task["status"], "completed") << task.dump();
  EXPECT_EQ(task["output"][0]["content"][0]["type"], "video");
  EXPECT_TRUE(task["usage"].contains("cost"));
  EXPECT_EQ(http("GET", sim.base_url() + "/model/v1/generation/task/" + id, "Token " + kKey).status,
            401);
  // The official query sees the same task.
  EXPECT_EQ(query(sim, id)["state"], "success");
}

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

}  // namespace

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(SimServer, ImageInputsFromDataUrisAndOwnUrlsAndExtendFromACreation) {
  Simulator sim(fast_options());
  sim.start();
  json first = wait_for(sim, create(sim, text_request(4))["task_id"], {"success", "failed"});
  ASSERT_EQ(first["state"], "success");
  const json& creation = first["creations"][0];

  // The cover as an inline JPEG...
  long status = 0;
  std::string cover = download(creation["cover_url"], &status);
  std::string inline_jpeg = "data:image/jpeg;base64," + reel::sim::base64(file_bytes(cover));
  json by_data = {{"model", "viduq2-turbo"},
                  {"images", {inline_jpeg}},
                  {"duration", 1},
                  {"resolution", "540p"}};
  json i2v = wait_for(sim, create(sim, by_data, "img2video")["task_id"], {"success", "failed"});
  ASSERT_EQ(i2v["state"], "success") << i2v.dump();
  // ...follows the image's shape at the tier (960x528 -> short side 540).
  EXPECT_EQ(i2v["creations"][0]["video"]["resolution"]["height"], 540);

  // ...and by the simulator's own URL (resolved locally, no fetch).
  json by_url = by_data;
  by_url["images"] = {creation["cover_url"]};
  EXPECT_EQ(create(sim, by_url, "img2video")["state"], "created");

  // Extend the 4 s clip by its creation id.
  json extend = {{"model", "viduq2-turbo"},
                 {"video_creation_id", creation["id"]},
                 {"duration", 1},
                 {"resolution", "540p"}};
  json extended = wait_for(sim, create(sim, extend, "extend")["task_id"], {"success", "failed"});
  ASSERT_EQ(extended["state"], "success") << extended.dump();
  std::string mp4 = download(extended["creations"][0]["url"], &status);
  EXPECT_GT(reel::media::probe(mp4).duration, 4.5);

  // An unknown creation id is CreationNotFound.
  extend["video_creation_id"] = "42";
  Reply missing = http("POST", sim.base_url() + "/ent/v2/extend", kAuth, extend.dump());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(parse(missing)["reason"], "CreationNotFound");
  std::filesystem::remove(cover);
  std::filesystem::remove(mp4);
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

}  // namespace

namespace {

TEST(SimServer, EveryCreateKindRendersFromInlineImages) {
  Simulator sim(fast_options());
  sim.start();
  json first = wait_for(sim, create(sim, text_request())["task_id"], {"success", "failed"});
  ASSERT_EQ(first["state"], "success");
  long status = 0;
  std::string cover = download(first["creations"][0]["cover_url"], &status);
  std::string image = "data:image/jpeg;base64," + reel::sim::base64(file_bytes(cover));
  std::filesystem::remove(cover);

  std::vector<std::pair<std::string, json>> requests = {
      {"start-end2video",
       {{"model", "viduq2-turbo"},
        {"images", {image, image}},
        {"duration", 1},
        {"resolution", "540p"}}},
      {"reference2video",
       {{"model", "viduq2"},
        {"images", {image}},
        {"prompt", "the kite again"},
        {"duration", 1},
        {"resolution", "540p"}}},
      {"multiframe",
       {{"model", "viduq2-turbo"},
        {"start_image", image},
        {"image_settings",
         {{{"key_image", image}, {"duration", 2}}, {{"key_image", image}, {"duration", 2}}}},
        {"resolution", "540p"}}},
  };
  for (auto& [endpoint, body] : requests) {
    Reply reply = http("POST", sim.base_url() + "/ent/v2/" + endpoint, kAuth, body.dump());
    ASSERT_EQ(reply.status, 200) << endpoint << ": " << reply.body;
    json done = wait_for(sim, parse(reply)["task_id"], {"success", "failed"});
    EXPECT_EQ(done["state"], "success") << endpoint << ": " << done.dump();
  }
  json stats = parse(http("GET", sim.base_url() + "/_sim/stats"));
  EXPECT_EQ(stats["tasks_created"]["multiframe"], 1);
  EXPECT_EQ(stats["tasks_by_state"]["success"], 4);
}

TEST(SimServer, RefusesBodiesOver20MB) {
  Simulator sim(fast_options());
  sim.start();
  std::string big =
      "{\"model\":\"viduq2\",\"prompt\":\"" + std::string(21 * 1024 * 1024, 'a') + "\"}";
  Reply reply = http("POST", sim.base_url() + "/ent/v2/text2video", kAuth, big);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(parse(reply)["code"], 413);
}

}  // namespace

namespace {

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

namespace {

// Many clients at once, each on its own connection: all are answered. (The
// latency target is measured by the external benchmark, not asserted here,
// where CI machines are shared.)
TEST(SimServer, AnswersHundredsOfSimultaneousPollers) {
  Simulator sim(fast_options());
  sim.start();
  std::string id = create(sim, text_request())["task_id"];
  std::string url = sim.base_url() + "/ent/v2/tasks/" + id + "/creations";
  constexpr int kClients = 300;
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(kClients));
  curl_slist* headers = curl_slist_append(nullptr, ("Authorization: " + kAuth).c_str());
  std::vector<std::string> bodies(kClients);
  std::vector<CURL*> handles;
  for (int i = 0; i < kClients; ++i) {
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bodies[i]);
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_multi_add_handle(multi, curl);
    handles.push_back(curl);
  }
  int running = 0;
  do {
    curl_multi_perform(multi, &running);
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  } while (running > 0);
  int ok = 0;
  for (CURL* curl : handles) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    ok += code == 200;
    curl_multi_remove_handle(multi, curl);
    curl_easy_cleanup(curl);
  }
  curl_slist_free_all(headers);
  curl_multi_cleanup(multi);
  EXPECT_EQ(ok, kClients);
  for (const auto& body : bodies) EXPECT_EQ(json::parse(body, nullptr, false)["id"], id);
}

}  // namespace
