// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/disk.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/file_system.h"
#include "common/parallel.h"

namespace automon::registrar {

Result<bool> Disk::WaitUntilLockFree(const std::string& path,
                                     std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    auto free = IsLockFree(path);
    if (!free || *free) return free;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        kLockPollInterval, deadline - std::chrono::steady_clock::now()));
  }
  return false;
}

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

namespace {

constexpr gid_t kKeepGroup = static_cast<gid_t>(-1);
// Batches smaller than this are flushed file by file (fsync); larger ones
// with one syncfs(2), which also waits for everything else the file system
// holds dirty (other programs' writes on a busy server).
constexpr size_t kSmallBatch = 8;

// Makes the renames into `directories` durable.
Result<void> SyncDirectories(const std::set<std::string>& directories, bool small) {
  for (const std::string& dir : directories) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return SystemError("open", errno, dir);
    if (!small) {
      if (::syncfs(fd.get()) != 0) return SystemError("syncfs", errno, dir);
      return {};
    }
    if (::fsync(fd.get()) != 0) return SystemError("fsync", errno, dir);
  }
  return {};
}

// ReplaceFiles, with the group of each new file set before it is renamed
// into place (kKeepGroup: the process's).
Result<void> ReplaceBatch(const std::vector<std::pair<std::string, std::string>>& files,
                          unsigned mode, gid_t gid) {
  if (files.empty()) return {};
  // 1. Temporary files beside their targets, named with a leading dot so
  //    no cfg_dir scan reads them. Created 0600; the group, then the mode,
  //    are set once the content is in.
  const pid_t pid = ::getpid();
  std::vector<std::string> temps;
  temps.reserve(files.size());
  auto cleanup = [&]() {
    for (const std::string& t : temps) ::unlink(t.c_str());
  };
  UniqueFd last;
  for (const auto& [path, content] : files) {
    const size_t slash = path.rfind('/');
    const std::string temp =
        slash == std::string::npos
            ? fmt::format(".{}.tmp.{}", path, pid)
            : fmt::format("{}/.{}.tmp.{}", std::string_view(path).substr(0, slash),
                          std::string_view(path).substr(slash + 1), pid);
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      const int saved = errno;
      cleanup();
      return SystemError("open", saved, temp);
    }
    temps.push_back(temp);
    if (auto w = WriteAll(fd.get(), content, temp); !w) {
      cleanup();
      return w;
    }
    if (gid != kKeepGroup && ::fchown(fd.get(), static_cast<uid_t>(-1), gid) != 0) {
      const int saved = errno;
      cleanup();
      return SystemError("fchown", saved, temp);
    }
    // The mode whatever the umask (and after fchown, which may clear bits).
    if (::fchmod(fd.get(), mode) != 0) {
      const int saved = errno;
      cleanup();
      return SystemError("fchmod", saved, temp);
    }
    // A small batch is flushed file by file; a large one with one syncfs(2) below.
    if (files.size() < kSmallBatch && ::fsync(fd.get()) != 0) {
      const int saved = errno;
      cleanup();
      return SystemError("fsync", saved, temp);
    }
    last = std::move(fd);
  }
  // 2. Every temporary file's data is on disk before any rename.
  if (files.size() >= kSmallBatch && ::syncfs(last.get()) != 0) {
    const int saved = errno;
    cleanup();
    return SystemError("syncfs", saved, temps.back());
  }
  last.Reset();
  // 3. Renames, then the directories.
  std::set<std::string> directories;
  for (size_t i = 0; i < files.size(); ++i) {
    if (::rename(temps[i].c_str(), files[i].first.c_str()) != 0) {
      const int saved = errno;
      for (size_t j = i; j < temps.size(); ++j) ::unlink(temps[j].c_str());
      return SystemError("rename", saved, files[i].first);
    }
    directories.insert(DirectoryOf(files[i].first));
  }
  return SyncDirectories(directories, files.size() < kSmallBatch);
}

