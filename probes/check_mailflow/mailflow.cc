// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/mailflow.h"

#include <fmt/format.h>

#include <algorithm>

#include "probes/lib/perfdata.h"

namespace automon::mailflow {
namespace {

constexpr int64_t kDay = 24 * 60 * 60;

std::string TlsText(const Server& server) {
  switch (server.tls) {
    case TlsMode::kNone:
      return "";
    case TlsMode::kStartTls:
      return ", STARTTLS";
    case TlsMode::kImplicit:
      return ", TLS";
  }
  return "";
}

std::string Where(const Server& server) {
  const std::string& host = server.tls_hostname.empty() ? server.host : server.tls_hostname;
  return fmt::format("{}:{}{}", host, PortOf(server), TlsText(server));
}

// Applies the certificate's end date to `result`: WARNING within
// expire_days, CRITICAL when past. Adds the days left to the summary.
void ApplyCertificate(const Config& config, const TlsInfo& tls, int64_t now,
                      probe::CheckResult* result) {
  if (!tls.used || !tls.not_after) return;
  const int64_t left = *tls.not_after - now;
  const int64_t days = left >= 0 ? left / kDay : -((-left + kDay - 1) / kDay);
  if (left < 0) {
    // Only reachable with --insecure (verification rejects an expired
    // certificate): the administrator accepts an invalid one, so warn.
    result->state = probe::WorseState(result->state,
                                      config.server.insecure ? probe::kWarning : probe::kCritical);
    result->summary += fmt::format(", certificate expired {} days ago", -days);
  } else if (config.expire_days && days < *config.expire_days) {
    result->state = probe::WorseState(result->state, probe::kWarning);
    result->summary += fmt::format(", certificate expires in {} days (warning below {})", days,
                                   *config.expire_days);
  } else {
    result->summary += fmt::format(", certificate valid for {} days", days);
  }
  probe::Perfdata item;
  item.label = "certificate_days";
  item.value = static_cast<double>(days);
  if (config.expire_days) {
    item.warning = probe::ParseRange(fmt::format("{}:", *config.expire_days)).value();
  }
  item.critical = probe::ParseRange("0:").value();
  result->perfdata.push_back(std::move(item));
}

probe::Perfdata Seconds(std::string label, double value) {
  probe::Perfdata item;
  item.label = std::move(label);
  item.value = value;
  item.uom = "s";
  item.min = 0;
  return item;
}

probe::Perfdata Count(std::string label, size_t value) {
  probe::Perfdata item;
  item.label = std::move(label);
  item.value = static_cast<double>(value);
  item.min = 0;
  return item;
}

}  // namespace

int DefaultPort(Protocol protocol, TlsMode tls) {
  const bool implicit = tls == TlsMode::kImplicit;
  switch (protocol) {
    case Protocol::kSmtp:
      return implicit ? 465 : 25;
    case Protocol::kImap:
      return implicit ? 993 : 143;
    case Protocol::kPop3:
      return implicit ? 995 : 110;
  }
  return 0;
}

int PortOf(const Server& server) {
  return server.port != 0 ? server.port : DefaultPort(server.protocol, server.tls);
}

std::string ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kSmtp:
      return "SMTP";
    case Protocol::kImap:
      return "IMAP";
    case Protocol::kPop3:
      return "POP3";
  }
  return "";
}

probe::CheckResult EvaluateSend(const Config& config, const SendMeasurement& m) {
  probe::CheckResult result;
  result.state = probe::kOk;
  result.summary = fmt::format("SMTP OK - token mail of flow '{}' sent to {} via {}",
                               config.flow_id, config.to, Where(config.server));
  if (!m.recorded) {
    result.state = probe::kWarning;
    result.summary += fmt::format(
        ", but not recorded: {} tokens are already outstanding (is the mailbox check running?)",
        kMaxTokens);
  }
  result.perfdata.push_back(Seconds("time", m.seconds));
  ApplyCertificate(config, m.report.tls, m.now, &result);
  if (!m.report.greeting.empty()) {
    result.long_output.push_back("Greeting: " + m.report.greeting);
  }
  result.long_output.push_back("Token: " + m.token);
  // The state names the outcome; keep the prefix in line with it.
  if (result.state != probe::kOk) {
    result.summary.replace(5, 2, std::string(probe::StateName(result.state)));
  }
  return result;
}

probe::CheckResult EvaluateReceive(const Config& config, const ReceiveMeasurement& m) {
  const std::string name = ProtocolName(config.server.protocol);
  probe::CheckResult result;
  result.state = probe::kOk;
  result.summary = fmt::format("{} OK - {} token mail{} of flow '{}' collected from {}@{}", name,
                               m.collected, m.collected == 1 ? "" : "s", config.flow_id,
                               config.server.username, Where(config.server));
  if (m.unknown > 0) {
    result.summary += fmt::format(" ({} with an unknown token)", m.unknown);
  }
  result.perfdata.push_back(Seconds("time", m.seconds));
  result.perfdata.push_back(Count("collected", m.collected));
  result.perfdata.push_back(Count("outstanding", m.outstanding));
  if (m.delivery_seconds) {
    result.perfdata.push_back(Seconds("delivery", static_cast<double>(*m.delivery_seconds)));
  }
  ApplyCertificate(config, m.tls, m.now, &result);
  if (result.state != probe::kOk) {
    result.summary.replace(name.size() + 1, 2, std::string(probe::StateName(result.state)));
  }
  return result;
}

probe::CheckResult EvaluateAge(const Config& config, const TokenState& state, int64_t now) {
  const int64_t limit = config.max_age.count();
  probe::CheckResult result;
  std::optional<int64_t> oldest;
  for (const Token& token : state.outstanding) {
    oldest = oldest ? std::min(*oldest, token.sent_at) : token.sent_at;
  }
  // A clock stepped back makes a token look younger, never negative.
  const int64_t age = oldest ? std::max<int64_t>(0, now - *oldest) : 0;
  const size_t count = state.outstanding.size();
  if (!state.last_sent && count == 0) {
    result.state = probe::kUnknown;
    result.summary = fmt::format(
        "MAILFLOW UNKNOWN - flow '{}' has not sent a token mail yet (is its smtp check "
        "running check_mailflow --mode send --mailflowid {}?)",
        config.flow_id, config.flow_id);
  } else if (age > limit) {
    result.state = probe::kCritical;
    result.summary = fmt::format(
        "MAILFLOW CRITICAL - flow '{}': a token mail sent {} s ago has not arrived (limit {} s, "
        "{} outstanding)",
        config.flow_id, age, limit, count);
  } else {
    result.state = probe::kOk;
    result.summary =
        count == 0
            ? fmt::format("MAILFLOW OK - flow '{}': every token mail arrived", config.flow_id)
            : fmt::format(
                  "MAILFLOW OK - flow '{}': {} token mail{} in transit, oldest {} s "
                  "(limit {} s)",
                  config.flow_id, count, count == 1 ? "" : "s", age, limit);
  }
  probe::Perfdata age_item = Seconds("age", static_cast<double>(age));
  age_item.critical = probe::ParseRange(std::to_string(limit)).value();
  result.perfdata.push_back(std::move(age_item));
  result.perfdata.push_back(Count("outstanding", count));
  if (state.last_sent) {
    result.long_output.push_back(
        fmt::format("Last token sent {} s ago", std::max<int64_t>(0, now - *state.last_sent)));
  }
  if (state.last_received) {
    result.long_output.push_back(fmt::format("Last token received {} s ago",
                                             std::max<int64_t>(0, now - *state.last_received)));
  }
  return result;
}

}  // namespace automon::mailflow
