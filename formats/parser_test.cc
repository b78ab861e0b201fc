// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "common/testing/diagnostics.h"
#include "formats/schema.h"

namespace automon::formats {
namespace {

using ::automon::testing::RenderAll;

// Parses a file holding one section and returns its only service.
Service ParseOne(const std::string& text) {
  const ParseResult result = ParseDefinitions(text, "/etc/monitoring-info/x");
  EXPECT_FALSE(HasErrors(result.diagnostics)) << RenderAll(result.diagnostics);
  EXPECT_EQ(result.services.size(), 1u) << text;
  return result.services.empty() ? Service{} : result.services.front();
}

// The rendered diagnostics of a file that must yield no service.
std::string Errors(const std::string& text) {
  const ParseResult result = ParseDefinitions(text, "f");
  EXPECT_TRUE(result.services.empty()) << text;
  return RenderAll(result.diagnostics);
}

using Settings = std::map<std::string, std::string>;

TEST(ParserTest, HttpDefaults) {
  const Service s = ParseOne("[web]\ntype = http\n");
  EXPECT_EQ(s.name, "web");
  EXPECT_EQ(s.type, ServiceType::kHttp);
  EXPECT_EQ(s.description, "web");
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.package, std::nullopt);
  EXPECT_EQ(s.host, std::nullopt);
  EXPECT_EQ(s.password, std::nullopt);
  EXPECT_EQ(s.loc, (SourceLocation{"/etc/monitoring-info/x", 1, 0}));
  EXPECT_EQ(s.settings, (Settings{{"accept_redirection", "true"},
                                  {"ignore_invalid_ssl", "false"},
                                  {"port", "80"},
                                  {"ssl", "false"},
                                  {"uri", "/"}}));
}

TEST(ParserTest, HttpWithSslDefaultsTo443AndKeepsEveryKey) {
  const Service s = ParseOne(
      "[web]\ntype = http\nssl = yes\nssl_hostname = WWW.Example.ORG\nignore_invalid_ssl = on\n"
      "expire_before_days = 14\nhostname = www.example.org\nuri = /health?full=1\n"
      "accept_redirection = no\ndescription = Web site\nenabled = 1\npackage = apache2\n"
      "host = 192.0.2.7\n");
  EXPECT_EQ(s.description, "Web site");
  EXPECT_EQ(s.package, "apache2");
  EXPECT_EQ(s.host, "192.0.2.7");
  EXPECT_EQ(s.settings, (Settings{{"accept_redirection", "false"},
                                  {"expire_before_days", "14"},
                                  {"hostname", "www.example.org"},
                                  {"ignore_invalid_ssl", "true"},
                                  {"port", "443"},
                                  {"ssl", "true"},
                                  {"ssl_hostname", "www.example.org"},
                                  {"uri", "/health?full=1"}}));
  EXPECT_TRUE(s.GetBool("ssl"));
  EXPECT_EQ(s.GetInt("port"), 443);
}

TEST(ParserTest, ExplicitPortWinsOverSslDefault) {
  EXPECT_EQ(ParseOne("[w]\ntype = http\nssl = true\nport = 8443\n").GetInt("port"), 8443);
}

TEST(ParserTest, DefaultPortsPerType) {
  struct Case {
    std::string type;
    int plain;
    int ssl;
  };
  for (const Case& c : {Case{"http", 80, 443}, Case{"smtp", 25, 465}, Case{"imap", 143, 993},
                        Case{"pop3", 110, 995}, Case{"ldap", 389, 636}}) {
    EXPECT_EQ(ParseOne("[s]\ntype = " + c.type + "\n").GetInt("port"), c.plain) << c.type;
    EXPECT_EQ(ParseOne("[s]\ntype = " + c.type + "\nssl = true\n").GetInt("port"), c.ssl) << c.type;
  }
  EXPECT_EQ(ParseOne("[s]\ntype = ssh\n").GetInt("port"), 22);
  EXPECT_EQ(ParseOne("[s]\ntype = guacamole\npassword = x\n").GetInt("port"), 8080);
}

TEST(ParserTest, UdpNeedsPortAndWarnsWithoutSendExpect) {
  EXPECT_EQ(Errors("[dns]\ntype = udp\n"),
            "f:1:1: error: service 'dns' of type udp needs 'port'\n[dns]\n^\n");
  const ParseResult r = ParseDefinitions("[dns]\ntype = udp\nport = 53\n", "f");
  ASSERT_EQ(r.services.size(), 1u);
  EXPECT_EQ(r.services[0].settings, (Settings{{"port", "53"}}));
  EXPECT_EQ(RenderAll(r.diagnostics),
            "f:1:1: warning: udp service 'dns' has no 'send' and 'expect': a UDP port cannot be "
            "probed without a request and its reply, so the service is registered in state "
            "UNKNOWN until both are set\n[dns]\n^\n");
  const Service full = ParseOne("[n]\ntype = udp\nport = 123\nsend = ping!\nexpect = pong;1\n");
  EXPECT_EQ(full.settings, (Settings{{"expect", "pong;1"}, {"port", "123"}, {"send", "ping!"}}));
  EXPECT_EQ(Errors("[n]\ntype = udp\nport = 1\nsend = x\n"),
            "f:1:1: error: udp service 'n': 'send' and 'expect' go together; give both or "
            "neither\n[n]\n^\n");
}

TEST(ParserTest, TcpNeedsPort) {
  EXPECT_EQ(Errors("[t]\ntype = tcp\n"),
            "f:1:1: error: service 't' of type tcp needs 'port'\n[t]\n^\n");
  EXPECT_EQ(ParseOne("[t]\ntype = tcp\nport = 5432\n").settings,
            (Settings{{"ignore_invalid_ssl", "false"}, {"port", "5432"}, {"ssl", "false"}}));
}

TEST(ParserTest, MailTypes) {
  const Service smtp =
      ParseOne("[mx]\ntype = smtp\nemail = Probe+1@Mail.Example.org\nmailflowid = main\n");
  EXPECT_EQ(smtp.Get("email"), "Probe+1@mail.example.org");
  EXPECT_EQ(smtp.Get("mailflowid"), "main");
  const Service imap =
      ParseOne("[box]\ntype = imap\nusername = probe\npassword = s3cret word\nmailflowid = main\n");
  EXPECT_EQ(imap.password, Secret("s3cret word"));
  EXPECT_EQ(imap.settings.count("password"), 0u) << "secrets never sit in settings";
  EXPECT_EQ(imap.Get("username"), "probe");
  const Service flow = ParseOne("[flow]\ntype = mailflow\nseconds = 600\nid = main\n");
  EXPECT_EQ(flow.settings, (Settings{{"id", "main"}, {"seconds", "600"}}));
  EXPECT_EQ(Errors("[flow]\ntype = mailflow\n"),
            "f:1:1: error: service 'flow' of type mailflow needs 'seconds'\n[flow]\n^\n"
            "f:1:1: error: service 'flow' of type mailflow needs 'id'\n[flow]\n^\n");
  EXPECT_EQ(Errors("[mx]\ntype = smtp\nmailflowid = m\n"),
            "f:1:1: error: smtp service 'mx': 'mailflowid' needs 'email', the address the token "
            "mail is sent to\n[mx]\n^\n");
  EXPECT_EQ(Errors("[b]\ntype = pop3\nmailflowid = m\n"),
            "f:1:1: error: pop3 service 'b': 'mailflowid' needs 'username' and 'password' to "
            "collect the token mails\n[b]\n^\n");
  EXPECT_EQ(Errors("[b]\ntype = imap\nusername = u\n"),
            "f:1:1: error: imap service 'b': 'username' and 'password' go together\n[b]\n^\n");
}

TEST(ParserTest, LdapSshGuacamoleHaproxy) {
  const Service ldap = ParseOne(
      "[dir]\ntype = ldap\nusername = cn=monitor,dc=example,dc=org\npassword = x\n"
      "base = dc=example,dc=org\n");
  EXPECT_EQ(ldap.Get("base"), "dc=example,dc=org");
  EXPECT_EQ(ldap.Get("username"), "cn=monitor,dc=example,dc=org");
  EXPECT_EQ(ParseOne("[dir]\ntype = ldap\n").Get("base"), "") << "root DSE by default";

  const Service guac = ParseOne(
      "[g]\ntype = guacamole\nhost = gw.example.org\nprotocol = HTTPS\nuri = guacamole/\n"
      "data_source = auto\npassword = pw\nwarning = 10\ncritical = @20:30\n");
  EXPECT_EQ(guac.settings, (Settings{{"critical", "@20:30"},
                                     {"data_source", "auto"},
                                     {"ignore_invalid_ssl", "false"},
                                     {"port", "8080"},
                                     {"protocol", "https"},
                                     {"uri", "/guacamole"},
                                     {"username", "guacadmin"},
                                     {"warning", "10"}}));
  const ParseResult nopass = ParseDefinitions("[g]\ntype = guacamole\n", "f");
  ASSERT_EQ(nopass.services.size(), 1u);
  EXPECT_EQ(RenderAll(nopass.diagnostics),
            "f:1:1: warning: guacamole service 'g' has no 'password': the check cannot log in "
            "to Guacamole as 'guacadmin' until 'password = ...' is added to this section\n"
            "[g]\n^\n");

  const Service ha = ParseOne(
      "[lb]\ntype = haproxy\nstats = http://127.0.0.1:8404/stats\nusername = admin\n"
      "password = pw\nproxies = web, api-*  ,db\nwarning = 80%\ncritical = 950\n");
  EXPECT_EQ(ha.settings, (Settings{{"critical", "950"},
                                   {"proxies", "web,api-*,db"},
                                   {"stats", "http://127.0.0.1:8404/stats"},
                                   {"username", "admin"},
                                   {"warning", "80%"}}));
  EXPECT_EQ(ParseOne("[lb]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n").Get("stats"),
            "/run/haproxy/admin.sock");
  const Service own = ParseOne("[lb]\ntype = haproxy\nstats = http://:8404/stats\n");
  EXPECT_EQ(DescribeTarget(own), "http://(this host):8404/stats");
  const Service other =
      ParseOne("[lb]\ntype = haproxy\nhost = 192.0.2.9\nstats = https://:8404/stats\n");
  EXPECT_EQ(DescribeTarget(other), "https://192.0.2.9:8404/stats");
  EXPECT_EQ(DescribeTarget(ha), "http://127.0.0.1:8404/stats");
  EXPECT_EQ(Errors("[lb]\ntype = haproxy\n"),
            "f:1:1: error: service 'lb' of type haproxy needs 'stats'\n[lb]\n^\n");
}

TEST(ParserTest, UnknownAndMisplacedKeys) {
  EXPECT_EQ(Errors("[w]\ntype = http\nhostnmae = x\n"),
            "f:3:1: error: unknown key 'hostnmae' for type http, did you mean 'hostname'?\n"
            "hostnmae = x\n^\n");
  EXPECT_EQ(Errors("[w]\ntype = http\nemail = a@b.c\n"),
            "f:3:1: error: key 'email' does not apply to type http\nemail = a@b.c\n^\n");
  EXPECT_EQ(Errors("[w]\ntype = http\nfrobnicate = 1\n"),
            "f:3:1: error: unknown key 'frobnicate' for type http\nfrobnicate = 1\n^\n");
  EXPECT_EQ(Errors("[f]\ntype = mailflow\nseconds = 1\nid = a\nhost = x\n"),
            "f:5:1: error: key 'host' does not apply to type mailflow\nhost = x\n^\n");
  EXPECT_EQ(Errors("[w]\ntype = http\nsource = a:1\n"),
            "f:3:1: error: unknown key 'source' for type http\nsource = a:1\n^\n");
}

TEST(ParserTest, HostileKeysAreQuotedShortAndSuggestedWithinABudget) {
  const std::string key(4000, 'k');
  const ParseResult long_key = ParseDefinitions("[w]\ntype = http\n" + key + " = x\n", "f");
  ASSERT_EQ(long_key.diagnostics.size(), 1u);
  EXPECT_EQ(long_key.diagnostics[0].message,
            "unknown key '" + std::string(100, 'k') + "... (4000 bytes)' for type http");
  const ParseResult long_value =
      ParseDefinitions("[w]\ntype = http\nport = " + std::string(3000, '9') + "\n", "f");
  ASSERT_EQ(long_value.diagnostics.size(), 1u);
  EXPECT_EQ(long_value.diagnostics[0].message,
            "invalid value '" + std::string(100, '9') +
                "... (3000 bytes)' for 'port': expected a number from 1 to 65535");
  // Typos in 30 sections: the first kMaxSuggestionsPerDocument get a
  // suggestion, the rest only "unknown key".
  std::string text;
  for (int i = 0; i < 30; ++i) text += "[w" + std::to_string(i) + "]\ntype = http\nhostnmae = x\n";
  const ParseResult many = ParseDefinitions(text, "f");
  ASSERT_EQ(many.diagnostics.size(), 30u);
  int suggested = 0;
  for (const Diagnostic& d : many.diagnostics) {
    suggested += d.message.ends_with("did you mean 'hostname'?");
    EXPECT_TRUE(d.message.starts_with("unknown key 'hostnmae' for type http")) << d.message;
  }
  EXPECT_EQ(suggested, kMaxSuggestionsPerDocument);
}

TEST(ParserTest, TypeErrors) {
  EXPECT_EQ(Errors("[w]\nport = 80\n"),
            "f:1:1: error: service 'w' has no 'type'; expected one of: http, udp, tcp, smtp, "
            "imap, pop3, mailflow, ldap, ssh, guacamole, haproxy, command\n[w]\n^\n");
  EXPECT_EQ(Errors("[w]\ntype = htp\n"),
            "f:2:8: error: unknown type 'htp', did you mean 'http'?\ntype = htp\n       ^\n");
  EXPECT_EQ(Errors("[w]\ntype = gopher\n"),
            "f:2:8: error: unknown type 'gopher'; expected one of: http, udp, tcp, smtp, imap, "
            "pop3, mailflow, ldap, ssh, guacamole, haproxy, command\ntype = gopher\n       ^\n");
}

TEST(ParserTest, DuplicateKeysAndSections) {
  EXPECT_EQ(
      Errors("[w]\ntype = http\nport = 1\nport = 2\n"),
      "f:4:1: error: duplicate key 'port' in service 'w' (first set at line 3)\nport = 2\n^\n");
  const ParseResult r = ParseDefinitions("[w]\ntype = ssh\n[w]\ntype = ssh\nport = 2\n", "f");
  ASSERT_EQ(r.services.size(), 1u);
  EXPECT_EQ(r.services[0].GetInt("port"), 22) << "the first definition is kept";
  EXPECT_EQ(RenderAll(r.diagnostics),
            "f:3:1: error: duplicate service 'w' (first defined at line 1)\n[w]\n^\n");
}

TEST(ParserTest, InvalidServiceName) {
  EXPECT_EQ(Errors("[web server]\ntype = ssh\n"),
            "f:1:1: error: invalid service name 'web server': use letters, digits, '.', '_' and "
            "'-', starting with a letter or digit, at most 64\n[web server]\n^\n");
  EXPECT_FALSE(IsValidServiceName("-x"));
  EXPECT_FALSE(IsValidServiceName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidServiceName(std::string(64, 'a')));
  EXPECT_TRUE(IsValidServiceName("apache2.ssl_v-1"));
}

TEST(ParserTest, BadSectionDoesNotHideGoodOnes) {
  const ParseResult r = ParseDefinitions(
      "[a]\ntype = ssh\n[b]\ntype = http\nport = 99999\n[c]\ntype = tcp\nport = 5\n", "f");
  ASSERT_EQ(r.services.size(), 2u);
  EXPECT_EQ(r.services[0].name, "a");
  EXPECT_EQ(r.services[1].name, "c");
  EXPECT_EQ(RenderAll(r.diagnostics),
            "f:5:8: error: invalid value '99999' for 'port': expected a number from 1 to 65535\n"
            "port = 99999\n       ^\n");
}

TEST(ParserTest, SectionWithUnreadableLineIsRejectedNotDefaulted) {
  const ParseResult r =
      ParseDefinitions("[w]\ntype = http\nport = 8080\x1b\n[s]\ntype = ssh\n", "f");
  ASSERT_EQ(r.services.size(), 1u);
  EXPECT_EQ(r.services[0].name, "s") << "[w] must not be registered with the default port";
  EXPECT_EQ(RenderAll(r.diagnostics),
            "f:3:12: error: line contains control character 0x1b\nport = 8080?\n           ^\n");
}

TEST(ParserTest, ValueStartingWithSemicolonIsRejected) {
  // "send = ;x" would read back as a comment: refuse it instead of losing it.
  EXPECT_EQ(Errors("[n]\ntype = udp\nport = 1\nsend =;ping\nexpect = x\n"),
            "f:4:7: error: invalid value ';ping' for 'send': a value cannot start with ';', "
            "which starts a comment\nsend =;ping\n      ^\n");
}

TEST(ParserTest, PasswordsNeverAppearInDiagnostics) {
  const std::string secret = "Hunter2;Secret";
  const ParseResult r = ParseDefinitions("[a]\ntype = imap\nusername = u\npassword = " + secret +
                                             "\npassword = " + secret +
                                             "\n"
                                             "[b]\ntype = imap\nusername = u\npassword = " +
                                             std::string(1100, 'S') +
                                             "\n"
                                             "[c]\ntype = http\npassword = " +
                                             secret +
                                             "\n"
                                             "[d]\ntype = imap\nusername = u\npassword = " +
                                             secret +
                                             "\x01\n"
                                             "[e]\ntype = imap\nusername = u\npassword =;" +
                                             secret + "\n",
                                         "f");
  const std::string all = RenderAll(r.diagnostics);
  EXPECT_EQ(all.find("Hunter2"), std::string::npos) << all;
  EXPECT_EQ(all.find("SSSS"), std::string::npos) << all;
  EXPECT_TRUE(r.services.empty());
  EXPECT_EQ(all,
            "f:5: error: duplicate key 'password' in service 'a' (first set at line 4)\n"
            "f:9: error: invalid value for 'password': expected printable text, at most 1024 "
            "bytes, not starting with ';'\n"
            "f:12: error: key 'password' does not apply to type http\n"
            "f:16: error: line contains control character 0x01\n"
            "f:20: error: invalid value for 'password': expected printable text, at most 1024 "
            "bytes, not starting with ';'\n");
}

TEST(ParserTest, AllErrorsOfASectionAreReported) {
  EXPECT_EQ(Errors("[w]\ntype = http\nport = x\nuri = nope\nssl = maybe\n"),
            "f:3:8: error: invalid value 'x' for 'port': expected a number from 1 to 65535\n"
            "port = x\n       ^\n"
            "f:4:7: error: invalid value 'nope' for 'uri': expected a path starting with '/' made "
            "of letters, digits and ._~/?=&+:@,- or %XX escapes, at most 1024 bytes\n"
            "uri = nope\n      ^\n"
            "f:5:7: error: invalid value 'maybe' for 'ssl': expected true or false (also yes/no, "
            "on/off, 1/0)\nssl = maybe\n      ^\n");
}

TEST(ParserTest, SslKeysWithoutSslWarn) {
  const ParseResult r = ParseDefinitions(
      "[m]\ntype = smtp\nexpire_before_days = 5\nssl_hostname = mx.example.org\n"
      "ignore_invalid_ssl = true\n",
      "f");
  ASSERT_EQ(r.services.size(), 1u);
  EXPECT_EQ(
      RenderAll(r.diagnostics),
      "f:1:1: warning: service 'm': 'ssl_hostname' has no effect without 'ssl = true'\n[m]\n^\n"
      "f:1:1: warning: service 'm': 'expire_before_days' has no effect without 'ssl = "
      "true'\n[m]\n^\n"
      "f:1:1: warning: service 'm': 'ignore_invalid_ssl' has no effect without 'ssl = "
      "true'\n[m]\n^\n");
}

TEST(ParserTest, EnabledFalseIsStillParsed) {
  const Service s = ParseOne("[w]\ntype = ssh\nenabled = off\n");
  EXPECT_FALSE(s.enabled);
}

TEST(ParserTest, FormatServiceRoundTripsInSnapshotMode) {
  Service s = ParseOne(
      "[box]\ntype = imap\nssl = true\nusername = u\npassword = p w;x\nmailflowid = f\n"
      "package = dovecot-imapd\nhost = ::1\ndescription = IMAP box\n");
  const std::string text = FormatService(s, /*reveal_secrets=*/true, /*with_source=*/true);
  EXPECT_EQ(text,
            "[box]\nsource = /etc/monitoring-info/x:1\ntype = imap\ndescription = IMAP box\n"
            "enabled = true\npackage = dovecot-imapd\nhost = ::1\nignore_invalid_ssl = false\n"
            "mailflowid = f\nport = 993\nssl = true\nusername = u\npassword = p w;x\n");
  std::vector<Diagnostic> d;
  const auto sections = LexIni(text, "snap", d);
  ASSERT_EQ(sections.size(), 1u);
  const auto back = ParseService(sections[0], ParseMode::kSnapshot, d);
  ASSERT_TRUE(back.has_value()) << RenderAll(d);
  EXPECT_EQ(*back, s);
  EXPECT_EQ(FormatService(s, false, false).find("p w;x"), std::string::npos);
  EXPECT_NE(FormatService(s, false, false).find("password = (secret)"), std::string::npos);
}

TEST(ParserTest, CommandDefaultsAndNormalisation) {
  const Service s = ParseOne(
      "[disk]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_disk  -w \"20%\" -c "
      "'10%' -p '/srv/my data'\n");
  EXPECT_EQ(s.type, ServiceType::kCommand);
  EXPECT_EQ(
      s.settings,
      (Settings{{"command", "/usr/lib/nagios/plugins/check_disk -w 20% -c 10% -p '/srv/my data'"},
                {"freshness", "660"},
                {"interval", "300"},
                {"max_instances", "1"},
                {"timeout", "60"}}));
  EXPECT_EQ(DescribeTarget(s),
            "/usr/lib/nagios/plugins/check_disk -w 20% -c 10% -p '/srv/my data'");
  const Service t = ParseOne(
      "[raid]\ntype = command\ncommand = /usr/sbin/check_raid\ninterval = 60\n"
      "schedule = day_of_week=Mon-Fri hour=9-17\ntimeout = 30\nmax_instances = 2\n"
      "user = monitor\ndescription = RAID\npackage = mdadm\n");
  EXPECT_EQ(t.settings, (Settings{{"command", "/usr/sbin/check_raid"},
                                  {"freshness", "180"},
                                  {"interval", "60"},
                                  {"max_instances", "2"},
                                  {"schedule", "hour=9-17 day_of_week=mon-fri"},
                                  {"timeout", "30"},
                                  {"user", "monitor"}}));
  EXPECT_EQ(ParseOne("[x]\ntype = command\ncommand = /bin/x\ninterval = 10\nfreshness = 11\n")
                .Get("freshness"),
            "11");
}

TEST(ParserTest, CommandErrors) {
  EXPECT_EQ(Errors("[x]\ntype = command\n"),
            "f:1:1: error: service 'x' of type command needs 'command'\n[x]\n^\n");
  EXPECT_EQ(Errors("[x]\ntype = command\ncommand = check_load -r\n"),
            "f:3:11: error: invalid value 'check_load -r' for 'command': program 'check_load' is "
            "not an absolute path: commands run with a fixed PATH and no shell, so name the "
            "program in full, e.g. /usr/lib/nagios/plugins/check_disk\ncommand = check_load "
            "-r\n          ^\n");
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x | /bin/y\n").find("unquoted '|'"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\ninterval = 9\n")
                .find("invalid value '9' for 'interval': expected a number of seconds from 10 to "
                      "86400"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\ninterval = 86401\n").find("86400"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\nmax_instances = 17\n")
                .find("'max_instances': expected a number from 1 to 16"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\nuser = Root!\n").find("'user'"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\nschedule = hours=9\n")
                .find("f:4:12: error: invalid value 'hours=9' for 'schedule': unknown schedule "
                      "field 'hours', did you mean 'hour'?"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\ninterval = 60\nfreshness = 60\n")
                .find("f:5:13: error: command service 'x': freshness 60 must be greater than "
                      "interval 60 (default: 2 x interval + 60 = 180)"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\nintervall = 60\n")
                .find("unknown key 'intervall' for type command, did you mean 'interval'?"),
            std::string::npos);
  EXPECT_NE(Errors("[x]\ntype = command\ncommand = /bin/x\nhost = a.example\n")
                .find("key 'host' does not apply to type command"),
            std::string::npos);
}

TEST(ParserTest, CommandRoundTripsInSnapshotMode) {
  Service s = ParseOne(
      "[x]\ntype = command\ncommand = /opt/c/x 'a '\\;'b' \"it's\" '' \\$HOME\n"
      "schedule = hour=22-6\n");
  const std::string text = FormatService(s, true, true);
  std::vector<Diagnostic> d;
  const auto sections = LexIni(text, "snap", d);
  ASSERT_EQ(sections.size(), 1u);
  const auto back = ParseService(sections[0], ParseMode::kSnapshot, d);
  ASSERT_TRUE(back.has_value()) << RenderAll(d) << text;
  EXPECT_EQ(*back, s);
}

TEST(ParserTest, SnapshotModeRequiresValidSource) {
  std::vector<Diagnostic> d;
  const auto sections = LexIni("[a]\ntype = ssh\n[b]\ntype = ssh\nsource = x:0\n", "s", d);
  EXPECT_FALSE(ParseService(sections[0], ParseMode::kSnapshot, d).has_value());
  EXPECT_FALSE(ParseService(sections[1], ParseMode::kSnapshot, d).has_value());
  EXPECT_EQ(RenderAll(d),
            "s:1:1: error: service 'a' has no 'source'\n[a]\n^\n"
            "s:5:10: error: invalid value 'x:0' for 'source': expected path:line\n"
            "source = x:0\n         ^\n");
}

TEST(RejectDuplicateServicesTest, NamesAndDescriptionsMustBeUnique) {
  std::vector<Service> services(3);
  services[0].name = "a";
  services[0].description = "A";
  services[0].loc = {"f1", 1, 0};
  services[1].name = "a";
  services[1].description = "other";
  services[1].loc = {"f2", 4, 0};
  services[2].name = "b";
  services[2].description = "A";
  services[2].loc = {"f2", 9, 0};
  std::vector<Diagnostic> d;
  RejectDuplicateServices(services, d);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].loc.file, "f1");
  EXPECT_EQ(RenderAll(d),
            "f2:4: error: duplicate service 'a' (first defined at f1:1)\n"
            "f2:9: error: service 'b' has the same description 'A' as service 'a' at f1:1; the "
            "monitoring server needs distinct names\n");
}

}  // namespace
}  // namespace automon::formats