// Creates each file of `files` under its own name (O_EXCL): for files in a
// directory this batch has just made, where no reader can have an older
// version and nothing refers to them yet, so the temporary file and rename
// of ReplaceBatch buy nothing. A crash leaves at worst a short file that
// the next batch, finding the directory already there, rewrites (it is not
// AlreadyRight). Flushed like ReplaceBatch: fsync per file for a small
// batch, one syncfs for a large one.
Result<void> CreateFiles(const std::vector<std::pair<std::string, std::string>>& files,
                         unsigned mode, gid_t gid) {
  if (files.empty()) return {};
  const bool small = files.size() < kSmallBatch;
  // Files in directories of their own: a large batch is spread over the
  // cores (creating an inode is most of the cost), each file's error kept
  // so that the first in order is the one reported.
  std::vector<std::optional<Error>> failed(files.size());
  ParallelFor(
      files.size(), kEveryCore,
      [&](size_t i) {
        const auto& [path, content] = files[i];
        UniqueFd fd(
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        Result<void> r;
        if (!fd.valid()) r = SystemError("open", errno, path);
        if (r) r = WriteAll(fd.get(), content, path);
        if (r && gid != kKeepGroup && ::fchown(fd.get(), static_cast<uid_t>(-1), gid) != 0) {
          r = SystemError("fchown", errno, path);
        }
        if (r && ::fchmod(fd.get(), mode) != 0) r = SystemError("fchmod", errno, path);
        if (r && small && ::fsync(fd.get()) != 0) r = SystemError("fsync", errno, path);
        if (!r) failed[i] = r.error();
      },
      kSmallBatch);
  for (const std::optional<Error>& e : failed) {
    if (e) return *e;
  }
  if (!small) return SyncDirectories({DirectoryOf(files.front().first)}, false);  // one syncfs
  std::set<std::string> directories;
  for (const auto& f : files) directories.insert(DirectoryOf(f.first));
  return SyncDirectories(directories, true);
}

// True when `path` is a regular file with exactly `content`, `mode` and
// (unless kKeepGroup) `gid`. Any failure to tell is "no": it is rewritten.
bool AlreadyRight(const std::string& path, const std::string& content, unsigned mode, gid_t gid) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode ||
      (gid != kKeepGroup && st.st_gid != gid) ||
      static_cast<size_t>(st.st_size) != content.size()) {
    return false;
  }
  std::string buffer(content.size() + 1, '\0');
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return done == content.size() && std::string_view(buffer.data(), done) == content;
}

}  // namespace

Result<void> RealDisk::ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                                    unsigned mode) {
  return ReplaceBatch(files, mode, kKeepGroup);
}

