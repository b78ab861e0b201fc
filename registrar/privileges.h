// SPDX-License-Identifier: GPL-2.0-or-later
// Who an administration command runs as. The registrar's state directory
// (/var/lib/automon, the package makes it user automon's) belongs to the
// daemon's user; a command that root runs writes there too, and a file it
// creates as root is one the daemon can no longer read or replace. So a
// command run as root first becomes the owner of the state directory, as
// `runuser -u automon --` would (issue #19 item 4).
#ifndef AUTOMON_REGISTRAR_PRIVILEGES_H_
#define AUTOMON_REGISTRAR_PRIVILEGES_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.h"
#include "registrar/config.h"

namespace automon::registrar {

// The user to become: the owner of the state directory when the caller is
// root and the directory belongs to someone else; nullopt when nothing
// changes (not root, the directory is root's, or it does not exist yet).
// An error when the directory cannot be examined.
Result<std::optional<uid_t>> StateOwnerToBecome(const std::string& state_dir, uid_t euid);

// Becomes `uid` for good: its primary group and supplementary groups (as
// initgroups(3) finds them), then the user ids, real, effective and saved.
// Checks that root cannot be regained. The error names the user and the
// call that failed.
Result<void> BecomeUser(uid_t uid);

// What main does before any command: as root, becomes the state
// directory's owner (StateOwnerToBecome, BecomeUser), unless the backend's
// commands need root (CheckCommandPrivileges: then the daemon runs as root
// too and reads whatever root writes). Returns the user it became, or
// nullopt when it stayed who it was.
Result<std::optional<uid_t>> RunAsStateOwner(const Config& config, std::string_view config_path,
                                             uid_t euid);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_PRIVILEGES_H_
