// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/disk.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/file_system.h"
#include "common/testing/temp_dir.h"

namespace automon::registrar {
namespace {

TEST(RealDiskTest, ReplaceFilesWritesABatchAndLeavesNoTemporaryFiles) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  const std::string a = dir.path() + "/a";
  const std::string b = dir.path() + "/b";
  ASSERT_TRUE(disk.MakeDirectory(a, 0755).ok());
  ASSERT_TRUE(disk.MakeDirectory(b, 0755).ok());
  ASSERT_TRUE(fs.WriteFileAtomic(a + "/1.cfg", "old\n", 0600).ok());
  ASSERT_TRUE(
      disk.ReplaceFiles(
              {{a + "/1.cfg", "one\n"}, {a + "/2.cfg", "two\n"}, {b + "/3.cfg", "three\n"}}, 0644)
          .ok());
  EXPECT_EQ(fs.ReadFile(a + "/1.cfg", 100).value(), "one\n");
  EXPECT_EQ(fs.ReadFile(a + "/2.cfg", 100).value(), "two\n");
  EXPECT_EQ(fs.ReadFile(b + "/3.cfg", 100).value(), "three\n");
  struct stat st;
  ASSERT_EQ(::stat((a + "/1.cfg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(fs.ListDirectory(a)->size(), 2u) << "no temporary file is left";
  EXPECT_TRUE(disk.ReplaceFiles({}, 0644).ok());
}

TEST(RealDiskTest, ReadStateFileReadsOnlyRegularFilesAndFollowsNoLink) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  const std::string file = dir.path() + "/file";
  ASSERT_TRUE(fs.WriteFileAtomic(file, "content\n", 0600).ok());
  EXPECT_EQ(disk.ReadStateFile(file, 100).value(), "content\n");
  EXPECT_EQ(disk.ReadStateFile(file, 3).error().message,
            file + ": file is larger than the limit of 3 bytes");
  auto missing = disk.ReadStateFile(dir.path() + "/missing", 100);
  EXPECT_TRUE(missing.error().IsNotFound()) << missing.error().message;
  const std::string link = dir.path() + "/link";
  ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
  EXPECT_EQ(disk.ReadStateFile(link, 100).error().message,
            link + ": is a symbolic link; the registrar's state files are never followed");
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(disk.ReadStateFile(fifo, 100).error().message, fifo + ": is not a regular file");
  EXPECT_EQ(disk.ReadStateFile(dir.path(), 100).error().message,
            dir.path() + ": is not a regular file");
}

TEST(RealDiskTest, SharedLocksAreSeenByIsLockFree) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  const std::string path = dir.path() + "/arrivals.lock";
  EXPECT_TRUE(disk.IsLockFree(path).value()) << "a missing file is free";
  {
    auto first = disk.LockShared(path);
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = disk.LockShared(path);  // shared: does not wait
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(disk.IsLockFree(path).value());
    first->Reset();
    EXPECT_FALSE(disk.IsLockFree(path).value());
  }
  EXPECT_TRUE(disk.IsLockFree(path).value());
  EXPECT_TRUE(disk.LockShared(dir.path() + "/missing/x.lock").error().IsNotFound());
}

TEST(RealDiskTest, ReplaceFilesIntoAMissingDirectoryFailsAndCleansUp) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  auto r =
      disk.ReplaceFiles({{dir.path() + "/x.cfg", "x\n"}, {dir.path() + "/no/y.cfg", "y\n"}}, 0644);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "open(" + dir.path() + "/no/.y.cfg.tmp." +
                                   std::to_string(::getpid()) + "): No such file or directory");
  EXPECT_TRUE(fs.ListDirectory(dir.path())->empty()) << "nothing half-done is left";
}

TEST(RealDiskTest, WriteScratchFileAndLock) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  ASSERT_TRUE(disk.WriteScratchFile(dir.path() + "/s", "scratch").ok());
  EXPECT_EQ(fs.ReadFile(dir.path() + "/s", 100).value(), "scratch");
  auto lock = disk.Lock(dir.path() + "/lock");
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE(lock->valid());
  EXPECT_FALSE(disk.Lock(dir.path() + "/no/lock").ok());
}

