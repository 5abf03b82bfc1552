// host/journal on real SQLite files: claims, state history, two processes on
// one journal, and a process killed with -9 in the middle of writing.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "host/journal/journal.hpp"

namespace reel::journal {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("reel-journal-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    path_ = (dir_ / ".reel" / "journal.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Call proposal(const std::string& key) {
    Call c;
    c.key = key;
    c.script = "board.lua";
    c.shot = "open";
    c.kind = "text2video";
    c.model = "viduq2";
    c.request = R"({"model":"viduq2","prompt":"a lighthouse"})";
    c.dialect = "vidu";
    c.base_url = "http://127.0.0.1:1";
    c.payload = "reel:00ff";
    return c;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(JournalTest, CreatesItsFolderAndClaimsAKeyOnce) {
  Journal j(path_);
  EXPECT_TRUE(fs::exists(path_));
  auto first = j.claim(proposal("k1"), "me:1");
  EXPECT_TRUE(first.inserted);
  EXPECT_EQ(first.call.state, "submitting");
  EXPECT_EQ(first.call.owner, "me:1");
  EXPECT_EQ(first.call.shot, "open");
  auto second = j.claim(proposal("k1"), "other:2");
  EXPECT_FALSE(second.inserted);
  EXPECT_EQ(second.call.id, first.call.id);
  EXPECT_EQ(second.call.owner, "me:1");
  EXPECT_EQ(j.list(10).size(), 1u);
}

TEST_F(JournalTest, KeepsEveryStateSeenAndTheResult) {
  int64_t id = 0;
  {
    Journal j(path_);
    id = j.claim(proposal("k"), "me:1").call.id;
    j.set_task(id, "1234");
    j.set_state(id, "created", "", 40);
    j.set_state(id, "queueing", "", std::nullopt);
    j.set_state(id, "queueing", "", std::nullopt);  // seen twice, recorded once
    j.set_state(id, "success", "", std::nullopt);
    j.set_result(id, "http://x/v.mp4", "http://x/c.jpg", "12341");
    j.set_file(id, "out/open-1234.mp4", "ab12", 5.0, 1280, 720, 24);
  }
  Journal again(path_);  // what a second run reads
  auto c = again.find("k");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->task_id, "1234");
  EXPECT_EQ(c->state, "success");
  ASSERT_TRUE(c->credits);
  EXPECT_EQ(*c->credits, 40);  // a later state without credits keeps them
  EXPECT_EQ(c->creation_id, "12341");
  EXPECT_EQ(c->file, "out/open-1234.mp4");
  EXPECT_EQ(c->width, 1280);
  auto seen = again.states(id);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].state, "submitting");
  EXPECT_EQ(seen[1].state, "created");
  EXPECT_EQ(seen[2].state, "queueing");
  EXPECT_EQ(seen[3].state, "success");
  EXPECT_EQ(again.find_task("1234")->id, id);
}

TEST_F(JournalTest, ResetForgetsTheTaskButKeepsTheCall) {
  Journal j(path_);
  const int64_t id = j.claim(proposal("k"), "me:1").call.id;
  j.set_task(id, "1");
  j.set_state(id, "failed", "CreationPolicyViolation", 0);
  j.reset(id, "me:2", "reel:new");
  auto c = j.get(id);
  EXPECT_EQ(c->task_id, "");
  EXPECT_EQ(c->payload, "reel:new");
  EXPECT_EQ(c->state, "submitting");
  EXPECT_EQ(c->err_code, "");
  EXPECT_FALSE(c->credits);
  EXPECT_EQ(c->owner, "me:2");
  EXPECT_EQ(j.states(id).back().state, "submitting");
}

TEST_F(JournalTest, TakesOverOnlyFromAnOwnerThatIsGone) {
  Journal j(path_);
  const int64_t id = j.claim(proposal("k"), "somewhere:1").call.id;
  EXPECT_FALSE(j.take_over(id, "me:1", [](const std::string&) { return true; }));
  EXPECT_TRUE(j.take_over(id, "me:1", [](const std::string&) { return false; }));
  EXPECT_EQ(j.get(id)->owner, "me:1");
}

TEST_F(JournalTest, KnowsWhetherAnOwnerOnThisHostRuns) {
  EXPECT_TRUE(owner_alive(this_owner()));
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const std::string me = this_owner();
  const std::string host = me.substr(0, me.find(':'));
  EXPECT_FALSE(owner_alive(host + ":" + std::to_string(child)));
  EXPECT_FALSE(owner_alive(host + ":" + std::to_string(child) + ":12345"));
  // This process's pid with another start time: the pid was recycled.
  EXPECT_FALSE(owner_alive(host + ":" + std::to_string(getpid()) + ":1"));
  EXPECT_TRUE(owner_alive("another-host.example:1"));
}

