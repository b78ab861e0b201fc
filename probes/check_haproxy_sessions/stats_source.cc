// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_haproxy_sessions/stats_source.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/result.h"
#include "common/unique_fd.h"

namespace automon::haproxy {
namespace {

using probe::ProbeError;
using probe::TransportErrorKind;

std::string TimeoutText(const probe::Timeout& timeout) {
  const long seconds = static_cast<long>(timeout.duration.count());
  return fmt::format("within {} seconds (-t {})", seconds, seconds);
}

ProbeError TransportFailure(const probe::TransportError& error, const std::string& url,
                            const probe::Timeout& timeout) {
  const std::string detail = probe::SanitizeLine(error.detail);
  switch (error.kind) {
    case TransportErrorKind::kResolve:
      return {
          probe::kUnknown,
          fmt::format("cannot resolve the host name of {}: check --url and DNS ({})", url, detail)};
    case TransportErrorKind::kRefused:
      return {probe::kCritical,
              fmt::format("connection to {} refused: is HAProxy running, with its stats page "
                          "listening there?",
                          url)};
    case TransportErrorKind::kConnect:
      return {probe::kCritical, fmt::format("cannot connect to {}: {}", url, detail)};
    case TransportErrorKind::kTimeout:
      return {timeout.state,
              fmt::format("no complete reply from {} {}", url, TimeoutText(timeout))};
    case TransportErrorKind::kTlsVerify:
      return {probe::kCritical,
              fmt::format("the TLS certificate of {} failed verification: {}", url, detail)};
    case TransportErrorKind::kTlsHandshake:
      return {probe::kCritical,
              fmt::format("TLS handshake with {} failed ({}): does it speak HTTPS?", url, detail)};
    case TransportErrorKind::kCaFile:
      return {probe::kUnknown, fmt::format("cannot use the CA bundle: {}", detail)};
    case TransportErrorKind::kTooLarge:
      return {probe::kUnknown,
              fmt::format("reply from {} is too large ({}); is this a stats page?", url, detail)};
    case TransportErrorKind::kOther:
      break;
  }
  return {probe::kCritical, fmt::format("request to {} failed: {}", url, detail)};
}

}  // namespace

std::string CsvUrl(std::string_view url) {
  std::string_view base = url.substr(0, url.find('#'));
  std::string out(base);
  if (base.find(";csv") == std::string_view::npos) out += ";csv";
  return out;
}

probe::Outcome<std::string> FetchStatsHttp(probe::HttpClient& http, const HttpSource& source,
                                           probe::Deadline deadline,
                                           const probe::Timeout& timeout) {
  probe::HttpRequest request;
  request.url = CsvUrl(source.url);
  if (!source.username.empty()) {
    request.headers.push_back(probe::BasicAuthorizationHeader(source.username, source.password));
  }
  request.timeout = std::max(std::chrono::milliseconds(1), deadline.Remaining());
  const std::string shown = probe::SanitizeLine(request.url);
  if (deadline.Expired()) {
    return ProbeError{timeout.state,
                      fmt::format("no time left to query {} {}", shown, TimeoutText(timeout))};
  }
  probe::HttpResult result = http.Send(request);
  if (!result.ok()) return TransportFailure(result.error(), shown, timeout);
  const probe::HttpResponse& response = result.response();
  const long status = response.status;
  if (status == 200) return response.body;
  if (status == 401) {
    if (source.username.empty()) {
      return ProbeError{probe::kUnknown,
                        fmt::format("{} needs authentication (HTTP 401): give --username and "
                                    "--password-file (or HAPROXY_PASSWORD)",
                                    shown)};
    }
    return ProbeError{probe::kCritical,
                      fmt::format("HAProxy refused the credentials of user '{}' at {} (HTTP "
                                  "401): check 'stats auth' and the password file",
                                  probe::SanitizeLine(source.username), shown)};
  }
  if (status == 403) {
    return ProbeError{probe::kCritical,
                      fmt::format("HAProxy denied access to {} (HTTP 403)", shown)};
  }
  if (status >= 300 && status < 400) {
    return ProbeError{
        probe::kUnknown,
        fmt::format("{} redirects to {} (HTTP {}): point --url at the stats page itself", shown,
                    response.location.empty() ? "(no Location)"
                                              : "'" + probe::SanitizeLine(response.location) + "'",
                    status)};
  }
  if (status == 404) {
    return ProbeError{probe::kUnknown,
                      fmt::format("no stats page at {} (HTTP 404): check --url against HAProxy's "
                                  "'stats uri'",
                                  shown)};
  }
  if (status >= 500) {
    return ProbeError{probe::kCritical,
                      fmt::format("{} answered HTTP {}: HAProxy or the server behind that URL "
                                  "reports an error (is 'stats uri' set there?)",
                                  shown, status)};
  }
  return ProbeError{probe::kUnknown, fmt::format("unexpected HTTP {} from {}", status, shown)};
}

namespace {

ProbeError SocketTimeout(const std::string& where, std::string_view step,
                         const probe::Timeout& timeout) {
  return {timeout.state,
          fmt::format("stats socket {} did not {} {}", where, step, TimeoutText(timeout))};
}

// poll() for `events` on `fd` until the deadline. Returns 1 when ready,
// 0 on timeout, -1 with errno set on error.
int WaitFor(int fd, short events, probe::Deadline deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int ms = static_cast<int>(std::min<long long>(deadline.Remaining().count(), 1 << 30));
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && !deadline.Expired()) continue;  // poll may wake up a little early
    return n > 0 ? 1 : n;
  }
}

}  // namespace

