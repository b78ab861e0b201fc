// SPDX-License-Identifier: GPL-2.0-or-later
// Monitoring-plugins exit states (the Nagios plugin API).
//
// A probe's process exit code is its State; the numeric values are fixed by
// the plugin API and must not change.
#ifndef AUTOMON_PROBES_LIB_STATE_H_
#define AUTOMON_PROBES_LIB_STATE_H_

#include <string_view>

#include "common/result.h"

namespace automon::probe {

enum State : int { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

// "OK", "WARNING", "CRITICAL" or "UNKNOWN".
std::string_view StateName(State state);

// Parses a state as monitoring-plugins' translate_state() does: a name
// ("OK", "warning", ... case-insensitive) or its number "0".."3". The error
// names the rejected text.
Result<State> ParseState(std::string_view text);

// The worse of two states, in the order OK < WARNING < UNKNOWN < CRITICAL
// (monitoring-plugins max_state()).
State WorseState(State a, State b);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_STATE_H_
