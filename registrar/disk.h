// SPDX-License-Identifier: GPL-2.0-or-later
// Disk: the few file operations the registrar needs beyond FileSystem
// (which reads, lists and writes atomically): directories, removal, group
// ownership and advisory locks. RealDisk talks to POSIX.
#ifndef AUTOMON_REGISTRAR_DISK_H_
#define AUTOMON_REGISTRAR_DISK_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "registrar/shared_poll.h"

namespace automon::registrar {

// A verified file in the staging tree and the live path it becomes; the
// content is what was staged (written instead when a rename cannot work).
struct StagedFile {
  std::string staged;
  std::string live;
  const std::string* content = nullptr;  // owned by the caller, not null
};

// Files readable by one group only (the secret files).
struct GroupFiles {
  std::string group;
  unsigned directory_mode = 0750;
  unsigned file_mode = 0640;
  std::vector<std::string> directories;                    // made first, in order
  std::vector<std::pair<std::string, std::string>> files;  // (path, content)
};

class Disk {
 public:
  virtual ~Disk() = default;

  // Creates `path` with exactly `mode` (whatever the umask) when missing
  // (not its parents). An existing directory is not an error; when the
  // process owns it, its mode is set to `mode` too.
  virtual Result<void> MakeDirectory(const std::string& path, unsigned mode) = 0;
  // Removes the file `path`; a missing file is not an error.
  virtual Result<void> RemoveFile(const std::string& path) = 0;
  // Removes the empty directory `path`; a missing one is not an error.
  virtual Result<void> RemoveDirectory(const std::string& path) = 0;
  // Gives `path` the group `group` (owner unchanged). Returns false without
  // error when no such group exists on this system.
  virtual Result<bool> SetGroup(const std::string& path, const std::string& group) = 0;
  // Replaces every file of `files` (path, content) atomically, as
  // FileSystem::WriteFileAtomic does one at a time, but a batch of 8 files
  // or more with one flush of the file system (syncfs) before and one
  // after the renames instead of two fsyncs per file:
  // after a crash each file holds its old or its new content. Each
  // directory must exist. `mode` is the permission of the new files.
  virtual Result<void> ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                                    unsigned mode) = 0;
  // Makes verified staged files live: the staged files flushed (fsync, or
  // for 8 files or more one syncfs), then each (staged, live) pair is
  // renamed, then the directories flushed the same way; the staged
  // file is gone afterwards. After a crash each live file holds its old or
  // its new content, as with ReplaceFiles, but no byte is written twice.
  // Where a rename cannot work (EXDEV: the staging tree is on another file
  // system), the content is written as ReplaceFiles does, with `mode`. Each
  // directory must exist; renamed files keep the mode they were staged with
  // (WriteScratchFile: 0644).
  virtual Result<void> PublishStagedFiles(const std::vector<StagedFile>& files, unsigned mode) = 0;
  // Makes each of batch.directories exist with directory_mode and the
  // group, then replaces each file whose content, mode or group is not
  // already right, as ReplaceFiles does (each new file has its mode and
  // group before it is renamed into place, so it never shows its content
  // to others); files that are right already are not touched. The group
  // is looked up once; a group missing on this system is left as it is
  // (SetGroup). Returns how many files were written.
  virtual Result<size_t> WriteGroupFiles(const GroupFiles& batch) = 0;
  // Writes `content` to `path` (mode 0644, whatever the umask) without fsync: for scratch files
  // such as the staging tree, which nothing relies on after a crash.
  virtual Result<void> WriteScratchFile(const std::string& path, const std::string& content) = 0;
  // WriteScratchFile of each (path, content), in any order (RealDisk
  // spreads a large batch over the cores); the first failure in the
  // list's order is returned. Each directory must exist.
  virtual Result<void> WriteScratchFiles(
      const std::vector<std::pair<std::string, std::string_view>>& files) {
    for (const auto& [path, content] : files) {
      if (auto w = WriteScratchFile(path, std::string(content)); !w) return w;
    }
    return {};
  }
  // As WriteScratchFile, with `mode` (whatever the umask), never through a
  // symbolic link: for state that a crash may lose because nothing was
  // promised on it yet (a pending snapshot: its registration is answered
  // only once activated, and the activation's own writes are durable).
  virtual Result<void> WriteVolatileFile(const std::string& path, const std::string& content,
                                         unsigned mode) = 0;
  // Reads the regular file `path` (at most `max_bytes`) without following
  // a symbolic link at `path` (O_NOFOLLOW): the registrar's own state files,
  // which nobody may redirect to another file. A link, a device or a
  // directory is an Error naming the path, never its target or content; a
  // missing file is SystemError("open", ENOENT, path).
  virtual Result<std::string> ReadStateFile(const std::string& path, size_t max_bytes) = 0;
  // Blocks until an exclusive flock(2) on `path` (created 0600 if missing)
  // is held; the lock lasts as long as the returned descriptor. Safe to
  // call from several threads at once.
  virtual Result<UniqueFd> Lock(const std::string& path) = 0;
  // A shared flock(2) on `path` (created 0600 if missing): many holders at
  // once; it waits only while someone holds it exclusively, which
  // IsLockFree does for an instant. Lasts as long as the descriptor.
  virtual Result<UniqueFd> LockShared(const std::string& path) = 0;
  // Whether nobody holds any flock(2) on `path` right now (an exclusive
  // lock taken without waiting and dropped at once); a missing file is free.
  virtual Result<bool> IsLockFree(const std::string& path) = 0;
  // Waits until IsLockFree(path) (true) or until `deadline` (false; no
  // look at all once it has passed), looking every kLockPollInterval.
  virtual Result<bool> WaitUntilLockFree(const std::string& path,
                                         std::chrono::steady_clock::time_point deadline);

