// The engine's state lives behind one mutex; a scheduler thread moves tasks
// along their timelines and hands renders to a small worker pool. HTTP
// handlers only copy tasks out, so queries stay fast under load.
#include "host/sim/engine.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "host/media/media.hpp"
#include "host/sim/task_store.hpp"

namespace reel::sim {

namespace {

using Clock = std::chrono::steady_clock;

const char* const kStateNames[] = {"created", "queueing", "processing", "success", "failed"};

double unix_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1e6;
}

void remove_files(const std::vector<std::string>& paths) {
  std::error_code ec;
  for (const auto& path : paths) std::filesystem::remove(path, ec);
}

// Writes a file that is not a video at all (the "corrupt" fault).
void write_garbage(const std::string& path, uint64_t seed) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t x = seed | 1;
  for (int i = 0; i < 4096; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out.put(static_cast<char>(x & 0xff));
  }
}

}  // namespace

const char* state_name(State state) {
  return kStateNames[static_cast<int>(state)];
}

std::optional<State> state_from_name(const std::string& name) {
  for (int i = 0; i < 5; ++i)
    if (name == kStateNames[i]) return static_cast<State>(i);
  return std::nullopt;
}

struct Engine::Impl {
  Config config;
  Listener listener;

  mutable std::mutex mutex;
  std::condition_variable wake;  // scheduler: something changed
  bool changed = false;          // set with `wake`, so that no wake-up is lost
  bool stopping = false;
  uint64_t next_seq = 1;
  uint64_t id_base = 0;
  std::map<std::string, Task> tasks;  // by id
  std::vector<std::string> order;     // ids in submission order
  std::map<std::string, std::string> creation_to_task;
  int64_t balance = 0;
  EngineCounts counts;
  int running = 0;

  // persist: every change is appended under the lock, so the file's order
  // is the order of the changes.
  std::unique_ptr<TaskStore> store;
  bool loaded = false;
  // Tasks of an earlier run: paid for then, so they stay out of this
  // process's counts and balance.
  std::set<std::string> restored;

  // Timelines of tasks in flight.
  struct Flight {
    Clock::time_point queue_at;  // created -> queueing
    Clock::time_point done_at;   // earliest processing -> terminal
    bool rendering = false;
    bool rendered = false;
    std::string render_error;
  };
  std::map<std::string, Flight> flights;
  std::deque<std::string> waiting;  // queueing, in submission order

  std::deque<std::string> render_jobs;
  std::condition_variable render_wake;
  std::thread scheduler;
  std::vector<std::thread> workers;

  // Changes made under the lock, reported to the listener after unlocking.
  std::vector<Task> pending_reports;

  // Under the lock: make the scheduler look again.
  void poke() {
    changed = true;
    wake.notify_one();
  }

  void set_state(Task& task, State state) {
    const bool ours = !restored.count(task.id);
    if (ours) --counts.by_state[state_name(task.state)];
    task.state = state;
    if (ours) ++counts.by_state[state_name(state)];
    if (store) store->changed(task);
    pending_reports.push_back(task);
  }

  void report(std::unique_lock<std::mutex>& lock) {
    if (pending_reports.empty()) return;
    std::vector<Task> reports;
    reports.swap(pending_reports);
    lock.unlock();
    if (listener)
      for (const Task& task : reports) listener(task);
    lock.lock();
  }

  void refund(Task& task) {
    if (!restored.count(task.id)) {
      balance += task.credits;
      counts.credits_refunded += task.credits;
    }
    task.credits = 0;
  }

  double processing_seconds(const Task& task) const {
    double seconds = task.spec.duration * config.seconds_per_video_second;
    if (task.spec.kind == RenderSpec::Kind::multiframe) {
      seconds = 0;
      for (double d : task.spec.segment_durations) seconds += d * config.seconds_per_video_second;
    }
    return seconds / std::max(config.speed, 1e-6);
  }

