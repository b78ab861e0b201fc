// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/options.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/testing/fake_file_system.h"

namespace automon::guacamole {
namespace {

// Owns mutable copies of the arguments, as argv would be.
class Argv {
 public:
  explicit Argv(std::vector<std::string> args) : storage_(std::move(args)) {
    storage_.insert(storage_.begin(), "check_guacamole");
    for (std::string& s : storage_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage_.size()); }
  char** argv() { return pointers_.data(); }
  const std::vector<std::string>& storage() const { return storage_; }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

class OptionsTest : public ::testing::Test {
 protected:
  Result<CommandLine> Parse(std::vector<std::string> args,
                            std::optional<std::string> env = std::nullopt) {
    argv_ = std::make_unique<Argv>(std::move(args));
    return ParseCommandLine(argv_->argc(), argv_->argv(), env, fs_);
  }
  std::string ErrorOf(std::vector<std::string> args,
                      std::optional<std::string> env = std::string("pw")) {
    Result<CommandLine> line = Parse(std::move(args), env);
    return line.ok() ? "(parsed)" : line.error().message;
  }

  testing::FakeFileSystem fs_;
  std::unique_ptr<Argv> argv_;
};

TEST_F(OptionsTest, Defaults) {
  Result<CommandLine> line = Parse({"-H", "guac.example.org", "--username", "mon"}, "pw");
  ASSERT_TRUE(line.ok()) << line.error().message;
  Config expected;
  expected.host = "guac.example.org";
  expected.username = "mon";
  expected.password = "pw";
  EXPECT_EQ(line->config, expected);
  EXPECT_EQ(line->standard, probe::StandardOptions{});
}

TEST_F(OptionsTest, EveryOption) {
  fs_.AddFile("/run/secret", "s3cret\n");
  Result<CommandLine> line = Parse({"--host",
                                    "10.1.2.3",
                                    "--username=mon",
                                    "--password-file",
                                    "/run/secret",
                                    "--protocol",
                                    "https",
                                    "--port",
                                    "8443",
                                    "--data-source",
                                    "auto",
                                    "--uri",
                                    "guac/",
                                    "-w",
                                    "10",
                                    "-c",
                                    "@20:30",
                                    "-t",
                                    "20:UNKNOWN",
                                    "--ca-file",
                                    "/ca.pem",
                                    "--insecure",
                                    "--format",
                                    "checkmk",
                                    "-v",
                                    "-v"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  const Config& c = line->config;
  EXPECT_EQ(c.host, "10.1.2.3");
  EXPECT_EQ(c.password, "s3cret");
  EXPECT_EQ(c.protocol, "https");
  EXPECT_EQ(c.port, 8443);
  EXPECT_EQ(c.data_source, "auto");
  EXPECT_EQ(c.uri, "/guac");
  EXPECT_EQ(c.thresholds.warning->text, "10");
  EXPECT_EQ(c.thresholds.critical->text, "@20:30");
  EXPECT_EQ(c.timeout, (probe::Timeout{std::chrono::seconds(20), probe::kUnknown}));
  EXPECT_EQ(c.ca_file, "/ca.pem");
  EXPECT_TRUE(c.insecure);
  EXPECT_EQ(c.format, OutputFormat::kCheckmk);
  EXPECT_EQ(c.verbosity, 2);
}

TEST_F(OptionsTest, PasswordOptionIsScrubbedFromArgv) {
  Result<CommandLine> line = Parse({"-H", "h", "--username", "u", "--password", "hunter2"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->config.password, "hunter2");
  EXPECT_STREQ(argv_->argv()[6], "xxxxxxx");
  Result<CommandLine> joined = Parse({"-H", "h", "--username", "u", "--password=hunter2"});
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->config.password, "hunter2");
  EXPECT_STREQ(argv_->argv()[5], "--password=xxxxxxx");
}

TEST_F(OptionsTest, PasswordSources) {
  fs_.AddFile("/pw", "from-file\r\n");
  EXPECT_EQ(Parse({"-H", "h", "--username", "u", "--password-file", "/pw"}, "env")->config.password,
            "from-file");
  EXPECT_EQ(Parse({"-H", "h", "--username", "u", "--password", "arg"}, "env")->config.password,
            "arg");
  EXPECT_EQ(Parse({"-H", "h", "--username", "u"}, "env")->config.password, "env");
  fs_.AddFile("/two-lines", "line1\nline2\n");
  EXPECT_EQ(Parse({"-H", "h", "--username", "u", "--password-file", "/two-lines"})->config.password,
            "line1\nline2");
}

TEST_F(OptionsTest, PasswordErrors) {
  EXPECT_EQ(ErrorOf({"-H", "h", "--username", "u"}, std::nullopt),
            "no password: use --password-file FILE, the environment variable GUACAMOLE_PASSWORD, "
            "or --password");
  EXPECT_EQ(ErrorOf({"-H", "h", "--username", "u"}, std::string("")),
            "no password: use --password-file FILE, the environment variable GUACAMOLE_PASSWORD, "
            "or --password");
  fs_.AddFile("/pw", "x");
  EXPECT_EQ(ErrorOf({"-H", "h", "--username", "u", "--password", "a", "--password-file", "/pw"}),
            "give the password only once: --password or --password-file");
  fs_.AddFile("/empty", "\n");
  EXPECT_EQ(ErrorOf({"-H", "h", "--username", "u", "--password-file", "/empty"}),
            "--password-file '/empty' is empty");
  fs_.FailWith("/secret", EACCES);
  EXPECT_EQ(ErrorOf({"-H", "h", "--username", "u", "--password-file", "/secret"})
                .rfind("cannot read --password-file: ", 0),
            0u);
}

TEST_F(OptionsTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--username", "u"}, "--host is required (see --help)"},
      {{"-H", "h"}, "--username is required (see --help)"},
      {{"-H", "h", "--username", "u", "extra"}, "unexpected argument 'extra' (see --help)"},
      {{"-H", "h", "--username", "u", "--bogus"}, "unknown option '--bogus' (see --help)"},
      {{"-H", "h", "--username", "u", "-x"}, "unknown option '-x' (see --help)"},
      {{"-H", "h", "--username", "u", "-w"}, "option '-w' needs a value"},
      {{"-H", "h", "--username", "u", "--port"}, "option '--port' needs a value"},
      {{"-H", "h", "--username", "u", "--protocol", "ftp"},
       "invalid --protocol 'ftp': expected http or https"},
      {{"-H", "h", "--username", "u", "-p", "0"}, "invalid --port '0': expected 1 to 65535"},
      {{"-H", "h", "--username", "u", "-p", "65536"},
       "invalid --port '65536': expected 1 to 65535"},
      {{"-H", "h", "--username", "u", "-p", "80a"}, "invalid --port '80a': expected 1 to 65535"},
      {{"-H", "h/x", "--username", "u"},
       "invalid --host 'h/x': expected a host name or an IP address"},
      {{"-H", "user@h", "--username", "u"},
       "invalid --host 'user@h': expected a host name or an IP address"},
      {{"-H", "h", "--username", "u", "--uri", "/a?b"},
       "invalid --uri '/a?b': expected a path such as /guacamole (no spaces, '?', '#', '%')"},
      {{"-H", "h", "--username", "u", "--data-source", "../x"},
       "invalid --data-source '../x': expected a name such as mysql, or auto"},
      {{"-H", "h", "--username", "u", "-w", "abc"},
       "invalid -w range 'abc': 'abc' is not a number"},
      {{"-H", "h", "--username", "u", "-c", "10:5"},
       "invalid -c range '10:5': start 10 is greater than end 5"},
      {{"-H", "h", "--username", "u", "-t", "0"},
       "invalid timeout '0': seconds must be between 1 and 86400"},
      {{"-H", "h", "--username", "u", "--format", "json"},
       "invalid --format 'json': expected nagios, checkmk or prometheus"},
  };
  for (const Case& c : cases) {
    std::string joined;
    for (const std::string& a : c.args) joined += a + " ";
    EXPECT_EQ(ErrorOf(c.args), c.message) << joined;
  }
}

TEST_F(OptionsTest, HelpAndVersionSkipValidation) {
  Result<CommandLine> help = Parse({"-h"});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->standard.help);
  Result<CommandLine> version = Parse({"--version", "--port", "bogus"});
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(version->standard.version);
}

TEST_F(OptionsTest, Ipv6HostMayHaveBrackets) {
  EXPECT_EQ(Parse({"-H", "[::1]", "--username", "u"}, "p")->config.host, "::1");
  EXPECT_EQ(Parse({"-H", "::1", "--username", "u"}, "p")->config.host, "::1");
}

TEST_F(OptionsTest, UriForms) {
  for (const char* uri : {"/guacamole", "guacamole", "/guacamole/", "guacamole/"}) {
    EXPECT_EQ(Parse({"-H", "h", "--username", "u", "--uri", uri}, "p")->config.uri, "/guacamole")
        << uri;
  }
  EXPECT_EQ(Parse({"-H", "h", "--username", "u", "--uri", "/"}, "p")->config.uri, "");
}

TEST_F(OptionsTest, HelpTextMentionsEveryOption) {
  std::string help = HelpText();
  for (const char* option :
       {"--host", "--port", "--protocol", "--uri", "--username", "--password-file", "--password",
        "--data-source", "--warning", "--critical", "--timeout", "--ca-file", "--insecure",
        "--format", "--verbose", "--help", "--version", "GUACAMOLE_PASSWORD"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace automon::guacamole
