// SPDX-License-Identifier: GPL-2.0-or-later
// Which scanned services a host registers, and why the others are not.
#ifndef AUTOMON_AGENT_SELECTION_H_
#define AUTOMON_AGENT_SELECTION_H_

#include <string>
#include <vector>

#include "agent/package_database.h"
#include "formats/service.h"
#include "formats/snapshot.h"

namespace automon::agent {

struct Inactive {
  formats::Service service;
  formats::RemovalReason reason;
  std::string detail;  // for people: "package slapd is not installed"

  bool operator==(const Inactive&) const = default;
};

struct Selection {
  std::vector<formats::Service> active;  // in scan order
  std::vector<Inactive> inactive;        // in scan order

  bool operator==(const Selection&) const = default;
};

// Splits `services` into those to register and those opted out. The
// checks apply in this order, and the first that matches gives the reason:
// `enabled = false` (kDisabled), a name matching one of `exclude` (shell
// glob, fnmatch(3) without flags; kExcluded), a `package` that is not
// installed (kPackageRemoved).
Selection SelectServices(const std::vector<formats::Service>& services,
                         const InstalledPackages& packages,
                         const std::vector<std::string>& exclude);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_SELECTION_H_