  // One pass over the timelines; returns when the scheduler should look again.
  Clock::time_point step() {
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [id, flight] : flights) {
      Task& task = tasks.at(id);
      if (task.state == State::created) {
        if (now >= flight.queue_at) {
          set_state(task, State::queueing);
          waiting.push_back(id);
        } else {
          next = std::min(next, flight.queue_at);
        }
      }
    }
    while (running < config.concurrency && !waiting.empty()) {
      std::string id = waiting.front();
      waiting.pop_front();
      Task& task = tasks.at(id);
      if (task.state != State::queueing) continue;  // cancelled meanwhile
      ++running;
      Flight& flight = flights.at(id);
      flight.done_at =
          now + std::chrono::microseconds(static_cast<int64_t>(processing_seconds(task) * 1e6));
      flight.rendering = true;
      set_state(task, State::processing);
      render_jobs.push_back(id);
      render_wake.notify_one();
    }
    std::vector<std::string> finished;
    for (auto& [id, flight] : flights) {
      Task& task = tasks.at(id);
      if (task.state != State::processing || !flight.rendered) continue;
      if (now < flight.done_at) {
        next = std::min(next, flight.done_at);
        continue;
      }
      finish(task, flight);
      finished.push_back(id);
    }
    for (const auto& id : finished) flights.erase(id);
    if (!finished.empty()) changed = true;  // freed slots: start the next ones at once
    return next;
  }

  void finish(Task& task, const Flight& flight) {
    --running;
    std::string error = !task.planned_error.empty()    ? task.planned_error
                        : !flight.render_error.empty() ? "InternalServiceFailure"
                                                       : "";
    // Inputs are kept until the end, so that a restart can render again.
    remove_files(task.temp_inputs);
    if (!error.empty()) {
      task.err_code = error;
      task.creation.reset();
      refund(task);
      set_state(task, State::failed);
      return;
    }
    set_state(task, State::success);
  }

  void run_scheduler() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      changed = false;
      auto next = step();
      report(lock);  // unlocks: a worker may finish meanwhile and set `changed`
      wake.wait_until(lock, next, [&] { return stopping || changed; });
    }
  }

  // Renders outside the lock; the spec is copied out first.
  void run_worker() {
    std::unique_lock lock(mutex);
    while (true) {
      render_wake.wait(lock, [&] { return stopping || !render_jobs.empty(); });
      if (stopping) return;
      std::string id = render_jobs.front();
      render_jobs.pop_front();
      Task task = tasks.at(id);
      lock.unlock();
      std::string error = render_task(task);
      lock.lock();
      auto flight = flights.find(id);
      if (flight == flights.end()) continue;
      flight->second.rendered = true;
      flight->second.render_error = error;
      if (error.empty()) tasks.at(id).creation = task.creation;
      poke();
    }
  }

  static bool inputs_exist(const Task& task) {
    std::error_code ec;
    for (const auto& path : task.spec.images)
      if (!std::filesystem::exists(path, ec)) return false;
    return task.spec.source_video.empty() || std::filesystem::exists(task.spec.source_video, ec);
  }

  // Puts stored tasks back, under the lock, before the threads run: finished
  // ones as they were; unfinished ones back on their timeline (a processing
  // one renders again), or failed and refunded when an input is gone.
  void restore(std::vector<Task> stored) {
    std::stable_sort(stored.begin(), stored.end(),
                     [](const Task& a, const Task& b) { return a.created_at < b.created_at; });
    const auto now = Clock::now();
    uint64_t newest = 0;
    for (Task& task : stored) {
      if (tasks.count(task.id)) continue;
      try {
        newest = std::max<uint64_t>(newest, std::stoull(task.id));
      } catch (const std::exception&) {
      }
      task.key.clear();  // never stored; without it no callback is signed
      const std::string id = task.id;
      restored.insert(id);
      order.push_back(id);
      creation_to_task[task.creation ? task.creation->id : id + "1"] = id;
      Task& t = tasks.emplace(id, std::move(task)).first->second;
      if (t.state == State::success || t.state == State::failed) continue;
      if (!inputs_exist(t)) {
        t.err_code = "InternalServiceFailure";
        t.creation.reset();
        refund(t);
        t.state = State::failed;
        if (store) store->changed(t);
        remove_files(t.temp_inputs);
        continue;
      }
      Flight flight;
      flight.queue_at = now;
      if (t.state == State::queueing) {
        waiting.push_back(id);
      } else if (t.state == State::processing) {
        ++running;
        flight.done_at =
            now + std::chrono::microseconds(static_cast<int64_t>(processing_seconds(t) * 1e6));
        flight.rendering = true;
        render_jobs.push_back(id);
      }
      flights[id] = flight;
    }
    // New ids follow the stored ones, whatever the clock did meanwhile.
    if (newest >= id_base + next_seq) id_base = newest + 1 - next_seq;
  }

  std::string render_task(Task& task) {
    Creation creation;
    creation.id = task.id + "1";
    creation.video_path = config.data_dir + "/" + creation.id + ".mp4";
    creation.cover_path = config.data_dir + "/" + creation.id + ".jpg";
    creation.duration = task.spec.duration;
    if (task.spec.kind == RenderSpec::Kind::multiframe) {
      creation.duration = 0;
      for (double d : task.spec.segment_durations) creation.duration += d;
    }
    creation.fps = task.spec.fps;
    creation.width = task.spec.width;
    creation.height = task.spec.height;
    if (!task.planned_error.empty()) return "";  // it will fail anyway: don't spend the CPU
    try {
      if (task.spoil == Spoil::empty) {
        std::ofstream(creation.video_path, std::ios::trunc).close();
        std::ofstream(creation.cover_path, std::ios::trunc).close();
      } else {
        render(task.spec, creation.video_path, creation.cover_path);
        if (task.spec.kind == RenderSpec::Kind::extend) {
          creation.duration = media::probe(creation.video_path).duration;
        }
        if (task.spoil == Spoil::corrupt) write_garbage(creation.video_path, task.spec.seed);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "reel sim: task %s: render failed: %s\n", task.id.c_str(), e.what());
      return e.what();
    }
    task.creation = creation;
    return "";
  }
};

