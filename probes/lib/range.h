// SPDX-License-Identifier: GPL-2.0-or-later
// Range: a monitoring-plugins threshold range ("Nagios range").
//
// Syntax (monitoring-plugins utils_base.c parse_range_string and the plugin
// development guidelines), with `n`, `m` decimal numbers, possibly negative:
//
//   n       alert if value < 0 or value > n        (same as 0:n)
//   n:      alert if value < n
//   ~:n     alert if value > n                     (~ is minus infinity)
//   :n      same as 0:n
//   n:m     alert if value < n or value > m
//   @n:m    alert if n <= value <= m               (@ inverts any form above)
//
// Unlike monitoring-plugins, which reads numbers with a lax strtod() and so
// silently takes "abc" as 0, parsing is strict: anything but the grammar
// above is an Error naming the offending text. Numbers are [+-]digits[.digits]
// or [+-].digits; exponents, hex, inf and nan are rejected.
//
// Ranges are immutable value types; safe to share between threads.
#ifndef AUTOMON_PROBES_LIB_RANGE_H_
#define AUTOMON_PROBES_LIB_RANGE_H_

#include <string>
#include <string_view>

#include "common/result.h"

namespace automon::probe {

struct Range {
  double start = 0;
  bool start_infinite = false;  // "~:" (minus infinity)
  double end = 0;
  bool end_infinite = true;   // "n:" (plus infinity)
  bool alert_inside = false;  // "@" prefix
  std::string text;           // the text it was parsed from, e.g. "@10:20"

  // True when `value` must raise an alert (monitoring-plugins check_range()).
  bool Alerts(double value) const;

  bool operator==(const Range&) const = default;
};

// Parses `text` (see the grammar above). The error reads
// "invalid WHAT 'TEXT': REASON", WHAT defaulting to "range" (a probe passes
// e.g. "-w range" so the message names the option).
Result<Range> ParseRange(std::string_view text, std::string_view what = "range");

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_RANGE_H_
