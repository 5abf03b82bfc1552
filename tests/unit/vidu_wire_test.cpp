// host/vidu/wire: where requests go, the create body (official and Vtrix
// envelope, inline files streamed in) and the readers of every answer shape
// the simulator writes and the reference documents (vidu-api.md §10-§16, Q14-Q20).
#include "host/vidu/wire.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "host/vidu/request.hpp"

namespace {

using nlohmann::json;
using reel::vidu::ApiFailure;
using reel::vidu::create_body;
using reel::vidu::Dialect;
using reel::vidu::Endpoint;
using reel::vidu::InlineFile;
using reel::vidu::parse_balance;
using reel::vidu::parse_failure;
using reel::vidu::parse_task;
using reel::vidu::parse_task_list;
using reel::vidu::RemoteTask;
using reel::vidu::TaskState;
using reel::vidu::WireError;

// The WireError message a body gives; fails the test when it parses.
template <typename F>
std::string wire_error(F&& f) {
  try {
    f();
  } catch (const WireError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no WireError";
  return "";
}

// A scratch file removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& bytes)
      : path_((std::filesystem::temp_directory_path() /
               ("reel-wire-" + std::to_string(getpid()) + "-" + name))
                  .string()) {
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xFF);
  return s;
}

// ---- states and paths --------------------------------------------------------

TEST(ViduWireState, NamesAndTerminal) {
  EXPECT_STREQ(reel::vidu::state_name(TaskState::submitting), "submitting");
  EXPECT_STREQ(reel::vidu::state_name(TaskState::queueing), "queueing");
  EXPECT_STREQ(reel::vidu::state_name(TaskState::success), "success");
  EXPECT_TRUE(reel::vidu::is_terminal(TaskState::success));
  EXPECT_TRUE(reel::vidu::is_terminal(TaskState::failed));
  EXPECT_FALSE(reel::vidu::is_terminal(TaskState::processing));
  EXPECT_FALSE(reel::vidu::is_terminal(TaskState::submitting));
}

TEST(ViduWirePaths, CreateTaskCancelCredits) {
  EXPECT_EQ(reel::vidu::create_path(Dialect::vidu, Endpoint::start_end2video),
            "/ent/v2/start-end2video");
  EXPECT_EQ(reel::vidu::create_path(Dialect::vidu, Endpoint::extend), "/ent/v2/extend");
  EXPECT_EQ(reel::vidu::create_path(Dialect::vtrix, Endpoint::extend), "/model/v1/generation");
  EXPECT_EQ(reel::vidu::task_path(Dialect::vidu, "868195234871234567"),
            "/ent/v2/tasks/868195234871234567/creations");
  EXPECT_EQ(reel::vidu::task_path(Dialect::vtrix, "t-1"), "/model/v1/generation/task/t-1");
  EXPECT_EQ(reel::vidu::cancel_path(Dialect::vidu, "42"), "/ent/v2/tasks/42/cancel");
  EXPECT_FALSE(reel::vidu::cancel_path(Dialect::vtrix, "42"));
  EXPECT_EQ(reel::vidu::credits_path(Dialect::vidu), "/ent/v2/credits");
  EXPECT_FALSE(reel::vidu::credits_path(Dialect::vtrix));
}

TEST(ViduWirePaths, OddIdsArePercentEncoded) {
  // Slashes, dots-only segments, queries and fragments must not escape the id's segment.
  EXPECT_EQ(reel::vidu::task_path(Dialect::vidu, "../credits?x=1#f"),
            "/ent/v2/tasks/..%2Fcredits%3Fx%3D1%23f/creations");
  EXPECT_EQ(reel::vidu::task_path(Dialect::vtrix, "a b/é"),
            "/model/v1/generation/task/a%20b%2F%C3%A9");
  EXPECT_EQ(reel::vidu::cancel_path(Dialect::vidu, "x&y%"), "/ent/v2/tasks/x%26y%25/cancel");
  EXPECT_EQ(reel::vidu::task_path(Dialect::vidu, "A-z_0.9~"), "/ent/v2/tasks/A-z_0.9~/creations");
  EXPECT_EQ(reel::vidu::task_path(Dialect::vidu, std::string("a\0b", 3)),
            "/ent/v2/tasks/a%00b/creations");
}

TEST(ViduWirePaths, ListPathRepeatsTheKey) {
  EXPECT_EQ(reel::vidu::list_path({"1", "22", "3&x"}),
            "/ent/v2/tasks?task_ids=1&task_ids=22&task_ids=3%26x&pager.pagesz=3");
  EXPECT_THROW(reel::vidu::list_path({}), std::invalid_argument);
  EXPECT_THROW(reel::vidu::list_path(std::vector<std::string>(101, "1")), std::invalid_argument);
  EXPECT_NO_THROW(reel::vidu::list_path(std::vector<std::string>(100, "1")));
}

TEST(ViduWirePaths, RecentTasksPathIsIsoUtc) {
  // 2026-11-21T10:00:00Z = 1795255200; the fraction is dropped, not rounded up.
  EXPECT_EQ(reel::vidu::recent_tasks_path(1795255200.75, ""),
            "/ent/v2/tasks?created_at.from=2026-11-21T10:00:00Z&pager.pagesz=100");
  EXPECT_EQ(
      reel::vidu::recent_tasks_path(0, "o100"),
      "/ent/v2/tasks?created_at.from=1970-01-01T00:00:00Z&pager.pagesz=100&pager.page_token=o100");
  EXPECT_EQ(
      reel::vidu::recent_tasks_path(1, "a=b&c"),
      "/ent/v2/"
      "tasks?created_at.from=1970-01-01T00:00:01Z&pager.pagesz=100&pager.page_token=a%3Db%26c");
}

TEST(ViduWirePaths, AuthHeaders) {
  EXPECT_EQ(reel::vidu::auth_header(Dialect::vidu, "k123"), "Authorization: Token k123");
  EXPECT_EQ(reel::vidu::auth_header(Dialect::vtrix, "k123"), "Authorization: Bearer k123");
}

// ---- create body ---------------------------------------------------------------

TEST(ViduWireCreate, OfficialBodyIsTheBodyAsIs) {
  const json body = {
      {"model", "viduq2"}, {"prompt", "a cat \"quoted\""}, {"duration", 5}, {"payload", "shot-1"}};
  const std::string text = create_body(Dialect::vidu, Endpoint::text2video, body, {});
  EXPECT_EQ(json::parse(text), body);
}

TEST(ViduWireCreate, VtrixEnvelopeMovesModelOut) {
  const json body = {{"model", "viduq2-pro"},
                     {"video_url", "https://x/clip.mp4"},
                     {"prompt", "go on"},
                     {"duration", 5},
                     {"resolution", "720p"}};
  const json out = json::parse(create_body(Dialect::vtrix, Endpoint::extend, body, {}));
  json params = body;
  params.erase("model");
  const json expected = {{"model", "viduq2_pro_extend"},
                         {"input", json::array({{{"params", params}}})}};
  EXPECT_EQ(out, expected);
  ASSERT_TRUE(out["input"].is_array());
  EXPECT_FALSE(out["input"][0]["params"].contains("model"));
}

TEST(ViduWireCreate, VtrixDomesticRouteKeepsUpstreamModel) {
  // §16.2: vidu-cn-* ids also need params.model = the upstream Vidu model.
  const json body = {{"model", "vidu2.0"}, {"images", {"https://x/a.png"}}, {"prompt", "p"}};
  const json out = json::parse(create_body(Dialect::vtrix, Endpoint::reference2video, body, {}));
  EXPECT_EQ(out["model"], "vidu-cn-reference2video-vidu2.0");
  EXPECT_EQ(out["input"][0]["params"], body);
}

TEST(ViduWireCreate, ModelNotSoldIsInvalidArgumentNamingIt) {
  const json body = {{"model", "viduq2-pro"}, {"start_image", "https://x/a.png"}};
  try {
    create_body(Dialect::vtrix, Endpoint::multiframe, body, {});
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("viduq2-pro"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("multiframe"), std::string::npos) << e.what();
  }
  // viduq2-pro-fast text2video is Vtrix only.
  const json fast = {{"model", "viduq2-pro-fast"}, {"prompt", "p"}};
  EXPECT_THROW(create_body(Dialect::vidu, Endpoint::text2video, fast, {}), std::invalid_argument);
  EXPECT_NO_THROW(create_body(Dialect::vtrix, Endpoint::text2video, fast, {}));
  EXPECT_THROW(create_body(Dialect::vtrix, Endpoint::text2video, json{{"prompt", "p"}}, {}),
               std::invalid_argument);
}

// The file's data URL lands where the placeholder was, byte for byte what
// inline_data_url makes, for sizes around the Base64 groups and the read chunk.
TEST(ViduWireCreate, InlineFileEqualsInlineDataUrl) {
  for (size_t size : {0, 1, 2, 3, 4, 5, 49151, 49152, 49153, 200000}) {
    SCOPED_TRACE(size);
    TempFile file("img" + std::to_string(size), random_bytes(size, static_cast<unsigned>(size)));
    json body = {{"model", "viduq2-pro"},
                 {"images", {"data:image/png;base64,AAAA"}},
                 {"prompt", "p"},
                 {"duration", 5}};
    const std::string text = create_body(Dialect::vidu, Endpoint::img2video, body,
                                         {{"/images/0", file.path(), "image/png", ""}});
    const std::string url = reel::vidu::inline_data_url(file.path(), "image/png");
    body["images"][0] = url;
    EXPECT_EQ(text, body.dump());  // exact bytes, not only the same JSON
    EXPECT_EQ(json::parse(text)["images"][0].get<std::string>(), url);
  }
}

TEST(ViduWireCreate, TwoFilesInVtrixEnvelope) {
  TempFile first("first.png", random_bytes(1000, 1));
  TempFile last("last.jpg", random_bytes(777, 2));
  const json body = {{"model", "viduq2-pro"},
                     {"images", {"data:image/png;base64,AAAA", "data:image/jpeg;base64,AAAA"}},
                     {"prompt", "p"}};
  // Given in reverse order of their places in the text.
  const std::string text = create_body(
      Dialect::vtrix, Endpoint::start_end2video, body,
      {{"/images/1", last.path(), "image/jpeg", ""}, {"/images/0", first.path(), "image/png", ""}});
  const json out = json::parse(text);
  EXPECT_EQ(out["model"], "viduq2_pro_start_end2video");
  const json& images = out["input"][0]["params"]["images"];
  EXPECT_EQ(images[0], reel::vidu::inline_data_url(first.path(), "image/png"));
  EXPECT_EQ(images[1], reel::vidu::inline_data_url(last.path(), "image/jpeg"));
  EXPECT_EQ(text.find("reel-inline"), std::string::npos);
}

TEST(ViduWireCreate, UnreadableFileIsRuntimeErrorNamingIt) {
  const json body = {{"model", "viduq2-pro"}, {"images", {"x"}}, {"prompt", "p"}};
  const std::string missing = "/nonexistent/reel-wire-test/missing.png";
  try {
    create_body(Dialect::vidu, Endpoint::img2video, body, {{"/images/0", missing, "image/png", ""}});
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  // A directory cannot be sent either (and root can read any file, so no chmod test).
  const std::string dir = std::filesystem::temp_directory_path().string();
  try {
    create_body(Dialect::vidu, Endpoint::img2video, body, {{"/images/0", dir, "image/png", ""}});
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
}

TEST(ViduWireCreate, BadPointersAreInvalidArgument) {
  TempFile file("p.png", "abc");
  const json body = {{"model", "viduq2-pro"}, {"images", {"x"}}, {"prompt", "p"}};
  auto with = [&](const std::string& pointer) {
    return create_body(Dialect::vidu, Endpoint::img2video, body,
                       {{pointer, file.path(), "image/png", ""}});
  };
  EXPECT_THROW(with("/images/5"), std::invalid_argument);
  EXPECT_THROW(with("images/0"), std::invalid_argument);
  EXPECT_THROW(with("/images/~9"), std::invalid_argument);
  EXPECT_THROW(create_body(Dialect::vidu, Endpoint::img2video, body,
                           {{"/images/0", file.path(), "image/png", ""},
                            {"/images/0", file.path(), "image/png", ""}}),
               std::invalid_argument);
  EXPECT_THROW(create_body(Dialect::vidu, Endpoint::text2video,
                           json{{"model", "viduq2"}, {"prompt", "\xff"}}, {}),
               std::invalid_argument);
}

// ---- official answers (as host/sim/official_api.cpp writes them) --------------

TEST(ViduWireOfficial, CreateAnswer) {
  const json answer = {{"model", "viduq2"},
                       {"prompt", "a cat"},
                       {"duration", 5},
                       {"task_id", "868195234871234567"},
                       {"state", "created"},
                       {"credits", 35},
                       {"created_at", "2026-11-21T10:00:00.968916Z"},
                       {"payload", "shot-3"},
                       {"aspect_ratio", "16:9"},
                       {"resolution", "720p"}};
  const RemoteTask t = parse_task(Dialect::vidu, answer.dump());
  EXPECT_EQ(t.id, "868195234871234567");
  EXPECT_EQ(t.state, TaskState::created);
  EXPECT_EQ(t.credits, 35);
  EXPECT_EQ(t.payload, "shot-3");
  EXPECT_TRUE(t.creations.empty());
  EXPECT_FALSE(t.progress);
}

TEST(ViduWireOfficial, QuerySuccessWithCreation) {
  const json answer = {
      {"id", "42"},
      {"state", "success"},
      {"err_code", ""},
      {"credits", 35},
      {"payload", ""},
      {"bgm", false},
      {"off_peak", false},
      {"creations",
       {{{"id", "c42"},
         {"url", "http://127.0.0.1:9/files/c42.mp4"},
         {"cover_url", "http://127.0.0.1:9/files/c42.jpg"},
         {"watermarked_url", "http://127.0.0.1:9/files/c42.mp4"},
         {"video",
          {{"duration", 5.5}, {"fps", 24}, {"resolution", {{"width", 1280}, {"height", 720}}}}}}}}};
  const RemoteTask t = parse_task(Dialect::vidu, answer.dump());
  EXPECT_EQ(t.id, "42");
  EXPECT_EQ(t.state, TaskState::success);
  EXPECT_EQ(t.err_code, "");
  ASSERT_EQ(t.creations.size(), 1U);
  EXPECT_EQ(t.creations[0].id, "c42");
  EXPECT_EQ(t.creations[0].url, "http://127.0.0.1:9/files/c42.mp4");
  EXPECT_EQ(t.creations[0].cover_url, "http://127.0.0.1:9/files/c42.jpg");
  EXPECT_EQ(t.creations[0].watermarked_url, "http://127.0.0.1:9/files/c42.mp4");
  EXPECT_DOUBLE_EQ(t.creations[0].duration, 5.5);
}

TEST(ViduWireOfficial, AllStatesAndCancelled) {
  for (auto [name, state] :
       std::vector<std::pair<std::string, TaskState>>{{"created", TaskState::created},
                                                      {"queueing", TaskState::queueing},
                                                      {"processing", TaskState::processing},
                                                      {"failed", TaskState::failed}})
    EXPECT_EQ(parse_task(Dialect::vidu, json{{"id", "1"}, {"state", name}}.dump()).state, state);
  const RemoteTask t = parse_task(
      Dialect::vidu,
      R"({"id":"1","state":"failed","err_code":"UserCancelled","credits":0,"creations":[]})");
  EXPECT_EQ(t.err_code, "UserCancelled");
  EXPECT_EQ(t.credits, 0);
  // Q17: a callback body may say `status`.
  EXPECT_EQ(parse_task(Dialect::vidu, R"({"id":"1","status":"processing"})").state,
            TaskState::processing);
}

TEST(ViduWireOfficial, SparseGatewayAnswerAndStringNumbers) {
  // gRPC gateways omit empty fields and write int64 as strings; ids may be numbers.
  const RemoteTask t = parse_task(Dialect::vidu, R"({"id":868195234871234567,"state":"queueing"})");
  EXPECT_EQ(t.id, "868195234871234567");
  EXPECT_EQ(t.err_code, "");
  EXPECT_FALSE(t.credits);
  const RemoteTask s = parse_task(
      Dialect::vidu,
      R"({"id":"1","state":"success","credits":"40","creations":[{"url":"u","video":{"duration":"4.5"}}]})");
  EXPECT_EQ(s.credits, 40);
  EXPECT_DOUBLE_EQ(s.creations.at(0).duration, 4.5);
}

TEST(ViduWireOfficial, BrokenAnswersAreWireErrorsNamingTheField) {
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"id":"1"})"); }),
            "task answer: `state` is missing");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"id":"1","state":"done"})"); }),
            "task answer: `state` has an unknown value \"done\"");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"id":"1","state":7})"); }),
            "task answer: `state` is not a string");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"id":"1","state":"success"})"); }),
            "task answer: `creations` has no video URL although the task succeeded");
  EXPECT_EQ(wire_error([] {
              parse_task(Dialect::vidu, R"({"state":"success","creations":[{"url":5}]})");
            }),
            "task answer: `creations[0].url` is not a string");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"state":"created","credits":1.5})"); }),
            "task answer: `credits` is not an integer");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"state":"created","credits":1e12})"); }),
            "task answer: `credits` is out of range");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, R"({"state":"created")"); }),
            "task answer: the body is not valid JSON");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, "[]"); }),
            "task answer: the body is not a JSON object");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vidu, ""); }),
            "task answer: the body is not valid JSON");
}

