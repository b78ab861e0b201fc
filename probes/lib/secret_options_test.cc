// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/secret_options.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "common/testing/fake_file_system.h"

namespace automon::probe {
namespace {

TEST(ReadPasswordFileTest, OneLineWithoutItsNewline) {
  testing::FakeFileSystem fs;
  fs.AddFile("/p/lf", "s3cret\n");
  fs.AddFile("/p/crlf", "s3cret\r\n");
  fs.AddFile("/p/bare", "s3cret");
  for (const char* path : {"/p/lf", "/p/crlf", "/p/bare"})
    EXPECT_EQ(*ReadPasswordFile(fs, path), "s3cret");
}

TEST(ReadPasswordFileTest, ErrorsNeverQuoteTheContent) {
  testing::FakeFileSystem fs;
  fs.AddFile("/p/empty", "\n");
  fs.AddFile("/p/two", "s3cret\nmore\n");
  fs.AddFile("/p/locked", "s3cret\n");
  fs.FailWith("/p/locked", EACCES);
  EXPECT_EQ(ReadPasswordFile(fs, "/p/empty").error().message,
            "--password-file '/p/empty' is empty");
  EXPECT_EQ(ReadPasswordFile(fs, "/p/two").error().message,
            "--password-file '/p/two' holds more than one line");
  EXPECT_EQ(ReadPasswordFile(fs, "/p/locked").error().message,
            "cannot read --password-file: open(/p/locked): Permission denied");
  EXPECT_EQ(ReadPasswordFile(fs, "/p/none").error().message,
            "cannot read --password-file: open(/p/none): No such file or directory");
}

TEST(RejectAbbreviationsTest, LongOptionsMustBeSpeltOut) {
  static const option kOptions[] = {
      {"password-file", required_argument, nullptr, 1},
      {"insecure", no_argument, nullptr, 2},
      {nullptr, 0, nullptr, 0},
  };
  auto check = [&](std::vector<std::string> args) {
    std::vector<char*> argv{const_cast<char*>("probe")};
    for (auto& a : args) argv.push_back(a.data());
    return RejectAbbreviations(static_cast<int>(argv.size()), argv.data(), kOptions, "tw");
  };
  EXPECT_TRUE(check({"--password-file", "/f", "--insecure"}).ok());
  EXPECT_TRUE(check({"--password-file=/f"}).ok());
  // The prefix getopt_long would take, with a secret after it: refused,
  // and the secret is not in the message.
  const auto abbreviated = check({"--password", "hunter2"});
  ASSERT_FALSE(abbreviated.ok());
  EXPECT_EQ(abbreviated.error().message, "unknown option '--password' (see --help)");
  const auto with_value = check({"--pass=hunter2"});
  ASSERT_FALSE(with_value.ok());
  EXPECT_EQ(with_value.error().message.find("hunter2"), std::string::npos);
  // Values are skipped, whatever they look like.
  EXPECT_TRUE(check({"-w", "--oops", "--password-file", "--insecure"}).ok());
  EXPECT_TRUE(check({"--", "--anything"}).ok());
}

}  // namespace
}  // namespace automon::probe
