// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/nagios.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "backends/testing/golden.h"
#include "formats/parser.h"

namespace automon::backends {
namespace {

using testing::ReadGolden;

NagiosRenderOptions Options() {
  NagiosRenderOptions options;
  options.generated_at = "2026-11-21T12:00:00Z";
  options.templates_file = "/etc/automon/nagios-templates.cfg";
  return options;
}

// As the registrar does it: the plan, then the renderer.
Result<RenderedHost> RenderNagiosHost(const formats::Snapshot& snapshot,
                                      const NagiosRenderOptions& options,
                                      const PlanOptions& plan = {}) {
  return NagiosRenderer(options).RenderHost(PlanHost(snapshot, plan));
}

formats::Snapshot Parse(const std::string& definitions) {
  const formats::ParseResult parsed =
      formats::ParseDefinitions(definitions, "/etc/monitoring-info/all");
  EXPECT_TRUE(parsed.diagnostics.empty() || !HasErrors(parsed.diagnostics))
      << parsed.diagnostics.front().Render();
  formats::Snapshot s;
  s.host = "web01.example.org";
  s.address = "192.0.2.10";
  s.generation = 7;
  s.services = parsed.services;
  return s;
}

const char kEveryType[] =
    "[web]\ntype = http\n"
    "[shop]\ntype = http\nssl = true\nhostname = shop.example.org\nexpire_before_days = 30\n"
    "uri = /health?full=1&x=y\naccept_redirection = false\n"
    "[legacy]\ntype = http\nssl = true\nignore_invalid_ssl = true\nhost = 192.0.2.99\n"
    "description = Legacy web:8443\nport = 8443\n"
    "[echo]\ntype = udp\nport = 7\nsend = ping; it!\nexpect = ping\n"
    "[dns]\ntype = udp\nport = 53\n"
    "[db]\ntype = tcp\nport = 5432\n"
    "[tls]\ntype = tcp\nport = 6514\nssl = true\nssl_hostname = logs.example.org\n"
    "expire_before_days = 14\n"
    "[mx]\ntype = smtp\n"
    "[mxs]\ntype = smtp\nssl = true\n"
    "[imap]\ntype = imap\nssl = true\nexpire_before_days = 20\n"
    "[pop]\ntype = pop3\n"
    "[dir]\ntype = ldap\nbase = dc=example,dc=org\n"
    "[dirs]\ntype = ldap\nssl = true\nbase = dc=example,dc=org\n"
    "username = cn=monitor,dc=example,dc=org\npassword = s3cr3t-ldap\n"
    "[ssh]\ntype = ssh\nport = 2222\n"
    "[flow]\ntype = mailflow\nseconds = 300\nid = main\n"
    "[guac]\ntype = guacamole\npassword = s3cr3t-guac\nwarning = 10\ncritical = 20\n"
    "protocol = https\nignore_invalid_ssl = true\n"
    "[guac-nopw]\ntype = guacamole\n"
    "[lb]\ntype = haproxy\nstats = https://lb.example.org:8404/stats\nusername = mon\n"
    "password = s3cr3t-lb\nproxies = web, api*\nwarning = 50%\n"
    "[lbsock]\ntype = haproxy\nstats = /run/haproxy/admin.sock\nwarning = 100\ncritical = 200\n"
    "[mxflow]\ntype = smtp\nemail = probe@example.org\nmailflowid = main\n"
    "[boxflow]\ntype = imap\nssl = true\nignore_invalid_ssl = true\nusername = probe\n"
    "password = s3cr3t-imap\nmailflowid = main\n"
    "[popflow]\ntype = pop3\nusername = probe\npassword = s3cr3t-pop\nmailflowid = main\n";

TEST(NagiosRendererTest, HostFileMatchesGolden) {
  const formats::Snapshot s = Parse(kEveryType);
  ASSERT_EQ(s.services.size(), 22u);
  auto rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  EXPECT_EQ(rendered->content, ReadGolden("web01.example.org.cfg", rendered->content));
  for (const RenderedService& r : rendered->services) EXPECT_TRUE(r.rendered) << r.name;
}

TEST(NagiosRendererTest, ADisabledHostKeepsItsObjectsWithoutChecksOrNotifications) {
  HostPlan plan = PlanHost(Parse("[ssh]\ntype = ssh\n[web]\ntype = http\n"), {});
  auto enabled = NagiosRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(enabled.ok());
  EXPECT_EQ(enabled->content.find("active_checks_enabled"), std::string::npos);
  plan.disabled = true;
  auto disabled = NagiosRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(disabled.ok());
  // The host and each of its services, nothing else changes.
  size_t checks = 0, notifications = 0;
  for (size_t at = 0;
       (at = disabled->content.find("active_checks_enabled   0\n", at)) != std::string::npos;
       ++at) {
    ++checks;
  }
  for (size_t at = 0;
       (at = disabled->content.find("notifications_enabled   0\n", at)) != std::string::npos;
       ++at) {
    ++notifications;
  }
  EXPECT_EQ(checks, 3u);
  EXPECT_EQ(notifications, 3u);
  std::string stripped = disabled->content;
  for (const char* line : {"    active_checks_enabled   0\n", "    notifications_enabled   0\n"}) {
    for (size_t at; (at = stripped.find(line)) != std::string::npos;)
      stripped.erase(at, strlen(line));
  }
  EXPECT_EQ(stripped, enabled->content);
}

TEST(NagiosRendererTest, SelfCheckHostRunsTheRegistrarsCheck) {
  auto rendered = NagiosRenderer(Options()).RenderHost(SelfCheckHostPlan("monitor.example.org"));
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  EXPECT_NE(rendered->content.find("service_description     automon registrar\n"),
            std::string::npos)
      << rendered->content;
  EXPECT_NE(rendered->content.find("check_command           automon_registrar_self_check\n"),
            std::string::npos);
  EXPECT_NE(RenderNagiosCommon(Options()).find("$USER1$/check_automon_registrar\n"),
            std::string::npos);
}

TEST(NagiosRendererTest, CommonFileMatchesGolden) {
  const std::string common = RenderNagiosCommon(Options());
  EXPECT_EQ(common, ReadGolden("automon.cfg", common));
}

TEST(NagiosRendererTest, SecretsNeverReachTheConfigurationOnlyFiles) {
  const formats::Snapshot s = Parse(kEveryType);
  auto rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok());
  for (const char* secret :
       {"s3cr3t-ldap", "s3cr3t-guac", "s3cr3t-lb", "s3cr3t-imap", "s3cr3t-pop"}) {
    EXPECT_EQ(rendered->content.find(secret), std::string::npos) << secret;
  }
  ASSERT_EQ(rendered->secrets.size(), 5u);
  EXPECT_EQ(rendered->secrets[0].path,
            "/var/lib/automon/secrets/1a/web01.example.org@dirs.7.password");
  EXPECT_EQ(rendered->secrets[0].content, "s3cr3t-ldap\n");
  EXPECT_EQ(rendered->secrets[1].path,
            "/var/lib/automon/secrets/1a/web01.example.org@guac.7.password");
  EXPECT_EQ(rendered->secrets[2].content, "s3cr3t-lb\n");
  // The mail-flow mailboxes' passwords reach check_mailflow by file too.
  EXPECT_EQ(rendered->secrets[3].path,
            "/var/lib/automon/secrets/1a/web01.example.org@boxflow.7.password");
  EXPECT_EQ(rendered->secrets[3].content, "s3cr3t-imap\n");
  EXPECT_EQ(rendered->secrets[4].path,
            "/var/lib/automon/secrets/1a/web01.example.org@popflow.7.password");
  EXPECT_EQ(rendered->secrets[4].content, "s3cr3t-pop\n");
  EXPECT_NE(
      rendered->content.find("!/var/lib/automon/secrets/1a/web01.example.org@guac.7.password!"),
      std::string::npos);
}

// Every mail-flow check of one flow of a host shares
// <mailflow_dir>/<host>/<mailflowid>, under the directory the registrar's
// configuration puts under its state_dir.
TEST(NagiosRendererTest, MailflowChecksShareTheConfiguredStateDirectory) {
  PlanOptions plan;
  plan.mailflow_dir = "/srv/automon state/mailflow";
  auto rendered = RenderNagiosHost(Parse(kEveryType), Options(), plan);
  ASSERT_TRUE(rendered.ok());
  const std::string state = "!/srv/automon state/mailflow/web01.example.org/main!";
  for (const char* command :
       {"check_command           automon_mailflow_age!main",
        "check_command           automon_mailflow_send!main",
        "check_command           automon_mailflow_receive_tls_insecure!imap!main",
        "check_command           automon_mailflow_receive!pop3!main"}) {
    const size_t at = rendered->content.find(command);
    ASSERT_NE(at, std::string::npos) << command << "\n" << rendered->content;
    const size_t end = rendered->content.find('\n', at);
    EXPECT_NE(rendered->content.substr(at, end - at).find(state), std::string::npos)
        << rendered->content.substr(at, end - at);
  }
}

// Every check_command names a command of the common file and passes exactly
// as many arguments as its command_line uses; every $ARGn$ is single-quoted.
TEST(NagiosRendererTest, CheckCommandsMatchTheirDefinitions) {
  const std::string common = RenderNagiosCommon(Options());
  std::map<std::string, int> arity;
  const std::regex command(R"(command_name\s+(\S+)\n\s+command_line\s+(.*)\n)");
  for (std::sregex_iterator it(common.begin(), common.end(), command), end; it != end; ++it) {
    const std::string line = (*it)[2];
    EXPECT_TRUE(line.starts_with("$USER1$/")) << line;
    int max = 0;
    const std::regex arg(R"((.)\$ARG(\d+)\$(.))");
    for (std::sregex_iterator a(line.begin(), line.end(), arg), e; a != e; ++a) {
      max = std::max(max, std::stoi((*a)[2]));
      EXPECT_EQ((*a)[3], "'") << line;
    }
    EXPECT_TRUE(arity.emplace((*it)[1], max).second) << "duplicate " << (*it)[1];
    EXPECT_TRUE(std::string((*it)[1]).starts_with("automon_"));
  }
  EXPECT_GT(arity.size(), 40u);
  auto rendered = RenderNagiosHost(Parse(kEveryType), Options());
  ASSERT_TRUE(rendered.ok());
  const std::regex check(R"(check_command\s+(.*)\n)");
  int checks = 0;
  for (std::sregex_iterator it(rendered->content.begin(), rendered->content.end(), check), end;
       it != end; ++it) {
    const std::string value = (*it)[1];
    // Split on unescaped '!'.
    std::vector<std::string> parts(1);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) {
        parts.back() += value.substr(i, 2);
        ++i;
      } else if (value[i] == '!') {
        parts.emplace_back();
      } else {
        parts.back() += value[i];
      }
    }
    ASSERT_TRUE(arity.count(parts[0])) << value;
    EXPECT_EQ(static_cast<int>(parts.size()) - 1, arity[parts[0]]) << value;
    ++checks;
  }
  EXPECT_EQ(checks, 22);
}

