// The registrar's embedded SSH server (libssh server mode), hardened as
// reference/libraries-and-protocols.md §3 says: public-key authentication
// only, one user name, one exec command per connection from a fixed list,
// no shell, pty, subsystem or forwarding (libssh denies every request we
// do not handle), bounded time for key exchange and authentication,
// bounded authentication attempts, bounded payload, bounded concurrent
// connections. Each connection runs in its own thread, so a slow or
// stalled client never delays the others.
//
// What a request means (enrollment, registration) is the Handler's job;
// this layer only carries verified requests to it and replies back.
#ifndef AUTOMON_REGISTRAR_SSH_SERVER_H_
#define AUTOMON_REGISTRAR_SSH_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/ssh/key.h"

struct ssh_bind_struct;
struct ssh_session_struct;

namespace automon::registrar::ssh {

// The exec commands a client may run, and the SSH user it must log in as.
inline constexpr std::string_view kUser = "automon";
bool IsAllowedVerb(std::string_view verb);  // hello enroll register deregister

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

// Implemented by the registrar. Called from connection threads at the same
// time: implementations must be thread-safe.
class Handler {
 public:
  virtual ~Handler() = default;
  // Whether a client holding the key `fingerprint` may authenticate at all.
  // A registrar that enrolls unknown keys says yes and decides per request.
  virtual bool AcceptsKey(const std::string& fingerprint) = 0;
  virtual Reply Handle(const Request& request) = 0;
};

struct Limits {
  // From TCP accept to an accepted exec request: key exchange,
  // authentication and the channel setup.
  std::chrono::milliseconds handshake{10000};
  // From the exec request to the client's EOF.
  std::chrono::milliseconds payload{30000};
  int max_auth_attempts = 3;
  size_t max_payload = 4 << 20;
  int max_connections = 256;  // each is a thread, mostly idle; the handshake limit bounds it
};

struct Options {
  std::string address = "0.0.0.0";
  int port = 2222;  // 0: any free port (tests)
  Limits limits;
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
  void Stop() { stopping_ = true; }

  // Connections refused because max_connections were busy, and
  // connections served (whatever their outcome); for tests and logs.
  int refused_busy() const { return refused_busy_; }
  int served() const { return served_; }

 private:
  Server(const Options& options, Handler& handler) : options_(options), handler_(handler) {}
  void ServeConnection(ssh_session_struct* session, std::string peer);

  Options options_;
  Handler& handler_;
  ssh_bind_struct* bind_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> refused_busy_{0};
  std::atomic<int> served_{0};
  std::mutex mutex_;
  std::condition_variable idle_;
  int active_ = 0;
};

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_SERVER_H_
