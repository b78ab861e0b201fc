// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/check_result.h"

#include <gtest/gtest.h>

namespace automon::probe {
namespace {

Range R(const char* text) { return ParseRange(text).value(); }

TEST(CheckResultTest, SanitizeLineKeepsOneLineWithoutPerfdataSeparator) {
  EXPECT_EQ(SanitizeLine("a|b\nc\r\td\x7f caf\xc3\xa9"), "a/b c  d  caf\xc3\xa9");
}

TEST(CheckResultTest, NagiosSummaryAndPerfdata) {
  CheckResult result{kOk,
                     "Apache Guacamole Active Sessions: 2",
                     {},
                     {{"active_sessions", 2, "", {}, {}, 0.0, {}}}};
  EXPECT_EQ(FormatNagios(result), "Apache Guacamole Active Sessions: 2 | active_sessions=2;;;0;\n");
}

TEST(CheckResultTest, NagiosWithoutPerfdataHasNoPipe) {
  EXPECT_EQ(FormatNagios({kCritical, "Error: down", {}, {}}), "Error: down\n");
}

TEST(CheckResultTest, NagiosLongOutputFollowsFirstLine) {
  CheckResult result{kWarning, "S", {"one", "two"}, {{"a", 1, "", {}, {}, {}, {}}}};
  EXPECT_EQ(FormatNagios(result), "S | a=1;;;;\none\ntwo\n");
}

TEST(CheckResultTest, NagiosSanitizesPipesAndNewlines) {
  CheckResult result{kOk, "a|b\nc", {"x|y\r"}, {}};
  EXPECT_EQ(FormatNagios(result), "a/b c\nx/y \n");
}

TEST(CheckResultTest, ErrorResultPrefixesError) {
  CheckResult result = ErrorResult({kUnknown, "boom"});
  EXPECT_EQ(result.state, kUnknown);
  EXPECT_EQ(result.summary, "Error: boom");
  EXPECT_TRUE(result.perfdata.empty());
}

TEST(CheckResultTest, CheckmkLocalLine) {
  CheckResult result{kWarning,
                     "Sessions: 7",
                     {"alice", "bob"},
                     {{"active_sessions", 7, "", R("5"), R("~:10"), 0.0, {}}}};
  EXPECT_EQ(
      FormatCheckmkLocal(result, "Guacamole Active Sessions"),
      "1 \"Guacamole Active Sessions\" active_sessions=7;5;10;0; Sessions: 7\\nalice\\nbob\n");
}

TEST(CheckResultTest, CheckmkDropsRangesItCannotExpress) {
  CheckResult result{
      kOk,
      "S",
      {},
      {{"a b", 1, "", R("@1:2"), R("3:"), {}, {}}, {"c", 2, "", R("0:9"), {}, {}, {}}}};
  EXPECT_EQ(FormatCheckmkLocal(result, "Svc"), "0 \"Svc\" a_b=1;;;;|c=2;9;;; S\n");
}

TEST(CheckResultTest, CheckmkWithoutPerfdataUsesDash) {
  EXPECT_EQ(FormatCheckmkLocal({kUnknown, "Error: x", {}, {}}, "Say \"hi\""),
            "3 \"Say 'hi'\" - Error: x\n");
}

TEST(OutcomeTest, HoldsValueOrError) {
  Outcome<int> good = 5;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 5);
  Outcome<int> bad = ProbeError{kCritical, "down"};
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), (ProbeError{kCritical, "down"}));
}

TEST(OutcomeDeathTest, ValueOfErrorAborts) {
  Outcome<int> bad = ProbeError{kCritical, "down"};
  EXPECT_DEATH((void)bad.value(), "ok\\(\\)");
}

}  // namespace
}  // namespace automon::probe
