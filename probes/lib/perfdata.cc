// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/perfdata.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace automon::probe {

std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9.0e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  std::string text = fmt::format("{:.6f}", value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string FormatPerfdata(const Perfdata& item) {
  std::string label;
  if (item.label.find_first_of(" ='") != std::string::npos) {
    label = "'";
    for (char c : item.label) {
      label += c;
      if (c == '\'') label += '\'';
    }
    label += "'";
  } else {
    label = item.label;
  }
  auto optional_number = [](const std::optional<double>& v) {
    return v ? FormatNumber(*v) : std::string();
  };
  return fmt::format("{}={}{};{};{};{};{}", label, FormatNumber(item.value), item.uom,
                     item.warning ? item.warning->text : "",
                     item.critical ? item.critical->text : "", optional_number(item.min),
                     optional_number(item.max));
}

}  // namespace automon::probe
