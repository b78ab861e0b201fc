// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/lifecycle.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/parse_integer.h"
#include "formats/ini.h"

namespace automon::registrar {
namespace {

constexpr std::array<std::pair<LifecycleState, std::string_view>, 3> kStates = {{
    {LifecycleState::kActive, "active"},
    {LifecycleState::kSilent, "silent"},
    {LifecycleState::kDisabled, "disabled"},
}};

// While the guard holds, look again this often: hosts that push again
// release it, and only the next look notices.
constexpr int64_t kGuardRecheckSeconds = 60;

// When `record`'s host takes its next step, and to which state (nullopt:
// removed); nullopt when no timer applies.
std::optional<std::pair<int64_t, std::optional<LifecycleState>>> NextStep(
    const LifecycleRecord& record, const LifecyclePolicy& policy, int64_t started_at) {
  const int64_t grace_end = started_at + policy.grace_after_start;
  // A store from before the lifecycle has no last push: count from the start.
  const int64_t seen = record.last_seen > 0 ? record.last_seen : started_at;
  std::optional<std::pair<int64_t, std::optional<LifecycleState>>> step;
  auto consider = [&](int64_t due, std::optional<LifecycleState> to) {
    due = std::max({due, record.since, grace_end});
    if (!step || due < step->first) step.emplace(due, to);
  };
  switch (record.state) {
    case LifecycleState::kActive:
      consider(std::max(seen, started_at) + SilentAfter(record, policy), LifecycleState::kSilent);
      break;
    case LifecycleState::kSilent:
      if (policy.disable_after) consider(seen + *policy.disable_after, LifecycleState::kDisabled);
      if (policy.remove_after) consider(seen + *policy.remove_after, std::nullopt);
      break;
    case LifecycleState::kDisabled:
      if (policy.remove_after) consider(seen + *policy.remove_after, std::nullopt);
      break;
  }
  return step;
}

std::string SeenText(const LifecycleRecord& record, int64_t now) {
  if (record.last_seen <= 0) return "no push recorded since the registrar started";
  return fmt::format("last push {} ago",
                     DurationText(std::max<int64_t>(0, now - record.last_seen)));
}

}  // namespace

std::string_view LifecycleStateName(LifecycleState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "active";
}

std::optional<LifecycleState> LifecycleStateFromName(std::string_view name) {
  for (const auto& [s, n] : kStates) {
    if (n == name) return s;
  }
  return std::nullopt;
}

std::string SerializeLifecycle(const LifecycleRecord& r) {
  return fmt::format("[lifecycle]\nlast_seen = {}\nstate = {}\nsince = {}\nheartbeat = {}\n",
                     r.last_seen, LifecycleStateName(r.state), r.since,
                     r.heartbeat ? "true" : "false");
}

Result<LifecycleRecord> ParseLifecycle(std::string_view text, std::string_view filename) {
  std::vector<Diagnostic> diagnostics;
  const auto sections = formats::LexIni(text, filename, diagnostics);
  if (!diagnostics.empty() || sections.size() != 1 || sections[0].name != "lifecycle") {
    return Error{fmt::format("{}: damaged lifecycle record", filename)};
  }
  LifecycleRecord record;
  for (const formats::IniEntry& e : sections[0].entries) {
    bool ok = true;
    if (e.key == "last_seen" || e.key == "since") {
      auto n = ParseInteger<int64_t>(e.value);
      ok = n.ok() && *n >= 0;
      if (ok) (e.key == "since" ? record.since : record.last_seen) = *n;
    } else if (e.key == "state") {
      auto state = LifecycleStateFromName(e.value);
      ok = state.has_value();
      if (ok) record.state = *state;
    } else if (e.key == "heartbeat") {
      ok = e.value == "true" || e.value == "false";
      record.heartbeat = e.value == "true";
    }
    if (!ok) {
      return Error{fmt::format("{}: invalid value '{}' for '{}' in a lifecycle record",
                               e.value_loc.ToString(), e.value, e.key)};
    }
  }
  return record;
}

bool SendsHeartbeat(const formats::Snapshot& snapshot) {
  return snapshot.heartbeat_seconds.has_value();
}

int64_t SilentAfter(const LifecycleRecord& record, const LifecyclePolicy& policy) {
  if (policy.silent_after) return *policy.silent_after;
  return record.heartbeat ? kHeartbeatSilentAfter : 3 * kAgentRescanSeconds;
}

std::optional<int64_t> ParseLifecycleDuration(std::string_view text) {
  return ParseDurationSeconds(text, int64_t{3650} * 86400);
}

std::string DurationText(int64_t seconds) {
  if (seconds > 0 && seconds % 86400 == 0) return fmt::format("{}d", seconds / 86400);
  if (seconds > 0 && seconds % 3600 == 0) return fmt::format("{}h", seconds / 3600);
  if (seconds > 0 && seconds % 60 == 0) return fmt::format("{}m", seconds / 60);
  return fmt::format("{}s", seconds);
}

LifecyclePlan Evaluate(const std::map<std::string, LifecycleRecord>& hosts,
                       const LifecyclePolicy& policy, int64_t now, int64_t started_at) {
  LifecyclePlan plan;
  std::vector<Transition> due;
  std::optional<int64_t> next;
  auto later = [&](int64_t t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [host, record] : hosts) {
    if (record.state == LifecycleState::kSilent && now - record.since < kSilenceWindowSeconds) {
      ++plan.going_silent;  // went silent within the window
    }
    if (record.state != LifecycleState::kActive) ++plan.silent;
    auto step = NextStep(record, policy, started_at);
    if (!step) continue;
    if (step->first > now) {
      later(step->first);
      continue;
    }
    Transition t{host, record.state, step->second, ""};
    if (record.state == LifecycleState::kActive) {
      ++plan.going_silent;
      t.reason = fmt::format("no push for {} ({})", DurationText(SilentAfter(record, policy)),
                             SeenText(record, now));
    } else if (step->second) {
      t.reason = fmt::format("disable_after {} ({})", DurationText(*policy.disable_after),
                             SeenText(record, now));
    } else {
      t.reason = fmt::format("remove_after {} ({})", DurationText(*policy.remove_after),
                             SeenText(record, now));
    }
    due.push_back(std::move(t));
  }
  plan.guard_holds =
      plan.going_silent >= 2 &&
      plan.going_silent * 100 > static_cast<size_t>(policy.silence_guard_percent) * hosts.size();
  if (plan.guard_holds) {
    plan.next_due = now + kGuardRecheckSeconds;
    return plan;
  }
  // The hosts that change now take their following step later.
  for (const Transition& t : due) {
    if (t.from == LifecycleState::kActive) ++plan.silent;
    if (!t.to) {
      --plan.silent;
      continue;
    }
    LifecycleRecord after = hosts.at(t.host);
    after.state = *t.to;
    after.since = now;
    if (auto step = NextStep(after, policy, started_at)) later(std::max(step->first, now));
  }
  plan.transitions = std::move(due);
  plan.next_due = next;
  return plan;
}

}  // namespace automon::registrar
