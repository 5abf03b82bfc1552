// libmicrohttpd glue: one request context per request, bodies accumulated up
// to a limit, responses from memory or from a file descriptor, and suspended
// connections for delayed answers.
#include "host/sim/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace reel::sim {

std::string HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

using Clock = std::chrono::steady_clock;

struct RequestContext {
  HttpRequest request;
  bool have_response = false;  // set while suspended: answer with `response` when resumed
  HttpResponse response;
};

// A file body that stops early: announces the whole size, sends `limit`
// bytes, then makes MHD close the connection (a truncated download).
struct TruncatedFile {
  int fd = -1;
  int64_t offset = 0;  // where the body starts in the file
  int64_t limit = 0;
};

ssize_t read_truncated(void* cls, uint64_t pos, char* buf, size_t max) {
  auto* file = static_cast<TruncatedFile*>(cls);
  if (static_cast<int64_t>(pos) >= file->limit) return MHD_CONTENT_READER_END_WITH_ERROR;
  size_t want = std::min<uint64_t>(max, file->limit - pos);
  ssize_t got = pread(file->fd, buf, want, static_cast<off_t>(file->offset + pos));
  return got <= 0 ? MHD_CONTENT_READER_END_WITH_ERROR : got;
}

void free_truncated(void* cls) {
  auto* file = static_cast<TruncatedFile*>(cls);
  close(file->fd);
  delete file;
}

MHD_Response* make_file_response(const HttpResponse& out, int* status) {
  int fd = open(out.file_path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    *status = 404;
    static const char kGone[] =
        "{\"code\":404,\"reason\":\"NotFound\",\"message\":\"file is gone\"}";
    return MHD_create_response_from_buffer(sizeof kGone - 1, const_cast<char*>(kGone),
                                           MHD_RESPMEM_PERSISTENT);
  }
  int64_t offset = std::clamp<int64_t>(out.file_offset, 0, st.st_size);
  int64_t length = out.file_length < 0 ? st.st_size - offset
                                       : std::min<int64_t>(out.file_length, st.st_size - offset);
  if (out.truncate_at >= 0 && out.truncate_at < length) {
    auto* file = new TruncatedFile{fd, offset, out.truncate_at};
    return MHD_create_response_from_callback(static_cast<uint64_t>(length), 64 * 1024,
                                             &read_truncated, file, &free_truncated);
  }
  return MHD_create_response_from_fd_at_offset64(static_cast<uint64_t>(length), fd,
                                                 static_cast<uint64_t>(offset));
}

MHD_Result queue(MHD_Connection* connection, const HttpResponse& out) {
  int status = out.status;
  MHD_Response* response = nullptr;
  if (!out.file_path.empty()) {
    response = make_file_response(out, &status);
  } else {
    response = MHD_create_response_from_buffer(out.body.size(), const_cast<char*>(out.body.data()),
                                               MHD_RESPMEM_MUST_COPY);
  }
  if (response == nullptr) return MHD_NO;
  if (status == out.status && !out.content_type.empty())
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, out.content_type.c_str());
  for (const auto& [name, value] : out.headers)
    MHD_add_response_header(response, name.c_str(), value.c_str());
  MHD_Result result = MHD_queue_response(connection, static_cast<unsigned>(status), response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* request = static_cast<HttpRequest*>(cls);
  std::string name(key);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  request->headers[name] = value != nullptr ? value : "";
  return MHD_YES;
}

MHD_Result collect_argument(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<HttpRequest*>(cls)->query.emplace(key, value != nullptr ? value : "");
  return MHD_YES;
}

}  // namespace

struct HttpServer::Impl {
  Config config;
  HttpHandler handler;
  MHD_Daemon* daemon = nullptr;
  int port = 0;

  // Suspended connections and when to resume them.
  std::mutex timer_mutex;
  std::condition_variable timer_wake;
  std::multimap<Clock::time_point, MHD_Connection*> timers;
  bool stopping = false;
  std::thread timer_thread;

  void schedule_resume(MHD_Connection* connection, int delay_ms) {
    std::lock_guard lock(timer_mutex);
    if (stopping) {  // no timer thread any more: answer now rather than leave it suspended
      MHD_resume_connection(connection);
      return;
    }
    timers.emplace(Clock::now() + std::chrono::milliseconds(delay_ms), connection);
    timer_wake.notify_one();
  }

