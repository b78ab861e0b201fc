// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/process_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "common/parallel.h"
#include "common/unique_fd.h"

extern char** environ;

namespace automon {
namespace {

// Owns posix_spawn_file_actions_t / posix_spawnattr_t for one spawn.
struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
};
struct SpawnAttributes {
  posix_spawnattr_t attr;
  SpawnAttributes() { posix_spawnattr_init(&attr); }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Result<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return Error{"cannot run an empty command"};
  SpawnActions actions;
  if (options.null_stdin) {
    posix_spawn_file_actions_addopen(&actions.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (options.stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions.actions, options.stdout_fd, 1);
  }
  if (options.stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions.actions, options.stderr_fd, 2);
  }
  SpawnAttributes attributes;
  short flags = POSIX_SPAWN_SETSIGMASK;
  if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attributes.attr, 0);
  }
  posix_spawnattr_setflags(&attributes.attr, flags);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes.attr, &empty);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      options.search_path
          ? ::posix_spawnp(&pid, args[0], &actions.actions, &attributes.attr, args.data(), environ)
          : ::posix_spawn(&pid, args[0], &actions.actions, &attributes.attr, args.data(), environ);
  if (spawned != 0) return SystemError("posix_spawn", spawned, argv[0]);
  return pid;
}

std::vector<Result<ProcessResult>> RealProcessRunner::RunAll(
    const std::vector<std::vector<std::string>>& commands, std::chrono::milliseconds timeout) {
  std::vector<std::optional<Result<ProcessResult>>> done(commands.size());
  ParallelFor(
      commands.size(), static_cast<unsigned>(commands.size()),
      [&](size_t i) { done[i] = Run(commands[i], timeout); }, /*min_parallel=*/2);
  std::vector<Result<ProcessResult>> results;
  results.reserve(done.size());
  for (auto& d : done) results.push_back(std::move(*d));
  return results;
}

Result<ProcessResult> RealProcessRunner::Run(const std::vector<std::string>& argv,
                                             std::chrono::milliseconds timeout) {
  if (argv.empty()) return Error{"cannot run an empty command"};
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return SystemError("pipe2", errno, argv[0]);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  SpawnOptions options;
  options.null_stdin = true;
  options.stdout_fd = write_end.get();
  options.stderr_fd = write_end.get();
  // A process group of its own, so a timeout kills the grandchildren too.
  options.new_process_group = true;
  const Result<pid_t> child = Spawn(argv, options);
  if (!child) return child.error();
  const pid_t pid = *child;
  write_end.Reset();

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const size_t room = max_output_ - std::min(max_output_, result.output.size());
    result.output.append(buffer, std::min(room, static_cast<size_t>(n)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return SystemError("waitpid", errno, argv[0]);
  }
  result.exit_code = ExitCodeOf(status);
  return result;
}

Result<std::vector<std::string>> SplitCommandLine(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == line.size()) return Error{fmt::format("trailing backslash in '{}'", line)};
      word += line[i];
    } else if (c == '\'') {
      const size_t close = line.find('\'', i + 1);
      if (close == std::string::npos) return Error{fmt::format("unterminated ' in '{}'", line)};
      word += line.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == line.size()) return Error{fmt::format("unterminated \" in '{}'", line)};
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
          ++i;
        }
        word += line[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return Error{"empty command"};
  return words;
}

}  // namespace automon