TEST(NagiosRendererTest, HostileValuesThatSlipPastFormatsAreLeftOutOrInert) {
  formats::Snapshot s = Parse(
      "[a]\ntype = tcp\nport = 1\n[b]\ntype = tcp\nport = 2\n"
      "[c]\ntype = udp\nport = 3\nsend = x\nexpect = y\n"
      "[d]\ntype = tcp\nport = 4\n");
  // Bypass formats: a Service built in code can hold anything.
  s.services[0].description = "evil;\n define command {";
  s.services[1].settings["port"] = "1\\";
  s.services[2].settings["send"] = "$USER1$ '$(touch /tmp/x)' !";
  s.services[3].name = "../../etc/passwd";
  auto rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok());
  ASSERT_EQ(rendered->services.size(), 4u);
  EXPECT_FALSE(rendered->services[0].rendered);
  EXPECT_EQ(rendered->services[0].reason,
            "description 'evil;\n define command {' is not usable in Nagios");
  EXPECT_FALSE(rendered->services[1].rendered);
  EXPECT_EQ(rendered->services[1].reason,
            "a value cannot be written safely: backslash at offset 1 is not allowed");
  EXPECT_TRUE(rendered->services[2].rendered);
  EXPECT_NE(rendered->content.find("automon_udp!192.0.2.10!3!$$USER1$$ '\\''$$(touch /tmp/x)'\\'' "
                                   "\\!!y"),
            std::string::npos)
      << rendered->content;
  EXPECT_FALSE(rendered->services[3].rendered);
  EXPECT_EQ(rendered->content.find("define command"), std::string::npos);
}

