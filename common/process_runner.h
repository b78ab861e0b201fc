// ProcessRunner: runs an external program without a shell and captures what
// it prints (STYLE.md "Inject I/O"). The registrar runs `nagios4 -v` and the
// reload command through it; tests substitute testing/FakeProcessRunner.
#ifndef AUTOMON_COMMON_PROCESS_RUNNER_H_
#define AUTOMON_COMMON_PROCESS_RUNNER_H_

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
};

class RealProcessRunner final : public ProcessRunner {
 public:
  // At most `max_output` bytes of output are kept; the rest is drained and
  // dropped so the child never blocks on a full pipe.
  explicit RealProcessRunner(size_t max_output = 1 << 20) : max_output_(max_output) {}

  Result<ProcessResult> Run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) override;

 private:
  size_t max_output_;
};

// Splits an administrator-written command line into argv the way a shell
// splits words, without any expansion: blanks separate words, '...' quotes
// literally, "..." quotes with \" and \\ as the only escapes, and a
// backslash outside quotes escapes the next byte. Fails on an unterminated
// quote or a trailing backslash, and on an empty command.
Result<std::vector<std::string>> SplitCommandLine(const std::string& line);

}  // namespace automon

#endif  // AUTOMON_COMMON_PROCESS_RUNNER_H_