TEST(ViduWireOfficial, ListPage) {
  // As the simulator's list rows look (task_json plus §11.3's extra fields).
  const std::string body = R"({"tasks":[
    {"id":"1","state":"queueing","err_code":"","credits":35,"payload":"tag-a","bgm":false,
     "off_peak":false,"creations":[],"key_id":"ab12cd34ef56ab12","template":"","type":"text2video",
     "model":"viduq2","prompt":"p","images":[],"duration":5,"resolution":"720p",
     "aspect_ratio":"16:9","created_at":"2026-11-21T10:00:00Z"},
    {"id":"2","state":"success","creations":[{"id":"c2","url":"https://x/c.mp4","cover_url":"https://x/c.jpg",
     "video":{"duration":4.0,"fps":24,"resolution":{"width":1280,"height":720}}}],"credits":40}],
    "next_page_token":"o2","total":3})";
  const auto page = parse_task_list(body);
  ASSERT_EQ(page.tasks.size(), 2U);
  EXPECT_EQ(page.next_page_token, "o2");
  EXPECT_EQ(page.tasks[0].id, "1");
  EXPECT_EQ(page.tasks[0].payload, "tag-a");
  EXPECT_EQ(page.tasks[0].state, TaskState::queueing);
  EXPECT_EQ(page.tasks[1].creations.at(0).url, "https://x/c.mp4");
  EXPECT_DOUBLE_EQ(page.tasks[1].creations.at(0).duration, 4.0);

  const auto last = parse_task_list(R"({"tasks":[],"next_page_token":""})");
  EXPECT_TRUE(last.tasks.empty());
  EXPECT_EQ(last.next_page_token, "");
  EXPECT_TRUE(parse_task_list("{}").tasks.empty());  // gateway: empty fields omitted

  EXPECT_EQ(wire_error([] { parse_task_list(R"({"tasks":[{"id":"1","state":"x"}]})"); }),
            "task list: `tasks[0].state` has an unknown value \"x\"");
  EXPECT_EQ(wire_error([] {
              parse_task_list(R"({"tasks":[{"id":"1","state":"created"},{"state":"created"}]})");
            }),
            "task list: `tasks[1].id` is missing");
  EXPECT_EQ(wire_error([] { parse_task_list(R"({"tasks":{}})"); }),
            "task list: `tasks` is not an array");
  EXPECT_EQ(wire_error([] { parse_task_list("<html>"); }), "task list: the body is not valid JSON");
}

