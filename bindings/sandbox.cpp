// How the sandbox is built (the contract is in sandbox.hpp).
//
// Sandboxed code reaches the world only through its globals, so the sandbox
// is a table of globals ("the env"): for --sandbox the state's own _G,
// changed in place before any user code runs; for reel.sandbox a fresh table
// beside the real one. In it io, os, debug and package are new tables of
// checked or refusing functions; require, load, loadfile and dofile give
// every chunk they load the env as _ENV; getmetatable shows reel's
// metatables (the string metatable, files, tasks, classes) as read-only
// views; the originals live only in C upvalues and the registry, which
// nothing sandboxed can reach without the debug library.
//
// Limits follow Redis's script_lua.c: a count hook looks at the instruction
// budget every kHookStep instructions, and once a limit is hit it raises at
// every instruction, so pcall cannot catch the error and carry on. Hooks
// are per coroutine; new ones copy their creator's, and the sandbox's
// coroutine.create/wrap and async.spawn also set it and charge kHookStep for
// what a coroutine may run unseen. Memory is counted by an allocator that
// wraps Lua's.
//
// Errors are raised only where no C++ object with a heap is alive (a Lua
// error is a longjmp): helpers build the message, push it and return.
#include "bindings/sandbox.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <lua.hpp>

#include <cctype>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <forward_list>
#include <iterator>
#include <string>
#include <vector>

#include "bindings/error_object.hpp"
#include "bindings/scheduler.hpp"
#include "bindings/searchers.hpp"
#include "host/plugin/plugin.hpp"

