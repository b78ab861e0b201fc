// SPDX-License-Identifier: GPL-2.0-or-later
// The options every probe shares, with monitoring-plugins semantics:
//
//   -h, --help       print help, exit UNKNOWN (3)
//   -V, --version    print "NAME vVERSION (automon VERSION)", exit UNKNOWN (3)
//   -v, --verbose    repeatable; each one raises the verbosity by one
//   -t, --timeout=SECONDS[:STATE]
//                    end the probe after SECONDS with STATE (default
//                    CRITICAL, as monitoring-plugins' timeout_state), e.g.
//                    "-t 20:UNKNOWN"; default 10 seconds
//
// A probe calls ApplyStandardOption() from its getopt_long loop for every
// option it does not handle itself. Usage errors exit UNKNOWN (3).
#ifndef AUTOMON_PROBES_LIB_STANDARD_OPTIONS_H_
#define AUTOMON_PROBES_LIB_STANDARD_OPTIONS_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "probes/lib/state.h"

namespace automon::probe {

inline constexpr int kDefaultTimeoutSeconds = 10;  // monitoring-plugins DEFAULT_SOCKET_TIMEOUT

struct Timeout {
  std::chrono::seconds duration{kDefaultTimeoutSeconds};
  State state = kCritical;  // the state to end with when it expires

  bool operator==(const Timeout&) const = default;
};

struct StandardOptions {
  bool help = false;
  bool version = false;
  int verbosity = 0;
  Timeout timeout;

  bool operator==(const StandardOptions&) const = default;
};

// Parses "SECONDS" or "SECONDS:STATE" (monitoring-plugins
// parse_timeout_string). SECONDS is a whole number from 1 to 86400; STATE is
// anything ParseState() accepts. Errors name the rejected text.
Result<Timeout> ParseTimeout(std::string_view text);

// Handles one getopt_long result if it is a standard option ('h', 'V', 'v',
// 't'; `arg` is optarg). Returns true if it was one, false if the caller must
// handle it, or an Error for a bad -t value.
Result<bool> ApplyStandardOption(int option, const char* arg, StandardOptions* options);

// "check_x v0.1.0 (automon 0.1.0)\n", like monitoring-plugins' print_revision.
std::string VersionText(std::string_view probe, std::string_view version);

// The help paragraphs for the standard options, to append to a probe's help.
std::string StandardOptionsHelp();

// What -h or -V asks a probe to print instead of checking (`help`, or the
// VersionText of `probe` and `version`); the probe then exits UNKNOWN, as
// monitoring-plugins do. nullopt when neither was given.
std::optional<std::string> StandardReply(const StandardOptions& options, std::string_view probe,
                                         std::string_view version, std::string_view help);

// "check_x timed out after 10 seconds (-t 10)": the reason a probe's
// watchdog gives when -t expires.
std::string TimedOutReason(std::string_view probe, const Timeout& timeout);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_STANDARD_OPTIONS_H_
