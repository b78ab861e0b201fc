// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/state.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace automon::probe {

std::string_view StateName(State state) {
  switch (state) {
    case kOk:
      return "OK";
    case kWarning:
      return "WARNING";
    case kCritical:
      return "CRITICAL";
    case kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

Result<State> ParseState(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (State s : {kOk, kWarning, kCritical, kUnknown}) {
    if (upper == StateName(s) || upper == std::to_string(static_cast<int>(s))) return s;
  }
  return Error{
      fmt::format("invalid state '{}': expected OK, WARNING, CRITICAL, UNKNOWN or 0-3", text)};
}

State WorseState(State a, State b) {
  // CRITICAL outranks UNKNOWN, as in monitoring-plugins' max_state().
  auto rank = [](State s) {
    switch (s) {
      case kOk:
        return 0;
      case kWarning:
        return 1;
      case kUnknown:
        return 2;
      case kCritical:
        return 3;
    }
    return 2;
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace automon::probe
