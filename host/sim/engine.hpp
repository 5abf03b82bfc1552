// The task engine: created -> queueing -> processing -> success | failed, a
// per-organisation concurrency limit (the rest wait in queueing, started in
// submission order), generation time proportional to duration / speed, and
// rendering on worker threads, never on the HTTP threads. One organisation:
// every accepted key shares the balance and the limit.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/sim/render.hpp"
#include "host/vidu/capabilities.hpp"

namespace reel::sim {

enum class State { created, queueing, processing, success, failed };
const char* state_name(State state);
std::optional<State> state_from_name(const std::string& name);

// What a finished task made (one creation per task).
struct Creation {
  std::string id;  // numeric string; also usable as video_creation_id
  std::string video_path;
  std::string cover_path;
  double duration = 0;
  int fps = 24;
  int width = 0;
  int height = 0;
};

// How a task's output is spoiled by the fault plan.
enum class Spoil { none, empty, corrupt };

struct Task {
  std::string id;
  uint64_t seq = 0;
  vidu::Endpoint endpoint = vidu::Endpoint::text2video;
  std::string dialect;      // "official" or "vtrix"
  std::string vtrix_model;  // vtrix: the model id as sent
  std::string key;          // the creating token: callbacks are signed with it;
                            // never stored, so empty in tasks restored from disk
  std::string model;
  std::string resolution;
  std::string aspect_ratio;
  int credits = 0;  // charged; 0 once refunded
  std::string payload;
  std::string callback_url;
  // The creation response's echo of the resolved request.
  std::shared_ptr<const nlohmann::json> echo;
  RenderSpec spec;
  std::vector<std::string> temp_inputs;  // decoded data URLs, removed once the task ends
  double created_at = 0;                 // Unix seconds, sub-second precision
  State state = State::created;
  std::string err_code;
  std::optional<Creation> creation;
  // Fault plan, fixed at creation.
  std::string planned_error;  // non-empty: end failed with this err_code
  Spoil spoil = Spoil::none;
};

struct Balance {
  int64_t remain = 0;
  int concurrency_limit = 0;
  int current_concurrency = 0;
  int queue_count = 0;
};

struct EngineCounts {
  std::map<std::string, int64_t> by_state;
  std::map<std::string, int64_t> created_by_kind;
  int64_t credits_charged = 0;
  int64_t credits_refunded = 0;
};

class Engine {
 public:
  struct Config {
    int concurrency = 5;
    double speed = 1;
    std::string data_dir;
    // Keep tasks in data_dir across runs (task_store.hpp): start() restores
    // the stored ones, finished as they were, unfinished ones rendered again.
    bool persist = false;
    int64_t credits = 100000;
    unsigned workers = 2;
    double seconds_per_video_second = 2;  // processing time at speed 1
  };
  // Called on every state change, outside the engine's lock, with a copy.
  using Listener = std::function<void(const Task&)>;

  Engine(Config config, Listener listener);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // With persist, loads the stored tasks first; throws std::runtime_error
  // when the store cannot be opened.
  void start();
  void stop();

  // Assigns the id, charges the credits and queues the task. Returns nullopt
  // (nothing charged, nothing stored) when the balance is short.
  std::optional<Task> submit(Task task);

  std::optional<Task> get(const std::string& id) const;
  std::vector<Task> list() const;  // newest first
  enum class CancelResult { cancelled, not_found, not_cancellable };
  CancelResult cancel(const std::string& id, State* state_seen);
  std::optional<Creation> find_creation(const std::string& creation_id) const;

  Balance balance() const;
  // This process's tasks only: restored ones are not counted.
  EngineCounts counts() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reel::sim
