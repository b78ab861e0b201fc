// SPDX-License-Identifier: GPL-2.0-or-later
// Perfdata: one performance-data item of the plugin output, rendered as
//   label=value[UOM];warn;crit;min;max
// (Nagios plugin development guidelines, "Performance data").
#ifndef AUTOMON_PROBES_LIB_PERFDATA_H_
#define AUTOMON_PROBES_LIB_PERFDATA_H_

#include <optional>
#include <string>

#include "probes/lib/range.h"

namespace automon::probe {

struct Perfdata {
  std::string label;
  double value = 0;
  std::string uom;               // "", "s", "%", "B", "c", ...
  std::optional<Range> warning;  // rendered as the range's own text
  std::optional<Range> critical;
  std::optional<double> min;
  std::optional<double> max;

  bool operator==(const Perfdata&) const = default;
};

// Renders `item`. All four separators are always written, so missing fields
// stay empty ("n=5;;;0;"), which the guidelines allow and which keeps the
// position of each field stable for parsers.
//
// The label is single-quoted only when it needs it, as monitoring-plugins'
// perfdata() does: when it holds a space, '=' or a single quote. A single
// quote inside a label is doubled, as the guidelines require.
//
// Numbers: integral values print without a decimal point ("5"), others with
// up to 6 decimals and no trailing zeros ("0.25"); never in exponent form.
std::string FormatPerfdata(const Perfdata& item);

// The same number formatting, exposed for summaries and other formats.
std::string FormatNumber(double value);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_PERFDATA_H_
