// SPDX-License-Identifier: GPL-2.0-or-later
// LifecycleTimer: `serve`'s one timer for the host lifecycle. A thread
// that sleeps until the next due transition (LifecyclePlan::next_due, never
// a wake-up per host) or, at the latest, kStatusRefreshSeconds, runs
// Registrar::RunLifecycle and so rewrites the self-check's status file.
// A transition that is still due right after a tick (a failed one, or the
// next step of a host that just changed) waits for the refresh.
// The registrar's start (for the grace period) is when the timer starts.
#ifndef AUTOMON_REGISTRAR_SSH_LIFECYCLE_TIMER_H_
#define AUTOMON_REGISTRAR_SSH_LIFECYCLE_TIMER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "registrar/config.h"
#include "registrar/ssh/serve.h"

namespace automon::registrar::ssh {

inline constexpr int64_t kStatusRefreshSeconds = 60;

class LifecycleTimer {
 public:
  // Starts the thread. `config`, `deps` and `log` must outlive the timer.
  LifecycleTimer(const Config& config, const ServeDependencies& deps,
                 std::function<void(const std::string&)> log);
  // Stops and joins the thread.
  ~LifecycleTimer();
  LifecycleTimer(const LifecycleTimer&) = delete;
  LifecycleTimer& operator=(const LifecycleTimer&) = delete;

 private:
  void Run();

  const Config& config_;
  const ServeDependencies& deps_;
  std::function<void(const std::string&)> log_;
  const int64_t started_at_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_LIFECYCLE_TIMER_H_
