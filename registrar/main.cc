// automon-registrar: parses the global options, builds the real
// collaborators and hands over to the Registrar (registrar.h).
#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "registrar/config.h"
#include "registrar/disk.h"
#include "registrar/registrar.h"
#include "registrar/ssh/commands.h"

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
  using automon::registrar::Registrar;
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
        std::cout << Registrar::Usage() << automon::registrar::ssh::SshUsage();
        return 0;
      case 'V':
        std::cout << "automon-registrar " AUTOMON_VERSION "\n";
        return 0;
      default:
        std::cerr << Registrar::Usage();
        return automon::registrar::kUsage;
    }
  }
  // `COMMAND --help` (or -h) anywhere after it: that command's usage, before
  // reading any configuration.
  if (optind < argc) {
    const std::vector<std::string> rest(argv + optind + 1, argv + argc);
    if (std::any_of(rest.begin(), rest.end(),
                    [](const std::string& a) { return a == "--help" || a == "-h"; })) {
      auto usage = Registrar::CommandUsage(argv[optind], automon::registrar::ssh::SshUsage());
      if (!usage) {
        std::cerr << "automon-registrar: unknown command\n" << Registrar::Usage();
        return automon::registrar::kUsage;
      }
      std::cout << *usage;
      return 0;
    }
  }
  automon::RealFileSystem fs;
  automon::registrar::RealDisk disk;
  automon::RealProcessRunner runner;
  auto config = automon::registrar::LoadConfig(fs, config_path, explicit_config);
  if (!config) {
    std::cerr << "automon-registrar: " << config.error().message << "\n";
    return automon::registrar::kRefused;
  }
  const std::vector<std::string> args(argv + optind, argv + argc);
  // Commands that activate refuse a Checkmk command that cannot work for
  // this user before doing anything.
  static const std::vector<std::string> kActivating = {"receive", "render", "remove", "deregister",
                                                       "serve"};
  if (!args.empty() &&
      std::find(kActivating.begin(), kActivating.end(), args.front()) != kActivating.end()) {
    if (auto p = automon::registrar::CheckCommandPrivileges(*config, config_path, ::geteuid());
        !p) {
      std::cerr << "automon-registrar: " << p.error().message << "\n";
      return automon::registrar::kRefused;
    }
  }
  if (!args.empty() && automon::registrar::ssh::IsSshCommand(args.front())) {
    const automon::registrar::ssh::ServeDependencies deps{fs,
                                                          disk,
                                                          runner,
                                                          NowUtc,
                                                          [] { return static_cast<int64_t>(std::time(nullptr)); },
                                                          std::cerr,
                                                          AUTOMON_VERSION};
    return automon::registrar::ssh::RunSshCommand(args, *config, deps, std::cout);
  }
  const automon::registrar::Environment env{fs,       disk,      runner,   NowUtc,
                                            std::cin, std::cout, std::cerr};
  Registrar registrar(*config, env);
  return registrar.Run(args);
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
