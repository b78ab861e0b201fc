// SPDX-License-Identifier: GPL-2.0-or-later
// Which Debian packages are installed, for `package =` conditions.
#ifndef AUTOMON_AGENT_PACKAGE_DATABASE_H_
#define AUTOMON_AGENT_PACKAGE_DATABASE_H_

#include <set>
#include <string>
#include <string_view>

#include "common/file_system.h"
#include "common/result.h"

namespace automon::agent {

// The set of installed package names. Cheap to copy and compare; built
// once per scan from dpkg's status file.
class InstalledPackages {
 public:
  InstalledPackages() = default;
  explicit InstalledPackages(std::set<std::string> names) : names_(std::move(names)) {}

  bool IsInstalled(std::string_view name) const { return names_.count(std::string(name)) != 0; }
  size_t size() const { return names_.size(); }

 private:
  std::set<std::string> names_;
};

// Parses dpkg's status file (deb822 stanzas). A package counts as
// installed when its Status field's last word is "installed" (so
// "install ok installed" and "hold ok installed", not "deinstall ok
// config-files"). Multi-Arch packages appear once per architecture; any
// installed instance counts.
InstalledPackages ParseDpkgStatus(std::string_view text);

// Reads `<admindir>/status` (dpkg's --admindir, default /var/lib/dpkg) and
// applies dpkg's journal `<admindir>/updates/NNNN` over it in numeric
// order, as dpkg does: during a dpkg run, and so in a dpkg trigger, the
// packages just installed or removed are only in the journal.
Result<InstalledPackages> ReadInstalledPackages(FileSystem& fs, const std::string& admindir);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_PACKAGE_DATABASE_H_