TEST(NagiosRendererTest, RefusesHostNamesAndAddressesOutsideTheAllowList) {
  formats::Snapshot s = Parse("[a]\ntype = ssh\n");
  s.host = "evil host;";
  auto bad_name = RenderNagiosHost(s, Options());
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(
      bad_name.error().message,
      "host name 'evil host;' is not usable in Nagios: expected letters, digits and ._- only");
  s.host = "ok.example.org";
  s.address = "$HOSTADDRESS$";
  auto bad_address = RenderNagiosHost(s, Options());
  ASSERT_FALSE(bad_address.ok());
  EXPECT_EQ(bad_address.error().message,
            "address '$HOSTADDRESS$' is not usable in Nagios: expected a host name, an IPv4 or "
            "an IPv6 address");
}

TEST(NagiosRendererTest, SourceCommentsOnlyFromTheAllowList) {
  formats::Snapshot s = Parse("[a]\ntype = ssh\n[b]\ntype = ssh\nport = 23\n");
  s.services[1].loc.file = "/etc/x\\";
  auto rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok());
  EXPECT_NE(rendered->content.find("# from /etc/monitoring-info/all:1"), std::string::npos);
  EXPECT_EQ(rendered->content.find("/etc/x"), std::string::npos);
}

TEST(NagiosRendererTest, HeaderIsTheOnlyTimeDependentPart) {
  const formats::Snapshot s = Parse("[a]\ntype = ssh\n");
  NagiosRenderOptions later = Options();
  later.generated_at = "2030-01-01T00:00:00Z";
  auto a = RenderNagiosHost(s, Options());
  auto b = RenderNagiosHost(s, later);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->content, b->content);
  EXPECT_EQ(WithoutHeader(a->content), WithoutHeader(b->content));
  EXPECT_TRUE(a->content.starts_with(
      "# Generated by automon-registrar from host web01.example.org (generation 7) at "
      "2026-11-21T12:00:00Z.\n# Do not edit"));
  EXPECT_EQ(HostBucket("h.example.org"), "36");  // sha256sum of "h.example.org"
  EXPECT_EQ(HostFileName("h.example.org"), "hosts/36/h.example.org.cfg");
}

