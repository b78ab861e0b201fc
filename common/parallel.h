// SPDX-License-Identifier: GPL-2.0-or-later
// Work spread over a few threads, for the registrar's whole-store passes
// (render every host, write every secret file, run the Checkmk sandbox)
// on a machine with several cores. Nothing here is shared between calls: each call starts its
// threads and joins them before it returns.
#ifndef AUTOMON_COMMON_PARALLEL_H_
#define AUTOMON_COMMON_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace automon {

// How many threads a whole-store pass uses: the machine's cores, at least
// 1 and at most `cap`.
unsigned Workers(unsigned cap = 4);

// ParallelFor's `workers` for "Workers()", looked up (a read of /sys)
// only when the range is large enough to be spread.
constexpr unsigned kEveryCore = 0;

// Calls fn(i) for every i in [0, n), each exactly once, on up to `workers`
// threads (the calling thread is one of them; kEveryCore: Workers());
// returns when every call has returned. The calls for different i may run
// at the same time, so fn must only write what belongs to its i. With
// workers == 1 or n below `min_parallel`, everything runs on the calling
// thread, in order. An exception from fn is rethrown here once every
// thread has stopped taking work.
void ParallelFor(size_t n, unsigned workers, const std::function<void(size_t)>& fn,
                 size_t min_parallel = 2);

}  // namespace automon

#endif  // AUTOMON_COMMON_PARALLEL_H_
