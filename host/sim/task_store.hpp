// The engine's tasks kept across runs (Engine::Config::persist), so that a
// simulator restarted on the same data folder still answers for the tasks,
// creations and files it made before: a journal written against it in one
// run stays valid in the next.
//
// <data_dir>/tasks.jsonl holds one JSON object a line: {"task": {...}} with
// the whole task when it is created, then {"id", "state", "err_code",
// "credits", "creation"} at each change. Each line goes out in one append, so
// a process killed mid-write leaves at most one torn last line, which load()
// skips. The creating API key is never written: restored tasks have none.
// Paths under data_dir are stored relative to it, so the folder may move.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "host/sim/engine.hpp"

namespace reel::sim {

class TaskStore {
 public:
  // Creates data_dir and the file if missing. Throws std::runtime_error when
  // the file cannot be opened for appending.
  explicit TaskStore(std::string data_dir);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // Every stored task at its last recorded state, in submission order (key
  // empty). Lines that do not parse are skipped. When no other process has
  // the folder open, the file is rewritten with one line per task.
  std::vector<Task> load();

  void created(const Task& task);  // the whole task
  void changed(const Task& task);  // its state, err_code, credits and creation

 private:
  void append(const nlohmann::json& record);
  std::string data_dir_;
  std::string path_;
  int fd_ = -1;
  int lock_fd_ = -1;
  bool warned_ = false;
};

// The stored form of a task and back (for the store and its tests).
nlohmann::json task_to_json(const Task& task, const std::string& data_dir);
std::optional<Task> task_from_json(const nlohmann::json& record, const std::string& data_dir);

}  // namespace reel::sim
