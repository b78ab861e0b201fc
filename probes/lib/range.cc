// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/range.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <string>

namespace automon::probe {
namespace {

// Strict decimal: [+-]?(digits(.digits?)?|.digits). from_chars alone would
// accept "inf", "nan" and (in general format) exponents.
bool ParseNumber(std::string_view text, double* out) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  bool seen_digit = false;
  bool seen_dot = false;
  for (char c : digits) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      return false;
    }
  }
  if (!seen_digit) return false;
  double value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value,
                                   std::chars_format::fixed);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  *out = negative ? -value : value;
  return true;
}

}  // namespace

bool Range::Alerts(double value) const {
  bool inside = (start_infinite || start <= value) && (end_infinite || value <= end);
  return alert_inside ? inside : !inside;
}

Result<Range> ParseRange(std::string_view text, std::string_view what) {
  auto fail = [&](std::string_view reason) -> Error {
    return Error{fmt::format("invalid {} '{}': {}", what, text, reason)};
  };
  Range range;
  range.text = std::string(text);
  std::string_view rest = text;
  if (rest.empty()) return fail("empty");
  if (rest[0] == '@') {
    range.alert_inside = true;
    rest.remove_prefix(1);
    if (rest.empty()) return fail("nothing after '@'");
  }
  std::string_view end_text = rest;
  size_t colon = rest.find(':');
  if (colon != std::string_view::npos) {
    std::string_view start_text = rest.substr(0, colon);
    end_text = rest.substr(colon + 1);
    if (start_text == "~") {
      range.start_infinite = true;
    } else if (start_text.empty()) {
      range.start = 0;  // ":n" means 0:n, as in monitoring-plugins
    } else if (!ParseNumber(start_text, &range.start)) {
      return fail(fmt::format("start '{}' is not a number", start_text));
    }
    if (end_text.empty()) {
      range.end_infinite = true;
      return range;
    }
  }
  if (!ParseNumber(end_text, &range.end)) {
    return fail(fmt::format("'{}' is not a number", end_text));
  }
  range.end_infinite = false;
  if (!range.start_infinite && range.start > range.end) {
    return fail(fmt::format("start {} is greater than end {}", range.start, range.end));
  }
  return range;
}

}  // namespace automon::probe
