// SPDX-License-Identifier: GPL-2.0-or-later
// check_haproxy_sessions' command line (see check_haproxy_sessions(1)):
//
//   check_haproxy_sessions (--url URL | --socket PATH)
//       [--username U (--password-file FILE | env HAPROXY_PASSWORD)]
//       [--proxy PATTERN]... [--kind frontend,backend,server]
//       [-w RANGE[%]] [-c RANGE[%]] [--down-critical] [-t SECONDS[:STATE]]
//       [-v] [-h] [-V]
//
// There is deliberately no --password: a password on the command line is
// visible to every local user in the process list.
#ifndef AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_OPTIONS_H_
#define AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_OPTIONS_H_

#include <optional>
#include <string>
#include <variant>

#include "common/file_system.h"
#include "common/result.h"
#include "probes/check_haproxy_sessions/haproxy_stats.h"
#include "probes/check_haproxy_sessions/stats_source.h"
#include "probes/lib/standard_options.h"

namespace automon::haproxy {

inline constexpr char kPasswordEnvironment[] = "HAPROXY_PASSWORD";

struct Config {
  std::variant<HttpSource, SocketSource> source;
  Selection selection;
  probe::Timeout timeout;

  bool operator==(const Config&) const = default;
};

struct CommandLine {
  probe::StandardOptions standard;
  Config config;

  bool operator==(const CommandLine&) const = default;
};

// Parses argv with getopt_long (it resets and uses getopt's globals: call
// from one thread at a time). `env_password` is HAPROXY_PASSWORD, if set; it
// is used only together with --username and when there is no
// --password-file, which is read through `fs` (one trailing newline is
// dropped; an empty password is an error).
//
// Rules: exactly one of --url (http:// or https://, without user:password@)
// and --socket; --username only with --url; --kind a comma list of
// frontend, backend, server (default frontend,backend); --proxy repeatable,
// default all; -w/-c optional, each absolute or percent.
//
// With -h or -V nothing else is validated. Errors are usage errors: one
// line, without "Error: ", never quoting the password.
Result<CommandLine> ParseCommandLine(int argc, char* argv[],
                                     const std::optional<std::string>& env_password,
                                     FileSystem& fs);

// The --help text.
std::string HelpText();

}  // namespace automon::haproxy

#endif  // AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_OPTIONS_H_
