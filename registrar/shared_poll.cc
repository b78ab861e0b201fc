// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/shared_poll.h"

#include <algorithm>

namespace automon::registrar {

Result<bool> SharedPoll::WaitUntil(const std::function<Result<bool>()>& check,
                                   Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  const uint64_t seen_before = times_seen_;
  while (Clock::now() < deadline) {
    if (times_seen_ != seen_before) return true;  // the poller saw it
    if (polling_) {
      changed_.wait_until(lock, deadline);
      continue;
    }
    polling_ = true;
    lock.unlock();
    Result<bool> seen = check();
    lock.lock();
    if (!seen || *seen) {
      polling_ = false;
      if (seen) ++times_seen_;
      changed_.notify_all();
      return seen;
    }
    // Not yet: poll again after the interval; the others sleep meanwhile.
    changed_.wait_until(lock, std::min(deadline, Clock::now() + interval_));
    polling_ = false;
    if (Clock::now() >= deadline) {
      changed_.notify_all();  // one of the others polls from now on
      return false;
    }
  }
  return false;
}

}  // namespace automon::registrar
