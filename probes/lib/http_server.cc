// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <list>

#include "common/parse_integer.h"

namespace automon::probe {
namespace {

using Clock = std::chrono::steady_clock;

ServerResponse Refusal(int status, std::string text, std::vector<std::string> headers = {}) {
  ServerResponse response;
  response.status = status;
  response.body = std::move(text) + "\n";
  response.headers = std::move(headers);
  return response;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> FormDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return Error{"malformed percent escape in the query"};
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return Error{"malformed percent escape in the query"};
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

ParsedRequest ParseRequestHead(std::string_view data, const ServerLimits& limits) {
  ParsedRequest parsed;
  size_t end = data.find("\n\n");
  size_t crlf = data.find("\r\n\r\n");
  size_t head_end = std::string_view::npos;
  if (crlf != std::string_view::npos) head_end = crlf + 4;
  if (end != std::string_view::npos && (head_end == std::string_view::npos || end + 2 < head_end)) {
    head_end = end + 2;
  }
  // Bytes that cannot be in a request line (a TLS handshake, binary junk)
  // are refused at once rather than when the time limit runs out.
  std::string_view first_line = data.substr(0, data.find('\n'));
  if (std::any_of(first_line.begin(), first_line.end(), [](char c) {
        unsigned char u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\r') || u >= 0x7f;
      })) {
    parsed.kind = ParsedRequest::Kind::kRefused;
    parsed.refusal = Refusal(400, "not an HTTP request");
    return parsed;
  }
  if (head_end == std::string_view::npos) {
    if (data.size() >= limits.max_request_bytes) {
      parsed.kind = ParsedRequest::Kind::kRefused;
      parsed.refusal =
          Refusal(431, fmt::format("request head over {} bytes", limits.max_request_bytes));
    }
    return parsed;
  }
  auto refuse = [&](int status, std::string text, std::vector<std::string> headers = {}) {
    parsed.kind = ParsedRequest::Kind::kRefused;
    parsed.refusal = Refusal(status, std::move(text), std::move(headers));
    return parsed;
  };
  if (head_end > limits.max_request_bytes) {
    return refuse(431, fmt::format("request head over {} bytes", limits.max_request_bytes));
  }
  std::string_view head = data.substr(0, head_end);
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < head.size()) {
    size_t nl = head.find('\n', start);
    std::string_view line = head.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return refuse(400, "empty request");
  if (lines.size() - 1 > limits.max_headers) {
    return refuse(431, fmt::format("more than {} header lines", limits.max_headers));
  }

  // Request line: METHOD SP TARGET SP VERSION.
  std::string_view line = lines[0];
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return refuse(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) {
    return refuse(400, "malformed request method");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (!version.starts_with("HTTP/")) return refuse(400, "malformed request line");
    return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
  }
  if (target.empty() || target.front() != '/' || !IsPrintableAscii(target) ||
      target.find('#') != std::string_view::npos) {
    return refuse(400, "the request target must be a path such as /metrics");
  }

  ServerRequest& request = parsed.request;
  request.method = std::string(method);
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));

  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view header = lines[i];
    if (header.front() == ' ' || header.front() == '\t') {
      return refuse(400, "folded header lines are not accepted");
    }
    size_t colon = header.find(':');
    if (colon == 0 || colon == std::string_view::npos) return refuse(400, "malformed header line");
    std::string_view name = header.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return refuse(400, "malformed header name");
    }
    std::string_view value = Trim(header.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          unsigned char u = static_cast<unsigned char>(c);
          return (u < 0x20 && c != '\t') || u == 0x7f;
        })) {
      return refuse(400, "control characters in a header value");
    }
    request.headers.emplace_back(Lower(name), std::string(value));
  }
  for (const auto& [name, value] : request.headers) {
    if (name == "transfer-encoding" || (name == "content-length" && value != "0")) {
      return refuse(400, "request bodies are not accepted");
    }
  }
  if (request.method != "GET") {
    return refuse(405, fmt::format("method {} not allowed: only GET is served", request.method),
                  {"Allow: GET"});
  }
  parsed.kind = ParsedRequest::Kind::kComplete;
  return parsed;
}

std::string SerializeResponse(const ServerResponse& response) {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", response.status,
                  ReasonPhrase(response.status), response.content_type, response.body.size());
  for (const std::string& header : response.headers) out += header + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += response.body;
  return out;
}

Result<std::optional<std::string>> QueryParameter(std::string_view query, std::string_view name) {
  std::optional<std::string> found;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    Result<std::string> key = FormDecode(pair.substr(0, eq));
    if (!key) return key.error();
    if (*key != name) continue;
    Result<std::string> value =
        FormDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return value.error();
    if (found) return Error{fmt::format("query parameter '{}' given more than once", name)};
    found = std::move(value).value();
  }
  return found;
}

