// SPDX-License-Identifier: GPL-2.0-or-later
// HttpServer: a small, bounded HTTP/1.1 server for exporters
// (check_guacamole --serve). It answers GET requests only, one request per
// connection (every response carries "Connection: close"), and is built to
// survive hostile clients:
//
//   - the request head (request line and headers) is at most
//     max_request_bytes and max_headers lines, else 431;
//   - a request must be complete within request_timeout of the accept,
//     and the response written within the same bound, else the connection
//     is dropped (slow senders and readers cost one slot for that long);
//   - at most max_connections are open; a new one evicts the oldest;
//   - request bodies (Content-Length > 0, Transfer-Encoding) are refused
//     with 400, methods other than GET with 405, versions other than
//     HTTP/1.0 and 1.1 with 505, targets that are not "/path[?query]" of
//     printable ASCII with 400.
//
// The handler runs on the server's thread; while it runs (an exporter's
// scrape), other connections wait, which keeps scrapes of one Guacamole
// strictly sequential. Single-threaded: poll(2) on the listening socket,
// the connections and a stop descriptor (a signalfd).
#ifndef AUTOMON_PROBES_LIB_HTTP_SERVER_H_
#define AUTOMON_PROBES_LIB_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace automon::probe {

struct ServerRequest {
  std::string method;
  std::string path;                                          // "/metrics", still percent-encoded
  std::string query;                                         // after '?', "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::string> headers;  // extra "Name: value" lines
};

struct ServerLimits {
  size_t max_request_bytes = 8192;
  size_t max_headers = 64;
  std::chrono::milliseconds request_timeout{10000};
  size_t max_connections = 32;
};

// The outcome of parsing what a client sent so far.
struct ParsedRequest {
  enum class Kind { kIncomplete, kComplete, kRefused };
  Kind kind = Kind::kIncomplete;
  ServerRequest request;   // kComplete
  ServerResponse refusal;  // kRefused: the error response to send
};

// Parses the request head in `data` (the bytes received so far). Lines end
// in CRLF or LF. Pure: no I/O.
ParsedRequest ParseRequestHead(std::string_view data, const ServerLimits& limits);

// The wire form of `response` with Content-Length and Connection: close.
std::string SerializeResponse(const ServerResponse& response);

// The reason phrase of the statuses the server sends ("Not Found").
std::string_view ReasonPhrase(int status);

// The value of `name` in an application/x-www-form-urlencoded query, percent-
// and '+'-decoded; nullopt when absent. An error for a malformed escape or
// a parameter given twice.
Result<std::optional<std::string>> QueryParameter(std::string_view query, std::string_view name);

// A listening TCP socket for "[ADDR:]PORT": ":9623" and "9623" listen on
// every address (IPv6 and IPv4), "127.0.0.1:9623" and "[::1]:9623" on one.
// Port 0 picks a free port. Errors name the address.
Result<UniqueFd> ListenTcp(std::string_view address);

// The port a listening socket is bound to.
int BoundPort(int listener);

class HttpServer {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;

  HttpServer(UniqueFd listener, ServerLimits limits, Handler handler)
      : listener_(std::move(listener)), limits_(limits), handler_(std::move(handler)) {}

  // Serves until `stop_fd` becomes readable (the caller reads it). An error
  // only for a failure of poll(2) itself.
  Result<void> Serve(int stop_fd) {
    return Serve(stop_fd, [] { return false; });
  }
  // Calls `on_event` whenever `event_fd` is readable (it must read it) and
  // serves on while that returns true; open connections stay open across
  // the call (a reload does not drop a scrape in flight).
  Result<void> Serve(int event_fd, const std::function<bool()>& on_event);

  // Connections dropped for a limit so far (timeouts and evictions).
  size_t dropped() const { return dropped_; }

 private:
  UniqueFd listener_;
  ServerLimits limits_;
  Handler handler_;
  size_t dropped_ = 0;
};

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_HTTP_SERVER_H_
