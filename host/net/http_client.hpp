// HTTP(S) on the process's event loop: libcurl's multi-socket interface, its
// sockets watched by uv_poll_t handles and its timeouts by one uv_timer_t, so
// every transfer progresses on the loop thread without blocking it.
//
// Contract:
// - `done` runs on the loop thread, from a libuv callback (never inside send()
//   or cancel()), exactly once per send(): with the response, with a transport
//   error, or with `cancelled` set after cancel(). The one exception is the
//   destructor, which drops the callbacks of unfinished transfers without
//   calling them (whoever destroys the client is not waiting any more).
// - Not thread-safe: call it from the loop thread only.
// - A callback may call send() and cancel(), but must not destroy the client.
// - Destroy the client before its EventLoop; the loop's destructor runs the
//   close callbacks that free the client's handles.
// - Headers are never logged and never copied into error texts: they carry the
//   API key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "host/net/event_loop.hpp"
#include "host/net/retry.hpp"

namespace reel::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;                   // https://..., or http:// to a loopback host only
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when non-empty (or for POST/PUT/PATCH)
  double timeout = 60;               // seconds per attempt, the whole transfer included
  double connect_timeout = 15;       // seconds to set up a connection
  // Stream the body of a 2xx answer into this file instead of `body`. A file
  // that already holds N bytes is resumed with "Range: bytes=N-": appended to
  // on 206, rewritten on 200. Error bodies (non-2xx) still go to `body`.
  std::string download_to;
  RetryPolicy retry;
};

struct HttpResponse {
  int status = 0;    // the last attempt's HTTP status; 0 when none arrived
  std::string body;  // empty for a successful download_to
  std::map<std::string, std::string> headers;  // names in lower case; last value wins
  std::string error;                           // transport error text; "" when a response arrived
  int attempts = 0;
  // The request may have reached the server (a response arrived, or the
  // connection broke after sending began). When set on a failed POST the
  // caller must look the result up before sending it again.
  bool request_sent = false;
  bool cancelled = false;
  int64_t downloaded = 0;  // download_to: the file's size when the transfer ended

  bool ok() const { return error.empty() && !cancelled && status >= 200 && status < 300; }
};

class HttpClient {
 public:
  using Callback = std::function<void(HttpResponse&&)>;

  explicit HttpClient(EventLoop& loop);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a transfer; returns its id (never 0). Requests that are refused
  // before any connection (a bad URL, plain http to a remote host, a download
  // file that cannot be opened) still complete through `done`.
  uint64_t send(HttpRequest request, Callback done);

  // Stops a transfer (or its pending retry) at once; `done` follows with
  // `cancelled` set. Unknown or finished ids are ignored.
  void cancel(uint64_t id);

  // Transfers sent and not yet completed (waiting for a retry included).
  size_t in_flight() const { return transfers_.size(); }

 private:
  struct Transfer;
  struct Socket;

  static int on_socket(void* easy, int fd, int what, void* client, void* socket);
  static size_t on_header(char* data, size_t size, size_t count, void* transfer);
  static size_t on_write(char* data, size_t size, size_t count, void* transfer);
  static int on_timer(void* multi, long timeout_ms, void* client);
  void on_timeout();
  void on_poll(Socket* socket, int status, int events);
  void check_done();

  void start_attempt(Transfer& t);
  void finish_attempt(Transfer& t, int curl_code);
  void complete(uint64_t id);
  void deliver_later(Callback done, HttpResponse response);
  void deliver_pending();
  std::string prepare_download(Transfer& t);

  EventLoop& loop_;
  void* multi_ = nullptr;                 // CURLM*
  uv_timer_t* curl_timer_ = nullptr;      // libcurl's timeout
  uv_timer_t* delivery_timer_ = nullptr;  // runs callbacks queued by send() and cancel()
  std::unordered_set<Socket*> sockets_;
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::vector<std::pair<Callback, HttpResponse>> pending_;
  uint64_t next_id_ = 1;
  std::mt19937_64 rng_;
};

}  // namespace reel::net
