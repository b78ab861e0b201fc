// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/socket_http_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "common/c_deleter.h"
#include "common/parse_integer.h"
#include "common/signals.h"
#include "common/unique_fd.h"
#include "probes/lib/deadline.h"

namespace automon::probe {

using SslCtx = std::unique_ptr<SSL_CTX, CDeleter<SSL_CTX_free>>;
using Ssl = std::unique_ptr<SSL, CDeleter<SSL_free>>;
using AddrInfo = std::unique_ptr<addrinfo, CDeleter<freeaddrinfo>>;

namespace socket_http_internal {

struct TlsContext {
  SslCtx ctx;
};

struct Connection {
  std::string origin;  // "scheme://host:port" it is connected to
  UniqueFd fd;
  Ssl ssl;             // null for http; freed before fd is closed (member order)
  std::string buffer;  // bytes received and not yet consumed
};

}  // namespace socket_http_internal

using socket_http_internal::Connection;
using socket_http_internal::TlsContext;

namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxHeaderBytes = 100 * 1024;  // libcurl's limit too
constexpr size_t kReadChunk = 16 * 1024;

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets
  int port = 0;
  std::string authority;  // the Host header: host, [v6], plus ":port" unless the default
  std::string target;     // path and query, at least "/"
  bool ip_literal = false;
  std::string Origin() const { return fmt::format("{}://{}:{}", scheme, host, port); }
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

TransportError Other(std::string detail) {
  return TransportError{TransportErrorKind::kOther, std::move(detail)};
}

std::optional<Url> ParseUrl(std::string_view text, TransportError* error) {
  auto malformed = [&](std::string_view why) {
    *error = Other(fmt::format("URL rejected: {}", why));
    return std::nullopt;
  };
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return malformed("control character or space in the URL");
    }
  }
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return malformed("no scheme");
  Url url;
  std::string_view scheme = text.substr(0, colon);
  if (EqualsIgnoreCase(scheme, "http")) {
    url.scheme = "http";
  } else if (EqualsIgnoreCase(scheme, "https")) {
    url.scheme = "https";
  } else {
    *error = TransportError{TransportErrorKind::kOther,
                            fmt::format("Protocol \"{}\" not supported", scheme)};
    return std::nullopt;
  }
  const int default_port = url.scheme == "https" ? 443 : 80;
  std::string_view rest = text.substr(colon + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return malformed("credentials in the URL are not supported");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return malformed("unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return malformed("junk after the IPv6 address");
      port_text = after.substr(1);
    }
    in6_addr ignored;
    if (::inet_pton(AF_INET6, url.host.c_str(), &ignored) != 1) {
      return malformed("bad IPv6 address");
    }
    url.ip_literal = true;
  } else {
    size_t port_colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, port_colon));
    if (port_colon != std::string_view::npos) port_text = authority.substr(port_colon + 1);
    in_addr ignored;
    url.ip_literal = ::inet_pton(AF_INET, url.host.c_str(), &ignored) == 1;
  }
  if (url.host.empty()) return malformed("no host name");
  url.port = default_port;
  if (!port_text.empty()) {
    const Result<int> port = ParseInteger(port_text, 1, 65535);
    if (!port) return malformed("bad port number");
    url.port = *port;
  }
  std::string host_part = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  url.authority = url.port == default_port ? host_part : fmt::format("{}:{}", host_part, url.port);
  tail = tail.substr(0, tail.find('#'));
  url.target = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  return url;
}

// The total time budget of one Send().
struct Budget {
  Deadline deadline;
  milliseconds total;

  TransportError Expired() const {
    return TransportError{TransportErrorKind::kTimeout,
                          fmt::format("Operation timed out after {} milliseconds", total.count())};
  }
};

// Waits until `fd` is ready for `events` (or in error: the next I/O call
// reports that), or the budget is spent.
std::optional<TransportError> Wait(int fd, short events, const Budget& budget) {
  for (;;) {
    milliseconds left = budget.deadline.Remaining();
    if (left <= milliseconds(0)) return budget.Expired();
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (rc > 0) return std::nullopt;
    if (rc < 0 && errno != EINTR) {
      return Other(fmt::format("poll: {}", std::strerror(errno)));
    }
  }
}

