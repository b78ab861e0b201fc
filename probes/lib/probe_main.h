// SPDX-License-Identifier: GPL-2.0-or-later
// The frame of every probe's main(): an exception that escapes the probe's
// body still ends the run the monitoring-plugins way, with one line
// "Error: internal error: ..." on stdout and the UNKNOWN state.
//
//   int main(int argc, char* argv[]) {
//     return automon::probe::GuardedMain([&] { return Run(argc, argv); });
//   }
#ifndef AUTOMON_PROBES_LIB_PROBE_MAIN_H_
#define AUTOMON_PROBES_LIB_PROBE_MAIN_H_

#include <cstdio>
#include <functional>

namespace automon::probe {

// Returns run()'s exit code, or UNKNOWN (3) after printing the error line to
// `out` when it throws.
int GuardedMain(const std::function<int()>& run, std::FILE* out = stdout);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_PROBE_MAIN_H_
