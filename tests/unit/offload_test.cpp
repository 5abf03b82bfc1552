// run_in_pool: blocking work on libuv's thread pool while the fiber waits.
#include <gtest/gtest.h>
#include <lua.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "bindings/offload.hpp"
#include "bindings/runtime.hpp"

namespace reel::lua {
namespace {

// slow_double(x): sleeps `ms` on a pool thread, then returns 2x; fails for x < 0.
int slow_double(lua_State* L) {
  const lua_Integer x = luaL_checkinteger(L, 1);
  const auto ms = luaL_optinteger(L, 2, 50);
  auto result = std::make_shared<lua_Integer>(0);
  auto caller = std::make_shared<std::thread::id>();
  return run_in_pool(
      L,
      [x, ms, result, caller] {
        *caller = std::this_thread::get_id();
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        if (x < 0) throw std::runtime_error("negative input");
        *result = 2 * x;
      },
      [result, caller](lua_State* L, std::exception_ptr error) {
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            lua_pushstring(L, e.what());
          }
          return lua_error(L);
        }
        lua_pushinteger(L, *result);
        lua_pushboolean(L, *caller != std::this_thread::get_id());  // ran elsewhere?
        return 2;
      });
}

class OffloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.open_libraries(false);
    lua_register(runtime_.state(), "slow_double", slow_double);
  }

  std::string run(const char* code) {
    lua_State* L = runtime_.state();
    EXPECT_EQ(luaL_loadstring(L, code), LUA_OK);
    const Outcome outcome = runtime_.call(0, 1);
    std::string text = luaL_tolstring(L, -1, nullptr);
    lua_settop(L, 0);
    return (outcome == Outcome::ok ? "ok: " : "error: ") + text;
  }

  Runtime runtime_;
};

TEST_F(OffloadTest, WorkRunsOnAPoolThreadAndReturnsItsResult) {
  EXPECT_EQ(run("local v, elsewhere = slow_double(21, 1) return v .. ' ' .. tostring(elsewhere)"),
            "ok: 42 true");
}

TEST_F(OffloadTest, OtherTasksRunWhileTheWorkBlocks) {
  EXPECT_EQ(run(R"(
    local ticks, done = 0, false
    local ticker = async.spawn(function()
      while not done do async.sleep(0.002) ticks = ticks + 1 end
    end)
    slow_double(1, 100)
    done = true
    ticker:wait()
    return ticks >= 10
  )"),
            "ok: true");
}

TEST_F(OffloadTest, SeveralJobsOverlap) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run(R"(
    local r = async.all{ function() return slow_double(1, 150) end,
                         function() return slow_double(2, 150) end,
                         function() return slow_double(3, 150) end }
    return r[1] + r[2] + r[3]
  )"),
            "ok: 12");
  // One after another would take 450 ms; the pool has four threads.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
}

TEST_F(OffloadTest, ExceptionsFromTheWorkReachTheCaller) {
  EXPECT_EQ(run("local ok, e = pcall(slow_double, -1, 1) return e"), "ok: negative input");
}

TEST_F(OffloadTest, OutsideAFiberTheWorkRunsInline) {
  EXPECT_EQ(run("return coroutine.wrap(function() return slow_double(5, 1) end)()"), "ok: 10");
}

}  // namespace
}  // namespace reel::lua
