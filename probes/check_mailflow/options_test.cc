// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/options.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/testing/fake_file_system.h"

namespace automon::mailflow {
namespace {

Result<CommandLine> Parse(const std::vector<std::string>& args,
                          const std::optional<std::string>& env_password = std::nullopt) {
  testing::FakeFileSystem fs;
  fs.AddFile("/etc/automon/mail.pw", "pass word\n");
  fs.AddFile("/etc/automon/empty.pw", "\n");
  fs.AddFile("/etc/automon/two-lines.pw", "a\nb\n");
  fs.FailWith("/etc/automon/secret.pw", EACCES);
  std::vector<std::string> storage = {"check_mailflow"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(storage.size()), argv.data(), env_password, fs);
}

std::string ErrorOf(const std::vector<std::string>& args,
                    const std::optional<std::string>& env_password = std::nullopt) {
  Result<CommandLine> line = Parse(args, env_password);
  return line.ok() ? "(parsed)" : line.error().message;
}

TEST(ParseCommandLineTest, TheSendCommandLineParsesCompletely) {
  Result<CommandLine> line = Parse({"--mode",
                                    "send",
                                    "--mailflowid",
                                    "mx1",
                                    "-H",
                                    "mx.example.org",
                                    "-p",
                                    "465",
                                    "--tls",
                                    "implicit",
                                    "--tls-hostname",
                                    "smtp.example.org",
                                    "-D",
                                    "30",
                                    "--to",
                                    "flow+mon@example.org",
                                    "--from",
                                    "probe@example.org",
                                    "--helo",
                                    "monitor.example.org",
                                    "--ca-file",
                                    "/etc/ssl/ca.pem",
                                    "-t",
                                    "20",
                                    "-v"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  Config expected;
  expected.mode = Mode::kSend;
  expected.flow_id = "mx1";
  expected.state_dir = "/var/lib/automon/mailflow/mx1";
  expected.server.protocol = Protocol::kSmtp;
  expected.server.host = "mx.example.org";
  expected.server.port = 465;
  expected.server.tls = TlsMode::kImplicit;
  expected.server.tls_hostname = "smtp.example.org";
  expected.server.ca_file = "/etc/ssl/ca.pem";
  expected.to = "flow+mon@example.org";
  expected.from = "probe@example.org";
  expected.helo = "monitor.example.org";
  expected.expire_days = 30;
  expected.timeout.duration = std::chrono::seconds(20);
  expected.verbosity = 1;
  EXPECT_EQ(line->config, expected);
}

TEST(ParseCommandLineTest, SendDefaultsTheSenderToTheRecipient) {
  Result<CommandLine> line = Parse(
      {"--mode", "send", "--mailflowid", "mx1", "-H", "127.0.0.1", "--to", "flow@example.org"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->config.from, "flow@example.org");
  EXPECT_EQ(line->config.server.tls, TlsMode::kNone);
  EXPECT_EQ(line->config.server.username, "");
}

TEST(ParseCommandLineTest, TheReceiveCommandLinesParseWithThePasswordFromAFile) {
  Result<CommandLine> line =
      Parse({"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "[::1]",
             "--tls", "starttls", "--username", "flow", "--password-file", "/etc/automon/mail.pw",
             "--mailbox", "Monitoring/Flow", "--state-dir", "/tmp/s"},
            "from-env");
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->config.mode, Mode::kReceive);
  EXPECT_EQ(line->config.server.protocol, Protocol::kImap);
  EXPECT_EQ(line->config.server.host, "::1");
  EXPECT_EQ(line->config.server.tls, TlsMode::kStartTls);
  EXPECT_EQ(line->config.server.password, "pass word");  // the file wins
  EXPECT_EQ(line->config.mailbox, "Monitoring/Flow");
  EXPECT_EQ(line->config.state_dir, "/tmp/s");

  Result<CommandLine> pop3 = Parse({"--mode", "receive", "--protocol", "pop3", "--mailflowid",
                                    "mx1", "-H", "127.0.0.1", "--username", "flow"},
                                   "from-env");
  ASSERT_TRUE(pop3.ok()) << pop3.error().message;
  EXPECT_EQ(pop3->config.server.protocol, Protocol::kPop3);
  EXPECT_EQ(pop3->config.server.password, "from-env");
}

TEST(ParseCommandLineTest, TheAgeCommandLineParses) {
  Result<CommandLine> line = Parse({"--mode", "age", "--mailflowid", "mx1", "--seconds", "900"});
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_EQ(line->config.mode, Mode::kAge);
  EXPECT_EQ(line->config.max_age, std::chrono::seconds(900));
  EXPECT_EQ(line->config.state_dir, "/var/lib/automon/mailflow/mx1");
}

TEST(ParseCommandLineTest, HelpSkipsValidation) {
  Result<CommandLine> line = Parse({"-h"});
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(line->standard.help);
  EXPECT_TRUE(Parse({"--version"})->standard.version);
}

TEST(ParseCommandLineTest, UsageErrorsSayWhatIsWrong) {
  const std::vector<std::string> send = {"--mode", "send",      "--mailflowid", "mx1",
                                         "-H",     "127.0.0.1", "--to",         "flow@example.org"};
  auto with = [&](std::vector<std::string> base, std::vector<std::string> more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{}, "--mode is required: send, receive or age (see --help)"},
      {{"--mode", "fetch"}, "invalid --mode 'fetch': expected send, receive or age"},
      {{"--mode", "age", "--seconds", "5"}, "--mailflowid is required (see --help)"},
      {{"--mode", "age", "--mailflowid", "a;b", "--seconds", "5"},
       "invalid --mailflowid 'a;b': expected 1 to 64 letters, digits and '._-', starting with a "
       "letter or digit"},
      {{"--mode", "age", "--mailflowid", "mx1"},
       "--mode age needs --seconds (the longest delivery time)"},
      {{"--mode", "age", "--mailflowid", "mx1", "--seconds", "0"},
       "invalid --seconds '0': expected 1 to 604800"},
      {{"--mode", "age", "--mailflowid", "mx1", "--seconds", "604801"},
       "invalid --seconds '604801': expected 1 to 604800"},
      {{"--mode", "age", "--mailflowid", "mx1", "--seconds", "5", "-H", "x"},
       "--host does not apply to --mode age"},
      {with(send, {"--seconds", "5"}), "--seconds applies to --mode age only"},
      {{"--mode", "send", "--mailflowid", "mx1", "-H", "x"},
       "--mode send needs --to ADDRESS (the token mail's recipient)"},
      {{"--mode", "send", "--mailflowid", "mx1", "--to", "a@b"},
       "--host is required for --mode send and receive"},
      {with(send, {"--to", "not-an-address"}),
       "invalid --to 'not-an-address': expected user@domain"},
      {with(send, {"--to", "a b@example.org"}),
       "invalid --to 'a b@example.org': expected user@domain"},
      {with(send, {"--from", "x@y@z"}), "invalid --from 'x@y@z': expected user@domain"},
      {with(send, {"--mailbox", "INBOX"}), "--mailbox applies to --mode receive only"},
      {with(send, {"--protocol", "imap"}), "invalid --protocol 'imap' for --mode send: only smtp"},
      {with(send, {"-p", "70000"}), "invalid --port '70000': expected 1 to 65535"},
      {with(send, {"--tls", "ssl"}), "invalid --tls 'ssl': expected none, starttls or implicit"},
      {with(send, {"-D", "5"}),
       "--tls-hostname, --ca-file, --insecure and --expire-days need --tls starttls or --tls "
       "implicit"},
      {with(send, {"--tls", "starttls", "-D", "0"}),
       "invalid --expire-days '0': expected 1 to 3650"},
      {with(send, {"-H", "bad host"}),
       "invalid --host 'bad host': expected a host name or an IP address"},
      {with(send, {"--username", "u"}),
       "--username needs a password: --password-file FILE or the environment variable "
       "MAILFLOW_PASSWORD"},
      {with(send, {"--password-file", "/etc/automon/mail.pw"}), "--password-file needs --username"},
      {{"--mode", "receive", "--mailflowid", "mx1", "-H", "h", "--username", "u"},
       "--mode receive needs --protocol imap or pop3"},
      {{"--mode", "receive", "--protocol", "smtp", "--mailflowid", "mx1"},
       "invalid --protocol 'smtp' for --mode receive: expected imap or pop3"},
      {{"--mode", "receive", "--protocol", "pop3", "--mailflowid", "mx1", "-H", "h", "--username",
        "u", "--mailbox", "X"},
       "--mailbox applies to imap only"},
      {{"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "h"},
       "--mode receive needs --username"},
      {{"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "h", "--username",
        "u", "--password-file", "/etc/automon/empty.pw"},
       "--password-file '/etc/automon/empty.pw' is empty"},
      {{"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "h", "--username",
        "u", "--password-file", "/etc/automon/two-lines.pw"},
       "--password-file '/etc/automon/two-lines.pw' holds more than one line"},
      {{"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "h", "--username",
        "u", "--password-file", "/etc/automon/secret.pw"},
       "cannot read --password-file: open(/etc/automon/secret.pw): Permission denied"},
      {{"--mode", "age", "--mailflowid", "mx1", "--seconds", "5", "extra"},
       "unexpected argument 'extra' (see --help)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.args), c.message) << ::testing::PrintToString(c.args);
  }
}

TEST(ParseCommandLineTest, AMistypedPasswordOptionNeverEchoesTheSecret) {
  const std::string error =
      ErrorOf({"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "h",
               "--username", "u", "--password", "Sup3rSecret"});
  EXPECT_EQ(error, "unknown option '--password' (see --help)");
  const std::string prefix =
      ErrorOf({"--mode", "receive", "--protocol", "imap", "--mailflowid", "mx1", "-H", "h",
               "--username", "u", "--password-f=Sup3rSecret"});
  EXPECT_EQ(prefix, "unknown option '--password-f' (see --help)");
}

TEST(ParseCommandLineTest, HelpNamesEveryOption) {
  const std::string help = HelpText();
  for (const char* option :
       {"--mode", "--mailflowid", "--state-dir", "--host", "--port", "--protocol", "--tls ", "--to",
        "--from", "--helo", "--username", "--password-file", "--mailbox", "--seconds",
        "--tls-hostname", "--ca-file", "--insecure", "--expire-days", "--timeout"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace automon::mailflow