TEST(ViduWireOfficial, Balance) {
  // The simulator's answer (`remains`), and the field table's name (Q16).
  const auto b = parse_balance(
      R"({"remains":[{"type":"metered","credit_remain":1000,"concurrency_limit":5,"current_concurrency":2,"queue_count":1}]})");
  ASSERT_EQ(b.entries.size(), 1U);
  EXPECT_EQ(b.total, 1000);
  EXPECT_EQ(b.entries[0].type, "metered");
  EXPECT_EQ(b.entries[0].concurrency_limit, 5);
  EXPECT_EQ(b.entries[0].current_concurrency, 2);
  EXPECT_EQ(b.entries[0].queue_count, 1);
  const auto c = parse_balance(
      R"({"remaining_credits":[{"type":"test","credit_remain":"5000000000"},{"type":"metered","credit_remain":20}],
          "packages":[{"id":"1","credit_remain":9}]})");
  ASSERT_EQ(c.entries.size(), 2U);
  EXPECT_EQ(c.total, 5000000020);
  EXPECT_EQ(wire_error([] { parse_balance(R"({"packages":[]})"); }),
            "credits answer: `remains` is missing (nor is there `remaining_credits`)");
  EXPECT_EQ(wire_error([] { parse_balance(R"({"remains":[{"credit_remain":"lots"}]})"); }),
            "credits answer: `remains[0].credit_remain` is not an integer");
  // Saturates rather than overflowing.
  EXPECT_EQ(
      parse_balance(R"({"remains":[{"credit_remain":9223372036854775807},{"credit_remain":1}]})")
          .total,
      INT64_MAX);
}