TEST(RealDiskTest, WaitUntilLockFreeWaitsForTheLastHolder) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  const std::string path = dir.path() + "/arrivals.lock";
  const auto now = [] { return std::chrono::steady_clock::now(); };
  EXPECT_TRUE(disk.WaitUntilLockFree(path, now() + std::chrono::seconds(5)).value())
      << "a missing file is free";
  auto held = disk.LockShared(path);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(disk.WaitUntilLockFree(path, now() + std::chrono::milliseconds(60)).value());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held->Reset();
  });
  const auto start = now();
  EXPECT_TRUE(disk.WaitUntilLockFree(path, start + std::chrono::seconds(10)).value());
  EXPECT_GE(now() - start, std::chrono::milliseconds(90));
  EXPECT_LT(now() - start, std::chrono::seconds(5));
  release.join();
  // A lock file that cannot be opened is an error naming it, not a wait.
  const std::string blocked = dir.path() + "/arrivals.lock/x";
  auto failed = disk.WaitUntilLockFree(blocked, now() + std::chrono::seconds(5));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find(blocked), std::string::npos) << failed.error().message;
}

// Waiters of `inode` blocked in flock(2), as /proc/locks lists them
// ("N: -> FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF").
int BlockedWaiters(ino_t inode) {
  std::ifstream locks("/proc/locks");
  int blocked = 0;
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string number, arrow, kind, advisory, type, pid, device;
    fields >> number >> arrow >> kind >> advisory >> type >> pid >> device;
    if (arrow == "->" && device.ends_with(":" + std::to_string(inode))) ++blocked;
  }
  return blocked;
}

TEST(RealDiskTest, ThreadsOfOneProcessWaitForALockInTheKernelOneAtATime) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  const std::string path = dir.path() + "/registrar.lock";
  // Another open file description holds the lock, as another process would.
  UniqueFd holder(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(holder.valid());
  ASSERT_EQ(::flock(holder.get(), LOCK_EX), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(holder.get(), &st), 0);

  constexpr int kThreads = 16;
  std::atomic<int> inside{0}, most_inside{0}, done{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto lock = disk.Lock(path);
      if (!lock.ok()) {
        ++failed;
        return;
      }
      const int now = ++inside;
      int most = most_inside.load();
      while (now > most && !most_inside.compare_exchange_weak(most, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      --inside;
      ++done;
    });
  }
  // Every thread is queued once one waits in the kernel and a while passed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (BlockedWaiters(st.st_ino) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(BlockedWaiters(st.st_ino), 1) << "only the first waiting thread is in flock(2)";
  EXPECT_EQ(done.load(), 0) << "nobody got the lock while it was held";
  holder.Reset();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(done.load(), kThreads) << "every thread got the lock in turn";
  EXPECT_EQ(most_inside.load(), 1) << "never two holders at once";
}

// The Debian unit runs with UMask=0027: the modes asked for must still be
// the modes on disk, for new and for earlier (umask-damaged) directories.
TEST(RealDiskTest, ModesDoNotDependOnTheUmask) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  const mode_t saved = ::umask(027);
  auto mode_of = [](const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  };
  const std::string fresh = dir.path() + "/fresh";
  EXPECT_TRUE(disk.MakeDirectory(fresh, 0755).ok());
  EXPECT_EQ(mode_of(fresh), 0755u);
  const std::string old = dir.path() + "/old";
  ASSERT_EQ(::mkdir(old.c_str(), 0755), 0);  // 0750 under the umask
  EXPECT_EQ(mode_of(old), 0750u);
  EXPECT_TRUE(disk.MakeDirectory(old, 0755).ok());
  EXPECT_EQ(mode_of(old), 0755u);
  EXPECT_TRUE(disk.MakeDirectory(old, 0700).ok());  // tighter works too
  EXPECT_EQ(mode_of(old), 0700u);
  EXPECT_TRUE(disk.WriteScratchFile(fresh + "/x.mk", "x\n").ok());
  EXPECT_EQ(mode_of(fresh + "/x.mk"), 0644u);
  ::umask(saved);
  // A file where a directory is wanted is still an error.
  auto file = disk.MakeDirectory(fresh + "/x.mk", 0755);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("x.mk"), std::string::npos) << file.error().message;
}

