// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/flow.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "probes/check_mailflow/message.h"

namespace automon::mailflow {
namespace {

probe::CheckResult StateFailure(const Error& error) {
  return probe::ErrorResult({probe::kUnknown, "mail flow state: " + error.message});
}

std::string SenderHost(const Config& config) {
  if (!config.helo.empty()) return config.helo;
  size_t at = config.from.rfind('@');
  return at == std::string::npos ? "automon.invalid" : config.from.substr(at + 1);
}

}  // namespace

probe::CheckResult RunSend(const Config& config, const std::string& token, MailSender& sender,
                           StateDirectory& state, const WallClock& now, const StopWatch& watch,
                           probe::Deadline deadline) {
  const int64_t sent_at = now();
  bool recorded = false;
  Result<TokenState> added = state.Update(deadline, [&](TokenState& s) {
    s.last_sent = sent_at;
    if (s.outstanding.size() < kMaxTokens) {
      s.outstanding.push_back(Token{token, sent_at});
      recorded = true;
    }
  });
  if (!added) return StateFailure(added.error());

  const std::string message = BuildMessage(MessageFields{.flow_id = config.flow_id,
                                                         .token = token,
                                                         .from = config.from,
                                                         .to = config.to,
                                                         .host = SenderHost(config),
                                                         .sent_at = sent_at});
  const double start = watch();
  probe::Outcome<SendReport> report = sender.Send(config.from, config.to, message, deadline);
  const double seconds = watch() - start;
  if (!report) {
    // Not sent: the token must not stay outstanding. Take the lock even if
    // the deadline is near; a little past it is better than a false alarm.
    Result<TokenState> removed =
        state.Update(probe::Deadline::After(std::chrono::seconds(2)), [&](TokenState& s) {
          std::erase_if(s.outstanding, [&](const Token& t) { return t.id == token; });
        });
    probe::CheckResult result = probe::ErrorResult(report.error());
    if (!removed) {
      result.long_output.push_back("The token could not be withdrawn: " + removed.error().message);
    }
    return result;
  }
  return EvaluateSend(config, SendMeasurement{.token = token,
                                              .report = report.value(),
                                              .seconds = seconds,
                                              .now = now(),
                                              .recorded = recorded});
}

probe::CheckResult RunReceive(const Config& config, Mailbox& mailbox, StateDirectory& state,
                              const WallClock& now, const StopWatch& watch,
                              probe::Deadline deadline) {
  const double start = watch();
  probe::Outcome<std::vector<MessageId>> candidates = mailbox.Candidates(config.flow_id, deadline);
  if (!candidates) return probe::ErrorResult(candidates.error());
  std::vector<MessageId> ids = candidates.value();
  std::sort(ids.begin(), ids.end());
  if (ids.size() > kMaxExamined) ids.erase(ids.begin(), ids.end() - kMaxExamined);

  std::vector<MessageId> ours;
  std::set<std::string> tokens;
  for (MessageId id : ids) {
    probe::Outcome<std::string> headers = mailbox.Headers(id, deadline);
    if (!headers) return probe::ErrorResult(headers.error());
    std::optional<Marker> marker = FindMarker(headers.value());
    if (marker && marker->flow_id == config.flow_id) {
      ours.push_back(id);
      tokens.insert(marker->token);
    }
  }

  ReceiveMeasurement m;
  m.tls = mailbox.Tls();
  m.now = now();
  size_t known = 0;
  Result<TokenState> updated = state.Update(deadline, [&](TokenState& s) {
    for (const Token& t : s.outstanding) {
      if (tokens.count(t.id) != 0) {
        ++known;
        const int64_t took = std::max<int64_t>(0, m.now - t.sent_at);
        m.delivery_seconds = std::max(m.delivery_seconds.value_or(0), took);
      }
    }
    std::erase_if(s.outstanding, [&](const Token& t) { return tokens.count(t.id) != 0; });
    if (!tokens.empty()) s.last_received = m.now;
  });
  if (!updated) return StateFailure(updated.error());

  if (!ours.empty()) {
    probe::Outcome<bool> deleted = mailbox.Delete(ours, deadline);
    if (!deleted) return probe::ErrorResult(deleted.error());
  }
  m.collected = ours.size();
  m.unknown = tokens.size() - known;
  m.outstanding = updated->outstanding.size();
  m.seconds = watch() - start;
  return EvaluateReceive(config, m);
}

probe::CheckResult RunAge(const Config& config, StateDirectory& state, const WallClock& now,
                          probe::Deadline deadline) {
  Result<TokenState> current = state.Read(deadline);
  if (!current) return StateFailure(current.error());
  return EvaluateAge(config, *current, now());
}

}  // namespace automon::mailflow
