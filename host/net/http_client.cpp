// See http_client.hpp. The glue follows libcurl's multi-socket protocol:
// libcurl says which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
// call back (CURLMOPT_TIMERFUNCTION); libuv reports readiness and timeouts and
// we hand them to curl_multi_socket_action, then collect finished transfers
// with curl_multi_info_read. Tarantool's src/curl.c does the same on libev.
#include "host/net/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace reel::net {

namespace {

constexpr long kMaxHostConnections = 16;  // per host, as the simulator notes advise
constexpr long kMaxTotalConnections = 64;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool is_loopback_host(std::string host) {
  host = lower(host);
  if (host == "localhost" || host == "localhost.") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

// What an error text may show of a URL: scheme, host, port and (for API
// calls) the path. The query is left out because signed URLs carry
// credentials there, and so is a download's path, which may be signed too.
struct UrlCheck {
  std::string error;  // why the URL is refused, "" if it is fine
  std::string shown;  // for error texts
  bool loopback_http = false;
};

UrlCheck check_url(const std::string& url, bool show_path) {
  UrlCheck out;
  CURLU* u = curl_url();
  if (u == nullptr) throw std::bad_alloc();
  auto part = [u](CURLUPart which) {
    char* value = nullptr;
    std::string s;
    if (curl_url_get(u, which, &value, 0) == CURLUE_OK && value != nullptr) s = value;
    curl_free(value);
    return s;
  };
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    curl_url_cleanup(u);
    out.error = "not a valid absolute URL";
    return out;
  }
  std::string scheme = lower(part(CURLUPART_SCHEME));
  std::string host = part(CURLUPART_HOST);
  std::string port = part(CURLUPART_PORT);
  out.shown = scheme + "://" + host + (port.empty() ? "" : ":" + port) +
              (show_path ? part(CURLUPART_PATH) : "/...");
  curl_url_cleanup(u);
  if (scheme == "https") return out;
  if (scheme != "http") {
    out.error = "unsupported URL scheme \"" + scheme + "\" (only https, and http to loopback)";
  } else if (!is_loopback_host(host)) {
    out.error = "plain http to " + host +
                " is refused: unencrypted HTTP is allowed only to loopback hosts (127.0.0.0/8, "
                "::1, localhost); use https";
  } else {
    out.loopback_http = true;
  }
  return out;
}

// Transport errors worth another attempt: the network or the server may do
// better next time. Certificate, URL and local write errors will not.
bool transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// True when the failure proves the request never left this process: no
// connection (or no TLS session) was ever set up, so not one byte of it was
// sent and even a POST may be repeated.
bool never_sent(CURLcode code, CURL* easy) {
  curl_off_t connected = 0, pretransfer = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connected);
  curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      return pretransfer == 0;
    case CURLE_OPERATION_TIMEDOUT:  // a connect timeout, not a slow answer
      return connected == 0 && pretransfer == 0;
    default:
      return false;
  }
}

std::string describe(CURLcode code, const std::string& host_shown) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return "cannot resolve the host of " + host_shown;
    case CURLE_COULDNT_CONNECT:
      return "cannot connect to " + host_shown;
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out";
    case CURLE_PEER_FAILED_VERIFICATION:
      return "the server's TLS certificate could not be verified";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return "the connection broke before a complete answer arrived";
    case CURLE_PARTIAL_FILE:
      return "the answer ended before its announced length";
    default:
      return curl_easy_strerror(code);
  }
}

// "bytes 100-199/200" -> 100; -1 when unreadable.
int64_t content_range_start(const std::string& value) {
  int64_t start = -1;
  if (std::sscanf(value.c_str(), "bytes %" SCNd64 "-", &start) != 1) return -1;
  return start;
}

// "bytes */200" (a 416's Content-Range) -> 200; -1 when unreadable.
int64_t content_range_total(const std::string& value) {
  auto slash = value.rfind('/');
  if (slash == std::string::npos || slash + 1 >= value.size()) return -1;
  char* end = nullptr;
  long long total = std::strtoll(value.c_str() + slash + 1, &end, 10);
  return (end != nullptr && *end == '\0') ? total : -1;
}

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("cannot initialise libcurl");
  });
}

}  // namespace

struct HttpClient::Socket {
  uv_poll_t poll{};  // first, so the handle's address is the Socket's
  curl_socket_t fd = CURL_SOCKET_BAD;
  HttpClient* client = nullptr;
};

struct HttpClient::Transfer {
  HttpClient* client = nullptr;
  uint64_t id = 0;
  HttpRequest request;
  Callback done;
  HttpResponse response;
  std::string shown_url;      // the URL without its query, for error texts
  bool retry_always = false;  // idempotent method or download: retry whatever happened

  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  bool in_multi = false;
  uv_timer_t* retry_timer = nullptr;  // created at the first retry
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string local_error;  // set by our callbacks when they abort the transfer

