// What the pieces of the sandbox share (sandbox.hpp is the contract; each
// sandbox_*.cpp file says which idea it holds). Nothing outside bindings/
// sandbox*.cpp includes this.
//
// Errors are raised only where no C++ object with a heap is alive (a Lua
// error is a longjmp): helpers build the message, push it and return.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace reel::lua::sandbox {

// The registry's field for the sandbox's own tables (sandbox_registry.cpp).
constexpr const char* kSandboxKey = "reel.sandbox";
// Instructions between two looks at the limits.
constexpr int kHookStep = 1000;

// --- limits (sandbox_limits.cpp) ----------------------------------------------

// The limits of one state. It is the allocator's user data, so any thread
// finds it without a lookup.
struct Limits {
  lua_Alloc base = nullptr;
  void* base_ud = nullptr;
  bool whole = false;  // --sandbox: always on
  int calls = 0;       // reel.sandbox calls under way
  size_t used = 0;     // bytes the state holds
  size_t ceiling = SIZE_MAX;
  size_t memory = 0;  // the limit in bytes
  uint64_t budget = 0;
  uint64_t instructions = 0;
  bool memory_hit = false;
  bool budget_hit = false;
  bool refused = false;  // some allocation was: "not enough memory" is the limit's doing
  // The last allocation refused: Lua asks again once after a full
  // collection, and only a second refusal means the memory is really gone.
  const void* refused_block = nullptr;
  size_t refused_size = 0;

  bool on() const { return whole || calls > 0; }
};

// The state's limits, nullptr while it has none.
Limits* limits_of(lua_State* L);
// The state's limits, made (and its allocator wrapped) on first use.
Limits& limits_for(lua_State* L);
// A reel.sandbox call starts (the first of those under way) or ends (the last).
void start_limits(Limits& lim);
void stop_limits(Limits& lim);

void push_limit_error(lua_State* L, const Limits& lim, bool memory);
void count_hook(lua_State* L, lua_Debug* ar);
void hook_thread(lua_State* co, const Limits& lim);
// Adds to the instructions run; raises when a limit is hit.
void charge(lua_State* L, uint64_t instructions);
bool sandboxed(lua_State* L);
// Whether the error on top (of `status`) is the memory limit's doing.
bool memory_error(lua_State* L, const Limits& lim, int status);

// --- errors (sandbox_errors.cpp) ----------------------------------------------

void push_sandbox_error(lua_State* L, const char* code, const char* message, const char* path);
int raise_violation(lua_State* L, const char* path = nullptr);
int refuse(lua_State* L, const char* format, ...);
int refused(lua_State* L);
void set_refused(lua_State* L, int table, const char* shown, const char* field, const char* why);

// --- folders (sandbox_paths.cpp) ----------------------------------------------

std::string resolve(const std::string& path);
std::string lexical(const std::string& path);
bool inside(const std::string& path, const std::string& dir);
// --out: REEL_OUT, default "out".
std::string out_folder();
std::vector<std::string> readable_folders(lua_State* L);

enum class Access {
  read,
  write,   // remove, rename
  create,  // open for writing
  folder,  // a folder to write in (vidu's `out`, reel.mkdir): --out itself too
};

std::string refusal(lua_State* L, const std::string& shown, const std::string& path, Access access);
bool permitted(lua_State* L, const char* who, const char* path, Access access);

// --- the sandbox's registry table (sandbox_registry.cpp) ------------------------

int push_part(lua_State* L, const char* name);
bool in_set(lua_State* L, const char* set, int idx);
void add_to_set(lua_State* L, const char* set, int idx);
void set_env(lua_State* L, int fn, int env);
int return_all(lua_State* L, int status, lua_KContext ctx);
int call_original(lua_State* L);
void copy_table(lua_State* L, int src);
void wrap_field(lua_State* L, int table, int original, const char* name, lua_CFunction fn);

// --- read-only views (sandbox_views.cpp) ----------------------------------------

void push_view(lua_State* L, int idx);

// --- require (sandbox_require.cpp) ----------------------------------------------

// lua5.4's require over the sandbox's package: env.require.
int sb_require(lua_State* L);

// --- building the sandbox ---------------------------------------------------------

// What prepare (sandbox.cpp) builds the sandbox with; each part is defined
// in the file of what it puts in.
struct Builder {
  lua_State* L;
  bool whole;
  int registry;  // the sandbox's registry table
  int env;       // its globals
  int real_loaded;
  int loaded;  // its package.loaded

  void publish(const char* name, int real);  // sandbox.cpp
  int library(int real);                     // sandbox.cpp
  void base(int globals);                    // sandbox_library.cpp
  void libraries();                          // sandbox_library.cpp
  void io();                                 // sandbox_library.cpp
  void os();                                 // sandbox_library.cpp
  void debug();                              // sandbox_library.cpp
  void package();                            // sandbox_require.cpp
  void modules();                            // sandbox_modules.cpp
};

}  // namespace reel::lua::sandbox