probe::Outcome<std::string> ReadStatsSocket(const SocketSource& source, probe::Deadline deadline,
                                            const probe::Timeout& timeout, size_t max_bytes) {
  const std::string where = "'" + probe::SanitizeLine(source.path) + "'";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (source.path.empty() || source.path.size() >= sizeof(addr.sun_path)) {
    return ProbeError{probe::kUnknown,
                      fmt::format("stats socket path {} is empty or longer than {} bytes", where,
                                  sizeof(addr.sun_path) - 1)};
  }
  std::memcpy(addr.sun_path, source.path.data(), source.path.size());

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return ProbeError{probe::kUnknown, SystemError("socket", errno, "AF_UNIX").message};
  }
  // A blocking connect() on an AF_UNIX socket only waits when the listener's
  // backlog is full, and Linux bounds that wait by SO_SNDTIMEO.
  const long ms = std::max<long>(1, static_cast<long>(deadline.Remaining().count()));
  timeval send_timeout{ms / 1000, (ms % 1000) * 1000};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout)) != 0) {
    return ProbeError{probe::kUnknown, SystemError("setsockopt", errno, "SO_SNDTIMEO").message};
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    switch (error) {
      case ENOENT:
        return ProbeError{probe::kCritical,
                          fmt::format("no stats socket at {}: HAProxy is not running, or its "
                                      "'stats socket' is elsewhere",
                                      where)};
      case ECONNREFUSED:
        return ProbeError{probe::kCritical,
                          fmt::format("stats socket {} refuses connections: HAProxy is not "
                                      "running (the socket file is left over)",
                                      where)};
      case EACCES:
      case EPERM:
        return ProbeError{probe::kUnknown,
                          fmt::format("permission denied on stats socket {}: run the probe as a "
                                      "user that may connect (see the socket's owner, group and "
                                      "mode)",
                                      where)};
      case EAGAIN:
      case EINPROGRESS:
      case ETIMEDOUT:
        return SocketTimeout(where, "accept the connection", timeout);
      default:
        return ProbeError{probe::kUnknown,
                          SystemError("connect", error, probe::SanitizeLine(source.path)).message};
    }
  }

  constexpr std::string_view kCommand = "show stat\n";
  size_t sent = 0;
  while (sent < kCommand.size()) {
    ssize_t n = ::send(fd.get(), kCommand.data() + sent, kCommand.size() - sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int ready = WaitFor(fd.get(), POLLOUT, deadline);
      if (ready == 0) return SocketTimeout(where, "take the command", timeout);
      if (ready > 0) continue;
    }
    return ProbeError{probe::kCritical,
                      fmt::format("stats socket {} closed before taking the command: {}", where,
                                  std::strerror(errno))};
  }

  std::string reply;
  char buffer[16384];
  while (true) {
    ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      if (reply.size() + static_cast<size_t>(n) > max_bytes) {
        return ProbeError{
            probe::kUnknown,
            fmt::format("reply from stats socket {} is larger than {} bytes", where, max_bytes)};
      }
      reply.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;  // HAProxy closes the connection after the reply
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int ready = WaitFor(fd.get(), POLLIN, deadline);
      if (ready == 0) return SocketTimeout(where, "finish its reply", timeout);
      if (ready > 0) continue;
    }
    return ProbeError{probe::kCritical, fmt::format("reading stats socket {} failed: {}", where,
                                                    std::strerror(errno))};
  }
  return reply;
}

}  // namespace automon::haproxy
