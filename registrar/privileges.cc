// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace automon::registrar {

Result<std::optional<uid_t>> StateOwnerToBecome(const std::string& state_dir, uid_t euid) {
  if (euid != 0) return std::optional<uid_t>();
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<uid_t>();
    return SystemError("stat", errno, state_dir);
  }
  if (st.st_uid == 0) return std::optional<uid_t>();
  return std::optional<uid_t>(st.st_uid);
}

Result<void> BecomeUser(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found);
  if (rc != 0) return SystemError("getpwuid_r", rc, std::to_string(uid));
  if (found == nullptr) {
    return Error{
        fmt::format("the state directory's owner, uid {}, is no user of this system; "
                    "give the directory to the registrar's user (automon)",
                    uid)};
  }
  const std::string name = pw.pw_name;
  const gid_t gid = pw.pw_gid;
  if (::initgroups(name.c_str(), gid) != 0) return SystemError("initgroups", errno, name);
  if (::setresgid(gid, gid, gid) != 0) return SystemError("setresgid", errno, name);
  if (::setresuid(uid, uid, uid) != 0) return SystemError("setresuid", errno, name);
  if (uid != 0 && ::setuid(0) == 0) {
    return Error{fmt::format("switching to user {}: root could be regained", name)};
  }
  return {};
}

Result<std::optional<uid_t>> RunAsStateOwner(const Config& config, std::string_view config_path,
                                             uid_t euid) {
  auto owner = StateOwnerToBecome(config.state_dir, euid);
  if (!owner) return owner.error();
  if (!*owner || !CheckCommandPrivileges(config, config_path, **owner).ok()) {
    return std::optional<uid_t>();
  }
  if (auto became = BecomeUser(**owner); !became) {
    return Error{
        fmt::format("running as the owner of {}: {}", config.state_dir, became.error().message)};
  }
  return owner;
}

}  // namespace automon::registrar
