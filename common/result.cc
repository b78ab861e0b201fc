// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/result.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace automon {

Error SystemError(std::string_view api, int errnum, std::string_view object) {
  return Error{fmt::format("{}({}): {}", api, object, std::strerror(errnum)), errnum};
}

bool Error::IsNotFound() const { return errnum == ENOENT; }

}  // namespace automon
