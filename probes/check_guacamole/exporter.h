// SPDX-License-Identifier: GPL-2.0-or-later
// The exporter mode of check_guacamole (check_guacamole --serve): a drop-in
// for tschoonj/guacamole_exporter (same environment variables, port 9623,
// metric names; /work/shared/reference/passive-icinga2-prometheus.md §3.4)
// that also serves Prometheus's multi-target pattern (/probe?target=NAME).
//
// Compared with guacamole_exporter, each Target
//   - keeps one token across scrapes and logs in again only when Guacamole
//     answers PERMISSION_DENIED (steady state: the queries only);
//   - reads users and history at most every totals_interval (they change
//     slowly, and history is the largest reply), active connections on
//     every scrape;
//   - says guacamole_up 0 when any query fails, and never serves a count
//     of an error body;
//   - after Guacamole refused the credentials, sends no login for
//     login_backoff (default 300 s, the ban window of guacamole-auth-ban),
//     so a wrong password never feeds the ban;
//   - logs out at exit (Exporter::LogoutAll).
//
// Nothing here listens or reads signals; main.cc wires an HttpServer
// (probes/lib/http_server.h) to Exporter::Handle.
#ifndef AUTOMON_PROBES_CHECK_GUACAMOLE_EXPORTER_H_
#define AUTOMON_PROBES_CHECK_GUACAMOLE_EXPORTER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/result.h"
#include "probes/check_guacamole/client.h"
#include "probes/check_guacamole/guacamole.h"
#include "probes/lib/http_client.h"
#include "probes/lib/http_server.h"

namespace automon::guacamole {

// One Guacamole server: its name (for /probe?target=) and connection
// settings (host, protocol, port, uri, username, password, data_source,
// ca_file, insecure).
struct TargetSettings {
  std::string name;
  Config config;

  bool operator==(const TargetSettings&) const = default;
};

struct ScrapePolicy {
  std::chrono::milliseconds timeout{10000};  // per scrape
  std::chrono::seconds totals_interval{60};  // users and history; 0: every scrape
  std::chrono::seconds login_backoff{300};   // after refused credentials
  bool login_per_scrape = false;             // guacamole_exporter's way
};

struct ExporterSettings {
  std::string listen = ":9623";
  std::optional<TargetSettings> metrics;  // /metrics, from GUACAMOLE_* variables
  std::vector<TargetSettings> targets;    // /probe?target=NAME, from --config
  ScrapePolicy policy;
  bool help = false;
  bool version = false;
};

// Looks up an environment variable (std::getenv in main, a map in tests).
using Environment = std::function<std::optional<std::string>(const char*)>;

// "http[s]://HOST[:PORT][/PATH]" (GUACAMOLE_ENDPOINT, the base URL including
// the web application path) into config's protocol, host, port and uri.
Result<void> ApplyEndpoint(std::string_view endpoint, Config& config);

// True when argv asks for the exporter (an argument "--serve" or
// "--serve=...").
bool WantsServe(int argc, char* argv[]);

// Parses the exporter's command line:
//   --serve [[ADDR:]PORT]   (default :9623)
//   --config FILE           targets for /probe
//   -t, --timeout SECONDS   per scrape (default 10)
//   --totals-interval SECONDS  (default 60; 0 reads users and history on every scrape)
//   --login-backoff SECONDS (default 300)
//   --login-per-scrape      log in and out on every scrape, as guacamole_exporter
//   -h, -V
// and the environment: GUACAMOLE_ENDPOINT (enables /metrics),
// GUACAMOLE_USERNAME, GUACAMOLE_PASSWORD or GUACAMOLE_PASSWORD_FILE,
// GUACAMOLE_DATASOURCE (default auto). At least one of GUACAMOLE_ENDPOINT
// and --config is needed. Password files are read through `fs`; relative
// ones from CREDENTIALS_DIRECTORY when that is set (see SecretPath).
Result<ExporterSettings> ParseServeCommandLine(int argc, char* argv[], const Environment& env,
                                               FileSystem& fs);

// The targets file: sections "[NAME]" with endpoint, username,
// password_file, data_source (default auto), ca_file, insecure (yes/no).
// A password never goes in this file (a `password` key is an error).
// Errors are "FILE:LINE: ...". A relative password_file is looked up in
// `credentials_directory` when that is not empty (systemd's
// $CREDENTIALS_DIRECTORY, filled by LoadCredential=).
Result<std::vector<TargetSettings>> ParseTargetsFile(std::string_view text,
                                                     std::string_view filename, FileSystem& fs,
                                                     std::string_view credentials_directory = "");

// `path`, or `credentials_directory`/`path` for a relative path when the
// directory is not empty.
std::string SecretPath(std::string_view path, std::string_view credentials_directory);

std::string ServeHelpText();

// One Guacamole server scraped over and over.
class Target {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;
  // Receives one line when the target goes down (with the reason) and when
  // it is up again; main() writes them to stderr (the journal).
  using Log = std::function<void(const std::string&)>;

