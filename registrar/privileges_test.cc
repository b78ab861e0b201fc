// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/privileges.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/testing/temp_dir.h"

namespace automon::registrar {
namespace {

constexpr uid_t kNobody = 65534;  // Debian's nobody

TEST(PrivilegesTest, NotRootStaysWhoItIs) {
  testing::ScopedTempDir dir;
  auto owner = StateOwnerToBecome(dir.path(), 1000);
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_FALSE(owner->has_value());
}

TEST(PrivilegesTest, MissingStateDirectoryStaysRoot) {
  testing::ScopedTempDir dir;
  auto owner = StateOwnerToBecome(dir.File("absent"), 0);
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_FALSE(owner->has_value());
}

TEST(PrivilegesTest, UnexaminableStateDirectoryIsAnError) {
  testing::ScopedTempDir dir;
  std::ofstream(dir.File("file")) << "x";
  auto owner = StateOwnerToBecome(dir.File("file/state"), 0);
  ASSERT_FALSE(owner.ok());
  EXPECT_NE(owner.error().message.find("stat(" + dir.File("file/state") + "): Not a directory"),
            std::string::npos)
      << owner.error().message;
}

TEST(PrivilegesTest, RootBecomesTheOwnerOfTheStateDirectory) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown)";
  testing::ScopedTempDir dir;
  auto owner = StateOwnerToBecome(dir.path(), 0);
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_FALSE(owner->has_value()) << "a directory of root's: stay root";
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  owner = StateOwnerToBecome(dir.path(), 0);
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  ASSERT_TRUE(owner->has_value());
  EXPECT_EQ(**owner, kNobody);
}

TEST(PrivilegesTest, BecomeUserCannotGoBack) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (setresuid)";
  // In a child: the switch is for good.
  EXPECT_EXIT(
      {
        auto became = BecomeUser(kNobody);
        if (!became) std::_Exit(1);
        if (::getuid() != kNobody || ::geteuid() != kNobody || ::getegid() != kNobody) {
          std::_Exit(2);
        }
        if (::setuid(0) == 0 || ::seteuid(0) == 0) std::_Exit(3);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(PrivilegesTest, UnknownOwnerIsRefusedWithAReason) {
  auto became = BecomeUser(3999999);
  ASSERT_FALSE(became.ok());
  EXPECT_NE(became.error().message.find("uid 3999999, is no user of this system"),
            std::string::npos)
      << became.error().message;
  EXPECT_EQ(::geteuid(), ::getuid());
}

TEST(PrivilegesTest, RunAsStateOwnerStaysRootWhenTheBackendNeedsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown)";
  testing::ScopedTempDir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  auto config = ParseConfig(
      "[registrar]\nbackend = checkmk\nstate_dir = " + dir.path() + "\n[checkmk]\nsite = mysite\n",
      "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  // The default activate_command runs runuser, which needs root: the
  // daemon runs as root then, and so does the command.
  auto became = RunAsStateOwner(*config, "r.conf", 0);
  ASSERT_TRUE(became.ok()) << became.error().message;
  EXPECT_FALSE(became->has_value());
  EXPECT_EQ(::geteuid(), 0U);
}

TEST(PrivilegesTest, RunAsStateOwnerSwitchesForNagios) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown, setresuid)";
  testing::ScopedTempDir dir;
  ASSERT_EQ(::chown(dir.path().c_str(), kNobody, kNobody), 0);
  auto config =
      ParseConfig("[registrar]\nbackend = nagios\nstate_dir = " + dir.path() + "\n", "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EXIT(
      {
        auto became = RunAsStateOwner(*config, "r.conf", ::geteuid());
        std::_Exit(became.ok() && became->has_value() && ::geteuid() == kNobody ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace automon::registrar