TEST(ViduWireOfficial, Failure) {
  // §13.1 / the simulator's official_error.
  const ApiFailure f = parse_failure(
      Dialect::vidu, 429,
      R"({"code":429,"reason":"TooManyRequests","message":"slow down","metadata":{"trace_id":"abc123"}})");
  EXPECT_EQ(f.http_status, 429);
  EXPECT_EQ(f.code, "TooManyRequests");
  EXPECT_EQ(f.message, "slow down");
  EXPECT_EQ(f.trace_id, "abc123");
  const ApiFailure cancel = parse_failure(
      Dialect::vidu, 400,
      R"({"code":400,"reason":"BadRequest","message":"task state is scheduled, can not cancel","metadata":{"trace_id":"t"}})");
  EXPECT_EQ(cancel.code, "BadRequest");
  EXPECT_EQ(cancel.message, "task state is scheduled, can not cancel");
}

// ---- Vtrix answers (host/sim/vtrix_api.cpp and §16.3's variants) ----------------

TEST(ViduWireVtrix, SimulatorEnvelopes) {
  const RemoteTask pending =
      parse_task(Dialect::vtrix, R"({"id":"7","task_id":"7","status":"pending",
      "model":"viduq2_pro_extend","created_at":1795255200,"progress":0.0,"metadata":{"in_queue_at":1795255200}})");
  EXPECT_EQ(pending.id, "7");
  EXPECT_EQ(pending.state, TaskState::queueing);
  EXPECT_EQ(pending.progress, 0.0);

  const RemoteTask done =
      parse_task(Dialect::vtrix, R"({"id":"7","task_id":"7","status":"completed",
      "model":"viduq2_pro_extend","created_at":1795255200,"progress":1.0,"metadata":{},
      "output":[{"content":[{"type":"video","url":"http://h/files/c7.mp4","cover_url":"http://h/files/c7.jpg",
                             "jobId":"7","duration":5.0}]}],
      "usage":{"cost":"0.175","discount":0,"credits":35,"model":"viduq2_pro_extend","duration":5.0,"resolution":"720p"}})");
  EXPECT_EQ(done.state, TaskState::success);
  EXPECT_EQ(done.credits, 35);
  EXPECT_EQ(done.progress, 1.0);
  ASSERT_EQ(done.creations.size(), 1U);
  EXPECT_EQ(done.creations[0].id, "");
  EXPECT_EQ(done.creations[0].url, "http://h/files/c7.mp4");
  EXPECT_EQ(done.creations[0].cover_url, "http://h/files/c7.jpg");
  EXPECT_DOUBLE_EQ(done.creations[0].duration, 5.0);

  const RemoteTask failed =
      parse_task(Dialect::vtrix, R"({"id":"7","status":"failed","progress":0.0,
      "error":{"code":8012098,"message":"task failed: ModelUnavailable","error_message":"task failed: ModelUnavailable",
               "reason":"ModelUnavailable"}})");
  EXPECT_EQ(failed.state, TaskState::failed);
  EXPECT_EQ(failed.err_code, "8012098");
  EXPECT_EQ(failed.err_message, "task failed: ModelUnavailable");
}

