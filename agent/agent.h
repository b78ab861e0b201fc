// SPDX-License-Identifier: GPL-2.0-or-later
// automon-agent's subcommands, as a library: main() only builds the
// Environment and calls RunAgent().
#ifndef AUTOMON_AGENT_AGENT_H_
#define AUTOMON_AGENT_AGENT_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <span>
#include <string>

#include "agent/discovery.h"
#include "agent/remote.h"
#include "common/file_system.h"

namespace automon::agent {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitErrors = 1;  // the input had errors (or the work failed)
inline constexpr int kExitUsage = 2;   // bad command line

// What the commands may touch. Non-owning; everything outlives RunAgent().
struct Environment {
  FileSystem& fs;
  std::ostream& out;
  std::ostream& err;
  // This host's fully qualified name; called only when a command needs it
  // and neither --name nor agent.conf's `name` gives one.
  std::function<std::string()> host_name;
  // Seconds since the epoch, the default snapshot generation.
  std::function<int64_t()> now;
  // How the network commands reach a registrar.
  RemoteFactory& remotes;
  // How `registrar = auto` finds registrars.
  Discovery& discovery;
  // Standard input (automon-agent send); nullptr: std::cin.
  std::istream* in = nullptr;
};

// Runs `automon-agent ARGS...` (ARGS without the program name) and returns
// the exit code. Never throws for bad input; errors go to env.err.
int RunAgent(std::span<const std::string> args, Environment& env);

// The --help text.
std::string Usage();

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_AGENT_H_
