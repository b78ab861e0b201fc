// SPDX-License-Identifier: GPL-2.0-or-later
// check_guacamole's command line: parsed into a Config (guacamole.h) plus
// the standard probe options, validated, with the password resolved from
// --password, --password-file or GUACAMOLE_PASSWORD.
#ifndef AUTOMON_PROBES_CHECK_GUACAMOLE_OPTIONS_H_
#define AUTOMON_PROBES_CHECK_GUACAMOLE_OPTIONS_H_

#include <optional>
#include <string>

#include "common/file_system.h"
#include "common/result.h"
#include "probes/check_guacamole/guacamole.h"
#include "probes/lib/standard_options.h"

namespace automon::guacamole {

struct CommandLine {
  probe::StandardOptions standard;
  Config config;
};

// Parses argv with getopt_long (so it resets and uses getopt's globals: call
// from one thread at a time). `env_password` is GUACAMOLE_PASSWORD, if set.
// The password file is read through `fs`.
//
// The text of a --password argument is overwritten with 'x' in argv once
// copied, so it does not stay visible in /proc/PID/cmdline for the whole
// run (it is visible before that: prefer --password-file or the
// environment).
//
// With -h or -V the other options are not validated. Errors are usage
// errors, one line, without "Error: ".
Result<CommandLine> ParseCommandLine(int argc, char* argv[],
                                     const std::optional<std::string>& env_password,
                                     FileSystem& fs);

// The --help text.
std::string HelpText();

}  // namespace automon::guacamole

#endif  // AUTOMON_PROBES_CHECK_GUACAMOLE_OPTIONS_H_
