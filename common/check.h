// SPDX-License-Identifier: GPL-2.0-or-later
// AUTOMON_CHECK: assertions for programming errors (bugs), never for bad
// input. Always on, in release builds too: a broken invariant in a security
// boundary must stop the program, not continue quietly (mosh fatal_assert).
#ifndef AUTOMON_COMMON_CHECK_H_
#define AUTOMON_COMMON_CHECK_H_

namespace automon::internal {
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line);
}  // namespace automon::internal

#define AUTOMON_CHECK(cond)                                                   \
  do {                                                                        \
    if (!(cond)) ::automon::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

#endif  // AUTOMON_COMMON_CHECK_H_
