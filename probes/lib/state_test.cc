// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/state.h"

#include <gtest/gtest.h>

namespace automon::probe {
namespace {

TEST(StateTest, ExitCodesAreThePluginApi) {
  EXPECT_EQ(static_cast<int>(kOk), 0);
  EXPECT_EQ(static_cast<int>(kWarning), 1);
  EXPECT_EQ(static_cast<int>(kCritical), 2);
  EXPECT_EQ(static_cast<int>(kUnknown), 3);
}

TEST(StateTest, ParsesNamesAndNumbers) {
  EXPECT_EQ(*ParseState("OK"), kOk);
  EXPECT_EQ(*ParseState("warning"), kWarning);
  EXPECT_EQ(*ParseState("Critical"), kCritical);
  EXPECT_EQ(*ParseState("UNKNOWN"), kUnknown);
  EXPECT_EQ(*ParseState("0"), kOk);
  EXPECT_EQ(*ParseState("3"), kUnknown);
}

TEST(StateTest, RejectsOtherText) {
  for (const char* text : {"", "4", "-1", "CRIT", "okay", "2 "}) {
    Result<State> state = ParseState(text);
    ASSERT_FALSE(state.ok()) << text;
    EXPECT_EQ(state.error().message, std::string("invalid state '") + text +
                                         "': expected OK, WARNING, CRITICAL, UNKNOWN or 0-3");
  }
}

TEST(StateTest, CriticalIsWorseThanUnknown) {
  EXPECT_EQ(WorseState(kUnknown, kCritical), kCritical);
  EXPECT_EQ(WorseState(kWarning, kUnknown), kUnknown);
  EXPECT_EQ(WorseState(kOk, kWarning), kWarning);
  EXPECT_EQ(WorseState(kOk, kOk), kOk);
}

}  // namespace
}  // namespace automon::probe
