// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/testing/fake_file_system.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace automon::testing {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

}  // namespace

void FakeFileSystem::AddFile(const std::string& path, std::string content) {
  files_[path] = std::move(content);
  directories_.insert(Parent(path));
}

void FakeFileSystem::AddDirectory(const std::string& path) { directories_.insert(path); }

void FakeFileSystem::FailWith(const std::string& path, int errnum) { failures_[path] = errnum; }

Result<std::string> FakeFileSystem::ReadFile(const std::string& path, size_t max_bytes) {
  if (auto f = failures_.find(path); f != failures_.end())
    return SystemError("open", f->second, path);
  auto it = files_.find(path);
  if (it == files_.end())
    return SystemError("open", directories_.count(path) ? EISDIR : ENOENT, path);
  if (it->second.size() > max_bytes) {
    return Error{fmt::format("{}: file is larger than the limit of {} bytes", path, max_bytes)};
  }
  return it->second;
}

Result<std::vector<DirectoryEntry>> FakeFileSystem::ListDirectory(const std::string& path) {
  if (auto f = failures_.find(path); f != failures_.end())
    return SystemError("opendir", f->second, path);
  if (!directories_.count(path)) {
    return SystemError("opendir", files_.count(path) ? ENOTDIR : ENOENT, path);
  }
  std::vector<DirectoryEntry> entries;  // files_ and directories_ are sorted maps/sets
  const std::string prefix = path == "/" ? "/" : path + "/";
  auto direct_child = [&](const std::string& p) {
    return p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
           p.find('/', prefix.size()) == std::string::npos;
  };
  for (const auto& [p, content] : files_) {
    if (direct_child(p))
      entries.push_back({p.substr(prefix.size()), DirectoryEntry::Kind::kRegular});
  }
  for (const auto& d : directories_) {
    if (direct_child(d))
      entries.push_back({d.substr(prefix.size()), DirectoryEntry::Kind::kDirectory});
  }
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
  return entries;
}

Result<void> FakeFileSystem::WriteFileAtomic(const std::string& path, const std::string& content,
                                             unsigned /*mode*/) {
  if (auto f = failures_.find(path); f != failures_.end())
    return SystemError("rename", f->second, path);
  if (!directories_.count(Parent(path))) return SystemError("open", ENOENT, path);
  files_[path] = content;
  return {};
}

Result<void> FakeFileSystem::MakeDirectories(const std::string& path, unsigned /*mode*/) {
  if (auto f = failures_.find(path); f != failures_.end())
    return SystemError("mkdir", f->second, path);
  if (files_.count(path)) return SystemError("mkdir", ENOTDIR, path);
  for (std::string p = path; p.size() > 1; p = Parent(p)) directories_.insert(p);
  return {};
}

Result<FileStatus> FakeFileSystem::Status(const std::string& path) {
  if (auto f = failures_.find(path); f != failures_.end())
    return SystemError("stat", f->second, path);
  if (auto st = statuses_.find(path); st != statuses_.end()) return st->second;
  if (files_.count(path)) return FileStatus{true, 0, 0755};
  if (directories_.count(path)) return FileStatus{false, 0, 0755};
  return SystemError("stat", ENOENT, path);
}

void FakeFileSystem::SetStatus(const std::string& path, FileStatus status) {
  statuses_[path] = status;
}

Result<void> FakeFileSystem::RemoveFile(const std::string& path) {
  if (auto f = failures_.find(path); f != failures_.end())
    return SystemError("unlink", f->second, path);
  files_.erase(path);
  return {};
}

}  // namespace automon::testing
