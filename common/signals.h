// SPDX-License-Identifier: GPL-2.0-or-later
// SignalFd: signals as readable events (signalfd(2)), the one piece of
// process-wide signal plumbing (STYLE.md). Constructing it blocks the
// given signals in the calling thread, so create it before any thread
// starts; destroying it restores the previous mask.
#ifndef AUTOMON_COMMON_SIGNALS_H_
#define AUTOMON_COMMON_SIGNALS_H_

#include <signal.h>

#include <initializer_list>
#include <optional>

#include "common/result.h"
#include "common/unique_fd.h"

namespace automon {

class SignalFd {
 public:
  static Result<SignalFd> Create(std::initializer_list<int> signals);
  SignalFd(SignalFd&& other) noexcept;
  SignalFd& operator=(SignalFd&&) = delete;
  SignalFd(const SignalFd&) = delete;
  ~SignalFd();

  // For poll(2).
  int fd() const { return fd_.get(); }
  // The next pending signal, or nullopt when none is pending.
  std::optional<int> Read();

 private:
  SignalFd(UniqueFd fd, sigset_t previous) : fd_(std::move(fd)), previous_(previous) {}

  UniqueFd fd_;
  sigset_t previous_;
  bool owns_mask_ = true;
};

// Blocks SIGPIPE for the calling thread while it lives, so that a write to
// a pipe, FIFO or socket whose reader went away fails with EPIPE instead of
// killing the process (OpenSSL and FIFOs use write(2), which cannot pass
// MSG_NOSIGNAL). A SIGPIPE raised meanwhile is taken off the pending set
// before the old mask comes back; one that was pending before stays.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool blocked_ = false;
  bool was_pending_ = false;
};

}  // namespace automon

#endif  // AUTOMON_COMMON_SIGNALS_H_