  void run_timers() {
    std::unique_lock lock(timer_mutex);
    while (!stopping) {
      if (timers.empty()) {
        timer_wake.wait(lock);
        continue;
      }
      auto due = timers.begin()->first;
      if (Clock::now() < due) {
        timer_wake.wait_until(lock, due);
        continue;
      }
      MHD_Connection* connection = timers.begin()->second;
      timers.erase(timers.begin());
      MHD_resume_connection(connection);
    }
  }

  void resume_all() {
    std::lock_guard lock(timer_mutex);
    for (auto& [due, connection] : timers) MHD_resume_connection(connection);
    timers.clear();
  }

  MHD_Result on_request(MHD_Connection* connection, const char* url, const char* method,
                        const char* upload_data, size_t* upload_size, void** con_cls) {
    auto* context = static_cast<RequestContext*>(*con_cls);
    if (context == nullptr) {
      context = new RequestContext;
      *con_cls = context;
      start_request(connection, url, method, context->request);
      return MHD_YES;
    }
    if (*upload_size > 0) {
      HttpRequest& request = context->request;
      if (!request.body_too_large) {
        if (request.body.size() + *upload_size > config.max_body) {
          request.body_too_large = true;
          std::string().swap(request.body);
        } else {
          request.body.append(upload_data, *upload_size);
        }
      }
      *upload_size = 0;
      return MHD_YES;
    }
    if (context->have_response) return queue(connection, context->response);
    HttpResponse response;
    try {
      response = handler(context->request);
    } catch (...) {  // never let an exception unwind into libmicrohttpd's C frames
      return MHD_NO;
    }
    if (response.drop) return MHD_NO;
    if (response.delay_ms > 0) {
      context->response = std::move(response);
      context->have_response = true;
      MHD_suspend_connection(connection);
      schedule_resume(connection, context->response.delay_ms);
      return MHD_YES;
    }
    return queue(connection, response);
  }

  void start_request(MHD_Connection* connection, const char* url, const char* method,
                     HttpRequest& request) {
    request.method = method;
    request.path = url;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &collect_header, &request);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &collect_argument, &request);
    // MHD hands over the path only; rebuild a query string for handlers that
    // want it whole (sorted by name, values decoded).
    for (const auto& [key, value] : request.query) {
      if (!request.raw_query.empty()) request.raw_query += '&';
      request.raw_query += key + "=" + value;
    }
    std::string length = request.header("content-length");
    if (!length.empty()) {
      uint64_t announced = std::strtoull(length.c_str(), nullptr, 10);
      if (announced > config.max_body)
        request.body_too_large = true;
      else
        request.body.reserve(announced);  // big inline images: one allocation
    }
  }
};

namespace {

MHD_Result access_handler(void* cls, MHD_Connection* connection, const char* url,
                          const char* method, const char*, const char* upload_data,
                          size_t* upload_size, void** con_cls) {
  return static_cast<HttpServer::Impl*>(cls)->on_request(connection, url, method, upload_data,
                                                         upload_size, con_cls);
}

void request_completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<RequestContext*>(*con_cls);
  *con_cls = nullptr;
}

// A thousand polling clients need a thousand descriptors: lift the soft limit
// to the hard one.
void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

HttpServer::HttpServer(Config config, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  raise_fd_limit();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(impl_->config.port));
  if (inet_pton(AF_INET, impl_->config.host.c_str(), &address.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: " + impl_->config.host);
  impl_->stopping = false;
  impl_->daemon = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, 0, nullptr, nullptr,
      &access_handler, impl_.get(), MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_THREAD_POOL_SIZE,
      impl_->config.threads, MHD_OPTION_CONNECTION_LIMIT, 8192u, MHD_OPTION_LISTEN_BACKLOG_SIZE,
      4096u, MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED, &request_completed,
      nullptr, MHD_OPTION_END);
  if (impl_->daemon == nullptr)
    throw std::runtime_error("cannot listen on " + impl_->config.host + ":" +
                             std::to_string(impl_->config.port) + " (port in use?)");
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl_->port = info != nullptr ? info->port : impl_->config.port;
  impl_->timer_thread = std::thread([this] { impl_->run_timers(); });
}

void HttpServer::stop() {
  if (impl_->daemon == nullptr) return;
  {
    std::lock_guard lock(impl_->timer_mutex);
    impl_->stopping = true;
    impl_->timer_wake.notify_one();
  }
  impl_->timer_thread.join();
  impl_->resume_all();
  MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
}

int HttpServer::port() const {
  return impl_->port;
}

}  // namespace reel::sim