TEST_F(JournalTest, TwoProcessesClaimingTogetherInsertOnce) {
  { Journal j(path_); }
  constexpr int kProcesses = 4;
  constexpr int kKeys = 50;
  pid_t children[kProcesses];
  for (int p = 0; p < kProcesses; ++p) {
    children[p] = fork();
    if (children[p] == 0) {
      int inserted = 0;
      try {
        Journal j(path_);
        for (int k = 0; k < kKeys; ++k)
          inserted +=
              j.claim(proposal("key" + std::to_string(k)), "p:" + std::to_string(p)).inserted;
      } catch (...) {
        _exit(200);
      }
      _exit(inserted);
    }
  }
  int total = 0;
  for (pid_t c : children) {
    int status = 0;
    waitpid(c, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_NE(WEXITSTATUS(status), 200);
    total += WEXITSTATUS(status);
  }
  EXPECT_EQ(total, kKeys);
  Journal j(path_);
  EXPECT_EQ(j.list(1000).size(), static_cast<size_t>(kKeys));
}

TEST_F(JournalTest, AProcessKilledWhileWritingLeavesAConsistentFile) {
  { Journal j(path_); }
  for (int round = 0; round < 5; ++round) {
    pid_t child = fork();
    if (child == 0) {
      Journal j(path_);
      for (int k = 0;; ++k) {
        const int64_t id =
            j.claim(proposal("r" + std::to_string(round) + "-" + std::to_string(k)), "p:1").call.id;
        j.set_task(id, std::to_string(k));
        j.set_state(id, "queueing", "", 10);
      }
    }
    usleep(30000 + round * 10000);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string verdict;
    sqlite3_exec(
        db, "PRAGMA integrity_check",
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0] != nullptr ? values[0] : "";
          return 0;
        },
        &verdict, nullptr);
    sqlite3_close(db);
    EXPECT_EQ(verdict, "ok") << "round " << round;
  }
  Journal j(path_);
  // A claim writes the call and its first state in one transaction: no kill
  // leaves a call without it, and a recorded state is always the row's own.
  const auto calls = j.list(100000);
  EXPECT_GT(calls.size(), 5u);
  for (const Call& c : calls) {
    const auto seen = j.states(c.id);
    ASSERT_FALSE(seen.empty()) << c.key;
    EXPECT_EQ(seen.front().state, "submitting");
    EXPECT_EQ(seen.back().state, c.state) << c.key;
  }
}

TEST_F(JournalTest, AnUnusableFileIsNamedInTheError) {
  fs::create_directories(dir_);
  const std::string not_db = (dir_ / "not.db").string();
  {
    FILE* f = std::fopen(not_db.c_str(), "wb");
    std::fputs("this is not an SQLite database, it is plain text long enough to be read", f);
    std::fclose(f);
  }
  try {
    Journal j(not_db);
    FAIL() << "opened a file that is not a journal";
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find(not_db), std::string::npos) << e.what();
  }
}

// reel tasks reads with this: it must never make a journal, nor change one.
TEST_F(JournalTest, ReadOnlyOpensOnlyAnExistingJournalAndWritesNothing) {
  EXPECT_THROW(Journal(path_, Journal::read_only), JournalError);
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_FALSE(fs::exists(dir_ / ".reel"));
  int64_t id = 0;
  {
    Journal j(path_);
    id = j.claim(proposal("k"), "me:1").call.id;
    j.set_task(id, "42");
  }
  Journal r(path_, Journal::read_only);
  EXPECT_EQ(r.find_task("42")->id, id);
  EXPECT_EQ(r.states(id).size(), 1u);
  EXPECT_THROW(r.set_state(id, "failed", "UserCancelled", 0), JournalError);
  EXPECT_EQ(r.get(id)->state, "submitting");

  const std::string other = (dir_ / "other.db").string();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE x (a)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  try {
    Journal j(other, Journal::read_only);
    FAIL() << "read an SQLite file that is not a journal";
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find(other), std::string::npos) << e.what();
  }
}

TEST_F(JournalTest, ListsByCreationNewestFirst) {
  Journal j(path_);
  const int64_t a = j.claim(proposal("a"), "me:1").call.id;
  const int64_t b = j.claim(proposal("b"), "me:1").call.id;
  j.set_state(a, "queueing", "", std::nullopt);  // a changed last, b was made last
  const auto by_change = j.list(10);
  const auto by_creation = j.list_by_creation(10);
  ASSERT_EQ(by_creation.size(), 2u);
  EXPECT_EQ(by_change.front().id, a);
  EXPECT_EQ(by_creation.front().id, b);
  EXPECT_EQ(by_creation.back().id, a);
  EXPECT_EQ(j.list_by_creation(1).size(), 1u);
  EXPECT_EQ(j.list_by_creation(-1).size(), 2u);  // no limit
}

TEST_F(JournalTest, ABatchIsOneTransaction) {
  Journal j(path_);
  const int64_t id = j.claim(proposal("k"), "me:1").call.id;
  {
    Journal::Batch batch(j);
    j.set_task(id, "7");
    j.set_state(id, "queueing", "", 10);
    // Another connection sees nothing of it before the commit.
    Journal other(path_, Journal::read_only);
    EXPECT_EQ(other.get(id)->task_id, "");
    batch.commit();
  }
  EXPECT_EQ(j.get(id)->task_id, "7");
  EXPECT_EQ(j.get(id)->state, "queueing");
  {
    Journal::Batch batch(j);
    j.set_state(id, "success", "", 10);
  }  // never committed: rolled back
  EXPECT_EQ(j.get(id)->state, "queueing");
  EXPECT_EQ(j.states(id).back().state, "queueing");
}

// Two reel runs started together on a journal neither has made yet.
TEST_F(JournalTest, ProcessesOpeningANewJournalTogetherAllSucceed) {
  for (int round = 0; round < 20; ++round) {
    const std::string path = (dir_ / ("new-" + std::to_string(round) + ".db")).string();
    std::vector<pid_t> children;
    for (int i = 0; i < 5; ++i) {
      const pid_t child = fork();
      if (child == 0) {
        try {
          Journal j(path);
          _exit(0);
        } catch (...) {
          _exit(1);
        }
      }
      children.push_back(child);
    }
    for (const pid_t child : children) {
      int status = 0;
      waitpid(child, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
  }
}


}  // namespace
}  // namespace reel::journal
