// SPDX-License-Identifier: GPL-2.0-or-later
// Command-line helpers for probes that take a password: reading it from a
// file, and refusing abbreviated long options. Shared by check_haproxy_sessions
// and check_mailflow.
#ifndef AUTOMON_PROBES_LIB_SECRET_OPTIONS_H_
#define AUTOMON_PROBES_LIB_SECRET_OPTIONS_H_

#include <getopt.h>

#include <string>
#include <string_view>

#include "common/file_system.h"
#include "common/result.h"

namespace automon::probe {

// The password in `path`: one line (a trailing LF or CRLF is dropped), at
// most 64 KiB, not empty. Errors name the option and the file, never the
// content.
Result<std::string> ReadPasswordFile(FileSystem& fs, const std::string& path);

// getopt_long accepts any unambiguous prefix of a long option, so a
// mistyped "--password SECRET" would become "--password-file SECRET" and
// the secret would be quoted in an error. This rejects any long option not
// spelt out in full, before getopt_long runs, naming only the option
// (never what follows its '='). `short_with_value` lists the short options
// that take a value, whose value is skipped whatever it looks like.
Result<void> RejectAbbreviations(int argc, char* argv[], const option* options,
                                 std::string_view short_with_value);

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_SECRET_OPTIONS_H_
