// SPDX-License-Identifier: GPL-2.0-or-later
// HttpClient: the small HTTP interface probes talk through, so their REST
// flows are unit-testable with a scripted fake (probes/lib/testing/).
//
// Send() performs one request and returns either the response (whatever
// its HTTP status) or a TransportError that says why no response came back.
// Redirects are never followed; a 3xx is returned as a response.
#ifndef AUTOMON_PROBES_LIB_HTTP_CLIENT_H_
#define AUTOMON_PROBES_LIB_HTTP_CLIENT_H_

#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/check.h"

namespace automon::probe {

struct HttpRequest {
  std::string method = "GET";                // "GET", "POST", "DELETE", ...
  std::string url;                           // absolute http:// or https:// URL
  std::vector<std::string> headers;          // "Name: value"
  std::string body;                          // sent when non-empty
  std::chrono::milliseconds timeout{10000};  // whole request, connect included

  bool operator==(const HttpRequest&) const = default;
};

struct HttpResponse {
  long status = 0;
  std::string content_type;  // the Content-Type header, "" when absent
  std::string location;      // the Location header of a redirect, else ""
  std::string body;

  bool operator==(const HttpResponse&) const = default;
};

enum class TransportErrorKind {
  kResolve,       // the host name does not resolve
  kRefused,       // TCP connection refused (nothing listens)
  kConnect,       // other connect failures (unreachable, ...)
  kTimeout,       // the request did not finish within its timeout
  kTlsVerify,     // the peer's certificate or host name did not verify
  kTlsHandshake,  // TLS failed before verification (not TLS? bad version?)
  kCaFile,        // the configured CA file cannot be used
  kTooLarge,      // the response exceeded the client's size limit
  kOther,         // anything else (connection reset, protocol error, ...)
};

struct TransportError {
  TransportErrorKind kind = TransportErrorKind::kOther;
  std::string detail;  // the library's own message, e.g. curl's error buffer

  bool operator==(const TransportError&) const = default;
};

// A response or a transport error. Accessors AUTOMON_CHECK the alternative.
class HttpResult {
 public:
  HttpResult(HttpResponse response) : state_(std::move(response)) {}  // NOLINT: implicit
  HttpResult(TransportError error) : state_(std::move(error)) {}      // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  const HttpResponse& response() const {
    AUTOMON_CHECK(ok());
    return std::get<0>(state_);
  }
  const TransportError& error() const {
    AUTOMON_CHECK(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<HttpResponse, TransportError> state_;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Not thread-safe unless an implementation says so.
  virtual HttpResult Send(const HttpRequest& request) = 0;
};

// Percent-encodes `text` for application/x-www-form-urlencoded bodies and
// query strings: unreserved characters (A-Z a-z 0-9 - . _ ~) stay, every
// other byte becomes %XX (space included, as %20).
std::string UrlEncode(std::string_view text);

// Standard base64 (RFC 4648 section 4) with '=' padding, no line breaks.
std::string Base64Encode(std::string_view bytes);

// The request header for HTTP Basic authentication (RFC 7617):
// "Authorization: Basic BASE64(user ':' password)". The result holds the
// password in reversible form: put it in HttpRequest::headers only, never in
// output, logs or argv.
std::string BasicAuthorizationHeader(std::string_view user, std::string_view password);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_HTTP_CLIENT_H_
