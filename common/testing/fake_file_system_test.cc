// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/testing/fake_file_system.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace automon::testing {
namespace {

TEST(FakeFileSystemTest, BehavesLikeRealOneForReadsAndListings) {
  FakeFileSystem fs;
  fs.AddFile("/d/b", "2");
  fs.AddFile("/d/a", "1");
  fs.AddFile("/d/sub/c", "3");
  EXPECT_EQ(*fs.ReadFile("/d/a", 10), "1");
  auto entries = fs.ListDirectory("/d");
  ASSERT_TRUE(entries.ok());
  const std::vector<DirectoryEntry> expected{{"a", DirectoryEntry::Kind::kRegular},
                                             {"b", DirectoryEntry::Kind::kRegular},
                                             {"sub", DirectoryEntry::Kind::kDirectory}};
  EXPECT_EQ(*entries, expected);
  EXPECT_EQ(fs.ReadFile("/d/x", 10).error().message, "open(/d/x): No such file or directory");
}

TEST(FakeFileSystemTest, InjectedFailure) {
  FakeFileSystem fs;
  fs.AddFile("/d/a", "1");
  fs.FailWith("/d", EACCES);
  EXPECT_EQ(fs.ListDirectory("/d").error().message, "opendir(/d): Permission denied");
}

}  // namespace
}  // namespace automon::testing
