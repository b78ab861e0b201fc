// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/selection.h"

#include <gtest/gtest.h>

#include "formats/parser.h"

namespace automon::agent {
namespace {

TEST(SelectServicesTest, ReasonsInOrderOfPrecedence) {
  const auto parsed = formats::ParseDefinitions(
      "[on]\ntype = ssh\n"
      "[off]\ntype = ssh\nenabled = false\npackage = missing\n"
      "[web-debug]\ntype = ssh\npackage = missing\n"
      "[pkg]\ntype = ssh\npackage = missing\n"
      "[present]\ntype = ssh\npackage = here\n",
      "f");
  ASSERT_TRUE(parsed.diagnostics.empty());
  const InstalledPackages packages({"here"});
  const Selection s = SelectServices(parsed.services, packages, {"nomatch", "*-debug"});
  ASSERT_EQ(s.active.size(), 2u);
  EXPECT_EQ(s.active[0].name, "on");
  EXPECT_EQ(s.active[1].name, "present");
  ASSERT_EQ(s.inactive.size(), 3u);
  EXPECT_EQ(s.inactive[0].service.name, "off");
  EXPECT_EQ(s.inactive[0].reason, formats::RemovalReason::kDisabled);
  EXPECT_EQ(s.inactive[0].detail, "enabled = false");
  EXPECT_EQ(s.inactive[1].service.name, "web-debug");
  EXPECT_EQ(s.inactive[1].reason, formats::RemovalReason::kExcluded);
  EXPECT_EQ(s.inactive[1].detail, "excluded by '*-debug' in agent.conf");
  EXPECT_EQ(s.inactive[2].service.name, "pkg");
  EXPECT_EQ(s.inactive[2].reason, formats::RemovalReason::kPackageRemoved);
  EXPECT_EQ(s.inactive[2].detail, "package missing is not installed");
}

}  // namespace
}  // namespace automon::agent
