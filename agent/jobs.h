// SPDX-License-Identifier: GPL-2.0-or-later
// Which of a host's services the agent checks itself (passive services,
// issue #15), and how: `command` services as defined, and haproxy
// services whose `stats` is a socket path (the socket is the host's), with
// the argv of the check plan (backends/plan.h).
#ifndef AUTOMON_AGENT_JOBS_H_
#define AUTOMON_AGENT_JOBS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/scheduler.h"
#include "formats/snapshot.h"

namespace automon::agent {

// The interval, timeout and freshness of a haproxy stats-socket check.
inline constexpr int kHaproxySocketInterval = 60;
inline constexpr int kHaproxySocketTimeout = 10;
// Where the automon probes and monitoring-plugins live on a host.
inline constexpr std::string_view kPluginDirectory = "/usr/lib/nagios/plugins";
// The heartbeat: an "automon agent" result every this many seconds.
inline constexpr int kHeartbeatSeconds = 60;

// True for a service the agent runs on the host.
bool IsLocalCheck(const formats::Service& service);

// The jobs for the snapshot's local checks, in snapshot order.
std::vector<Job> JobsFor(const formats::Snapshot& snapshot);

// Seconds after which each local check's result is stale, by service
// name, the heartbeat included.
std::map<std::string, int64_t> FreshnessFor(const formats::Snapshot& snapshot);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_JOBS_H_
