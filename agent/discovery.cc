// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/discovery.h"

#include "common/avahi/browser.h"

namespace automon::agent {

Result<std::vector<avahi::Found>> AvahiDiscovery::Find(std::chrono::milliseconds timeout) {
  auto result = avahi::Browse(avahi::kServiceType, timeout);
  if (!result) return result.error();
  return std::move(result->found);
}

}  // namespace automon::agent
