// SPDX-License-Identifier: GPL-2.0-or-later
// Browse: a short-lived look for `_automon._tcp` services (reference:
// libraries-and-protocols.md §1.4), for a command or a daemon that looks
// only when it is about to push. Single-threaded (AvahiSimplePoll), no
// thread and nothing left behind when it returns.
#ifndef AUTOMON_COMMON_AVAHI_BROWSER_H_
#define AUTOMON_COMMON_AVAHI_BROWSER_H_

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/avahi/service.h"
#include "common/result.h"

namespace automon::avahi {

struct BrowseResult {
  std::vector<Found> found;  // resolved services, one per instance name, in name order
  // Services seen but not resolved before the wait ended (their names).
  std::vector<std::string> unresolved;
  // The wait ended because every key of `enough` had answered, before
  // avahi-daemon said it had sent everything (ALL_FOR_NOW).
  bool early = false;
};

// Browses `type` and resolves every instance (IPv4 addresses preferred;
// IPv6 when a service has no IPv4 address). Returns once avahi-daemon says
// it has sent everything it knows (ALL_FOR_NOW) and every resolver has
// answered, or after `timeout`, whichever comes first; or as soon as
// services advertising every fingerprint of `enough` have resolved
// (AnnouncesEvery): ALL_FOR_NOW comes about a second after the browse
// starts even when the answer is in avahi-daemon's cache, and an agent
// that has found every registrar it pinned has nothing to wait for.
//
// Errors: avahi-daemon (or the system D-Bus) unreachable, with avahi's
// message, e.g. "avahi-daemon is not reachable: Daemon not running";
// such an Error has `errnum` set to kNoDaemon.
Result<BrowseResult> Browse(std::string_view type, std::chrono::milliseconds timeout,
                            const std::set<std::string>& enough = {});

}  // namespace automon::avahi

#endif  // AUTOMON_COMMON_AVAHI_BROWSER_H_
