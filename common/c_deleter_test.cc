// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/c_deleter.h"

#include <gtest/gtest.h>

#include <memory>

namespace automon {
namespace {

// A stand-in for a C handle and its free function.
struct Handle {
  int frees = 0;
};
void FreeHandle(Handle* h) { ++h->frees; }
int CloseHandle(Handle* h) {
  h->frees += 10;
  return -1;  // a C close() whose result the deleter ignores
}

TEST(CDeleterTest, CallsTheFreeFunctionOnceWhenTheOwnerGoesAway) {
  Handle handle;
  {
    std::unique_ptr<Handle, CDeleter<FreeHandle>> owner(&handle);
    EXPECT_EQ(handle.frees, 0);
  }
  EXPECT_EQ(handle.frees, 1);
}

TEST(CDeleterTest, ReleasedHandleIsNotFreed) {
  Handle handle;
  {
    std::unique_ptr<Handle, CDeleter<FreeHandle>> owner(&handle);
    EXPECT_EQ(owner.release(), &handle);
  }
  EXPECT_EQ(handle.frees, 0);
}

TEST(CDeleterTest, AcceptsAFreeFunctionThatReturnsAValue) {
  Handle handle;
  std::unique_ptr<Handle, CDeleter<CloseHandle>> owner(&handle);
  owner.reset();
  EXPECT_EQ(handle.frees, 10);
}

TEST(CDeleterTest, AddsNothingToThePointersSize) {
  EXPECT_EQ(sizeof(std::unique_ptr<Handle, CDeleter<FreeHandle>>), sizeof(void*));
}

}  // namespace
}  // namespace automon
