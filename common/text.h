// Small text helpers shared by the parsers of commands and state files.
#ifndef AUTOMON_COMMON_TEXT_H_
#define AUTOMON_COMMON_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace automon {

// `s` without leading and trailing blanks, CR and LF.
std::string_view TrimSpace(std::string_view s);

// The non-empty words of `s`, split at any character of `separators`.
std::vector<std::string_view> SplitWords(std::string_view s, std::string_view separators = " \t");

// `text` as one printable line: every ASCII control character (LF, CR, TAB,
// ESC, DEL, ...) becomes `replacement`, so that a value quoted into a log
// line, a diagnostic or a comment of a generated file can neither start a
// line of its own nor drive a terminal. Other bytes, UTF-8 included, are
// kept as they are.
std::string OneLine(std::string_view text, char replacement = '?');

}  // namespace automon

#endif  // AUTOMON_COMMON_TEXT_H_
