// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "probes/lib/check_result.h"

namespace automon::guacamole {

using probe::HttpRequest;
using probe::HttpResponse;
using probe::Outcome;
using probe::ProbeError;
using probe::TransportErrorKind;

namespace {

constexpr size_t kMaxQuoted = 160;

bool IsPermissionDenied(const HttpResponse& response) {
  if (response.status != 403) return false;
  std::optional<ApiError> error = ParseApiError(response.body);
  return error && error->type == "PERMISSION_DENIED";
}

// True when the body is not JSON at all (an HTML page, plain text): the
// content type says something else and the body does not start like JSON.
bool IsNotJson(const HttpResponse& response) {
  if (IsJsonContentType(response.content_type)) return false;
  size_t first = response.body.find_first_not_of(" \t\r\n");
  return first == std::string::npos || (response.body[first] != '{' && response.body[first] != '[');
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

TimeBudget BudgetFor(std::chrono::milliseconds total) {
  using std::chrono::milliseconds;
  milliseconds reserve = std::clamp(total / 5, milliseconds(200), milliseconds(2000));
  reserve = std::min(reserve, total / 2);
  auto now = probe::Deadline::Clock::now();
  // The release ends a little before the Watchdog fires at `total`.
  milliseconds margin = std::min(milliseconds(50), total / 10);
  return TimeBudget{probe::Deadline(now + total - reserve), probe::Deadline(now + total - margin)};
}

std::string GuacamoleClient::Quote(std::string_view server_text) const {
  std::string text = probe::SanitizeLine(server_text);
  if (text.size() > kMaxQuoted) text = text.substr(0, kMaxQuoted) + "...";
  return Redact(text, config_.password);
}

Outcome<Measurement> GuacamoleClient::Measure(const TimeBudget& budget) {
  if (config_.data_source != "auto" && !ReportsSessions(config_.data_source)) {
    // Known before logging in: no login, no token, no ban risk.
    return ProbeError{probe::kUnknown,
                      fmt::format("data source '{}' never reports active sessions: Guacamole "
                                  "tracks them only in its database modules (mysql, postgresql, "
                                  "sqlserver); use --data-source auto or a database data source",
                                  config_.data_source)};
  }
  Outcome<Measurement> outcome = Run(budget.work, config_.format == OutputFormat::kPrometheus);
  std::vector<std::string> notes;
  for (const std::string& token : tokens_) {
    if (std::optional<std::string> note = Release(token, budget.release)) notes.push_back(*note);
  }
  if (!outcome.ok() || notes.empty()) return outcome;
  Measurement measurement = std::move(outcome).value();
  measurement.notes.insert(measurement.notes.end(), notes.begin(), notes.end());
  return measurement;
}

Outcome<Measurement> GuacamoleClient::Scrape(const probe::Deadline& deadline, bool totals) {
  relogged_in_ = false;
  Outcome<Measurement> outcome = Run(deadline, totals);
  // Every other token obtained was refused since (dead) or is the kept one.
  tokens_.clear();
  if (!token_.empty()) tokens_.push_back(token_);
  return outcome;
}

std::optional<std::string> GuacamoleClient::Logout(const probe::Deadline& deadline) {
  if (token_.empty()) return std::nullopt;
  std::optional<std::string> note = Release(token_, deadline);
  token_.clear();
  tokens_.clear();
  return note;
}

Outcome<Measurement> GuacamoleClient::Run(const probe::Deadline& deadline, bool totals) {
  if (token_.empty()) {
    Outcome<LoginReply> login = Login(deadline);
    if (!login) return login.error();
    login_ = login.value();
  }

  std::optional<std::string> source = ChooseDataSource(config_.data_source, login_);
  if (!source) {
    return ProbeError{
        probe::kUnknown,
        fmt::format("none of the data sources of user '{}' ({}) reports active sessions: "
                    "Guacamole tracks them only in its database modules (mysql, postgresql, "
                    "sqlserver); give the account a database data source",
                    config_.username, Quote(Join(login_.available_data_sources)))};
  }
  Measurement measurement;
  measurement.data_source = *source;

  Outcome<Reply> reply =
      GetSession(*source + "/activeConnections", "listing active connections", deadline);
  if (!reply) return reply.error();
  Result<std::vector<ActiveConnection>> sessions =
      ParseActiveConnections(reply.value().response.body);
  if (!sessions) {
    return ProbeError{probe::kUnknown,
                      fmt::format("{} from {} (HTTP {})", sessions.error().message,
                                  reply.value().url, reply.value().response.status)};
  }
  measurement.sessions = std::move(sessions).value();

  if (totals) {
    struct Extra {
      std::string path;
      std::string_view phase;
      bool array;
      std::optional<int64_t>* out;
    };
    for (const Extra& extra :
         {Extra{*source + "/users", "counting users", false, &measurement.users},
          Extra{*source + "/history/connections", "reading connection history", true,
                &measurement.history}}) {
      Outcome<Reply> got = GetSession(extra.path, extra.phase, deadline);
      if (!got) {
        measurement.notes.push_back(fmt::format("{} failed: {}", extra.phase, got.error().message));
        ++measurement.failed_queries;
        continue;
      }
      Result<int64_t> count = extra.array ? CountArrayElements(got.value().response.body)
                                          : CountObjectKeys(got.value().response.body);
      if (!count) {
        measurement.notes.push_back(fmt::format("{} failed: {} from {}", extra.phase,
                                                count.error().message, got.value().url));
        ++measurement.failed_queries;
        continue;
      }
      *extra.out = *count;
    }
  }
  measurement.legacy_token_query = legacy_server_;
  measurement.relogged_in = relogged_in_;
  return measurement;
}

Outcome<LoginReply> GuacamoleClient::Login(const probe::Deadline& deadline) {
  std::string url = base_ + "/api/tokens";
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  request.body = "username=" + probe::UrlEncode(config_.username) +
                 "&password=" + probe::UrlEncode(config_.password);
  ++logins_;
  credentials_refused_ = false;
  Outcome<Reply> sent = Send(std::move(request), url, "logging in", deadline);
  if (!sent) return sent.error();
  const Reply& reply = sent.value();
  const HttpResponse& response = reply.response;
  const std::string user = probe::SanitizeLine(config_.username);

  if (response.status == 200 && !IsNotJson(response)) {
    Result<LoginReply> login = ParseLoginReply(response.body);
    if (!login) {
      return ProbeError{probe::kUnknown,
                        fmt::format("{} from {} (HTTP 200)", login.error().message, url)};
    }
    tokens_.push_back(login->auth_token);
    token_ = login->auth_token;
    return std::move(login).value();
  }
  std::optional<ApiError> api = ParseApiError(response.body);
  credentials_refused_ =
      response.status == 429 || (api && (response.status == 403 || response.status == 400));
  if (response.status == 429) {
    return ProbeError{
        probe::kCritical,
        fmt::format("Guacamole refuses logins from this address after too many failed attempts "
                    "(HTTP 429{}); fix the password, then wait until the ban ends (5 minutes by "
                    "default); users behind the same address are locked out too",
                    api ? fmt::format(": \"{}\"", Quote(api->message)) : "")};
  }
  if (api && response.status == 403 && api->type == "INVALID_CREDENTIALS") {
    return ProbeError{
        probe::kCritical,
        fmt::format("Guacamole rejected the login of user '{}': invalid username or password "
                    "(HTTP 403 INVALID_CREDENTIALS); not retried, as Guacamole 1.6 bans an "
                    "address after 5 failed logins",
                    user)};
  }
  if (api && response.status == 403 && api->type == "INSUFFICIENT_CREDENTIALS") {
    return ProbeError{
        probe::kUnknown,
        fmt::format("the login of user '{}' needs more than a password (HTTP 403 "
                    "INSUFFICIENT_CREDENTIALS{}): multi-factor authentication such as TOTP, or "
                    "an expired password; use a monitoring account without MFA",
                    user, api->translation_key.empty() ? "" : ", " + Quote(api->translation_key))};
  }
  if (api && (response.status == 403 || response.status == 400)) {
    return ProbeError{probe::kCritical,
                      fmt::format("Guacamole refused the login of user '{}' (HTTP {} {}: \"{}\")",
                                  user, response.status, Quote(api->type), Quote(api->message))};
  }
  return UnexpectedReply(reply, "logging in");
}

Outcome<GuacamoleClient::Reply> GuacamoleClient::GetSession(const std::string& path,
                                                            std::string_view phase,
                                                            const probe::Deadline& deadline) {
  const std::string url = base_ + "/api/session/data/" + path;
  auto request = [&](bool with_query) {
    HttpRequest r;
    r.url = with_query ? url + "?token=" + probe::UrlEncode(token_) : url;
    r.headers = {"Accept: application/json", "Guacamole-Token: " + token_};
    return r;
  };
  auto final_reply = [&](const Reply& reply) -> Outcome<Reply> {
    if (reply.response.status == 200 && !IsNotJson(reply.response)) return reply;
    std::optional<ApiError> api = ParseApiError(reply.response.body);
    if (reply.response.status == 404 && api && api->type == "NOT_FOUND") {
      return ProbeError{
          probe::kUnknown,
          fmt::format("data source '{}' does not exist for user '{}' (HTTP 404 NOT_FOUND); "
                      "the login offers: {}; use --data-source auto or one of those",
                      probe::SanitizeLine(path.substr(0, path.find('/'))),
                      probe::SanitizeLine(config_.username),
                      Quote(Join(login_.available_data_sources)))};
    }
    return UnexpectedReply(reply, phase);
  };

  for (;;) {
    Outcome<Reply> sent = Send(request(token_in_query_), url, phase, deadline);
    if (!sent) return sent.error();
    if (!IsPermissionDenied(sent.value().response)) {
      if (sent.value().response.status == 200 && !token_in_query_) header_confirmed_ = true;
      return final_reply(sent.value());
    }
    // A server that took the header before is not Guacamole < 1.4: the
    // token itself is dead, and repeating it in ?token= would not help.
    if (!token_in_query_ && !header_confirmed_) {
      // Guacamole < 1.4 ignores the header: repeat with ?token= as well.
      sent = Send(request(true), url, phase, deadline);
      if (!sent) return sent.error();
      if (!IsPermissionDenied(sent.value().response)) {
        if (sent.value().response.status == 200) {
          token_in_query_ = true;
          legacy_server_ = true;
        }
        return final_reply(sent.value());
      }
    }
    // Refused in header and query: the token is dead (expired or revoked).
    if (relogged_in_) {
      return ProbeError{
          probe::kUnknown,
          fmt::format("Guacamole rejected a freshly issued token while {} (HTTP 403 "
                      "PERMISSION_DENIED) even after a new login; are several Guacamole nodes "
                      "behind a load balancer without sticky sessions?",
                      phase)};
    }
    relogged_in_ = true;
    // Guacamole dropped the refused token; nothing to release.
    tokens_.erase(std::remove(tokens_.begin(), tokens_.end(), token_), tokens_.end());
    token_.clear();
    Outcome<LoginReply> login = Login(deadline);
    if (!login) return login.error();
    login_ = login.value();
  }
}

Outcome<GuacamoleClient::Reply> GuacamoleClient::Send(HttpRequest request,
                                                      std::string_view display_url,
                                                      std::string_view phase,
                                                      const probe::Deadline& deadline) {
  if (deadline.Expired()) {
    return TransportFailure({TransportErrorKind::kTimeout, "no time left"}, display_url, phase);
  }
  request.timeout = deadline.Remaining();
  probe::HttpResult result = http_.Send(request);
  if (!result.ok()) return TransportFailure(result.error(), display_url, phase);
  return Reply{result.response(), std::string(display_url)};
}

std::optional<std::string> GuacamoleClient::Release(const std::string& token,
                                                    const probe::Deadline& deadline) {
  HttpRequest request;
  request.method = "DELETE";
  request.url = base_ + "/api/tokens/" + probe::UrlEncode(token);
  request.headers = {"Accept: application/json"};
  request.timeout = std::max(deadline.Remaining(), std::chrono::milliseconds(1));
  probe::HttpResult result = http_.Send(request);
  constexpr std::string_view kConsequence =
      "it stays valid on the server until its idle timeout (api-session-timeout, 60 minutes by "
      "default)";
  if (!result.ok()) {
    return fmt::format("could not release the session token: {}; {}", Quote(result.error().detail),
                       kConsequence);
  }
  long status = result.response().status;
  // 404: the server already dropped it (expired, or destroyed on a 403).
  if (status == 204 || status == 200 || status == 404) return std::nullopt;
  return fmt::format(
      "could not release the session token: DELETE {}/api/tokens/... answered "
      "HTTP {}; {}",
      base_, status, kConsequence);
}

ProbeError GuacamoleClient::TransportFailure(const probe::TransportError& error,
                                             std::string_view url, std::string_view phase) const {
  const std::string host = probe::SanitizeLine(config_.host);
  const int port = EffectivePort(config_);
  const std::string detail = Quote(error.detail);
  switch (error.kind) {
    case TransportErrorKind::kResolve:
      return {probe::kUnknown,
              fmt::format("cannot resolve host name '{}': check --host and the DNS configuration",
                          host)};
    case TransportErrorKind::kRefused:
      return {probe::kCritical,
              fmt::format("connection refused by {} port {}: is Guacamole (its servlet container) "
                          "running and listening there?",
                          host, port)};
    case TransportErrorKind::kConnect:
      return {probe::kCritical,
              fmt::format("cannot connect to {} port {}: {}", host, port, detail)};
    case TransportErrorKind::kTimeout: {
      long seconds = static_cast<long>(config_.timeout.duration.count());
      return {config_.timeout.state,
              fmt::format("no complete reply from {} within {} seconds (-t {}) while {}: the "
                          "server or a proxy in front of it hangs",
                          url, seconds, seconds, phase)};
    }
    case TransportErrorKind::kTlsVerify:
      return {probe::kCritical,
              fmt::format("TLS certificate of {} port {} failed verification ({}); trust its CA "
                          "with --ca-file FILE, or skip verification with --insecure",
                          host, port, detail)};
    case TransportErrorKind::kTlsHandshake:
      return {probe::kCritical,
              fmt::format("TLS handshake with {} port {} failed ({}): does the server speak "
                          "HTTPS on that port? check --protocol and --port",
                          host, port, detail)};
    case TransportErrorKind::kCaFile:
      return {probe::kUnknown, fmt::format("cannot use --ca-file '{}': {}",
                                           probe::SanitizeLine(config_.ca_file), detail)};
    case TransportErrorKind::kTooLarge:
      return {probe::kUnknown,
              fmt::format("reply from {} while {} is too large ({}); is this really Guacamole?",
                          url, phase, detail)};
    case TransportErrorKind::kOther:
      break;
  }
  return {probe::kCritical, fmt::format("request to {} failed while {}: {}", url, phase, detail)};
}

ProbeError GuacamoleClient::UnexpectedReply(const Reply& reply, std::string_view phase) const {
  const HttpResponse& r = reply.response;
  if (r.status >= 300 && r.status < 400) {
    return {probe::kUnknown,
            fmt::format("{} redirects to {} (HTTP {}) while {}: point --protocol, --port and "
                        "--uri at Guacamole itself",
                        reply.url, r.location.empty() ? "(no Location)" : Quote(r.location),
                        r.status, phase)};
  }
  if (IsNotJson(r)) {
    std::string kind = r.content_type.empty()
                           ? "a body without content type"
                           : Quote(r.content_type.substr(0, r.content_type.find(';')));
    if (r.status >= 500) {
      return {probe::kCritical,
              fmt::format("{} answered HTTP {} with {} instead of JSON while {}: a proxy in front "
                          "of Guacamole reports an error; is the Guacamole web application "
                          "running?",
                          reply.url, r.status, kind, phase)};
    }
    return {probe::kUnknown,
            fmt::format("{} answered HTTP {} with {} instead of JSON while {}: is Guacamole "
                        "really at this address? check --uri (now '{}') and --port",
                        reply.url, r.status, kind, phase, config_.uri.empty() ? "/" : config_.uri)};
  }
  std::optional<ApiError> api = ParseApiError(r.body);
  if (r.status >= 500) {
    return {
        probe::kCritical,
        fmt::format("Guacamole failed while {} (HTTP {}{}); see the Guacamole server log "
                    "(database down?)",
                    phase, r.status,
                    api ? fmt::format(" {}: \"{}\"", Quote(api->type), Quote(api->message)) : "")};
  }
  if (api) {
    return {probe::kUnknown,
            fmt::format("Guacamole refused {} at {} (HTTP {} {}: \"{}\")", phase, reply.url,
                        r.status, Quote(api->type), Quote(api->message))};
  }
  return {probe::kUnknown,
          fmt::format("unexpected HTTP {} from {} while {}", r.status, reply.url, phase)};
}

}  // namespace automon::guacamole