namespace reel::lua {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSandboxKey = "reel.sandbox";  // registry: the sandbox's own tables
constexpr const char* kGuardMetatable = "reel.sandbox.call";
constexpr int kHookStep = 1000;  // instructions between two looks at the limits
constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kReserve = kMiB;  // granted once the memory limit is hit, to report it
constexpr const char* kOutOfMemory = "not enough memory";  // Lua's own message

constexpr const char* kWhyPrograms =
    "it runs other programs, which no sandbox can follow; do that outside the sandbox";
constexpr const char* kWhyExit = "it would end all of reel; return, or raise an error";
constexpr const char* kWhyTemp = "it makes a file outside --out; write under --out instead";
constexpr const char* kWhyC = "C code can do anything, so a sandbox loads Lua modules only";
constexpr const char* kWhyDump = "a sandbox loads no binary chunks, so it makes none";
constexpr const char* kWhyDebug =
    "a sandbox keeps only debug.traceback of the debug library (the rest reaches past it)";

// --- limits ------------------------------------------------------------------

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

Limits* limits_of(lua_State* L) {
  void* ud = nullptr;
  return lua_getallocf(L, &ud) == limited_alloc ? static_cast<Limits*>(ud) : nullptr;
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

void push_sandbox_error(lua_State* L, const char* code, const char* message, const char* path) {
  ErrorInfo info;
  info.code = code;
  info.message = message;
  if (path != nullptr) info.path = path;
  push_error(L, info);
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

void count_hook(lua_State* L, lua_Debug* ar);

// Once a limit is hit every instruction raises, so that pcall cannot catch
// the error and go on.
void hook_thread(lua_State* co, const Limits& lim) {
  lua_sethook(co, count_hook, LUA_MASKCOUNT, lim.memory_hit || lim.budget_hit ? 1 : kHookStep);
}

int raise_limit(lua_State* L, const Limits& lim) {
  hook_thread(L, lim);
  push_limit_error(L, lim, !lim.budget_hit);
  return lua_error(L);
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

// --- errors ------------------------------------------------------------------

// Raises a SandboxViolation whose message is "sandbox: " and the string on top.
int raise_violation(lua_State* L, const char* path = nullptr) {
  lua_pushfstring(L, "sandbox: %s", lua_tostring(L, -1));
  push_sandbox_error(L, "SandboxViolation", lua_tostring(L, -1), path);
  return lua_error(L);
}

int refuse(lua_State* L, const char* format, ...) {
  va_list args;
  va_start(args, format);
  lua_pushvfstring(L, format, args);
  va_end(args);
  return raise_violation(L);
}

// A function the sandbox takes away; calling it says why. Upvalues: its
// name, the reason.
int refused(lua_State* L) {
  return refuse(L, "%s is not available in a sandbox: %s", lua_tostring(L, lua_upvalueindex(1)),
                lua_tostring(L, lua_upvalueindex(2)));
}

void set_refused(lua_State* L, int table, const char* shown, const char* field, const char* why) {
  lua_pushstring(L, shown);
  lua_pushstring(L, why);
  lua_pushcclosure(L, refused, 2);
  lua_setfield(L, table, field);
}

// --- folders -------------------------------------------------------------------

std::string current_dir() {
  std::error_code ec;
  const std::string cwd = fs::current_path(ec).string();
  return ec ? "/" : cwd;
}

// Pushes the parts of `path` on `todo`, the first one last (on top).
void push_parts(std::vector<std::string>& todo, const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

// The file the kernel would reach: absolute, every symbolic link followed (a
// dangling one too, since opening it for writing creates its target), "." and
// ".." applied where they stand; parts that do not exist are kept as written.
// "" for a loop of links.
std::string resolve(const std::string& path) {
  std::string resolved = path.empty() || path[0] != '/' ? current_dir() : "";
  if (resolved == "/") resolved.clear();
  std::vector<std::string> todo;
  push_parts(todo, path);
  int links = 0;
  while (!todo.empty()) {
    const std::string part = todo.back();
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      const size_t slash = resolved.rfind('/');
      resolved.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    std::string next = resolved + "/" + part;
    struct stat st {};
    if (lstat(next.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const std::string target = fs::read_symlink(next, ec).string();
      if (ec || ++links > 40) return "";
      if (!target.empty() && target[0] == '/') resolved.clear();
      push_parts(todo, target);
      continue;
    }
    resolved = std::move(next);
  }
  return resolved.empty() ? "/" : resolved;
}

// Absolute, "." and ".." applied as written, no links followed.
std::string lexical(const std::string& path) {
  const fs::path p = fs::path(path).is_absolute() ? fs::path(path) : fs::path(current_dir()) / path;
  std::string text = p.lexically_normal().string();
  if (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

bool inside(const std::string& path, const std::string& dir) {
  if (dir.empty() || dir == "/" || path.empty()) return false;  // "/" would allow everything
  return path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string out_folder() {
  const char* out = std::getenv("REEL_OUT");
  return out != nullptr && *out != '\0' ? out : "out";
}

// Read lazily at each check: the script's folder is known only once it runs.
std::vector<std::string> readable_folders(lua_State* L) {
  std::vector<std::string> dirs;
  for (const std::string& dir : library_folders(L)) dirs.push_back(resolve(dir));
  for (const std::string& dir : plugin::stdlib_folders()) dirs.push_back(resolve(dir));
  dirs.push_back(resolve(out_folder()));
  return dirs;
}

bool is_key_file(const std::string& resolved) {
  const char* key_file = std::getenv("REEL_KEY_FILE");
  return key_file != nullptr && *key_file != '\0' && resolve(key_file) == resolved;
}

enum class Access {
  read,
  write,   // remove, rename
  create,  // open for writing
  folder,  // a folder to write in (vidu's `out`): --out itself too
};

// Why `shown` may not touch `path`, or "" when it may.
std::string refusal(lua_State* L, const std::string& shown, const std::string& path,
                    Access access) {
  const std::string real = resolve(path);
  const std::string leads =
      !real.empty() && real != lexical(path) ? " (it leads to " + real + ")" : "";
  if (access == Access::read) {
    if (is_key_file(real)) return shown + " is the API key file, which sandboxed code never reads";
    for (const std::string& dir : readable_folders(L)) {
      if (inside(real, dir)) return "";
    }
    return shown + leads +
           " is outside the folders sandboxed code may read (the script's folder, ./lib, "
           "REEL_PATH, reel's stdlib and --out); put the file in one of them";
  }
  const std::string out = resolve(out_folder());
  if (!inside(real, out) || (real == out && access != Access::folder)) {
    return shown + leads + " would write outside --out (" + out +
           "), the only folder sandboxed code may write to; write under --out";
  }
  struct stat st {};
  if (access == Access::create && stat(real.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      st.st_nlink > 1) {
    return shown +
           " is a hard link, and the same file may be outside --out; sandboxed code writes "
           "only files of its own";
  }
  return "";
}

// Whether `who("path")` may touch the file; when not, pushes why.
bool permitted(lua_State* L, const char* who, const char* path, Access access) {
  const std::string why = refusal(L, std::string(who) + "(\"" + path + "\")", path, access);
  if (why.empty()) return true;
  lua_pushstring(L, why.c_str());
  return false;
}

// --- the sandbox's registry table ---------------------------------------------

// Pushes field `name` of the sandbox's registry table; returns its type.
int push_part(lua_State* L, const char* name) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return LUA_TNIL;
  }
  const int type = lua_getfield(L, -1, name);
  lua_remove(L, -2);
  return type;
}

bool in_set(lua_State* L, const char* set, int idx) {
  idx = lua_absindex(L, idx);
  if (push_part(L, set) != LUA_TTABLE) {
    lua_pop(L, 1);
    return false;
  }
  lua_pushvalue(L, idx);
  const bool found = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return found;
}

void add_to_set(lua_State* L, const char* set, int idx) {
  idx = lua_absindex(L, idx);
  push_part(L, set);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Sets the first upvalue (a chunk's _ENV) of the function at `fn` to the
// value at `env`, or to the sandbox's globals when `env` is 0.
void set_env(lua_State* L, int fn, int env) {
  fn = lua_absindex(L, fn);
  if (env != 0) {
    lua_pushvalue(L, env);
  } else {
    push_part(L, "env");
  }
  if (lua_setupvalue(L, fn, 1) == nullptr) lua_pop(L, 1);
}

int return_all(lua_State* L, int, lua_KContext) {
  return lua_gettop(L);
}

// Calls the original (upvalue 1) with the arguments on the stack, and returns
// all its results; it may wait (vidu, media).
int call_original(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, return_all);
  return lua_gettop(L);
}

void copy_table(lua_State* L, int src) {
  src = lua_absindex(L, src);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, src) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

// table[name] = a closure of `fn` over original[name].
void wrap_field(lua_State* L, int table, int original, const char* name, lua_CFunction fn) {
  lua_getfield(L, original, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, table, name);
}

// --- read-only views of reel's tables -------------------------------------------

void push_view(lua_State* L, int idx);

// A finalizer called by hand frees an object still in use (a task's, a
// file's), so views never show one.
bool hidden_key(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TSTRING) return false;
  const char* key = lua_tostring(L, idx);
  return std::strcmp(key, "__gc") == 0 || std::strcmp(key, "__close") == 0;
}

int view_index(lua_State* L) {
  if (hidden_key(L, 2)) {  // a function that says why
    lua_pushfstring(L, "a metatable's %s (called by hand)", lua_tostring(L, 2));
    lua_pushliteral(L, "it would free an object reel still uses");
    lua_pushcclosure(L, refused, 2);
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  push_view(L, -1);
  return 1;
}

int view_newindex(lua_State* L) {
  return refuse(L,
                "assigning field '%s' of a table of reel's is refused: it is read-only in a "
                "sandbox; make a table of your own",
                luaL_tolstring(L, 2, nullptr));
}

int view_len(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_len(L, -1);
  return 1;
}

int view_call(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_replace(L, 1);
  lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, return_all);
  return lua_gettop(L);
}

// The iterator pairs() gives for a view: the real one's, with its state kept
// here (it may be the real table) and the values shown as views.
int view_next(lua_State* L) {
  lua_settop(L, 2);
  do {
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 2);
    lua_call(L, 2, 2);
    if (lua_isnil(L, -2)) return 1;
    lua_copy(L, -2, 2);  // the key, for the next step past a hidden one
  } while (hidden_key(L, -2));
  push_view(L, -1);
  lua_replace(L, -2);
  return 2;
}

int raw_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

int view_pairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  const int real = lua_gettop(L);
  if (luaL_getmetafield(L, real, "__pairs") != LUA_TNIL) {
    lua_pushvalue(L, real);
    lua_call(L, 1, 3);
  } else {
    lua_pushcfunction(L, raw_next);
    lua_pushvalue(L, real);
    lua_pushnil(L);
  }
  // f s c -> iterator(f, s), nil, c
  lua_pushvalue(L, -3);
  lua_pushvalue(L, -3);
  lua_pushcclosure(L, view_next, 2);
  lua_pushnil(L);
  lua_pushvalue(L, -3);
  return 3;
}

// Pushes what sandboxed code sees for the value at idx: a table of reel's as
// a read-only view (one per table, so identity holds), a standard library
// as the sandbox's own (io, os...), anything else as it is.
void push_view(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) {
    lua_pushvalue(L, idx);
    return;
  }
  for (const char* known : {"subst", "views"}) {
    push_part(L, known);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) != LUA_TNIL) {
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 2);
  }
  if (in_set(L, "protected", idx)) {  // already a view
    lua_pushvalue(L, idx);
    return;
  }
  lua_newtable(L);  // empty: every access goes through its metatable
  const int view = lua_gettop(L);
  lua_createtable(L, 0, 6);
  const luaL_Reg meta[] = {{"__index", view_index},
                           {"__newindex", view_newindex},
                           {"__len", view_len},
                           {"__call", view_call},
                           {"__pairs", view_pairs}};
  for (const auto& m : meta) {
    lua_pushvalue(L, idx);
    lua_pushcclosure(L, m.func, 1);
    lua_setfield(L, -2, m.name);
  }
  lua_pushliteral(L, "read-only: reel's, seen from a sandbox");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, view);
  push_part(L, "views");
  lua_pushvalue(L, idx);
  lua_pushvalue(L, view);
  lua_rawset(L, -3);
  lua_pop(L, 1);
  add_to_set(L, "protected", view);
}

// --- base functions ----------------------------------------------------------

bool is_binary_refusal(lua_State* L, int idx) {
  const char* message = lua_tostring(L, idx);
  return message != nullptr && std::strstr(message, "binary chunk") != nullptr;
}

int refuse_binary(lua_State* L, const char* who) {
  return refuse(L,
                "%s of a binary chunk is refused: precompiled code can break the Lua VM "
                "itself, so a sandbox loads source text only",
                who);
}

// load(chunk [, chunkname [, mode [, env]]]): text only; env defaults to the
// sandbox's globals. Upvalue 1: the original.
int sb_load(lua_State* L) {
  const int n = lua_gettop(L);
  if (n >= 3 && !lua_isnil(L, 3) && std::strchr(luaL_checkstring(L, 3), 't') == nullptr) {
    return refuse_binary(L, "load");
  }
  if (lua_type(L, 1) == LUA_TSTRING && lua_tostring(L, 1)[0] == LUA_SIGNATURE[0]) {
    return refuse_binary(L, "load");
  }
  lua_settop(L, 4);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_pushliteral(L, "t");
  if (n >= 4) {
    lua_pushvalue(L, 4);
  } else {
    push_part(L, "env");
  }
  lua_call(L, 4, 2);
  if (!lua_isnil(L, -2)) {
    lua_pop(L, 1);
    return 1;
  }
  if (is_binary_refusal(L, -1)) return refuse_binary(L, "load");
  return 2;
}

int sb_loadfile(lua_State* L) {
  const char* path = luaL_optstring(L, 1, nullptr);
  const char* mode = luaL_optstring(L, 2, "bt");
  const bool has_env = lua_gettop(L) >= 3;
  if (std::strchr(mode, 't') == nullptr) return refuse_binary(L, "loadfile");
  if (path != nullptr && !permitted(L, "loadfile", path, Access::read)) {
    return raise_violation(L, path);
  }
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    if (is_binary_refusal(L, -1)) return refuse_binary(L, "loadfile");
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  set_env(L, -1, has_env ? 3 : 0);
  return 1;
}

int dofile_done(lua_State* L, int, lua_KContext) {
  return lua_gettop(L) - 1;
}

int sb_dofile(lua_State* L) {
  const char* path = luaL_optstring(L, 1, nullptr);
  lua_settop(L, 1);
  if (path != nullptr && !permitted(L, "dofile", path, Access::read)) {
    return raise_violation(L, path);
  }
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    if (is_binary_refusal(L, -1)) return refuse_binary(L, "dofile");
    return lua_error(L);
  }
  set_env(L, -1, 0);
  lua_callk(L, 0, LUA_MULTRET, 0, dofile_done);
  return dofile_done(L, LUA_OK, 0);
}

int sb_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  bool allowed = false;
  for (const char* ok : {"collect", "step", "count", "isrunning"}) {
    allowed = allowed || std::strcmp(option, ok) == 0;
  }
  if (!allowed) {
    return refuse(L,
                  "collectgarbage(\"%s\") is refused: sandboxed code may only ask for "
                  "\"collect\", \"step\", \"count\" or \"isrunning\" (the collector's settings "
                  "are reel's)",
                  option);
  }
  // A full collection is C work the hook does not see: it is charged as
  // instructions, about one per 64 bytes the state holds.
  if (const Limits* lim = limits_of(L); lim != nullptr && std::strcmp(option, "collect") == 0) {
    charge(L, kHookStep + lim->used / 64);
  }
  return call_original(L);
}

