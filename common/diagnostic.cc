// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/diagnostic.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"
#include "common/utf8.h"

namespace automon {

std::string Diagnostic::Render() const {
  // The message quotes values: one line, whatever they hold.
  std::string out =
      fmt::format("{}: {}: {}", OneLine(loc.ToString()),
                  severity == Severity::kError ? "error" : "warning", OneLine(message));
  if (source_line.empty()) return out;
  out += '\n';
  // Tabs keep the caret aligned; control bytes, DEL, bytes that are not
  // UTF-8 and display controls (bidi overrides, line separators) are
  // masked, one '?' per byte so the caret stays in its column.
  for (size_t i = 0; i < source_line.size();) {
    const auto c = static_cast<unsigned char>(source_line[i]);
    const size_t len = Utf8SequenceLength(source_line, i);
    if ((len > 1 && !IsDisplayControl(Utf8Decode(source_line, i, len))) ||
        (len == 1 && (c == '\t' || (c >= 0x20 && c != 0x7f)))) {
      out.append(source_line, i, len);
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  if (loc.column > 0) {
    out += '\n';
    const size_t width = std::min(static_cast<size_t>(loc.column - 1), source_line.size());
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
