// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's loop (automon-agent run), apart from what a push is: the
// inotify watch on the definitions directory and dpkg's status file, the
// debounce, the start jitter, the backoff with jitter, the rescan timer,
// and SIGHUP/SIGTERM/SIGINT. It depends on automon_common only, so that
// the small automon-agent-run executable (watch_main.cc) can idle without
// mapping libssh, OpenSSL or the Avahi and D-Bus libraries; a push is a
// hook (in that executable, a child `automon-agent push`).
#ifndef AUTOMON_AGENT_WATCH_H_
#define AUTOMON_AGENT_WATCH_H_

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "agent/scheduler.h"
#include "common/result.h"
#include "formats/results.h"

namespace automon::agent {

// What the configuration says the loop should do.
struct WatchPlan {
  std::string directory;  // the definitions directory to watch
  bool idle = false;      // no registrar configured, or enabled = false
  // Passive checks (issue #15): the local checks to run; none on most
  // hosts, and then the loop neither schedules nor sends anything.
  std::vector<Job> jobs = {};
  size_t services = 0;         // services registered, for the heartbeat's text
  std::string host = {};       // the name this host registers as
  std::string state_dir = {};  // results are handed over under it (agent/spool.h)
};

enum class PushOutcome {
  kOk,          // pushed (or nothing to push to, for good)
  kFailed,      // retry with backoff
  kNobodyYet,   // registrar = auto found no registrar: look again with backoff
  kNobodyEver,  // no avahi-daemon: said so; wait for a change, rescan or SIGHUP
};

struct WatchTimings {
  std::chrono::milliseconds debounce{2000};
  std::chrono::milliseconds start_jitter{30000};
  std::chrono::milliseconds retry_base{5000};
  std::chrono::milliseconds retry_max{15 * 60 * 1000};
  std::chrono::milliseconds rescan{3600 * 1000};
};

class WatchHooks {
 public:
  virtual ~WatchHooks() = default;
  virtual PushOutcome Push() = 0;
  // SIGHUP: the new plan, or nullopt (after saying why) to keep the old.
  virtual std::optional<WatchPlan> Reload() = 0;
  // After a push (a change of the definitions, a rescan): the plan again,
  // quietly, so that the local checks follow the definitions.
  virtual std::optional<WatchPlan> Refresh() { return std::nullopt; }
  // The command that delivers queued results to the registrars (run as a
  // child; exit 0 when nothing is left to deliver).
  virtual std::vector<std::string> FlushCommand() { return {}; }
};

// Results are flushed when this many are waiting, or when the oldest has
// waited kFlushDelay.
inline constexpr size_t kFlushResults = 100;
inline constexpr std::chrono::milliseconds kFlushDelay{2000};

// The heartbeat result: "automon agent" OK "automon-agent running, N
// services" at `time`.
formats::PassiveResult HeartbeatResult(size_t services, int64_t time);

// Runs until SIGTERM or SIGINT (0) or a fatal error (1). Signals are
// blocked in the calling thread while it runs (signalfd).
int RunWatchLoop(WatchPlan plan, const std::string& admindir, const WatchTimings& timings,
                 WatchHooks& hooks, std::ostream& log);

// The wait before retry number `failures` (1, 2, ...): `base` doubled per
// failure, capped at `max`, then scaled by 0.5 + `jitter` (jitter in
// [0, 1)), so a fleet that failed together does not retry together.
std::chrono::milliseconds RetryDelay(int failures, std::chrono::milliseconds base,
                                     std::chrono::milliseconds max, double jitter);

// The timing options of `run` over the defaults above: --debounce MS,
// --start-jitter S, --retry-base MS, --rescan S. `get` returns an option's
// value when it was given. A value that is not a whole number in range is
// an Error naming the option and the value.
Result<WatchTimings> ParseTimings(
    const std::function<std::optional<std::string>(std::string_view)>& get);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_WATCH_H_
