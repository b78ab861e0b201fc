// SPDX-License-Identifier: GPL-2.0-or-later
// Diagnostic: one finding about an input, with its location and the source
// line it points into, rendered the way gcc and ninja do:
//
//   /etc/monitoring-info/web:3:8: error: unknown key 'hostnmae', did you mean 'hostname'?
//   hostnmae = www.example.org
//   ^
//
// Parsers collect a std::vector<Diagnostic> instead of stopping at the first
// problem (STYLE.md "Errors").
#ifndef AUTOMON_COMMON_DIAGNOSTIC_H_
#define AUTOMON_COMMON_DIAGNOSTIC_H_

#include <string>
#include <vector>

#include "common/source_location.h"

namespace automon {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation loc;
  std::string message;
  // The whole input line loc.line points into, without its newline; empty
  // when there is none to show. With a known column, Render() adds a caret.
  std::string source_line;

  // "loc: error: message", plus the source line and a caret line when
  // source_line is set. Control bytes and bytes that are not UTF-8 are
  // shown as '?', so a hostile line cannot drive the terminal. No trailing
  // newline.
  std::string Render() const;

  bool operator==(const Diagnostic&) const = default;
};

// True when any diagnostic is an error (warnings do not count).
bool HasErrors(const std::vector<Diagnostic>& diagnostics);

}  // namespace automon

#endif  // AUTOMON_COMMON_DIAGNOSTIC_H_