// Issue #14/#18: 64 proxies (the schema's maximum) as long as a definition
// line allows (4,096 bytes: 62 bytes each) go as
// one argument; Nagios expands only $ARG1$..$ARG32$.
TEST(NagiosRendererTest, SixtyFourProxiesAreOneArgument) {
  std::string proxies;
  for (int i = 0; i < 64; ++i) {
    proxies += fmt::format("{}{:0>2}-{}", i == 0 ? "" : ",", i, std::string(59, 'p'));
  }
  formats::Snapshot s = Parse(
      "[lb]\ntype = haproxy\nstats = http://:8404/stats\nusername = mon\n"
      "password = pw\nproxies = " +
      proxies + "\n");
  s.host = "lb.example.org";
  auto rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  ASSERT_EQ(rendered->services.size(), 1u);
  EXPECT_TRUE(rendered->services[0].rendered) << rendered->services[0].reason;
  EXPECT_EQ(rendered->content, ReadGolden("lb.example.org.cfg", rendered->content));
  EXPECT_NE(rendered->content.find("!" + proxies + "\n"), std::string::npos);
  EXPECT_EQ(rendered->content.find("$ARG33$"), std::string::npos);
}

TEST(NagiosRendererTest, RefusesAPlanThatNeedsMoreThanThirtyTwoArguments) {
  HostPlan plan;
  plan.host = "h.example.org";
  plan.address = "192.0.2.1";
  PlannedService& s = plan.services.emplace_back();
  s.name = "many";
  s.description = "many";
  s.plan.command = "many";
  s.plan.program = {"check_dummy", ProgramSource::kMonitoringPlugins};
  for (int i = 0; i < 33; ++i) s.plan.arguments.push_back({"-x", ArgumentKind::kValue, "v", false});
  auto rendered = NagiosRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(rendered.ok());
  ASSERT_EQ(rendered->services.size(), 1u);
  EXPECT_FALSE(rendered->services[0].rendered);
  EXPECT_EQ(rendered->services[0].reason,
            "its check needs 33 arguments, and Nagios passes at most 32 ($ARG1$..$ARG32$)");
  EXPECT_EQ(rendered->content.find("define service"), std::string::npos);
  s.plan.arguments.pop_back();
  rendered = NagiosRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(rendered.ok());
  EXPECT_TRUE(rendered->services[0].rendered) << "32 is fine";
}

const char kPassive[] =
    "[backup]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_backup -w 1\n"
    "interval = 60\ndescription = Backup\n"
    "[lbsock]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n"
    "[ssh]\ntype = ssh\n";

// Issue #15: passive services, the stale command and the heartbeat's
// dependencies (passive-icinga2-prometheus.md §1.3, §1.7).
TEST(NagiosRendererTest, PassiveHostMatchesGolden) {
  formats::Snapshot s = Parse(kPassive);
  s.heartbeat_seconds = 60;
  auto rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  ASSERT_EQ(rendered->services.size(), 4u);
  for (const RenderedService& r : rendered->services) EXPECT_TRUE(r.rendered) << r.reason;
  EXPECT_EQ(rendered->content, ReadGolden("passive.example.org.cfg", rendered->content));
  EXPECT_EQ(rendered->content.find("check_backup"), std::string::npos);
  EXPECT_EQ(rendered->content.find("admin.sock"), std::string::npos);
  // Without a heartbeat: the same services, no dependency.
  s.heartbeat_seconds.reset();
  rendered = RenderNagiosHost(s, Options());
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(rendered->services.size(), 3u);
  EXPECT_EQ(rendered->content.find("servicedependency"), std::string::npos);
  EXPECT_EQ(rendered->content.find("automon agent"), std::string::npos);
}

}  // namespace
}  // namespace automon::backends
