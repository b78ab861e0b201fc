// SPDX-License-Identifier: GPL-2.0-or-later
// Deadline: a point in time on the monotonic clock that a probe's I/O must
// finish by. Value type; copy freely.
#ifndef AUTOMON_PROBES_LIB_DEADLINE_H_
#define AUTOMON_PROBES_LIB_DEADLINE_H_

#include <algorithm>
#include <chrono>

namespace automon::probe {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(Clock::time_point at) : at_(at) {}
  static Deadline After(std::chrono::milliseconds duration) {
    return Deadline(Clock::now() + duration);
  }

  // Time left, never negative.
  std::chrono::milliseconds Remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }
  bool Expired() const { return Clock::now() >= at_; }
  Clock::time_point at() const { return at_; }

 private:
  Clock::time_point at_;
};

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_DEADLINE_H_
