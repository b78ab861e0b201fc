// Small text helpers shared by the parsers of commands and state files.
#ifndef AUTOMON_COMMON_TEXT_H_
#define AUTOMON_COMMON_TEXT_H_

#include <string_view>
#include <vector>

namespace automon {

// `s` without leading and trailing blanks, CR and LF.
std::string_view TrimSpace(std::string_view s);

// The non-empty words of `s`, split at any character of `separators`.
std::vector<std::string_view> SplitWords(std::string_view s, std::string_view separators = " \t");

}  // namespace automon

#endif  // AUTOMON_COMMON_TEXT_H_
