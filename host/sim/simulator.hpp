// The Vidu simulator: the remote API on loopback (both dialects at once), with
// real media and real faults. See ../shared/DESIGN.md "The simulator" and
// vidu-api.md. Runs on its own threads; callers only start and stop it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace reel::sim {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;                // 0: an ephemeral port
  std::string key;             // the accepted API key; empty: any non-empty key
  double speed = 1.0;          // generation-time scale: 10 = ten times faster
  std::string faults;          // --faults SPEC (see faults.hpp)
  std::string data_dir;        // where outputs live; empty: a folder under $TMPDIR
  int concurrency = 5;         // per-organisation concurrency limit (vidu-api.md §11.6)
  double url_ttl = 24 * 3600;  // seconds result and cover URLs stay valid
  int64_t credits = 100000;    // starting balance
  bool quiet = false;          // no request log on stderr
  // With data_dir: keep tasks, files and the URL secret there across runs,
  // so a restarted simulator still knows what it made (task_store.hpp).
  // Ignored without data_dir (the temporary folder goes at stop).
  bool persist = false;
};

class Simulator {
 public:
  explicit Simulator(Options options);
  ~Simulator();  // stops it
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  void start();  // throws std::runtime_error (port in use, ...)
  void stop();
  std::string base_url() const;  // "http://127.0.0.1:PORT"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reel::sim
