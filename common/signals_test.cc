// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/signals.h"

#include <gtest/gtest.h>
#include <signal.h>

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

}  // namespace
}  // namespace automon
