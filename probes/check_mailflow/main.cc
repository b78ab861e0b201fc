// SPDX-License-Identifier: GPL-2.0-or-later
// check_mailflow: the mail round trip of a mail flow (send, receive, age).
// A thin main: parse the command line, build the real collaborators, run
// the mode, print, exit with the state. See check_mailflow(1).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "common/file_system.h"
#include "probes/check_mailflow/curl_mail.h"
#include "probes/check_mailflow/flow.h"
#include "probes/check_mailflow/message.h"
#include "probes/check_mailflow/options.h"
#include "probes/lib/check_result.h"
#include "probes/lib/probe_main.h"
#include "probes/lib/standard_options.h"
#include "probes/lib/watchdog.h"

namespace {

namespace mailflow = automon::mailflow;
namespace probe = automon::probe;

constexpr char kProbe[] = "check_mailflow";

int Print(const probe::CheckResult& result, int verbosity) {
  probe::CheckResult shown = result;
  if (verbosity == 0) shown.long_output.clear();
  std::fputs(probe::FormatNagios(shown).c_str(), stdout);
  std::fflush(stdout);
  return result.state;
}

probe::CheckResult RunMode(const mailflow::Config& config, automon::FileSystem& fs,
                           probe::Deadline deadline) {
  mailflow::StateDirectory state(config.state_dir, fs);
  const mailflow::WallClock now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  const mailflow::StopWatch watch = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  if (config.mode == mailflow::Mode::kAge) return mailflow::RunAge(config, state, now, deadline);

  auto curl = probe::CurlGlobal::Init();
  if (!curl) return probe::ErrorResult({probe::kUnknown, curl.error().message});
  if (config.mode == mailflow::Mode::kSend) {
    auto token = mailflow::NewToken();
    if (!token) return probe::ErrorResult({probe::kUnknown, token.error().message});
    auto sender = mailflow::CurlSmtpSender::Create(*curl, config.server, config.helo);
    if (!sender) return probe::ErrorResult({probe::kUnknown, sender.error().message});
    return mailflow::RunSend(config, *token, **sender, state, now, watch, deadline);
  }
  auto mailbox = mailflow::CurlMailbox::Create(*curl, config.server, config.mailbox);
  if (!mailbox) return probe::ErrorResult({probe::kUnknown, mailbox.error().message});
  return mailflow::RunReceive(config, **mailbox, state, now, watch, deadline);
}

int Run(int argc, char* argv[]) {
  const char* env_password = std::getenv(mailflow::kPasswordEnvironment);
  automon::RealFileSystem fs;
  auto line = mailflow::ParseCommandLine(
      argc, argv, env_password ? std::optional<std::string>(env_password) : std::nullopt, fs);
  if (!line) return Print(probe::ErrorResult({probe::kUnknown, line.error().message}), 0);
  if (auto reply =
          probe::StandardReply(line->standard, kProbe, AUTOMON_VERSION, mailflow::HelpText())) {
    std::fputs(reply->c_str(), stdout);
    return probe::kUnknown;
  }
  const mailflow::Config& config = line->config;
  auto watchdog = probe::Watchdog::Arm(config.timeout.duration,
                                       "Error: " + probe::TimedOutReason(kProbe, config.timeout),
                                       config.timeout.state);
  if (!watchdog) return Print(probe::ErrorResult({probe::kUnknown, watchdog.error().message}), 0);
  // Our own deadline ends before the watchdog, so a slow server gets a
  // precise message and a token that was not sent is withdrawn.
  const auto budget =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout.duration) * 8 / 10;
  return Print(RunMode(config, fs, probe::Deadline::After(budget)), config.verbosity);
}

}  // namespace

int main(int argc, char* argv[]) {
  return probe::GuardedMain([&] { return Run(argc, argv); });
}
