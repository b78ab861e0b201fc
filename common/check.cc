// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace automon::internal {

void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: internal error: check failed: %s\n", file, line, expr);
  std::abort();
}

}  // namespace automon::internal
