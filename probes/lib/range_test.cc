// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/range.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace automon::probe {
namespace {

struct ParseCase {
  std::string text;
  double start;
  bool start_infinite;
  double end;
  bool end_infinite;
  bool alert_inside;
};

TEST(RangeTest, ParsesEveryForm) {
  const std::vector<ParseCase> cases = {
      {"10", 0, false, 10, false, false},
      {"0", 0, false, 0, false, false},
      {"10:", 10, false, 0, true, false},
      {"~:10", 0, true, 10, false, false},
      {":10", 0, false, 10, false, false},
      {"10:20", 10, false, 20, false, false},
      {"@10:20", 10, false, 20, false, true},
      {"@10", 0, false, 10, false, true},
      {"@10:", 10, false, 0, true, true},
      {"@~:10", 0, true, 10, false, true},
      {"~:", 0, true, 0, true, false},
      {"1.5", 0, false, 1.5, false, false},
      {"0.5:2.25", 0.5, false, 2.25, false, false},
      {".5:", 0.5, false, 0, true, false},
      {"-10:-5", -10, false, -5, false, false},
      {"-10:", -10, false, 0, true, false},
      {"~:-3", 0, true, -3, false, false},
      {"+5:+7", 5, false, 7, false, false},
      {"-1.5:1.5", -1.5, false, 1.5, false, false},
      {"5:5", 5, false, 5, false, false},
      {"10.:20.", 10, false, 20, false, false},
  };
  for (const ParseCase& c : cases) {
    Result<Range> range = ParseRange(c.text);
    ASSERT_TRUE(range.ok()) << c.text << ": " << range.error().message;
    EXPECT_EQ(range->start, c.start) << c.text;
    EXPECT_EQ(range->start_infinite, c.start_infinite) << c.text;
    if (!c.end_infinite) {
      EXPECT_EQ(range->end, c.end) << c.text;
    }
    EXPECT_EQ(range->end_infinite, c.end_infinite) << c.text;
    EXPECT_EQ(range->alert_inside, c.alert_inside) << c.text;
    EXPECT_EQ(range->text, c.text) << c.text;
  }
}

struct AlertCase {
  std::string range;
  double value;
  bool alerts;
};

TEST(RangeTest, AlertsAsMonitoringPluginsCheckRange) {
  // The table of the plugin development guidelines, plus the edges.
  const std::vector<AlertCase> cases = {
      {"10", -1, true},         {"10", 0, false},         {"10", 10, false},
      {"10", 10.5, true},       {"10", 11, true},         {"10:", 9.99, true},
      {"10:", 10, false},       {"10:", 1e9, false},      {"~:10", -1e9, false},
      {"~:10", 10, false},      {"~:10", 10.01, true},    {"10:20", 9, true},
      {"10:20", 10, false},     {"10:20", 15, false},     {"10:20", 20, false},
      {"10:20", 21, true},      {"@10:20", 9, false},     {"@10:20", 10, true},
      {"@10:20", 15, true},     {"@10:20", 20, true},     {"@10:20", 21, false},
      {"@10", 0, true},         {"@10", -1, false},       {"@10", 11, false},
      {"~:", -1e12, false},     {"~:", 1e12, false},      {"@~:", 5, true},
      {"-10:-5", -7, false},    {"-10:-5", -4, true},     {"-10:-5", -11, true},
      {"0.5:2.25", 0.49, true}, {"0.5:2.25", 0.5, false}, {"0.5:2.25", 2.26, true},
      {"5:5", 5, false},        {"5:5", 5.0001, true},    {"@5:5", 5, true},
      {"@10:", 10, true},       {"@10:", 9, false},       {"@~:10", 10, true},
      {"@~:10", 11, false},
  };
  for (const AlertCase& c : cases) {
    Result<Range> range = ParseRange(c.range);
    ASSERT_TRUE(range.ok()) << c.range;
    EXPECT_EQ(range->Alerts(c.value), c.alerts) << c.range << " with " << c.value;
  }
}

struct ErrorCase {
  std::string text;
  std::string message;
};

TEST(RangeTest, RejectsInvalidTextNamingIt) {
  const std::vector<ErrorCase> cases = {
      {"", "invalid range '': empty"},
      {"@", "invalid range '@': nothing after '@'"},
      {"abc", "invalid range 'abc': 'abc' is not a number"},
      {"10:abc", "invalid range '10:abc': 'abc' is not a number"},
      {"abc:10", "invalid range 'abc:10': start 'abc' is not a number"},
      {"20:10", "invalid range '20:10': start 20 is greater than end 10"},
      {"@20:10", "invalid range '@20:10': start 20 is greater than end 10"},
      {"~", "invalid range '~': '~' is not a number"},
      {"~~:10", "invalid range '~~:10': start '~~' is not a number"},
      {"10:~", "invalid range '10:~': '~' is not a number"},
      {"1e3", "invalid range '1e3': '1e3' is not a number"},
      {"0x10", "invalid range '0x10': '0x10' is not a number"},
      {"inf", "invalid range 'inf': 'inf' is not a number"},
      {"nan", "invalid range 'nan': 'nan' is not a number"},
      {"10:20:30", "invalid range '10:20:30': '20:30' is not a number"},
      {" 10", "invalid range ' 10': ' 10' is not a number"},
      {"10 ", "invalid range '10 ': '10 ' is not a number"},
      {"1.2.3", "invalid range '1.2.3': '1.2.3' is not a number"},
      {"-", "invalid range '-': '-' is not a number"},
      {".", "invalid range '.': '.' is not a number"},
      {"@@10", "invalid range '@@10': '@10' is not a number"},
      {"--5", "invalid range '--5': '--5' is not a number"},
      {"10,20", "invalid range '10,20': '10,20' is not a number"},
  };
  for (const ErrorCase& c : cases) {
    Result<Range> range = ParseRange(c.text);
    ASSERT_FALSE(range.ok()) << c.text;
    EXPECT_EQ(range.error().message, c.message) << c.text;
  }
}

TEST(RangeTest, ErrorNamesTheOptionWhenGiven) {
  Result<Range> range = ParseRange("x", "-w range");
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.error().message, "invalid -w range 'x': 'x' is not a number");
}

}  // namespace
}  // namespace automon::probe
