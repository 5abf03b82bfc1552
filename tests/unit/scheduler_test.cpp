// The scheduler and the async module on a real Lua state and a real libuv
// loop: ordering, waiting, failures, deadlocks, the coroutine library.
#include <gtest/gtest.h>
#include <lua.hpp>

#include <chrono>
#include <string>

#include "bindings/runtime.hpp"

namespace reel::lua {
namespace {

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { runtime_.open_libraries(false); }

  // Runs `code` as a top-level chunk; returns its outcome and leaves the first
  // result (or the error message) in `text_`.
  Outcome run(const std::string& code) {
    lua_State* L = runtime_.state();
    lua_settop(L, 0);
    if (luaL_loadstring(L, code.c_str()) != LUA_OK) {
      text_ = lua_tostring(L, -1);
      return Outcome::error;
    }
    const Outcome outcome = runtime_.call(0, 1);
    const char* s = luaL_tolstring(L, -1, nullptr);
    text_ = s != nullptr ? s : "";
    lua_settop(L, 0);
    return outcome;
  }

  Runtime runtime_;
  std::string text_;
};

TEST_F(SchedulerTest, ChunkResultsComeBack) {
  ASSERT_EQ(run("return 6 * 7"), Outcome::ok);
  EXPECT_EQ(text_, "42");
}

TEST_F(SchedulerTest, SleepersWakeInDeadlineOrderNotSpawnOrder) {
  ASSERT_EQ(run(R"(
    local order = {}
    local a = async.spawn(function() async.sleep(0.06) order[#order + 1] = "slow" end)
    local b = async.spawn(function() async.sleep(0.01) order[#order + 1] = "fast" end)
    local c = async.spawn(function() order[#order + 1] = "now" end)
    async.all{ a, b, c }
    return table.concat(order, ",")
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "now,fast,slow");
}

TEST_F(SchedulerTest, SleepsOverlapInsteadOfAddingUp) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run(R"(
    local hs = {}
    for i = 1, 20 do hs[i] = async.spawn(async.sleep, 0.1) end
    async.all(hs)
  )"),
            Outcome::ok);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));  // 20 x 0.1 s one after another = 2 s
}

TEST_F(SchedulerTest, WaitReturnsEveryResult) {
  ASSERT_EQ(run(R"(
    local h = async.spawn(function(a, b) async.sleep(0) return a + b, "x", nil end, 2, 3)
    local n = select("#", h:wait())
    local s, x = h:wait()   -- a finished handle can be waited on again
    return n .. ":" .. s .. x
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "3:5x");
}

TEST_F(SchedulerTest, WaitRaisesTheTasksOwnErrorObject) {
  ASSERT_EQ(run(R"(
    local e = setmetatable({ code = "TaskFailed" }, { __tostring = function() return "bad" end })
    local h = async.spawn(function() async.sleep(0.001) error(e) end)
    local ok, err = pcall(h.wait, h)
    return tostring(not ok and rawequal(err, e))
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "true");
}

TEST_F(SchedulerTest, AllRaisesTheFirstFailureInTimeWithoutWaitingForTheRest) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run(R"(
    local slow = async.spawn(function() async.sleep(2) return 1 end)
    local late = async.spawn(function() async.sleep(0.05) error("late", 0) end)
    local early = async.spawn(function() async.sleep(0.01) error("early", 0) end)
    local ok, err = pcall(async.all, { slow, late, early })
    return err
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "early");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(SchedulerTest, AllTakesFunctionsAndObjectsWithAWaitMethod) {
  ASSERT_EQ(run(R"(
    local task = { wait = function(self) async.sleep(0.001) return "clip" end }
    local r = async.all{ function() return "fn" end, task, async.spawn(function() return 3 end) }
    return r[1] .. r[2] .. r[3]
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "fnclip3");
}

TEST_F(SchedulerTest, AllRefusesItemsItCannotWaitOn) {
  ASSERT_EQ(run("async.all{ 42 }"), Outcome::error);
  EXPECT_NE(text_.find("async.all: item 1 is a number"), std::string::npos) << text_;
}

TEST_F(SchedulerTest, WaitingOnItselfIsAnError) {
  ASSERT_EQ(run(R"(
    local h
    h = async.spawn(function() async.sleep(0) return h:wait() end)
    return h:wait()
  )"),
            Outcome::error);
  EXPECT_NE(text_.find("cannot wait for itself"), std::string::npos) << text_;
}

TEST_F(SchedulerTest, AWaitThatCanNeverEndIsReportedNotHung) {
  ASSERT_EQ(run(R"(
    local a, b
    a = async.spawn(function() async.sleep(0) return b:wait() end)
    b = async.spawn(function() async.sleep(0) return a:wait() end)
    return a:wait()
  )"),
            Outcome::error);
  EXPECT_NE(text_.find("can never happen"), std::string::npos) << text_;
}

TEST_F(SchedulerTest, AsyncCallsInsideAPlainCoroutineExplainThemselves) {
  ASSERT_EQ(run("coroutine.wrap(function() async.sleep(0) end)()"), Outcome::error);
  EXPECT_NE(text_.find("async.sleep: called inside a coroutine that reel does not schedule"),
            std::string::npos)
      << text_;
}

TEST_F(SchedulerTest, WaitingWhereLuaCannotSuspendExplainsItself) {
  ASSERT_EQ(run("table.sort({ 2, 1 }, function(a, b) async.sleep(0) return a < b end)"),
            Outcome::error);
  EXPECT_NE(text_.find("async.sleep: cannot wait here"), std::string::npos) << text_;
  // Nothing was left suspended: the next chunk runs normally.
  ASSERT_EQ(run("async.sleep(0) return 1"), Outcome::ok);
}

TEST_F(SchedulerTest, PlainCoroutinesStillWorkInsideFibers) {
  ASSERT_EQ(run(R"(
    local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
    async.sleep(0)
    return gen() + gen() + gen()
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "6");
}

TEST_F(SchedulerTest, FibersCannotBeResumedByHand) {
  ASSERT_EQ(run(R"(
    local h = async.spawn(function() async.sleep(1) end)
    local co
    async.spawn(function() co = coroutine.running() end):wait()
    return coroutine.resume(co)
  )"),
            Outcome::error);
  EXPECT_NE(text_.find("cannot resume or close a coroutine that reel schedules"), std::string::npos)
      << text_;
}

TEST_F(SchedulerTest, BackgroundTasksFinishAfterTheChunk) {
  ASSERT_EQ(run("done = false; async.spawn(function() async.sleep(0.02) done = true end)"),
            Outcome::ok);
  ASSERT_EQ(runtime_.finish_background(), Outcome::ok);
  ASSERT_EQ(run("return done"), Outcome::ok);
  EXPECT_EQ(text_, "true");
}

TEST_F(SchedulerTest, AFailureNobodyWaitedForIsReportedAtTheEnd) {
  ASSERT_EQ(run("async.spawn(function() async.sleep(0.001) error('lost') end)"), Outcome::ok);
  ASSERT_EQ(runtime_.finish_background(), Outcome::error);
  const std::string message = lua_tostring(runtime_.state(), -1);
  EXPECT_NE(message.find("an async task failed and nobody waited for it"), std::string::npos);
  EXPECT_NE(message.find("lost"), std::string::npos);
}

TEST_F(SchedulerTest, ToBeClosedVariablesCloseWhenATaskFails) {
  ASSERT_EQ(run(R"(
    closed = false
    local h = async.spawn(function()
      local guard <close> = setmetatable({}, { __close = function() closed = true end })
      async.sleep(0)
      error("x")
    end)
    pcall(h.wait, h)
    return closed
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "true");
}

TEST_F(SchedulerTest, HandlesDescribeTheirState) {
  ASSERT_EQ(run(R"(
    local h = async.spawn(function() async.sleep(0.01) end)
    async.sleep(0)
    local before = h.state
    h:wait()
    return before .. "," .. h.state .. "," .. tostring(h:done())
  )"),
            Outcome::ok);
  EXPECT_EQ(text_, "waiting,done,true");
}

TEST_F(SchedulerTest, SleepRejectsNonsense) {
  ASSERT_EQ(run("async.sleep(-1)"), Outcome::error);
  EXPECT_NE(text_.find("seconds must be a finite number"), std::string::npos) << text_;
}

// The REPL's Ctrl-C during a wait: the chunk is given up, its to-be-closed
// variables close at once, and what it waited on never resumes it.
TEST_F(SchedulerTest, AnInterruptedChunkIsClosedAndNeverResumed) {
  Scheduler::from(runtime_.state()).loop().after(20, [] { Scheduler::request_interrupt(); });
  ASSERT_EQ(run(R"(
    local guard <close> = setmetatable({}, { __close = function() closed = true end })
    async.sleep(0.1)
    resumed = true
  )"),
            Outcome::interrupted);
  ASSERT_EQ(run("return closed"), Outcome::ok);
  EXPECT_EQ(text_, "true");
  ASSERT_EQ(run("async.sleep(0.2) return resumed"), Outcome::ok);  // past the old sleep's end
  EXPECT_EQ(text_, "nil");
  EXPECT_EQ(runtime_.finish_background(), Outcome::ok);
}

}  // namespace
}  // namespace reel::lua