Engine::Engine(Config config, Listener listener) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->listener = std::move(listener);
  impl_->balance = impl_->config.credits;
  // 18-digit ids that differ between runs sharing a data_dir.
  impl_->id_base = static_cast<uint64_t>(unix_now() * 1000) * 100000;
}

Engine::~Engine() {
  stop();
}

void Engine::start() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->config.persist && !impl_->config.data_dir.empty() && !impl_->loaded) {
      auto store = std::make_unique<TaskStore>(impl_->config.data_dir);
      std::vector<Task> stored = store->load();
      impl_->store = std::move(store);
      impl_->restore(std::move(stored));
      impl_->loaded = true;
    }
  }
  impl_->stopping = false;
  impl_->scheduler = std::thread([this] { impl_->run_scheduler(); });
  for (unsigned i = 0; i < std::max(1u, impl_->config.workers); ++i)
    impl_->workers.emplace_back([this] { impl_->run_worker(); });
}

void Engine::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    impl_->wake.notify_all();
    impl_->render_wake.notify_all();
  }
  if (impl_->scheduler.joinable()) impl_->scheduler.join();
  for (auto& worker : impl_->workers) worker.join();
  impl_->workers.clear();
}

std::optional<Task> Engine::submit(Task task) {
  std::unique_lock lock(impl_->mutex);
  if (impl_->balance < task.credits) return std::nullopt;
  impl_->balance -= task.credits;
  impl_->counts.credits_charged += task.credits;
  task.seq = impl_->next_seq++;
  task.id = std::to_string(impl_->id_base + task.seq);
  task.created_at = unix_now();
  task.state = State::created;
  ++impl_->counts.by_state[state_name(State::created)];
  ++impl_->counts.created_by_kind[vidu::endpoint_path(task.endpoint)];
  Impl::Flight flight;
  // A short "created" phase, so that clients see the documented first state.
  flight.queue_at =
      Clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(500 / std::max(impl_->config.speed, 1e-3)));
  impl_->flights[task.id] = flight;
  impl_->order.push_back(task.id);
  impl_->creation_to_task[task.id + "1"] = task.id;
  auto [it, inserted] = impl_->tasks.emplace(task.id, std::move(task));
  if (impl_->store) impl_->store->created(it->second);
  impl_->poke();
  return it->second;
}

std::optional<Task> Engine::get(const std::string& id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->tasks.find(id);
  if (it == impl_->tasks.end()) return std::nullopt;
  return it->second;
}

std::vector<Task> Engine::list() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<Task> out;
  out.reserve(impl_->order.size());
  for (auto it = impl_->order.rbegin(); it != impl_->order.rend(); ++it)
    out.push_back(impl_->tasks.at(*it));
  return out;
}

Engine::CancelResult Engine::cancel(const std::string& id, State* state_seen) {
  std::unique_lock lock(impl_->mutex);
  auto it = impl_->tasks.find(id);
  if (it == impl_->tasks.end()) return CancelResult::not_found;
  Task& task = it->second;
  if (state_seen != nullptr) *state_seen = task.state;
  if (task.state != State::created && task.state != State::queueing)
    return CancelResult::not_cancellable;
  task.err_code = "UserCancelled";
  impl_->refund(task);
  impl_->set_state(task, State::failed);
  impl_->flights.erase(id);  // also drops it from `waiting` lazily (state check)
  for (const auto& path : task.temp_inputs) std::filesystem::remove(path);
  impl_->poke();
  impl_->report(lock);
  return CancelResult::cancelled;
}

std::optional<Creation> Engine::find_creation(const std::string& creation_id) const {
  std::lock_guard lock(impl_->mutex);
  auto link = impl_->creation_to_task.find(creation_id);
  if (link == impl_->creation_to_task.end()) return std::nullopt;
  const Task& task = impl_->tasks.at(link->second);
  if (task.state != State::success) return std::nullopt;
  return task.creation;
}

Balance Engine::balance() const {
  std::lock_guard lock(impl_->mutex);
  Balance out;
  out.remain = impl_->balance;
  out.concurrency_limit = impl_->config.concurrency;
  out.current_concurrency = impl_->running;
  int queued = 0;
  for (const auto& id : impl_->waiting)
    if (impl_->tasks.at(id).state == State::queueing) ++queued;
  out.queue_count = queued;
  return out;
}

EngineCounts Engine::counts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts;
}

}  // namespace reel::sim
