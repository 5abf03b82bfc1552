// `reel tasks [list|show ID|cancel ID]`: what the journal knows (issue 6).
// The command needs SQLite and, to cancel, libcurl, so its code is built into
// reel_vidu.so and reached through host/plugin; commands.cpp parses the
// options (and exports --dialect/--key-file as run does) and calls kTasksEntry.
#pragma once

#include <string>

namespace reel::cli {

struct TasksOptions {
  std::string action = "list";  // "list", "show", "cancel"
  std::string id;               // show, cancel: a journal row id or a remote task id
  std::string journal;          // --journal; "" means REEL_JOURNAL, else .reel/journal.db
  bool json = false;
  bool all = false;  // list: every call, not only the most recent `limit`
  int limit = 50;
};

inline constexpr const char* kTasksModule = "reel_vidu.so";
inline constexpr const char* kTasksEntry = "reel_tasks_command";
using TasksEntry = int (*)(const TasksOptions&);

}  // namespace reel::cli
