// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/watch.h"

#include <fmt/format.h>
#include <poll.h>
#include <pwd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>

#include "agent/program_check.h"
#include "agent/spool.h"
#include "common/file_system.h"
#include "common/parse_integer.h"
#include "common/signals.h"
#include "common/unique_fd.h"

namespace automon::agent {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// An inotify instance watching the definitions directory and dpkg's
// administrative directory (dpkg replaces `status` by renaming a new file
// over it).
class Watches {
 public:
  Watches() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  int fd() const { return fd_.get(); }

  // (Re)watches `directory`; false (after saying why) when it cannot.
  bool Watch(const std::string& directory, const std::string& admindir, std::ostream& log) {
    if (!fd_.valid()) {
      log << "automon-agent: inotify: " << std::strerror(errno) << '\n';
      return false;
    }
    if (!directory_.empty() && directory_ == directory) return true;
    if (directory_wd_ >= 0) ::inotify_rm_watch(fd_.get(), directory_wd_);
    directory_wd_ =
        ::inotify_add_watch(fd_.get(), directory.c_str(),
                            IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    if (directory_wd_ < 0) {
      log << fmt::format("automon-agent: cannot watch {}: {}\n", directory, std::strerror(errno));
      directory_.clear();
      return false;
    }
    directory_ = directory;
    if (admin_wd_ < 0) {
      admin_wd_ = ::inotify_add_watch(fd_.get(), admindir.c_str(),
                                      IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
    }
    return true;
  }

  // Drains pending events; true when one of them matters: anything in the
  // definitions directory, or dpkg's `status` file.
  bool Drain() {
    bool relevant = false;
    alignas(inotify_event) char buffer[8192];
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + i);
        if (event->wd == directory_wd_) {
          relevant = true;
          if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
            directory_wd_ = -1;
            directory_.clear();  // watch again on the next push
          }
        } else if (event->wd == admin_wd_ && event->len > 0 &&
                   std::string_view(event->name) == "status") {
          relevant = true;
        }
        i += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return relevant;
  }

 private:
  UniqueFd fd_;
  std::string directory_;
  int directory_wd_ = -1;
  int admin_wd_ = -1;
};

// The passive half of the loop: the scheduler, the batch of results not
// yet handed over, the heartbeat and the child that delivers results.
class Passive {
 public:
  Passive(WatchHooks& hooks, const WatchTimings& timings, std::ostream& log, std::mt19937& random)
      : hooks_(hooks),
        timings_(timings),
        log_(log),
        random_(random),
        scheduler_(
            clock_, launcher_, [this] { return unit_(random_); },
            [](const Job& job) {
              return EffectiveUser(job, ::geteuid(), [](const std::string& name) {
                return ::getpwnam(name.c_str()) != nullptr;
              });
            },
            [this](const Job& job) { return VerifyProgram(fs_, job.argv.front()); }, log) {}

  void SetPlan(const WatchPlan& plan) {
    if (!plan.jobs.empty() && ::geteuid() != 0 && !said_not_root_) {
      log_ << fmt::format(
          "automon-agent: not running as root: local checks run as uid {}, not as their "
          "'user'\n",
          ::geteuid());
      said_not_root_ = true;
    }
    const bool had = !scheduler_.jobs().empty();
    // With nobody to send to, nothing is run.
    scheduler_.SetJobs(plan.idle ? std::vector<Job>() : plan.jobs);
    services_ = plan.services;
    host_ = plan.host;
    state_dir_ = plan.state_dir;
    // The first heartbeat goes with the first push (AfterPush).
    if (!had && !plan.jobs.empty()) heartbeat_due_ = Clock::now() + std::chrono::seconds(60);
  }
  bool active() const { return !scheduler_.jobs().empty() || !queue_.empty() || flushing_; }

  void AfterPush() {
    pushed_ = true;
    if (!scheduler_.jobs().empty()) Queue({HeartbeatResult(services_, clock_.WallSeconds())});
  }

