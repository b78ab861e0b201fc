// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <exception>
#include <system_error>
#include <thread>

#include "common/text.h"

namespace automon::registrar::ssh {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<std::string_view, 5> kVerbs = {"hello", "enroll", "register", "deregister",
                                                    "results"};
constexpr size_t kMaxCommandBytes = 1024;

std::string Address(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return fmt::format("{}:{}", host, port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return fmt::format("[{}]:{}", host, port);
}

// Everything one connection's callbacks share. Lives on the connection
// thread's stack for the whole life of the session.
struct Connection {
  Connection(Handler& h, const Limits& l, std::atomic<size_t>& b, std::function<void()> on_auth)
      : handler(h), limits(l), buffered(b), on_authenticated(std::move(on_auth)) {}
  ~Connection() { buffered -= request.input.size(); }
  Handler& handler;
  const Limits& limits;
  std::atomic<size_t>& buffered;  // the input all connections hold

  std::function<void()> on_authenticated;  // tells the slot table
  int auth_failures = 0;
  bool authenticated = false;
  bool exec = false;
  bool eof = false;
  bool closed = false;
  bool too_big = false;
  bool over_budget = false;      // all connections together hold max_buffered_input
  size_t max_input = 0;          // from the handler's Admission
  std::optional<Reply> refusal;  // from the handler's Admission
  UniqueFd arriving;             // from the handler's Admission, until Handle
  ssh_channel channel = nullptr;
  ssh_channel_callbacks_struct channel_callbacks{};
  Request request;
};

int OnAuthPubkey(ssh_session /*session*/, const char* user, ssh_key pubkey, char state,
                 void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (c.auth_failures >= c.limits.max_auth_attempts) return SSH_AUTH_DENIED;
  auto deny = [&] {
    ++c.auth_failures;
    return SSH_AUTH_DENIED;
  };
  if (user == nullptr || kUser != user) return deny();
  if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID) return deny();
  auto fingerprint = automon::ssh::FingerprintOf(pubkey);
  auto line = automon::ssh::PublicKeyLineOf(pubkey);
  if (!fingerprint || !line || !c.handler.AcceptsKey(*fingerprint)) return deny();
  // State NONE is a probe ("would you take this key?"): the answer is yes,
  // but the client is not authenticated until it signs.
  if (state == SSH_PUBLICKEY_STATE_VALID && !c.authenticated) {
    c.authenticated = true;
    c.request.fingerprint = *fingerprint;
    c.request.public_key = *line;
    c.on_authenticated();
  }
  return SSH_AUTH_SUCCESS;
}

int OnExec(ssh_session /*session*/, ssh_channel /*channel*/, const char* command, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (c.exec || command == nullptr) return SSH_ERROR;  // one command per connection
  const std::string_view text(command);
  if (text.size() > kMaxCommandBytes ||
      std::any_of(text.begin(), text.end(), [](char ch) { return ch < 0x20 || ch == 0x7f; })) {
    return SSH_ERROR;
  }
  const std::vector<std::string_view> words = SplitWords(text, " ");
  if (words.empty() || !IsAllowedVerb(words.front())) return SSH_ERROR;
  c.request.verb = std::string(words.front());
  c.request.args.assign(words.begin() + 1, words.end());
  // The limit is known before the first byte of input: a client never
  // makes us hold more than its command may take (a callback of C code:
  // nothing may escape it).
  try {
    Admission admission = c.handler.Admit(c.request);
    c.max_input = std::min(admission.max_input, c.limits.max_payload);
    c.refusal = std::move(admission.refusal);
    c.arriving = std::move(admission.arriving);
  } catch (const std::exception& e) {
    c.refusal = Reply{3, "", fmt::format("automon-registrar: internal error: {}\n", e.what())};
  }
  c.exec = true;
  return SSH_OK;
}

int OnData(ssh_session /*session*/, ssh_channel /*channel*/, void* data, uint32_t len,
           int is_stderr, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  // Input before the command, on stderr, after a refusal or past the
  // limit is dropped as it arrives, never kept.
  if (!c.exec || is_stderr || c.too_big || c.over_budget || c.refusal) {
    return static_cast<int>(len);
  }
  if (c.request.input.size() + len > c.max_input) {
    c.too_big = true;
    return static_cast<int>(len);
  }
  if (c.buffered.fetch_add(len) + len > c.limits.max_buffered_input) {
    c.buffered -= len;
    c.over_budget = true;
    return static_cast<int>(len);
  }
  c.request.input.append(static_cast<const char*>(data), len);
  return static_cast<int>(len);
}

void OnEof(ssh_session /*session*/, ssh_channel /*channel*/, void* userdata) {
  static_cast<Connection*>(userdata)->eof = true;
}

void OnClose(ssh_session /*session*/, ssh_channel /*channel*/, void* userdata) {
  static_cast<Connection*>(userdata)->closed = true;
}

ssh_channel OnChannelOpen(ssh_session session, void* userdata) {
  auto& c = *static_cast<Connection*>(userdata);
  if (!c.authenticated || c.channel != nullptr) return nullptr;  // one session channel
  c.channel = ssh_channel_new(session);
  if (c.channel == nullptr) return nullptr;
  c.channel_callbacks.userdata = &c;
  c.channel_callbacks.channel_exec_request_function = OnExec;
  c.channel_callbacks.channel_data_function = OnData;
  c.channel_callbacks.channel_eof_function = OnEof;
  c.channel_callbacks.channel_close_function = OnClose;
  ssh_callbacks_init(&c.channel_callbacks);
  ssh_set_channel_callbacks(c.channel, &c.channel_callbacks);
  return c.channel;
}

// Polls `event` until `done()` or the deadline; false on deadline or error.
template <typename Done>
bool PollUntil(ssh_event event, Clock::time_point deadline, Done done) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    if (ssh_event_dopoll(event, 100) == SSH_ERROR) return false;
  }
  return true;
}