TEST(RealDiskTest, PublishStagedFilesRenamesAndLeavesNothingStaged) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  const std::string staging = dir.path() + "/staging";
  const std::string live = dir.path() + "/live";
  ASSERT_TRUE(disk.MakeDirectory(staging, 0755).ok());
  ASSERT_TRUE(disk.MakeDirectory(live, 0755).ok());
  ASSERT_TRUE(fs.WriteFileAtomic(live + "/1.cfg", "old\n", 0644).ok());
  const std::string one = "one\n", two = "two\n";
  ASSERT_TRUE(disk.WriteScratchFile(staging + "/1.cfg", one).ok());
  ASSERT_TRUE(disk.WriteScratchFile(staging + "/2.cfg", two).ok());
  struct stat staged;
  ASSERT_EQ(::stat((staging + "/1.cfg").c_str(), &staged), 0);
  ASSERT_TRUE(disk.PublishStagedFiles({{staging + "/1.cfg", live + "/1.cfg", &one},
                                       {staging + "/2.cfg", live + "/2.cfg", &two}},
                                      0644)
                  .ok());
  EXPECT_EQ(fs.ReadFile(live + "/1.cfg", 100).value(), "one\n");
  EXPECT_EQ(fs.ReadFile(live + "/2.cfg", 100).value(), "two\n");
  struct stat st;
  ASSERT_EQ(::stat((live + "/1.cfg").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, staged.st_ino) << "the verified file itself, not a copy";
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_TRUE(fs.ListDirectory(staging)->empty());
  EXPECT_TRUE(disk.PublishStagedFiles({}, 0644).ok());
  // A staged file that is missing is an error naming the path.
  auto missing = disk.PublishStagedFiles({{staging + "/3.cfg", live + "/3.cfg", &one}}, 0644);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("3.cfg"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(fs.ReadFile(live + "/3.cfg", 100).ok());
}

TEST(RealDiskTest, WriteScratchFileReplacesAnOlderFileWithANewInode) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  const std::string path = dir.path() + "/s";
  ASSERT_TRUE(disk.WriteScratchFile(path, "old, longer content").ok());
  // A reader of the old version (here a second name) keeps it whole.
  ASSERT_EQ(::link(path.c_str(), (dir.path() + "/reader").c_str()), 0);
  ASSERT_TRUE(disk.WriteScratchFile(path, "new").ok());
  EXPECT_EQ(fs.ReadFile(path, 100).value(), "new");
  EXPECT_EQ(fs.ReadFile(dir.path() + "/reader", 100).value(), "old, longer content");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  // A symbolic link in its place is replaced, never followed.
  ASSERT_EQ(::symlink((dir.path() + "/reader").c_str(), (dir.path() + "/l").c_str()), 0);
  ASSERT_TRUE(disk.WriteScratchFile(dir.path() + "/l", "mine").ok());
  EXPECT_EQ(fs.ReadFile(dir.path() + "/reader", 100).value(), "old, longer content");
  EXPECT_EQ(fs.ReadFile(dir.path() + "/l", 100).value(), "mine");
}

// Pending snapshots hold secrets: their mode is exactly what is asked,
// whatever the umask, from the file's first byte.
TEST(RealDiskTest, WriteVolatileFileHasItsModeWhateverTheUmask) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  const std::string path = dir.path() + "/pending.snapshot";
  const mode_t old_umask = ::umask(0);
  auto loose = disk.WriteVolatileFile(path, "secret", 0600);
  ::umask(077);
  auto strict = disk.WriteVolatileFile(dir.path() + "/shared", "not secret", 0640);
  ::umask(old_umask);
  ASSERT_TRUE(loose.ok()) << loose.error().message;
  ASSERT_TRUE(strict.ok()) << strict.error().message;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((dir.path() + "/shared").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // Rewritten: a new inode with the new content, the old reader keeps its own.
  ASSERT_EQ(::link(path.c_str(), (dir.path() + "/reader").c_str()), 0);
  ASSERT_TRUE(disk.WriteVolatileFile(path, "newer", 0600).ok());
  EXPECT_EQ(fs.ReadFile(path, 100).value(), "newer");
  EXPECT_EQ(fs.ReadFile(dir.path() + "/reader", 100).value(), "secret");
  // A directory in its place is an error naming the path.
  ASSERT_EQ(::mkdir((dir.path() + "/d").c_str(), 0700), 0);
  auto on_directory = disk.WriteVolatileFile(dir.path() + "/d", "x", 0600);
  ASSERT_FALSE(on_directory.ok());
  EXPECT_NE(on_directory.error().message.find(dir.path() + "/d"), std::string::npos)
      << on_directory.error().message;
}

TEST(RealDiskTest, WriteGroupFilesInANewDirectoryAndAfterACrash) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  GroupFiles batch;
  batch.group = "no-such-group-automon";
  const std::string sub = dir.path() + "/host";
  batch.directories = {sub};
  for (int i = 0; i < 10; ++i) {  // a large batch: one syncfs
    batch.files.emplace_back(sub + "/s" + std::to_string(i), "secret " + std::to_string(i));
  }
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 10u);
  struct stat st;
  ASSERT_EQ(::stat((sub + "/s7").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(fs.ReadFile(sub + "/s7", 100).value(), "secret 7");
  EXPECT_EQ(fs.ListDirectory(sub)->size(), 10u) << "no temporary file";
  // What a crash during the first batch leaves (a short file, a missing
  // one) is made right by the next batch, the directory being there now.
  ASSERT_TRUE(disk.ReplaceFiles({{sub + "/s3", "sec"}}, 0640).ok());
  ASSERT_EQ(::unlink((sub + "/s4").c_str()), 0);
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 2u);
  EXPECT_EQ(fs.ReadFile(sub + "/s3", 100).value(), "secret 3");
  EXPECT_EQ(fs.ReadFile(sub + "/s4", 100).value(), "secret 4");
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 0u);
}