int sb_getmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (!lua_getmetatable(L, 1)) {
    lua_pushnil(L);
    return 1;
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return 1;
  if (in_set(L, "owned", -1)) return 1;  // one sandboxed code set
  // Under --sandbox a table's metatable (a vidu.Error's, a Clip's) is shown
  // as it is: all the code is sandboxed, so nobody outside sees a change.
  // Strings and userdata (files, tasks) share theirs with reel's C code.
  const Limits* lim = limits_of(L);
  if (lim != nullptr && lim->whole && lua_istable(L, 1)) return 1;
  push_view(L, -1);
  return 1;
}

int sb_setmetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const int type = lua_type(L, 2);
  luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
  if (in_set(L, "protected", 1)) {
    return refuse(L,
                  "setmetatable on a table of reel's (seen read-only from the sandbox) is "
                  "refused; make a table of your own");
  }
  if (lua_getmetatable(L, 1)) {
    const bool owned = in_set(L, "owned", -1);
    lua_pop(L, 1);
    if (!owned) {
      return refuse(L,
                    "setmetatable would replace a metatable reel gave this table (a "
                    "vidu.Error, a Clip...); make a table of your own");
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) {
      return luaL_error(L, "cannot change a protected metatable");
    }
  }
  if (type == LUA_TTABLE) {
    const Limits* lim = limits_of(L);
    lua_pushliteral(L, "__gc");
    const bool finalizer = lua_rawget(L, 2) != LUA_TNIL;
    lua_pop(L, 1);
    // A finalizer runs on whatever thread collects, after the call is over.
    if (finalizer && (lim == nullptr || !lim->whole)) {
      return refuse(L,
                    "a __gc metamethod is refused in reel.sandbox: it would run later, "
                    "outside the sandboxed call; close things with <close> variables instead");
    }
    add_to_set(L, "owned", 2);
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

int sb_rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (in_set(L, "protected", 1)) {
    return refuse(L, "rawset on a table of reel's (seen read-only from the sandbox) is refused");
  }
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// coroutine.create/wrap and async.spawn: the new coroutine gets the hook
// even when its creator has none, and pays up front for the instructions it
// may run between two looks of the hook. Upvalue 1: the original.
int sb_co_create(lua_State* L) {
  charge(L, kHookStep);
  const int n = call_original(L);
  lua_State* co = lua_tothread(L, 1);
  if (Limits* lim = limits_of(L); co != nullptr && lim != nullptr) hook_thread(co, *lim);
  return n;
}

int sb_co_wrap(lua_State* L) {
  charge(L, kHookStep);
  const int n = call_original(L);
  if (lua_getupvalue(L, 1, 1) != nullptr) {  // coroutine.wrap's closure holds its coroutine
    lua_State* co = lua_tothread(L, -1);
    if (Limits* lim = limits_of(L); co != nullptr && lim != nullptr) hook_thread(co, *lim);
    lua_pop(L, 1);
  }
  return n;
}

int sb_spawn(lua_State* L) {
  charge(L, kHookStep);
  const int n = call_original(L);
  auto* fiber = static_cast<Fiber*>(luaL_testudata(L, 1, kHandleMetatable));
  if (Limits* lim = limits_of(L); fiber != nullptr && lim != nullptr) {
    hook_thread(fiber->thread, *lim);
  }
  return n;
}

// --- io and os ---------------------------------------------------------------------

int sb_io_open(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  const char* mode = luaL_optstring(L, 2, "r");
  const Access access = std::strpbrk(mode, "wa+") != nullptr ? Access::create : Access::read;
  if (!permitted(L, "io.open", path, access)) return raise_violation(L, path);
  return call_original(L);
}

int sb_io_lines(lua_State* L) {
  if (lua_isnoneornil(L, 1)) return call_original(L);
  const char* path = luaL_checkstring(L, 1);
  if (!permitted(L, "io.lines", path, Access::read)) return raise_violation(L, path);
  return call_original(L);
}

int sb_io_input(lua_State* L) {
  const char* path = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : nullptr;
  if (path != nullptr && !permitted(L, "io.input", path, Access::read)) {
    return raise_violation(L, path);
  }
  return call_original(L);
}

int sb_io_output(lua_State* L) {
  const char* path = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : nullptr;
  if (path != nullptr && !permitted(L, "io.output", path, Access::create)) {
    return raise_violation(L, path);
  }
  return call_original(L);
}

int sb_os_remove(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  if (!permitted(L, "os.remove", path, Access::write)) return raise_violation(L, path);
  return call_original(L);
}

int sb_os_rename(lua_State* L) {
  const char* from = luaL_checkstring(L, 1);
  const char* to = luaL_checkstring(L, 2);
  if (!permitted(L, "os.rename", from, Access::write)) return raise_violation(L, from);
  if (!permitted(L, "os.rename", to, Access::write)) return raise_violation(L, to);
  return call_original(L);
}

bool secret_name(const char* name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* word : {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

// The API key (VIDU_API_KEY, REEL_KEY_FILE) and anything named like a secret
// read as unset.
int sb_getenv(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  const char* value = secret_name(name) ? nullptr : std::getenv(name);
  if (value == nullptr) {
    lua_pushnil(L);
  } else {
    lua_pushstring(L, value);
  }
  return 1;
}

int sb_setlocale(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) {
    return refuse(L,
                  "os.setlocale(\"%s\") would change the locale of all of reel; sandboxed "
                  "code may only ask for it (os.setlocale())",
                  luaL_tolstring(L, 1, nullptr));
  }
  return call_original(L);
}

// --- require ---------------------------------------------------------------------------

std::string module_path(const char* name) {
  std::string path = name;
  for (char& c : path) {
    if (c == '.') c = '/';
  }
  return path;
}

std::string fill_template(const std::string& pattern, const std::string& name) {
  std::string file;
  for (char c : pattern) {
    if (c == '?') {
      file += name;
    } else {
      file += c;
    }
  }
  return file;
}

std::vector<std::string> split(const std::string& list, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(separator, start);
    if (end == std::string::npos) end = list.size();
    if (end > start) parts.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// Replaces the file name on top by the loader (the file's chunk, with the
// sandbox's globals) and the file name, as package.searchers return them.
int load_module(lua_State* L, const char* name) {
  const char* file = lua_tostring(L, -1);
  if (luaL_loadfilex(L, file, "t") != LUA_OK) {
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file,
                      lua_tostring(L, -1));
  }
  set_env(L, -1, 0);
  lua_insert(L, -2);
  return 2;
}

int search_preload(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  push_part(L, "package");
  if (lua_getfield(L, -1, "preload") != LUA_TTABLE) {
    return luaL_error(L, "'package.preload' must be a table");
  }
  if (lua_getfield(L, -1, name) == LUA_TNIL) {
    lua_pushfstring(L, "no field package.preload['%s']", name);
    return 1;
  }
  lua_pushliteral(L, ":preload:");
  return 2;
}

// The library folders (searchers.hpp) or reel's stdlib, as reel's own
// searchers look there.
int search_folders(lua_State* L, bool stdlib) {
  const char* name = luaL_checkstring(L, 1);
  bool found = false;
  {
    const std::string relative = module_path(name);
    const std::vector<std::string> folders = stdlib ? plugin::stdlib_folders() : library_folders(L);
    for (size_t i = 0; i < folders.size() && !found; ++i) {
      for (const char* tail : {".lua", "/init.lua"}) {
        const std::string file = folders[i] + "/" + relative + tail;
        std::error_code ec;
        if (fs::is_regular_file(file, ec)) {
          lua_pushstring(L, file.c_str());
          found = true;
          break;
        }
      }
    }
  }
  if (!found) {
    lua_pushnil(L);
    return 1;
  }
  return load_module(L, name);
}

int search_libraries(lua_State* L) {
  return search_folders(L, false);
}

int search_stdlib(lua_State* L) {
  return search_folders(L, true);
}

// package.path, as Lua's own searcher reads it, for files in the folders it
// named when the sandbox was made or in the folders sandboxed code may read:
// changing package.path cannot reach further.
int search_path(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  push_part(L, "package");
  lua_getfield(L, -1, "path");
  const char* templates = lua_tostring(L, -1);
  if (templates == nullptr) return luaL_error(L, "'package.path' must be a string");
  push_part(L, "module_folders");
  const int listed = lua_gettop(L);
  bool found = false;
  {
    std::vector<std::string> folders;
    for (lua_Integer i = 1; lua_rawgeti(L, listed, i) == LUA_TSTRING; ++i) {
      folders.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    std::vector<std::string> readable;
    bool readable_known = false;
    std::string misses;
    for (const std::string& pattern : split(templates, ';')) {
      const std::string file = fill_template(pattern, module_path(name));
      bool allowed = false;
      const std::string plain = lexical(file);
      for (const std::string& dir : folders) allowed = allowed || inside(plain, dir);
      if (!allowed) {
        if (!readable_known) readable = readable_folders(L);
        readable_known = true;
        const std::string real = resolve(file);
        for (const std::string& dir : readable) allowed = allowed || inside(real, dir);
      }
      if (!allowed) {
        misses += "\n\tno file '" + file + "' (outside the folders a sandbox loads modules from)";
        continue;
      }
      if (FILE* f = std::fopen(file.c_str(), "r")) {
        std::fclose(f);
        lua_pushstring(L, file.c_str());
        found = true;
        break;
      }
      misses += "\n\tno file '" + file + "'";
    }
    if (!found) lua_pushstring(L, misses.size() > 2 ? misses.c_str() + 2 : "");
  }
  if (!found) return 1;
  return load_module(L, name);
}

// Last: a C module that require would have found is named in the refusal.
int search_c(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  push_part(L, "cpath");
  const char* templates = lua_tostring(L, -1);
  bool found = false;
  if (templates != nullptr) {
    std::string root = name;
    root = root.substr(0, root.find('.'));
    const std::vector<std::string> patterns = split(templates, ';');
    for (const std::string& wanted : {module_path(name), module_path(root.c_str())}) {
      for (const std::string& pattern : patterns) {
        const std::string file = fill_template(pattern, wanted);
        if (access(file.c_str(), F_OK) == 0) {
          lua_pushstring(L, file.c_str());
          found = true;
          break;
        }
      }
      if (found) break;
    }
  }
  if (found) {
    return refuse(L, "require(\"%s\") would load the C module %s; %s", name, lua_tostring(L, -1),
                  kWhyC);
  }
  lua_pushliteral(L, "no C module: a sandbox loads none (package.cpath is empty)");
  return 1;
}

// lua5.4's require (loadlib.c), over the sandbox's package.loaded and
// package.searchers.
int sb_require(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  push_part(L, "loaded");  // 2
  lua_getfield(L, 2, name);
  if (lua_toboolean(L, -1)) return 1;
  lua_pop(L, 1);
  push_part(L, "package");
  if (lua_getfield(L, -1, "searchers") != LUA_TTABLE) {
    return luaL_error(L, "'package.searchers' must be a table");
  }
  lua_replace(L, 3);  // 3: searchers
  luaL_Buffer msg;
  luaL_buffinit(L, &msg);
  for (lua_Integer i = 1;; ++i) {
    luaL_addstring(&msg, "\n\t");
    if (lua_rawgeti(L, 3, i) == LUA_TNIL) {
      lua_pop(L, 1);
      luaL_buffsub(&msg, 2);
      luaL_pushresult(&msg);
      return luaL_error(L, "module '%s' not found:%s", name, lua_tostring(L, -1));
    }
    lua_pushstring(L, name);
    lua_call(L, 1, 2);
    if (lua_isfunction(L, -2)) break;
    if (lua_isstring(L, -2)) {
      lua_pop(L, 1);
      luaL_addvalue(&msg);
    } else {
      lua_pop(L, 2);
      luaL_buffsub(&msg, 2);
    }
  }
  lua_rotate(L, -2, 1);  // loader data, loader
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -3);
  lua_call(L, 2, 1);
  if (!lua_isnil(L, -1)) {
    lua_setfield(L, 2, name);
  } else {
    lua_pop(L, 1);
  }
  if (lua_getfield(L, 2, name) == LUA_TNIL) {
    lua_pushboolean(L, 1);
    lua_copy(L, -1, -2);
    lua_setfield(L, 2, name);
  }
  lua_rotate(L, -2, 1);
  return 2;
}

// Folders of package.path's templates ("/usr/share/lua/5.4/?.lua" gives
// /usr/share/lua/5.4), where sandboxed require may still read modules.
void push_module_folders(lua_State* L, const char* path) {
  lua_newtable(L);
  lua_Integer n = 0;
  for (const std::string& pattern : split(path != nullptr ? path : "", ';')) {
    const std::string prefix = pattern.substr(0, pattern.find('?'));
    const size_t slash = prefix.rfind('/');
    std::string dir = slash == std::string::npos ? "." : prefix.substr(0, slash);
    if (dir.empty()) continue;  // "/": everything
    dir = lexical(dir);
    if (dir == "/") continue;
    lua_pushstring(L, dir.c_str());
    lua_rawseti(L, -2, ++n);
  }
}

// --- media and vidu: the same folders -----------------------------------------------

// A path argument made plain: a table's `path` (a Clip, a Frame) read once, so
// that a metamethod cannot show the check one path and the module another.
void plain_path(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return;
  if (lua_getfield(L, idx, "path") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_newtable(L);  // no path: the module says so
  }
  lua_replace(L, idx);
}

void plain_list(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return;
  const lua_Integer n = luaL_len(L, idx);
  lua_createtable(L, n > 0 && n < 4096 ? static_cast<int>(n) : 0, 0);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    plain_path(L, lua_gettop(L));
    lua_rawseti(L, -2, i);
  }
  lua_replace(L, idx);
}

// media.frame's options, copied: `out` set to where the frame will go.
void plain_frame_options(lua_State* L) {
  if (!lua_isnil(L, 2) && !lua_istable(L, 2)) return;  // the module refuses it
  lua_createtable(L, 0, 4);
  if (lua_istable(L, 2)) {
    for (const char* key : {"at", "out", "width", "height"}) {
      lua_getfield(L, 2, key);
      lua_setfield(L, -2, key);
    }
  }
  if (lua_getfield(L, -1, "out") == LUA_TNIL && lua_type(L, 1) == LUA_TSTRING) {
    // media.cpp's default_frame_path: out/frames/<stem>-<which>.png
    lua_getfield(L, -2, "at");
    char which[64] = "first";
    if (lua_type(L, -1) == LUA_TNUMBER) {
      std::snprintf(which, sizeof which, "at-%.3f", lua_tonumber(L, -1));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      std::snprintf(which, sizeof which, "%s", lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    {
      const std::string stem = fs::path(lua_tostring(L, 1)).stem().string();
      const std::string out = (fs::path("out") / "frames" / (stem + "-" + which + ".png")).string();
      lua_pushstring(L, out.c_str());
    }
    lua_setfield(L, -3, "out");
  }
  lua_pop(L, 1);
  lua_replace(L, 2);
}

struct Touch {
  std::string shown;
  std::string path;
  Access access;
};

void add_touch(lua_State* L, int idx, const char* who, const char* what, Access access,
               std::vector<Touch>& touches) {
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER) return;
  const std::string path = lua_tostring(L, idx);
  touches.push_back({std::string(who) + " " + what + " \"" + path + "\"", path, access});
}

bool all_permitted(lua_State* L, const std::vector<Touch>& touches) {
  for (const Touch& t : touches) {
    const std::string why = refusal(L, t.shown, t.path, t.access);
    if (!why.empty()) {
      lua_pushstring(L, why.c_str());
      return false;
    }
  }
  return true;
}

enum MediaCall { kProbe, kCheck, kFrame, kConcat, kStrip };
constexpr const char* kMediaCalls[] = {"probe", "check", "frame", "concat", "strip"};

bool media_permitted(lua_State* L, int call, const char* who) {
  std::vector<Touch> touches;
  if (call == kConcat || call == kStrip || (call == kCheck && lua_istable(L, 1))) {
    if (lua_istable(L, 1)) {
      for (lua_Integer i = 1; lua_rawgeti(L, 1, i) != LUA_TNIL; ++i) {
        add_touch(L, -1, who, "input", Access::read, touches);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
  } else {
    add_touch(L, 1, who, "input", Access::read, touches);
  }
  if (call == kConcat || call == kStrip) add_touch(L, 2, who, "output", Access::create, touches);
  if (call == kFrame && lua_istable(L, 2)) {
    lua_getfield(L, 2, "out");
    add_touch(L, -1, who, "out", Access::create, touches);
    lua_pop(L, 1);
  }
  return all_permitted(L, touches);
}

// A media function (upvalues: the original, which one, its name), checked
// when sandboxed code calls it, directly or through reel's Lua (Clip methods).
int guarded_media(lua_State* L) {
  if (!sandboxed(L)) return call_original(L);
  const auto call = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  const char* who = lua_tostring(L, lua_upvalueindex(3));
  lua_settop(L, 3);
  const bool pair = call == kCheck && lua_type(L, 2) == LUA_TSTRING &&
                    std::strcmp(lua_tostring(L, 2), "start_end") == 0;
  if (call == kConcat || call == kStrip || pair) {
    plain_list(L, 1);
  } else {
    plain_path(L, 1);
  }
  if (call == kFrame) plain_frame_options(L);
  if (!media_permitted(L, call, who)) return raise_violation(L);
  return call_original(L);
}

bool is_remote(const char* text) {
  return std::strncmp(text, "http://", 7) == 0 || std::strncmp(text, "https://", 8) == 0 ||
         std::strncmp(text, "data:", 5) == 0;
}

// One IMAGE or VIDEO of a vidu request: a path, or a Clip's or Frame's path.
// Raw reads: the module reads the options raw too (json.cpp, lua_next).
void add_media(lua_State* L, int idx, const char* who, const char* field,
               std::vector<Touch>& touches) {
  idx = lua_absindex(L, idx);
  if (lua_istable(L, idx)) {
    lua_pushliteral(L, "path");
    lua_rawget(L, idx);
  } else {
    lua_pushvalue(L, idx);
  }
  if (lua_type(L, -1) == LUA_TSTRING && !is_remote(lua_tostring(L, -1))) {
    add_touch(L, -1, who, field, Access::read, touches);
  }
  lua_pop(L, 1);
}

void add_media_list(lua_State* L, int idx, const char* who, const char* field,
                    std::vector<Touch>& touches) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) return;
  for (lua_Integer i = 1; lua_rawgeti(L, idx, i) != LUA_TNIL; ++i) {
    add_media(L, -1, who, field, touches);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

bool vidu_permitted(lua_State* L, int opts, const char* who) {
  std::vector<Touch> touches;
  for (const char* field :
       {"image", "first", "last", "video", "video_url", "start", "start_image"}) {
    lua_pushstring(L, field);
    lua_rawget(L, opts);
    add_media(L, -1, who, field, touches);
    lua_pop(L, 1);
  }
  for (const char* field : {"images", "videos"}) {
    lua_pushstring(L, field);
    lua_rawget(L, opts);
    add_media_list(L, -1, who, field, touches);
    lua_pop(L, 1);
  }
  for (const char* field : {"frames", "image_settings", "subjects"}) {
    lua_pushstring(L, field);
    lua_rawget(L, opts);
    const int list = lua_gettop(L);
    for (lua_Integer i = 1; lua_istable(L, list) && lua_rawgeti(L, list, i) != LUA_TNIL; ++i) {
      const int item = lua_gettop(L);
      if (lua_istable(L, item)) {
        for (const char* key : {"image", "key_image"}) {
          lua_pushstring(L, key);
          lua_rawget(L, item);
          add_media(L, -1, who, field, touches);
          lua_pop(L, 1);
        }
        for (const char* key : {"images", "videos"}) {
          lua_pushstring(L, key);
          lua_rawget(L, item);
          add_media_list(L, -1, who, field, touches);
          lua_pop(L, 1);
        }
      }
      lua_settop(L, list);
    }
    lua_settop(L, list - 1);
  }
  lua_pushliteral(L, "out");
  lua_rawget(L, opts);
  add_touch(L, -1, who, "out", Access::folder, touches);
  lua_pop(L, 1);
  return all_permitted(L, touches);
}

// A vidu call (upvalues: the original, the index of its options, its name).
int guarded_vidu(lua_State* L) {
  if (sandboxed(L)) {
    const int opts = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
    if (lua_istable(L, opts) && !vidu_permitted(L, opts, lua_tostring(L, lua_upvalueindex(3)))) {
      return raise_violation(L);
    }
  }
  return call_original(L);
}

int patch_media(lua_State* L) {
  for (int call = kProbe; call <= kStrip; ++call) {
    const char* name = kMediaCalls[call];
    if (lua_getfield(L, 1, name) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushinteger(L, call);
    lua_pushfstring(L, "media.%s", name);
    lua_pushcclosure(L, guarded_media, 3);
    lua_setfield(L, 1, name);
  }
  return 0;
}

int patch_vidu(lua_State* L) {
  struct Call {
    const char* name;
    int opts;  // the argument that holds the options
  };
  constexpr Call kCalls[] = {{"text2video", 1}, {"img2video", 1}, {"start_end", 1},
                             {"reference", 1},  {"extend", 1},    {"multiframe", 1},
                             {"validate", 2},   {"estimate", 2}};
  for (const Call& c : kCalls) {
    if (lua_getfield(L, 1, c.name) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushinteger(L, c.opts);
    lua_pushfstring(L, "vidu.%s", c.name);
    lua_pushcclosure(L, guarded_vidu, 3);
    lua_setfield(L, 1, c.name);
  }
  return 0;
}

// The lazy module's __index and __pairs (upvalue 1), then the patch
// (upvalue 2) on the module they loaded.
int patched_index(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 0);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 0);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}

int patched_pairs(lua_State* L) {
  lua_settop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 3);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 0);
  return 3;
}

// The real module (vidu, media) gets its functions wrapped in place: at once
// when it is loaded, else when its lazy proxy loads it. So reel's own Lua
// (a Clip's methods call media.frame) is held to the same folders.
void guard_module(lua_State* L, int loaded, const char* name, lua_CFunction patch) {
  const int top = lua_gettop(L);
  if (lua_getfield(L, loaded, name) != LUA_TTABLE) {
    lua_settop(L, top);
    return;
  }
  const int module = lua_gettop(L);
  if (luaL_getmetafield(L, module, "__index") != LUA_TFUNCTION) {
    lua_settop(L, module);
    lua_pushcfunction(L, patch);
    lua_pushvalue(L, module);
    lua_call(L, 1, 0);
  } else {
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -2);
    lua_pushcfunction(L, patch);
    lua_pushcclosure(L, patched_index, 2);
    lua_setfield(L, -2, "__index");
    if (luaL_getmetafield(L, module, "__pairs") != LUA_TNIL) {
      lua_pushcfunction(L, patch);
      lua_pushcclosure(L, patched_pairs, 2);
      lua_setfield(L, -2, "__pairs");
    }
    lua_setmetatable(L, module);
  }
  lua_settop(L, top);
}

// --- building the sandbox ---------------------------------------------------------

constexpr const char* kSafeBase[] = {
    "assert", "error",  "ipairs",   "next",     "pairs", "pcall",  "print", "rawequal", "rawget",
    "rawlen", "select", "tonumber", "tostring", "type",  "xpcall", "warn",  "_VERSION"};

struct Builder {
  lua_State* L;
  bool whole;
  int registry;  // the sandbox's registry table
  int env;       // its globals
  int real_loaded;
  int loaded;  // its package.loaded

  // env[name] = loaded[name] = the value on top (popped); the real library at
  // `real` is seen as it.
  void publish(const char* name, int real) {
    lua_pushvalue(L, -1);
    lua_setfield(L, env, name);
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, name);
    lua_getfield(L, registry, "subst");
    lua_pushvalue(L, real);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_pop(L, 2);
  }

  // Pushes the library for the sandbox: the real one under --sandbox, a copy
  // for reel.sandbox (changes to it stay in the sandbox).
  int library(int real) {
    if (whole) {
      lua_pushvalue(L, real);
    } else {
      copy_table(L, real);
    }
    return lua_gettop(L);
  }

  void base(int globals) {
    if (!whole) {
      for (const char* name : kSafeBase) {
        lua_getfield(L, globals, name);
        lua_setfield(L, env, name);
      }
    }
    wrap_field(L, env, globals, "load", sb_load);
    wrap_field(L, env, globals, "collectgarbage", sb_collectgarbage);
    const luaL_Reg own[] = {{"loadfile", sb_loadfile},         {"dofile", sb_dofile},
                            {"require", sb_require},           {"getmetatable", sb_getmetatable},
                            {"setmetatable", sb_setmetatable}, {"rawset", sb_rawset}};
    for (const auto& r : own) {
      lua_pushcfunction(L, r.func);
      lua_setfield(L, env, r.name);
    }
    lua_pushvalue(L, env);
    publish("_G", globals);
  }

  void libraries() {
    for (const char* name : {"string", "table", "math", "utf8", "coroutine"}) {
      lua_getfield(L, real_loaded, name);
      const int real = lua_gettop(L);
      if (!lua_istable(L, real)) {
        lua_pop(L, 1);
        continue;
      }
      const int lib = library(real);
      if (std::strcmp(name, "string") == 0) set_refused(L, lib, "string.dump", "dump", kWhyDump);
      if (std::strcmp(name, "coroutine") == 0) {
        wrap_field(L, lib, real, "create", sb_co_create);
        wrap_field(L, lib, real, "wrap", sb_co_wrap);
      }
      publish(name, real);
      lua_settop(L, real - 1);
    }
  }

  void io() {
    lua_getfield(L, real_loaded, "io");
    const int real = lua_gettop(L);
    copy_table(L, real);
    const int lib = real + 1;
    const luaL_Reg checked[] = {{"open", sb_io_open},
                                {"lines", sb_io_lines},
                                {"input", sb_io_input},
                                {"output", sb_io_output}};
    for (const auto& r : checked) wrap_field(L, lib, real, r.name, r.func);
    set_refused(L, lib, "io.popen", "popen", kWhyPrograms);
    set_refused(L, lib, "io.tmpfile", "tmpfile", kWhyTemp);
    publish("io", real);
    lua_settop(L, real - 1);
  }

  void os() {
    lua_getfield(L, real_loaded, "os");
    const int real = lua_gettop(L);
    lua_newtable(L);
    const int lib = real + 1;
    for (const char* name : {"clock", "date", "difftime", "time"}) {
      lua_getfield(L, real, name);
      lua_setfield(L, lib, name);
    }
    lua_pushcfunction(L, sb_getenv);
    lua_setfield(L, lib, "getenv");
    wrap_field(L, lib, real, "setlocale", sb_setlocale);
    wrap_field(L, lib, real, "remove", sb_os_remove);
    wrap_field(L, lib, real, "rename", sb_os_rename);
    set_refused(L, lib, "os.execute", "execute", kWhyPrograms);
    set_refused(L, lib, "os.exit", "exit", kWhyExit);
    set_refused(L, lib, "os.tmpname", "tmpname", kWhyTemp);
    publish("os", real);
    lua_settop(L, real - 1);
  }

  void debug() {
    lua_getfield(L, real_loaded, "debug");
    const int real = lua_gettop(L);
    lua_newtable(L);
    const int lib = real + 1;
    lua_pushnil(L);
    while (lua_next(L, real) != 0) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING) continue;
      const char* name = lua_tostring(L, -1);
      if (std::strcmp(name, "traceback") == 0) {
        lua_getfield(L, real, name);
        lua_setfield(L, lib, name);
      } else {
        lua_pushfstring(L, "debug.%s", name);
        set_refused(L, lib, lua_tostring(L, -1), name, kWhyDebug);
        lua_pop(L, 1);
      }
    }
    publish("debug", real);
    lua_settop(L, real - 1);
  }

  void package() {
    lua_getfield(L, real_loaded, "package");
    const int real = lua_gettop(L);
    lua_newtable(L);
    const int lib = real + 1;
    for (const char* name : {"path", "config", "searchpath"}) {
      lua_getfield(L, real, name);
      lua_setfield(L, lib, name);
    }
    lua_pushliteral(L, "");
    lua_setfield(L, lib, "cpath");
    lua_newtable(L);
    lua_setfield(L, lib, "preload");
    lua_pushvalue(L, loaded);
    lua_setfield(L, lib, "loaded");
    set_refused(L, lib, "package.loadlib", "loadlib", kWhyC);
    const lua_CFunction searchers[] = {search_preload, search_libraries, search_path, search_stdlib,
                                       search_c};
    lua_createtable(L, 5, 0);
    for (size_t i = 0; i < std::size(searchers); ++i) {
      lua_pushcfunction(L, searchers[i]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    lua_setfield(L, lib, "searchers");
    lua_pushvalue(L, lib);
    lua_setfield(L, registry, "package");
    lua_getfield(L, real, "cpath");
    lua_setfield(L, registry, "cpath");
    lua_getfield(L, real, "path");
    push_module_folders(L, lua_tostring(L, -1));
    lua_setfield(L, registry, "module_folders");
    lua_pop(L, 1);
    publish("package", real);
    lua_settop(L, real - 1);
  }

  // reel's modules: async with its spawn charged and hooked; vidu and media
  // checked in place and, for reel.sandbox, seen read-only.
  void modules() {
    for (const char* name : {"async", "json", "reel"}) {
      lua_getfield(L, real_loaded, name);
      const int real = lua_gettop(L);
      if (lua_istable(L, real)) {
        const int lib = library(real);
        if (std::strcmp(name, "async") == 0) wrap_field(L, lib, real, "spawn", sb_spawn);
        publish(name, real);
      }
      lua_settop(L, real - 1);
    }
    guard_module(L, real_loaded, "media", patch_media);
    guard_module(L, real_loaded, "vidu", patch_vidu);
    if (whole) return;
    for (const char* name : {"media", "vidu"}) {
      lua_getfield(L, real_loaded, name);
      const int real = lua_gettop(L);
      if (lua_istable(L, real)) {
        push_view(L, real);
        publish(name, real);
      }
      lua_settop(L, real - 1);
    }
  }
};

Limits& prepare(lua_State* L, bool whole) {
  Limits& lim = limits_for(L);
  if (lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey) == LUA_TTABLE) {
    lua_pop(L, 1);
    return lim;
  }
  lua_pop(L, 1);
  luaL_checkstack(L, 40, "making the sandbox");
  const int top = lua_gettop(L);
  lim.whole = whole;
  if (whole) lim.ceiling = lim.memory;  // the whole state's, for its whole life

  lua_newtable(L);
  const int registry = lua_gettop(L);
  for (const char* weak : {"views", "protected", "owned"}) {
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, registry, weak);
  }
  lua_newtable(L);
  lua_setfield(L, registry, "subst");
  lua_pushvalue(L, registry);
  lua_setfield(L, LUA_REGISTRYINDEX, kSandboxKey);

  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  const int globals = lua_gettop(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  const int real_loaded = lua_gettop(L);
  if (whole) {
    lua_pushvalue(L, globals);
    lua_pushvalue(L, real_loaded);
  } else {
    lua_newtable(L);
    lua_newtable(L);
  }
  const int env = real_loaded + 1;
  const int loaded = real_loaded + 2;
  lua_pushvalue(L, env);
  lua_setfield(L, registry, "env");
  lua_pushvalue(L, loaded);
  lua_setfield(L, registry, "loaded");
  lua_pushvalue(L, loaded);  // the real package.loaded is seen as the sandbox's
  lua_getfield(L, registry, "subst");
  lua_pushvalue(L, real_loaded);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);

  Builder b{L, whole, registry, env, real_loaded, loaded};
  b.base(globals);
  b.libraries();
  b.io();
  b.os();
  b.debug();
  b.package();
  b.modules();

  lua_settop(L, top);
  if (whole) hook_thread(L, lim);
  return lim;
}