void WriteAll(ssh_channel channel, const std::string& text, bool to_stderr) {
  size_t done = 0;
  while (done < text.size()) {
    const auto chunk = static_cast<uint32_t>(std::min<size_t>(text.size() - done, 32768));
    const int n = to_stderr ? ssh_channel_write_stderr(channel, text.data() + done, chunk)
                            : ssh_channel_write(channel, text.data() + done, chunk);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

bool SetNoDelay(int fd) {
  const int one = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

bool IsAllowedVerb(std::string_view verb) {
  return std::find(kVerbs.begin(), kVerbs.end(), verb) != kVerbs.end();
}

Result<std::unique_ptr<Server>> Server::Listen(const Options& options,
                                               const automon::ssh::Key& host_key,
                                               Handler& handler) {
  std::unique_ptr<Server> server(new Server(options, handler));
  server->bind_ = ssh_bind_new();
  if (server->bind_ == nullptr) return Error{"ssh_bind_new: out of memory"};
  ssh_bind b = server->bind_;
  // The bind takes ownership of the key it imports: give it its own copy.
  auto text = automon::ssh::ExportPrivateKey(host_key);
  if (!text) return text.error();
  auto copy = automon::ssh::ImportPrivateKey(*text, "host key");
  if (!copy) return copy.error();
  bool process_config = false;
  unsigned int port = static_cast<unsigned int>(options.port);
  // Modern algorithms only; the agent and OpenSSH 9.2 both speak them.
  struct {
    ssh_bind_options_e option;
    const void* value;
  } const settings[] = {
      {SSH_BIND_OPTIONS_PROCESS_CONFIG, &process_config},
      {SSH_BIND_OPTIONS_BINDADDR, options.address.c_str()},
      {SSH_BIND_OPTIONS_BINDPORT, &port},
      {SSH_BIND_OPTIONS_KEY_EXCHANGE, "curve25519-sha256,curve25519-sha256@libssh.org"},
      {SSH_BIND_OPTIONS_CIPHERS_C_S,
       "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr"},
      {SSH_BIND_OPTIONS_CIPHERS_S_C,
       "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr"},
      {SSH_BIND_OPTIONS_HMAC_C_S,
       "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256"},
      {SSH_BIND_OPTIONS_HMAC_S_C,
       "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256"},
      {SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "ssh-ed25519"},
      {SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, "ssh-ed25519,rsa-sha2-512,rsa-sha2-256"},
  };
  for (const auto& s : settings) {
    if (ssh_bind_options_set(b, s.option, s.value) != SSH_OK) {
      return Error{fmt::format("ssh_bind_options_set: {}", ssh_get_error(b))};
    }
  }
  if (ssh_key_type(copy->get()) != SSH_KEYTYPE_ED25519) {
    return Error{"the host key must be an ed25519 key (the only host-key algorithm offered)"};
  }
  // The bind owns the key only once the call succeeds.
  if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_IMPORT_KEY, copy->get()) != SSH_OK) {
    return Error{fmt::format("ssh_bind_options_set(host key): {}", ssh_get_error(b))};
  }
  (void)copy->release();
  if (ssh_bind_listen(b) != SSH_OK) {
    return Error{
        fmt::format("ssh_bind_listen({}:{}): {}", options.address, options.port, ssh_get_error(b))};
  }
  const int fd = ssh_bind_get_fd(b);
  // libssh listens with a backlog of 10: a burst of agents would see
  // refused SYNs and back off for seconds. Accepting is cheap (slots.h
  // queues what cannot start), so take the system's maximum; and accept
  // without blocking, until the kernel's queue is empty.
  if (::listen(fd, SOMAXCONN) != 0) return SystemError("listen", errno, options.address);
  if (const int flags = ::fcntl(fd, F_GETFL);
      flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return SystemError("fcntl(O_NONBLOCK)", errno, options.address);
  }
  if (!server->wake_.valid()) return SystemError("eventfd", errno, "");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return SystemError("getsockname", errno, options.address);
  }
  server->port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return server;
}

