// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/testing/loopback_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "common/c_deleter.h"

namespace automon::probe::testing {

bool ServerConnection::ReadMore() {
  char chunk[16384];
  int n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof(chunk))
                          : static_cast<int>(::recv(fd_, chunk, sizeof(chunk), 0));
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::string ServerConnection::ReadRequest() {
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore()) return "";
  }
  end += 4;
  size_t length = 0;
  std::string head = buffer_.substr(0, end);
  for (std::string_view name : {"Content-Length: ", "content-length: "}) {
    size_t at = head.find(name);
    if (at != std::string::npos)
      length = std::strtoul(head.c_str() + at + name.size(), nullptr, 10);
  }
  while (buffer_.size() < end + length) {
    if (!ReadMore()) return "";
  }
  std::string request = buffer_.substr(0, end + length);
  buffer_.erase(0, end + length);
  return request;
}

bool ServerConnection::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    int n = ssl_ != nullptr
                ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                : static_cast<int>(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void ServerConnection::WaitForClose() {
  while (ReadMore()) {
  }
}

LoopbackServer::LoopbackServer(Handler handler, std::optional<Tls> tls)
    : handler_(std::move(handler)), tls_(tls.has_value()), ctx_(nullptr, SSL_CTX_free) {
  if (tls) {
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    if (!ctx_ || SSL_CTX_use_certificate_chain_file(ctx_.get(), tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_.get(), tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("LoopbackServer: cannot load " + tls->cert_file);
    }
  }
  listener_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (!listener_.valid() ||
      ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::listen(listener_.get(), 8) != 0) {
    throw std::runtime_error("LoopbackServer: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

LoopbackServer::~LoopbackServer() {
  stop_ = true;
  thread_.join();
}

std::string LoopbackServer::Url(std::string_view path) const {
  return fmt::format("{}://127.0.0.1:{}{}", tls_ ? "https" : "http", port_, path);
}

void LoopbackServer::Run() {
  // Replies may go to a client that already gave up; SIGPIPE (raised by
  // OpenSSL's write(2)) stays pending on this thread instead of killing the test.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  for (int index = 0; !stop_;) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) continue;
    ++accepted_;
    timeval limit{10, 0};
    ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    ::setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    std::unique_ptr<SSL, CDeleter<SSL_free>> ssl;
    if (tls_) {
      ssl.reset(SSL_new(ctx_.get()));
      SSL_set_fd(ssl.get(), conn.get());
      if (SSL_accept(ssl.get()) != 1) {
        ++handshake_failures_;
        continue;
      }
    }
    ServerConnection connection(conn.get(), ssl.get());
    handler_(connection, index++);
  }
}

std::string Reply(std::string_view status_line, std::string_view body,
                  std::string_view extra_headers) {
  return fmt::format("{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{}",
                     status_line, body.size(), extra_headers, body);
}

}  // namespace automon::probe::testing
