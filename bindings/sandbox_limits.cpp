// The sandbox's limits (sandbox.hpp), after Redis's script_lua.c: a count
// hook looks at the instruction budget every kHookStep instructions, and once
// a limit is hit it raises at every instruction, so pcall cannot catch the
// error and carry on. Hooks are per coroutine; new ones copy their
// creator's, and the sandbox's coroutine.create/wrap and async.spawn also set
// it and charge kHookStep for what a coroutine may run unseen. Memory is
// counted by an allocator that wraps Lua's.
#include <lua.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <forward_list>

#include "bindings/sandbox_internal.hpp"

namespace reel::lua::sandbox {

namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kReserve = kMiB;  // granted once the memory limit is hit, to report it
constexpr const char* kOutOfMemory = "not enough memory";  // Lua's own message

// The allocator runs until the end of lua_close, so Limits outlive their
// state: kept here until the process exits.
std::forward_list<Limits>& all_limits() {
  static std::forward_list<Limits> limits;
  return limits;
}

void* limited_alloc(void* ud, void* block, size_t osize, size_t nsize) {
  auto* lim = static_cast<Limits*>(ud);
  const size_t old = block != nullptr ? osize : 0;
  const size_t held = lim->used > old ? lim->used - old : 0;
  if (nsize > old && lim->on() && held + nsize > lim->ceiling) {
    const bool again = lim->refused_block == block && lim->refused_size == nsize;
    lim->refused = true;
    lim->refused_block = block;
    lim->refused_size = nsize;
    if (again && !lim->memory_hit) {
      lim->memory_hit = true;
      lim->ceiling += kReserve;
    }
    return nullptr;
  }
  void* result = lim->base(lim->base_ud, block, osize, nsize);
  if (result != nullptr || nsize == 0) lim->used = held + nsize;
  if (result != nullptr && nsize > old) lim->refused_size = 0;
  return result;
}

// A positive number from the environment, else `fallback`.
double setting(lua_State* L, const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end != '\0' || !(value > 0)) {
    luaL_error(L, "%s=%s: expected a positive number", name, text);
  }
  return value;
}

int raise_limit(lua_State* L, const Limits& lim) {
  hook_thread(L, lim);
  push_limit_error(L, lim, !lim.budget_hit);
  return lua_error(L);
}

}  // namespace

Limits* limits_of(lua_State* L) {
  void* ud = nullptr;
  return lua_getallocf(L, &ud) == limited_alloc ? static_cast<Limits*>(ud) : nullptr;
}

Limits& limits_for(lua_State* L) {
  if (Limits* lim = limits_of(L)) return *lim;
  const double budget = setting(L, "REEL_SANDBOX_INSTRUCTIONS", 1e9);
  const double mib = setting(L, "REEL_SANDBOX_MEMORY", 256);
  Limits& lim = all_limits().emplace_front();
  lim.base = lua_getallocf(L, &lim.base_ud);
  lim.used = static_cast<size_t>(lua_gc(L, LUA_GCCOUNT)) * 1024 +
             static_cast<size_t>(lua_gc(L, LUA_GCCOUNTB));
  lim.budget = budget >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(budget);
  lim.memory = mib >= 1e12 ? SIZE_MAX / 2 : static_cast<size_t>(mib * kMiB);
  lua_setallocf(L, limited_alloc, &lim);
  return lim;
}

void start_limits(Limits& lim) {
  lim.instructions = 0;
  lim.budget_hit = lim.memory_hit = lim.refused = false;
  lim.refused_size = 0;
  lim.ceiling = lim.used + lim.memory;
}

void stop_limits(Limits& lim) {
  lim.instructions = 0;
  lim.budget_hit = lim.memory_hit = lim.refused = false;
  lim.ceiling = SIZE_MAX;
}

void push_limit_error(lua_State* L, const Limits& lim, bool memory) {
  const char* who = lim.whole ? "the script" : "the reel.sandbox call";
  char message[400];
  if (memory) {
    std::snprintf(message, sizeof message,
                  "sandbox: %s needed more than %zu MiB of Lua memory%s, its limit (set "
                  "REEL_SANDBOX_MEMORY, in MiB, to raise it)",
                  who, lim.memory / kMiB, lim.whole ? "" : " beyond what the state held");
  } else {
    std::snprintf(message, sizeof message,
                  "sandbox: %s ran more than %llu Lua instructions, its budget (set "
                  "REEL_SANDBOX_INSTRUCTIONS to raise it)",
                  who, static_cast<unsigned long long>(lim.budget));
  }
  push_sandbox_error(L, "SandboxLimit", message, nullptr);
}

// Once a limit is hit every instruction raises, so that pcall cannot catch
// the error and go on.
void hook_thread(lua_State* co, const Limits& lim) {
  lua_sethook(co, count_hook, LUA_MASKCOUNT, lim.memory_hit || lim.budget_hit ? 1 : kHookStep);
}

void charge(lua_State* L, uint64_t instructions) {
  Limits* lim = limits_of(L);
  if (lim == nullptr || !lim->on()) return;
  lim->instructions += instructions;
  if (lim->instructions > lim->budget) lim->budget_hit = true;
  if (lim->budget_hit || lim->memory_hit) raise_limit(L, *lim);
}

void count_hook(lua_State* L, lua_Debug*) {
  charge(L, kHookStep);
}

// Whether L runs sandboxed code: always under --sandbox; else on a thread
// reel.sandbox runs or one made from it (they carry the sandbox's hook).
bool sandboxed(lua_State* L) {
  const Limits* lim = limits_of(L);
  return lim != nullptr && (lim->whole || lua_gethook(L) == count_hook);
}

bool memory_error(lua_State* L, const Limits& lim, int status) {
  if (!lim.memory_hit && !lim.refused) return false;
  if (status == LUA_ERRMEM) return true;
  return lua_type(L, -1) == LUA_TSTRING && std::strcmp(lua_tostring(L, -1), kOutOfMemory) == 0;
}

}  // namespace reel::lua::sandbox
