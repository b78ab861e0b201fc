// SPDX-License-Identifier: GPL-2.0-or-later
// Test helper: every diagnostic rendered, one per line, so a test can
// compare the whole output of a parser at once.
#ifndef AUTOMON_COMMON_TESTING_DIAGNOSTICS_H_
#define AUTOMON_COMMON_TESTING_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "common/diagnostic.h"

namespace automon::testing {

inline std::string RenderAll(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) out += d.Render() + "\n";
  return out;
}

}  // namespace automon::testing

#endif  // AUTOMON_COMMON_TESTING_DIAGNOSTICS_H_
