// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/schedule.h"

#include <gtest/gtest.h>

#include <string>

namespace automon::formats {
namespace {

Schedule Parse(std::string_view text) {
  auto s = ParseSchedule(text);
  EXPECT_TRUE(s.ok()) << text << ": " << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : Schedule{};
}

std::string ParseError(std::string_view text) {
  auto s = ParseSchedule(text);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? "" : s.error().message;
}

// A local time: 2026-12-07 is a Monday (tm_wday 1).
std::tm At(int day_of_month, int hour, int minute, int month = 12, int wday = -1) {
  std::tm t{};
  t.tm_year = 126;
  t.tm_mon = month - 1;
  t.tm_mday = day_of_month;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_wday = wday >= 0 ? wday : (day_of_month - 7 + 1 + 7 * 5) % 7;
  return t;
}

TEST(ScheduleTest, WorkingHours) {
  const Schedule s = Parse("hour=9-17 day_of_week=mon-fri");
  EXPECT_TRUE(Contains(s, At(7, 9, 0)));     // Monday 09:00
  EXPECT_TRUE(Contains(s, At(11, 17, 59)));  // Friday 17:59
  EXPECT_FALSE(Contains(s, At(7, 8, 59)));   // Monday 08:59
  EXPECT_FALSE(Contains(s, At(7, 18, 0)));   // Monday 18:00
  EXPECT_FALSE(Contains(s, At(12, 10, 0)));  // Saturday
  EXPECT_FALSE(Contains(s, At(13, 10, 0)));  // Sunday
  EXPECT_EQ(ToString(s), "hour=9-17 day_of_week=mon-fri");
}

TEST(ScheduleTest, ListsRangesAndWrapAround) {
  const Schedule s = Parse("day_of_week=SAT,sun hour=22-6 minute=0-9,30");
  EXPECT_EQ(ToString(s), "minute=0-9,30 hour=0-6,22-23 day_of_week=sat-sun");
  EXPECT_TRUE(Contains(s, At(12, 23, 5)));
  EXPECT_TRUE(Contains(s, At(13, 3, 30)));
  EXPECT_FALSE(Contains(s, At(13, 3, 31)));
  EXPECT_FALSE(Contains(s, At(13, 12, 0)));
  EXPECT_EQ(ToString(Parse("day_of_week=fri-mon")), "day_of_week=mon,fri-sun");
  EXPECT_EQ(ToString(Parse("day_of_week=0")), "day_of_week=sun");
  EXPECT_EQ(ToString(Parse("day_of_week=1-7")), "day_of_week=mon-sun");
  EXPECT_EQ(ToString(Parse("month=12,1-2 day=1,15,31")), "day=1,15,31 month=1-2,12");
  EXPECT_EQ(ToString(Parse("hour=*")), "hour=0-23");
}

TEST(ScheduleTest, DayAndMonth) {
  const Schedule s = Parse("day=1 month=1,7");
  EXPECT_TRUE(Contains(s, At(1, 12, 0, 7, 3)));
  EXPECT_FALSE(Contains(s, At(2, 12, 0, 7, 4)));
  EXPECT_FALSE(Contains(s, At(1, 12, 0, 6, 1)));
}

TEST(ScheduleTest, CanonicalFormRoundTrips) {
  for (std::string_view text :
       {"hour=9-17", "minute=0,15,30,45 hour=*/1x", "day_of_week=tue,thu hour=0,23 day=31",
        "month=2-1", "minute=59-0"}) {
    auto s = ParseSchedule(text);
    if (!s) continue;
    EXPECT_EQ(Parse(ToString(*s)), *s) << text;
    EXPECT_EQ(ToString(Parse(ToString(*s))), ToString(*s)) << text;
  }
}

TEST(ScheduleTest, ErrorsNameTheFieldAndValue) {
  EXPECT_EQ(ParseError(""),
            "empty schedule: expected field=values, e.g. hour=9-17 "
            "day_of_week=mon-fri");
  EXPECT_NE(ParseError("hours=9-17").find("unknown schedule field 'hours', did you mean 'hour'?"),
            std::string::npos);
  EXPECT_NE(ParseError("week=1").find("unknown schedule field 'week'"), std::string::npos);
  EXPECT_NE(ParseError("hour=24").find("invalid value '24' in schedule field 'hour': expected "
                                       "numbers from 0 to 23"),
            std::string::npos);
  EXPECT_NE(ParseError("day=0").find("'day'"), std::string::npos);
  EXPECT_NE(ParseError("month=13").find("'month'"), std::string::npos);
  EXPECT_NE(ParseError("day_of_week=funday").find("mon, tue"), std::string::npos);
  EXPECT_NE(ParseError("hour=9-17 hour=1").find("given twice"), std::string::npos);
  EXPECT_NE(ParseError("9-17").find("expected field=values"), std::string::npos);
  ParseError("hour=");
  ParseError("hour=1,,2");
  ParseError("hour=1-");
  ParseError("hour=-1");
  ParseError("hour=1-2-3");
  ParseError("minute=007");
  ParseError("hour=+1");
}

}  // namespace
}  // namespace automon::formats
