// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/lifecycle_timer.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "registrar/registrar.h"

namespace automon::registrar::ssh {

LifecycleTimer::LifecycleTimer(const Config& config, const ServeDependencies& deps,
                               std::function<void(const std::string&)> log)
    : config_(config),
      deps_(deps),
      log_(std::move(log)),
      started_at_(deps.now_unix()),
      thread_([this] { Run(); }) {}

LifecycleTimer::~LifecycleTimer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LifecycleTimer::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    int64_t next = deps_.now_unix() + kStatusRefreshSeconds;
    lock.unlock();
    {
      std::istringstream in;
      std::ostringstream out, err;
      Environment env{deps_.fs, deps_.disk,     deps_.runner, deps_.now_iso8601, in, out,
                      err,      deps_.now_unix, log_};
      Registrar registrar(config_, env);
      auto plan = registrar.RunLifecycle(started_at_);
      if (!plan) {
        log_("lifecycle: " + plan.error().message);
      } else if (plan->next_due && *plan->next_due > deps_.now_unix()) {
        next = std::min(next, *plan->next_due);
      }
      // A transition still due right after a tick either follows one that
      // was just made (silent, then disabled at once) or failed (the
      // engine refused the disabled host): both wait for the next refresh,
      // so a failure is retried once a minute, never in a loop.
      std::string line;
      std::istringstream warnings(err.str());
      while (std::getline(warnings, line)) {
        constexpr std::string_view kPrefix = "automon-registrar: ";
        log_(line.starts_with(kPrefix) ? line.substr(kPrefix.size()) : line);
      }
    }
    lock.lock();
    const int64_t wait = std::max<int64_t>(1, next - deps_.now_unix());
    wake_.wait_for(lock, std::chrono::seconds(wait), [this] { return stop_; });
  }
}

}  // namespace automon::registrar::ssh
