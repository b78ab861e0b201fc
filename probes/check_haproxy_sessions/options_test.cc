// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_haproxy_sessions/options.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/testing/fake_file_system.h"

namespace automon::haproxy {
namespace {

// Parses `args` (after argv[0]) with a file system holding the password
// files the cases use.
Result<CommandLine> Parse(const std::vector<std::string>& args,
                          const std::optional<std::string>& env_password = std::nullopt) {
  testing::FakeFileSystem fs;
  fs.AddFile("/etc/automon/haproxy.pw", "pass word\n");
  fs.AddFile("/etc/automon/empty.pw", "\n");
  fs.AddFile("/etc/automon/two-lines.pw", "a\nb\n");
  fs.AddFile("/etc/automon/crlf.pw", "pw\r\n");
  fs.FailWith("/etc/automon/secret.pw", EACCES);
  // getopt_long wants writable strings.
  std::vector<std::string> storage = {"check_haproxy_sessions"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(storage.size()), argv.data(), env_password, fs);
}

// automon's renderers pass the proxies as one argument (Nagios expands
// only $ARG1$..$ARG32$); it adds to any --proxy given.
TEST(ParseCommandLineTest, ProxiesIsACommaSeparatedListOfPatterns) {
  Result<CommandLine> line =
      Parse({"--socket", "/run/haproxy/admin.sock", "--proxy", "a", "--proxies", "web*,api,be/s?"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->config.selection.proxy_patterns,
            (std::vector<std::string>{"a", "web*", "api", "be/s?"}));
  for (const char* bad : {"", ",", "web,", ",web", "web,,api"}) {
    Result<CommandLine> refused = Parse({"--socket", "/run/haproxy/admin.sock", "--proxies", bad});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().message, fmt::format("invalid --proxies '{}': empty pattern", bad));
  }
}

TEST(ParseCommandLineTest, TheRendererCommandLineParsesCompletely) {
  Result<CommandLine> line = Parse({"--url",
                                    "http://127.0.0.1:8404/stats",
                                    "--username",
                                    "mon",
                                    "--password-file",
                                    "/etc/automon/haproxy.pw",
                                    "--proxy",
                                    "web*",
                                    "--proxy",
                                    "api",
                                    "--kind",
                                    "frontend,server",
                                    "-w",
                                    "80%",
                                    "-c",
                                    "95",
                                    "--down-critical",
                                    "-t",
                                    "20:UNKNOWN",
                                    "-v",
                                    "-v"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  Config expected;
  expected.source = HttpSource{"http://127.0.0.1:8404/stats", "mon", "pass word"};
  expected.selection.proxy_patterns = {"web*", "api"};
  expected.selection.kinds = KindSet{true, false, true};
  expected.selection.warning = *ParseSessionThreshold("80%", "-w");
  expected.selection.critical = *ParseSessionThreshold("95", "-c");
  expected.selection.down_critical = true;
  expected.selection.verbosity = 2;
  expected.timeout = probe::Timeout{std::chrono::seconds(20), probe::kUnknown};
  EXPECT_EQ(line->config, expected);
  EXPECT_EQ(line->standard.verbosity, 2);
}

TEST(ParseCommandLineTest, DefaultsForASocket) {
  Result<CommandLine> line = Parse({"--socket", "/run/haproxy/admin.sock"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  Config expected;
  expected.source = SocketSource{"/run/haproxy/admin.sock"};
  EXPECT_EQ(line->config, expected);
  EXPECT_EQ(line->config.selection.kinds, (KindSet{true, true, false}));
  EXPECT_EQ(line->config.timeout.duration, std::chrono::seconds(10));
  EXPECT_EQ(line->config.timeout.state, probe::kCritical);
}

TEST(ParseCommandLineTest, PasswordComesFromTheFileBeforeTheEnvironment) {
  auto source = [](const Result<CommandLine>& line) {
    return std::get<HttpSource>(line->config.source);
  };
  Result<CommandLine> from_env =
      Parse({"--url", "http://h/stats", "--username", "mon"}, std::string("env-pw"));
  ASSERT_TRUE(from_env.ok()) << from_env.error().message;
  EXPECT_EQ(source(from_env).password, "env-pw");

  Result<CommandLine> from_file = Parse({"--url", "http://h/stats", "--username", "mon",
                                         "--password-file", "/etc/automon/haproxy.pw"},
                                        std::string("env-pw"));
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(source(from_file).password, "pass word");

  Result<CommandLine> crlf = Parse(
      {"--url", "http://h/stats", "--username", "mon", "--password-file", "/etc/automon/crlf.pw"});
  ASSERT_TRUE(crlf.ok());
  EXPECT_EQ(source(crlf).password, "pw");

  // Without --username the environment is not used (it may be set for
  // another instance); no credentials are sent.
  Result<CommandLine> anonymous = Parse({"--url", "http://h/stats"}, std::string("env-pw"));
  ASSERT_TRUE(Parse({"--url", "http://[::1]:8404/stats"}).ok());
  ASSERT_TRUE(Parse({"--url", "https://lb.example.org"}).ok());
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(source(anonymous), (HttpSource{"http://h/stats", "", ""}));
}

TEST(ParseCommandLineTest, HelpAndVersionSkipValidation) {
  Result<CommandLine> help = Parse({"-h", "--kind", "bogus"});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->standard.help);
  Result<CommandLine> version = Parse({"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(version->standard.version);
}

TEST(ParseCommandLineTest, UsageErrorsSayWhatIsWrong) {
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{}, "give exactly one of --url URL and --socket PATH"},
      {{"--url", "http://h/s", "--socket", "/s"},
       "give exactly one of --url URL and --socket PATH"},
      {{"--url", "ftp://h/s"}, "invalid --url 'ftp://h/s': must start with http:// or https://"},
      {{"--url", "127.0.0.1:8404/stats"},
       "invalid --url '127.0.0.1:8404/stats': must start with http:// or https://"},
      {{"--url", "http:///stats"}, "invalid --url 'http:///stats': no host"},
      {{"--url", "http://:8404/stats"}, "invalid --url 'http://:8404/stats': no host"},
      {{"--url", "http://h/a b"},
       "invalid --url 'http://h/a b': spaces and control characters must be percent-encoded"},
      {{"--url", "http://mon:hunter2@h/stats"},
       "invalid --url: user:password@ in a URL is visible in the process list; use --username "
       "with --password-file or HAPROXY_PASSWORD"},
      {{"--socket", ""}, "invalid --socket '': empty path"},
      {{"--socket", "/s", "--username", "mon"},
       "--username and --password-file apply to --url only (the stats socket has no "
       "authentication; its file permissions decide)"},
      {{"--url", "http://h/s", "--password-file", "/etc/automon/haproxy.pw"},
       "--password-file needs --username"},
      {{"--url", "http://h/s", "--username", "mon"},
       "--username needs a password: --password-file FILE or the environment variable "
       "HAPROXY_PASSWORD"},
      {{"--url", "http://h/s", "--username", "a:b", "--password-file", "/etc/automon/haproxy.pw"},
       "invalid --username 'a:b': HTTP Basic authentication does not allow ':' in a user name"},
      {{"--url", "http://h/s", "--username", "mon", "--password-file", "/etc/automon/empty.pw"},
       "--password-file '/etc/automon/empty.pw' is empty"},
      {{"--url", "http://h/s", "--username", "mon", "--password-file", "/etc/automon/two-lines.pw"},
       "--password-file '/etc/automon/two-lines.pw' holds more than one line"},
      {{"--url", "http://h/s", "--username", "mon", "--password-file", "/etc/automon/secret.pw"},
       "cannot read --password-file: open(/etc/automon/secret.pw): Permission denied"},
      {{"--socket", "/s", "--kind", "frontend,pool"},
       "invalid --kind 'frontend,pool': 'pool' is not frontend, backend or server"},
      {{"--socket", "/s", "--proxy", ""}, "invalid --proxy '': empty pattern"},
      {{"--socket", "/s", "-w", "ten"}, "invalid -w range 'ten': 'ten' is not a number"},
      {{"--socket", "/s", "-c", "90%x"}, "invalid -c range '90%x': '90%x' is not a number"},
      {{"--socket", "/s", "-t", "0"}, "invalid timeout '0': seconds must be between 1 and 86400"},
      // getopt_long would take these abbreviations for --password-file and
      // --url: no abbreviations, so a password is never taken for a path.
      {{"--socket", "/s", "--password", "hunter2"}, "unknown option '--password' (see --help)"},
      {{"--socket", "/s", "--password=hunter2"}, "unknown option '--password' (see --help)"},
      {{"--ur", "http://h/s"}, "unknown option '--ur' (see --help)"},
      {{"--socket", "/s", "-x"}, "unknown option '-x' (see --help)"},
      {{"--socket"}, "option '--socket' needs an argument"},
      {{"--socket", "/s", "-w"}, "option '-w' needs an argument"},
      {{"--socket", "/s", "extra"}, "unexpected argument 'extra' (see --help)"},
  };
  for (const auto& c : cases) {
    std::string joined;
    for (const std::string& a : c.args) joined += a + " ";
    Result<CommandLine> line = Parse(c.args);
    ASSERT_FALSE(line.ok()) << joined;
    EXPECT_EQ(line.error().message, c.error) << joined;
    EXPECT_EQ(line.error().message.find("hunter2"), std::string::npos);
    EXPECT_EQ(line.error().message.find("pass word"), std::string::npos);
  }
}

TEST(HelpTextTest, DocumentsEveryOption) {
  const std::string help = HelpText();
  for (const char* option : {"--url", "--socket", "--username", "--password-file",
                             "HAPROXY_PASSWORD", "--proxy", "--kind", "--warning", "--critical",
                             "--down-critical", "--timeout", "--verbose", "--help", "--version"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace automon::haproxy
