// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/source_location.h"

#include <fmt/format.h>

namespace automon {

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

}  // namespace automon
