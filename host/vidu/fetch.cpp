#include "host/vidu/fetch.hpp"

#include <uv.h>

#include <cmath>
#include <filesystem>
#include <system_error>

#include "host/media/media.hpp"
#include "host/vidu/call_key.hpp"

namespace reel::vidu {

namespace fs = std::filesystem;

struct Fetcher::Item {
  FetchJob job;
  Refresh refresh;
  Done done;
  std::string path;  // final name
  std::string temp;  // while downloading and checking
  int refreshes = 0;
};

namespace {

constexpr int kMaxRefreshes = 3;

// HTTP statuses with which a storage service says a signed URL is no longer
// good (§11.2: result URLs last 24 h, or one hour in older pages).
bool expired(int status) {
  return status == 401 || status == 403 || status == 404 || status == 410;
}

}  // namespace

std::string clip_file_name(const std::string& name, const std::string& task_id) {
  std::string safe;
  for (char c : name.substr(0, 60)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    safe += ok ? c : '_';
  }
  if (safe.empty() || safe[0] == '.') safe.insert(safe.begin(), '_');
  return safe + "-" + task_id + ".mp4";
}

bool duration_matches(double actual, double expected) {
  return std::fabs(actual - expected) <= std::max(0.5, 0.1 * expected);
}

Fetcher::Fetcher(net::EventLoop& loop, net::HttpClient& http, const ClientConfig& config,
                 uint64_t& downloads)
    : loop_(loop), http_(http), config_(config), downloads_(downloads) {}

Fetcher::~Fetcher() {
  *alive_ = false;
}

void Fetcher::fetch(FetchJob job, Refresh refresh, Done done) {
  auto item = std::make_shared<Item>();
  item->job = std::move(job);
  item->refresh = std::move(refresh);
  item->done = std::move(done);
  queue_.push_back(std::move(item));
  pump();
}

void Fetcher::pump() {
  while (running_ < config_.max_downloads && !queue_.empty()) {
    auto item = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    start(item);
  }
}

void Fetcher::start(const std::shared_ptr<Item>& item) {
  const FetchJob& job = item->job;
  const std::string who = "task " + job.task_id + " (" + job.name + ")";
  if (job.creations.empty() || job.creations.front().url.empty()) {
    finish(item, std::nullopt,
           Failure{"ResultMissing", who + " succeeded but its answer holds no video URL", "", "", 0,
                   false});
    return;
  }
  if (item->path.empty()) {
    const std::string& out_dir = job.out_dir.empty() ? config_.out_dir : job.out_dir;
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) {
      finish(item, std::nullopt,
             Failure{"OutputUnwritable",
                     "cannot create the output folder " + out_dir + ": " + ec.message() +
                         "; choose another with --out (the task succeeded: vidu.task(\"" +
                         job.task_id + "\"):wait() downloads it later)",
                     "", "", 0, false});
      return;
    }
    item->path = (fs::path(out_dir) / clip_file_name(job.name, job.task_id)).string();
    item->temp = item->path + ".part";
  }
  net::HttpRequest r;
  r.url = job.creations.front().url;  // no Authorization: the key never goes to a file host
  r.download_to = item->temp;
  r.timeout = 600;
  r.retry = retry_policy(config_);
  r.retry.max_attempts = 6;  // cuts are resumed where they stopped
  http_.send(std::move(r),
             [this, item, alive = std::weak_ptr<bool>(alive_)](net::HttpResponse&& res) {
               if (auto a = alive.lock(); !a || !*a) return;
               downloads_ += res.attempts;
               if (res.cancelled) return;
               downloaded(item, std::move(res));
             });
}

