// The registrar subcommands of the SSH side (automon-registrar(8)):
//   serve                         the SSH daemon (serve.h)
//   pending                       keys waiting for enrollment
//   accept NAME [--replace]       enroll the pending key of NAME
//   reject NAME                   drop the pending key of NAME
//   ticket NAME [--valid DURATION]   a single-use enrollment ticket
#ifndef AUTOMON_REGISTRAR_SSH_COMMANDS_H_
#define AUTOMON_REGISTRAR_SSH_COMMANDS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "registrar/config.h"
#include "registrar/ssh/serve.h"

namespace automon::registrar::ssh {

bool IsSshCommand(std::string_view name);
std::string SshUsage();

// "90s", "30m", "12h", "7d" (at most 365 days); nullopt otherwise.
std::optional<int64_t> ParseDuration(std::string_view text);

// Runs `args` = {subcommand, arguments...}. Output for people goes to
// deps.log (stderr); `out` gets what scripts read (the ticket, the list).
int RunSshCommand(std::span<const std::string> args, const Config& config,
                  const ServeDependencies& deps, std::ostream& out);

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_COMMANDS_H_
