// See task_store.hpp. Appends are single write(2)s on an O_APPEND descriptor,
// so two simulators sharing a folder interleave whole lines. A lock file says
// whether another process has the folder open: only a process alone with it
// compacts, since a rename under a writer would lose that writer's lines.
#include "host/sim/task_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

namespace reel::sim {

namespace {

using nlohmann::json;

const char* const kKinds[] = {"text", "image", "start_end", "extend", "reference", "multiframe"};
const char* const kSpoils[] = {"none", "empty", "corrupt"};

std::string relative_to(const std::string& path, const std::string& dir) {
  const std::string prefix = dir + "/";
  return path.compare(0, prefix.size(), prefix) == 0 ? path.substr(prefix.size()) : path;
}

std::string resolve(const std::string& path, const std::string& dir) {
  return path.empty() || path.front() == '/' ? path : dir + "/" + path;
}

json creation_to_json(const std::optional<Creation>& creation, const std::string& dir) {
  if (!creation) return nullptr;
  return {{"id", creation->id},
          {"video", relative_to(creation->video_path, dir)},
          {"cover", relative_to(creation->cover_path, dir)},
          {"duration", creation->duration},
          {"fps", creation->fps},
          {"width", creation->width},
          {"height", creation->height}};
}

std::optional<Creation> creation_from_json(const json& j, const std::string& dir) {
  if (!j.is_object()) return std::nullopt;
  Creation c;
  c.id = j.at("id").get<std::string>();
  c.video_path = resolve(j.value("video", c.id + ".mp4"), dir);
  c.cover_path = resolve(j.value("cover", c.id + ".jpg"), dir);
  c.duration = j.value("duration", 0.0);
  c.fps = j.value("fps", 24);
  c.width = j.value("width", 0);
  c.height = j.value("height", 0);
  return c;
}

json paths_to_json(const std::vector<std::string>& paths, const std::string& dir) {
  json out = json::array();
  for (const auto& path : paths) out.push_back(relative_to(path, dir));
  return out;
}

std::vector<std::string> paths_from_json(const json& j, const std::string& dir) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& item : j) out.push_back(resolve(item.get<std::string>(), dir));
  return out;
}

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Writes `text` to `path` through a temporary name, so a crash leaves the
// old file or the new one.
bool replace_file(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok && std::rename(temp.c_str(), path.c_str()) == 0) return true;
  ::unlink(temp.c_str());
  return false;
}

}  // namespace

json task_to_json(const Task& task, const std::string& dir) {
  const RenderSpec& spec = task.spec;
  json j = {{"id", task.id},
            {"seq", task.seq},
            {"endpoint", vidu::endpoint_path(task.endpoint)},
            {"dialect", task.dialect},
            {"vtrix_model", task.vtrix_model},
            {"model", task.model},
            {"resolution", task.resolution},
            {"aspect_ratio", task.aspect_ratio},
            {"credits", task.credits},
            {"payload", task.payload},
            {"callback_url", task.callback_url},
            {"echo", task.echo ? *task.echo : json()},
            {"created_at", task.created_at},
            {"state", state_name(task.state)},
            {"err_code", task.err_code},
            {"creation", creation_to_json(task.creation, dir)},
            {"planned_error", task.planned_error},
            {"spoil", kSpoils[static_cast<int>(task.spoil)]},
            {"temp_inputs", paths_to_json(task.temp_inputs, dir)},
            {"spec",
             {{"kind", kKinds[static_cast<int>(spec.kind)]},
              {"width", spec.width},
              {"height", spec.height},
              {"duration", spec.duration},
              {"fps", spec.fps},
              {"seed", spec.seed},
              {"prompt", spec.prompt},
              {"images", paths_to_json(spec.images, dir)},
              {"segment_durations", spec.segment_durations},
              {"source_video", relative_to(spec.source_video, dir)},
              {"audio", spec.audio}}}};
  return j;  // no "key": the API key never reaches the disk
}