  // download_to
  int fd = -1;
  int64_t resume_from = 0;  // the file's size when this attempt started
  int64_t write_pos = 0;
  enum class Sink { undecided, file, memory } sink = Sink::undecided;

  // Decides where a download's body goes once its status is known: into the
  // file for 2xx (after checking that a 206 resumes where we asked), into
  // `body` for an error answer. False (with local_error) aborts the transfer.
  bool choose_sink();

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);  // removed from the multi handle by now
    curl_slist_free_all(header_list);
    if (fd >= 0) close(fd);
    if (retry_timer != nullptr)
      uv_close(reinterpret_cast<uv_handle_t*>(retry_timer),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
};

size_t HttpClient::on_header(char* data, size_t size, size_t count, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * count;
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after a redirect or 100 Continue)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return len;
}

bool HttpClient::Transfer::choose_sink() {
  Transfer& t = *this;
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  if (status == 206) {
    int64_t start = content_range_start(t.response.headers["content-range"]);
    if (start != t.resume_from) {
      t.local_error = "the server resumed " + t.request.download_to + " at byte " +
                      std::to_string(start) + ", not at " + std::to_string(t.resume_from);
      return false;
    }
    t.write_pos = start;
    t.sink = Sink::file;
  } else if (status >= 200 && status < 300) {
    // The whole body is coming: start the file over.
    if (ftruncate(t.fd, 0) != 0) {
      t.local_error = "cannot truncate " + t.request.download_to + ": " + std::strerror(errno);
      return false;
    }
    t.write_pos = 0;
    t.sink = Sink::file;
  } else {
    t.sink = Sink::memory;
  }
  return true;
}

size_t HttpClient::on_write(char* data, size_t size, size_t count, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * count;
  if (t->fd >= 0 && t->sink == Transfer::Sink::undecided && !t->choose_sink())
    return 0;  // CURLE_WRITE_ERROR; local_error says why
  if (t->fd < 0 || t->sink == Transfer::Sink::memory) {
    t->response.body.append(data, len);
    return len;
  }
  size_t written = 0;
  while (written < len) {
    ssize_t n = pwrite(t->fd, data + written, len - written, static_cast<off_t>(t->write_pos));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      t->local_error = "cannot write " + t->request.download_to + ": " + std::strerror(errno);
      return 0;
    }
    written += static_cast<size_t>(n);
    t->write_pos += n;
  }
  return len;
}

HttpClient::HttpClient(EventLoop& loop) : loop_(loop), rng_(std::random_device{}()) {
  init_curl_once();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("cannot create a libcurl multi handle");
  CURLM* multi = multi_;
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &HttpClient::on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &HttpClient::on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, kMaxHostConnections);
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, kMaxTotalConnections);
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));

  // Heap handles: their close callbacks may run after the client is gone.
  curl_timer_ = new uv_timer_t;
  uv_timer_init(loop_.get(), curl_timer_);
  curl_timer_->data = this;
  delivery_timer_ = new uv_timer_t;
  uv_timer_init(loop_.get(), delivery_timer_);
  delivery_timer_->data = this;
}

HttpClient::~HttpClient() {
  for (auto& [id, t] : transfers_) {
    if (t->in_multi) curl_multi_remove_handle(multi_, t->easy);
    t->in_multi = false;
  }
  transfers_.clear();  // drops their callbacks uncalled (see the header)
  pending_.clear();
  auto free_on_close = [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); };
  for (Socket* s : sockets_) uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), free_on_close);
  sockets_.clear();
  // libcurl may still report sockets while it closes its connection cache;
  // their watchers are closed already.
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, nullptr);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, nullptr);
  curl_multi_cleanup(multi_);
  for (uv_timer_t* timer : {curl_timer_, delivery_timer_})
    uv_close(reinterpret_cast<uv_handle_t*>(timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

uint64_t HttpClient::send(HttpRequest request, Callback done) {
  uint64_t id = next_id_++;
  auto owned = std::make_unique<Transfer>();
  Transfer& t = *owned;
  t.client = this;
  t.id = id;
  t.request = std::move(request);
  t.done = std::move(done);
  t.retry_always = is_idempotent(t.request.method) || !t.request.download_to.empty();

  UrlCheck url = check_url(t.request.url, t.request.download_to.empty());
  t.shown_url = url.shown.empty() ? "the URL" : url.shown;
  std::string error = url.error;
  if (error.empty() && !t.request.download_to.empty()) {
    t.fd = open(t.request.download_to.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (t.fd < 0) error = "cannot open " + t.request.download_to + ": " + std::strerror(errno);
  }
  if (error.empty() && (t.easy = curl_easy_init()) == nullptr) error = "cannot create a transfer";
  if (!error.empty()) {
    HttpResponse response;
    response.error = t.request.method + " " + t.shown_url + " refused: " + error;
    deliver_later(std::move(t.done), std::move(response));
    return id;
  }

  CURL* easy = t.easy;
  const HttpRequest& r = t.request;
  curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects only to https: check_url cannot vet where a redirect points, and
  // plain http is allowed to loopback alone. (Certificate checks stay at
  // libcurl's defaults: on.)
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  // A proxy from the environment must not see loopback traffic.
  if (url.loopback_http) curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::ceil(r.timeout * 1000)));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::ceil(r.connect_timeout * 1000)));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  // Compressed answers for API calls; a download keeps the identity encoding
  // so that byte ranges refer to the file itself.
  if (r.download_to.empty()) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  for (const std::string& h : r.headers)
    t.header_list = curl_slist_append(t.header_list, h.c_str());
  // No "Expect: 100-continue" round trip before a body.
  t.header_list = curl_slist_append(t.header_list, "Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.header_list);
  // libcurl silently sends a request again when a reused keep-alive connection
  // closes before any answer. That is harmless for GET, but a POST that the
  // server received before it dropped the connection would be sent twice, so
  // non-idempotent requests get a connection of their own.
  if (!t.retry_always) curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  if (r.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (r.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH" || !r.body.empty()) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
    }
  }

  transfers_.emplace(id, std::move(owned));
  start_attempt(t);
  return id;
}

