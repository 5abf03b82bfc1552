// The Client with a journal (host/vidu/client_journal.cpp): a real SQLite
// journal file, a real Client, the real in-process simulator; a "new run"
// is a new Client on the same journal, simulator and --out. The simulator's
// stats prove what was paid. (The same rules through the real binary, with
// kill -9 and cut networks: tests/e2e/client/journal_spec.lua and
// tests/e2e/journal/.) These run under ASan+UBSan too.
#include <gtest/gtest.h>

#include <fstream>

#include "host/journal/journal.hpp"
#include "tests/unit/vidu_client_world.hpp"

namespace {

using namespace client_test;
using reel::journal::Journal;

// A submission as the vidu module makes it: keyed for the journal.
Submission keyed(const std::string& prompt, const std::string& key) {
  Submission s = t2v(prompt);
  s.name = key;
  s.key = key;
  s.script = "test";
  s.canonical = "text2video " + prompt;
  return s;
}

struct JournalWorld : World {
  fs::path dir = fresh_dir("journal");

  explicit JournalWorld(const SimSetup& setup, Dialect dialect = Dialect::vidu)
      : World(setup, dialect) {
    use_journal(std::make_unique<Journal>((dir / "journal.db").string()));
  }
  ~JournalWorld() {
    client.reset();
    journal.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // Submits and waits for the end; the task's info.
  TaskInfo run(Submission s, double timeout_s = 60) {
    const uint64_t h = client->submit(std::move(s));
    EXPECT_TRUE(finish_all({h}, timeout_s)) << "did not finish";
    return client->task(h);
  }
};

TEST(ViduClientJournal, AFinishedCallIsReplayedWithoutARequest) {
  JournalWorld w(at_speed(50));
  const TaskInfo first = w.run(keyed("a kite", "k1"));
  ASSERT_TRUE(first.clip) << failure_text(first);
  EXPECT_FALSE(first.replayed);
  const json before = w.stats();

  w.new_client();
  const TaskInfo again = w.run(keyed("a kite", "k1"));
  ASSERT_TRUE(again.clip) << failure_text(again);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.clip->path, first.clip->path);
  EXPECT_EQ(again.clip->sha256, first.clip->sha256);
  EXPECT_EQ(again.clip->duration, first.clip->duration);
  EXPECT_EQ(client_requests(w.stats()), client_requests(before)) << "no request at all";

  const auto call = w.journal->find("k1");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->state, "success");
  EXPECT_EQ(call->owner, "") << "released once done";
  EXPECT_EQ(call->file_sha256, first.clip->sha256);
  std::vector<std::string> states;
  for (const auto& s : w.journal->states(call->id)) states.push_back(s.state);
  EXPECT_EQ(states.front(), "submitting");
  EXPECT_EQ(states[1], "sending");
  EXPECT_EQ(states.back(), "success");
}

TEST(ViduClientJournal, AChangedFileIsFetchedAgainFromTheSameTask) {
  JournalWorld w(at_speed(50));
  const TaskInfo first = w.run(keyed("a kite", "k1"));
  ASSERT_TRUE(first.clip) << failure_text(first);
  { std::ofstream(first.clip->path, std::ios::trunc) << "not a clip"; }

  w.new_client();
  const TaskInfo again = w.run(keyed("a kite", "k1"));
  ASSERT_TRUE(again.clip) << failure_text(again);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.clip->sha256, first.clip->sha256) << "the same bytes again";
  const json st = w.stats();
  EXPECT_EQ(tasks_created(st), 1);
  EXPECT_EQ(on_route(st, "GET /files"), 2);
}

TEST(ViduClientJournal, ATaskLeftRunningIsFollowedNotCreatedAgain) {
  JournalWorld w(at_speed(10));
  const uint64_t h = w.client->submit(keyed("slow", "k1"));
  ASSERT_TRUE(w.run_until([&] { return !w.client->task(h).id.empty(); }));
  const std::string id = w.client->task(h).id;

  w.new_client();  // the first run went away while the task ran
  const TaskInfo again = w.run(keyed("slow", "k1"));
  ASSERT_TRUE(again.clip) << failure_text(again);
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(tasks_created(w.stats()), 1);
}

