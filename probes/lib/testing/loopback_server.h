// SPDX-License-Identifier: GPL-2.0-or-later
// LoopbackServer: a scripted HTTP(S) server on 127.0.0.1 for the tests of
// the HttpClient implementations. It accepts connections one at a time on an
// ephemeral port in its own thread and hands each to the test's handler,
// which plays the server byte by byte (so tests can send malformed, chunked,
// truncated or stalled replies, or close at any moment). The connection is
// closed when the handler returns.
//
// With TLS, each connection is TLS-accepted (blocking, 10 s limit) with the
// given certificate before the handler sees it; a failed handshake (the
// client rejected the certificate) is counted, and the handler not called.
//
// The destructor stops accepting and joins the thread; a handler still
// running must return on its own (every read has a 10 s limit, and
// WaitForClose() returns when the client closes).
#ifndef AUTOMON_PROBES_LIB_TESTING_LOOPBACK_SERVER_H_
#define AUTOMON_PROBES_LIB_TESTING_LOOPBACK_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/unique_fd.h"

struct ssl_st;
struct ssl_ctx_st;

namespace automon::probe::testing {

// One accepted connection, plain or TLS.
class ServerConnection {
 public:
  ServerConnection(int fd, ssl_st* ssl) : fd_(fd), ssl_(ssl) {}

  // Reads one request: the head up to the blank line plus a body of its
  // Content-Length. "" when the client closed first (or on error/timeout).
  std::string ReadRequest();
  // Writes all of `bytes`; false on error (the client closed).
  bool Write(std::string_view bytes);
  // Blocks until the client closes the connection (or 10 s pass).
  void WaitForClose();

 private:
  bool ReadMore();
  int fd_;
  ssl_st* ssl_;
  std::string buffer_;
};

class LoopbackServer {
 public:
  struct Tls {
    std::string cert_file;  // PEM
    std::string key_file;   // PEM
  };
  // Called once per accepted connection; `index` counts from 0.
  using Handler = std::function<void(ServerConnection& connection, int index)>;

  explicit LoopbackServer(Handler handler, std::optional<Tls> tls = std::nullopt);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  std::string Url(std::string_view path = "/x") const;
  // Connections accepted so far (TLS handshake failures included).
  int accepted() const { return accepted_.load(); }
  // TLS handshakes that failed.
  int handshake_failures() const { return handshake_failures_.load(); }

 private:
  void Run();

  Handler handler_;
  bool tls_ = false;
  std::unique_ptr<ssl_ctx_st, void (*)(ssl_ctx_st*)> ctx_;
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> handshake_failures_{0};
  std::thread thread_;
};

// "STATUS_LINE\r\nContent-Type: application/json\r\nContent-Length: N\r\n"
// EXTRA_HEADERS (each ending in \r\n) "\r\n" BODY.
std::string Reply(std::string_view status_line, std::string_view body,
                  std::string_view extra_headers = "");

}  // namespace automon::probe::testing

#endif  // AUTOMON_PROBES_LIB_TESTING_LOOPBACK_SERVER_H_
