// SPDX-License-Identifier: GPL-2.0-or-later
// ParseInteger: a decimal integer from text, within a range. The one place
// that turns configuration values, options, file contents and protocol
// fields into integers (std::from_chars alone accepts a number followed by
// junk and reports overflow separately; every caller needs both checks).
#ifndef AUTOMON_COMMON_PARSE_INTEGER_H_
#define AUTOMON_COMMON_PARSE_INTEGER_H_

#include <fmt/format.h>

#include <charconv>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

#include "common/result.h"

namespace automon {

// The integer `text` spells, which must be all of `text` and lie in
// [min, max] (inclusive). The syntax is std::from_chars's: decimal digits
// with a '-' in front for a negative number (signed types only); no blanks,
// no '+', no base prefix. Leading zeros are accepted.
//
// Errors (Error::message; the text is quoted as given, so callers that show
// it must pass a value that is safe to show):
//   "'12a' is not a whole number"
//   "'70000' is out of range (1 to 65535)"
template <std::integral Int>
Result<Int> ParseInteger(std::string_view text, Int min, Int max) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return Error{fmt::format("'{}' is not a whole number", text)};
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return Error{fmt::format("'{}' is out of range ({} to {})", text, min, max)};
  }
  return value;
}

// The same over the whole range of `Int`.
template <std::integral Int>
Result<Int> ParseInteger(std::string_view text) {
  return ParseInteger<Int>(text, std::numeric_limits<Int>::min(), std::numeric_limits<Int>::max());
}

// A duration as people write it in configuration and on command lines: a
// whole number and one unit, s, m, h or d ("90s", "30m", "12h", "7d"),
// from 1 s to `max_seconds`; nullopt for anything else.
inline std::optional<int64_t> ParseDurationSeconds(std::string_view text, int64_t max_seconds) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  if (max_seconds < unit) return std::nullopt;
  const auto n = ParseInteger<int64_t>(text.substr(0, text.size() - 1), 1, max_seconds / unit);
  if (!n) return std::nullopt;
  return *n * unit;
}

}  // namespace automon

#endif  // AUTOMON_COMMON_PARSE_INTEGER_H_
