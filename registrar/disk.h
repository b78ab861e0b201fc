// Disk: the few file operations the registrar needs beyond FileSystem
// (which reads, lists and writes atomically): directories, removal, group
// ownership and advisory locks. RealDisk talks to POSIX.
#ifndef AUTOMON_REGISTRAR_DISK_H_
#define AUTOMON_REGISTRAR_DISK_H_

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace automon::registrar {

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
  // FileSystem::WriteFileAtomic does one at a time, but with one flush of
  // the file system for the whole batch instead of two fsyncs per file:
  // after a crash each file holds its old or its new content. Each
  // directory must exist. `mode` is the permission of the new files.
  virtual Result<void> ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                                    unsigned mode) = 0;
  // Writes `content` to `path` (mode 0644, whatever the umask) without fsync: for scratch files
  // such as the staging tree, which nothing relies on after a crash.
  virtual Result<void> WriteScratchFile(const std::string& path, const std::string& content) = 0;
  // Reads the regular file `path` (at most `max_bytes`) without following
  // a symbolic link at `path` (O_NOFOLLOW): the registrar's own state files,
  // which nobody may redirect to another file. A link, a device or a
  // directory is an Error naming the path, never its target or content; a
  // missing file is SystemError("open", ENOENT, path).
  virtual Result<std::string> ReadStateFile(const std::string& path, size_t max_bytes) = 0;
  // Blocks until an exclusive flock(2) on `path` (created 0600 if missing)
  // is held; the lock lasts as long as the returned descriptor.
  virtual Result<UniqueFd> Lock(const std::string& path) = 0;
  // A shared flock(2) on `path` (created 0600 if missing): many holders at
  // once; it waits only while someone holds it exclusively, which
  // IsLockFree does for an instant. Lasts as long as the descriptor.
  virtual Result<UniqueFd> LockShared(const std::string& path) = 0;
  // Whether nobody holds any flock(2) on `path` right now (an exclusive
  // lock taken without waiting and dropped at once); a missing file is free.
  virtual Result<bool> IsLockFree(const std::string& path) = 0;
};

class RealDisk final : public Disk {
 public:
  Result<void> MakeDirectory(const std::string& path, unsigned mode) override;
  Result<void> RemoveFile(const std::string& path) override;
  Result<void> RemoveDirectory(const std::string& path) override;
  Result<bool> SetGroup(const std::string& path, const std::string& group) override;
  Result<void> ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                            unsigned mode) override;
  Result<void> WriteScratchFile(const std::string& path, const std::string& content) override;
  Result<std::string> ReadStateFile(const std::string& path, size_t max_bytes) override;
  Result<UniqueFd> Lock(const std::string& path) override;
  Result<UniqueFd> LockShared(const std::string& path) override;
  Result<bool> IsLockFree(const std::string& path) override;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_DISK_H_