Server::Server(const Options& options, Handler& handler)
    : options_(options),
      handler_(handler),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      slots_(SlotLimits{options.limits.max_connections,
                        options.limits.max_unauthenticated_per_source, options.limits.max_waiting,
                        options.limits.max_wait}) {}

Server::~Server() {
  Stop();
  if (bind_ != nullptr) ssh_bind_free(bind_);
}

void Server::Stop() {
  stopping_ = true;
  Wake();
}

void Server::Wake() {
  const uint64_t one = 1;
  if (wake_.valid()) (void)!::write(wake_.get(), &one, sizeof one);
}

void Server::Apply(Slots::Step step) {
  for (Slots::Refusal& r : step.refuse) {
    // Counted before the close: a client that sees the connection end may
    // look at the count at once.
    ++refused_busy_;
    ::close(r.entry.id);
    refused_.push_back(std::move(r));
  }
  for (Slots::Entry& e : step.start) {
    try {
      std::thread([this, fd = e.id, source = e.source]() mutable {
        ServeConnection(fd, std::move(source));
      }).detach();
      ++threads_;  // under mutex_: the thread cannot end before this
    } catch (const std::system_error& error) {
      // Out of threads (RLIMIT_NPROC, TasksMax): refuse, free the slot.
      ++refused_busy_;
      ::close(e.id);
      refused_.push_back({e, fmt::format("no thread to serve it: {}", error.what())});
      Apply(slots_.Finished(e.source, false, Clock::now()));
    }
  }
}

void Server::Serve() {
  const int listen_fd = ssh_bind_get_fd(bind_);
  RefusalLog refusal_log(options_.log, options_.limits.refusal_log_interval);
  auto log_refusals = [&](Clock::time_point now) {
    std::vector<Slots::Refusal> refused;
    {
      std::lock_guard lock(mutex_);
      refused.swap(refused_);
    }
    for (const Slots::Refusal& r : refused) refusal_log.Refused(r.entry.source, r.reason, now);
    refusal_log.Flush(now);
  };
  while (!stopping_) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    const int ready = ::poll(p, 2, 200);
    if (ready > 0 && (p[1].revents & POLLIN) != 0) {
      uint64_t count = 0;
      (void)!::read(wake_.get(), &count, sizeof count);
    }
    bool out_of_files = false;
    if (ready > 0 && (p[0].revents & POLLIN) != 0) {
      // Accept all that the kernel holds (a bounded batch per round):
      // whatever cannot start waits in the slot table, where each source
      // waits behind its own connections.
      for (int i = 0; i < 512; ++i) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
        if (fd < 0) {
          out_of_files = errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
          break;
        }
        std::lock_guard lock(mutex_);
        Apply(slots_.Arrive(fd, SourceOf(ss), Clock::now()));
      }
    }
    {
      std::lock_guard lock(mutex_);
      Apply(slots_.Tick(Clock::now()));
    }
    log_refusals(Clock::now());
    // Out of descriptors, the socket stays readable: do not spin on it.
    if (out_of_files) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::unique_lock lock(mutex_);
  Apply(slots_.Drain());
  refused_.clear();
  idle_.wait(lock, [this] { return threads_ == 0; });
}