  static constexpr std::chrono::milliseconds kLockPollInterval{20};
};

class RealDisk final : public Disk {
 public:
  Result<void> MakeDirectory(const std::string& path, unsigned mode) override;
  Result<void> RemoveFile(const std::string& path) override;
  Result<void> RemoveDirectory(const std::string& path) override;
  Result<bool> SetGroup(const std::string& path, const std::string& group) override;
  Result<void> ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                            unsigned mode) override;
  Result<void> PublishStagedFiles(const std::vector<StagedFile>& files, unsigned mode) override;
  Result<size_t> WriteGroupFiles(const GroupFiles& batch) override;
  Result<void> WriteScratchFile(const std::string& path, const std::string& content) override;
  Result<void> WriteScratchFiles(
      const std::vector<std::pair<std::string, std::string_view>>& files) override;
  Result<void> WriteVolatileFile(const std::string& path, const std::string& content,
                                 unsigned mode) override;
  Result<std::string> ReadStateFile(const std::string& path, size_t max_bytes) override;
  // The threads of this process that wait for one path queue on a mutex,
  // and only the first of them waits in flock(2): the kernel wakes every
  // waiter of a file at each unlock, so hundreds of threads blocked in
  // flock(2) at once (a fleet pushing to `serve`) cost their square in
  // wake-ups. Other processes queue in the kernel as before.
  Result<UniqueFd> Lock(const std::string& path) override;
  Result<UniqueFd> LockShared(const std::string& path) override;
  Result<bool> IsLockFree(const std::string& path) override;
  // The threads of this process that wait for one path share one look
  // every kLockPollInterval (SharedPoll), however many they are.
  Result<bool> WaitUntilLockFree(const std::string& path,
                                 std::chrono::steady_clock::time_point deadline) override;

 private:
  // What the threads of this process waiting for one path share.
  struct Waiters {
    std::mutex queue;                    // Lock: held by the one thread in flock(2)
    SharedPoll poll{kLockPollInterval};  // WaitUntilLockFree
  };
  Waiters& WaitersOf(const std::string& path);

  std::mutex waiters_mutex_;
  std::map<std::string, std::unique_ptr<Waiters>> waiters_;  // path -> its waiters
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_DISK_H_
