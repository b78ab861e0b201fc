// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/check_result.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"

namespace automon::probe {

CheckResult ErrorResult(const ProbeError& error) {
  std::string summary = "Error: ";
  summary.append(error.message);
  return CheckResult{error.state, std::move(summary), {}, {}};
}

std::string SanitizeLine(std::string_view text) {
  std::string out = OneLine(text, ' ');
  std::replace(out.begin(), out.end(), '|', '/');
  return out;
}

std::string FormatNagios(const CheckResult& result) {
  std::string out = SanitizeLine(result.summary);
  if (!result.perfdata.empty()) {
    out += " |";
    for (const Perfdata& item : result.perfdata) {
      out += ' ';
      out += FormatPerfdata(item);
    }
  }
  out += '\n';
  for (const std::string& line : result.long_output) {
    out += SanitizeLine(line);
    out += '\n';
  }
  return out;
}

namespace {

// Checkmk's perfdata levels are plain numbers compared as "value >= level".
std::string CheckmkLevel(const std::optional<Range>& range) {
  if (!range || range->alert_inside || range->end_infinite) return "";
  if (!range->start_infinite && range->start != 0) return "";
  return FormatNumber(range->end);
}

std::string CheckmkPerfdata(const Perfdata& item) {
  std::string label;
  for (char c : item.label) label += (c == ' ' || c == '|' || c == '=') ? '_' : c;
  auto optional_number = [](const std::optional<double>& v) {
    return v ? FormatNumber(*v) : std::string();
  };
  return fmt::format("{}={}{};{};{};{};{}", label, FormatNumber(item.value), item.uom,
                     CheckmkLevel(item.warning), CheckmkLevel(item.critical),
                     optional_number(item.min), optional_number(item.max));
}

}  // namespace

std::string FormatCheckmkLocal(const CheckResult& result, std::string_view service) {
  std::string perf;
  for (const Perfdata& item : result.perfdata) {
    if (!perf.empty()) perf += '|';
    perf += CheckmkPerfdata(item);
  }
  if (perf.empty()) perf.push_back('-');
  std::string name;
  for (char c : service) name += (c == '"') ? '\'' : c;
  std::string out = fmt::format("{} \"{}\" {} {}", static_cast<int>(result.state),
                                SanitizeLine(name), perf, SanitizeLine(result.summary));
  for (const std::string& line : result.long_output) {
    out += "\\n";
    out += SanitizeLine(line);
  }
  out += '\n';
  return out;
}

}  // namespace automon::probe
