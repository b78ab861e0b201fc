// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace automon {
namespace {

TEST(SignalFdTest, DeliversBlockedSignalsAsEventsAndRestoresTheMask) {
  {
    auto fd = SignalFd::Create({SIGUSR1, SIGHUP});
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    EXPECT_EQ(fd->Read(), std::nullopt);
    ASSERT_EQ(::raise(SIGUSR1), 0);  // blocked: queued, not fatal
    EXPECT_EQ(fd->Read(), SIGUSR1);
    EXPECT_EQ(fd->Read(), std::nullopt);
  }
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  EXPECT_FALSE(sigismember(&now, SIGUSR1)) << "the mask is restored";
}

TEST(ScopedSigpipeBlockTest, AWriteToAClosedPipeFailsInsteadOfKillingTheProcess) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  {
    ScopedSigpipeBlock block;
    errno = 0;
    EXPECT_EQ(::write(fds[1], "x", 1), -1);  // SIGPIPE would end the test binary
    EXPECT_EQ(errno, EPIPE);
  }
  ::close(fds[1]);
  sigset_t pending, mask;
  sigemptyset(&pending);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "the SIGPIPE it raised is consumed";
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGPIPE)) << "the mask is restored";
}

}  // namespace
}  // namespace automon