void HttpClient::start_attempt(Transfer& t) {
  t.response.attempts++;
  t.response.status = 0;
  t.response.body.clear();
  t.response.headers.clear();
  t.response.error.clear();
  t.local_error.clear();
  t.errbuf[0] = '\0';
  t.sink = Transfer::Sink::undecided;
  std::string range;
  if (t.fd >= 0) {
    struct stat st {};
    t.resume_from = fstat(t.fd, &st) == 0 ? st.st_size : 0;
    if (t.resume_from > 0) range = std::to_string(t.resume_from) + "-";
  }
  curl_easy_setopt(t.easy, CURLOPT_RANGE, range.empty() ? nullptr : range.c_str());
  CURLMcode rc = curl_multi_add_handle(multi_, t.easy);
  if (rc != CURLM_OK) {
    t.response.error = t.request.method + " " + t.shown_url + " failed: " + curl_multi_strerror(rc);
    HttpResponse response = std::move(t.response);
    Callback done = std::move(t.done);
    transfers_.erase(t.id);
    deliver_later(std::move(done), std::move(response));
    return;
  }
  t.in_multi = true;
}

void HttpClient::finish_attempt(Transfer& t, int curl_code) {
  auto code = static_cast<CURLcode>(curl_code);
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  HttpResponse& r = t.response;
  r.status = static_cast<int>(status);
  const RetryPolicy& policy = t.request.retry;
  bool retry = false;
  double delay = -1;  // < 0: the back-off decides

  if (code == CURLE_OK) {
    r.request_sent = true;
    if (t.fd >= 0 && status == 416 && t.resume_from > 0 &&
        content_range_total(r.headers["content-range"]) == t.resume_from) {
      r.status = 206;  // asked for the bytes after the end: the file is complete
      r.body.clear();
    } else if (t.fd >= 0 && t.sink == Transfer::Sink::undecided && status >= 200 && status < 300 &&
               status != 206) {
      // An empty body never reached on_write; the file must still hold it.
      if (ftruncate(t.fd, 0) != 0) r.error = "cannot truncate " + t.request.download_to;
    } else if (status == 429) {
      retry = t.retry_always || policy.retry_post_on_429;
      if (auto it = r.headers.find("retry-after"); it != r.headers.end()) {
        if (auto seconds = parse_retry_after(it->second, std::time(nullptr))) {
          if (*seconds > policy.max_retry_after) retry = false;
          delay = *seconds;
        }
      }
    } else if (status >= 500 && status <= 599) {
      retry = t.retry_always;  // a POST may have had its effect
      if (auto it = r.headers.find("retry-after"); it != r.headers.end())
        if (auto seconds = parse_retry_after(it->second, std::time(nullptr)))
          delay = std::min(*seconds, policy.max_retry_after);
    }
  } else {
    if (!t.local_error.empty()) {
      r.error = t.local_error;  // our own write failed: retrying will not help
    } else {
      bool sent = r.status > 0 || !never_sent(code, t.easy);
      r.request_sent = r.request_sent || sent;  // once maybe delivered, always maybe delivered
      retry = transient(code) && (t.retry_always || !sent);
      r.error = describe(code, t.shown_url);
      if (t.errbuf[0] != '\0') r.error += std::string(" (") + t.errbuf + ")";
    }
  }
  if (t.fd >= 0) {
    struct stat st {};
    r.downloaded = fstat(t.fd, &st) == 0 ? st.st_size : 0;
  }

  if (retry && r.attempts < policy.max_attempts) {
    if (delay < 0) delay = backoff_delay(policy, r.attempts + 1, rng_);
    if (t.retry_timer == nullptr) {
      t.retry_timer = new uv_timer_t;
      uv_timer_init(loop_.get(), t.retry_timer);
      t.retry_timer->data = &t;
    }
    uv_update_time(loop_.get());
    uv_timer_start(
        t.retry_timer,
        [](uv_timer_t* timer) {
          auto* transfer = static_cast<Transfer*>(timer->data);
          transfer->client->start_attempt(*transfer);
        },
        static_cast<uint64_t>(std::llround(delay * 1000)), 0);
    return;
  }

  if (!r.error.empty()) {
    std::string text = t.request.method + " " + t.shown_url + " failed: " + r.error;
    if (r.attempts > 1) text += "; gave up after " + std::to_string(r.attempts) + " attempts";
    if (r.request_sent && !t.retry_always)
      text += "; the request may have reached the server, so it was not repeated";
    r.error = std::move(text);
  }
  complete(t.id);
}

