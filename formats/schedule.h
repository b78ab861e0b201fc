// SPDX-License-Identifier: GPL-2.0-or-later
// The `schedule` key of a `command` service: a cron-like window of local
// time inside which the service runs (every `interval` seconds); outside
// it the service does not run. Fields, separated by blanks, each given at
// most once, in any order:
//   minute=0-59  hour=0-23  day=1-31  month=1-12  day_of_week=mon-sun
// Each value is a comma-separated list of numbers and ranges "a-b"; a range
// whose start is after its end wraps around (hour=22-6 is 22..23 and 0..6).
// day_of_week takes mon tue wed thu fri sat sun (or 0-7, 0 and 7 = Sunday).
// A field left out matches everything, "*" too. Pure functions, no I/O.
#ifndef AUTOMON_FORMATS_SCHEDULE_H_
#define AUTOMON_FORMATS_SCHEDULE_H_

#include <bitset>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace automon::formats {

struct Schedule {
  // Set bits are the allowed values; nullopt = the field was not given.
  std::optional<std::bitset<60>> minute;      // bit m = minute m
  std::optional<std::bitset<24>> hour;        // bit h = hour h
  std::optional<std::bitset<32>> day;         // bit d = day d (1-31; bit 0 unused)
  std::optional<std::bitset<13>> month;       // bit m = month m (1-12; bit 0 unused)
  std::optional<std::bitset<7>> day_of_week;  // bit 0 = Sunday ... 6 = Saturday (tm_wday)

  bool operator==(const Schedule&) const = default;
};

// Parses a schedule; errors name the field and the offending value, with a
// near miss for a misspelt field name.
Result<Schedule> ParseSchedule(std::string_view text);

// True when `local_time` (tm_min, tm_hour, tm_mday, tm_mon, tm_wday) lies in
// every given field.
bool Contains(const Schedule& schedule, const std::tm& local_time);

// The canonical spelling: fields in the order minute hour day month
// day_of_week, values as ascending lists of maximal ranges, days of the
// week as names from mon to sun. ParseSchedule(ToString(s)) == s.
std::string ToString(const Schedule& schedule);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_SCHEDULE_H_