  // `http` talks to this target only (its keep-alive connection is reused).
  Target(TargetSettings settings, std::unique_ptr<probe::HttpClient> http, ScrapePolicy policy,
         Now now);
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  // `limit`, when given, shortens the policy's timeout for this scrape.
  MetricsSample Scrape(std::optional<std::chrono::milliseconds> limit = std::nullopt);
  // Releases the kept token; a note when that failed.
  std::optional<std::string> Logout();

  void set_log(Log log) { log_ = std::move(log); }
  const std::string& name() const { return settings_.name; }
  const TargetSettings& settings() const { return settings_; }
  int logins() const { return logins_; }

 private:
  TargetSettings settings_;
  std::unique_ptr<probe::HttpClient> http_;
  ScrapePolicy policy_;
  Now now_;
  Log log_;
  std::optional<bool> was_up_;
  GuacamoleClient client_;
  int logins_ = 0;  // of the per-scrape clients plus client_
  std::optional<std::chrono::steady_clock::time_point> no_login_before_;
  std::string refusal_;  // why, while no_login_before_ holds
  std::optional<std::chrono::steady_clock::time_point> totals_due_;
  std::optional<int64_t> users_;
  std::optional<int64_t> history_;
};

// The time a scrape may take when Prometheus says it gives up after
// `header` seconds (X-Prometheus-Scrape-Timeout-Seconds): half a second
// less (at least 100 ms), so that the exporter answers guacamole_up 0
// before Prometheus stops waiting. nullopt for a malformed header.
std::optional<std::chrono::milliseconds> ScrapeLimit(std::string_view header);

// The request handling: GET /metrics and GET /probe?target=NAME.
class Exporter {
 public:
  Exporter(std::unique_ptr<Target> metrics, std::vector<std::unique_ptr<Target>> targets);

  probe::ServerResponse Handle(const probe::ServerRequest& request);

  // Makes a Target for settings (main() gives it its HttpClient).
  using TargetFactory = std::function<std::unique_ptr<Target>(const TargetSettings&)>;
  // Replaces the configuration (SIGHUP): a target whose settings did not
  // change is kept with its token; a removed or changed one is logged out
  // (and a changed one made anew). Returns one line per change, and the
  // notes of logouts that failed.
  std::vector<std::string> Reload(const std::optional<TargetSettings>& metrics,
                                  const std::vector<TargetSettings>& targets,
                                  const TargetFactory& make);
  // Logs every target out; the notes of those that failed.
  std::vector<std::string> LogoutAll();

 private:
  std::unique_ptr<Target> metrics_;
  std::map<std::string, std::unique_ptr<Target>, std::less<>> targets_;
};

// The Content-Type of the exposition format.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace automon::guacamole

#endif  // AUTOMON_PROBES_CHECK_GUACAMOLE_EXPORTER_H_
