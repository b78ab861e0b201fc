// SPDX-License-Identifier: GPL-2.0-or-later
// SocketHttpClient: HttpClient on POSIX sockets for http:// and OpenSSL for
// https://, the two things Debian's check_http links. It exists because
// loading Debian's libcurl (32 more shared libraries, bound at start-up)
// costs a probe several times the CPU of the whole HTTP exchange; see the
// guacamole section of bench/README.md.
//
// What it speaks: HTTP/1.1 with one keep-alive connection per client, reused
// by consecutive requests to the same scheme, host and port and opened again
// transparently when the server has closed it (an idle connection found
// closed, or one that dies before the first byte of a reply, is retried once
// on a fresh connection). Bodies framed by Content-Length, chunked
// transfer-encoding or the end of the connection. No proxies (proxy
// variables are ignored), no redirects followed (a 3xx comes back as a
// response with HttpResponse::location set, made absolute), no
// compression, no HTTP/2.
//
// TLS: SNI (for host names, not for IP literals), certificate verification
// against the system trust store or only options.ca_file, host-name or
// IP-address verification (RFC 6125, no partial wildcards), all skipped
// with options.insecure. The TLS context is created, and the CA file read,
// on the first https request; a plain-http client never touches OpenSSL's
// trust store. OpenSSL (>= 1.1) initialises its process-wide state itself on
// first use and frees it at exit, so main() owns nothing here.
//
// Errors: a TransportError classified exactly as CurlHttpClient classifies
// libcurl's codes (the tests in http_client_test.cc run against both):
// kResolve, kRefused, kConnect, kTimeout (the request's whole timeout spent,
// connect, TLS handshake and every read and write included), kTlsVerify,
// kTlsHandshake, kCaFile, kTooLarge (a body over options.max_body_bytes),
// kOther (reset, malformed reply, ...). `detail` follows libcurl's wording
// where there is one ("SSL certificate problem: ...").
//
// The one wait the timeout cannot bound is getaddrinfo(3); the probe's
// Watchdog is the backstop there. SIGPIPE is blocked for the calling thread
// during Send() (and a SIGPIPE raised meanwhile discarded), so a server that
// closes mid-request yields an error, not a dead probe.
//
// Not thread-safe: one client per thread.
#ifndef AUTOMON_PROBES_LIB_SOCKET_HTTP_CLIENT_H_
#define AUTOMON_PROBES_LIB_SOCKET_HTTP_CLIENT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "probes/lib/http_client.h"

namespace automon::probe {

namespace socket_http_internal {
struct Connection;  // a socket, its TLS session, bytes read ahead
struct TlsContext;  // the SSL_CTX shared by one client's connections
}  // namespace socket_http_internal

struct SocketHttpOptions {
  std::string ca_file;    // --ca-file: trust only this PEM bundle, not the system's
  bool insecure = false;  // --insecure: skip certificate and host name verification
  std::string user_agent = "automon-probe";
  size_t max_body_bytes = 8 << 20;  // larger replies fail with kTooLarge
};

class SocketHttpClient final : public HttpClient {
 public:
  explicit SocketHttpClient(SocketHttpOptions options);
  ~SocketHttpClient() override;  // closes the connection, if any
  SocketHttpClient(const SocketHttpClient&) = delete;
  SocketHttpClient& operator=(const SocketHttpClient&) = delete;

  HttpResult Send(const HttpRequest& request) override;

  // Connections opened so far (for tests of keep-alive reuse).
  int connections_opened() const { return connections_opened_; }

 private:
  SocketHttpOptions options_;
  std::unique_ptr<socket_http_internal::TlsContext> tls_;  // created by the first https request
  std::unique_ptr<socket_http_internal::Connection> connection_;  // the keep-alive connection
  int connections_opened_ = 0;
};

// Exposed for tests: the absolute form of the Location header `location` of
// a reply to `base` (an absolute http(s) URL), per RFC 3986 section 5.2 for
// the forms servers send: absolute, network-path ("//host/p"), absolute-path
// ("/p") and relative ("p", "../p"; dot segments are not collapsed).
std::string ResolveLocation(std::string_view base, std::string_view location);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_SOCKET_HTTP_CLIENT_H_
