// SPDX-License-Identifier: GPL-2.0-or-later
// check_guacamole: counts the active sessions of an Apache Guacamole server.
// A thin main: parse the command line, build the real collaborators, run,
// print, exit with the state. See check_guacamole(1).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "common/file_system.h"
#include "common/signals.h"
#include "probes/check_guacamole/client.h"
#include "probes/check_guacamole/exporter.h"
#include "probes/check_guacamole/guacamole.h"
#include "probes/check_guacamole/options.h"
#include "probes/lib/http_server.h"
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

std::unique_ptr<automon::probe::HttpClient> HttpFor(const Config& config) {
  automon::probe::SocketHttpOptions options;
  options.ca_file = config.ca_file;
  options.insecure = config.insecure;
  options.user_agent = std::string(kProbe) + "/" + AUTOMON_VERSION + " (automon exporter)";
  return std::make_unique<automon::probe::SocketHttpClient>(options);
}

// check_guacamole --serve: the exporter (exporter.h). Logs to stderr (the
// journal); exits 0 after SIGTERM or SIGINT, 1 when it cannot start.
int Serve(int argc, char* argv[]) {
  namespace g = automon::guacamole;
  automon::RealFileSystem fs;
  g::Environment env = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  automon::Result<g::ExporterSettings> settings = g::ParseServeCommandLine(argc, argv, env, fs);
  if (!settings) {
    std::fprintf(stderr, "%s: %s\n", kProbe, settings.error().message.c_str());
    return 1;
  }
  if (settings->help || settings->version) {
    std::fputs(settings->help ? g::ServeHelpText().c_str()
                              : (std::string(kProbe) + " " + AUTOMON_VERSION + "\n").c_str(),
               stdout);
    return 0;
  }
  // Signals first: blocked before anything else runs.
  automon::Result<automon::SignalFd> signals = automon::SignalFd::Create({SIGTERM, SIGINT, SIGHUP});
  if (!signals) {
    std::fprintf(stderr, "%s: %s\n", kProbe, signals.error().message.c_str());
    return 1;
  }
  automon::Result<automon::UniqueFd> listener = automon::probe::ListenTcp(settings->listen);
  if (!listener) {
    std::fprintf(stderr, "%s: cannot listen on %s: %s\n", kProbe, settings->listen.c_str(),
                 listener.error().message.c_str());
    return 1;
  }
  const int port = automon::probe::BoundPort(listener->get());
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto log = [](const std::string& line) {
    std::fprintf(stderr, "%s: %s\n", kProbe, line.c_str());
    std::fflush(stderr);
  };
  const g::ScrapePolicy policy = settings->policy;
  g::Exporter::TargetFactory make = [&](const g::TargetSettings& target) {
    auto made = std::make_unique<g::Target>(target, HttpFor(target.config), policy, now);
    made->set_log(log);
    return made;
  };
  g::Exporter exporter(nullptr, {});
  exporter.Reload(settings->metrics, settings->targets, make);
  automon::probe::HttpServer server(
      std::move(listener).value(), automon::probe::ServerLimits{},
      [&](const automon::probe::ServerRequest& request) { return exporter.Handle(request); });
  std::fprintf(stderr, "%s: serving on %s (port %d): %s%zu /probe target(s)\n", kProbe,
               settings->listen.c_str(), port, settings->metrics ? "/metrics, " : "",
               settings->targets.size());
  // SIGHUP re-reads the configuration (the --config file, password files);
  // SIGTERM and SIGINT stop. Every signal is consumed: left pending, it
  // would end the process when the SignalFd restores the signal mask.
  automon::Result<void> served = server.Serve(signals->fd(), [&] {
    bool stop = false;
    bool reload = false;
    while (std::optional<int> signal = signals->Read()) {
      if (*signal == SIGHUP) {
        reload = true;
      } else {
        stop = true;
      }
    }
    if (stop) return false;
    if (reload) {
      automon::Result<g::ExporterSettings> again = g::ParseServeCommandLine(argc, argv, env, fs);
      if (!again) {
        log("reload failed, the configuration stays as it was: " + again.error().message);
        return true;
      }
      for (const std::string& line : exporter.Reload(again->metrics, again->targets, make)) {
        log(line);
      }
      log("reloaded");
    }
    return true;
  });
  for (const std::string& note : exporter.LogoutAll()) {
    std::fprintf(stderr, "%s: %s\n", kProbe, note.c_str());
  }
  if (!served) {
    std::fprintf(stderr, "%s: %s\n", kProbe, served.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: stopped, logged out\n", kProbe);
  return 0;
}

int Run(int argc, char* argv[]) {
  if (automon::guacamole::WantsServe(argc, argv)) return Serve(argc, argv);
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
