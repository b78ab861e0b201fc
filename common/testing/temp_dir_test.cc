// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/testing/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace automon::testing {
namespace {

namespace fs = std::filesystem;

TEST(ScopedTempDirTest, CreatesAnEmptyDirectoryOnlyTheOwnerCanEnter) {
  ScopedTempDir dir;
  ASSERT_TRUE(fs::is_directory(dir.path()));
  EXPECT_TRUE(fs::is_empty(dir.path()));
  struct stat st {};
  ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(ScopedTempDirTest, RemovesTheWholeTreeWhenItGoesAway) {
  std::string path;
  {
    ScopedTempDir dir;
    path = dir.path();
    fs::create_directories(dir.File("a/b"));
    std::ofstream(dir.File("a/b/file")) << "content";
    ASSERT_TRUE(fs::exists(dir.File("a/b/file")));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(ScopedTempDirTest, EachObjectGetsItsOwnDirectory) {
  ScopedTempDir first;
  ScopedTempDir second;
  EXPECT_NE(first.path(), second.path());
}

TEST(ScopedTempDirTest, FileNamesAnEntryInsideTheDirectory) {
  ScopedTempDir dir;
  EXPECT_EQ(dir.File("x.cfg"), dir.path() + "/x.cfg");
  EXPECT_NE(dir.path().back(), '/');
}

}  // namespace
}  // namespace automon::testing
