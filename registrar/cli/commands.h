// SPDX-License-Identifier: GPL-2.0-or-later
// The command table of automon-registrar: every subcommand once, with its
// synopsis, its help and its handler. Dispatch, `--help`, `COMMAND --help`
// and the SYNOPSIS of automon-registrar(8) (checked by a test) all come from
// it, as wireguard-tools' subcommands[] does.
#ifndef AUTOMON_REGISTRAR_CLI_COMMANDS_H_
#define AUTOMON_REGISTRAR_CLI_COMMANDS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "registrar/config.h"
#include "registrar/registrar.h"
#include "registrar/ssh/serve.h"

namespace automon::registrar::cli {

// What a handler may use. All references must outlive the call.
struct Context {
  const Config& config;
  const Environment& env;               // receive, hosts, show, ... (registrar.h)
  const ssh::ServeDependencies& serve;  // serve and the enrollment commands
};

struct Command {
  std::string_view name;
  std::string_view synopsis;  // "receive --host NAME"
  std::string_view help;      // one or more lines, without indentation
  // Changes the live configuration: main checks first that this user can
  // run the backend's commands (CheckCommandPrivileges).
  bool activates = false;
  // Runs the command on the arguments after its name; nullopt when they do
  // not fit the synopsis (the caller prints the usage and exits kUsage).
  std::optional<int> (*run)(const Context& context, std::span<const std::string> args) = nullptr;
};

// Every command, in the order `--help` lists them.
std::span<const Command> Commands();

// The command called `name`; nullptr for anything else.
const Command* FindCommand(std::string_view name);

// The whole usage: the global synopsis and every command with its help.
std::string Usage();

// One command's usage, for `COMMAND --help` and for a usage error.
std::string CommandUsage(const Command& command);

// Dispatches `args` = {command, arguments...}: unknown commands and
// arguments that do not fit get the usage on env.err and kUsage.
int Run(const Context& context, std::span<const std::string> args);

}  // namespace automon::registrar::cli

#endif  // AUTOMON_REGISTRAR_CLI_COMMANDS_H_
