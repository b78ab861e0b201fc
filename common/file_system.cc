// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/c_deleter.h"
#include "common/unique_fd.h"

namespace automon {
namespace {}  // namespace

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<void> WriteAll(int fd, std::string_view content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError("write", errno, path);
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> RealFileSystem::ReadFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return SystemError("open", errno, path);
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError("read", errno, path);
    }
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      return Error{fmt::format("{}: file is larger than the limit of {} bytes", path, max_bytes)};
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

Result<std::vector<DirectoryEntry>> RealFileSystem::ListDirectory(const std::string& path) {
  std::unique_ptr<DIR, CDeleter<::closedir>> dir(::opendir(path.c_str()));
  if (!dir) return SystemError("opendir", errno, path);
  std::vector<DirectoryEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* ent = ::readdir(dir.get());
    if (ent == nullptr) {
      if (errno != 0) return SystemError("readdir", errno, path);
      break;
    }
    const std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    DirectoryEntry entry{name, DirectoryEntry::Kind::kOther};
    struct stat st;
    if (::fstatat(::dirfd(dir.get()), ent->d_name, &st, 0) == 0) {
      if (S_ISREG(st.st_mode)) entry.kind = DirectoryEntry::Kind::kRegular;
      if (S_ISDIR(st.st_mode)) entry.kind = DirectoryEntry::Kind::kDirectory;
    }
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
  return entries;
}

Result<void> RealFileSystem::WriteFileAtomic(const std::string& path, const std::string& content,
                                             unsigned mode) {
  // A leading dot keeps a half-written file out of every directory scanner
  // we feed (nagios cfg_dir, run-parts rules, our own scan).
  const std::string dir = DirectoryOf(path);
  const std::string base =
      path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  // mkostemp makes the name unique, so two threads (or processes) writing
  // the same path never share a temporary file.
  std::string temp = fmt::format("{}/.{}.tmp.XXXXXX", dir, base);
  {
    UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd.valid()) return SystemError("mkostemp", errno, temp);
    if (::fchmod(fd.get(), mode) != 0) {
      const int saved = errno;
      ::unlink(temp.c_str());
      return SystemError("fchmod", saved, temp);
    }
    if (auto written = WriteAll(fd.get(), content, temp); !written) {
      ::unlink(temp.c_str());
      return written;
    }
    if (::fsync(fd.get()) != 0) {
      const int saved = errno;
      ::unlink(temp.c_str());
      return SystemError("fsync", saved, temp);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return SystemError("rename", saved, path);
  }
  UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.valid()) return SystemError("open", errno, dir);
  if (::fsync(dirfd.get()) != 0) return SystemError("fsync", errno, dir);
  return {};
}

Result<void> RealFileSystem::MakeDirectories(const std::string& path, unsigned mode) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return SystemError("mkdir", errno, prefix);
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return SystemError("stat", errno, path);
  if (!S_ISDIR(st.st_mode)) return SystemError("mkdir", ENOTDIR, path);
  return {};
}

Result<FileStatus> RealFileSystem::Status(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return SystemError("stat", errno, path);
  return FileStatus{S_ISREG(st.st_mode), static_cast<unsigned>(st.st_uid),
                    static_cast<unsigned>(st.st_mode & 07777)};
}

Result<void> RealFileSystem::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return SystemError("unlink", errno, path);
  return {};
}

}  // namespace automon
