// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/directory.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/testing/diagnostics.h"
#include "common/testing/fake_file_system.h"

namespace automon::formats {
namespace {

using ::automon::testing::RenderAll;

TEST(IgnoredFileNameTest, FollowsRunPartsAndDpkgConventions) {
  for (const char* name :
       {".hidden", "x~", "x.swp", "x.dpkg-old", "x.dpkg-new", "x.dpkg-dist", "x.dpkg-tmp",
        "x.dpkg-bak", "x.ucf-old", "x.ucf-new", "x.ucf-dist", ".#x"}) {
    EXPECT_TRUE(IsIgnoredFileName(name)) << name;
  }
  for (const char* name : {"apache2", "nginx.conf", "a-b_c+d", "dpkg-old", "x.dpkg"}) {
    EXPECT_FALSE(IsIgnoredFileName(name)) << name;
  }
  EXPECT_TRUE(IsAcceptableFileName("a-b_c+d.e"));
  EXPECT_FALSE(IsAcceptableFileName("a b"));
  EXPECT_FALSE(IsAcceptableFileName("a\nb"));
}

class ScanDirectoryTest : public ::testing::Test {
 protected:
  testing::FakeFileSystem fs_;
};

TEST_F(ScanDirectoryTest, ReadsDefinitionFilesAndSkipsLeftovers) {
  fs_.AddFile("/mi/ssh", "[ssh]\ntype = ssh\n");
  fs_.AddFile("/mi/web", "[web]\ntype = http\n");
  fs_.AddFile("/mi/web.dpkg-old", "[old]\ntype = http\n");
  fs_.AddFile("/mi/web.dpkg-dist", "garbage");
  fs_.AddFile("/mi/.web.swp", "garbage");
  fs_.AddFile("/mi/web~", "garbage");
  fs_.AddFile("/mi/sub/x", "[x]\ntype = ssh\n");
  auto result = ScanDirectory(fs_, "/mi/");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->services.size(), 2u);
  EXPECT_EQ(result->services[0].name, "ssh");
  EXPECT_EQ(result->services[0].loc, (SourceLocation{"/mi/ssh", 1, 0}));
  EXPECT_EQ(result->services[1].name, "web");
  EXPECT_TRUE(result->diagnostics.empty()) << RenderAll(result->diagnostics);
  EXPECT_EQ(result->files, (std::vector<std::string>{"/mi/ssh", "/mi/web"}));
}

TEST_F(ScanDirectoryTest, DuplicateAcrossFilesNamesBothPlaces) {
  fs_.AddFile("/mi/a", "[web]\ntype = http\n");
  fs_.AddFile("/mi/b", "# other package\n[web]\ntype = http\nport = 8080\n");
  auto result = ScanDirectory(fs_, "/mi");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->services.size(), 1u);
  EXPECT_EQ(result->services[0].GetInt("port"), 80);
  EXPECT_EQ(RenderAll(result->diagnostics),
            "/mi/b:2: error: duplicate service 'web' (first defined at /mi/a:1)\n");
}

TEST_F(ScanDirectoryTest, UnreadableAndBadlyNamedFilesAreReportedOthersKept) {
  fs_.AddFile("/mi/good", "[ssh]\ntype = ssh\n");
  fs_.AddFile("/mi/locked", "[x]\ntype = ssh\n");
  fs_.FailWith("/mi/locked", EACCES);
  fs_.AddFile("/mi/bad name", "[y]\ntype = ssh\n");
  fs_.AddFile("/mi/huge", std::string(kMaxDefinitionFileBytes + 1, '#'));
  auto result = ScanDirectory(fs_, "/mi");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->services.size(), 1u);
  EXPECT_EQ(RenderAll(result->diagnostics),
            "/mi: warning: ignoring file 'bad name': file names may use only letters, digits "
            "and ._+-\n"
            "/mi/huge: error: /mi/huge: file is larger than the limit of 1048576 bytes\n"
            "/mi/locked: error: open(/mi/locked): Permission denied\n");
}

TEST_F(ScanDirectoryTest, MissingDirectoryFailsAsAWhole) {
  auto result = ScanDirectory(fs_, "/nonexistent");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "opendir(/nonexistent): No such file or directory");
  auto odd = ScanDirectory(fs_, "/etc/moni toring");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message,
            "directory '/etc/moni toring': path may use only letters, digits and ._+-/@");
}

}  // namespace
}  // namespace automon::formats