// --- reel.sandbox ---------------------------------------------------------------------

// Undoes what reel.sandbox did to its thread and to fn, when the call ends
// however it ends (returns, raises, or its coroutine is closed).
struct CallGuard {
  lua_State* thread;
  lua_Hook hook;
  int mask;
  int count;
  int env_upvalue;  // fn's _ENV, 0 when it has none
  bool open;
};

void end_call(lua_State* L, CallGuard* g, bool thread_alive) {
  if (!g->open) return;
  g->open = false;
  if (g->env_upvalue != 0) {
    lua_getiuservalue(L, 1, 1);  // fn
    lua_getiuservalue(L, 1, 2);  // a closure sharing fn's own _ENV
    lua_upvaluejoin(L, -2, g->env_upvalue, -1, 1);
    lua_pop(L, 2);
  }
  if (thread_alive) lua_sethook(g->thread, g->hook, g->mask, g->count);
  if (Limits* lim = limits_of(L); lim != nullptr && --lim->calls == 0 && !lim->whole) {
    stop_limits(*lim);
  }
}

int guard_close(lua_State* L) {
  end_call(L, static_cast<CallGuard*>(luaL_checkudata(L, 1, kGuardMetatable)), true);
  return 0;
}

// A coroutine left suspended inside the call and then collected never closes
// the guard; its collection ends the call instead (its thread may be gone).
int guard_collect(lua_State* L) {
  end_call(L, static_cast<CallGuard*>(luaL_checkudata(L, 1, kGuardMetatable)), false);
  return 0;
}

