#include "host/journal/journal.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "host/process/process.hpp"

namespace reel::journal {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  script TEXT NOT NULL DEFAULT '',
  shot TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  request TEXT NOT NULL DEFAULT '',
  dialect TEXT NOT NULL DEFAULT '',
  base_url TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL DEFAULT '',
  task_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'submitting',
  err_code TEXT NOT NULL DEFAULT '',
  credits INTEGER,
  url TEXT NOT NULL DEFAULT '',
  cover_url TEXT NOT NULL DEFAULT '',
  creation_id TEXT NOT NULL DEFAULT '',
  file TEXT NOT NULL DEFAULT '',
  file_sha256 TEXT NOT NULL DEFAULT '',
  duration REAL NOT NULL DEFAULT 0,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  fps REAL NOT NULL DEFAULT 0,
  owner TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_task ON calls(task_id);
CREATE TABLE IF NOT EXISTS states (
  call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS states_call ON states(call_id);
)sql";

constexpr const char* kColumns =
    "id, key, script, shot, kind, model, request, dialect, base_url, payload, task_id, state, "
    "err_code, credits, url, cover_url, creation_id, file, file_sha256, duration, width, height, "
    "fps, owner, created_at, updated_at";

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw JournalError(std::string("journal: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& text(int at, const std::string& v) {
    sqlite3_bind_text(stmt_, at, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& integer(int at, int64_t v) {
    sqlite3_bind_int64(stmt_, at, v);
    return *this;
  }
  Statement& real(int at, double v) {
    sqlite3_bind_double(stmt_, at, v);
    return *this;
  }
  Statement& optional(int at, std::optional<int64_t> v) {
    if (v)
      sqlite3_bind_int64(stmt_, at, *v);
    else
      sqlite3_bind_null(stmt_, at);
    return *this;
  }

  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw JournalError(std::string("journal: ") + sqlite3_errmsg(db_));
  }

  std::string column_text(int i) const {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p != nullptr ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double column_real(int i) const { return sqlite3_column_double(stmt_, i); }
  bool column_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

Call read_call(const Statement& s) {
  Call c;
  c.id = s.column_int(0);
  c.key = s.column_text(1);
  c.script = s.column_text(2);
  c.shot = s.column_text(3);
  c.kind = s.column_text(4);
  c.model = s.column_text(5);
  c.request = s.column_text(6);
  c.dialect = s.column_text(7);
  c.base_url = s.column_text(8);
  c.payload = s.column_text(9);
  c.task_id = s.column_text(10);
  c.state = s.column_text(11);
  c.err_code = s.column_text(12);
  if (!s.column_null(13)) c.credits = s.column_int(13);
  c.url = s.column_text(14);
  c.cover_url = s.column_text(15);
  c.creation_id = s.column_text(16);
  c.file = s.column_text(17);
  c.file_sha256 = s.column_text(18);
  c.duration = s.column_real(19);
  c.width = static_cast<int>(s.column_int(20));
  c.height = static_cast<int>(s.column_int(21));
  c.fps = s.column_real(22);
  c.owner = s.column_text(23);
  c.created_at = s.column_real(24);
  c.updated_at = s.column_real(25);
  return c;
}

// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope.
class Transaction {
 public:
  // Inside a Journal::Batch the batch's transaction is the one: nothing to
  // begin or commit here.
  explicit Transaction(sqlite3* db) : db_(db), nested_(sqlite3_get_autocommit(db) == 0) {
    if (!nested_) run(db_, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    if (!done_ && !nested_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    if (!nested_) run(db_, "COMMIT");
    done_ = true;
  }

  static void run(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string text = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw JournalError("journal: " + text);
    }
  }

 private:
  sqlite3* db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace

Journal::Journal(const std::string& path) : path_(path) {
  std::error_code ec;
  const auto folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ec);
  if (ec)
    throw JournalError("cannot create the folder of the journal " + path + ": " + ec.message());
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw JournalError("cannot open the journal " + path + ": " + why +
                       "; choose another file with --journal");
  }
  // Another process may hold the write lock for a moment.
  sqlite3_busy_timeout(db_, 10000);
  // Two processes opening a new journal at once: switching to WAL and
  // creating the tables can be refused as busy without the busy handler
  // (SQLite does so rather than risk a deadlock), so the setup is tried
  // again for as long as the busy timeout. The schema goes in under
  // BEGIN IMMEDIATE, which takes the write lock before reading.
  for (int attempt = 0;; ++attempt) {
    try {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=NORMAL");  // WAL: durable at checkpoints, never corrupt
      exec("PRAGMA foreign_keys=ON");
      exec((std::string("BEGIN IMMEDIATE;") + kSchema + "COMMIT;").c_str());
      break;
    } catch (const JournalError& e) {
      const int code = sqlite3_errcode(db_) & 0xff;
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      if ((code == SQLITE_BUSY || code == SQLITE_LOCKED) && attempt < 200) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      sqlite3_close(db_);
      db_ = nullptr;
      throw JournalError("the journal " + path + " cannot be used: " + e.what());
    }
  }
}

Journal::Journal(const std::string& path, ReadOnly) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw JournalError("cannot open the journal " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    Statement s(db_,
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                "name IN ('calls', 'states')");
    if (!s.step() || s.column_int(0) != 2)
      throw JournalError("it has no table of calls; is it a reel journal?");
  } catch (const JournalError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw JournalError("the journal " + path + " cannot be read: " + e.what());
  }
}

Journal::Batch::Batch(Journal& journal) : db_(journal.db_) {
  Transaction::run(db_, "BEGIN IMMEDIATE");
}

Journal::Batch::~Batch() {
  if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Journal::Batch::commit() {
  Transaction::run(db_, "COMMIT");
  done_ = true;
}

Journal::~Journal() {
  sqlite3_close(db_);
}

void Journal::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string text = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    throw JournalError(text);
  }
}

std::optional<Call> Journal::select_one(const char* where, const std::string& value) {
  const std::string sql = std::string("SELECT ") + kColumns + " FROM calls WHERE " + where;
  Statement s(db_, sql.c_str());
  s.text(1, value);
  if (!s.step()) return std::nullopt;
  return read_call(s);
}

std::optional<Call> Journal::find(const std::string& key) {
  return select_one("key = ?1", key);
}

std::optional<Call> Journal::get(int64_t id) {
  return select_one("id = ?1", std::to_string(id));
}

std::optional<Call> Journal::find_task(const std::string& task_id) {
  if (task_id.empty()) return std::nullopt;
  return select_one("task_id = ?1 ORDER BY id DESC LIMIT 1", task_id);
}

Journal::Claim Journal::claim(const Call& p, const std::string& owner) {
  Transaction t(db_);
  if (auto existing = find(p.key)) {
    t.commit();
    return {*existing, false};
  }
  const double now = unix_now();
  Statement s(db_,
              "INSERT INTO calls (key, script, shot, kind, model, request, dialect, base_url, "
              "payload, state, owner, created_at, updated_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'submitting', ?10, ?11, ?11)");
  s.text(1, p.key).text(2, p.script).text(3, p.shot).text(4, p.kind).text(5, p.model);
  s.text(6, p.request).text(7, p.dialect).text(8, p.base_url).text(9, p.payload);
  s.text(10, owner).real(11, now);
  s.step();
  const int64_t id = sqlite3_last_insert_rowid(db_);
  {
    Statement st(db_, "INSERT INTO states (call_id, state, at) VALUES (?1, 'submitting', ?2)");
    st.integer(1, id).real(2, now);
    st.step();
  }
  t.commit();
  return {*get(id), true};
}

bool Journal::take_over(int64_t id, const std::string& owner,
                        bool (*alive)(const std::string& owner)) {
  Transaction t(db_);
  auto call = get(id);
  if (!call) throw JournalError("journal: no call " + std::to_string(id));
  if (!call->owner.empty() && call->owner != owner && alive(call->owner)) return false;
  Statement s(db_, "UPDATE calls SET owner = ?2, updated_at = ?3 WHERE id = ?1");
  s.integer(1, id).text(2, owner).real(3, unix_now());
  s.step();
  t.commit();
  return true;
}

void Journal::update(const char* sql, int64_t id, const std::vector<std::string>& texts) {
  Transaction t(db_);
  Statement s(db_, sql);
  s.integer(1, id).real(2, unix_now());
  int at = 3;
  for (const auto& v : texts) s.text(at++, v);
  s.step();
  t.commit();
}

void Journal::set_task(int64_t id, const std::string& task_id) {
  update("UPDATE calls SET updated_at = ?2, task_id = ?3 WHERE id = ?1", id, {task_id});
}

void Journal::set_state(int64_t id, const std::string& state, const std::string& err_code,
                        std::optional<int64_t> credits) {
  Transaction t(db_);
  const double now = unix_now();
  bool changed = true;
  {
    Statement q(db_, "SELECT state FROM calls WHERE id = ?1");
    q.integer(1, id);
    if (q.step()) changed = q.column_text(0) != state;
  }
  Statement s(db_,
              "UPDATE calls SET updated_at = ?2, state = ?3, err_code = ?4, "
              "credits = COALESCE(?5, credits) WHERE id = ?1");
  s.integer(1, id).real(2, now).text(3, state).text(4, err_code).optional(5, credits);
  s.step();
  if (changed) {
    Statement st(db_, "INSERT INTO states (call_id, state, at) VALUES (?1, ?2, ?3)");
    st.integer(1, id).text(2, state).real(3, now);
    st.step();
  }
  t.commit();
}

void Journal::set_result(int64_t id, const std::string& url, const std::string& cover_url,
                         const std::string& creation_id) {
  update(
      "UPDATE calls SET updated_at = ?2, url = ?3, cover_url = ?4, creation_id = ?5 WHERE id = ?1",
      id, {url, cover_url, creation_id});
}

void Journal::set_file(int64_t id, const std::string& file, const std::string& sha256,
                       double duration, int width, int height, double fps) {
  Transaction t(db_);
  Statement s(db_,
              "UPDATE calls SET updated_at = ?2, file = ?3, file_sha256 = ?4, duration = ?5, "
              "width = ?6, height = ?7, fps = ?8 WHERE id = ?1");
  s.integer(1, id).real(2, unix_now()).text(3, file).text(4, sha256).real(5, duration);
  s.integer(6, width).integer(7, height).real(8, fps);
  s.step();
  t.commit();
}

void Journal::release(int64_t id) {
  update("UPDATE calls SET updated_at = ?2, owner = '' WHERE id = ?1", id, {});
}

void Journal::reset(int64_t id, const std::string& owner, const std::string& payload) {
  Transaction t(db_);
  const double now = unix_now();
  Statement s(db_,
              "UPDATE calls SET updated_at = ?2, owner = ?3, payload = ?4, task_id = '', "
              "state = 'submitting', "
              "err_code = '', credits = NULL, url = '', cover_url = '', creation_id = '', "
              "file = '', file_sha256 = '', duration = 0, width = 0, height = 0, fps = 0 "
              "WHERE id = ?1");
  s.integer(1, id).real(2, now).text(3, owner).text(4, payload);
  s.step();
  Statement st(db_, "INSERT INTO states (call_id, state, at) VALUES (?1, 'submitting', ?2)");
  st.integer(1, id).real(2, now);
  st.step();
  t.commit();
}

std::vector<StateSeen> Journal::states(int64_t id) {
  Statement s(db_, "SELECT state, at FROM states WHERE call_id = ?1 ORDER BY rowid");
  s.integer(1, id);
  std::vector<StateSeen> out;
  while (s.step()) out.push_back({s.column_text(0), s.column_real(1)});
  return out;
}

std::vector<Call> Journal::list_by_creation(int limit) {
  const std::string sql =
      std::string("SELECT ") + kColumns + " FROM calls ORDER BY created_at DESC, id DESC LIMIT ?1";
  Statement s(db_, sql.c_str());
  s.integer(1, limit);
  std::vector<Call> out;
  while (s.step()) out.push_back(read_call(s));
  return out;
}

std::vector<Call> Journal::list(int limit) {
  const std::string sql =
      std::string("SELECT ") + kColumns + " FROM calls ORDER BY updated_at DESC, id DESC LIMIT ?1";
  Statement s(db_, sql.c_str());
  s.integer(1, limit);
  std::vector<Call> out;
  while (s.step()) out.push_back(read_call(s));
  return out;
}

namespace {

std::string host_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

std::string this_owner() {
  const long pid = getpid();
  return host_name() + ":" + std::to_string(pid) + ":" + process::start_ticks(pid);
}

bool owner_alive(const std::string& owner) {
  // host:pid[:start]; a host name has no ':'.
  const auto first = owner.find(':');
  if (first == std::string::npos) return false;
  if (owner.substr(0, first) != host_name()) return true;  // cannot tell: assume it runs
  const auto second = owner.find(':', first + 1);
  const long pid = std::strtol(owner.c_str() + first + 1, nullptr, 10);
  if (pid <= 0) return false;
  if (!process::running(pid)) return false;
  const std::string start = second == std::string::npos ? "" : owner.substr(second + 1);
  return start.empty() || start == process::start_ticks(pid);
}

}  // namespace reel::journal