std::optional<Task> task_from_json(const json& j, const std::string& dir) {
  try {
    Task task;
    task.id = j.at("id").get<std::string>();
    auto endpoint = vidu::endpoint_from_path(j.at("endpoint").get<std::string>());
    auto state = state_from_name(j.at("state").get<std::string>());
    if (task.id.empty() || !endpoint || !state) return std::nullopt;
    task.endpoint = *endpoint;
    task.state = *state;
    task.seq = j.value("seq", uint64_t{0});
    task.dialect = j.value("dialect", "official");
    task.vtrix_model = j.value("vtrix_model", "");
    task.model = j.value("model", "");
    task.resolution = j.value("resolution", "");
    task.aspect_ratio = j.value("aspect_ratio", "");
    task.credits = j.value("credits", 0);
    task.payload = j.value("payload", "");
    task.callback_url = j.value("callback_url", "");
    if (j.contains("echo") && !j["echo"].is_null())
      task.echo = std::make_shared<const json>(j["echo"]);
    task.created_at = j.value("created_at", 0.0);
    task.err_code = j.value("err_code", "");
    if (j.contains("creation")) task.creation = creation_from_json(j["creation"], dir);
    task.planned_error = j.value("planned_error", "");
    const std::string spoil = j.value("spoil", "none");
    for (int i = 0; i < 3; ++i)
      if (spoil == kSpoils[i]) task.spoil = static_cast<Spoil>(i);
    task.temp_inputs = paths_from_json(j.value("temp_inputs", json::array()), dir);
    const json& s = j.at("spec");
    RenderSpec& spec = task.spec;
    const std::string kind = s.value("kind", "text");
    for (int i = 0; i < 6; ++i)
      if (kind == kKinds[i]) spec.kind = static_cast<RenderSpec::Kind>(i);
    spec.width = s.value("width", spec.width);
    spec.height = s.value("height", spec.height);
    spec.duration = s.value("duration", spec.duration);
    spec.fps = s.value("fps", spec.fps);
    spec.seed = s.value("seed", spec.seed);
    spec.prompt = s.value("prompt", "");
    spec.images = paths_from_json(s.value("images", json::array()), dir);
    spec.segment_durations = s.value("segment_durations", std::vector<double>{});
    spec.source_video = resolve(s.value("source_video", ""), dir);
    spec.audio = s.value("audio", false);
    return task;
  } catch (const json::exception&) {
    return std::nullopt;  // a record this version cannot read: as if torn
  }
}

TaskStore::TaskStore(std::string data_dir)
    : data_dir_(std::move(data_dir)), path_(data_dir_ + "/tasks.jsonl") {
  std::filesystem::create_directories(data_dir_);
  const std::string lock = data_dir_ + "/tasks.lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::runtime_error("cannot open " + lock + ": " + std::strerror(errno));
}

TaskStore::~TaskStore() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

std::vector<Task> TaskStore::load() {
  // Alone with the folder: compact. Otherwise share it (waiting out
  // another process's compaction).
  const bool alone = ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0;
  if (!alone) ::flock(lock_fd_, LOCK_SH);

  std::vector<std::string> order;
  std::map<std::string, json> folded;
  std::ifstream in(path_, std::ios::binary);
  std::string line;
  bool ends_with_newline = true;
  while (std::getline(in, line)) {
    ends_with_newline = !in.eof();
    json record = json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object()) continue;  // torn by a kill mid-write
    auto task = record.find("task");
    if (task != record.end()) {
      if (!task->is_object() || !task->contains("id") || !(*task)["id"].is_string()) continue;
      const std::string id = (*task)["id"];
      if (!folded.count(id)) order.push_back(id);
      folded[id] = *task;
      continue;
    }
    auto id = record.find("id");
    if (id == record.end() || !id->is_string()) continue;
    auto it = folded.find(id->get<std::string>());
    if (it == folded.end()) continue;  // its creation line was lost
    for (const char* field : {"state", "err_code", "credits", "creation"})
      if (record.contains(field)) it->second[field] = record[field];
  }
  in.close();

  std::vector<Task> tasks;
  std::string compacted;
  for (const auto& id : order) {
    auto task = task_from_json(folded[id], data_dir_);
    if (!task) continue;
    tasks.push_back(std::move(*task));
    compacted += json{{"task", folded[id]}}.dump() + "\n";
  }
  if (alone) {
    if (replace_file(path_, compacted)) ends_with_newline = true;
    ::flock(lock_fd_, LOCK_SH);
  }

  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
  // A torn last line left in place must not swallow the next record.
  struct stat st {};
  if (!ends_with_newline && ::fstat(fd_, &st) == 0 && st.st_size > 0) write_all(fd_, "\n");
  return tasks;
}

void TaskStore::append(const json& record) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  }
  // One write per line: a kill tears at most this line.
  if (fd_ >= 0 && write_all(fd_, record.dump() + "\n")) return;
  if (!warned_) {
    warned_ = true;
    std::fprintf(stderr, "reel sim: cannot record tasks in %s: %s; a restart will forget them\n",
                 path_.c_str(), std::strerror(errno));
  }
}

void TaskStore::created(const Task& task) {
  append({{"task", task_to_json(task, data_dir_)}});
}

void TaskStore::changed(const Task& task) {
  append({{"id", task.id},
          {"state", state_name(task.state)},
          {"err_code", task.err_code},
          {"credits", task.credits},
          {"creation", creation_to_json(task.creation, data_dir_)}});
}

}  // namespace reel::sim
