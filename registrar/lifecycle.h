// SPDX-License-Identifier: GPL-2.0-or-later
// The host lifecycle (automon-registrar(8), LIFECYCLE): active -> silent ->
// disabled -> removed, driven by the time since a host last pushed. This
// file is the pure part: the per-host record the store keeps
// (lifecycle/<host>), its text form, and Evaluate, which says which hosts
// change state at a given time and when the next change is due. Nothing
// here reads a clock: callers pass `now` (unix seconds), so tests drive
// every transition with a fake clock. Applying a plan (re-rendering a
// disabled host, removing one) is the Registrar's.
#ifndef AUTOMON_REGISTRAR_LIFECYCLE_H_
#define AUTOMON_REGISTRAR_LIFECYCLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "formats/snapshot.h"

namespace automon::registrar {

// `removed` is not a state a record holds: a removed host has a tombstone
// and no record.
enum class LifecycleState { kActive, kSilent, kDisabled };
std::string_view LifecycleStateName(LifecycleState state);
std::optional<LifecycleState> LifecycleStateFromName(std::string_view name);

// What the store remembers about a host's contacts.
struct LifecycleRecord {
  int64_t last_seen = 0;  // unix seconds of the last push; 0: not known
                          // (a store written before the lifecycle existed)
  LifecycleState state = LifecycleState::kActive;
  int64_t since = 0;       // when the host entered `state`
  bool heartbeat = false;  // its agent sends the daemon's heartbeat

  bool operator==(const LifecycleRecord&) const = default;
};

std::string SerializeLifecycle(const LifecycleRecord& record);
// Parses what SerializeLifecycle wrote; unknown keys are ignored (a newer
// registrar may add some), a bad value is an Error naming `filename`.
Result<LifecycleRecord> ParseLifecycle(std::string_view text, std::string_view filename);

// THE single place that says whether a snapshot's host sends heartbeats:
// the agent daemon sets `heartbeat` in its snapshot when it sends one
// (with its passive results, SSH command `results`).
bool SendsHeartbeat(const formats::Snapshot& snapshot);

inline constexpr int64_t kAgentRescanSeconds = 3600;     // agent `--rescan` default
inline constexpr int64_t kHeartbeatSilentAfter = 600;    // 10 minutes
inline constexpr int64_t kSilenceWindowSeconds = 3600;   // the guard's "within one hour"
inline constexpr int64_t kDefaultGraceAfterStart = 600;  // as Checkmk's DCD

// The configured timers ([lifecycle] of registrar.conf), in seconds.
struct LifecyclePolicy {
  // nullopt: per host, 3 x the agent's rescan interval without heartbeat,
  // kHeartbeatSilentAfter with it.
  std::optional<int64_t> silent_after;
  std::optional<int64_t> disable_after;  // nullopt: never (the default)
  std::optional<int64_t> remove_after;   // nullopt: never (the default)
  int silence_guard_percent = 20;
  int64_t grace_after_start = kDefaultGraceAfterStart;

  bool operator==(const LifecyclePolicy&) const = default;
};

// How long `record`'s host may stay quiet before it is silent.
int64_t SilentAfter(const LifecycleRecord& record, const LifecyclePolicy& policy);

struct Transition {
  std::string host;
  LifecycleState from = LifecycleState::kActive;
  std::optional<LifecycleState> to;  // nullopt: removed
  std::string reason;                // one line: "no push for 3h (since ...)"

  bool operator==(const Transition&) const = default;
};

struct LifecyclePlan {
  std::vector<Transition> transitions;  // sorted by host; empty while the guard holds
  // More than silence_guard_percent of the hosts (and at least two) went
  // or would go silent within kSilenceWindowSeconds: nobody changes state.
  bool guard_holds = false;
  size_t going_silent = 0;  // the hosts the guard counted
  size_t silent = 0;        // hosts silent or disabled after this plan
  // The earliest time at which Evaluate will have something new to say;
  // nullopt: nothing is ever due (no timers, or no hosts).
  std::optional<int64_t> next_due;
};

// The transitions due at `now` for `hosts` (name -> record), for a
// registrar running since `started_at`. Rules:
//  - nobody changes state before started_at + grace_after_start, and a
//    host's silence counts from its last push or the start, whichever is
//    later: the registrar's own downtime silences nobody;
//  - active -> silent after SilentAfter; silent -> disabled after
//    disable_after since the last push; silent or disabled -> removed
//    after remove_after since the last push (a step at a time: a host is
//    silent before anything else happens to it);
//  - the mass-silence guard (see LifecyclePlan::guard_holds).
// A host that pushes is made active by the caller at once, not here.
LifecyclePlan Evaluate(const std::map<std::string, LifecycleRecord>& hosts,
                       const LifecyclePolicy& policy, int64_t now, int64_t started_at);

// A duration of registrar.conf: a number and s, m, h or d, from 1s to
// 3650d; nullopt for anything else.
std::optional<int64_t> ParseLifecycleDuration(std::string_view text);

// "3h", "10m", "45s", "2d": the largest unit that divides `seconds`.
std::string DurationText(int64_t seconds);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_LIFECYCLE_H_
