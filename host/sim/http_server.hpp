// A small HTTP/1.1 server on libmicrohttpd: epoll, a few internal threads,
// thousands of keep-alive connections. Handlers run on the server threads, so
// they must be quick: no rendering, no sleeping. A handler that wants to answer
// late (a "slow" fault) returns a delay; the connection is suspended and
// resumed by a timer thread instead of blocking a server thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reel::sim {

struct HttpRequest {
  std::string method;
  std::string path;                               // decoded, without the query
  std::string raw_query;                          // as sent, without '?'
  std::multimap<std::string, std::string> query;  // decoded arguments
  std::map<std::string, std::string> headers;     // names lower-cased
  std::string body;
  bool body_too_large = false;  // over HttpServer::Config::max_body; body is then empty

  std::string header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type = "application/json";
  // Serve a file instead of `body` (MHD sends it with sendfile).
  std::string file_path;
  int64_t file_offset = 0;   // a byte range of the file: first byte...
  int64_t file_length = -1;  // ...and how many (-1: to the end)
  int64_t truncate_at = -1;  // >= 0: announce the full length, send this many bytes, then cut
  bool drop = false;         // close the connection without answering
  int delay_ms = 0;          // answer this much later, without holding a server thread
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  struct Config {
    std::string host = "127.0.0.1";
    int port = 0;
    size_t max_body = 20u * 1024 * 1024;
    unsigned threads = 4;
  };
  HttpServer(Config config, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();  // throws std::runtime_error
  void stop();
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace reel::sim
