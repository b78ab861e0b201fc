// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/result.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace automon {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Error{"odd"};
  return x / 2;
}

TEST(ResultTest, HoldsValueOrError) {
  const Result<int> good = Half(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 2);
  const Result<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "odd");
}

TEST(ResultTest, ValueOrGivesTheFallbackOnlyForAnError) {
  EXPECT_EQ(Half(4).value_or(-1), 2);
  EXPECT_EQ(Half(3).value_or(-1), -1);
}

// An error type of one's own, as the probes' Outcome<T> has.
struct Refusal {
  int code = 0;
};

TEST(ResultTest, ExpectedCarriesAnyErrorType) {
  const Expected<std::string, Refusal> good = std::string("fine");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, "fine");
  EXPECT_EQ(good->size(), 4u);
  const Expected<std::string, Refusal> bad = Refusal{7};
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 7);
  EXPECT_EQ(bad.value_or("fallback"), "fallback");
}

TEST(ResultTest, VoidResult) {
  const Result<void> fine;
  EXPECT_TRUE(fine.ok());
  const Result<void> broken = Error{"nope"};
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().message, "nope");
}

TEST(ResultTest, SystemErrorNamesApiObjectAndReason) {
  const Error e = SystemError("open", ENOENT, "/nonexistent");
  EXPECT_EQ(e.message, "open(/nonexistent): No such file or directory");
  EXPECT_TRUE(e.IsNotFound());
  EXPECT_FALSE(SystemError("open", EACCES, "/x").IsNotFound());
  EXPECT_FALSE(Error{"plain"}.IsNotFound());
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  const Result<int> bad = Error{"odd"};
  EXPECT_DEATH((void)bad.value(), "check failed: ok\\(\\)");
}

}  // namespace
}  // namespace automon