// OpenSSL's oldest queued error as text, then the queue emptied; `fallback`
// when the queue is empty.
std::string OpenSslError(std::string_view fallback) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// The outcome of one I/O step: an error, and whether the connection was
// lost in a way that allows one retry on a fresh connection (reset or
// closed by the peer).
struct IoError {
  TransportError error;
  bool connection_lost = false;
};

std::optional<IoError> WriteAll(Connection& c, std::string_view data, const Budget& budget) {
  while (!data.empty()) {
    if (c.ssl) {
      ERR_clear_error();
      int n = SSL_write(c.ssl.get(), data.data(),
                        static_cast<int>(std::min<size_t>(data.size(), INT_MAX)));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      int e = SSL_get_error(c.ssl.get(), n);
      int saved_errno = errno;
      if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        if (auto error = Wait(c.fd.get(), e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, budget)) {
          return IoError{*error};
        }
        continue;
      }
      if (e == SSL_ERROR_SYSCALL && saved_errno != 0 && ERR_peek_error() == 0) {
        return IoError{Other(fmt::format("Send failure: {}", std::strerror(saved_errno))), true};
      }
      return IoError{Other("OpenSSL SSL_write: " + OpenSslError("SSL_ERROR_SYSCALL")), true};
    }
    ssize_t n = ::send(c.fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto error = Wait(c.fd.get(), POLLOUT, budget)) return IoError{*error};
    } else if (errno != EINTR) {
      return IoError{Other(fmt::format("Send failure: {}", std::strerror(errno))), true};
    }
  }
  return std::nullopt;
}

// Reads what is available (waiting for at least one byte) and appends it to
// c.buffer; *eof is set when the peer closed the connection instead.
std::optional<IoError> ReadSome(Connection& c, const Budget& budget, bool* eof) {
  char chunk[kReadChunk];
  *eof = false;
  for (;;) {
    if (c.ssl) {
      ERR_clear_error();
      int n = SSL_read(c.ssl.get(), chunk, sizeof(chunk));
      if (n > 0) {
        c.buffer.append(chunk, static_cast<size_t>(n));
        return std::nullopt;
      }
      int e = SSL_get_error(c.ssl.get(), n);
      int saved_errno = errno;
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (auto error = Wait(c.fd.get(), e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, budget)) {
          return IoError{*error};
        }
        continue;
      }
      if (e == SSL_ERROR_ZERO_RETURN) {  // close_notify, or EOF (IGNORE_UNEXPECTED_EOF)
        *eof = true;
        return std::nullopt;
      }
      if (e == SSL_ERROR_SYSCALL && saved_errno != 0 && ERR_peek_error() == 0) {
        return IoError{Other(fmt::format("Recv failure: {}", std::strerror(saved_errno))), true};
      }
      return IoError{Other("OpenSSL SSL_read: " + OpenSslError("SSL_ERROR_SYSCALL")), true};
    }
    ssize_t n = ::recv(c.fd.get(), chunk, sizeof(chunk), 0);
    if (n > 0) {
      c.buffer.append(chunk, static_cast<size_t>(n));
      return std::nullopt;
    }
    if (n == 0) {
      *eof = true;
      return std::nullopt;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto error = Wait(c.fd.get(), POLLIN, budget)) return IoError{*error};
    } else if (errno != EINTR) {
      return IoError{Other(fmt::format("Recv failure: {}", std::strerror(errno))), true};
    }
  }
}

