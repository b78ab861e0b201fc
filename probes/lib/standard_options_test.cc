// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/standard_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace automon::probe {
namespace {

TEST(StandardOptionsTest, TimeoutSecondsOnly) {
  Result<Timeout> t = ParseTimeout("15");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->duration, std::chrono::seconds(15));
  EXPECT_EQ(t->state, kCritical);
}

TEST(StandardOptionsTest, TimeoutWithState) {
  EXPECT_EQ(ParseTimeout("5:UNKNOWN")->state, kUnknown);
  EXPECT_EQ(ParseTimeout("5:warning")->state, kWarning);
  EXPECT_EQ(ParseTimeout("5:0")->state, kOk);
  EXPECT_EQ(ParseTimeout("5:3")->duration, std::chrono::seconds(5));
}

TEST(StandardOptionsTest, TimeoutRejectsBadText) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "invalid timeout '': expected whole seconds, optionally followed by :STATE"},
      {"abc", "invalid timeout 'abc': expected whole seconds, optionally followed by :STATE"},
      {"1.5", "invalid timeout '1.5': expected whole seconds, optionally followed by :STATE"},
      {"0", "invalid timeout '0': seconds must be between 1 and 86400"},
      {"-3", "invalid timeout '-3': seconds must be between 1 and 86400"},
      {"86401", "invalid timeout '86401': seconds must be between 1 and 86400"},
      {"5:BAD",
       "invalid timeout '5:BAD': invalid state 'BAD': expected OK, WARNING, CRITICAL, UNKNOWN "
       "or 0-3"},
      {":2", "invalid timeout ':2': expected whole seconds, optionally followed by :STATE"},
  };
  for (const Case& c : cases) {
    Result<Timeout> t = ParseTimeout(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.error().message, c.message) << c.text;
  }
}

TEST(StandardOptionsTest, ApplyHandlesOnlyStandardOptions) {
  StandardOptions options;
  EXPECT_TRUE(*ApplyStandardOption('v', nullptr, &options));
  EXPECT_TRUE(*ApplyStandardOption('v', nullptr, &options));
  EXPECT_TRUE(*ApplyStandardOption('v', nullptr, &options));
  EXPECT_EQ(options.verbosity, 3);
  EXPECT_TRUE(*ApplyStandardOption('t', "7:UNKNOWN", &options));
  EXPECT_EQ(options.timeout, (Timeout{std::chrono::seconds(7), kUnknown}));
  EXPECT_TRUE(*ApplyStandardOption('h', nullptr, &options));
  EXPECT_TRUE(options.help);
  EXPECT_TRUE(*ApplyStandardOption('V', nullptr, &options));
  EXPECT_TRUE(options.version);
  EXPECT_FALSE(*ApplyStandardOption('w', "5", &options));
  Result<bool> bad = ApplyStandardOption('t', "x", &options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(options.timeout.duration, std::chrono::seconds(7));
}

TEST(StandardOptionsTest, VersionText) {
  EXPECT_EQ(VersionText("check_x", "1.2.3"), "check_x v1.2.3 (automon 1.2.3)\n");
}

TEST(StandardOptionsTest, StandardReplyIsHelpThenVersionThenNothing) {
  StandardOptions options;
  EXPECT_EQ(StandardReply(options, "check_x", "1.2.3", "usage\n"), std::nullopt);
  options.version = true;
  EXPECT_EQ(StandardReply(options, "check_x", "1.2.3", "usage\n"),
            "check_x v1.2.3 (automon 1.2.3)\n");
  options.help = true;  // -h -V: help, like monitoring-plugins' first-wins getopt loops
  EXPECT_EQ(StandardReply(options, "check_x", "1.2.3", "usage\n"), "usage\n");
}

TEST(StandardOptionsTest, TimedOutReasonNamesTheProbeAndTheOption) {
  Timeout timeout;
  timeout.duration = std::chrono::seconds(25);
  EXPECT_EQ(TimedOutReason("check_x", timeout), "check_x timed out after 25 seconds (-t 25)");
}

}  // namespace
}  // namespace automon::probe
