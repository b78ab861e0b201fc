// SPDX-License-Identifier: GPL-2.0-or-later
// The passive-check scheduler of the agent daemon (issue #15): runs each
// `command` service (and each haproxy service reading a local stats
// socket) every `interval` inside its `schedule` window and turns what the
// program printed and how it ended into a formats::PassiveResult.
//
// The rules (monitoring-info(5), automon-agent(8)):
//  - the first run of a job comes at a random moment in
//    [0, min(interval, 60 s)) after the job appears (start or reload), so
//    that services and hosts do not all run together;
//  - outside its `schedule` window a job does not run; the window is
//    looked at again at the next minute;
//  - a run that is due while `max_instances` runs of the job are still in
//    progress is skipped (and counted);
//  - the child gets an empty environment plus a fixed PATH, /dev/null as
//    standard input and error, no shell, its own process group, and the
//    `user` of the job when the daemon runs as root; on timeout the whole
//    group is killed and the run reported UNKNOWN "timed out after N s";
//  - at most 64 KiB of standard output is kept; exit codes 0-3 are the
//    states, anything else (or death by a signal) is UNKNOWN with a text
//    saying so.
//
// Time and processes are interfaces (SchedulerClock, Launcher) so that the
// rules are tested with a fake clock; RealLauncher forks real children.
// Not thread-safe; one loop owns a Scheduler.
#ifndef AUTOMON_AGENT_SCHEDULER_H_
#define AUTOMON_AGENT_SCHEDULER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/result.h"
#include "formats/results.h"
#include "formats/schedule.h"

namespace automon::agent {

using SteadyTime = std::chrono::steady_clock::time_point;

// The environment every child gets, and nothing else.
inline constexpr std::string_view kChildPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
// Bytes of a child's standard output kept; the rest is read and dropped.
inline constexpr size_t kMaxChildOutput = 64 << 10;
// The first run comes within min(interval, this) of the job appearing.
inline constexpr std::chrono::seconds kMaxSplay{60};

// One service to run.
struct Job {
  std::string name;               // the service's section name
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::chrono::seconds interval{300};
  std::chrono::seconds timeout{60};
  int max_instances = 1;
  std::optional<formats::Schedule> schedule;
  std::optional<std::string> user;  // nullopt: nagios if it exists, else nobody
  // Standard error into the output too (the daemon's own helpers; a
  // plugin's standard error goes to /dev/null, as with Nagios).
  bool capture_stderr = false;

  bool operator==(const Job&) const = default;
};

// One line for automon-agent-run's plan ("job=" is the caller's): the
// fields as canonically quoted words (formats/command_line.h), so that
// ParseJob(FormatJob(j)) == j for any job.
std::string FormatJob(const Job& job);
Result<Job> ParseJob(std::string_view line);

class SchedulerClock {
 public:
  virtual ~SchedulerClock() = default;
  virtual SteadyTime Now() = 0;       // for intervals and timeouts
  virtual int64_t WallSeconds() = 0;  // a result's time
  virtual std::tm LocalTime() = 0;    // for schedule windows
};

class RealSchedulerClock final : public SchedulerClock {
 public:
  SteadyTime Now() override { return std::chrono::steady_clock::now(); }
  int64_t WallSeconds() override;
  std::tm LocalTime() override;
};

// How one run ended.
struct RunOutcome {
  enum class Kind { kExited, kSignalled, kTimedOut, kNotStarted };
  Kind kind = Kind::kNotStarted;
  int code = 0;        // the exit code, or the signal
  std::string output;  // standard output, at most kMaxChildOutput bytes
  bool truncated = false;
  std::string error;  // kNotStarted: why
};

// Starts and watches children. Run ids are the Launcher's.
class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts `job` as `user` (nullopt: as the caller). The Launcher enforces
  // job.timeout itself (through Collect).
  virtual Result<uint64_t> Start(const Job& job, const std::optional<std::string>& user) = 0;
  // Runs that ended by `now` (timeouts included), without blocking.
  virtual std::vector<std::pair<uint64_t, RunOutcome>> Collect(SteadyTime now) = 0;
  // File descriptors to poll for POLLIN: readable when Collect has work.
  virtual std::vector<int> PollFds() const = 0;
  // The earliest timeout of a running child.
  virtual std::optional<SteadyTime> NextDeadline() const = 0;
};

// Forks real children (see the rules above). Kills every running group
// when destroyed.
class RealLauncher final : public Launcher {
 public:
  RealLauncher();
  ~RealLauncher() override;
  RealLauncher(const RealLauncher&) = delete;
  RealLauncher& operator=(const RealLauncher&) = delete;

  Result<uint64_t> Start(const Job& job, const std::optional<std::string>& user) override;
  std::vector<std::pair<uint64_t, RunOutcome>> Collect(SteadyTime now) override;
  std::vector<int> PollFds() const override;
  std::optional<SteadyTime> NextDeadline() const override;

 private:
  struct Child;
  std::map<uint64_t, std::unique_ptr<Child>> children_;
  uint64_t next_id_ = 1;
};

// The user a job runs as: nullopt (the daemon's own) unless `euid` is 0;
// then the job's user, else nagios when `user_exists("nagios")`, else
// nobody.
std::optional<std::string> EffectiveUser(
    const Job& job, uid_t euid, const std::function<bool(const std::string&)>& user_exists);

// What a run's outcome means for the monitoring core.
formats::PassiveResult ResultOf(const Job& job, const RunOutcome& outcome, int64_t time);

struct SchedulerCounts {
  uint64_t started = 0;
  uint64_t finished = 0;
  uint64_t timed_out = 0;
  uint64_t skipped_busy = 0;    // due while max_instances were running
  uint64_t outside_window = 0;  // due outside the schedule window
};

class Scheduler {
 public:
  // `random` returns numbers in [0, 1) (the splay); `user_of` maps a job to
  // the user it runs as (EffectiveUser in the daemon); `verify` checks the
  // program before each run (VerifyProgram in the daemon; a failure is an
  // UNKNOWN result naming it). All references outlive the Scheduler.
  Scheduler(SchedulerClock& clock, Launcher& launcher, std::function<double()> random,
            std::function<std::optional<std::string>(const Job&)> user_of,
            std::function<Result<void>(const Job&)> verify, std::ostream& log);

  // Replaces the jobs (start and reload). A job that is unchanged keeps
  // its timing; a new or changed one gets a new splay. Runs in progress
  // finish; results of jobs no longer there are dropped.
  void SetJobs(std::vector<Job> jobs);
  const std::vector<Job>& jobs() const;

  // Collects finished runs and starts those due; returns the new results.
  std::vector<formats::PassiveResult> Tick();

  // When Tick has work next (nullopt: never, no jobs and no children).
  std::optional<SteadyTime> NextWake() const;
  std::vector<int> PollFds() const { return launcher_.PollFds(); }
  const SchedulerCounts& counts() const { return counts_; }

 private:
  struct State {
    Job job;
    SteadyTime next;
    int running = 0;
  };
  struct Run {
    std::string name;
    Job job;
  };

  SchedulerClock& clock_;
  Launcher& launcher_;
  std::function<double()> random_;
  std::function<std::optional<std::string>(const Job&)> user_of_;
  std::function<Result<void>(const Job&)> verify_;
  std::ostream& log_;
  std::vector<Job> jobs_;
  std::map<std::string, State> states_;
  std::map<uint64_t, Run> runs_;
  SchedulerCounts counts_;
};

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_SCHEDULER_H_