// True when an idle keep-alive connection still looks usable: nothing to
// read (a close or unexpected bytes both disqualify it).
bool StillOpen(Connection& c) {
  pollfd p{c.fd.get(), POLLIN, 0};
  int rc = ::poll(&p, 1, 0);
  if (rc == 0) return true;
  if (rc < 0) return false;
  if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return false;
  if (c.ssl) {
    // Readable may mean a TLS 1.3 session ticket, which SSL_read consumes
    // without returning data.
    char byte;
    ERR_clear_error();
    int n = SSL_read(c.ssl.get(), &byte, 1);
    int e = SSL_get_error(c.ssl.get(), n);
    ERR_clear_error();
    return n <= 0 && e == SSL_ERROR_WANT_READ;
  }
  char byte;
  ssize_t n = ::recv(c.fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Opens a TCP connection to the first address of `url` that accepts one.
std::optional<TransportError> ConnectTcp(const Url& url, const Budget& budget, UniqueFd* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  // Cannot be interrupted or bounded; the Watchdog is the backstop.
  int rc = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &raw);
  AddrInfo list(raw);
  if (rc != 0) {
    // libcurl's words exactly: some probes quote them (check_haproxy_sessions).
    return TransportError{TransportErrorKind::kResolve,
                          fmt::format("Could not resolve host: {}", url.host)};
  }
  if (budget.deadline.Expired()) return budget.Expired();
  int last_errno = 0;
  for (addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last_errno = errno;
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS && errno != EINTR) {
        last_errno = errno;
        continue;
      }
      if (auto error = Wait(fd.get(), POLLOUT, budget)) return error;
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error != 0) {
        last_errno = so_error;
        continue;
      }
    }
    int one = 1;
    (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *out = std::move(fd);
    return std::nullopt;
  }
  return TransportError{
      last_errno == ECONNREFUSED ? TransportErrorKind::kRefused : TransportErrorKind::kConnect,
      fmt::format("Failed to connect to {} port {}: {}", url.host, url.port,
                  std::strerror(last_errno))};
}

std::optional<TransportError> MakeTlsContext(const SocketHttpOptions& options, SslCtx* out) {
  ERR_clear_error();
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Other("SSL_CTX_new: " + OpenSslError("out of memory"));
  // Many servers close without close_notify; the HTTP framing
  // (Content-Length, chunked) still detects a truncated reply.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (options.insecure) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    if (!options.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
        ERR_clear_error();
        return TransportError{TransportErrorKind::kCaFile,
                              fmt::format("error setting certificate file: {}", options.ca_file)};
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return Other("cannot load the system trust store: " + OpenSslError("unknown error"));
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  *out = std::move(ctx);
  return std::nullopt;
}

std::optional<TransportError> Handshake(SSL_CTX* ctx, const Url& url,
                                        const SocketHttpOptions& options, const Budget& budget,
                                        Connection& c) {
  ERR_clear_error();
  Ssl ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), c.fd.get()) != 1) {
    return Other("SSL_new: " + OpenSslError("out of memory"));
  }
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof(kAlpn));
  // RFC 6066: no IP literals in SNI.
  if (!url.ip_literal) SSL_set_tlsext_host_name(ssl.get(), url.host.c_str());
  if (!options.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    int set = 0;
    if (url.ip_literal) {
      set = X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      set = X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
    }
    if (set != 1) return Other("cannot set the host name to verify: " + OpenSslError("?"));
  }
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    int e = SSL_get_error(ssl.get(), rc);
    int saved_errno = errno;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto error = Wait(c.fd.get(), e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, budget)) {
        return error;
      }
      continue;
    }
    long verify = SSL_get_verify_result(ssl.get());
    if (!options.insecure && verify != X509_V_OK) {
      ERR_clear_error();
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        return TransportError{
            TransportErrorKind::kTlsVerify,
            fmt::format("SSL: no alternative certificate subject name matches target host name "
                        "'{}'",
                        url.host)};
      }
      return TransportError{
          TransportErrorKind::kTlsVerify,
          fmt::format("SSL certificate problem: {}", X509_verify_cert_error_string(verify))};
    }
    // libcurl's wording, so the probes' messages did not change with the client.
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return TransportError{
          TransportErrorKind::kTlsHandshake,
          fmt::format("OpenSSL SSL_connect: {} in connection to {}:{}",
                      saved_errno != 0 ? std::strerror(saved_errno) : "SSL_ERROR_SYSCALL", url.host,
                      url.port)};
    }
    return TransportError{
        TransportErrorKind::kTlsHandshake,
        fmt::format("OpenSSL/{}.{}.{}: {}", OPENSSL_version_major(), OPENSSL_version_minor(),
                    OPENSSL_version_patch(), OpenSslError("SSL_ERROR_SSL"))};
  }
  c.ssl = std::move(ssl);
  return std::nullopt;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

bool HasHeader(const std::vector<std::string>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const std::string& h) {
    size_t colon = h.find(':');
    return colon != std::string::npos && EqualsIgnoreCase(Trim(h.substr(0, colon)), name);
  });
}

