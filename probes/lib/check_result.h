// SPDX-License-Identifier: GPL-2.0-or-later
// CheckResult: what a probe reports, and the formats it is printed in.
//
// A probe computes one CheckResult (usually with a pure Evaluate() function)
// and main() prints it and exits with its state. ProbeError and Outcome<T>
// carry failures that already know their monitoring state (for example a
// refused connection is CRITICAL, an unparsable reply UNKNOWN).
#ifndef AUTOMON_PROBES_LIB_CHECK_RESULT_H_
#define AUTOMON_PROBES_LIB_CHECK_RESULT_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "probes/lib/perfdata.h"
#include "probes/lib/state.h"

namespace automon::probe {

struct CheckResult {
  State state = kUnknown;
  std::string summary;                   // the first output line, without perfdata
  std::vector<std::string> long_output;  // further lines (shown with -v)
  std::vector<Perfdata> perfdata;

  bool operator==(const CheckResult&) const = default;
};

// A failure with the state it maps to. `message` is one line for a person,
// without the "Error: " prefix.
struct ProbeError {
  State state = kUnknown;
  std::string message;

  bool operator==(const ProbeError&) const = default;
};

// Either a T or a ProbeError; Result<T> with an error that carries a State.
template <typename T>
using Outcome = automon::Expected<T, ProbeError>;

// The CheckResult of a failure: summary "Error: MESSAGE", no perfdata.
CheckResult ErrorResult(const ProbeError& error);

// Nagios plugin output:
//   SUMMARY[ | PERF PERF...]\n
//   LONG LINE\n ...
// Text is made safe for the plugin API first: '|' (the perfdata separator)
// becomes '/', and control characters (newlines included) become spaces, so
// a summary is always exactly one line.
std::string FormatNagios(const CheckResult& result);

// A Checkmk local-check line (Checkmk "local checks"):
//   STATE "SERVICE" PERF|PERF|... SUMMARY\nLONG\nLONG
// with "-" when there is no perfdata and long output joined by the literal
// two characters "\n", as Checkmk expects on one line. Range thresholds are
// reduced to what Checkmk understands: a plain upper bound ("10", "0:10",
// "~:10") becomes "10"; any other range leaves the field empty (the state
// is still computed by the probe).
std::string FormatCheckmkLocal(const CheckResult& result, std::string_view service);

// Replaces '|' and control characters as FormatNagios does.
std::string SanitizeLine(std::string_view text);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_CHECK_RESULT_H_