TEST(ViduClientJournal, ACreateWhoseAnswerWasLostIsFoundByItsTag) {
  JournalWorld w(at_speed(50));
  const TaskInfo first = w.run(keyed("lost", "k1"));
  ASSERT_TRUE(first.clip) << failure_text(first);
  // As a kill between the create and its answer leaves it.
  const auto call = w.journal->find("k1");
  w.journal->reset(call->id, "", call->payload);
  w.journal->set_state(call->id, "sending", "", std::nullopt);

  w.new_client();
  const TaskInfo again = w.run(keyed("lost", "k1"));
  ASSERT_TRUE(again.clip) << failure_text(again);
  EXPECT_EQ(again.id, first.id);
  const json st = w.stats();
  EXPECT_EQ(tasks_created(st), 1);
  EXPECT_EQ(on_route(st, "POST /ent/v2/text2video"), 1);
  EXPECT_GE(on_route(st, "GET /ent/v2/tasks"), 1) << "looked the tag up";
}

TEST(ViduClientJournal, AFailedTaskIsNotPaidAgainUnlessAsked) {
  JournalWorld w(at_speed(50).with_faults("fail=1"));
  const TaskInfo first = w.run(keyed("doomed", "k1"));
  ASSERT_TRUE(first.failure);
  EXPECT_EQ(first.failure->code, "TaskFailed");

  w.new_client();
  const TaskInfo again = w.run(keyed("doomed", "k1"));
  ASSERT_TRUE(again.failure);
  EXPECT_EQ(again.failure->code, "TaskFailed");
  EXPECT_EQ(again.failure->err_code, first.failure->err_code);
  EXPECT_NE(again.failure->message.find("retry_failed"), std::string::npos)
      << again.failure->message;
  EXPECT_EQ(tasks_created(w.stats()), 1);

  w.new_client();
  Submission retry = keyed("doomed", "k1");
  retry.retry_failed = true;
  const TaskInfo third = w.run(std::move(retry));
  EXPECT_NE(third.id, first.id);
  EXPECT_EQ(tasks_created(w.stats()), 2);
}

TEST(ViduClientJournal, FreshCreatesANewTaskEachTime) {
  JournalWorld w(at_speed(50));
  const TaskInfo first = w.run(keyed("again", "k1"));
  w.new_client();
  Submission s = keyed("again", "k1");
  s.fresh = true;
  const TaskInfo second = w.run(std::move(s));
  ASSERT_TRUE(second.clip) << failure_text(second);
  EXPECT_NE(second.id, first.id);
  EXPECT_EQ(tasks_created(w.stats()), 2);
  EXPECT_EQ(w.journal->find("k1")->task_id, second.id) << "the row follows the new task";
}

TEST(ViduClientJournal, ACallAnotherLiveProcessOwnsIsWaitedOnThenTaken) {
  JournalWorld w(at_speed(50));
  // Claimed by a reel on another host, which this one cannot see die.
  reel::journal::Call c;
  c.key = "k1";
  c.payload = "reel:other";
  const int64_t id = w.journal->claim(c, "elsewhere.example:1").call.id;

  const uint64_t h = w.client->submit(keyed("shared", "k1"));
  w.run_until([] { return false; }, 1.0);
  EXPECT_FALSE(w.client->task(h).finished());
  EXPECT_EQ(client_requests(w.stats()), 0) << "nothing sent while another owns it";

  w.journal->release(id);  // the other run let go before sending anything
  ASSERT_TRUE(w.finish_all({h}));
  const TaskInfo& t = w.client->task(h);
  ASSERT_TRUE(t.clip) << failure_text(t);
  EXPECT_EQ(tasks_created(w.stats()), 1);
}

TEST(ViduClientJournal, AJournalThatCannotRecordStopsTheCreate) {
  JournalWorld w(at_speed(50));
  w.use_journal(std::make_unique<Journal>((w.dir / "journal.db").string(), Journal::read_only));
  const TaskInfo t = w.run(keyed("unrecorded", "k1"));
  ASSERT_TRUE(t.failure);
  EXPECT_EQ(t.failure->code, "JournalFailed") << t.failure->message;
  EXPECT_EQ(client_requests(w.stats()), 0);
}

TEST(ViduClientJournal, AttachingAKnownTaskRecordsIntoItsRow) {
  JournalWorld w(at_speed(50));
  const uint64_t h = w.client->submit(keyed("named", "k1"));
  ASSERT_TRUE(w.run_until([&] { return !w.client->task(h).id.empty(); }));
  const std::string id = w.client->task(h).id;

  w.new_client();
  const uint64_t a = w.client->attach(id);
  ASSERT_TRUE(w.finish_all({a}));
  const TaskInfo& t = w.client->task(a);
  ASSERT_TRUE(t.clip) << failure_text(t);
  EXPECT_EQ(t.name, "k1") << "the shot's name from the journal";
  EXPECT_EQ(w.journal->find("k1")->file_sha256, t.clip->sha256);
}

}  // namespace
