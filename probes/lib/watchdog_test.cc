// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace automon::probe {
namespace {

using std::chrono::milliseconds;

TEST(WatchdogDeathTest, FiresWithStateAsExitCode) {
  EXPECT_EXIT(
      {
        auto dog = Watchdog::Arm(milliseconds(50), "Error: timed out", kCritical);
        if (!dog.ok()) std::_Exit(99);
        std::this_thread::sleep_for(milliseconds(5000));
        std::_Exit(98);
      },
      ::testing::ExitedWithCode(2), "");
}

TEST(WatchdogDeathTest, ExitStateIsConfigurable) {
  EXPECT_EXIT(
      {
        auto dog = Watchdog::Arm(milliseconds(20), "x", kUnknown);
        std::this_thread::sleep_for(milliseconds(5000));
        std::_Exit(98);
      },
      ::testing::ExitedWithCode(3), "");
}

TEST(WatchdogTest, DestroyingDisarms) {
  {
    auto dog = Watchdog::Arm(milliseconds(100), "must not fire", kCritical);
    ASSERT_TRUE(dog.ok());
  }
  std::this_thread::sleep_for(milliseconds(250));
  SUCCEED();  // still alive: the timer was cancelled
}

TEST(WatchdogTest, CanBeArmedAgainAfterDestruction) {
  for (int i = 0; i < 3; ++i) {
    auto dog = Watchdog::Arm(milliseconds(10000), "later", kCritical);
    ASSERT_TRUE(dog.ok());
  }
}

}  // namespace
}  // namespace automon::probe
