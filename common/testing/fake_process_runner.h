// SPDX-License-Identifier: GPL-2.0-or-later
// FakeProcessRunner: a scripted ProcessRunner for unit tests. Each call is
// recorded; the reply comes from the first rule whose program matches
// argv[0], or the default (exit 0, no output).
#ifndef AUTOMON_COMMON_TESTING_FAKE_PROCESS_RUNNER_H_
#define AUTOMON_COMMON_TESTING_FAKE_PROCESS_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "common/process_runner.h"

namespace automon::testing {

class FakeProcessRunner final : public ProcessRunner {
 public:
  using Handler = std::function<Result<ProcessResult>(const std::vector<std::string>& argv)>;

  // Calls with argv[0] == `program` are answered by `handler`.
  void On(const std::string& program, Handler handler);

  Result<ProcessResult> Run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) override;

  const std::vector<std::vector<std::string>>& calls() const { return calls_; }

 private:
  std::vector<std::pair<std::string, Handler>> rules_;
  std::vector<std::vector<std::string>> calls_;
};

}  // namespace automon::testing

#endif  // AUTOMON_COMMON_TESTING_FAKE_PROCESS_RUNNER_H_
