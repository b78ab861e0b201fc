// SPDX-License-Identifier: GPL-2.0-or-later
// SharedPoll: threads waiting for the same condition share one poll of it.
// The first waiter polls every `interval`; the others sleep until it sees
// the condition or until their own deadline. When the poller's deadline
// passes first, a sleeping waiter takes over. Under `serve`, hundreds of
// registrations wait at once for the arrivals lock to be free; each used
// to test it every 20 ms (open, flock, close), which cost the registrar a
// third of its CPU in a fleet's burst (doc/decisions.md).
#ifndef AUTOMON_REGISTRAR_SHARED_POLL_H_
#define AUTOMON_REGISTRAR_SHARED_POLL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/result.h"

namespace automon::registrar {

class SharedPoll {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SharedPoll(std::chrono::milliseconds interval) : interval_(interval) {}

  // Returns true once `check` returns true (called by this thread or by the
  // waiter polling for all), false when `deadline` passes first, or the
  // error of this thread's own `check`. Every waiter must pass a `check` of
  // the same condition. No check at all when `deadline` has passed already.
  Result<bool> WaitUntil(const std::function<Result<bool>()>& check, Clock::time_point deadline);

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool polling_ = false;     // a waiter polls (or sleeps between its polls)
  uint64_t times_seen_ = 0;  // how often the condition was seen true
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_SHARED_POLL_H_
