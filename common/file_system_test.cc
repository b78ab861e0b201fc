// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_system.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/temp_dir.h"
#include "common/unique_fd.h"

namespace automon {
namespace {

class RealFileSystemTest : public ::testing::Test {
 protected:
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ + "/" + name) << content;
  }

  testing::ScopedTempDir temp_;
  std::string dir_ = temp_.path();
  RealFileSystem fs_;
};

TEST_F(RealFileSystemTest, ReadsWholeFile) {
  Write("a", "hello\nworld\n");
  auto content = fs_.ReadFile(dir_ + "/a", 1024);
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(*content, "hello\nworld\n");
}

TEST_F(RealFileSystemTest, RefusesFileLargerThanLimit) {
  Write("big", std::string(100, 'x'));
  auto content = fs_.ReadFile(dir_ + "/big", 99);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.error().message, dir_ + "/big: file is larger than the limit of 99 bytes");
  EXPECT_TRUE(fs_.ReadFile(dir_ + "/big", 100).ok());
}

TEST_F(RealFileSystemTest, MissingFileNamesPathAndErrno) {
  auto content = fs_.ReadFile(dir_ + "/missing", 10);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.error().message, "open(" + dir_ + "/missing): No such file or directory");
}

TEST_F(RealFileSystemTest, ListsSortedEntriesWithKinds) {
  Write("b", "");
  Write("a", "");
  std::filesystem::create_directory(dir_ + "/sub");
  auto entries = fs_.ListDirectory(dir_);
  ASSERT_TRUE(entries.ok());
  const std::vector<DirectoryEntry> expected{{"a", DirectoryEntry::Kind::kRegular},
                                             {"b", DirectoryEntry::Kind::kRegular},
                                             {"sub", DirectoryEntry::Kind::kDirectory}};
  EXPECT_EQ(*entries, expected);
}

TEST_F(RealFileSystemTest, ListingMissingDirectoryFails) {
  auto entries = fs_.ListDirectory(dir_ + "/nope");
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.error().message, "opendir(" + dir_ + "/nope): No such file or directory");
}

TEST_F(RealFileSystemTest, AtomicWriteReplacesContentAndSetsMode) {
  Write("state", "old");
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_ + "/state", "new", 0640).ok());
  EXPECT_EQ(*fs_.ReadFile(dir_ + "/state", 100), "new");
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  // No temporary file is left behind.
  auto entries = fs_.ListDirectory(dir_);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 1u);
}

TEST_F(RealFileSystemTest, ConcurrentAtomicWritesNeverTear) {
  const std::string path = dir_ + "/shared";
  const std::string a(1 << 20, 'a'), b(1 << 20, 'b');
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(fs_.WriteFileAtomic(path, t % 2 ? a : b, 0600).ok());
    });
  }
  for (auto& w : writers) w.join();
  auto content = fs_.ReadFile(path, 2 << 20);
  ASSERT_TRUE(content.ok());
  EXPECT_TRUE(*content == a || *content == b) << "a torn file mixes writers";
  auto entries = fs_.ListDirectory(dir_);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 1u) << "no temporary file is left behind";
}

TEST_F(RealFileSystemTest, AtomicWriteIntoMissingDirectoryFails) {
  auto written = fs_.WriteFileAtomic(dir_ + "/nodir/file", "x", 0644);
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find("No such file or directory"), std::string::npos);
}

TEST_F(RealFileSystemTest, MakeDirectoriesCreatesParentsAndToleratesExisting) {
  ASSERT_TRUE(fs_.MakeDirectories(dir_ + "/a/b/c", 0700).ok());
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(fs_.MakeDirectories(dir_ + "/a/b", 0700).ok());
  Write("file", "");
  auto clash = fs_.MakeDirectories(dir_ + "/file", 0700);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message, "mkdir(" + dir_ + "/file): Not a directory");
}

TEST(DirectoryOfTest, EveryShapeOfPath) {
  EXPECT_EQ(DirectoryOf("/etc/automon/agent.conf"), "/etc/automon");
  EXPECT_EQ(DirectoryOf("/agent.conf"), "/");
  EXPECT_EQ(DirectoryOf("agent.conf"), ".");
  EXPECT_EQ(DirectoryOf("a/b"), "a");
}

TEST_F(RealFileSystemTest, WriteAllWritesEverythingAndNamesThePathOnFailure) {
  const std::string path = dir_ + "/out";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_GE(fd.get(), 0);
  const std::string big(1 << 20, 'x');
  ASSERT_TRUE(WriteAll(fd.get(), big, path).ok());
  EXPECT_EQ(fs_.ReadFile(path, 2 << 20).value(), big);
  UniqueFd read_only(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  auto failed = WriteAll(read_only.get(), "y", path);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find(path), std::string::npos) << failed.error().message;
  EXPECT_EQ(failed.error().errnum, EBADF);
}

}  // namespace
}  // namespace automon