TEST(ViduWireVtrix, StatusMapping) {
  const std::vector<std::pair<std::string, TaskState>> cases = {
      {"pending", TaskState::queueing},       {"queued", TaskState::queueing},
      {"in_progress", TaskState::processing}, {"processing", TaskState::processing},
      {"running", TaskState::processing},     {"failed", TaskState::failed},
      {"cancelled", TaskState::failed},       {"IN_PROGRESS", TaskState::processing}};
  for (const auto& [name, state] : cases)
    EXPECT_EQ(parse_task(Dialect::vtrix, json{{"id", "1"}, {"status", name}}.dump()).state, state)
        << name;
  for (const char* name : {"completed", "succeeded"})
    EXPECT_EQ(parse_task(Dialect::vtrix,
                         json{{"id", "1"},
                              {"status", name},
                              {"output", {{{"content", {{{"type", "video"}, {"url", "u"}}}}}}}}
                             .dump())
                  .state,
              TaskState::success);
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vtrix, R"({"id":"1","status":"created!"})"); }),
            "task answer: `status` has an unknown value \"created!\"");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vtrix, R"({"id":"1"})"); }),
            "task answer: `status` is missing");
  EXPECT_EQ(wire_error([] { parse_task(Dialect::vtrix, R"({"status":"pending"})"); }),
            "task answer: `id` is missing");
  // The official names are not Vtrix's, and the other way round.
  EXPECT_THROW(parse_task(Dialect::vidu, R"({"id":"1","state":"pending"})"), WireError);
}