std::optional<TransportError> Serialize(const HttpRequest& request, const Url& url,
                                        const SocketHttpOptions& options, std::string* out) {
  if (!IsToken(request.method)) return Other(fmt::format("bad method '{}'", request.method));
  std::string& wire = *out;
  wire = fmt::format("{} {} HTTP/1.1\r\n", request.method, url.target);
  if (!HasHeader(request.headers, "Host")) wire += fmt::format("Host: {}\r\n", url.authority);
  if (!HasHeader(request.headers, "User-Agent")) {
    wire += fmt::format("User-Agent: {}\r\n", options.user_agent);
  }
  if (!HasHeader(request.headers, "Accept")) wire += "Accept: */*\r\n";
  for (const std::string& header : request.headers) {
    if (header.find_first_of("\r\n") != std::string::npos ||
        header.find(':') == std::string::npos) {
      return Other("malformed request header (no colon, or a line break)");
    }
    wire += header;
    wire += "\r\n";
  }
  // Like libcurl: a POST always states its length (0 included) and
  // defaults to a form body; other methods only when they carry one.
  const bool post = request.method == "POST";
  if (post || !request.body.empty()) {
    if (post && !HasHeader(request.headers, "Content-Type")) {
      wire += "Content-Type: application/x-www-form-urlencoded\r\n";
    }
    wire += fmt::format("Content-Length: {}\r\n", request.body.size());
  }
  wire += "\r\n";
  wire += request.body;
  return std::nullopt;
}

// The parsed head of a reply.
struct Head {
  long status = 0;
  bool http10 = false;
  bool keep_alive = true;
  bool chunked = false;
  bool other_coding = false;  // a transfer-coding other than chunked: read to EOF
  std::optional<size_t> content_length;
  std::string content_type;
  std::string location;
};

std::optional<TransportError> ParseHead(std::string_view block, Head* head) {
  size_t eol = block.find('\n');
  std::string_view status_line = Trim(block.substr(0, eol));
  if (status_line.substr(0, 5) != "HTTP/") {
    return Other("Received HTTP/0.9 when not allowed");  // libcurl's words for a non-HTTP reply
  }
  if (status_line.substr(0, 9) == "HTTP/1.0 ") {
    head->http10 = true;
    head->keep_alive = false;
  } else if (status_line.substr(0, 9) != "HTTP/1.1 ") {
    return Other(fmt::format("Unsupported HTTP version in reply: '{}'", status_line.substr(0, 8)));
  }
  std::string_view code = status_line.substr(9, 3);
  if (code.size() != 3 ||
      !std::all_of(code.begin(), code.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Other("Unsupported response code in HTTP response");
  }
  head->status = std::stol(std::string(code));
  std::string_view rest = eol == std::string_view::npos ? "" : block.substr(eol + 1);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // tolerated, as by libcurl
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Type")) {
      head->content_type = std::string(value);
    } else if (EqualsIgnoreCase(name, "Location")) {
      head->location = std::string(value);
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      const Result<size_t> length = ParseInteger<size_t>(value);
      if (!length || (head->content_length && *head->content_length != *length)) {
        return Other("Invalid Content-Length: value in reply");
      }
      head->content_length = *length;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      // The last coding decides the framing (RFC 9112 section 6.3).
      std::string_view last =
          Trim(value.substr(value.rfind(',') == std::string_view::npos ? 0 : value.rfind(',') + 1));
      head->chunked = EqualsIgnoreCase(last, "chunked");
      head->other_coding = !head->chunked;
    } else if (EqualsIgnoreCase(name, "Connection")) {
      if (EqualsIgnoreCase(value, "close")) head->keep_alive = false;
      if (EqualsIgnoreCase(value, "keep-alive")) head->keep_alive = true;
    }
  }
  return std::nullopt;
}

// The end of the header block in `buffer` (after its blank line), or npos.
size_t HeadEnd(std::string_view buffer) {
  for (size_t nl = buffer.find('\n'); nl != std::string_view::npos;
       nl = buffer.find('\n', nl + 1)) {
    if (nl + 1 < buffer.size() && buffer[nl + 1] == '\n') return nl + 2;
    if (nl + 2 < buffer.size() && buffer[nl + 1] == '\r' && buffer[nl + 2] == '\n') return nl + 3;
  }
  return std::string_view::npos;
}

struct Exchange {
  HttpResponse response;
  bool keep_alive = false;
};