  // Does what is due; returns when it wants to run again.
  std::optional<Clock::time_point> Work() {
    Queue(scheduler_.Tick());
    const auto now = Clock::now();
    if (!scheduler_.jobs().empty() && now >= heartbeat_due_) {
      Queue({HeartbeatResult(services_, clock_.WallSeconds())});
      heartbeat_due_ = now + std::chrono::seconds(60);
    }
    if (!queue_.empty() && (queue_.size() >= kFlushResults || now >= first_queued_ + kFlushDelay)) {
      const std::string name =
          fmt::format("{}.{}.{}", clock_.WallSeconds(), ::getpid(), ++inbox_files_);
      if (auto written = WriteInbox(fs_, state_dir_, name, {host_, queue_}); written) {
        flush_wanted_ = true;
        flush_at_ = now;  // new results go out at once, backoff or not
      } else {
        log_ << fmt::format("automon-agent: {} results lost: {}\n", queue_.size(),
                            written.error().message);
      }
      queue_.clear();
    }
    for (auto& [id, outcome] : flusher_.Collect(now)) {
      flushing_ = false;
      if (!outcome.output.empty()) log_ << outcome.output << std::flush;
      if (outcome.kind == RunOutcome::Kind::kExited && outcome.code == 0) {
        failures_ = 0;
      } else {
        ++failures_;
        flush_wanted_ = true;
        // The pushes' backoff (--retry-base), so that both wait alike.
        flush_at_ =
            now + RetryDelay(failures_, timings_.retry_base, timings_.retry_max, unit_(random_));
      }
    }
    // Not before the first push: a registrar that does not know the
    // services yet would refuse their results.
    if (flush_wanted_ && !flushing_ && pushed_ && now >= flush_at_) {
      Job flush;
      flush.name = "results";
      flush.argv = hooks_.FlushCommand();
      flush.timeout = std::chrono::seconds(300);
      flush.capture_stderr = true;
      if (!flush.argv.empty()) {
        if (auto id = flusher_.Start(flush, std::nullopt)) {
          flushing_ = true;
        } else {
          log_ << "automon-agent: cannot deliver results: " << id.error().message << '\n';
        }
      }
      flush_wanted_ = false;
    }
    std::optional<Clock::time_point> next = scheduler_.NextWake();
    auto earlier = [&](std::optional<Clock::time_point> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    if (!scheduler_.jobs().empty()) earlier(heartbeat_due_);
    if (!queue_.empty()) earlier(first_queued_ + kFlushDelay);
    if (flush_wanted_ && !flushing_ && pushed_) earlier(flush_at_);
    earlier(flusher_.NextDeadline());
    return next;
  }

  std::vector<int> PollFds() const {
    std::vector<int> fds = scheduler_.PollFds();
    for (int fd : flusher_.PollFds()) fds.push_back(fd);
    return fds;
  }

 private:
  void Queue(std::vector<formats::PassiveResult> results) {
    if (results.empty()) return;
    if (queue_.empty()) first_queued_ = Clock::now();
    for (auto& r : results) queue_.push_back(std::move(r));
  }

  WatchHooks& hooks_;
  const WatchTimings& timings_;
  std::ostream& log_;
  std::mt19937& random_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  RealFileSystem fs_;
  RealSchedulerClock clock_;
  RealLauncher launcher_;
  RealLauncher flusher_;
  Scheduler scheduler_;
  size_t services_ = 0;
  std::string host_;
  std::string state_dir_;
  uint64_t inbox_files_ = 0;
  bool said_not_root_ = false;
  std::vector<formats::PassiveResult> queue_;
  Clock::time_point first_queued_;
  Clock::time_point heartbeat_due_;
  bool flush_wanted_ = false;
  bool flushing_ = false;
  bool pushed_ = false;
  Clock::time_point flush_at_;
  int failures_ = 0;
};

}  // namespace

formats::PassiveResult HeartbeatResult(size_t services, int64_t time) {
  formats::PassiveResult r;
  r.service = std::string(formats::kHeartbeatService);
  r.state = 0;
  r.output = fmt::format("automon-agent running, {} service{}", services, services == 1 ? "" : "s");
  r.time = time;
  return r;
}

milliseconds RetryDelay(int failures, milliseconds base, milliseconds max, double jitter) {
  milliseconds delay = base;
  for (int i = 1; i < failures && delay < max; ++i) delay *= 2;
  delay = std::min(delay, max);
  return milliseconds(static_cast<long>(static_cast<double>(delay.count()) * (0.5 + jitter)));
}

Result<WatchTimings> ParseTimings(
    const std::function<std::optional<std::string>(std::string_view)>& get) {
  WatchTimings timings;
  struct Field {
    std::string_view name;
    milliseconds WatchTimings::*field;
    milliseconds unit;
    std::string_view unit_name;
  };
  // A week at most, in either unit: far beyond any sensible setting, and
  // far from overflowing the clock arithmetic of the loop.
  constexpr long kMaxMs = 7L * 24 * 3600 * 1000;
  for (const Field& f :
       {Field{"debounce", &WatchTimings::debounce, milliseconds(1), "milliseconds"},
        Field{"start-jitter", &WatchTimings::start_jitter, milliseconds(1000), "seconds"},
        Field{"retry-base", &WatchTimings::retry_base, milliseconds(1), "milliseconds"},
        Field{"rescan", &WatchTimings::rescan, milliseconds(1000), "seconds"}}) {
    const std::optional<std::string> value = get(f.name);
    if (!value) continue;
    const long max = kMaxMs / f.unit.count();
    const Result<long> n = ParseInteger(*value, f.name == "rescan" ? 1L : 0L, max);
    if (!n) {
      return Error{fmt::format("invalid --{} '{}': expected a whole number of {} from {} to {}",
                               f.name, *value, f.unit_name, f.name == "rescan" ? 1 : 0, max)};
    }
    timings.*f.field = *n * f.unit;
  }
  return timings;
}

int RunWatchLoop(WatchPlan plan, const std::string& admindir, const WatchTimings& timings,
                 WatchHooks& hooks, std::ostream& log) {
  auto signals = SignalFd::Create({SIGTERM, SIGINT, SIGHUP});
  if (!signals) {
    log << "automon-agent: error: " << signals.error().message << '\n';
    return 1;
  }
  std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Watches watches;
  Passive passive(hooks, timings, log, random);
  passive.SetPlan(plan);

  bool pending = true;  // a push is due at `due`
  auto due = Clock::now() + milliseconds(static_cast<long>(
                                static_cast<double>(timings.start_jitter.count()) * unit(random)));
  // When the first change not yet pushed was seen: a stream of changes
  // delays the push by at most a few debounce periods from here.
  auto first_change = Clock::now();
  auto next_rescan = Clock::now() + timings.rescan;
  int failures = 0;
  bool said_idle = false;
  // SIGHUP (a dpkg trigger: a package just changed the definitions) asks
  // for a push now; the inotify events of the same change must not push it
  // back by a debounce period.
  bool immediate = false;
  log << "automon-agent: running\n" << std::flush;

  for (;;) {
    const bool idle = plan.idle;
    if (idle && !said_idle) {
      // A host that never wanted monitoring is not bothered: say so once
      // and only wait for a signal.
      log << "automon-agent: no registrar configured (or enabled = false); idle until SIGHUP\n"
          << std::flush;
      said_idle = true;
    }
    const auto now = Clock::now();
    if (!idle && pending && now >= due) {
      watches.Watch(plan.directory, admindir, log);
      pending = false;
      immediate = false;
      const PushOutcome outcome = hooks.Push();
      if (outcome == PushOutcome::kNobodyYet) {
        // Nobody announced yet (a registrar booting later): look again.
        ++failures;
        pending = true;
        due = Clock::now() +
              RetryDelay(failures, timings.retry_base, timings.retry_max, unit(random));
      } else if (outcome == PushOutcome::kFailed) {
        ++failures;
        const milliseconds wait =
            RetryDelay(failures, timings.retry_base, timings.retry_max, unit(random));
        log << fmt::format("automon-agent: push failed; retry {} in {} ms\n", failures,
                           wait.count());
        pending = true;
        due = Clock::now() + wait;
      } else {
        failures = 0;
      }
      if (outcome == PushOutcome::kOk) {
        // The definitions may have changed: so may the local checks.
        if (auto refreshed = hooks.Refresh()) {
          plan = *refreshed;
          passive.SetPlan(plan);
        }
        passive.AfterPush();
      }
      log.flush();
      next_rescan = Clock::now() + timings.rescan;
      continue;
    }
    if (!idle && !pending && now >= next_rescan) {
      pending = true;
      due = now;
      continue;
    }
    milliseconds timeout = milliseconds(-1);
    if (!idle) {
      const auto until = pending ? due : next_rescan;
      timeout = std::max(milliseconds(0),
                         std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1));
    }
    // Without local checks this costs nothing: no wake-up, no descriptor.
    if (passive.active()) {
      if (auto wake = passive.Work()) {
        const milliseconds until = std::max(
            milliseconds(0),
            std::chrono::duration_cast<milliseconds>(*wake - Clock::now()) + milliseconds(1));
        timeout = timeout.count() < 0 ? until : std::min(timeout, until);
      }
    }
    std::vector<pollfd> fds = {{signals->fd(), POLLIN, 0}, {watches.fd(), POLLIN, 0}};
    const size_t fixed = watches.fd() >= 0 ? 2 : 1;
    fds.resize(fixed);
    for (int fd : passive.PollFds()) fds.push_back({fd, POLLIN, 0});
    const int ready = ::poll(
        fds.data(), fds.size(),
        timeout.count() < 0 ? -1
                            : static_cast<int>(std::min<long>(timeout.count(), 24 * 3600 * 1000)));
    if (ready < 0 && errno != EINTR) {
      log << "automon-agent: poll: " << std::strerror(errno) << '\n';
      return 1;
    }
    while (auto signal = signals->Read()) {
      if (*signal == SIGHUP) {
        log << "automon-agent: SIGHUP: reloading the configuration\n";
        if (auto reloaded = hooks.Reload()) {
          plan = *reloaded;
          passive.SetPlan(plan);
        } else {
          log << "automon-agent: keeping the previous configuration\n";
        }
        said_idle = false;
        pending = true;
        immediate = true;
        due = Clock::now();
        failures = 0;
      } else {
        log << "automon-agent: stopping\n" << std::flush;
        return 0;
      }
    }
    if (fixed == 2 && fds[1].revents & POLLIN && watches.Drain()) {
      // Trailing debounce, but a stream of changes cannot delay a push
      // beyond a few debounce periods after its first change.
      const auto changed = Clock::now();
      if (immediate) {
        // Due now already (SIGHUP); the push scans whatever is there.
      } else if (!pending || failures > 0) {
        first_change = changed;
        due = changed + timings.debounce;
      } else {
        due = std::min(std::max(due, changed + timings.debounce),
                       first_change + 5 * timings.debounce);
      }
      pending = true;
      failures = 0;
    }
  }
}

}  // namespace automon::agent