void HttpClient::complete(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  std::unique_ptr<Transfer> t = std::move(it->second);
  transfers_.erase(it);
  HttpResponse response = std::move(t->response);
  Callback done = std::move(t->done);
  t.reset();  // frees the easy handle and closes the file before the caller renames it
  if (done) done(std::move(response));
}

void HttpClient::cancel(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = *it->second;
  if (t.in_multi) curl_multi_remove_handle(multi_, t.easy);
  t.in_multi = false;
  HttpResponse response = std::move(t.response);
  response.cancelled = true;
  response.error = "cancelled";
  Callback done = std::move(t.done);
  transfers_.erase(it);
  deliver_later(std::move(done), std::move(response));
}

void HttpClient::deliver_later(Callback done, HttpResponse response) {
  pending_.emplace_back(std::move(done), std::move(response));
  uv_timer_start(
      delivery_timer_,
      [](uv_timer_t* timer) { static_cast<HttpClient*>(timer->data)->deliver_pending(); }, 0, 0);
}

void HttpClient::deliver_pending() {
  auto batch = std::move(pending_);
  pending_.clear();
  for (auto& [done, response] : batch)
    if (done) done(std::move(response));
}

int HttpClient::on_socket(void* /*easy*/, int fd, int what, void* client, void* socket) {
  auto* self = static_cast<HttpClient*>(client);
  auto* s = static_cast<Socket*>(socket);
  if (what == CURL_POLL_REMOVE) {
    if (s != nullptr) {
      // Stopped now (libcurl may reuse the descriptor at once), freed later.
      uv_poll_stop(&s->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&s->poll),
               [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); });
      self->sockets_.erase(s);
      curl_multi_assign(self->multi_, fd, nullptr);
    }
    return 0;
  }
  if (s == nullptr) {
    s = new Socket;
    s->fd = fd;
    s->client = self;
    if (uv_poll_init_socket(self->loop_.get(), &s->poll, fd) != 0) {
      delete s;
      return -1;  // libcurl fails the transfers on this socket
    }
    s->poll.data = s;
    self->sockets_.insert(s);
    curl_multi_assign(self->multi_, fd, s);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, [](uv_poll_t* h, int status, int ev) {
    auto* sock = static_cast<Socket*>(h->data);
    sock->client->on_poll(sock, status, ev);
  });
  return 0;
}

int HttpClient::on_timer(void* /*multi*/, long timeout_ms, void* client) {
  auto* self = static_cast<HttpClient*>(client);
  if (timeout_ms < 0) {
    uv_timer_stop(self->curl_timer_);
  } else {
    // Even a 0 ms timeout goes through the loop: libcurl must not be called
    // back from inside its own callback.
    uv_timer_start(
        self->curl_timer_, [](uv_timer_t* h) { static_cast<HttpClient*>(h->data)->on_timeout(); },
        static_cast<uint64_t>(timeout_ms), 0);
  }
  return 0;
}

void HttpClient::on_timeout() {
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done();
}

void HttpClient::on_poll(Socket* socket, int status, int events) {
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  int running = 0;
  curl_multi_socket_action(multi_, socket->fd, flags, &running);
  check_done();
}

void HttpClient::check_done() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    Transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    curl_multi_remove_handle(multi_, easy);
    t->in_multi = false;
    // May call a completion callback, which may send or cancel other transfers:
    // libcurl allows that between curl_multi_info_read calls.
    finish_attempt(*t, code);
  }
}

}  // namespace reel::net