void Server::ServeConnection(int fd, std::string source) {
  bool authenticated = false;
  {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    std::string peer = "?";
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) peer = Address(ss);
    (void)SetNoDelay(fd);
    ssh_session session = ssh_new();
    if (session == nullptr) {
      ::close(fd);
    } else {
      const int accepted = ssh_bind_accept_fd(bind_, session, fd);
      if (ssh_get_fd(session) != fd) ::close(fd);  // not yet the session's
      if (accepted == SSH_OK) {
        authenticated = Converse(session, std::move(peer), source);
      }
      ssh_free(session);  // closes the socket
    }
  }
  std::lock_guard lock(mutex_);
  --threads_;
  ++served_;
  Apply(slots_.Finished(source, authenticated, Clock::now()));
  idle_.notify_all();
  Wake();
}

bool Server::Converse(ssh_session session, std::string peer, const std::string& source) {
  const Limits& limits = options_.limits;
  Connection c(handler_, limits, buffered_, [this, &source] {
    std::lock_guard lock(mutex_);
    Apply(slots_.Authenticated(source, Clock::now()));
    Wake();
  });
  c.request.peer = std::move(peer);
  const auto start = Clock::now();
  // Bounds the key exchange, which otherwise waits forever (reference §3.1).
  long timeout = static_cast<long>(std::chrono::ceil<std::chrono::seconds>(limits.preauth).count());
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);

  ssh_server_callbacks_struct callbacks{};
  callbacks.userdata = &c;
  callbacks.auth_pubkey_function = OnAuthPubkey;
  callbacks.channel_open_request_session_function = OnChannelOpen;
  ssh_callbacks_init(&callbacks);
  ssh_set_server_callbacks(session, &callbacks);
  ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY);

  ssh_event event = nullptr;
  if (ssh_handle_key_exchange(session) == SSH_OK && (event = ssh_event_new()) != nullptr &&
      ssh_event_add_session(event, session) == SSH_OK &&
      PollUntil(event, start + limits.preauth, [&] { return c.authenticated || c.closed; }) &&
      c.authenticated &&
      PollUntil(event, start + limits.handshake, [&] { return c.exec || c.closed; }) && c.exec) {
    Reply reply;
    if (c.refusal) {
      reply = std::move(*c.refusal);
    } else {
      const bool complete = PollUntil(event, Clock::now() + limits.payload, [&] {
        return c.eof || c.too_big || c.over_budget || c.closed;
      });
      c.arriving.Reset();  // the input is in: Handle takes over (Receive)
      if (c.over_budget) {
        reply = {2, "",
                 "automon-registrar: refused: too much input from other connections at the "
                 "moment; try again later\n"};
      } else if (c.too_big) {
        reply = {2, "",
                 fmt::format("automon-registrar: refused: {} takes at most {} bytes of input\n",
                             c.request.verb, c.max_input)};
      } else if (!complete || !c.eof) {
        reply = {2, "", "automon-registrar: refused: the input did not end in time\n"};
      } else {
        try {
          reply = handler_.Handle(c.request);
        } catch (const std::exception& e) {
          reply = {3, "", fmt::format("automon-registrar: internal error: {}\n", e.what())};
        }
      }
    }
    // The input is no longer needed: give its share of the budget back
    // before answering, so the client's next command finds it free.
    c.buffered -= c.request.input.size();
    std::string().swap(c.request.input);
    if (!c.closed) {
      WriteAll(c.channel, reply.out, false);
      WriteAll(c.channel, reply.err, true);
      ssh_channel_request_send_exit_status(c.channel, reply.exit_status);
      ssh_channel_send_eof(c.channel);
      ssh_channel_close(c.channel);
      // Let the close go out, but never wait long for a client (input
      // that still arrives is dropped).
      PollUntil(event, Clock::now() + std::chrono::seconds(c.too_big || c.over_budget ? 1 : 2),
                [&] { return c.closed; });
    }
  }
  if (event != nullptr) {
    ssh_event_remove_session(event, session);
    ssh_event_free(event);
  }
  if (c.channel != nullptr) ssh_channel_free(c.channel);
  ssh_disconnect(session);
  return c.authenticated;
}

}  // namespace automon::registrar::ssh
