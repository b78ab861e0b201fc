// SPDX-License-Identifier: GPL-2.0-or-later
// Admission of connections to the SSH server's slots, apart from any I/O so
// that the policy can be tested on its own (automon-registrar(8), section
// SSH SERVICE AND ENROLLMENT).
//
// A slot is a connection thread. At most `max_connections` run at once. A
// connection is "unauthenticated" from its accept until its client key is
// verified; one source (an IPv4 address, or an IPv6 /64, which one machine
// usually owns whole) holds at most `per_source` unauthenticated slots. A
// connection that cannot start at once waits, without a thread, in its
// source's queue; queues are served round-robin, so a source that floods
// the server waits behind its own connections, never in front of the
// others'. Waiting is bounded: `max_waiting` connections in all (the
// newest connection of the longest queue is refused when a new one would
// pass it) and `max_wait` each (then refused). Not thread-safe: the server
// calls it under its lock.
#ifndef AUTOMON_REGISTRAR_SSH_SLOTS_H_
#define AUTOMON_REGISTRAR_SSH_SLOTS_H_

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace automon::registrar::ssh {

using SteadyTime = std::chrono::steady_clock::time_point;

// The key connections are counted under: "192.0.2.7", "2001:db8:1:2::/64"
// (an IPv4-mapped IPv6 address counts as the IPv4 address).
std::string SourceOf(const sockaddr_storage& address);

struct SlotLimits {
  int max_connections = 1024;
  int per_source = 64;  // max_connections / 16
  size_t max_waiting = 1024;
  std::chrono::milliseconds max_wait{10000};
};

class Slots {
 public:
  struct Entry {
    int id = -1;  // the caller's handle (the server's accepted socket)
    std::string source;
    SteadyTime arrived;
  };
  struct Refusal {
    Entry entry;
    std::string reason;  // for the log: "waited 10 s for a slot", ...
  };
  // What the caller must do now: start a thread for each of `start`,
  // close each of `refuse`.
  struct Step {
    std::vector<Entry> start;
    std::vector<Refusal> refuse;
  };

  explicit Slots(const SlotLimits& limits) : limits_(limits) {}

  // A connection was accepted.
  Step Arrive(int id, const std::string& source, SteadyTime now);
  // A started connection authenticated: it no longer counts against its
  // source's unauthenticated share (it still holds its slot).
  Step Authenticated(const std::string& source, SteadyTime now);
  // A started connection ended; `authenticated` as it was then.
  Step Finished(const std::string& source, bool authenticated, SteadyTime now);
  // Refuses connections that waited too long, and starts what can start.
  Step Tick(SteadyTime now);
  // Refuses every waiting connection (the server stops).
  Step Drain();

  int running() const { return running_; }
  size_t waiting() const { return waiting_; }
  int unauthenticated(const std::string& source) const;

 private:
  struct Source {
    int unauthenticated = 0;
    std::deque<Entry> queue;
  };
  void Expire(SteadyTime now, Step& step);
  void StartWaiting(Step& step);
  void Forget(const std::string& source);

  SlotLimits limits_;
  std::map<std::string, Source> sources_;
  std::string last_served_;  // round-robin position
  int running_ = 0;
  size_t waiting_ = 0;
};

// One log line per source per interval: the first refusal is logged at
// once, later ones are counted and logged with their number when the
// interval has passed (by the next refusal or by Flush). Bounded: beyond
// `max_sources` addresses, refusals are counted under "other addresses".
class RefusalLog {
 public:
  using Sink = std::function<void(const std::string&)>;
  RefusalLog(Sink sink, std::chrono::milliseconds interval, size_t max_sources = 1024)
      : sink_(std::move(sink)), interval_(interval), max_sources_(max_sources) {}

  void Refused(const std::string& source, const std::string& reason, SteadyTime now);
  // Logs counts whose interval has passed; forgets quiet sources.
  void Flush(SteadyTime now);

 private:
  struct Counter {
    SteadyTime logged;
    int count = 0;  // not yet logged
    std::string reason;
  };
  void Log(const std::string& source, Counter& c, SteadyTime now);

  Sink sink_;
  std::chrono::milliseconds interval_;
  size_t max_sources_;
  std::map<std::string, Counter> counters_;
};

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_SLOTS_H_
