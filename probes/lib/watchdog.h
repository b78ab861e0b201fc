// SPDX-License-Identifier: GPL-2.0-or-later
// Watchdog: the hard backstop behind -t (monitoring-plugins' alarm() and
// timeout_alarm_handler).
//
// A probe bounds its own I/O with a Deadline so it can clean up (log out,
// release tokens) and report a precise error. The Watchdog catches whatever
// escapes that (a blocking call without its own timeout): when it fires it
// writes `message` and a newline to stdout with write(2) and calls
// _exit(state), which is all a signal handler may safely do.
//
// Process-wide: it owns SIGALRM and ITIMER_REAL while it lives, so at most
// one Watchdog may exist at a time (checked). This is the one global state
// the house style allows (signal plumbing); create it in main().
#ifndef AUTOMON_PROBES_LIB_WATCHDOG_H_
#define AUTOMON_PROBES_LIB_WATCHDOG_H_

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "probes/lib/state.h"

namespace automon::probe {

class Watchdog {
 public:
  // Arms the timer. `message` is truncated to 1023 bytes. Errors carry the
  // failing system call (sigaction, setitimer).
  static Result<std::unique_ptr<Watchdog>> Arm(std::chrono::milliseconds after,
                                               const std::string& message, State state);

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  // Disarms the timer and restores the previous SIGALRM action.
  ~Watchdog();

 private:
  Watchdog() = default;
};

}  // namespace automon::probe

#endif  // AUTOMON_PROBES_LIB_WATCHDOG_H_