int sandbox_done(lua_State* L, int status, lua_KContext) {
  if (status == LUA_OK || status == LUA_YIELD) return lua_gettop(L) - 1;  // the guard is slot 1
  if (const Limits* lim = limits_of(L); lim != nullptr && memory_error(L, *lim, status)) {
    lua_pop(L, 1);
    push_limit_error(L, *lim, true);
  }
  return lua_error(L);
}

// A closure whose one upvalue is a fresh cell (a chunk's _ENV).
void push_cell(lua_State* L) {
  if (luaL_loadbuffer(L, "return", 6, "=reel.sandbox") != LUA_OK) lua_error(L);
}

int find_env(lua_State* L, int fn) {
  bool stripped = false;
  for (int i = 1;; ++i) {
    const char* name = lua_getupvalue(L, fn, i);
    if (name == nullptr) break;
    lua_pop(L, 1);
    if (std::strcmp(name, "_ENV") == 0) return i;
    stripped = stripped || std::strcmp(name, "(no name)") == 0;
  }
  if (stripped) {
    luaL_argerror(L, fn,
                  "its upvalue names were stripped (string.dump(f, true)), so its _ENV cannot "
                  "be found; pass a function loaded from source");
  }
  return 0;
}

// reel.sandbox(fn, ...) -> fn(...)'s results.
//
// What it guarantees: fn's globals, and those of every chunk it loads or
// requires during the call, are the sandbox's (the same rules as
// --sandbox); modules required inside live in the sandbox's own
// package.loaded, shared by later calls and never the real one; functions
// made inside keep the sandbox's globals for good, and the real io, os,
// debug, package and _G are out of their reach. During the call the budget
// (counted from the call's start) and the memory limit (beyond what the state
// held when it started) apply, on fn's thread and coroutines made from it;
// coroutines and tasks made inside stay under the file rules of media and
// vidu afterwards too. fn itself gets its own _ENV back when the call ends.
// __gc metamethods are refused inside (a finalizer runs later, on whatever
// thread collects).
//
// What it does not: values fn receives (arguments, upvalues, results of
// functions from outside) are passed as they are, so a function from outside
// runs with its own globals; call it sandboxed by passing code, not
// capabilities. Functions left behind run without the limits unless called
// through reel.sandbox again. Calls running at the same time (tasks waiting
// inside) share one budget and one memory window, and while one waits the
// allocations of other tasks count against it too.
int reel_sandbox(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (lua_iscfunction(L, 1)) {
    return luaL_argerror(L, 1,
                         "a Lua function (a C function has no globals to sandbox; wrap the call: "
                         "reel.sandbox(function(...) return f(...) end, ...))");
  }
  Limits& lim = prepare(L, false);
  const int env_upvalue = find_env(L, 1);
  if (luaL_newmetatable(L, kGuardMetatable)) {
    lua_pushcfunction(L, guard_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, guard_collect);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  const int nargs = lua_gettop(L) - 1;

  auto* g = static_cast<CallGuard*>(lua_newuserdatauv(L, sizeof(CallGuard), 2));
  *g = CallGuard{L, lua_gethook(L), lua_gethookmask(L), lua_gethookcount(L), 0, false};
  luaL_setmetatable(L, kGuardMetatable);
  lua_insert(L, 1);  // guard, fn, args...
  lua_toclose(L, 1);
  if (env_upvalue != 0) {
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, 1);
    push_cell(L);  // keeps fn's own _ENV cell, to give it back
    lua_upvaluejoin(L, -1, 1, 2, env_upvalue);
    lua_setiuservalue(L, 1, 2);
    push_cell(L);  // a fresh cell holding the sandbox's globals
    push_part(L, "env");
    lua_setupvalue(L, -2, 1);
    lua_upvaluejoin(L, 2, env_upvalue, -1, 1);
    lua_pop(L, 1);
    g->env_upvalue = env_upvalue;
  }
  if (lim.calls++ == 0 && !lim.whole) start_limits(lim);
  g->open = true;
  if (lua_gethook(L) != count_hook) hook_thread(L, lim);
  const int status = lua_pcallk(L, nargs, LUA_MULTRET, 0, 0, sandbox_done);
  return sandbox_done(L, status, 0);
}

int push_memory_error(lua_State* L) {
  if (const Limits* lim = limits_of(L)) push_limit_error(L, *lim, true);
  return 1;
}

}  // namespace

bool sandbox_requested() {
  const char* value = std::getenv("REEL_SANDBOX");
  return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
}

void install_sandbox(lua_State* L) {
  prepare(L, true);
}

int open_reel(lua_State* L) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, reel_sandbox);
  lua_setfield(L, -2, "sandbox");
  lua_pushstring(L, reel_version());
  lua_setfield(L, -2, "version");
  return 1;
}

void explain_limit_error(lua_State* L, lua_State* co, int status) {
  const Limits* lim = limits_of(co);
  if (lim == nullptr || !memory_error(co, *lim, status)) return;
  lua_pushcfunction(L, push_memory_error);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_checkstack(co, 1)) {
    lua_pop(L, 1);
    return;
  }
  lua_xmove(L, co, 1);
  lua_replace(co, -2);
}

}  // namespace reel::lua
