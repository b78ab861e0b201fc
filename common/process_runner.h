// SPDX-License-Identifier: GPL-2.0-or-later
// ProcessRunner: runs an external program without a shell and captures what
// it prints (STYLE.md "Inject I/O"). The registrar runs `nagios4 -v` and the
// reload command through it; tests substitute testing/FakeProcessRunner.
#ifndef AUTOMON_COMMON_PROCESS_RUNNER_H_
#define AUTOMON_COMMON_PROCESS_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"

namespace automon {

struct ProcessResult {
  // The exit status when the program exited; 128 + signal number when a
  // signal ended it (as the shell reports it).
  int exit_code = 0;
  bool timed_out = false;
  // stdout and stderr interleaved, cut at the runner's output limit.
  std::string output;

  bool operator==(const ProcessResult&) const = default;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;

  // Runs argv[0] (looked up in PATH when it has no '/') with `argv`, no
  // shell, stdin from /dev/null. After `timeout` the process group is killed
  // (SIGKILL) and timed_out is set. Returns an Error only when the program
  // could not be started at all; a non-zero exit is a ProcessResult. Thread
  // safety: implementations are safe to call from one thread at a time.
  virtual Result<ProcessResult> Run(const std::vector<std::string>& argv,
                                    std::chrono::milliseconds timeout) = 0;

  // Runs each command of `commands` as Run does, and returns their results
  // in the same order. RealProcessRunner runs them at the same time (work
  // split over the machine's cores); this default runs them one by one.
  virtual std::vector<Result<ProcessResult>> RunAll(
      const std::vector<std::vector<std::string>>& commands, std::chrono::milliseconds timeout) {
    std::vector<Result<ProcessResult>> results;
    for (const auto& argv : commands) results.push_back(Run(argv, timeout));
    return results;
  }
};

class RealProcessRunner final : public ProcessRunner {
 public:
  // At most `max_output` bytes of output are kept; the rest is drained and
  // dropped so the child never blocks on a full pipe.
  explicit RealProcessRunner(size_t max_output = 1 << 20) : max_output_(max_output) {}

  Result<ProcessResult> Run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) override;
  // Each command on a thread of its own (Run keeps no state between calls).
  std::vector<Result<ProcessResult>> RunAll(const std::vector<std::vector<std::string>>& commands,
                                            std::chrono::milliseconds timeout) override;

 private:
  size_t max_output_;
};

// How Spawn() starts a program. The defaults give the child the caller's
// stdin, stdout, stderr and process group.
struct SpawnOptions {
  // Looks argv[0] up in PATH when it has no '/' (posix_spawnp); false runs
  // exactly the path argv[0] names (posix_spawn).
  bool search_path = true;
  // stdin from /dev/null instead of the caller's.
  bool null_stdin = false;
  // Descriptors that become the child's stdout and stderr; -1 keeps the
  // caller's. The caller keeps ownership (close the write end after Spawn).
  int stdout_fd = -1;
  int stderr_fd = -1;
  // The child leads a process group of its own, so that kill(-pid, ...)
  // also reaches the processes it starts.
  bool new_process_group = false;
};

// Starts argv[0] with `argv` and the caller's environment, without a shell,
// with an empty signal mask whatever the caller blocks (daemons block the
// signals they wait for). Returns the child's pid, which the caller must
// reap with waitpid(). Errors: an empty argv, and
// SystemError("posix_spawn", errno, argv[0]) when the program cannot be
// started (missing, not executable, ...). The process spawning primitive
// of the tree: RealProcessRunner and automon-agent-run both use it.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// Splits an administrator-written command line into argv the way a shell
// splits words, without any expansion: blanks separate words, '...' quotes
// literally, "..." quotes with \" and \\ as the only escapes, and a
// backslash outside quotes escapes the next byte. Fails on an unterminated
// quote or a trailing backslash, and on an empty command.
Result<std::vector<std::string>> SplitCommandLine(const std::string& line);

}  // namespace automon

#endif  // AUTOMON_COMMON_PROCESS_RUNNER_H_
