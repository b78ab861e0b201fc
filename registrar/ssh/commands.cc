#include "registrar/ssh/commands.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "common/parse_integer.h"
#include "registrar/ssh/enrollment.h"

namespace automon::registrar::ssh {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 2;
constexpr int kUsageError = 64;

constexpr std::array<std::string_view, 5> kCommands = {"serve", "pending", "accept", "reject",
                                                       "ticket"};

}  // namespace

bool IsSshCommand(std::string_view name) {
  return std::find(kCommands.begin(), kCommands.end(), name) != kCommands.end();
}

std::string SshUsage() {
  return "  serve [--no-announce]       run the SSH endpoint for agents (listen, enrollment),\n"
         "                              announced over mDNS as _automon._tcp unless told not to\n"
         "  pending                     keys waiting to be enrolled\n"
         "  accept NAME [--replace]     enroll the pending key of NAME\n"
         "  reject NAME                 drop the pending key of NAME\n"
         "  ticket NAME [--valid DURATION]\n"
         "                              print a single-use enrollment ticket for NAME\n"
         "                              (DURATION like 30m, 12h, 7d; default 1d)\n";
}

std::optional<int64_t> ParseDuration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const Result<int64_t> parsed = ParseInteger(text.substr(0, text.size() - 1), int64_t{1},
                                              std::numeric_limits<int64_t>::max());
  if (!parsed) return std::nullopt;
  const int64_t n = *parsed;
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  if (n > 365 * 86400 / unit) return std::nullopt;
  return n * unit;
}

int RunSshCommand(std::span<const std::string> args, const Config& config,
                  const ServeDependencies& deps, std::ostream& out) {
  auto usage = [&](std::string_view why) {
    deps.log << "automon-registrar: " << why << "\n";
    return kUsageError;
  };
  const std::string& command = args.front();
  if (command == "serve") {
    ServeOptions options;
    if (args.size() == 2 && args[1] == "--no-announce") {
      options.announce = false;
    } else if (args.size() != 1) {
      return usage("usage: serve [--no-announce]");
    }
    return Serve(config, deps, options);
  }
  Enrollment enrollment(deps.fs, deps.disk, config.state_dir, config.enrollment, {},
                        {deps.now_iso8601, deps.now_unix}, [&](const std::string& line) {
                          deps.log << "automon-registrar: " << line << "\n";
                        });
  if (auto init = enrollment.Initialise(); !init) {
    deps.log << "automon-registrar: " << init.error().message << "\n";
    return kFailed;
  }
  if (command == "pending") {
    if (args.size() != 1) return usage("usage: pending");
    for (const KeyRecord& k : enrollment.Pending()) {
      out << fmt::format(
          "{}  {}  from {}  since {}{}\n", k.host, k.fingerprint, k.peer, k.when,
          k.how == "replace" ? "  (replaces the enrolled key: accept --replace)" : "");
    }
    return kOk;
  }
  if (command == "accept") {
    const bool replace = args.size() == 3 && args[2] == "--replace";
    if (args.size() < 2 || args.size() > 3 || (args.size() == 3 && !replace)) {
      return usage("usage: accept NAME [--replace]");
    }
    auto accepted = enrollment.Accept(args[1], replace);
    if (!accepted) {
      deps.log << "automon-registrar: " << accepted.error().message << "\n";
      return kFailed;
    }
    out << fmt::format("{} enrolled with key {}\n", accepted->host, accepted->fingerprint);
    return kOk;
  }
  if (command == "reject") {
    if (args.size() != 2) return usage("usage: reject NAME");
    if (auto rejected = enrollment.Reject(args[1]); !rejected) {
      deps.log << "automon-registrar: " << rejected.error().message << "\n";
      return kFailed;
    }
    return kOk;
  }
  // ticket NAME [--valid DURATION]
  int64_t valid = 86400;
  if (args.size() == 4 && args[2] == "--valid") {
    auto parsed = ParseDuration(args[3]);
    if (!parsed) {
      return usage(
          fmt::format("invalid duration '{}': expected a number and s, m, h or d, at "
                      "most 365d",
                      args[3]));
    }
    valid = *parsed;
  } else if (args.size() != 2) {
    return usage("usage: ticket NAME [--valid DURATION]");
  }
  auto ticket = enrollment.IssueTicket(args[1], valid);
  if (!ticket) {
    deps.log << "automon-registrar: " << ticket.error().message << "\n";
    return kFailed;
  }
  out << *ticket << "\n";
  deps.log << fmt::format("automon-registrar: on {}, run: automon-agent enroll --ticket {}\n",
                          args[1], *ticket);
  return kOk;
}

}  // namespace automon::registrar::ssh
