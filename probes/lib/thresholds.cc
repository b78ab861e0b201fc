// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/thresholds.h"

#include <fmt/format.h>

namespace automon::probe {

State Thresholds::Evaluate(double value) const {
  if (critical && critical->Alerts(value)) return kCritical;
  if (warning && warning->Alerts(value)) return kWarning;
  return kOk;
}

Result<Thresholds> ParseThresholds(std::string_view warning, std::string_view critical) {
  Thresholds thresholds;
  struct Item {
    std::string_view option;
    std::string_view text;
    std::optional<Range>* out;
  };
  for (const Item& item :
       {Item{"-w", warning, &thresholds.warning}, Item{"-c", critical, &thresholds.critical}}) {
    if (item.text.empty()) continue;
    Result<Range> range = ParseRange(item.text, fmt::format("{} range", item.option));
    if (!range) return range.error();
    *item.out = std::move(range).value();
  }
  return thresholds;
}

}  // namespace automon::probe