TEST(ViduWireVtrix, ErrorVariants) {
  // {code, message} with the documented 9-digit text code.
  RemoteTask a = parse_task(
      Dialect::vtrix,
      R"({"id":"1","status":"failed","error":{"code":"008012005","message":"duration invalid"}})");
  EXPECT_EQ(a.err_code, "008012005");
  EXPECT_EQ(a.err_message, "duration invalid");
  // {code: int, error_message}.
  RemoteTask b = parse_task(
      Dialect::vtrix,
      R"({"id":"1","status":"failed","error":{"code":2014001,"error_message":"image is missing"}})");
  EXPECT_EQ(b.err_code, "2014001");
  EXPECT_EQ(b.err_message, "image is missing");
  // A plain string (the CLI's model).
  RemoteTask c =
      parse_task(Dialect::vtrix, R"({"id":"1","status":"failed","error":"upstream\ttimeout"})");
  EXPECT_EQ(c.err_code, "");
  EXPECT_EQ(c.err_message, "upstream timeout");
  // Code 0 is "no error".
  RemoteTask d = parse_task(Dialect::vtrix,
                            R"({"id":"1","status":"pending","error":{"code":0,"message":""}})");
  EXPECT_EQ(d.err_code, "");
}

TEST(ViduWireVtrix, CreatedAtAndContentVariants) {
  // created_at as an ISO string, type "video_url", duration as a string, task_id only.
  const RemoteTask t = parse_task(Dialect::vtrix, R"({"task_id":"t10","status":"completed",
      "created_at":"2026-11-21T10:00:00Z","progress":"0.5",
      "output":[{"content":[{"type":"text","text":"{}"},{"type":"video_url","url":"https://cdn.vtrix.ai/a.mp4","duration":"8"}]}]})");
  EXPECT_EQ(t.id, "t10");
  ASSERT_EQ(t.creations.size(), 1U);
  EXPECT_EQ(t.creations[0].url, "https://cdn.vtrix.ai/a.mp4");
  EXPECT_DOUBLE_EQ(t.creations[0].duration, 8.0);
  EXPECT_EQ(t.progress, 0.5);
  // The URL under the type's name, as an object or a string.
  EXPECT_EQ(parse_task(Dialect::vtrix, R"({"id":"1","status":"completed","created_at":1795255200,
      "output":[{"content":[{"type":"video_url","video_url":{"url":"https://v/1.mp4"}}]}]})")
                .creations.at(0)
                .url,
            "https://v/1.mp4");
  EXPECT_EQ(parse_task(Dialect::vtrix, R"({"id":"1","status":"completed",
      "output":[{"content":[{"type":"video_url","video_url":"https://v/2.mp4"}]}]})")
                .creations.at(0)
                .url,
            "https://v/2.mp4");
  // Progress is kept to 0..1; a completed answer without a video is not usable.
  EXPECT_EQ(
      parse_task(Dialect::vtrix, R"({"id":"1","status":"in_progress","progress":7})").progress,
      1.0);
  EXPECT_EQ(
      wire_error([] {
        parse_task(
            Dialect::vtrix,
            R"({"id":"1","status":"completed","output":[{"content":[{"type":"text","text":"x"}]}]})");
      }),
      "task answer: `output` has no video URL although the task succeeded");
  EXPECT_EQ(
      wire_error([] {
        parse_task(
            Dialect::vtrix,
            R"({"id":"1","status":"completed","output":[{"content":[{"type":"video","url":["u"]}]}]})");
      }),
      "task answer: `output[0].content[0].url` is not a string");
}

