// SPDX-License-Identifier: GPL-2.0-or-later
// FileSystem: the small I/O interface the libraries read and write through,
// so units are testable without touching the disk (ninja's DiskInterface,
// leveldb's Env). RealFileSystem talks to POSIX; testing/FakeFileSystem keeps
// files in memory.
#ifndef AUTOMON_COMMON_FILE_SYSTEM_H_
#define AUTOMON_COMMON_FILE_SYSTEM_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace automon {

struct DirectoryEntry {
  enum class Kind { kRegular, kDirectory, kOther };
  std::string name;  // the entry's name, without the directory
  Kind kind = Kind::kOther;

  bool operator==(const DirectoryEntry&) const = default;
};

// What stat(2) says about a file (symbolic links followed).
struct FileStatus {
  bool regular = false;
  unsigned owner = 0;  // uid
  unsigned mode = 0;   // permission bits (07777)

  bool operator==(const FileStatus&) const = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The whole content of `path`. Fails with an Error naming the path when it
  // cannot be read, or when it is larger than `max_bytes` (so a hostile or
  // runaway file cannot exhaust memory).
  virtual Result<std::string> ReadFile(const std::string& path, size_t max_bytes) = 0;

  // The entries of `path`, except "." and "..", sorted by name (bytewise).
  // Symbolic links are followed to classify the entry.
  virtual Result<std::vector<DirectoryEntry>> ListDirectory(const std::string& path) = 0;

  // Replaces `path` atomically with `content`: temp file in the same
  // directory, fsync, rename, fsync of the directory. After a crash at any
  // instant, `path` holds either the old or the new content. `mode` is the
  // permission of the new file.
  virtual Result<void> WriteFileAtomic(const std::string& path, const std::string& content,
                                       unsigned mode) = 0;

  // Creates the directory `path` and any missing parents, each with
  // `mode`. Existing directories are left as they are.
  virtual Result<void> MakeDirectories(const std::string& path, unsigned mode) = 0;

  // Type, owner and permissions of `path`, symbolic links followed; an
  // Error naming the path when it cannot be examined.
  virtual Result<FileStatus> Status(const std::string& path) = 0;

  // Removes the file `path`; removing one that is not there is not an error.
  virtual Result<void> RemoveFile(const std::string& path) = 0;
};

// The directory part of `path`: "a/b" -> "a", "/a" -> "/", "a" -> ".".
std::string DirectoryOf(const std::string& path);

// Writes all of `content` to `fd`, retrying short writes and EINTR. The
// Error names `path` (the file behind fd) and the errno.
Result<void> WriteAll(int fd, std::string_view content, const std::string& path);

class RealFileSystem final : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) override;
  Result<std::vector<DirectoryEntry>> ListDirectory(const std::string& path) override;
  Result<void> WriteFileAtomic(const std::string& path, const std::string& content,
                               unsigned mode) override;
  Result<void> MakeDirectories(const std::string& path, unsigned mode) override;
  Result<FileStatus> Status(const std::string& path) override;
  Result<void> RemoveFile(const std::string& path) override;
};

}  // namespace automon

#endif  // AUTOMON_COMMON_FILE_SYSTEM_H_
