// The simulator's expire fault (faults.hpp): answers that hold result URLs
// may carry URLs that have already expired, in both dialects, so that a
// client's refresh path (query again for fresh URLs) can be exercised.
#include "sim_test_support.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "host/sim/faults.hpp"
#include "host/vidu/capabilities.hpp"

using namespace reel::sim::test_support;

namespace {

std::vector<bool> expire_rolls(reel::sim::Faults& faults, int n) {
  std::vector<bool> out;
  for (int i = 0; i < n; ++i) out.push_back(faults.expire_urls());
  return out;
}

TEST(SimExpireFault, ParsesAndRollsWithItsOwnSequence) {
  EXPECT_NO_THROW(reel::sim::Faults("expire=0.5,seed=3"));
  EXPECT_THROW(reel::sim::Faults("expire=1.5"), std::invalid_argument);

  reel::sim::Faults never("500=0.5");
  EXPECT_EQ(expire_rolls(never, 50), std::vector<bool>(50, false));
  reel::sim::Faults always("expire=1");
  EXPECT_EQ(expire_rolls(always, 50), std::vector<bool>(50, true));

  // Same seed, same answers expire, however many other rolls happen between.
  reel::sim::Faults a("expire=0.5,500=0.3,fail=0.2,truncate=0.1,seed=11");
  reel::sim::Faults b("expire=0.5,500=0.3,fail=0.2,truncate=0.1,seed=11");
  std::vector<bool> plain = expire_rolls(a, 200);
  std::vector<bool> interleaved;
  for (int i = 0; i < 200; ++i) {
    for (int k = 0; k < i % 4; ++k) {
      b.for_request();
      b.for_task();
      b.truncate_download();
    }
    interleaved.push_back(b.expire_urls());
  }
  EXPECT_EQ(plain, interleaved);
  int hits = 0;
  for (bool hit : plain) hits += hit ? 1 : 0;
  EXPECT_GT(hits, 60);
  EXPECT_LT(hits, 140);
}

Options with_faults(const std::string& faults) {
  Options options = fast_options();
  options.faults = faults;
  return options;
}

TEST(SimExpireFault, QueryAndListAnswersCarryExpiredUrls) {
  Simulator sim(with_faults("expire=1"));
  sim.start();
  std::string id = create(sim, text_request())["task_id"];
  json done = wait_for(sim, id, {"success", "failed"});
  ASSERT_EQ(done["state"], "success") << done.dump();
  for (const char* key : {"url", "cover_url"}) {
    Reply reply = http("GET", done["creations"][0][key]);
    EXPECT_EQ(reply.status, 403) << key;
    EXPECT_NE(reply.body.find("expired"), std::string::npos) << reply.body;
  }
  json listed = parse(http("GET", sim.base_url() + "/ent/v2/tasks?task_ids=" + id, kAuth));
  ASSERT_EQ(listed["tasks"].size(), 1u) << listed.dump();
  EXPECT_EQ(http("GET", listed["tasks"][0]["creations"][0]["url"]).status, 403);
  // The files themselves are fine: only the answers' URLs are stale.
  json stats = parse(http("GET", sim.base_url() + "/_sim/stats"));
  EXPECT_EQ(stats["requests"]["GET /files"]["403"], 3) << stats.dump();
}

TEST(SimExpireFault, VtrixQueryAnswersCarryExpiredUrls) {
  Simulator sim(with_faults("expire=1"));
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
  const json& content = task["output"][0]["content"][0];
  EXPECT_EQ(http("GET", content["url"]).status, 403);
  EXPECT_EQ(http("GET", content["cover_url"]).status, 403);
}

TEST(SimExpireFault, WhichAnswersExpireDependsOnlyOnTheSeed) {
  // Unfinished answers hold no URLs and take no roll: however many polls a
  // task needed, its finished answers follow the seed's expire sequence.
  const std::string spec = "expire=0.5,seed=5";
  reel::sim::Faults reference(spec);
  std::vector<bool> expected = expire_rolls(reference, 21);
  Simulator sim(with_faults(spec));
  sim.start();
  json created = create(sim, text_request());
  EXPECT_EQ(created["state"], "created");
  json first = wait_for(sim, created["task_id"], {"success", "failed"});  // polls many times
  ASSERT_EQ(first["state"], "success");
  std::vector<bool> seen{http("GET", first["creations"][0]["url"]).status == 403};
  for (int i = 0; i < 20; ++i) {
    long status = http("GET", query(sim, created["task_id"])["creations"][0]["url"]).status;
    ASSERT_TRUE(status == 200 || status == 403) << status;
    seen.push_back(status == 403);
  }
  EXPECT_EQ(seen, expected);
  int stale = 0;
  for (bool s : seen) stale += s ? 1 : 0;
  EXPECT_GT(stale, 2);  // a fresh query can help, and sometimes does not
  EXPECT_LT(stale, 19);
}

}  // namespace
