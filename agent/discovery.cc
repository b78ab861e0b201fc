// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/discovery.h"

#include "common/avahi/browser.h"

namespace automon::agent {

Result<std::vector<avahi::Found>> AvahiDiscovery::Find(std::chrono::milliseconds timeout,
                                                       const std::set<std::string>& pinned) {
  auto result = avahi::Browse(avahi::kServiceType, timeout, pinned);
  if (!result) return result.error();
  return std::move(result->found);
}

}  // namespace automon::agent
