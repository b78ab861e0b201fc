// SPDX-License-Identifier: GPL-2.0-or-later
// Announcer: keeps one `_automon._tcp` service published for as long as
// it lives, through avahi-daemon restarts and name collisions (reference:
// libraries-and-protocols.md §1.1-1.3, §1.6).
//
// It runs Avahi's threaded poll: a thread of its own that sleeps in poll()
// and wakes only for D-Bus messages and its retry timer. Behaviour:
//   - no system D-Bus: one warning, then avahi_client_new() is retried
//     every `retry` interval, silently;
//   - D-Bus up but no avahi-daemon: the client waits (AVAHI_CLIENT_NO_FAIL)
//     and publishes when the daemon appears; one warning;
//   - the daemon restarts or stops: the client is freed and recreated
//     (the client, its group and its registrations are dead), and the
//     service is published again when the daemon is back;
//   - a name collision (local or found while probing): the next
//     alternative name ("X #2"), published again.
// Every event is reported through `log` (one line, no trailing newline),
// from the Avahi thread.
//
// Thread safety: construct and destroy from one thread; name() may be
// called from any thread.
#ifndef AUTOMON_COMMON_AVAHI_ANNOUNCER_H_
#define AUTOMON_COMMON_AVAHI_ANNOUNCER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/avahi/service.h"
#include "common/result.h"

namespace automon::avahi {

class Announcer {
 public:
  using Log = std::function<void(const std::string&)>;

  // Starts announcing `a` (a.name empty: InstanceName() of the host name
  // avahi-daemon uses). Fails only when the TXT record cannot be built or
  // the poll thread cannot start; a missing daemon is not a failure.
  static Result<std::unique_ptr<Announcer>> Start(
      Announcement a, Log log, std::chrono::milliseconds retry = std::chrono::seconds(10));

  // Withdraws the service (the daemon sends goodbye packets) and stops.
  ~Announcer();

  // The name currently published, empty while none is.
  std::string name() const;

  class Impl;

 private:
  explicit Announcer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace automon::avahi

#endif  // AUTOMON_COMMON_AVAHI_ANNOUNCER_H_
