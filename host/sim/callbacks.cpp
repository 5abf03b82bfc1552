// See callbacks.hpp.
#include "host/sim/callbacks.hpp"

#include <curl/curl.h>

#include <chrono>

#include "host/sim/service.hpp"
#include "host/sim/signature.hpp"

namespace reel::sim {

namespace {

size_t discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

constexpr int kRetries = 3;

}  // namespace

CallbackSender::CallbackSender() = default;

CallbackSender::~CallbackSender() {
  stop();
}

void CallbackSender::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CallbackSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void CallbackSender::send(std::string url, std::string secret, std::string body) {
  std::lock_guard lock(mutex_);
  jobs_.push_back({std::move(url), std::move(secret), std::move(body)});
  wake_.notify_one();
}

int64_t CallbackSender::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

int64_t CallbackSender::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

bool CallbackSender::wait_or_stop(int ms) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
  return !stopping_;
}

void CallbackSender::run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    bool ok = post(job);
    for (int attempt = 0; !ok && attempt < kRetries; ++attempt) {
      if (!wait_or_stop(250 << attempt)) return;  // 0.25 s, 0.5 s, 1 s
      ok = post(job);
    }
    std::lock_guard lock(mutex_);
    ++(ok ? delivered_ : failed_);
  }
}

// One signed attempt; true on a 2xx answer.
bool CallbackSender::post(const Job& job) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return false;
  // Date and nonce are fresh per attempt, as a replay guard expects.
  auto headers = callback_headers(job.url, job.secret, http_date(unix_now()), random_hex(16));
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& [name, value] : headers)
    list = curl_slist_append(list, (name + ": " + value).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, job.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job.body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discard);
  long status = 0;
  CURLcode result = curl_easy_perform(curl);
  if (result == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result == CURLE_OK && status >= 200 && status < 300;
}

}  // namespace reel::sim
