// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/token_state.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "common/testing/temp_dir.h"

namespace automon::mailflow {
namespace {

const std::string kTokenA = "0123456789abcdef0123456789abcdef";
const std::string kTokenB = "fedcba9876543210fedcba9876543210";

using automon::testing::ScopedTempDir;

probe::Deadline Soon() { return probe::Deadline::After(std::chrono::seconds(5)); }

TEST(TokenStateTest, SerializeThenParseGivesTheSameState) {
  TokenState state;
  state.last_sent = 1700000100;
  state.last_received = 1700000050;
  state.outstanding = {Token{kTokenA, 1700000000}, Token{kTokenB, 1700000100}};
  Result<TokenState> parsed = ParseTokenState(SerializeTokenState(state), "state");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, state);
  EXPECT_EQ(*ParseTokenState(SerializeTokenState(TokenState{}), "state"), TokenState{});
}

TEST(TokenStateTest, CommentsAndBlankLinesAreSkipped) {
  Result<TokenState> parsed =
      ParseTokenState("# comment\n\nlast_sent 5\ntoken 5 " + kTokenA + "\n", "state");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->last_sent, 5);
  ASSERT_EQ(parsed->outstanding.size(), 1u);
  EXPECT_EQ(parsed->outstanding[0], (Token{kTokenA, 5}));
}

TEST(TokenStateTest, CorruptLinesAreErrorsWithPathAndLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"last_sent 1\nbogus 2\n", "/x/state:2: unknown record: 'bogus 2'"},
      {"token 1 XYZ\n", "/x/state:1: invalid token: 'token 1 XYZ'"},
      {"token -1 " + kTokenA + "\n", "/x/state:1: invalid time: 'token -1 " + kTokenA + "'"},
      {"last_sent\n", "/x/state:1: expected 'KEY SECONDS': 'last_sent'"},
      {"token 1\n", "/x/state:1: expected 'token SECONDS TOKEN': 'token 1'"},
      {"last_received 12a\n", "/x/state:1: invalid time: 'last_received 12a'"},
  };
  for (const Case& c : cases) {
    Result<TokenState> parsed = ParseTokenState(c.text, "/x/state");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.error().message, c.message) << c.text;
  }
}

TEST(TokenStateTest, ValidTokenIsExactlyThirtyTwoLowerHexDigits) {
  EXPECT_TRUE(ValidToken(kTokenA));
  EXPECT_FALSE(ValidToken(kTokenA.substr(1)));
  EXPECT_FALSE(ValidToken(kTokenA + "0"));
  EXPECT_FALSE(ValidToken("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(ValidToken(""));
}

TEST(StateDirectoryTest, AMissingDirectoryReadsAsEmptyAndIsNotCreated) {
  ScopedTempDir temp;
  RealFileSystem fs;
  StateDirectory state(temp.path() + "/flow", fs);
  Result<TokenState> read = state.Read(Soon());
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, TokenState{});
  EXPECT_FALSE(std::filesystem::exists(temp.path() + "/flow"));
}

TEST(StateDirectoryTest, UpdateCreatesThePrivateDirectoryAndPersists) {
  ScopedTempDir temp;
  RealFileSystem fs;
  StateDirectory state(temp.path() + "/flow", fs);
  Result<TokenState> written = state.Update(Soon(), [](TokenState& s) {
    s.outstanding.push_back(Token{kTokenA, 42});
    s.last_sent = 42;
  });
  ASSERT_TRUE(written.ok()) << written.error().message;

  struct stat info {};
  ASSERT_EQ(::stat((temp.path() + "/flow").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((temp.path() + "/flow/state").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  StateDirectory again(temp.path() + "/flow", fs);
  Result<TokenState> read = again.Read(Soon());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, *written);
  EXPECT_EQ(read->outstanding, (std::vector<Token>{{kTokenA, 42}}));
}

TEST(StateDirectoryTest, UpdateFailsClearlyWhenTheParentIsMissing) {
  ScopedTempDir temp;
  RealFileSystem fs;
  const std::string dir = temp.path() + "/no/such/flow";
  StateDirectory state(dir, fs);
  bool called = false;
  Result<TokenState> written = state.Update(Soon(), [&](TokenState&) { called = true; });
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().message,
            "mkdir(" + temp.path() + "/no/such): No such file or directory");
  EXPECT_FALSE(called);
}

// The registrar scopes flows per host: <mailflow_dir>/<host>/<id>, and the
// host's directory is made by the first check of its flows.
TEST(StateDirectoryTest, UpdateCreatesTheHostsDirectoryToo) {
  ScopedTempDir temp;
  RealFileSystem fs;
  StateDirectory state(temp.path() + "/h.example.org/main", fs);
  Result<TokenState> written = state.Update(Soon(), [](TokenState& s) { s.last_sent = 1; });
  ASSERT_TRUE(written.ok()) << written.error().message;
  struct stat info {};
  ASSERT_EQ(::stat((temp.path() + "/h.example.org").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((temp.path() + "/h.example.org/main/state").c_str(), &info), 0);
}

TEST(StateDirectoryTest, ACorruptStateFileIsReportedAndNotOverwritten) {
  ScopedTempDir temp;
  RealFileSystem fs;
  const std::string dir = temp.path() + "/flow";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  std::ofstream(dir + "/state") << "garbage\n";
  StateDirectory state(dir, fs);
  Result<TokenState> written = state.Update(Soon(), [](TokenState& s) { s.last_sent = 1; });
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().message, dir + "/state:1: unknown record: 'garbage'");
  std::ifstream in(dir + "/state");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "garbage\n");
}

TEST(StateDirectoryTest, AHeldLockMakesUpdateGiveUpAtTheDeadline) {
  ScopedTempDir temp;
  RealFileSystem fs;
  const std::string dir = temp.path() + "/flow";
  StateDirectory state(dir, fs);
  ASSERT_TRUE(state.Update(Soon(), [](TokenState&) {}).ok());
  int fd = ::open((dir + "/lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  Result<TokenState> written =
      state.Update(probe::Deadline::After(std::chrono::milliseconds(100)), [](TokenState&) {});
  Result<TokenState> read = state.Read(probe::Deadline::After(std::chrono::milliseconds(100)));
  ::close(fd);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().message, dir + "/lock: still locked by another check_mailflow run");
  ASSERT_FALSE(read.ok());
  // Released: it works again.
  EXPECT_TRUE(state.Update(Soon(), [](TokenState&) {}).ok());
}

TEST(StateDirectoryTest, ConcurrentUpdatesLoseNoToken) {
  ScopedTempDir temp;
  RealFileSystem fs;
  const std::string dir = temp.path() + "/flow";
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RealFileSystem own_fs;
      StateDirectory state(dir, own_fs);  // own lock fd, as a separate process has
      for (int i = 0; i < kEach; ++i) {
        char token[33];
        std::snprintf(token, sizeof token, "%016x%016x", t, i);
        Result<TokenState> r = state.Update(Soon(), [&](TokenState& s) {
          s.outstanding.push_back(Token{token, t});
        });
        AUTOMON_CHECK(r.ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  StateDirectory state(dir, fs);
  Result<TokenState> read = state.Read(Soon());
  ASSERT_TRUE(read.ok());
  std::set<std::string> seen;
  for (const Token& token : read->outstanding) seen.insert(token.id);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace automon::mailflow