// Large batches are spread over threads: every file is there with its own
// content, and of several failures the first in the batch's order is told.
TEST(RealDiskTest, LargeBatchesWriteEveryFileAndTellTheFirstFailure) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  GroupFiles batch;
  batch.group = "no-such-group-automon";
  batch.directory_mode = 0750;
  batch.file_mode = 0640;
  for (int i = 0; i < 300; ++i) {
    const std::string sub = dir.path() + "/h" + std::to_string(i);
    batch.directories.push_back(sub);
    batch.files.emplace_back(sub + "/a", "a" + std::to_string(i));
    batch.files.emplace_back(sub + "/b", "b" + std::to_string(i));
  }
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 600u);
  for (int i = 0; i < 300; i += 37) {
    EXPECT_EQ(fs.ReadFile(dir.path() + "/h" + std::to_string(i) + "/b", 100).value(),
              "b" + std::to_string(i));
  }
  std::vector<std::pair<std::string, std::string_view>> scratch;
  const std::string text = "staged";
  for (int i = 0; i < 300; ++i) {
    scratch.emplace_back(dir.path() + "/h" + std::to_string(i) + "/staged.cfg", text);
  }
  ASSERT_TRUE(disk.WriteScratchFiles(scratch).ok());
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/h299/staged.cfg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(fs.ReadFile(dir.path() + "/h150/staged.cfg", 100).value(), "staged");

  // Two directories that are files now: the first of them is named.
  for (int i : {250, 120}) {
    const std::string sub = dir.path() + "/h" + std::to_string(i);
    std::filesystem::remove_all(sub);
    ASSERT_TRUE(fs.WriteFileAtomic(sub, "", 0644).ok());
  }
  auto failed = disk.WriteGroupFiles(batch);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find(dir.path() + "/h120"), std::string::npos)
      << failed.error().message;
  scratch[200].first = dir.path() + "/missing/x.cfg";
  scratch[100].first = dir.path() + "/h120/x.cfg";
  auto staged = disk.WriteScratchFiles(scratch);
  ASSERT_FALSE(staged.ok());
  EXPECT_NE(staged.error().message.find(dir.path() + "/h120/x.cfg"), std::string::npos)
      << staged.error().message;
}

TEST(RealDiskTest, WriteGroupFilesWritesOnlyWhatIsNotRight) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  RealFileSystem fs;
  GroupFiles batch;
  batch.group = "no-such-group-automon";  // left as it is
  batch.directories = {dir.path() + "/a", dir.path() + "/b"};
  batch.files = {{dir.path() + "/a/x", "x\n"}, {dir.path() + "/b/y", "y\n"}};
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 2u);
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(::stat((dir.path() + "/b/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 0u) << "all already right";
  ASSERT_EQ(::chmod((dir.path() + "/b/y").c_str(), 0644), 0);
  batch.files[0].second = "x2\n";
  EXPECT_EQ(disk.WriteGroupFiles(batch).value(), 2u);
  EXPECT_EQ(fs.ReadFile(dir.path() + "/a/x", 100).value(), "x2\n");
  EXPECT_EQ(fs.ListDirectory(dir.path() + "/a")->size(), 1u) << "no temporary file is left";
  // A file where a directory is wanted is an error, and nothing is written.
  batch.directories.push_back(dir.path() + "/a/x");
  batch.files[0].second = "x3\n";
  ASSERT_FALSE(disk.WriteGroupFiles(batch).ok());
  EXPECT_EQ(fs.ReadFile(dir.path() + "/a/x", 100).value(), "x2\n");
}

TEST(RealDiskTest, SetGroupReportsAMissingGroup) {
  testing::ScopedTempDir dir;
  RealDisk disk;
  ASSERT_TRUE(disk.WriteScratchFile(dir.path() + "/f", "x").ok());
  auto missing = disk.SetGroup(dir.path() + "/f", "no-such-group-automon");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
}

}  // namespace
}  // namespace automon::registrar
