// reel links Debian's C++-built Lua: a Lua error thrown from a C++ function
// must unwind that function's frames and run its destructors, and C modules
// must find the Lua API in the executable.
#include <gtest/gtest.h>
#include <lua.hpp>

#include <dlfcn.h>

namespace {

int g_destroyed = 0;

struct Guard {
  ~Guard() { ++g_destroyed; }
};

int raise_with_guard(lua_State* L) {
  Guard guard;
  return luaL_error(L, "raised past a C++ object");
}

TEST(LuaLink, LuaErrorsRunCxxDestructors) {
  lua_State* L = luaL_newstate();
  g_destroyed = 0;
  lua_pushcfunction(L, raise_with_guard);
  ASSERT_EQ(lua_pcall(L, 0, 0, 0), LUA_ERRRUN);
  EXPECT_STREQ(lua_tostring(L, -1), "raised past a C++ object");
  EXPECT_EQ(g_destroyed, 1);  // with the C build (longjmp) this stays 0
  lua_close(L);
}

TEST(LuaLink, TheLuaApiIsExportedForCModules) {
  // What lfs.so and friends resolve when require loads them into reel.
  void* self = dlopen(nullptr, RTLD_NOW);
  ASSERT_NE(self, nullptr);
  EXPECT_NE(dlsym(self, "lua_pushstring"), nullptr);
  EXPECT_NE(dlsym(self, "luaL_checkversion_"), nullptr);
  EXPECT_NE(dlsym(self, "luaopen_base"), nullptr);
  dlclose(self);
}

}  // namespace
