// SPDX-License-Identifier: GPL-2.0-or-later
// check_haproxy_sessions: current sessions of HAProxy frontends, backends
// and servers against absolute or percent-of-limit thresholds. A thin main:
// parse the command line, build the real collaborators, read the stats,
// evaluate, print, exit with the state. See check_haproxy_sessions(1).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/file_system.h"
#include "probes/check_haproxy_sessions/haproxy_stats.h"
#include "probes/check_haproxy_sessions/options.h"
#include "probes/check_haproxy_sessions/stats_source.h"
#include "probes/lib/check_result.h"
#include "probes/lib/probe_main.h"
#include "probes/lib/socket_http_client.h"
#include "probes/lib/standard_options.h"
#include "probes/lib/watchdog.h"

namespace {

namespace haproxy = automon::haproxy;
namespace probe = automon::probe;

constexpr char kProbe[] = "check_haproxy_sessions";

int Print(const probe::CheckResult& result) {
  std::fputs(probe::FormatNagios(result).c_str(), stdout);
  std::fflush(stdout);
  return result.state;
}

int Fail(probe::State state, const std::string& message) {
  return Print(probe::ErrorResult({state, message}));
}

probe::Outcome<std::string> Fetch(const haproxy::Config& config, probe::Deadline deadline) {
  if (const auto* socket = std::get_if<haproxy::SocketSource>(&config.source)) {
    return haproxy::ReadStatsSocket(*socket, deadline, config.timeout);
  }
  probe::SocketHttpOptions options;
  options.user_agent = std::string(kProbe) + "/" + AUTOMON_VERSION + " (automon)";
  options.max_body_bytes = haproxy::kMaxStatsBytes;
  probe::SocketHttpClient http(options);
  return haproxy::FetchStatsHttp(http, std::get<haproxy::HttpSource>(config.source), deadline,
                                 config.timeout);
}

int Run(int argc, char* argv[]) {
  const char* env_password = std::getenv(haproxy::kPasswordEnvironment);
  automon::RealFileSystem fs;
  auto line = haproxy::ParseCommandLine(
      argc, argv, env_password ? std::optional<std::string>(env_password) : std::nullopt, fs);
  if (!line) return Fail(probe::kUnknown, line.error().message);
  if (auto reply =
          probe::StandardReply(line->standard, kProbe, AUTOMON_VERSION, haproxy::HelpText())) {
    std::fputs(reply->c_str(), stdout);
    return probe::kUnknown;
  }
  const haproxy::Config& config = line->config;
  auto watchdog = probe::Watchdog::Arm(config.timeout.duration,
                                       "Error: " + probe::TimedOutReason(kProbe, config.timeout),
                                       config.timeout.state);
  if (!watchdog) return Fail(probe::kUnknown, watchdog.error().message);

  // Our own deadline ends a little before the watchdog, so a slow HAProxy
  // gets a precise message and the socket is closed cleanly.
  const auto budget =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout.duration) * 9 / 10;
  probe::Outcome<std::string> csv = Fetch(config, probe::Deadline::After(budget));
  if (!csv) return Print(probe::ErrorResult(csv.error()));
  auto rows = haproxy::ParseStatsCsv(csv.value());
  if (!rows) return Fail(probe::kUnknown, "unparsable stats: " + rows.error().message);
  return Print(haproxy::Evaluate(config.selection, *rows));
}

}  // namespace

int main(int argc, char* argv[]) {
  return probe::GuardedMain([&] { return Run(argc, argv); });
}
