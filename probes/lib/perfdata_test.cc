// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/perfdata.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace automon::probe {
namespace {

Range R(const char* text) { return ParseRange(text).value(); }

TEST(PerfdataTest, AllFieldsEmptyButValueKeepsSeparators) {
  EXPECT_EQ(FormatPerfdata({"active_sessions", 3, "", {}, {}, {}, {}}), "active_sessions=3;;;;");
}

TEST(PerfdataTest, GuacamoleSuccessShape) {
  EXPECT_EQ(FormatPerfdata({"active_sessions", 7, "", R("5"), R("10"), 0.0, {}}),
            "active_sessions=7;5;10;0;");
  EXPECT_EQ(FormatPerfdata({"active_sessions", 0, "", {}, {}, 0.0, {}}), "active_sessions=0;;;0;");
}

TEST(PerfdataTest, RangesKeepTheirText) {
  EXPECT_EQ(FormatPerfdata({"x", 1, "s", R("@10:20"), R("~:30"), {}, 100.0}),
            "x=1s;@10:20;~:30;;100");
}

TEST(PerfdataTest, QuotesLabelsOnlyWhenNeeded) {
  struct Case {
    std::string label;
    std::string rendered;
  };
  const std::vector<Case> cases = {
      {"plain", "plain=1;;;;"},       {"with space", "'with space'=1;;;;"},
      {"a=b", "'a=b'=1;;;;"},         {"it's", "'it''s'=1;;;;"},
      {"/var/lib", "/var/lib=1;;;;"}, {"dash-and_under.dot", "dash-and_under.dot=1;;;;"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatPerfdata({c.label, 1, "", {}, {}, {}, {}}), c.rendered) << c.label;
  }
}

TEST(PerfdataTest, FormatsNumbersWithoutExponent) {
  struct Case {
    double value;
    std::string text;
  };
  const std::vector<Case> cases = {
      {0, "0"},
      {5, "5"},
      {-5, "-5"},
      {0.25, "0.25"},
      {1.5, "1.5"},
      {1e12, "1000000000000"},
      {0.0000001, "0"},
      {-0.5, "-0.5"},
      {2.0000004, "2"},
      {3.1234567, "3.123457"},
      {1e20, "100000000000000000000"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatNumber(c.value), c.text) << c.value;
}

}  // namespace
}  // namespace automon::probe
