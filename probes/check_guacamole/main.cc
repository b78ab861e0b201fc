// SPDX-License-Identifier: GPL-2.0-or-later
// check_guacamole: counts the active sessions of an Apache Guacamole server.
// A thin main: parse the command line, build the real collaborators, run,
// print, exit with the state. See check_guacamole(1).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/file_system.h"
#include "probes/check_guacamole/client.h"
#include "probes/check_guacamole/guacamole.h"
#include "probes/check_guacamole/options.h"
#include "probes/lib/probe_main.h"
#include "probes/lib/socket_http_client.h"
#include "probes/lib/standard_options.h"
#include "probes/lib/watchdog.h"

namespace {

using automon::guacamole::Config;
using automon::probe::ProbeError;

constexpr char kProbe[] = "check_guacamole";

int Print(const Config& config, const automon::probe::Outcome<automon::guacamole::Measurement>& o,
          std::optional<double> seconds = std::nullopt) {
  automon::guacamole::Output output = automon::guacamole::Render(config, o, seconds);
  std::fwrite(output.text.data(), 1, output.text.size(), stdout);
  std::fflush(stdout);
  return output.state;
}

int Run(int argc, char* argv[]) {
  const char* env_password = std::getenv("GUACAMOLE_PASSWORD");
  automon::RealFileSystem fs;
  automon::Result<automon::guacamole::CommandLine> line = automon::guacamole::ParseCommandLine(
      argc, argv, env_password ? std::optional<std::string>(env_password) : std::nullopt, fs);
  if (!line) {
    std::printf("Error: %s\n", line.error().message.c_str());
    return automon::probe::kUnknown;
  }
  if (auto reply = automon::probe::StandardReply(line->standard, kProbe, AUTOMON_VERSION,
                                                 automon::guacamole::HelpText())) {
    std::fputs(reply->c_str(), stdout);
    return automon::probe::kUnknown;
  }
  const Config& config = line->config;
  const std::string timed_out =
      automon::guacamole::Render(
          config,
          ProbeError{config.timeout.state, automon::probe::TimedOutReason(kProbe, config.timeout)})
          .text;
  auto watchdog = automon::probe::Watchdog::Arm(
      config.timeout.duration, timed_out.substr(0, timed_out.size() - 1), config.timeout.state);
  if (!watchdog) {
    return Print(config, ProbeError{automon::probe::kUnknown, watchdog.error().message});
  }

  automon::probe::SocketHttpOptions http_options;
  http_options.ca_file = config.ca_file;
  http_options.insecure = config.insecure;
  http_options.user_agent = std::string(kProbe) + "/" + AUTOMON_VERSION + " (automon)";
  automon::probe::SocketHttpClient http(http_options);

  automon::guacamole::GuacamoleClient client(http, config);
  const auto started = std::chrono::steady_clock::now();
  auto outcome = client.Measure(automon::guacamole::BudgetFor(config.timeout.duration));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  return Print(config, outcome, took.count());
}

}  // namespace

int main(int argc, char* argv[]) {
  return automon::probe::GuardedMain([&] { return Run(argc, argv); });
}
