// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/process_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/testing/fake_process_runner.h"
#include "common/text.h"
#include "common/unique_fd.h"

namespace automon {
namespace {

using std::chrono::milliseconds;

TEST(ProcessRunnerTest, CapturesOutputAndExitCode) {
  RealProcessRunner runner;
  auto result = runner.Run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->output, "out\nerr\n");
}

TEST(ProcessRunnerTest, NoShellIsInvolved) {
  RealProcessRunner runner;
  auto result = runner.Run({"echo", "$(id)", "`x`", "a;b"}, milliseconds(5000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->output, "$(id) `x` a;b\n");
}

TEST(ProcessRunnerTest, TimeoutKillsTheProcessGroup) {
  RealProcessRunner runner;
  const auto start = std::chrono::steady_clock::now();
  auto result = runner.Run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, milliseconds(200));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->exit_code, 128 + 9);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ProcessRunnerTest, MissingProgramIsAnError) {
  RealProcessRunner runner;
  auto result = runner.Run({"/nonexistent/program"}, milliseconds(1000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "posix_spawn(/nonexistent/program): No such file or directory");
}

TEST(ProcessRunnerTest, OutputIsCutAtTheLimit) {
  RealProcessRunner runner(10);
  auto result = runner.Run({"/bin/sh", "-c", "yes | head -c 100000"}, milliseconds(5000));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->output, "y\ny\ny\ny\ny\n");
  EXPECT_EQ(result->exit_code, 0);
}

// Runs `argv` through Spawn() with stdout into a pipe; the output and the
// wait status.
std::pair<std::string, int> SpawnAndWait(const std::vector<std::string>& argv,
                                         SpawnOptions options) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  options.stdout_fd = write_end.get();
  const Result<pid_t> pid = Spawn(argv, options);
  if (!pid) return {pid.error().message, -1};
  write_end.Reset();
  std::string out;
  char buffer[256];
  ssize_t n;
  while ((n = ::read(read_end.get(), buffer, sizeof buffer)) > 0) out.append(buffer, n);
  int status = 0;
  EXPECT_EQ(::waitpid(*pid, &status, 0), *pid);
  return {out, status};
}

TEST(ProcessRunnerTest, RunAllRunsTheCommandsAtTheSameTime) {
  // The first waits (up to 20 s) for a file that only the second makes: it
  // succeeds only if both run together. Results come in the commands' order.
  char dir_template[] = "/tmp/automon-runall-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string flag = std::string(dir_template) + "/flag";
  const std::string wait =
      "i=0; while [ ! -e \"$1\" ]; do i=$((i+1)); [ $i -gt 400 ] && exit 1; sleep 0.05; done; "
      "echo seen";
  RealProcessRunner runner;
  auto results = runner.RunAll({{"/bin/sh", "-c", wait, "sh", flag},
                                {"/bin/sh", "-c", "touch \"$1\"; echo made", "sh", flag},
                                {"/nonexistent/automon-program"}},
                               std::chrono::seconds(30));
  ::unlink(flag.c_str());
  ::rmdir(dir_template);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->exit_code, 0);
  EXPECT_EQ(results[0]->output, "seen\n");
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->output, "made\n");
  EXPECT_FALSE(results[2].ok()) << "a program that cannot start is an error in its place";
}

TEST(SpawnTest, RunsWithoutAShellAndGivesThePid) {
  const auto [out, status] = SpawnAndWait({"/bin/sh", "-c", "echo $1; exit 4", "sh", "$(id)"}, {});
  EXPECT_EQ(out, "$(id)\n");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

TEST(SpawnTest, ChildStartsWithAnEmptySignalMask) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  const auto [out, status] = SpawnAndWait({"grep", "^SigBlk:", "/proc/self/status"}, {});
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(out, "SigBlk:\t0000000000000000\n");
}