std::optional<IoError> ReadMore(Connection& c, const Budget& budget, std::string_view on_eof) {
  bool eof = false;
  if (auto error = ReadSome(c, budget, &eof)) return error;
  if (eof) return IoError{Other(std::string(on_eof))};
  return std::nullopt;
}

TransportError TooLarge(size_t limit) {
  return TransportError{TransportErrorKind::kTooLarge,
                        fmt::format("reply larger than {} bytes", limit)};
}

// Decodes a chunked body starting at c.buffer[0], consuming it.
std::optional<IoError> ReadChunked(Connection& c, const Budget& budget, size_t limit,
                                   std::string* body) {
  constexpr std::string_view kCut = "transfer closed with outstanding read data remaining";
  size_t pos = 0;
  auto line = [&](std::string_view* out) -> std::optional<IoError> {
    size_t nl;
    while ((nl = c.buffer.find('\n', pos)) == std::string::npos) {
      if (c.buffer.size() - pos > 4096) {
        return IoError{Other("Malformed encoding found in chunked-encoding")};
      }
      if (auto error = ReadMore(c, budget, kCut)) return error;
    }
    *out = Trim(std::string_view(c.buffer).substr(pos, nl - pos));
    pos = nl + 1;
    return std::nullopt;
  };
  for (;;) {
    std::string_view size_line;
    if (auto error = line(&size_line)) return error;
    std::string_view digits = Trim(size_line.substr(0, size_line.find(';')));
    size_t size = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
      return IoError{Other("Malformed encoding found in chunked-encoding")};
    }
    if (size == 0) break;
    if (size > limit || body->size() + size > limit) return IoError{TooLarge(limit)};
    while (c.buffer.size() - pos < size) {
      if (auto error = ReadMore(c, budget, kCut)) return error;
    }
    body->append(c.buffer, pos, size);
    pos += size;
    std::string_view crlf;
    if (auto error = line(&crlf)) return error;
    if (!crlf.empty()) return IoError{Other("Malformed encoding found in chunked-encoding")};
  }
  for (;;) {  // trailer fields, up to the blank line
    std::string_view trailer;
    if (auto error = line(&trailer)) return error;
    if (trailer.empty()) break;
  }
  c.buffer.erase(0, pos);
  return std::nullopt;
}

// Sends `wire` and reads one complete reply.
std::optional<IoError> Talk(Connection& c, std::string_view wire, bool head_request,
                            const Budget& budget, size_t limit, Exchange* out) {
  if (auto error = WriteAll(c, wire, budget)) return error;
  Head head;
  for (;;) {  // skip interim 1xx replies
    size_t end;
    while ((end = HeadEnd(c.buffer)) == std::string::npos) {
      if (c.buffer.size() > kMaxHeaderBytes) {
        return IoError{Other(fmt::format("reply headers larger than {} bytes", kMaxHeaderBytes))};
      }
      bool eof = false;
      const bool nothing_yet = c.buffer.empty();
      if (auto error = ReadSome(c, budget, &eof)) {
        error->connection_lost = error->connection_lost && nothing_yet;
        return error;
      }
      if (eof) {
        return IoError{Other(nothing_yet ? "Empty reply from server"
                                         : "connection closed in the middle of the reply headers"),
                       nothing_yet};
      }
    }
    head = Head{};
    if (auto error = ParseHead(std::string_view(c.buffer).substr(0, end), &head)) {
      return IoError{*error};
    }
    c.buffer.erase(0, end);
    if (head.status >= 200 || head.status == 101) break;
  }
  out->response.status = head.status;
  out->response.content_type = head.content_type;
  if (head.status >= 300 && head.status < 400) out->response.location = head.location;
  out->keep_alive = head.keep_alive;
  std::string& body = out->response.body;
  if (head_request || head.status == 204 || head.status == 304 ||
      (head.status >= 100 && head.status < 200)) {
    // no body
  } else if (head.chunked) {
    if (auto error = ReadChunked(c, budget, limit, &body)) return error;
  } else if (head.content_length && !head.other_coding) {
    size_t length = *head.content_length;
    if (length > limit) return IoError{TooLarge(limit)};
    while (c.buffer.size() < length) {
      bool eof = false;
      if (auto error = ReadSome(c, budget, &eof)) return error;
      if (eof) {
        return IoError{Other(fmt::format("transfer closed with {} bytes remaining to read",
                                         length - c.buffer.size()))};
      }
    }
    body.assign(c.buffer, 0, length);
    c.buffer.erase(0, length);
  } else {  // delimited by the end of the connection
    out->keep_alive = false;
    for (;;) {
      if (c.buffer.size() > limit) return IoError{TooLarge(limit)};
      bool eof = false;
      if (auto error = ReadSome(c, budget, &eof)) return error;
      if (eof) break;
    }
    body = std::move(c.buffer);
    c.buffer.clear();
  }
  // Bytes after the reply we did not ask for: do not trust the connection.
  if (!c.buffer.empty()) out->keep_alive = false;
  return std::nullopt;
}

}  // namespace

