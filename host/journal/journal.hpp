// The journal (issue 6): every vidu.* call a script makes, recorded in SQLite
// before it is waited on, so a script run again picks up where it stopped
// instead of paying twice. No Lua here; the vidu module asks it.
//
// One row per call, found by its key (script identity + canonical request +
// occurrence in the run). WAL mode and one transaction per change, so a
// kill -9 at any moment leaves a consistent file; BEGIN IMMEDIATE around a
// claim, so two processes on one journal never both submit one call.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace reel::journal {

class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Call {
  int64_t id = 0;
  std::string key;     // the call's identity (see issue 6)
  std::string script;  // the script's identity, for listing
  std::string shot;    // its name
  std::string kind;    // "text2video", ...
  std::string model;
  std::string request;  // canonical request JSON (inputs by content hash)
  std::string dialect;  // "vidu" | "vtrix"
  std::string base_url;
  std::string payload;  // the tag the create carried
  std::string task_id;  // "" until the API answered the create
  std::string state;    // "submitting", "created", "queueing", "processing", "success", "failed"
  std::string err_code;
  std::optional<int64_t> credits;
  std::string url;  // result and cover URLs as last seen
  std::string cover_url;
  std::string creation_id;
  std::string file;  // the downloaded clip, once verified
  std::string file_sha256;
  double duration = 0;
  int width = 0;
  int height = 0;
  double fps = 0;
  std::string owner;      // who is submitting/waiting ("host:pid"), "" when nobody
  double created_at = 0;  // Unix seconds
  double updated_at = 0;
};

// One state the API reported for a call, with when it was seen.
struct StateSeen {
  std::string state;
  double at = 0;
};

class Journal {
 public:
  // Opens (creating the file and its folder when missing) the journal at
  // `path`. Throws JournalError naming the file and the reason.
  explicit Journal(const std::string& path);
  // Opens an existing journal for reading only: nothing is created or
  // changed, so `reel tasks` can look without making a journal, beside a run
  // that writes one. Throws JournalError when the file is missing or is not a
  // journal.
  struct ReadOnly {};
  static constexpr ReadOnly read_only{};
  Journal(const std::string& path, ReadOnly);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& path() const { return path_; }

  // The changes made while a Batch lives are one transaction, committed by
  // commit() (rolled back if it is never called): one commit for what
  // belongs together, such as a task id and its first state.
  class Batch {
   public:
    explicit Batch(Journal& journal);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    void commit();

   private:
    sqlite3* db_;
    bool done_ = false;
  };

  // The call with this key, if the journal knows it.
  std::optional<Call> find(const std::string& key);
  // By row id, or by remote task id.
  std::optional<Call> get(int64_t id);
  std::optional<Call> find_task(const std::string& task_id);

  // Claims the key for `owner`: inserts `proposed` (state "submitting") when
  // the key is new. Returns the row and whether this call inserted it. An
  // existing row is returned as it is (its owner says who handles it).
  struct Claim {
    Call call;
    bool inserted = false;
  };
  Claim claim(const Call& proposed, const std::string& owner);

  // Takes over a row whose owner is gone (or is `owner` already). False when
  // a live owner holds it.
  bool take_over(int64_t id, const std::string& owner, bool (*alive)(const std::string& owner));

  // Each change is one transaction.
  void set_task(int64_t id, const std::string& task_id);
  void set_state(int64_t id, const std::string& state, const std::string& err_code,
                 std::optional<int64_t> credits);
  void set_result(int64_t id, const std::string& url, const std::string& cover_url,
                  const std::string& creation_id);
  void set_file(int64_t id, const std::string& file, const std::string& sha256, double duration,
                int width, int height, double fps);
  void release(int64_t id);  // owner = ""

  // Forgets the task of a call (a failed one created anew): task, states,
  // result and file are cleared, the row stays with state "submitting" and
  // the payload tag the new create will carry.
  void reset(int64_t id, const std::string& owner, const std::string& payload);

  std::vector<StateSeen> states(int64_t id);
  // Most recent first.
  std::vector<Call> list(int limit);
  // Most recently created first (reel tasks, whose AGE column counts from
  // creation); limit < 0: all.
  std::vector<Call> list_by_creation(int limit);

 private:
  void exec(const char* sql);
  std::optional<Call> select_one(const char* where, const std::string& value);
  void update(const char* sql, int64_t id, const std::vector<std::string>& texts);

  std::string path_;
  sqlite3* db_ = nullptr;
};

// "host:pid:start" of this process (start: its start time in clock ticks
// since boot, so that a recycled pid is not taken for it), and whether such
// an owner still runs (same host: the pid exists and started then; another
// host: assumed alive).
std::string this_owner();
bool owner_alive(const std::string& owner);

}  // namespace reel::journal
