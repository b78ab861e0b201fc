// SPDX-License-Identifier: GPL-2.0-or-later
// automon-registrar: parses the global options, builds the real
// collaborators and hands over to the Registrar (registrar.h).
#include <getopt.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "registrar/cli/commands.h"
#include "registrar/config.h"
#include "registrar/disk.h"
#include "registrar/privileges.h"
#include "registrar/registrar.h"
#include "registrar/ssh/serve.h"

namespace {

std::string NowUtc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int Main(int argc, char* argv[]) {
  namespace cli = automon::registrar::cli;
  static const option kOptions[] = {
      {"config", required_argument, nullptr, 'c'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  std::string config_path(automon::registrar::kDefaultConfigPath);
  bool explicit_config = false;
  int c;
  // '+': stop at the subcommand, whose own options follow it.
  while ((c = getopt_long(argc, argv, "+c:hV", kOptions, nullptr)) != -1) {
    switch (c) {
      case 'c':
        config_path = optarg;
        explicit_config = true;
        break;
      case 'h':
        std::cout << cli::Usage();
        return 0;
      case 'V':
        std::cout << "automon-registrar " AUTOMON_VERSION "\n";
        return 0;
      default:
        std::cerr << cli::Usage();
        return automon::registrar::kUsage;
    }
  }
  const std::vector<std::string> args(argv + optind, argv + argc);
  const cli::Command* command = args.empty() ? nullptr : cli::FindCommand(args.front());
  // `COMMAND --help` (or -h) anywhere after it: that command's usage, before
  // reading any configuration.
  if (!args.empty() && std::any_of(args.begin() + 1, args.end(), [](const std::string& a) {
        return a == "--help" || a == "-h";
      })) {
    if (command == nullptr) {
      std::cerr << "automon-registrar: unknown command\n" << cli::Usage();
      return automon::registrar::kUsage;
    }
    std::cout << cli::CommandUsage(*command);
    return 0;
  }
  automon::RealFileSystem fs;
  automon::registrar::RealDisk disk;
  automon::RealProcessRunner runner;
  auto config = automon::registrar::LoadConfig(fs, config_path, explicit_config);
  if (!config) {
    std::cerr << "automon-registrar: " << config.error().message << "\n";
    return automon::registrar::kRefused;
  }
  // As root, every command becomes the user that owns the state (automon),
  // so that the daemon can read and replace whatever the command writes.
  if (auto became = automon::registrar::RunAsStateOwner(*config, config_path, ::geteuid());
      !became) {
    std::cerr << "automon-registrar: " << became.error().message << "\n";
    return automon::registrar::kRefused;
  }
  // Commands that activate refuse a backend command that cannot work for
  // this user before doing anything.
  if (command != nullptr && command->activates) {
    if (auto p = automon::registrar::CheckCommandPrivileges(*config, config_path, ::geteuid());
        !p) {
      std::cerr << "automon-registrar: " << p.error().message << "\n";
      return automon::registrar::kRefused;
    }
  }
  const automon::registrar::ssh::ServeDependencies serve{fs,
                                                         disk,
                                                         runner,
                                                         NowUtc,
                                                         [] { return static_cast<int64_t>(std::time(nullptr)); },
                                                         std::cerr,
                                                         AUTOMON_VERSION};
  // Run by sshd for a client's command (an OpenSSH forced command),
  // standard error goes back to the agent: the audit trail, which names
  // every host of a batch this command activates, goes to the system log
  // (the journal) instead. An administrator logged in over SSH has a
  // terminal and keeps seeing it there.
  std::function<void(const std::string&)> audit_log = nullptr;
  if (std::getenv("SSH_CONNECTION") != nullptr && ::isatty(STDERR_FILENO) == 0) {
    ::openlog("automon-registrar", LOG_PID, LOG_DAEMON);
    audit_log = [](const std::string& line) { ::syslog(LOG_INFO, "%s", line.c_str()); };
  }
  const automon::registrar::Environment env{fs,        disk,      runner,  NowUtc,   std::cin,
                                            std::cout, std::cerr, nullptr, audit_log};
  return cli::Run({*config, env, serve}, args);
}

}  // namespace

int main(int argc, char* argv[]) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "automon-registrar: error: " << e.what() << "\n";
    return automon::registrar::kRefused;
  }
}