void Fetcher::downloaded(const std::shared_ptr<Item>& item, net::HttpResponse&& res) {
  const FetchJob& job = item->job;
  if (res.ok()) {
    check(item);
    return;
  }
  if (res.error.empty() && expired(res.status) && item->refreshes < kMaxRefreshes) {
    ++item->refreshes;
    std::error_code ec;
    fs::remove(item->temp, ec);  // the fresh URL may name other bytes
    item->refresh([this, item, alive = std::weak_ptr<bool>(alive_)](
                      std::optional<std::vector<Creation>> fresh) {
      if (auto a = alive.lock(); !a || !*a) return;
      if (fresh && !fresh->empty()) item->job.creations = std::move(*fresh);
      start(item);
    });
    return;
  }
  const std::string why = res.error.empty() ? "HTTP " + std::to_string(res.status) : res.error;
  finish(
      item, std::nullopt,
      Failure{"DownloadFailed",
              "the clip of task " + job.task_id + " (" + job.name + ") could not be downloaded (" +
                  why + "); the task succeeded, so vidu.task(\"" + job.task_id +
                  "\"):wait() can fetch it again while its URL lasts (24 h)",
              "", "", res.status, true});
}

// Probing reads the file: on the thread pool. At container depth: the
// clip is decoded when it is used (frames, joins), not once more here.
void Fetcher::check(const std::shared_ptr<Item>& item) {
  struct Work {
    uv_work_t req{};
    Fetcher* self;
    std::shared_ptr<Item> item;
    std::weak_ptr<bool> alive;
    std::optional<media::MediaInfo> info;
    std::string error;
    std::string sha256;  // the journal's proof that the file is the one fetched
  };
  auto* w = new Work{{}, this, item, alive_, std::nullopt, {}, {}};
  w->req.data = w;
  uv_queue_work(
      loop_.get(), &w->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        try {
          w->info = media::probe(w->item->temp, media::ProbeDepth::container);
          w->sha256 = file_sha256(w->item->temp);
        } catch (const std::exception& e) {
          w->error = e.what();
        }
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        if (auto a = w->alive.lock(); !a || !*a) return;
        Fetcher& self = *w->self;
        const FetchJob& job = w->item->job;
        const std::string who = "task " + job.task_id + " (" + job.name + ")";
        const Creation& c = job.creations.front();
        const double expected = job.expected_duration > 0 ? job.expected_duration : c.duration;
        std::optional<Failure> bad;
        std::error_code ec;
        const auto size = fs::file_size(w->item->temp, ec);
        if (!ec && size == 0) {
          bad = Failure{"ResultEmpty", who + " succeeded but its video is empty (0 bytes)", "", ""};
        } else if (!w->info || !w->info->video || w->info->kind != "video") {
          bad = Failure{"ResultUndecodable",
                        who + " succeeded but its video cannot be decoded" +
                            (w->error.empty() ? "" : " (" + w->error + ")"),
                        "", ""};
        } else if (expected > 0 && !duration_matches(w->info->duration, expected)) {
          char text[160];
          std::snprintf(text, sizeof text, " succeeded but its video lasts %.2f s, not %.2f s",
                        w->info->duration, expected);
          bad = Failure{"ResultWrongDuration", who + text, "", ""};
        }
        if (bad) {
          fs::remove(w->item->temp, ec);
          bad->message += "; reel counts it as failed and kept no file";
          self.finish(w->item, std::nullopt, std::move(bad));
          return;
        }
        fs::rename(w->item->temp, w->item->path, ec);
        if (ec) {
          self.finish(
              w->item, std::nullopt,
              Failure{"OutputUnwritable",
                      "cannot name the clip " + w->item->path + ": " + ec.message(), "", ""});
          return;
        }
        Clip clip;
        clip.path = w->item->path;
        clip.url = c.url;
        clip.cover_url = c.cover_url;
        clip.creation_id = c.id;
        clip.task_id = job.task_id;
        clip.credits = job.credits;
        clip.duration = w->info->duration;
        clip.width = w->info->video->width;
        clip.height = w->info->video->height;
        clip.fps = w->info->video->frame_rate.value();
        clip.sha256 = std::move(w->sha256);
        self.finish(w->item, std::move(clip), std::nullopt);
      });
}

void Fetcher::finish(const std::shared_ptr<Item>& item, std::optional<Clip> clip,
                     std::optional<Failure> failure) {
  --running_;
  if (failure && !item->temp.empty()) {
    std::error_code ec;
    fs::remove(item->temp, ec);
  }
  item->done(std::move(clip), std::move(failure));
  pump();
}

}  // namespace reel::vidu
