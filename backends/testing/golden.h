// SPDX-License-Identifier: GPL-2.0-or-later
// Golden files of the renderers' tests, in backends/testdata/
// (tests run from the source directory). AUTOMON_UPDATE_GOLDEN=1 rewrites
// them from the actual output: review the diff before committing.
#ifndef AUTOMON_BACKENDS_TESTING_GOLDEN_H_
#define AUTOMON_BACKENDS_TESTING_GOLDEN_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace automon::backends::testing {

inline constexpr char kGoldenDir[] = "backends/testdata/";

// The golden file `name`, after rewriting it with `actual` when asked to.
inline std::string ReadGolden(const std::string& name, const std::string& actual) {
  const std::string path = kGoldenDir + name;
  if (std::getenv("AUTOMON_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << actual;
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace automon::backends::testing

#endif  // AUTOMON_BACKENDS_TESTING_GOLDEN_H_
