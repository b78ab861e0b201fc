// SPDX-License-Identifier: GPL-2.0-or-later
// Discovery: how `registrar = auto` finds registrars, behind an interface
// so that the commands are testable without avahi-daemon.
#ifndef AUTOMON_AGENT_DISCOVERY_H_
#define AUTOMON_AGENT_DISCOVERY_H_

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/avahi/service.h"
#include "common/result.h"

namespace automon::agent {

class Discovery {
 public:
  virtual ~Discovery() = default;
  // The `_automon._tcp` services resolved within `timeout`, or as soon as
  // services advertising every key of `pinned` answered (avahi::Browse's
  // `enough`). An Error with errnum avahi::kNoDaemon when avahi-daemon (or
  // D-Bus) is not reachable.
  virtual Result<std::vector<avahi::Found>> Find(std::chrono::milliseconds timeout,
                                                 const std::set<std::string>& pinned) = 0;
};

// The real one: a short-lived Avahi browser (common/avahi/browser.h). It
// holds nothing between calls, so an idle agent keeps no D-Bus connection
// and no thread.
class AvahiDiscovery final : public Discovery {
 public:
  Result<std::vector<avahi::Found>> Find(std::chrono::milliseconds timeout,
                                         const std::set<std::string>& pinned) override;
};

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_DISCOVERY_H_
