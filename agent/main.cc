// SPDX-License-Identifier: GPL-2.0-or-later
// automon-agent: registers this host's services with an automon registrar.
// See automon-agent(8). All logic lives in the automon_agent library.
#include <netdb.h>
#include <unistd.h>

#include <ctime>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "common/file_system.h"

namespace {

// The canonical name of this host, as `hostname -f` finds it.
std::string FullyQualifiedHostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* info = nullptr;
  std::string result = name;
  if (::getaddrinfo(name, nullptr, &hints, &info) == 0) {
    if (info != nullptr && info->ai_canonname != nullptr) result = info->ai_canonname;
    ::freeaddrinfo(info);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    automon::RealFileSystem fs;
    automon::agent::SshRemoteFactory remotes(fs);
    automon::agent::AvahiDiscovery discovery;
    automon::agent::Environment env{fs,
                                    std::cout,
                                    std::cerr,
                                    FullyQualifiedHostName,
                                    [] { return static_cast<int64_t>(std::time(nullptr)); },
                                    remotes,
                                    discovery};
    return automon::agent::RunAgent(args, env);
  } catch (const std::exception& e) {
    std::cerr << "automon-agent: error: " << e.what() << '\n';
    return 1;
  }
}
