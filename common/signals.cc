// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/signals.h"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace automon {

Result<SignalFd> SignalFd::Create(std::initializer_list<int> signals) {
  sigset_t set, previous;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (const int e = pthread_sigmask(SIG_BLOCK, &set, &previous); e != 0) {
    return SystemError("pthread_sigmask", e, "signal mask");
  }
  UniqueFd fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd.valid()) {
    const int e = errno;
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return SystemError("signalfd", e, "signals");
  }
  return SignalFd(std::move(fd), previous);
}

SignalFd::SignalFd(SignalFd&& other) noexcept
    : fd_(std::move(other.fd_)), previous_(other.previous_) {
  other.owns_mask_ = false;
}

SignalFd::~SignalFd() {
  if (owns_mask_) pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalFd::Read() {
  signalfd_siginfo info;
  const ssize_t n = ::read(fd_.get(), &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigemptyset(&pipe_);
  sigaddset(&pipe_, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  blocked_ = ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  if (!blocked_) return;
  sigset_t pending;
  sigemptyset(&pending);
  if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace automon
