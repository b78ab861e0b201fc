// SPDX-License-Identifier: GPL-2.0-or-later
// The registrar's embedded SSH server (libssh server mode), hardened as
// reference/libraries-and-protocols.md §3 says: public-key authentication
// only, one user name, one exec command per connection from a fixed list,
// no shell, pty, subsystem or forwarding (libssh denies every request we
// do not handle), bounded time for key exchange and authentication,
// bounded authentication attempts, bounded input per command (enforced
// while it arrives, so a client never makes the server hold more than its
// command may take), bounded concurrent connections with a per-source share
// for those not yet authenticated (slots.h). Each connection runs in its
// own thread, so a slow or stalled client never delays the others.
//
// What a request means (enrollment, registration) is the Handler's job;
// this layer only carries verified requests to it and replies back.
#ifndef AUTOMON_REGISTRAR_SSH_SERVER_H_
#define AUTOMON_REGISTRAR_SSH_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/ssh/key.h"
#include "common/unique_fd.h"
#include "registrar/ssh/slots.h"

struct ssh_bind_struct;
struct ssh_session_struct;

namespace automon::registrar::ssh {

// The exec commands a client may run, and the SSH user it must log in as.
inline constexpr std::string_view kUser = "automon";
bool IsAllowedVerb(std::string_view verb);  // hello enroll register deregister

// Sets TCP_NODELAY on an accepted connection: an exchange is a request and
// its answer, and without it each answer after a connection's first waits
// for the client's delayed ACK (Nagle), about 40 ms per `results` batch.
// False when `fd` is not a TCP socket.
bool SetNoDelay(int fd);

struct Request {
  std::string verb;
  std::vector<std::string> args;  // the rest of the command line, split on blanks
  std::string fingerprint;        // SHA256:... of the key that authenticated
  std::string public_key;         // "ssh-ed25519 AAAA...", for enrollment records
  std::string peer;               // the client's address
  std::string input;              // everything the client sent before EOF
};

struct Reply {
  int exit_status = 0;
  std::string out;
  std::string err;
};

// The handler's word on a request once its command and key are known,
// before any of its input is read.
struct Admission {
  size_t max_input = 0;          // bytes of standard input the command may send
  std::optional<Reply> refusal;  // set: answer this at once, read no input
  // Kept open while the input arrives and closed just before Handle (the
  // registrar's shared arrivals lock: a registration still being
  // transferred holds back the activation of those that arrived before it).
  UniqueFd arriving;
};

// Implemented by the registrar. Called from connection threads at the same
// time: implementations must be thread-safe.
class Handler {
 public:
  virtual ~Handler() = default;
  // Whether a client holding the key `fingerprint` may authenticate at all.
  // A registrar that enrolls unknown keys says yes and decides per request.
  virtual bool AcceptsKey(const std::string& fingerprint) = 0;
  // How much input `request` (verb, args, key, peer; input still empty)
  // may send. The server stops reading and refuses the command as soon as
  // the client sends more (never more than Limits::max_payload).
  virtual Admission Admit(const Request& request) = 0;
  virtual Reply Handle(const Request& request) = 0;
};

struct Limits {
  // From the start of a connection's slot to a verified client key: key
  // exchange and authentication (OpenSSH's LoginGraceTime, much shorter).
  std::chrono::milliseconds preauth{5000};
  // From the start of the slot to an accepted exec request: the above and
  // the channel setup.
  std::chrono::milliseconds handshake{10000};
  // From the exec request to the client's EOF.
  std::chrono::milliseconds payload{30000};
  int max_auth_attempts = 3;
  // Whatever the handler admits: up to a results document (8 MiB).
  size_t max_payload = 8 << 20;
  // The input all connections together may hold; past it, a connection
  // is refused ("try again later"): 64 snapshots of the largest size.
  size_t max_buffered_input = 256 << 20;
  // Slots (slots.h): connection threads at once, and of those the ones
  // one source may hold before it authenticates.
  int max_connections = 1024;
  int max_unauthenticated_per_source = 64;
  // Accepted connections waiting for a slot (no thread: a socket each),
  // and how long one may wait before it is refused.
  size_t max_waiting = 1024;
  std::chrono::milliseconds max_wait{10000};
  // Refused connections are logged once per source per interval.
  std::chrono::milliseconds refusal_log_interval{10000};
};

struct Options {
  std::string address = "0.0.0.0";
  int port = 2222;  // 0: any free port (tests)
  Limits limits;
  // Where refusals go (one line each, rate-limited); called from the
  // accepting thread only.
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

class Server {
 public:
  // Binds and listens; the host key is the registrar's identity.
  static Result<std::unique_ptr<Server>> Listen(const Options& options,
                                                const automon::ssh::Key& host_key,
                                                Handler& handler);
  ~Server();

  int port() const { return port_; }

  // Accepts and serves connections until Stop(). Returns when every
  // connection thread has finished.
  void Serve();
  // Makes Serve() return soon. Safe from any thread.
  void Stop();

  // Connections refused (waited too long for a slot, or pushed out of
  // the waiting queue), and connections served (whatever their outcome);
  // for tests and logs.
  int refused_busy() const { return refused_busy_; }
  int served() const { return served_; }

 private:
  Server(const Options& options, Handler& handler);
  // Acts on a step of the slot table: starts threads, closes refused sockets.
  void Apply(Slots::Step step);
  // A connection's thread; `fd` is the accepted socket.
  void ServeConnection(int fd, std::string source);
  // The SSH conversation; true if the client authenticated.
  bool Converse(ssh_session_struct* session, std::string peer, const std::string& source);
  void Wake();

  Options options_;
  Handler& handler_;
  ssh_bind_struct* bind_ = nullptr;
  int port_ = 0;
  UniqueFd wake_;  // eventfd: a connection authenticated or ended
  std::atomic<bool> stopping_{false};
  std::atomic<int> refused_busy_{0};
  std::atomic<int> served_{0};
  std::atomic<size_t> buffered_{0};  // input held by all connections
  std::mutex mutex_;
  std::condition_variable idle_;
  Slots slots_;                          // guarded by mutex_
  std::vector<Slots::Refusal> refused_;  // guarded by mutex_; logged by Serve()
  int threads_ = 0;                      // guarded by mutex_
};

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_SERVER_H_
