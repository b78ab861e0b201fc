// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/cli/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/text.h"
#include "registrar/ssh/commands.h"

namespace automon::registrar::cli {
namespace {

using Args = std::span<const std::string>;

// The host argument of a command that takes exactly one.
std::optional<std::string> OneName(Args args) {
  if (args.size() != 1 || args[0].starts_with("-")) return std::nullopt;
  return args[0];
}

// Each handler builds a Registrar only once its arguments fit.
template <class Fn>
std::optional<int> WithRegistrar(const Context& c, Fn fn) {
  Registrar registrar(c.config, c.env);
  return fn(registrar);
}

std::optional<int> Receive(const Context& c, Args args) {
  std::optional<std::string> host;
  if (args.size() == 2 && args[0] == "--host") host = args[1];
  if (args.size() == 1 && args[0].starts_with("--host=")) host = args[0].substr(7);
  if (!host) return std::nullopt;
  return WithRegistrar(c, [&](Registrar& r) { return r.Receive(*host); });
}

// Takes a trailing "--json" off `args`.
OutputFormat TakeJson(Args& args) {
  if (args.empty() || args.back() != "--json") return OutputFormat::kText;
  args = args.first(args.size() - 1);
  return OutputFormat::kJson;
}

std::optional<int> Hosts(const Context& c, Args args) {
  const OutputFormat format = TakeJson(args);
  if (!args.empty()) return std::nullopt;
  return WithRegistrar(c, [&](Registrar& r) { return r.Hosts(format); });
}

std::optional<int> Show(const Context& c, Args args) {
  const OutputFormat format = TakeJson(args);
  auto host = OneName(args);
  if (!host) return std::nullopt;
  return WithRegistrar(c, [&](Registrar& r) { return r.Show(*host, format); });
}

std::optional<int> Remove(const Context& c, Args args) {
  auto host = OneName(args);
  if (!host) return std::nullopt;
  return WithRegistrar(c, [&](Registrar& r) { return r.Remove(*host); });
}

std::optional<int> Readmit(const Context& c, Args args) {
  auto host = OneName(args);
  if (!host) return std::nullopt;
  return WithRegistrar(c, [&](Registrar& r) { return r.Readmit(*host); });
}

// render, or render [--backend NAME] --example: what to add to the
// engine's own configuration (Backend::Example), without touching state.
std::optional<int> Render(const Context& c, Args args) {
  if (args.empty()) return WithRegistrar(c, [](Registrar& r) { return r.Render(); });
  if (args.back() != "--example") return std::nullopt;
  Config config = c.config;
  if (args.size() == 3 && args[0] == "--backend") {
    const std::vector<backends::BackendKind> kinds = RegistrarBackends();
    auto kind = backends::ParseBackendName(args[1]);
    if (!kind || std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
      c.env.err << fmt::format("automon-registrar: unknown backend '{}'\n", OneLine(args[1]));
      return kUsage;
    }
    config.backend = *kind;
  } else if (args.size() != 1) {
    return std::nullopt;
  }
  auto backend = MakeBackend(config, c.env.fs, c.env.disk, c.env.runner);
  auto example = backend->Example();
  if (!example) {
    c.env.err << fmt::format(
        "automon-registrar: {} needs nothing in its own configuration beyond the files of "
        "automon's package\n",
        backend->DisplayName());
    return kRefused;
  }
  c.env.out << *example;
  return kOk;
}

std::optional<int> Check(const Context& c, Args args) {
  if (!args.empty()) return std::nullopt;
  return WithRegistrar(c, [](Registrar& r) { return r.Check(); });
}

std::optional<int> Serve(const Context& c, Args args) {
  ssh::ServeOptions options;
  if (args.size() == 1 && args[0] == "--no-announce") {
    options.announce = false;
  } else if (!args.empty()) {
    return std::nullopt;
  }
  return ssh::Serve(c.config, c.serve, options);
}

std::optional<int> Pending(const Context& c, Args args) {
  const OutputFormat format = TakeJson(args);
  if (!args.empty()) return std::nullopt;
  return ssh::RunPending(c.config, c.serve, c.env.out, format);
}

std::optional<int> Accept(const Context& c, Args args) {
  const bool replace = args.size() == 2 && args[1] == "--replace";
  if (args.empty() || args.size() > 2 || (args.size() == 2 && !replace)) return std::nullopt;
  if (args[0].starts_with("-")) return std::nullopt;
  return ssh::RunAccept(c.config, c.serve, c.env.out, args[0], replace);
}

std::optional<int> Reject(const Context& c, Args args) {
  auto host = OneName(args);
  if (!host) return std::nullopt;
  return ssh::RunReject(c.config, c.serve, *host);
}

std::optional<int> Ticket(const Context& c, Args args) {
  constexpr int64_t kDefaultValidity = 86400;
  if (args.size() == 1 && !args[0].starts_with("-")) {
    return ssh::RunTicket(c.config, c.serve, c.env.out, args[0], kDefaultValidity);
  }
  if (args.size() != 3 || args[1] != "--valid" || args[0].starts_with("-")) return std::nullopt;
  auto valid = ssh::ParseDuration(args[2]);
  if (!valid) {
    c.env.err << fmt::format(
        "automon-registrar: invalid duration '{}': expected a number and s, m, h or d, at most "
        "365d\n",
        OneLine(args[2]));
    return kUsage;
  }
  return ssh::RunTicket(c.config, c.serve, c.env.out, args[0], *valid);
}

constexpr std::array<Command, 12> kCommands = {{
    {"receive", "receive --host NAME", "read a snapshot on stdin, store, render and activate it",
     true, Receive},
    {"hosts", "hosts [--json]", "list registered, quarantined and removed hosts", false, Hosts},
    {"show", "show NAME [--json]", "show a host's accepted services (secrets redacted)", false,
     Show},
    {"remove", "remove NAME", "remove a host and refuse its registrations from now on", true,
     Remove},
    {"readmit", "readmit NAME", "accept registrations from a removed host again", false, Readmit},
    {"render", "render [[--backend NAME] --example]",
     "regenerate and activate the configuration of every host;\n"
     "with --example, print what to add to the engine's own\n"
     "configuration (prometheus: the scrape job) and change nothing",
     true, Render},
    {"check", "check",
     "the self-check plugin (exit 0-3, one line with perfdata):\n"
     "quarantined hosts, a failed activation, waiting enrollments,\n"
     "silent hosts; run by the engine as the service \"automon registrar\"",
     false, Check},
    {"serve", "serve [--no-announce]",
     "run the SSH endpoint for agents (listen, enrollment),\n"
     "announced over mDNS as _automon._tcp unless told not to",
     true, Serve},
    {"pending", "pending [--json]", "keys waiting to be enrolled", false, Pending},
    {"accept", "accept NAME [--replace]", "enroll the pending key of NAME", false, Accept},
    {"reject", "reject NAME", "drop the pending key of NAME", false, Reject},
    {"ticket", "ticket NAME [--valid DURATION]",
     "print a single-use enrollment ticket for NAME\n"
     "(DURATION like 30m, 12h, 7d; default 1d)",
     false, Ticket},
}};

constexpr size_t kSynopsisWidth = 30;

// "  synopsis   help line 1\n" + continuation lines under the help column.
std::string Entry(const Command& command) {
  std::string text = fmt::format("  {}", command.synopsis);
  std::string_view help = command.help;
  bool first = true;
  while (!help.empty() || first) {
    const size_t newline = help.find('\n');
    const std::string_view line = help.substr(0, newline);
    if (first && text.size() < kSynopsisWidth) {
      text += std::string(kSynopsisWidth - text.size(), ' ');
    } else {
      text += "\n" + std::string(kSynopsisWidth, ' ');
    }
    text += line;
    first = false;
    help = newline == std::string_view::npos ? std::string_view() : help.substr(newline + 1);
  }
  return text + "\n";
}

}  // namespace

std::span<const Command> Commands() { return kCommands; }

const Command* FindCommand(std::string_view name) {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string Usage() {
  std::string text =
      "usage: automon-registrar [--config FILE] COMMAND [ARGS]\n"
      "       automon-registrar --help | --version\n"
      "       automon-registrar COMMAND --help\n\ncommands:\n";
  for (const Command& command : kCommands) text += Entry(command);
  return text;
}

std::string CommandUsage(const Command& command) {
  return fmt::format("usage: automon-registrar [--config FILE] {}\n\n{}", command.name,
                     Entry(command));
}

int Run(const Context& context, std::span<const std::string> args) {
  if (args.empty()) {
    context.env.err << Usage();
    return kUsage;
  }
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) {
    context.env.err << fmt::format("automon-registrar: unknown command '{}'\n", OneLine(args[0]))
                    << Usage();
    return kUsage;
  }
  std::optional<int> status = command->run(context, args.subspan(1));
  if (!status) {
    context.env.err << "automon-registrar: wrong arguments\n" << CommandUsage(*command);
    return kUsage;
  }
  return *status;
}

}  // namespace automon::registrar::cli
