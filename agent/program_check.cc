// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/program_check.h"

#include <fmt/format.h>

namespace automon::agent {

Result<void> VerifyProgram(FileSystem& fs, const std::string& path) {
  auto status = fs.Status(path);
  if (!status) {
    return Error{fmt::format("program '{}' cannot be examined: {}", path, status.error().message),
                 status.error().errnum};
  }
  if (!status->regular) return Error{fmt::format("program '{}' is not a regular file", path)};
  if (status->owner != 0) {
    return Error{fmt::format("program '{}' is owned by uid {}, not by root", path, status->owner)};
  }
  if ((status->mode & 022) != 0) {
    return Error{fmt::format("program '{}' is writable by group or others (mode {:04o})", path,
                             status->mode)};
  }
  if ((status->mode & 0111) == 0) {
    return Error{fmt::format("program '{}' is not executable (mode {:04o})", path, status->mode)};
  }
  return {};
}

}  // namespace automon::agent