Result<void> RealDisk::PublishStagedFiles(const std::vector<StagedFile>& files, unsigned mode) {
  if (files.empty()) return {};
  // 1. The staged data on disk before any rename (a small batch: fsync
  //    each file; a large one: one syncfs).
  const bool small = files.size() < kSmallBatch;
  for (const StagedFile& f : files) {
    UniqueFd fd(::open(f.staged.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return SystemError("open", errno, f.staged);
    if (small ? ::fsync(fd.get()) != 0 : ::syncfs(fd.get()) != 0) {
      return SystemError(small ? "fsync" : "syncfs", errno, f.staged);
    }
    if (!small) break;
  }
  // 2. Renames; what cannot be renamed across file systems is written.
  std::vector<std::pair<std::string, std::string>> copies;
  std::set<std::string> directories;
  for (const StagedFile& f : files) {
    if (::rename(f.staged.c_str(), f.live.c_str()) == 0) {
      directories.insert(DirectoryOf(f.live));
      continue;
    }
    if (errno != EXDEV) return SystemError("rename", errno, f.live);
    copies.emplace_back(f.live, *f.content);
    ::unlink(f.staged.c_str());  // scratch: best effort
  }
  if (auto w = ReplaceBatch(copies, mode, kKeepGroup); !w) return w;
  // 3. The renames durable.
  return SyncDirectories(directories, small);
}

Result<size_t> RealDisk::WriteGroupFiles(const GroupFiles& batch) {
  gid_t gid = kKeepGroup;
  {
    struct group entry;
    struct group* found = nullptr;
    std::vector<char> buffer(16384);
    const int rc = ::getgrnam_r(batch.group.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc != 0) return SystemError("getgrnam_r", rc, batch.group);
    if (found != nullptr) gid = found->gr_gid;
  }
  // Directories made here hold no file yet: theirs are created in place
  // (CreateFiles), without the look for an existing copy or the rename.
  // One directory per host: a large batch is spread over the cores, as
  // its files are (CreateFiles).
  const uid_t self = ::geteuid();
  std::vector<char> made_here(batch.directories.size(), 0);
  std::vector<std::optional<Error>> failed(batch.directories.size());
  ParallelFor(
      batch.directories.size(), kEveryCore,
      [&](size_t i) {
        const std::string& dir = batch.directories[i];
        if (::mkdir(dir.c_str(), batch.directory_mode) == 0) {
          made_here[i] = 1;
        } else if (errno != EEXIST) {
          failed[i] = SystemError("mkdir", errno, dir);
          return;
        }
        struct stat st;
        if (::lstat(dir.c_str(), &st) != 0) {
          failed[i] = SystemError("lstat", errno, dir);
        } else if (!S_ISDIR(st.st_mode)) {
          failed[i] = SystemError("mkdir", ENOTDIR, dir);
        } else if (st.st_uid != self) {
          return;  // someone else's: left alone
        } else if (gid != kKeepGroup && st.st_gid != gid &&
                   ::chown(dir.c_str(), static_cast<uid_t>(-1), gid) != 0) {
          failed[i] = SystemError("chown", errno, dir);
        } else if ((st.st_mode & 07777) != batch.directory_mode &&
                   ::chmod(dir.c_str(), batch.directory_mode) != 0) {
          failed[i] = SystemError("chmod", errno, dir);
        }
      },
      kSmallBatch);
  for (const std::optional<Error>& e : failed) {
    if (e) return *e;
  }
  std::set<std::string> made;
  for (size_t i = 0; i < made_here.size(); ++i) {
    if (made_here[i]) made.insert(batch.directories[i]);
  }
  std::vector<std::pair<std::string, std::string>> changed;
  std::vector<std::pair<std::string, std::string>> created;
  for (const auto& [path, content] : batch.files) {
    if (made.count(DirectoryOf(path))) {
      created.emplace_back(path, content);
    } else if (!AlreadyRight(path, content, batch.file_mode, gid)) {
      changed.emplace_back(path, content);
    }
  }
  if (auto w = CreateFiles(created, batch.file_mode, gid); !w) return w.error();
  if (auto w = ReplaceBatch(changed, batch.file_mode, gid); !w) return w.error();
  return changed.size() + created.size();
}

Result<void> RealDisk::WriteScratchFile(const std::string& path, const std::string& content) {
  // 0644 whatever the umask: nagios -v and the site read the staged files.
  return WriteVolatileFile(path, content, 0644);
}

namespace {

// WriteVolatileFile's work, on a view of the content.
Result<void> WriteNewFile(const std::string& path, std::string_view content, unsigned mode) {
  // A new inode rather than truncating the old one, so a reader of an
  // earlier version never sees a half-written file. Staged files are
  // usually renamed away (PublishStagedFiles), so the file is usually new
  // and no second name and rename are needed; an older one left over is
  // unlinked and the file created again.
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
  UniqueFd fd(::open(path.c_str(), kFlags, mode & 0777));
  if (!fd.valid() && errno == EEXIST) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return SystemError("unlink", errno, path);
    fd = UniqueFd(::open(path.c_str(), kFlags, mode & 0777));
  }
  if (!fd.valid()) return SystemError("open", errno, path);
  if (::fchmod(fd.get(), mode & 0777) != 0) return SystemError("fchmod", errno, path);
  return WriteAll(fd.get(), content, path);
}

}  // namespace

Result<void> RealDisk::WriteScratchFiles(
    const std::vector<std::pair<std::string, std::string_view>>& files) {
  std::vector<std::optional<Error>> failed(files.size());
  ParallelFor(
      files.size(), kEveryCore,
      [&](size_t i) {
        if (auto w = WriteNewFile(files[i].first, files[i].second, 0644); !w) failed[i] = w.error();
      },
      kSmallBatch);
  for (const std::optional<Error>& e : failed) {
    if (e) return *e;
  }
  return {};
}

Result<void> RealDisk::WriteVolatileFile(const std::string& path, const std::string& content,
                                         unsigned mode) {
  return WriteNewFile(path, content, mode);
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

RealDisk::Waiters& RealDisk::WaitersOf(const std::string& path) {
  std::lock_guard guard(waiters_mutex_);
  std::unique_ptr<Waiters>& w = waiters_[path];
  if (!w) w = std::make_unique<Waiters>();
  return *w;
}

Result<bool> RealDisk::WaitUntilLockFree(const std::string& path,
                                         std::chrono::steady_clock::time_point deadline) {
  return WaitersOf(path).poll.WaitUntil([&] { return IsLockFree(path); }, deadline);
}

Result<UniqueFd> RealDisk::Lock(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return SystemError("open", errno, path);
  // Held only while waiting: the next thread then waits in flock(2) until
  // this one's descriptor is closed.
  std::lock_guard queue(WaitersOf(path).queue);
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
