#include "common/process_runner.h"

#include <gtest/gtest.h>

#include "common/testing/fake_process_runner.h"

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
