// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/selection.h"

#include <fmt/format.h>
#include <fnmatch.h>

namespace automon::agent {

Selection SelectServices(const std::vector<formats::Service>& services,
                         const InstalledPackages& packages,
                         const std::vector<std::string>& exclude) {
  Selection selection;
  for (const formats::Service& service : services) {
    if (!service.enabled) {
      selection.inactive.push_back({service, formats::RemovalReason::kDisabled, "enabled = false"});
      continue;
    }
    const std::string* pattern = nullptr;
    for (const std::string& glob : exclude) {
      if (::fnmatch(glob.c_str(), service.name.c_str(), 0) == 0) {
        pattern = &glob;
        break;
      }
    }
    if (pattern != nullptr) {
      selection.inactive.push_back({service, formats::RemovalReason::kExcluded,
                                    fmt::format("excluded by '{}' in agent.conf", *pattern)});
      continue;
    }
    if (service.package && !packages.IsInstalled(*service.package)) {
      selection.inactive.push_back({service, formats::RemovalReason::kPackageRemoved,
                                    fmt::format("package {} is not installed", *service.package)});
      continue;
    }
    selection.active.push_back(service);
  }
  return selection;
}

}  // namespace automon::agent
