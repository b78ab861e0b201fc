// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace automon {

unsigned Workers(unsigned cap) {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores, 1u, std::max(cap, 1u));
}

void ParallelFor(size_t n, unsigned workers, const std::function<void(size_t)>& fn,
                 size_t min_parallel) {
  if (workers == 1 || n < std::max<size_t>(min_parallel, 2) ||
      (workers == kEveryCore && (workers = Workers()) == 1)) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // Small chunks taken in turn: the threads finish together even when
  // some items cost far more than others. A few items (commands to run)
  // go one by one.
  const size_t chunk = std::clamp<size_t>(n / (size_t{workers} * 8), 1, 16);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto work = [&]() {
    while (!failed.load(std::memory_order_relaxed)) {
      const size_t begin = next.fetch_add(chunk);
      if (begin >= n) return;
      const size_t end = std::min(n, begin + chunk);
      try {
        for (size_t i = begin; i < end; ++i) fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
        return;
      }
    }
  };
  const size_t threads = std::min<size_t>(workers, (n + chunk - 1) / chunk);
  std::vector<std::thread> started;
  started.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) started.emplace_back(work);
  work();
  for (std::thread& t : started) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace automon
