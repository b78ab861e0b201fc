#include "registrar/disk.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <vector>

#include "common/file_system.h"

namespace automon::registrar {

Result<void> RealDisk::MakeDirectory(const std::string& path, unsigned mode) {
  // The mode is set explicitly, never left to the umask (the Debian unit
  // runs with UMask=0027, under which mkdir(0755) gives 0750 and the site
  // user or nagios could not read the directory).
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno != EEXIST) return SystemError("mkdir", errno, path);
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return SystemError("lstat", errno, path);
  if (!S_ISDIR(st.st_mode)) return SystemError("mkdir", ENOTDIR, path);
  // An existing directory of ours gets the mode too (one created earlier
  // under a umask); someone else's is left alone.
  if ((st.st_mode & 07777) != mode && st.st_uid == ::geteuid() &&
      ::chmod(path.c_str(), mode) != 0) {
    return SystemError("chmod", errno, path);
  }
  return {};
}

Result<void> RealDisk::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return {};
  return SystemError("unlink", errno, path);
}

Result<void> RealDisk::RemoveDirectory(const std::string& path) {
  if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return {};
  return SystemError("rmdir", errno, path);
}

Result<bool> RealDisk::SetGroup(const std::string& path, const std::string& group_name) {
  struct group buffer_entry;
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  const int rc =
      ::getgrnam_r(group_name.c_str(), &buffer_entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return SystemError("getgrnam_r", rc, group_name);
  if (found == nullptr) return false;
  if (::chown(path.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0) {
    return SystemError("chown", errno, path);
  }
  return true;
}

Result<void> RealDisk::ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                                    unsigned mode) {
  if (files.empty()) return {};
  // 1. Temporary files beside their targets, named with a leading dot so
  //    no cfg_dir scan reads them.
  std::vector<std::string> temps;
  auto cleanup = [&]() {
    for (const std::string& t : temps) ::unlink(t.c_str());
  };
  UniqueFd last;
  for (const auto& [path, content] : files) {
    const std::string dir = DirectoryOf(path);
    const std::string temp =
        fmt::format("{}/.{}.tmp.{}", dir, path.substr(dir.size() + 1), ::getpid());
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.valid()) {
      const int saved = errno;
      cleanup();
      return SystemError("open", saved, temp);
    }
    temps.push_back(temp);
    if (::fchmod(fd.get(), mode) != 0) {
      const int saved = errno;
      cleanup();
      return SystemError("fchmod", saved, temp);
    }
    if (auto w = WriteAll(fd.get(), content, temp); !w) {
      cleanup();
      return w;
    }
    // A single file is flushed alone; a batch with one syncfs(2) below.
    if (files.size() == 1 && ::fsync(fd.get()) != 0) {
      const int saved = errno;
      cleanup();
      return SystemError("fsync", saved, temp);
    }
    last = std::move(fd);
  }
  // 2. Every temporary file's data is on disk before any rename.
  if (files.size() > 1 && ::syncfs(last.get()) != 0) {
    const int saved = errno;
    cleanup();
    return SystemError("syncfs", saved, temps.back());
  }
  last.Reset();
  // 3. Renames, then the directories.
  std::vector<std::string> directories;
  std::set<std::string> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    if (::rename(temps[i].c_str(), files[i].first.c_str()) != 0) {
      const int saved = errno;
      for (size_t j = i; j < temps.size(); ++j) ::unlink(temps[j].c_str());
      return SystemError("rename", saved, files[i].first);
    }
    if (seen.insert(DirectoryOf(files[i].first)).second) {
      directories.push_back(DirectoryOf(files[i].first));
    }
  }
  // One directory: fsync it. Several: one more syncfs(2) makes every
  // rename durable at once.
  UniqueFd dirfd(::open(directories.front().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.valid()) return SystemError("open", errno, directories.front());
  if (directories.size() == 1 ? ::fsync(dirfd.get()) != 0 : ::syncfs(dirfd.get()) != 0) {
    return SystemError(directories.size() == 1 ? "fsync" : "syncfs", errno, directories.front());
  }
  return {};
}

Result<void> RealDisk::WriteScratchFile(const std::string& path, const std::string& content) {
  // Replace rather than truncate, so a reader never sees a half-written file.
  const std::string temp = path + ".new";
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) return SystemError("open", errno, temp);
    // 0644 whatever the umask: nagios -v and the site read the staged files.
    if (::fchmod(fd.get(), 0644) != 0) return SystemError("fchmod", errno, temp);
    size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return SystemError("write", errno, temp);
      }
      done += static_cast<size_t>(n);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) return SystemError("rename", errno, path);
  return {};
}

Result<std::string> RealDisk::ReadStateFile(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: a FIFO put in place of a state file must not hang us.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ELOOP) {
      return Error{fmt::format("{}: is a symbolic link; the registrar's state files are never "
                               "followed",
                               path),
                   ELOOP};
    }
    return SystemError("open", errno, path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return SystemError("fstat", errno, path);
  if (!S_ISREG(st.st_mode)) return Error{fmt::format("{}: is not a regular file", path)};
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

Result<UniqueFd> RealDisk::Lock(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return SystemError("open", errno, path);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return SystemError("flock", errno, path);
  }
  return fd;
}

Result<UniqueFd> RealDisk::LockShared(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return SystemError("open", errno, path);
  while (::flock(fd.get(), LOCK_SH) != 0) {
    if (errno != EINTR) return SystemError("flock", errno, path);
  }
  return fd;
}

Result<bool> RealDisk::IsLockFree(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return true;
    return SystemError("open", errno, path);
  }
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return false;
    if (errno != EINTR) return SystemError("flock", errno, path);
  }
  return true;  // released with the descriptor
}

}  // namespace automon::registrar
