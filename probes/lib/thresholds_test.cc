// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/thresholds.h"

#include <gtest/gtest.h>

namespace automon::probe {
namespace {

TEST(ThresholdsTest, NoThresholdsIsAlwaysOk) {
  Result<Thresholds> t = ParseThresholds("", "");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Evaluate(-1e9), kOk);
  EXPECT_EQ(t->Evaluate(1e9), kOk);
}

TEST(ThresholdsTest, CriticalWinsOverWarning) {
  Result<Thresholds> t = ParseThresholds("5", "10");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Evaluate(5), kOk);
  EXPECT_EQ(t->Evaluate(6), kWarning);
  EXPECT_EQ(t->Evaluate(10), kWarning);
  EXPECT_EQ(t->Evaluate(11), kCritical);
}

TEST(ThresholdsTest, OnlyCriticalGiven) {
  Result<Thresholds> t = ParseThresholds("", "@0");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->warning.has_value());
  EXPECT_EQ(t->Evaluate(0), kCritical);
  EXPECT_EQ(t->Evaluate(1), kOk);
}

TEST(ThresholdsTest, LowerBoundRanges) {
  Result<Thresholds> t = ParseThresholds("2:", "1:");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Evaluate(0), kCritical);
  EXPECT_EQ(t->Evaluate(1), kWarning);
  EXPECT_EQ(t->Evaluate(2), kOk);
}

TEST(ThresholdsTest, ErrorsNameTheOption) {
  Result<Thresholds> w = ParseThresholds("ten", "");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message, "invalid -w range 'ten': 'ten' is not a number");
  Result<Thresholds> c = ParseThresholds("1", "5:1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "invalid -c range '5:1': start 5 is greater than end 1");
}

}  // namespace
}  // namespace automon::probe
