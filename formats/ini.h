// SPDX-License-Identifier: GPL-2.0-or-later
// The INI dialect of monitoring-info files and snapshots, lexed into
// sections and key/value entries that remember where they came from.
//
// Why not inih: Debian 12's libinih (55) is built with INI_MAX_LINE 200 and
// no realloc, so a longer line is cut and its tail is parsed as a new line
// (a value can smuggle in a key), and with INI_HANDLER_LINENO 0 it cannot
// report line numbers. See doc/decisions.md.
//
// The dialect is inih's otherwise:
//   - lines end with LF; a CR before it is dropped; a UTF-8 BOM is skipped;
//   - leading and trailing blanks (space, tab) are insignificant;
//   - a line whose first non-blank byte is '#' or ';' is a comment;
//   - ';' preceded by a blank starts a comment anywhere else;
//   - "[name]" opens a section, "key = value" adds an entry to it.
// Stricter than inih: no line-length truncation (a line over kMaxLineBytes
// is an error), no continuation lines, no bytes below 0x20 except tab, no
// DEL, and only valid UTF-8.
#ifndef AUTOMON_FORMATS_INI_H_
#define AUTOMON_FORMATS_INI_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "common/source_location.h"

namespace automon::formats {

inline constexpr size_t kMaxLineBytes = 4096;

struct IniEntry {
  std::string key;
  std::string value;
  SourceLocation key_loc;
  SourceLocation value_loc;  // where the value starts (after blanks)
  std::string line;          // the whole source line, for diagnostics

  bool operator==(const IniEntry&) const = default;
};

struct IniSection {
  std::string name;
  SourceLocation loc;  // the '[' of the header
  std::string line;
  std::vector<IniEntry> entries;  // in file order, duplicates kept
  // A line inside this section failed to lex (the error is already in the
  // diagnostics). The section is incomplete and must not be used: skipping
  // a bad `port` line must never turn into the default port.
  bool broken = false;

  bool operator==(const IniSection&) const = default;
};

// True for a `password = ...` line: such a line is never shown in a
// diagnostic (its source line stays empty).
bool IsSecretLine(std::string_view line);

// Lexes `text`, naming it `filename` in locations. Lines that cannot be
// lexed add an error to `diagnostics` and mark their section `broken`; a
// malformed section header opens a broken section named by its raw text,
// so the lines under it are not taken for the previous section's. Every
// other section is returned intact, so one bad line never hides the good
// sections.
std::vector<IniSection> LexIni(std::string_view text, std::string_view filename,
                               std::vector<Diagnostic>& diagnostics);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_INI_H_