SocketHttpClient::SocketHttpClient(SocketHttpOptions options) : options_(std::move(options)) {}

SocketHttpClient::~SocketHttpClient() = default;

HttpResult SocketHttpClient::Send(const HttpRequest& request) {
  const Budget budget{Deadline::After(std::max(request.timeout, milliseconds(1))), request.timeout};
  TransportError url_error;
  std::optional<Url> url = ParseUrl(request.url, &url_error);
  if (!url) return url_error;
  std::string wire;
  if (auto error = Serialize(request, *url, options_, &wire)) return *error;
  ScopedSigpipeBlock no_sigpipe;

  const std::string origin = url->Origin();
  if (connection_ && (connection_->origin != origin || !StillOpen(*connection_))) {
    connection_.reset();
  }
  for (int attempt = 0;; ++attempt) {
    const bool reused = connection_ != nullptr;
    if (!connection_) {
      auto fresh = std::make_unique<Connection>();
      fresh->origin = origin;
      if (auto error = ConnectTcp(*url, budget, &fresh->fd)) return *error;
      ++connections_opened_;
      if (url->scheme == "https") {
        if (!tls_) {
          SslCtx ctx;
          if (auto error = MakeTlsContext(options_, &ctx)) return *error;
          tls_ = std::make_unique<TlsContext>(TlsContext{std::move(ctx)});
        }
        if (auto error = Handshake(tls_->ctx.get(), *url, options_, budget, *fresh)) {
          return *error;
        }
      }
      connection_ = std::move(fresh);
    }
    Exchange exchange;
    std::optional<IoError> error = Talk(*connection_, wire, request.method == "HEAD", budget,
                                        options_.max_body_bytes, &exchange);
    if (error) {
      connection_.reset();
      // A kept-alive connection the server closed just before our request
      // arrived: once more on a fresh one, as libcurl does.
      if (reused && error->connection_lost && attempt == 0 && !budget.deadline.Expired()) {
        continue;
      }
      return error->error;
    }
    if (!exchange.keep_alive) connection_.reset();
    if (!exchange.response.location.empty()) {
      exchange.response.location = ResolveLocation(request.url, exchange.response.location);
    }
    return std::move(exchange.response);
  }
}

std::string ResolveLocation(std::string_view base, std::string_view location) {
  size_t scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos) return std::string(location);
  // Absolute: a scheme before any '/', '?' or '#'.
  size_t colon = location.find(':');
  if (colon != std::string_view::npos && colon < location.find_first_of("/?#") &&
      std::all_of(location.begin(), location.begin() + static_cast<long>(colon),
                  [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                           c == '.';
                  }) &&
      colon > 0) {
    return std::string(location);
  }
  std::string_view scheme = base.substr(0, scheme_end);
  if (location.substr(0, 2) == "//") return fmt::format("{}:{}", scheme, location);
  size_t path_start = base.find_first_of("/?#", scheme_end + 3);
  std::string_view origin = base.substr(0, path_start);
  if (location.empty()) return std::string(base.substr(0, base.find('#')));
  if (location.front() == '/') return fmt::format("{}{}", origin, location);
  std::string_view path = path_start == std::string_view::npos ? "/" : base.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  if (path.empty() || path.front() != '/') path = "/";
  if (location.front() == '?') return fmt::format("{}{}{}", origin, path, location);
  if (location.front() == '#') return fmt::format("{}{}", base.substr(0, base.find('#')), location);
  return fmt::format("{}{}{}", origin, path.substr(0, path.rfind('/') + 1), location);
}

}  // namespace automon::probe
