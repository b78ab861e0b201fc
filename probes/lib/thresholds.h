// SPDX-License-Identifier: GPL-2.0-or-later
// Thresholds: the -w/-c pair of a probe (monitoring-plugins thresholds).
#ifndef AUTOMON_PROBES_LIB_THRESHOLDS_H_
#define AUTOMON_PROBES_LIB_THRESHOLDS_H_

#include <optional>
#include <string_view>

#include "common/result.h"
#include "probes/lib/range.h"
#include "probes/lib/state.h"

namespace automon::probe {

struct Thresholds {
  std::optional<Range> warning;   // -w; none means never WARNING
  std::optional<Range> critical;  // -c; none means never CRITICAL

  // CRITICAL if the critical range alerts, else WARNING if the warning range
  // alerts, else OK (monitoring-plugins get_status()).
  State Evaluate(double value) const;

  bool operator==(const Thresholds&) const = default;
};

// Parses the -w and -c texts; an empty view means "not given". Errors name
// the option: "invalid -w range 'x': ...".
Result<Thresholds> ParseThresholds(std::string_view warning, std::string_view critical);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_THRESHOLDS_H_
