// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/guacamole.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "probes/lib/perfdata.h"

namespace automon::guacamole {
namespace {

using nlohmann::json;

// nlohmann_json reports details only through exceptions; this is the one
// place they are turned into values.
Result<json> ParseJson(std::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    // Drop the "[json.exception.parse_error.101] " prefix.
    size_t close = what.find("] ");
    if (what.starts_with("[json.exception.") && close != std::string::npos) {
      what = what.substr(close + 2);
    }
    return Error{"malformed JSON: " + what};
  }
}

std::string_view KindOf(const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

std::optional<std::string> OptionalString(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string FormatStart(std::optional<int64_t> ms) {
  if (!ms) return "unknown";
  std::time_t seconds = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return "unknown";
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

}  // namespace

Result<LoginReply> ParseLoginReply(std::string_view body) {
  Result<json> parsed = ParseJson(body);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (!j.is_object()) {
    return Error{fmt::format("unexpected JSON: expected the login object, got {}", KindOf(j))};
  }
  LoginReply reply;
  reply.auth_token = OptionalString(j, "authToken").value_or("");
  if (reply.auth_token.empty()) return Error{"unexpected JSON: no authToken in the login reply"};
  reply.username = OptionalString(j, "username").value_or("");
  reply.data_source = OptionalString(j, "dataSource").value_or("");
  auto sources = j.find("availableDataSources");
  if (sources != j.end() && sources->is_array()) {
    for (const json& source : *sources) {
      if (source.is_string()) reply.available_data_sources.push_back(source.get<std::string>());
    }
  }
  if (reply.available_data_sources.empty() && !reply.data_source.empty()) {
    reply.available_data_sources.push_back(reply.data_source);
  }
  return reply;
}

Result<std::vector<ActiveConnection>> ParseActiveConnections(std::string_view body) {
  Result<json> parsed = ParseJson(body);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  if (!j.is_object()) {
    return Error{fmt::format("unexpected JSON: expected an object of active connections, got {}",
                             KindOf(j))};
  }
  std::vector<ActiveConnection> sessions;
  sessions.reserve(j.size());
  for (const auto& [key, value] : j.items()) {
    ActiveConnection session;
    session.identifier = key;
    if (value.is_object()) {
      session.connection_identifier = OptionalString(value, "connectionIdentifier");
      session.remote_host = OptionalString(value, "remoteHost");
      session.username = OptionalString(value, "username");
      auto start = value.find("startDate");
      if (start != value.end() && start->is_number()) {
        session.start_date_ms = start->get<int64_t>();
      }
      auto connectable = value.find("connectable");
      if (connectable != value.end() && connectable->is_boolean()) {
        session.connectable = connectable->get<bool>();
      }
    }
    sessions.push_back(std::move(session));
  }
  return sessions;
}

Result<int64_t> CountObjectKeys(std::string_view body) {
  Result<json> parsed = ParseJson(body);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) {
    return Error{fmt::format("unexpected JSON: expected an object, got {}", KindOf(*parsed))};
  }
  return static_cast<int64_t>(parsed->size());
}

Result<int64_t> CountArrayElements(std::string_view body) {
  Result<json> parsed = ParseJson(body);
  if (!parsed) return parsed.error();
  if (!parsed->is_array()) {
    return Error{fmt::format("unexpected JSON: expected an array, got {}", KindOf(*parsed))};
  }
  return static_cast<int64_t>(parsed->size());
}

std::optional<ApiError> ParseApiError(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  std::optional<std::string> type = OptionalString(j, "type");
  if (!type) return std::nullopt;
  ApiError error;
  error.type = *type;
  error.message = OptionalString(j, "message").value_or("");
  auto translatable = j.find("translatableMessage");
  if (translatable != j.end() && translatable->is_object()) {
    error.translation_key = OptionalString(*translatable, "key").value_or("");
  }
  return error;
}

bool IsJsonContentType(std::string_view content_type) {
  std::string lower;
  for (char c : content_type) {
    if (c == ';') break;
    if (c != ' ') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower == "application/json";
}

bool ReportsSessions(std::string_view data_source) {
  return data_source == "mysql" || data_source == "postgresql" || data_source == "sqlserver";
}

std::optional<std::string> ChooseDataSource(std::string_view requested, const LoginReply& reply) {
  if (requested != "auto") return std::string(requested);
  for (const std::string& source : reply.available_data_sources) {
    if (ReportsSessions(source)) return source;
  }
  return std::nullopt;
}

std::string NormalizeUri(std::string_view uri) {
  std::string out;
  size_t i = 0;
  while (i < uri.size()) {
    while (i < uri.size() && uri[i] == '/') ++i;
    size_t end = uri.find('/', i);
    if (end == std::string_view::npos) end = uri.size();
    if (end > i) {
      out += '/';
      out.append(uri.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

int EffectivePort(const Config& config) {
  if (config.port) return *config.port;
  return config.protocol == "https" ? 443 : 80;
}

std::string BaseUrl(const Config& config) {
  std::string host =
      config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host;
  std::string port = config.port ? fmt::format(":{}", *config.port) : "";
  return fmt::format("{}://{}{}{}", config.protocol, host, port, config.uri);
}

std::string Redact(std::string_view text, std::string_view secret) {
  std::string out(text);
  if (secret.empty()) return out;
  size_t pos = 0;
  while ((pos = out.find(secret, pos)) != std::string::npos) {
    out.replace(pos, secret.size(), "********");
    pos += 8;
  }
  return out;
}

probe::CheckResult Evaluate(const Config& config, const Measurement& measurement) {
  auto count = static_cast<double>(measurement.sessions.size());
  probe::CheckResult result;
  result.state = config.thresholds.Evaluate(count);
  result.summary = fmt::format("Apache Guacamole Active Sessions: {}", measurement.sessions.size());
  result.perfdata.push_back(probe::Perfdata{"active_sessions", count, "", config.thresholds.warning,
                                            config.thresholds.critical, 0.0, std::nullopt});
  result.long_output = measurement.notes;
  if (config.verbosity >= 1) {
    std::vector<ActiveConnection> sessions = measurement.sessions;
    std::sort(sessions.begin(), sessions.end(),
              [](const ActiveConnection& a, const ActiveConnection& b) {
                int64_t sa = a.start_date_ms.value_or(INT64_MAX);
                int64_t sb = b.start_date_ms.value_or(INT64_MAX);
                return sa != sb ? sa < sb : a.identifier < b.identifier;
              });
    int hidden = 0;
    for (const ActiveConnection& s : sessions) {
      if (!s.username) ++hidden;
      result.long_output.push_back(
          fmt::format("user {}, remote host {}, connection {}, started {}",
                      s.username.value_or("(hidden)"), s.remote_host.value_or("(hidden)"),
                      s.connection_identifier.value_or("(unknown)"), FormatStart(s.start_date_ms)));
    }
    if (hidden > 0) {
      result.long_output.push_back(fmt::format(
          "{} session(s) show no user: '{}' lacks the ADMINISTER permission, so only sessions "
          "on connections it may READ are visible and counted",
          hidden, config.username));
    }
  }
  if (config.verbosity >= 2) {
    result.long_output.push_back(fmt::format("data source: {}", measurement.data_source));
    if (measurement.legacy_token_query) {
      result.long_output.push_back(
          "the server ignores the Guacamole-Token header (Guacamole < 1.4); the token was "
          "sent as ?token=");
    }
    if (measurement.relogged_in) {
      result.long_output.push_back("the first token was rejected (expired?); logged in again");
    }
  }
  return result;
}

namespace {

std::string PrometheusMetric(std::string_view name, std::string_view help, std::string_view type,
                             std::string_view value) {
  return fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace

MetricsSample SampleOf(const probe::Outcome<Measurement>& outcome) {
  MetricsSample sample;
  if (!outcome.ok()) {
    sample.comments.push_back("Error: " + outcome.error().message);
    return sample;
  }
  const Measurement& m = outcome.value();
  sample.up = m.failed_queries == 0;
  sample.active_connections = static_cast<int64_t>(m.sessions.size());
  sample.users = m.users;
  sample.history = m.history;
  sample.comments = m.notes;
  return sample;
}

std::string PrometheusText(const MetricsSample& sample) {
  // HELP texts, types and order are those of tschoonj/guacamole_exporter.
  std::string text = PrometheusMetric("guacamole_up", "Was the last Guacamole query successful.",
                                      "gauge", sample.up ? "1" : "0");
  if (sample.history) {
    text += PrometheusMetric("guacamole_connection_history_total",
                             "The total number of established connections", "counter",
                             fmt::format("{}", *sample.history));
  }
  if (sample.users) {
    text += PrometheusMetric("guacamole_number_of_users", "The current number of registered users",
                             "gauge", fmt::format("{}", *sample.users));
  }
  if (sample.active_connections) {
    text += PrometheusMetric("guacamole_number_of_active_connections",
                             "The current number of active connections", "gauge",
                             fmt::format("{}", *sample.active_connections));
  }
  if (sample.duration_seconds) {
    text += PrometheusMetric("guacamole_scrape_duration_seconds",
                             "How long the queries to Guacamole took, in seconds.", "gauge",
                             fmt::format("{:.6f}", *sample.duration_seconds));
  }
  for (const std::string& comment : sample.comments) {
    text += "# " + probe::SanitizeLine(comment) + "\n";
  }
  return text;
}

Output Render(const Config& config, const probe::Outcome<Measurement>& outcome,
              std::optional<double> seconds) {
  Output output;
  if (config.format == OutputFormat::kPrometheus) {
    MetricsSample sample = SampleOf(outcome);
    sample.duration_seconds = seconds;
    output.state = outcome.ok() ? Evaluate(config, outcome.value()).state : outcome.error().state;
    output.text = PrometheusText(sample);
  } else {
    probe::CheckResult result =
        outcome.ok() ? Evaluate(config, outcome.value()) : probe::ErrorResult(outcome.error());
    output.state = result.state;
    output.text = config.format == OutputFormat::kCheckmk
                      ? probe::FormatCheckmkLocal(result, kCheckmkService)
                      : probe::FormatNagios(result);
  }
  return output;
}

}  // namespace automon::guacamole
