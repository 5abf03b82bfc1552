// Bringing a finished task's clip home (issue 5): download into --out under a
// temporary name (resumed with Range after a cut), refresh an expired URL by
// asking the task again, probe the file, and only then give it its name. An
// empty, undecodable or wrongly long file fails the task and is removed.
// Internal to host/vidu (client.cpp).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/net/event_loop.hpp"
#include "host/net/http_client.hpp"
#include "host/vidu/client.hpp"

namespace reel::vidu {

struct FetchJob {
  std::string task_id;
  std::string name;  // the shot's name, for the file name and messages
  std::string out_dir;  // "": the config's
  std::vector<Creation> creations;
  double expected_duration = 0;  // 0: the API's figure, if any
  int credits = 0;
};

// The file name for a clip: "<name>-<task id>.mp4" with anything but
// [A-Za-z0-9._-] in the name turned into '_'.
std::string clip_file_name(const std::string& name, const std::string& task_id);

// Whether a probed duration is the one expected: within half a second or 10 %.
bool duration_matches(double actual, double expected);

class Fetcher {
 public:
  // Asks the task for fresh creations; answers nullopt when it cannot.
  using Refresh =
      std::function<void(std::function<void(std::optional<std::vector<Creation>>)> got)>;
  using Done = std::function<void(std::optional<Clip>, std::optional<Failure>)>;

  // `downloads` counts the HTTP attempts made.
  Fetcher(net::EventLoop& loop, net::HttpClient& http, const ClientConfig& config,
          uint64_t& downloads);
  ~Fetcher();  // pending work is dropped without calling back
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  void fetch(FetchJob job, Refresh refresh, Done done);

 private:
  struct Item;
  void pump();
  void start(const std::shared_ptr<Item>& item);
  void downloaded(const std::shared_ptr<Item>& item, net::HttpResponse&& res);
  void check(const std::shared_ptr<Item>& item);
  void finish(const std::shared_ptr<Item>& item, std::optional<Clip> clip,
              std::optional<Failure> failure);

  net::EventLoop& loop_;
  net::HttpClient& http_;
  const ClientConfig& config_;
  uint64_t& downloads_;
  std::deque<std::shared_ptr<Item>> queue_;
  int running_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace reel::vidu