TEST(ViduWireVtrix, Failures) {
  // The simulator's vtrix_error: {status, error:{code:int, message, error_message, reason}}.
  const ApiFailure f = parse_failure(
      Dialect::vtrix, 400,
      R"({"status":"failed","error":{"code":8012005,"message":"duration: 9 is not allowed","error_message":"duration: 9 is not allowed","reason":"FieldInvalid"}})");
  EXPECT_EQ(f.code, "8012005");
  EXPECT_EQ(f.message, "duration: 9 is not allowed");
  EXPECT_EQ(f.trace_id, "");
  const ApiFailure g = parse_failure(
      Dialect::vtrix, 403, R"({"error":{"code":"002014001","error_message":"image is missing"}})");
  EXPECT_EQ(g.code, "002014001");
  EXPECT_EQ(g.message, "image is missing");
  // A gateway's own top-level {code, message}.
  const ApiFailure top =
      parse_failure(Dialect::vtrix, 400, R"({"code":8012004,"message":"prompt length invalid"})");
  EXPECT_EQ(top.code, "8012004");
  EXPECT_EQ(top.message, "prompt length invalid");
  // A code that only repeats the status reads as the official name (§13.2).
  EXPECT_EQ(parse_failure(Dialect::vtrix, 401, R"({"code":401,"message":"no key"})").code,
            "Unauthorized");
  const ApiFailure h = parse_failure(Dialect::vtrix, 401, R"({"error":"invalid api key"})");
  EXPECT_EQ(h.code, "Unauthorized");
  EXPECT_EQ(parse_failure(Dialect::vtrix, 429, R"({"error":{"code":429}})").code,
            "TooManyRequests");
  EXPECT_EQ(parse_failure(Dialect::vtrix, 418, "").code, "HTTP 418");
  EXPECT_EQ(h.message, "invalid api key");
}

