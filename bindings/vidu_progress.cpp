// vidu.progress{}: rows of the script's own on the progress board the
// client's tasks report to (a storyboard's shots that have no task yet). The
// board is one per Lua state, made at its first use, apart from the session
// so that a row needs no API key and no journal.
#include "bindings/vidu_progress.hpp"

#include <uv.h>
#include <lua.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "bindings/scheduler.hpp"
#include "host/term/screen.hpp"
#include "host/vidu/settings.hpp"

namespace reel::lua {

namespace {

constexpr const char* kBoardMetatable = "vidu.Board";
constexpr const char* kBoardKey = "reel.vidu.board";  // the registry slot of the one board
// The keys of the script's own progress rows: the client's task handles count
// up from 1 and never reach the high bit.
constexpr uint64_t kScriptRowKeys = uint64_t{1} << 63;

double now() {
  return static_cast<double>(uv_hrtime()) / 1e9;
}

// The display the session's client reports to, and the rows a script shows
// itself (vidu.progress: a storyboard's shots that have no task yet). Apart
// from the session so that a row needs no API key and no journal; the
// Progress is shared so that it outlives the client whichever of the two is
// collected first.
struct Board {
  struct Row {
    uint64_t key;
    double since;  // when the row appeared: its elapsed time counts from there
  };
  std::shared_ptr<vidu::Progress> progress;
  std::unordered_map<std::string, Row> rows;  // the script's rows on show, by name
  uint64_t next_key = kScriptRowKeys;
  int screen_listener = 0;

  // In the REPL the board is put away between lines, and what it writes goes
  // above the prompt (host/term/screen).
  explicit Board(std::shared_ptr<vidu::Progress> p) : progress(std::move(p)) {
    progress->set_writer([](const std::string& s) { term::screen::write(stderr, s); });
    std::weak_ptr<vidu::Progress> weak = progress;
    screen_listener = term::screen::listen([weak](bool between) {
      if (auto p = weak.lock()) between ? p->suspend() : p->resume();
    });
    if (term::screen::is_between_lines()) progress->suspend();
  }
  ~Board() { term::screen::forget(screen_listener); }
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;
};

int board_gc(lua_State* L) {
  auto** b = static_cast<Board**>(luaL_checkudata(L, 1, kBoardMetatable));
  delete *b;
  *b = nullptr;
  return 0;
}

Board& board(lua_State* L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, kBoardKey) == LUA_TUSERDATA) {
    auto** b = static_cast<Board**>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    return **b;
  }
  lua_pop(L, 1);
  auto** slot = static_cast<Board**>(lua_newuserdatauv(L, sizeof(Board*), 0));
  *slot = nullptr;
  if (luaL_newmetatable(L, kBoardMetatable)) {
    lua_pushcfunction(L, board_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  *slot = new Board(std::make_shared<vidu::Progress>(
      Scheduler::from(L).loop(), vidu::Progress::mode_for(stderr, vidu::quiet_from_env())));
  lua_setfield(L, LUA_REGISTRYINDEX, kBoardKey);
  return **slot;
}

// vidu.progress's option `key` when set: false when nil, else pushes it
// (raising when it is not of `type`).
bool optional_field(lua_State* L, const char* key, int type) {
  const int got = lua_getfield(L, 1, key);
  if (got == LUA_TNIL) {
    lua_pop(L, 1);
    return false;
  }
  if (got != type)
    luaL_error(L, "vidu.progress: %s must be a %s, got %s", key, lua_typename(L, type),
               luaL_typename(L, -1));
  return true;  // the value is on the stack
}

// vidu.progress{name =, state =, detail =, credits =, done =, final =}: a row
// of the script's own on the progress board, keyed by name (a storyboard's
// shot that has no task yet: "waiting on push"). done = true takes it off
// silently; final = true prints it as a finished line. Shown as the tasks'
// rows are (live board, plain lines, nothing with --quiet); needs no key
// and no journal.
}  // namespace

std::shared_ptr<vidu::Progress> progress_board(lua_State* L) {
  return board(L).progress;
}

int script_progress(lua_State* L) {
  constexpr const char* kKeys[] = {"name", "state", "detail", "credits", "done", "final"};
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pop(L, 1);
    bool known = false;
    for (const char* k : kKeys)
      known = known || (lua_type(L, -1) == LUA_TSTRING && std::strcmp(lua_tostring(L, -1), k) == 0);
    if (!known)
      return luaL_error(L,
                        "vidu.progress: unknown option \"%s\" (name, state, detail, credits, "
                        "done, final)",
                        luaL_tolstring(L, -1, nullptr));
  }
  if (lua_getfield(L, 1, "name") != LUA_TSTRING || lua_rawlen(L, -1) == 0)
    return luaL_error(L, "vidu.progress: name must be a non-empty string, got %s",
                      luaL_tolstring(L, -1, nullptr));
  const std::string name = lua_tostring(L, -1);
  lua_pop(L, 1);
  bool done = false;
  bool final = false;
  if (optional_field(L, "done", LUA_TBOOLEAN)) done = lua_toboolean(L, -1) != 0;
  if (optional_field(L, "final", LUA_TBOOLEAN)) final = lua_toboolean(L, -1) != 0;
  if (done && final)
    return luaL_error(L,
                      "vidu.progress: done (take the row off) and final (print it) exclude "
                      "each other");

  vidu::ProgressRow row;
  row.name = name;
  if (!done) {
    if (!optional_field(L, "state", LUA_TSTRING))
      return luaL_error(L, "vidu.progress: state must be a string (\"waiting\", ...), got nil");
    row.state = lua_tostring(L, -1);
    if (optional_field(L, "detail", LUA_TSTRING)) row.detail = lua_tostring(L, -1);
    if (optional_field(L, "credits", LUA_TNUMBER)) {
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
        return luaL_error(L, "vidu.progress: credits must be a whole number >= 0, got %s",
                          luaL_tolstring(L, -1, nullptr));
      row.credits = static_cast<int>(lua_tointeger(L, -1));
    }
  }

  Board& b = board(L);
  auto it = b.rows.find(name);
  if (done) {
    if (it != b.rows.end()) {
      b.progress->remove(it->second.key);
      b.rows.erase(it);
    }
    return 0;
  }
  if (it == b.rows.end()) it = b.rows.emplace(name, Board::Row{b.next_key++, now()}).first;
  row.elapsed = now() - it->second.since;
  if (final) {
    b.progress->finish(it->second.key, row);
    b.rows.erase(it);  // over: the name may start a new row later
  } else {
    b.progress->update(it->second.key, row);
  }
  return 0;
}

}  // namespace reel::lua
