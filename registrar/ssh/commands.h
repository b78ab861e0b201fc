// SPDX-License-Identifier: GPL-2.0-or-later
// The enrollment subcommands of automon-registrar(8): pending, accept,
// reject, ticket (serve is Serve() in serve.h). The command table in
// registrar/cli/ parses their arguments and calls these.
#ifndef AUTOMON_REGISTRAR_SSH_COMMANDS_H_
#define AUTOMON_REGISTRAR_SSH_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "registrar/config.h"
#include "registrar/registrar.h"
#include "registrar/ssh/serve.h"

namespace automon::registrar::ssh {

// "90s", "30m", "12h", "7d" (at most 365 days); nullopt otherwise.
std::optional<int64_t> ParseDuration(std::string_view text);

// The enrollment commands; argument parsing and usage are the command
// table's (registrar/cli/commands.h). Output for people goes to deps.log
// (stderr); `out` gets what scripts read (the list, the ticket; with
// OutputFormat::kJson, pending's list as JSON). They return
// 0, or 2 after saying why they failed.
int RunPending(const Config& config, const ServeDependencies& deps, std::ostream& out,
               OutputFormat format = OutputFormat::kText);
int RunAccept(const Config& config, const ServeDependencies& deps, std::ostream& out,
              const std::string& host, bool replace);
int RunReject(const Config& config, const ServeDependencies& deps, const std::string& host);
int RunTicket(const Config& config, const ServeDependencies& deps, std::ostream& out,
              const std::string& host, int64_t valid_seconds);

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_COMMANDS_H_