TEST(SpawnTest, NewProcessGroupOnlyWhenAsked) {
  SpawnOptions own;
  own.new_process_group = true;
  // The child prints its pid and its process group.
  const std::vector<std::string> argv = {
      "/bin/sh", "-c", "read -r pid comm state ppid pgrp rest < /proc/$$/stat; echo $pid $pgrp"};
  const auto [leader, s1] = SpawnAndWait(argv, own);
  const std::vector<std::string_view> words = SplitWords(TrimSpace(leader));
  ASSERT_EQ(words.size(), 2u) << leader;
  EXPECT_EQ(words[0], words[1]);
  const auto [member, s2] = SpawnAndWait(argv, {});
  EXPECT_EQ(TrimSpace(member).substr(TrimSpace(member).find(' ') + 1), std::to_string(::getpgrp()));
}

TEST(SpawnTest, NullStdinReadsNothing) {
  SpawnOptions options;
  options.null_stdin = true;
  const auto [out, status] = SpawnAndWait({"/bin/sh", "-c", "wc -c"}, options);
  EXPECT_EQ(TrimSpace(out), "0");
}

TEST(SpawnTest, SearchesPathOnlyWhenAsked) {
  EXPECT_EQ(SpawnAndWait({"echo", "found"}, {}).first, "found\n");
  SpawnOptions exact;
  exact.search_path = false;
  EXPECT_EQ(SpawnAndWait({"echo", "found"}, exact).first,
            "posix_spawn(echo): No such file or directory");
}

TEST(SpawnTest, MissingProgramAndEmptyArgvAreErrors) {
  Result<pid_t> missing = Spawn({"/nonexistent/program"}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "posix_spawn(/nonexistent/program): No such file or directory");
  EXPECT_EQ(missing.error().errnum, ENOENT);
  Result<pid_t> empty = Spawn({}, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "cannot run an empty command");
}

TEST(SplitCommandLineTest, SplitsLikeAShellWithoutExpansion) {
  struct Case {
    std::string line;
    std::vector<std::string> words;
  };
  const Case cases[] = {
      {"nagios4 -v {config}", {"nagios4", "-v", "{config}"}},
      {"  a\t b  ", {"a", "b"}},
      {"sh -c 'kill -HUP $(cat /run/x.pid)'", {"sh", "-c", "kill -HUP $(cat /run/x.pid)"}},
      {R"(a "b \"c\" \\ d" e\ f)", {"a", R"(b "c" \ d)", "e f"}},
      {"x''y", {"xy"}},
  };
  for (const Case& c : cases) {
    auto words = SplitCommandLine(c.line);
    ASSERT_TRUE(words.ok()) << c.line;
    EXPECT_EQ(*words, c.words) << c.line;
  }
}

TEST(SplitCommandLineTest, RejectsBrokenQuoting) {
  EXPECT_EQ(SplitCommandLine("a 'b").error().message, "unterminated ' in 'a 'b'");
  EXPECT_EQ(SplitCommandLine("a \"b").error().message, "unterminated \" in 'a \"b'");
  EXPECT_EQ(SplitCommandLine("a b\\").error().message, "trailing backslash in 'a b\\'");
  EXPECT_EQ(SplitCommandLine("   ").error().message, "empty command");
}

TEST(FakeProcessRunnerTest, RecordsCallsAndAnswersByProgram) {
  testing::FakeProcessRunner fake;
  fake.On("nagios4", [](const std::vector<std::string>&) {
    return Result<ProcessResult>(ProcessResult{1, false, "Error: x"});
  });
  auto a = fake.Run({"nagios4", "-v"}, milliseconds(1));
  auto b = fake.Run({"other"}, milliseconds(1));
  EXPECT_EQ(a->exit_code, 1);
  EXPECT_EQ(b->exit_code, 0);
  EXPECT_EQ(fake.calls().size(), 2u);
  EXPECT_EQ(fake.calls()[0][1], "-v");
}

}  // namespace
}  // namespace automon
