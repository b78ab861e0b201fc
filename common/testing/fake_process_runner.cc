// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/testing/fake_process_runner.h"

namespace automon::testing {

void FakeProcessRunner::On(const std::string& program, Handler handler) {
  rules_.emplace_back(program, std::move(handler));
}

Result<ProcessResult> FakeProcessRunner::Run(const std::vector<std::string>& argv,
                                             std::chrono::milliseconds /*timeout*/) {
  calls_.push_back(argv);
  for (const auto& [program, handler] : rules_) {
    if (!argv.empty() && argv[0] == program) return handler(argv);
  }
  return ProcessResult{};
}

}  // namespace automon::testing
