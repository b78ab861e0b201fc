#include "common/diagnostic.h"

#include <algorithm>

#include <fmt/format.h>

namespace automon {

std::string Diagnostic::Render() const {
  std::string out = fmt::format(
      "{}: {}: {}", loc.ToString(),
      severity == Severity::kError ? "error" : "warning", message);
  if (source_line.empty()) return out;
  out += '\n';
  for (unsigned char c : source_line) {
    // Tabs keep the caret aligned; other control bytes and DEL are masked.
    out += (c == '\t' || (c >= 0x20 && c != 0x7f)) ? static_cast<char>(c) : '?';
  }
  if (loc.column > 0) {
    out += '\n';
    const size_t width =
        std::min(static_cast<size_t>(loc.column - 1), source_line.size());
    for (size_t i = 0; i < width; ++i) out += source_line[i] == '\t' ? '\t' : ' ';
    out += '^';
  }
  return out;
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

}  // namespace automon
