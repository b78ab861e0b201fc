// SPDX-License-Identifier: GPL-2.0-or-later
// FakeFileSystem: an in-memory FileSystem for unit tests.
#ifndef AUTOMON_COMMON_TESTING_FAKE_FILE_SYSTEM_H_
#define AUTOMON_COMMON_TESTING_FAKE_FILE_SYSTEM_H_

#include <map>
#include <set>
#include <string>

#include "common/file_system.h"

namespace automon::testing {

// Paths are plain strings; a directory exists when it was added with
// AddDirectory or holds a file. Errors can be injected per path.
class FakeFileSystem final : public FileSystem {
 public:
  void AddFile(const std::string& path, std::string content);
  void AddDirectory(const std::string& path);
  // Makes every operation on `path` fail with `errnum`.
  void FailWith(const std::string& path, int errnum);

  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) override;
  Result<std::vector<DirectoryEntry>> ListDirectory(const std::string& path) override;
  Result<void> WriteFileAtomic(const std::string& path, const std::string& content,
                               unsigned mode) override;
  Result<void> MakeDirectories(const std::string& path, unsigned mode) override;
  // A file's status: root-owned 0755 regular file unless SetStatus said
  // otherwise; a directory is not regular; anything else is ENOENT.
  Result<FileStatus> Status(const std::string& path) override;
  void SetStatus(const std::string& path, FileStatus status);
  Result<void> RemoveFile(const std::string& path) override;

  const std::map<std::string, std::string>& files() const { return files_; }

 private:
  std::map<std::string, std::string> files_;
  std::set<std::string> directories_;
  std::map<std::string, int> failures_;
  std::map<std::string, FileStatus> statuses_;
};

}  // namespace automon::testing

#endif  // AUTOMON_COMMON_TESTING_FAKE_FILE_SYSTEM_H_
