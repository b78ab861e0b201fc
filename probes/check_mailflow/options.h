// SPDX-License-Identifier: GPL-2.0-or-later
// check_mailflow's command line (see check_mailflow(1)):
//
//   check_mailflow --mode send --mailflowid ID -H HOST [-p PORT]
//       [--tls none|starttls|implicit] --to ADDRESS [--from ADDRESS]
//       [--helo NAME] [--username USER (--password-file FILE | env MAILFLOW_PASSWORD)]
//       [TLS OPTIONS] [--state-dir DIR] [-t SECONDS[:STATE]] [-v]
//   check_mailflow --mode receive --protocol imap|pop3 --mailflowid ID -H HOST
//       [-p PORT] [--tls none|starttls|implicit] --username USER
//       (--password-file FILE | env MAILFLOW_PASSWORD) [--mailbox NAME]
//       [TLS OPTIONS] [--state-dir DIR] [-t SECONDS[:STATE]] [-v]
//   check_mailflow --mode age --mailflowid ID --seconds N [--state-dir DIR]
//   TLS OPTIONS: [--tls-hostname NAME] [--ca-file FILE] [--insecure] [-D DAYS]
//
// There is deliberately no --password: a password on the command line is
// visible to every local user in the process list.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_OPTIONS_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_OPTIONS_H_

#include <optional>
#include <string>

#include "common/file_system.h"
#include "common/result.h"
#include "probes/check_mailflow/mailflow.h"
#include "probes/lib/standard_options.h"

namespace automon::mailflow {

inline constexpr char kPasswordEnvironment[] = "MAILFLOW_PASSWORD";

struct CommandLine {
  probe::StandardOptions standard;
  Config config;
};

// Parses argv with getopt_long (it resets and uses getopt's globals: call
// from one thread at a time). `env_password` is MAILFLOW_PASSWORD, if set;
// --password-file, read through `fs` (first line, one final newline
// dropped), wins over it. Long options must be spelt out in full.
//
// With -h or -V nothing else is validated. Errors are usage errors: one
// line, without "Error: ", never quoting the password.
Result<CommandLine> ParseCommandLine(int argc, char* argv[],
                                     const std::optional<std::string>& env_password,
                                     FileSystem& fs);

// The --help text.
std::string HelpText();

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_OPTIONS_H_
