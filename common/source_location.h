// SPDX-License-Identifier: GPL-2.0-or-later
// SourceLocation: where a value came from, as icinga2's DebugInfo.
#ifndef AUTOMON_COMMON_SOURCE_LOCATION_H_
#define AUTOMON_COMMON_SOURCE_LOCATION_H_

#include <string>

namespace automon {

// A position in a named input. Lines and columns count from 1; 0 means
// "not known" (a column is unknown for whole-section facts, a line for
// whole-file facts). Columns count bytes, as ninja and gcc do.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col", "file:line" or "file", depending on what is known.
  std::string ToString() const;

  bool operator==(const SourceLocation&) const = default;
};

}  // namespace automon

#endif  // AUTOMON_COMMON_SOURCE_LOCATION_H_
