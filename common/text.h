// SPDX-License-Identifier: GPL-2.0-or-later
// Small text helpers shared by the parsers of commands and state files.
#ifndef AUTOMON_COMMON_TEXT_H_
#define AUTOMON_COMMON_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace automon {

// At most `max_bytes` of `s` for quoting it in a message: `s` itself when
// short enough, else its first bytes (cut at a UTF-8 boundary) and
// "... (N bytes)", so that an error about a 4,000-byte key does not echo
// 4,000 bytes.
std::string Abbreviate(std::string_view s, size_t max_bytes = 100);

// `s` without leading and trailing blanks, CR and LF.
std::string_view TrimSpace(std::string_view s);

// The non-empty words of `s`, split at any character of `separators`.
std::vector<std::string_view> SplitWords(std::string_view s, std::string_view separators = " \t");

// `text` as one printable line, safe for a message, a log line, a
// diagnostic, a comment of a generated file or a terminal: every byte of a
// C0 control (LF, CR, TAB, ESC, ...), DEL, a byte that is not UTF-8, or a
// display control (IsDisplayControl in common/utf8.h: C1 controls, U+2028,
// U+2029 and the bidirectional controls such as U+202E) becomes
// `replacement`; everything else, valid UTF-8 included, is kept.
std::string OneLine(std::string_view text, char replacement = '?');

}  // namespace automon

#endif  // AUTOMON_COMMON_TEXT_H_