// ---- failures in general ------------------------------------------------------

TEST(ViduWireFailure, UnreadableBodies) {
  for (Dialect d : {Dialect::vidu, Dialect::vtrix}) {
    const ApiFailure empty = parse_failure(d, 502, "");
    EXPECT_EQ(empty.http_status, 502);
    EXPECT_EQ(empty.code, "InternalServiceFailure");
    EXPECT_EQ(empty.message, "");
    const ApiFailure html = parse_failure(d, 502, "<html>\r\n<b>Bad Gateway</b>\n</html>");
    EXPECT_EQ(html.code, "InternalServiceFailure");
    EXPECT_EQ(html.message, "<html> <b>Bad Gateway</b> </html>");
    EXPECT_EQ(parse_failure(d, 500, "[1,2]").code, "InternalServiceFailure");
    EXPECT_EQ(parse_failure(d, 500, R"({"reason":{"x":1},"message":[]})").code,
              "InternalServiceFailure");
    EXPECT_EQ(parse_failure(d, 500, R"("plain")").message, "plain");
  }
}

TEST(ViduWireFailure, MessagesAreCleanedAndCapped) {
  // Control characters go (line breaks become spaces), invalid UTF-8 becomes U+FFFD.
  const ApiFailure f =
      parse_failure(Dialect::vidu, 400,
                    "{\"reason\":\"Bad\\u0000Req\",\"message\":\"a\\nb\\u0007c\\u001b[31m\"}");
  EXPECT_EQ(f.code, "BadReq");
  EXPECT_EQ(f.message, "a bc[31m");
  EXPECT_EQ(parse_failure(Dialect::vidu, 502, "caf\xff\xc3\xa9").message,
            "caf\xEF\xBF\xBD\xC3\xA9");

  // 299 ASCII bytes then "é" (2 bytes): the cut falls before it, not inside it.
  const std::string long_text = std::string(299, 'x') + "\xC3\xA9" + std::string(50, 'y');
  const ApiFailure g =
      parse_failure(Dialect::vtrix, 400, json{{"error", {{"message", long_text}}}}.dump());
  EXPECT_EQ(g.message, std::string(299, 'x'));
  const ApiFailure h =
      parse_failure(Dialect::vidu, 400, json{{"message", std::string(1000, 'z')}}.dump());
  EXPECT_EQ(h.message.size(), 300U);
  // The result is always valid UTF-8: JSON can hold it again.
  EXPECT_NO_THROW(json(parse_failure(Dialect::vidu, 502, std::string(400, '\xe2')).message).dump());
}

}  // namespace
