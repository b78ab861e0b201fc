// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/shared_poll.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace automon::registrar {
namespace {

using namespace std::chrono_literals;
using Clock = SharedPoll::Clock;

TEST(SharedPollTest, TrueAtOnceAndNoLookAfterTheDeadline) {
  SharedPoll poll(20ms);
  int looks = 0;
  auto yes = [&]() -> Result<bool> {
    ++looks;
    return true;
  };
  EXPECT_TRUE(poll.WaitUntil(yes, Clock::now() + 1s).value());
  EXPECT_EQ(looks, 1);
  EXPECT_FALSE(poll.WaitUntil(yes, Clock::now() - 1ms).value()) << "the deadline has passed";
  EXPECT_EQ(looks, 1);
}

TEST(SharedPollTest, FalseAtTheDeadlineAndTheCheckErrorAsItIs) {
  SharedPoll poll(10ms);
  int looks = 0;
  auto no = [&]() -> Result<bool> {
    ++looks;
    return false;
  };
  const auto start = Clock::now();
  EXPECT_FALSE(poll.WaitUntil(no, start + 100ms).value());
  EXPECT_GE(Clock::now() - start, 100ms);
  EXPECT_GE(looks, 3) << "it kept looking";
  EXPECT_LE(looks, 12) << "every 10 ms, not more often";
  auto broken = []() -> Result<bool> { return Error{"flock: broken"}; };
  auto r = poll.WaitUntil(broken, Clock::now() + 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "flock: broken");
}

// 32 threads waiting at once look as often as one would, and all of them
// see the condition when it comes true.
TEST(SharedPollTest, WaitersShareOneLook) {
  SharedPoll poll(10ms);
  std::atomic<int> looks{0};
  const auto open_at = Clock::now() + 200ms;
  auto opened = [&]() -> Result<bool> {
    ++looks;
    return Clock::now() >= open_at;
  };
  constexpr int kThreads = 32;
  std::atomic<int> saw{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      if (poll.WaitUntil(opened, Clock::now() + 10s).value_or(false)) ++saw;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(saw.load(), kThreads);
  EXPECT_LT(Clock::now(), open_at + 5s);
  // Each polling alone: 32 x 20 looks. Shared: one look per interval.
  EXPECT_LE(looks.load(), 40) << "the waiters looked each on their own";
}

// The poller's deadline comes first: another waiter takes over the looks
// and still sees the condition come true.
TEST(SharedPollTest, AnotherWaiterPollsWhenThePollersDeadlinePasses) {
  SharedPoll poll(10ms);
  const auto open_at = Clock::now() + 300ms;
  auto opened = [&]() -> Result<bool> { return Clock::now() >= open_at; };
  std::atomic<bool> first_done{false};
  std::thread first([&] {
    EXPECT_FALSE(poll.WaitUntil(opened, Clock::now() + 50ms).value());
    first_done = true;
  });
  std::this_thread::sleep_for(5ms);  // the first is the poller
  std::vector<std::thread> others;
  std::atomic<int> saw{0};
  for (int i = 0; i < 4; ++i) {
    others.emplace_back([&] {
      if (poll.WaitUntil(opened, Clock::now() + 10s).value_or(false)) ++saw;
    });
  }
  first.join();
  for (std::thread& t : others) t.join();
  EXPECT_TRUE(first_done.load());
  EXPECT_EQ(saw.load(), 4);
  EXPECT_LT(Clock::now(), open_at + 5s) << "the others waited for their own deadline";
}

}  // namespace
}  // namespace automon::registrar