Result<UniqueFd> ListenTcp(std::string_view address) {
  std::string host;
  std::string_view port_text = address;
  if (address.starts_with('[')) {
    size_t close = address.find("]:");
    if (close == std::string_view::npos) {
      return Error{fmt::format("invalid listen address '{}': expected [ADDR]:PORT", address)};
    }
    host = std::string(address.substr(1, close - 1));
    port_text = address.substr(close + 2);
  } else if (size_t colon = address.rfind(':'); colon != std::string_view::npos) {
    host = std::string(address.substr(0, colon));
    port_text = address.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return Error{
          fmt::format("invalid listen address '{}': write IPv6 addresses as [ADDR]:PORT", address)};
    }
  }
  Result<int> port = ParseInteger(port_text, 0, 65535);
  if (!port) {
    return Error{fmt::format("invalid listen address '{}': the port must be 0 to 65535", address)};
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET6;
  if (host.empty()) {
    auto* six = reinterpret_cast<sockaddr_in6*>(&storage);
    six->sin6_family = AF_INET6;
    six->sin6_addr = in6addr_any;
    six->sin6_port = htons(static_cast<uint16_t>(*port));
    length = sizeof(*six);
  } else if (host.find(':') != std::string::npos) {
    auto* six = reinterpret_cast<sockaddr_in6*>(&storage);
    six->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), &six->sin6_addr) != 1) {
      return Error{fmt::format("invalid listen address '{}': not an IPv6 address", address)};
    }
    six->sin6_port = htons(static_cast<uint16_t>(*port));
    length = sizeof(*six);
  } else {
    family = AF_INET;
    auto* four = reinterpret_cast<sockaddr_in*>(&storage);
    four->sin_family = AF_INET;
    if (inet_pton(AF_INET, host.c_str(), &four->sin_addr) != 1) {
      return Error{fmt::format(
          "invalid listen address '{}': expected an IP address (not a host name)", address)};
    }
    four->sin_port = htons(static_cast<uint16_t>(*port));
    length = sizeof(*four);
  }
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid() && host.empty() && errno == EAFNOSUPPORT) {
    // No IPv6 in this kernel: every IPv4 address instead.
    family = AF_INET;
    storage = {};
    auto* four = reinterpret_cast<sockaddr_in*>(&storage);
    four->sin_family = AF_INET;
    four->sin_addr.s_addr = htonl(INADDR_ANY);
    four->sin_port = htons(static_cast<uint16_t>(*port));
    length = sizeof(*four);
    fd.Reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  }
  if (!fd.valid()) return SystemError("socket", errno, address);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (family == AF_INET6 && host.empty()) {
    int zero = 0;  // dual-stack: IPv4 too
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    return SystemError("bind", errno, address);
  }
  if (::listen(fd.get(), 64) != 0) return SystemError("listen", errno, address);
  return fd;
}

int BoundPort(int listener) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (::getsockname(listener, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return -1;
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

namespace {

struct Connection {
  UniqueFd fd;
  Clock::time_point deadline;
  std::string in;
  std::string out;  // non-empty: writing the response
  size_t written = 0;
  // The response is out and the write side shut down: reading and
  // discarding until the client closes, so that closing with unread input
  // (an oversized request) does not reset the connection before the client
  // read the response.
  bool draining = false;
};

constexpr auto kDrainTime = std::chrono::milliseconds(500);

}  // namespace

Result<void> HttpServer::Serve(int event_fd, const std::function<bool()>& on_event) {
  std::list<Connection> connections;  // oldest first
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({event_fd, POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    Clock::time_point now = Clock::now();
    Clock::time_point next = now + std::chrono::hours(1);
    for (Connection& c : connections) {
      fds.push_back(
          {c.fd.get(), static_cast<short>(c.draining || c.out.empty() ? POLLIN : POLLOUT), 0});
      next = std::min(next, c.deadline);
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(wait, 0) + 1));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return SystemError("poll", errno, "the exporter's sockets");
    }
    if (fds[0].revents != 0) {
      if (!on_event()) return {};
      continue;  // the connections' revents are served on the next round
    }

    // Serve the existing connections first (fds[2..] match `connections`).
    size_t index = 2;
    now = Clock::now();
    for (auto it = connections.begin(); it != connections.end(); ++index) {
      Connection& c = *it;
      bool done = false;
      short revents = fds[index].revents;
      if (revents != 0 && c.draining) {
        char buffer[4096];
        ssize_t n = ::recv(c.fd.get(), buffer, sizeof(buffer), 0);
        done = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
      } else if (revents != 0 && c.out.empty()) {
        char buffer[4096];
        ssize_t n = ::recv(c.fd.get(), buffer, sizeof(buffer), 0);
        if (n <= 0) {
          done = n == 0 || (errno != EAGAIN && errno != EINTR);
        } else {
          // ParseRequestHead refuses a head over the limit, so `in`
          // never holds more than the limit plus one read.
          c.in.append(buffer, static_cast<size_t>(n));
          ParsedRequest parsed = ParseRequestHead(c.in, limits_);
          if (parsed.kind == ParsedRequest::Kind::kRefused) {
            c.out = SerializeResponse(parsed.refusal);
          } else if (parsed.kind == ParsedRequest::Kind::kComplete) {
            c.out = SerializeResponse(handler_(parsed.request));
            now = Clock::now();
          }
          if (parsed.kind != ParsedRequest::Kind::kIncomplete) {
            c.in.clear();
            c.in.shrink_to_fit();
          }
        }
      }
      if (!done && !c.draining && !c.out.empty()) {
        ssize_t n = ::send(c.fd.get(), c.out.data() + c.written, c.out.size() - c.written,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) c.written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) done = true;
        if (c.written == c.out.size()) {
          ::shutdown(c.fd.get(), SHUT_WR);
          c.draining = true;
          c.out.clear();
          c.out.shrink_to_fit();
          c.deadline = std::min(c.deadline, Clock::now() + kDrainTime);
        }
      }
      if (!done && now >= c.deadline) {
        if (!c.draining) ++dropped_;
        done = true;
      }
      it = done ? connections.erase(it) : std::next(it);
    }

    if (fds[1].revents != 0) {
      for (;;) {
        UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid()) break;
        int one = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connections.size() >= limits_.max_connections) {
          connections.pop_front();
          ++dropped_;
        }
        connections.push_back(Connection{std::move(fd), Clock::now() + limits_.request_timeout,
                                         std::string(), std::string(), 0});
      }
    }
  }
}

}  // namespace automon::probe
