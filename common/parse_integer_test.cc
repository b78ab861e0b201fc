// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/parse_integer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace automon {
namespace {

TEST(ParseIntegerTest, AcceptsNumbersWithinTheRangeIncludingItsEnds) {
  EXPECT_EQ(*ParseInteger<int>("1", 1, 65535), 1);
  EXPECT_EQ(*ParseInteger<int>("65535", 1, 65535), 65535);
  EXPECT_EQ(*ParseInteger<int>("443", 1, 65535), 443);
  EXPECT_EQ(*ParseInteger<int>("007", 0, 10), 7);
  EXPECT_EQ(*ParseInteger<int64_t>("-5", -10, 10), -5);
}

TEST(ParseIntegerTest, CoversTheWholeRangeOfTheType) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(*ParseInteger<uint64_t>("18446744073709551615", 0, kMax), kMax);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(*ParseInteger<int64_t>("-9223372036854775808", kMin, 0), kMin);
}

TEST(ParseIntegerTest, WithoutARangeTakesTheRangeOfTheType) {
  EXPECT_EQ(*ParseInteger<uint8_t>("255"), 255);
  Result<uint8_t> r = ParseInteger<uint8_t>("256");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'256' is out of range (0 to 255)");
}

TEST(ParseIntegerTest, RefusesNumbersOutsideTheRange) {
  Result<int> high = ParseInteger<int>("65536", 1, 65535);
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.error().message, "'65536' is out of range (1 to 65535)");
  Result<int> low = ParseInteger<int>("0", 1, 65535);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().message, "'0' is out of range (1 to 65535)");
}

TEST(ParseIntegerTest, ReportsOverflowOfTheTypeAsOutOfRange) {
  Result<int> r = ParseInteger<int>("99999999999999999999", 0, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'99999999999999999999' is out of range (0 to 100)");
}

TEST(ParseIntegerTest, RefusesAnythingButDigitsAndALeadingMinus) {
  for (std::string text : {"", " 1", "1 ", "+1", "0x10", "1.5", "12a", "a12", "-", "1e3", "--1",
                           "99999999999999999999x"}) {
    Result<int> r = ParseInteger<int>(text, -100, 100);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message, "'" + text + "' is not a whole number") << text;
  }
}

TEST(ParseIntegerTest, RefusesAMinusForUnsignedTypes) {
  Result<unsigned> r = ParseInteger<unsigned>("-1", 0, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'-1' is not a whole number");
}

TEST(ParseDurationSecondsTest, ANumberAndOneUnitWithinTheLimit) {
  EXPECT_EQ(ParseDurationSeconds("90s", 3600), 90);
  EXPECT_EQ(ParseDurationSeconds("30m", 3600), 1800);
  EXPECT_EQ(ParseDurationSeconds("1h", 3600), 3600);
  EXPECT_EQ(ParseDurationSeconds("7d", 7 * 86400), 7 * 86400);
  EXPECT_EQ(ParseDurationSeconds("2h", 3600), std::nullopt) << "over the limit";
  EXPECT_EQ(ParseDurationSeconds("1d", 3600), std::nullopt) << "a unit over the limit";
  for (const char* bad :
       {"", "s", "0s", "-5m", "5", "5x", "5 m", "1.5h", "99999999999999999999d"}) {
    EXPECT_EQ(ParseDurationSeconds(bad, int64_t{3650} * 86400), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace automon
