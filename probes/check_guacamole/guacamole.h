// SPDX-License-Identifier: GPL-2.0-or-later
// check_guacamole's pure half: its configuration, the parsing of Apache
// Guacamole REST replies, and the evaluation and rendering of a measurement.
// Nothing here does I/O; client.h runs the REST flow through an HttpClient.
//
// Facts about the API: /work/shared/reference/guacamole-rest-api.md
// (replies of POST /api/tokens, GET .../activeConnections, APIError bodies).
#ifndef AUTOMON_PROBES_CHECK_GUACAMOLE_GUACAMOLE_H_
#define AUTOMON_PROBES_CHECK_GUACAMOLE_GUACAMOLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "probes/lib/check_result.h"
#include "probes/lib/standard_options.h"
#include "probes/lib/thresholds.h"

namespace automon::guacamole {

enum class OutputFormat { kNagios, kCheckmk, kPrometheus };

// Everything the command line decides. Validated by ParseCommandLine().
struct Config {
  std::string host;                // name, IPv4, or IPv6 without brackets
  std::string protocol = "http";   // "http" or "https"
  std::optional<int> port;         // none: the protocol's default
  std::string uri = "/guacamole";  // normalised: "" or "/a/b", no trailing '/'
  std::string username;
  std::string password;               // never printed
  std::string data_source = "mysql";  // or "auto"
  probe::Thresholds thresholds;
  std::string ca_file;
  bool insecure = false;
  int verbosity = 0;
  probe::Timeout timeout;
  OutputFormat format = OutputFormat::kNagios;

  bool operator==(const Config&) const = default;
};

// One entry of .../activeConnections (APIActiveConnection). Fields the
// server sends as null (a non-admin's view of other users' sessions) or
// omits (connectable before 1.1) are empty.
struct ActiveConnection {
  std::string identifier;  // the object's key
  std::optional<std::string> connection_identifier;
  std::optional<int64_t> start_date_ms;  // epoch milliseconds
  std::optional<std::string> remote_host;
  std::optional<std::string> username;
  std::optional<bool> connectable;

  bool operator==(const ActiveConnection&) const = default;
};

// The 200 reply of POST /api/tokens (APIAuthenticationResult).
struct LoginReply {
  std::string auth_token;
  std::string username;
  std::string data_source;
  std::vector<std::string> available_data_sources;

  bool operator==(const LoginReply&) const = default;
};

// An APIError body: {"message", "translatableMessage":{"key"}, "type", ...}.
struct ApiError {
  std::string message;
  std::string type;             // "INVALID_CREDENTIALS", "PERMISSION_DENIED", ...
  std::string translation_key;  // e.g. "TOTP.INFO_CODE_REQUIRED"; may be ""

  bool operator==(const ApiError&) const = default;
};

// What one run measured.
struct Measurement {
  std::string data_source;
  std::vector<ActiveConnection> sessions;
  std::optional<int64_t> users;     // --format prometheus only
  std::optional<int64_t> history;   // --format prometheus only (server caps at 1000)
  bool legacy_token_query = false;  // the server read only ?token= (Guacamole < 1.4)
  bool relogged_in = false;         // the first token was rejected; logged in again
  int failed_queries = 0;           // users or history could not be read (see notes)
  std::vector<std::string> notes;   // problems that did not stop the measurement

  bool operator==(const Measurement&) const = default;
};

// --- Parsing (errors say what was wrong with the text, not where it came from)

// Error "malformed JSON: ..." for text that is not JSON, "unexpected JSON: ..."
// for JSON of the wrong shape (no authToken, ...).
Result<LoginReply> ParseLoginReply(std::string_view body);
Result<std::vector<ActiveConnection>> ParseActiveConnections(std::string_view body);
// Key count of a JSON object (.../users) and element count of a JSON array
// (.../history/connections), with the same errors.
Result<int64_t> CountObjectKeys(std::string_view body);
Result<int64_t> CountArrayElements(std::string_view body);
// An APIError, or nothing when `body` is not one (HTML, garbage, other JSON).
std::optional<ApiError> ParseApiError(std::string_view body);

// True for "application/json" with or without parameters, any case.
bool IsJsonContentType(std::string_view content_type);

// True for the data sources whose activeConnections directory is real: the
// JDBC modules mysql, postgresql and sqlserver. Every other source
// (ldap, default, *-shared, ...) always answers {}.
bool ReportsSessions(std::string_view data_source);

// "auto" picks the first of `reply.available_data_sources` that
// ReportsSessions(); anything else is returned unchanged. Empty when "auto"
// finds none.
std::optional<std::string> ChooseDataSource(std::string_view requested, const LoginReply& reply);

// "/guacamole", "guacamole/", "//x//y/" -> "/guacamole", "/x/y"; "/" and ""
// -> "" (the web application at the server root).
std::string NormalizeUri(std::string_view uri);

// "http://HOST[:PORT]/URI", the base the /api paths are appended to. IPv6
// hosts get brackets. The port is written only when it is not the
// protocol's default or was set explicitly.
std::string BaseUrl(const Config& config);

// The port a connection goes to: --port, or 80/443 by protocol.
int EffectivePort(const Config& config);

// Replaces every occurrence of `secret` (if non-empty) by "********". Used
// on text the server or libcurl supplied before it is quoted in a message.
std::string Redact(std::string_view text, std::string_view secret);

// --- Evaluation and output

// The result of a successful measurement: state by the thresholds on the
// session count, summary "Apache Guacamole Active Sessions: N", perfdata
// "active_sessions=N;W;C;0;". Long output: notes always; with -v one line
// per session, oldest first; with -vv also the data source and token mode.
probe::CheckResult Evaluate(const Config& config, const Measurement& measurement);

// One scrape in Prometheus terms: what check_guacamole --format prometheus
// prints and the exporter serves.
struct MetricsSample {
  bool up = false;  // every query of the scrape worked
  std::optional<int64_t> active_connections;
  std::optional<int64_t> users;
  std::optional<int64_t> history;
  std::optional<double> duration_seconds;
  std::vector<std::string> comments;  // errors and notes, one line each
};

// up is false for an error and for a measurement with a failed query; the
// counts are those measured (never a count of an error body).
MetricsSample SampleOf(const probe::Outcome<Measurement>& outcome);

// The exposition text: guacamole_up, guacamole_connection_history_total,
// guacamole_number_of_users, guacamole_number_of_active_connections (the
// names, # HELP texts and # TYPEs of tschoonj/guacamole_exporter, so its
// dashboard and alert rules keep working; a count not measured is left
// out), guacamole_scrape_duration_seconds when known, then the comments as
// "# " lines (sanitised).
std::string PrometheusText(const MetricsSample& sample);

// The text main() prints and the exit state, in config.format, for a
// measurement or a failure. The password is never part of a Measurement or
// Config-derived text; server-supplied text is redacted by the client.
struct Output {
  std::string text;
  probe::State state = probe::kUnknown;
};
// `seconds` is the time the run took (guacamole_scrape_duration_seconds in
// --format prometheus).
Output Render(const Config& config, const probe::Outcome<Measurement>& outcome,
              std::optional<double> seconds = std::nullopt);

// The Checkmk local-check service name.
inline constexpr std::string_view kCheckmkService = "Guacamole Active Sessions";

}  // namespace automon::guacamole

#endif  // AUTOMON_PROBES_CHECK_GUACAMOLE_GUACAMOLE_H_
