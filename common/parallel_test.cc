// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace automon {
namespace {

TEST(ParallelForTest, CallsEveryIndexExactlyOnce) {
  for (size_t n : {0u, 1u, 15u, 16u, 17u, 1000u}) {
    std::vector<std::atomic<int>> calls(n);
    ParallelFor(n, 4, [&](size_t i) { calls[i]++; });
    ParallelFor(n, kEveryCore, [&](size_t i) { calls[i]++; });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 2) << "n=" << n << " i=" << i;
  }
}

TEST(ParallelForTest, UsesSeveralThreadsForALargeRange) {
  std::mutex mutex;
  std::condition_variable second_thread;
  std::set<std::thread::id> seen;
  ParallelFor(64, 2, [&](size_t i) {
    std::unique_lock<std::mutex> lock(mutex);
    seen.insert(std::this_thread::get_id());
    second_thread.notify_all();
    // The first item waits for the other thread to take a chunk of its own.
    if (i == 0) {
      second_thread.wait_for(lock, std::chrono::seconds(30), [&] { return seen.size() >= 2; });
    }
  });
  EXPECT_EQ(seen.size(), 2u);
}

TEST(ParallelForTest, RunsInOrderOnTheCallingThreadBelowTheThreshold) {
  std::vector<size_t> order;
  const auto caller = std::this_thread::get_id();
  bool elsewhere = false;
  ParallelFor(
      100, 4,
      [&](size_t i) {
        order.push_back(i);
        elsewhere = elsewhere || std::this_thread::get_id() != caller;
      },
      /*min_parallel=*/101);
  ASSERT_EQ(order.size(), 100u);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
  EXPECT_FALSE(elsewhere);
}

TEST(ParallelForTest, RethrowsAnExceptionAfterEveryThreadStopped) {
  std::atomic<int> calls{0};
  EXPECT_THROW(ParallelFor(10000, 2,
                           [&](size_t i) {
                             ++calls;
                             if (i == 40) throw std::runtime_error("item 40");
                           }),
               std::runtime_error);
  // The other thread stops taking chunks: far fewer than all items ran.
  EXPECT_LT(calls.load(), 10000);
}

TEST(WorkersTest, AtLeastOneAndAtMostTheCap) {
  EXPECT_GE(Workers(), 1u);
  EXPECT_LE(Workers(), 4u);
  EXPECT_EQ(Workers(1), 1u);
  EXPECT_EQ(Workers(0), 1u);
}

}  // namespace
}  // namespace automon
