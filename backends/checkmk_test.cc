// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/checkmk.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/checkmk_sandbox.h"
#include "backends/testing/golden.h"
#include "common/process_runner.h"
#include "formats/parser.h"

namespace automon::backends {
namespace {

// tests/checkmk/ executes the golden .mk files with Python and checks
// them field by field.
using testing::ReadGolden;

CheckmkRenderOptions Options() {
  CheckmkRenderOptions options;
  options.generated_at = "2026-11-21T12:00:00Z";
  options.site = "mysite";
  options.site_plugins_dir = "/omd/sites/mysite/lib/nagios/plugins";
  options.probes_dir = "/usr/lib/nagios/plugins";
  return options;
}

// As the registrar does it: the plan, then the renderer.
Result<RenderedHost> RenderCheckmkHost(const formats::Snapshot& snapshot,
                                       const CheckmkRenderOptions& options) {
  return CheckmkRenderer(options).RenderHost(PlanHost(snapshot, PlanOptions{}));
}

formats::Snapshot Parse(const std::string& definitions, std::optional<std::string> address) {
  const formats::ParseResult parsed =
      formats::ParseDefinitions(definitions, "/etc/monitoring-info/all");
  EXPECT_FALSE(HasErrors(parsed.diagnostics)) << parsed.diagnostics.front().Render();
  formats::Snapshot s;
  s.host = "web01.example.org";
  s.address = std::move(address);
  s.generation = 7;
  s.services = parsed.services;
  // The renderer must not rely on formats/ having refused quotes: the
  // "quote" service gets one behind the validator's back.
  for (formats::Service& service : s.services) {
    if (service.name == "quote") service.settings["uri"] = "/it's";
  }
  return s;
}

// Every type, with the probes of issues #7 and #9 among them.
const char kServices[] =
    "[web]\ntype = http\n"
    "[shop]\ntype = http\nssl = true\nhostname = shop.example.org\nexpire_before_days = 30\n"
    "uri = /health?full=1&x=y\naccept_redirection = false\n"
    "[quote]\ntype = http\nuri = /placeholder\n"
    "[db]\ntype = tcp\nport = 5432\n"
    "[mx]\ntype = smtp\n"
    "[dirs]\ntype = ldap\nssl = true\nbase = dc=example,dc=org\n"
    "username = cn=monitor,dc=example,dc=org\npassword = s3cr3t-ldap\n"
    "[ssh]\ntype = ssh\nport = 2222\n"
    "[dns]\ntype = udp\nport = 53\n"
    "[flow]\ntype = mailflow\nseconds = 300\nid = main\n"
    "[guac]\ntype = guacamole\npassword = s3cr3t-guac\nwarning = 10\ncritical = 20\n"
    "[lb]\ntype = haproxy\nstats = https://lb.example.org:8404/stats\nusername = mon\n"
    "password = s3cr3t-lb\nproxies = web, api*\nwarning = 50%\n"
    "[boxflow]\ntype = imap\nssl = true\nusername = probe\npassword = s3cr3t-imap\n"
    "mailflowid = main\n";

TEST(CheckmkRendererTest, HostFileMatchesGolden) {
  const formats::Snapshot s = Parse(kServices, "192.0.2.10");
  ASSERT_EQ(s.services.size(), 12u);
  auto rendered = RenderCheckmkHost(s, Options());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  EXPECT_EQ(rendered->content, ReadGolden("web01.example.org.mk", rendered->content));
  for (const RenderedService& r : rendered->services) EXPECT_TRUE(r.rendered) << r.name << r.reason;
}

TEST(CheckmkRendererTest, CommandLinesAreTheNagiosOnesWithAbsolutePrograms) {
  auto rendered = RenderCheckmkHost(Parse(kServices, "192.0.2.10"), Options());
  ASSERT_TRUE(rendered.ok());
  const std::string& mk = rendered->content;
  for (const char* expected : {
           "'command_line': '/omd/sites/mysite/lib/nagios/plugins/check_http -I \\'192.0.2.10\\' "
           "-H \\'web01.example.org\\' -p \\'80\\' -u \\'/\\' -f \\'sticky\\''",
           // A quote in a value: closed, escaped and reopened for the shell
           // ('\''), then escaped for Python.
           "-u \\'/it\\'\\\\\\'\\'s\\'",
           "'command_line': '/usr/lib/nagios/plugins/check_guacamole --host \\'192.0.2.10\\' "
           "--port \\'8080\\' --protocol \\'http\\' --uri \\'/guacamole\\' --data-source "
           "\\'mysql\\' --username \\'guacadmin\\' --password-file "
           "\\'/var/lib/automon/secrets/1a/web01.example.org@guac.7.password\\' -w \\'10\\' "
           "-c \\'20\\''",
           "'/usr/lib/nagios/plugins/check_haproxy_sessions --url "
           "\\'https://lb.example.org:8404/stats\\' --username \\'mon\\' --password-file "
           "\\'/var/lib/automon/secrets/1a/web01.example.org@lb.7.password\\' -w \\'50%\\' -c "
           "\\'90%\\' --proxies \\'web,api*\\''",
           "'/usr/lib/nagios/plugins/automon_password_env LDAP_PASSWORD "
           "\\'/var/lib/automon/secrets/1a/web01.example.org@dirs.7.password\\' "
           "/omd/sites/mysite/lib/nagios/plugins/check_ldap -S",
           "'/usr/lib/nagios/plugins/check_mailflow --mode age --mailflowid \\'main\\'",
       }) {
    EXPECT_NE(mk.find(expected), std::string::npos) << expected << "\n" << mk;
  }
  EXPECT_EQ(mk.find("$USER"), std::string::npos);
  EXPECT_EQ(mk.find("$ARG"), std::string::npos);
}

TEST(CheckmkRendererTest, HostIsAgentlessLabelledAndAliased) {
  auto rendered = RenderCheckmkHost(Parse(kServices, "192.0.2.10"), Options());
  ASSERT_TRUE(rendered.ok());
  const std::string& mk = rendered->content;
  EXPECT_NE(mk.find("all_hosts += ['web01.example.org']\n"), std::string::npos);
  EXPECT_NE(mk.find("host_tags.update({'web01.example.org': {'site': 'mysite', "
                    "'address_family': 'ip-v4-only', 'ip-v4': 'ip-v4', 'agent': 'no-agent', "
                    "'piggyback': 'no-piggyback', 'snmp_ds': 'no-snmp'}})\n"),
            std::string::npos);
  EXPECT_NE(mk.find("host_labels.update({'web01.example.org': {'automon': 'registered'}})\n"),
            std::string::npos);
  EXPECT_NE(mk.find("ipaddresses.update({'web01.example.org': '192.0.2.10'})\n"),
            std::string::npos);
  EXPECT_NE(mk.find("explicit_host_conf['alias'].update({'web01.example.org': "
                    "'web01.example.org'})\n"),
            std::string::npos);
  // Every rule is for this host alone.
  size_t rules = 0;
  for (size_t at = 0;
       (at = mk.find("'condition': {'host_name': ['web01.example.org']}", at)) != std::string::npos;
       ++at) {
    ++rules;
  }
  EXPECT_EQ(rules, 12u);
}

TEST(CheckmkRendererTest, IPv6AddressAndNoAddress) {
  auto v6 = RenderCheckmkHost(Parse("[ssh]\ntype = ssh\n", "2001:db8::10"), Options());
  ASSERT_TRUE(v6.ok());
  EXPECT_NE(v6->content.find("'address_family': 'ip-v6-only', 'ip-v6': 'ip-v6'"),
            std::string::npos);
  EXPECT_NE(v6->content.find("ipv6addresses.update({'web01.example.org': '2001:db8::10'})"),
            std::string::npos);
  EXPECT_EQ(v6->content.find("ipaddresses"), std::string::npos);
  auto by_name = RenderCheckmkHost(Parse("[ssh]\ntype = ssh\n", std::nullopt), Options());
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->content.find("ipaddresses"), std::string::npos);
  EXPECT_NE(by_name->content.find("-H \\'web01.example.org\\'"), std::string::npos);
}

TEST(CheckmkRendererTest, SecretsOnlyByFile) {
  auto rendered = RenderCheckmkHost(Parse(kServices, "192.0.2.10"), Options());
  ASSERT_TRUE(rendered.ok());
  for (const char* secret : {"s3cr3t-ldap", "s3cr3t-guac", "s3cr3t-lb", "s3cr3t-imap"}) {
    EXPECT_EQ(rendered->content.find(secret), std::string::npos) << secret;
  }
  ASSERT_EQ(rendered->secrets.size(), 4u);
  EXPECT_EQ(rendered->secrets[0].path,
            "/var/lib/automon/secrets/1a/web01.example.org@dirs.7.password");
  EXPECT_EQ(rendered->secrets[0].content, "s3cr3t-ldap\n");
  EXPECT_EQ(rendered->secrets[1].path,
            "/var/lib/automon/secrets/1a/web01.example.org@guac.7.password");
}

TEST(CheckmkRendererTest, RuleIdsCannotCollide) {
  // "automon-a-b-c" was both host a-b's service c and host a's service b-c.
  formats::Snapshot one = Parse("[c]\ntype = ssh\n", "192.0.2.10");
  one.host = "a-b";
  formats::Snapshot two = Parse("[b-c]\ntype = ssh\n", "192.0.2.10");
  two.host = "a";
  auto first = RenderCheckmkHost(one, Options());
  auto second = RenderCheckmkHost(two, Options());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->content.find("{'id': 'automon/a-b/c', "), std::string::npos) << first->content;
  EXPECT_NE(second->content.find("{'id': 'automon/a/b-c', "), std::string::npos) << second->content;
}

TEST(CheckmkRendererTest, EachServiceTakesOnlyItsOwnSecretFiles) {
  // Service "g." + "x" must not hand its password file to service "g" too.
  auto rendered = RenderCheckmkHost(Parse("[g]\ntype = guacamole\npassword = one\n"
                                          "[g.x]\ntype = guacamole\npassword = two\nport = 8081\n",
                                          "192.0.2.10"),
                                    Options());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  ASSERT_EQ(rendered->secrets.size(), 2u);
  EXPECT_EQ(rendered->secrets[0].path,
            "/var/lib/automon/secrets/1a/web01.example.org@g.7.password");
  EXPECT_EQ(rendered->secrets[0].content, "one\n");
  EXPECT_EQ(rendered->secrets[1].path,
            "/var/lib/automon/secrets/1a/web01.example.org@g.x.7.password");
  EXPECT_EQ(rendered->secrets[1].content, "two\n");
}

TEST(CheckmkRendererTest, RefusesValuesTheCoresReadDifferently) {
  auto rendered =
      RenderCheckmkHost(Parse("[echo]\ntype = udp\nport = 7\nsend = ping; it!\nexpect = ping\n"
                              "[ok]\ntype = ssh\n",
                              "192.0.2.10"),
                        Options());
  ASSERT_TRUE(rendered.ok());
  ASSERT_EQ(rendered->services.size(), 2u);
  EXPECT_FALSE(rendered->services[0].rendered);
  EXPECT_NE(rendered->services[0].reason.find("'!', ';' or '$'"), std::string::npos);
  EXPECT_TRUE(rendered->services[1].rendered);
  EXPECT_EQ(rendered->content.find("ping"), std::string::npos);
}

TEST(CheckmkRendererTest, RefusesHostsCheckmkCannotName) {
  for (const char* host : {"-web", ".web", "we b", "web'01", "web\n01"}) {
    formats::Snapshot s = Parse("[ssh]\ntype = ssh\n", std::nullopt);
    s.host = host;
    auto rendered = RenderCheckmkHost(s, Options());
    ASSERT_FALSE(rendered.ok()) << host;
    EXPECT_NE(rendered.error().message.find("not usable in Checkmk"), std::string::npos);
  }
  formats::Snapshot s = Parse("[ssh]\ntype = ssh\n", "1.2.3.4'); import os #");
  auto rendered = RenderCheckmkHost(s, Options());
  ASSERT_FALSE(rendered.ok());
  EXPECT_NE(rendered.error().message.find("address"), std::string::npos);
}

TEST(CheckmkRendererTest, OutputIsPrintableAsciiWithAHeader) {
  auto rendered = RenderCheckmkHost(Parse(kServices, "192.0.2.10"), Options());
  ASSERT_TRUE(rendered.ok());
  EXPECT_TRUE(rendered->content.starts_with(
      "# Generated by automon-registrar from host web01.example.org (generation 7) at "
      "2026-11-21T12:00:00Z.\n# Do not edit"));
  for (char c : rendered->content) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f));
  EXPECT_EQ(CheckmkFileName("web01.example.org"), "web01.example.org.mk");
}

// Issue #15: a passive service is a custom check without command_line, with
// freshness in whole minutes (passive-icinga2-prometheus.md §1.5).
TEST(CheckmkRendererTest, PassiveServicesHaveFreshnessAndNoCommandLine) {
  formats::Snapshot s = Parse(
      "[backup]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_backup -w 1\n"
      "interval = 60\ndescription = Backup\n"
      "[lbsock]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n"
      "[ssh]\ntype = ssh\n",
      "192.0.2.10");
  s.heartbeat_seconds = 60;
  auto rendered = RenderCheckmkHost(s, Options());
  ASSERT_TRUE(rendered.ok()) << rendered.error().message;
  ASSERT_EQ(rendered->services.size(), 4u);
  for (const RenderedService& r : rendered->services) EXPECT_TRUE(r.rendered) << r.reason;
  EXPECT_EQ(rendered->content, ReadGolden("passive.example.org.mk", rendered->content));
  EXPECT_EQ(rendered->content.find("check_backup"), std::string::npos);
  EXPECT_EQ(rendered->content.find("admin.sock"), std::string::npos);
  EXPECT_NE(
      rendered->content.find("'freshness': {'interval': 11, 'state': 3, 'output': 'No result from "
                             "web01.example.org for 660 s (agent silent?)'}"),
      std::string::npos)
      << rendered->content;
}

// The registrar's sandbox check of staged .mk files takes passive rules
// (freshness, no command_line) and still refuses a rule that has neither.
TEST(CheckmkRendererTest, SandboxTakesPassiveRulesOnly) {
  RealProcessRunner runner;
  auto sandbox = [&](const std::string& path) {
    auto run = runner.Run({"/usr/bin/python3", "-I", "-S", "-c",
                           std::string(CheckmkSandboxSource()), "web01.example.org", path},
                          std::chrono::seconds(60));
    EXPECT_TRUE(run.ok());
    return run.ok() ? run->output : "";
  };
  EXPECT_EQ(sandbox("backends/testdata/passive.example.org.mk"), "OK\tweb01.example.org\n");
  std::ifstream in("backends/testdata/passive.example.org.mk");
  std::stringstream golden;
  golden << in.rdbuf();
  std::string bad = golden.str();
  const size_t at = bad.find("'freshness': {'interval': 3, 'state': 3, ");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 41, "'freshness': {'interval': 3, 'state': 7, ");
  const std::string path = ::testing::TempDir() + "/bad.mk";
  std::ofstream(path) << bad;
  EXPECT_EQ(sandbox(path).substr(0, 23), "FAIL\tweb01.example.org\t");
}

// The sandbox's verdict on one file.
std::string Sandbox(const std::string& path) {
  RealProcessRunner runner;
  auto run = runner.Run({"/usr/bin/python3", "-I", "-S", "-c", std::string(CheckmkSandboxSource()),
                         "web01.example.org", path},
                        std::chrono::seconds(60));
  EXPECT_TRUE(run.ok());
  return run.ok() ? run->output : "";
}

std::string SandboxText(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << content;
  return Sandbox(path);
}

// Issue #17: a host the lifecycle disabled keeps its rules, and Checkmk's
// own rulesets, prepended as Setup writes them, switch its checks and
// notifications off; its passive services are never stale.
TEST(CheckmkRendererTest, DisabledHostSwitchesChecksAndNotificationsOff) {
  formats::Snapshot s = Parse(
      "[backup]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_backup -w 1\n"
      "interval = 60\ndescription = Backup\n"
      "[ssh]\ntype = ssh\n",
      "192.0.2.10");
  HostPlan plan = PlanHost(s, PlanOptions{});
  auto enabled = CheckmkRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(enabled.ok()) << enabled.error().message;
  EXPECT_EQ(enabled->content.find("extra_host_conf"), std::string::npos);
  EXPECT_EQ(enabled->content.find("extra_service_conf"), std::string::npos);
  EXPECT_EQ(enabled->content.find("disabled"), std::string::npos);

  plan.disabled = true;
  auto disabled = CheckmkRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(disabled.ok()) << disabled.error().message;
  for (const RenderedService& r : disabled->services) EXPECT_TRUE(r.rendered) << r.reason;
  const std::string& mk = disabled->content;
  EXPECT_EQ(mk, ReadGolden("disabled.example.org.mk", mk));
  for (const char* table : {"extra_host_conf", "extra_service_conf"}) {
    for (const char* attribute : {"active_checks_enabled", "notifications_enabled"}) {
      const std::string expected = fmt::format(
          "{0}.setdefault('{1}', [])\n"
          "{0}['{1}'] = [\n"
          "    {{'id': 'automon/web01.example.org/disabled/{0}:{1}', 'value': '0', "
          "'condition': {{'host_name': ['web01.example.org']}}, 'options': {{'description': "
          "'automon: host web01.example.org disabled by the registrar\\'s lifecycle ({2} {1} "
          "off)'}}}},\n"
          "] + {0}['{1}']\n",
          table, attribute, std::string_view(table) == "extra_host_conf" ? "host" : "service");
      EXPECT_NE(mk.find(expected), std::string::npos) << expected << "\n" << mk;
    }
  }
  // The passive service has no freshness; the active one its command line.
  EXPECT_NE(mk.find("'value': {'service_description': 'Backup'}, "), std::string::npos) << mk;
  EXPECT_EQ(mk.find("freshness"), std::string::npos) << mk;
  EXPECT_NE(mk.find("check_ssh -H"), std::string::npos) << mk;
  // Everything else is the enabled file's.
  EXPECT_TRUE(mk.starts_with(enabled->content.substr(0, enabled->content.find("custom_checks"))));
}

// The registrar's sandbox takes the disabled host's rules, and nothing
// that strays from them.
TEST(CheckmkRendererTest, SandboxTakesTheDisabledRulesOnly) {
  EXPECT_EQ(Sandbox("backends/testdata/disabled.example.org.mk"), "OK\tweb01.example.org\n");
  std::ifstream in("backends/testdata/disabled.example.org.mk");
  std::stringstream golden;
  golden << in.rdbuf();
  const std::string good = golden.str();
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string bad = good;
    const size_t at = bad.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) bad.replace(at, from.size(), to);
    return bad;
  };
  const std::string rule_id = "'id': 'automon/web01.example.org/disabled/";
  for (const auto& [name, bad] : std::vector<std::pair<std::string, std::string>>{
           // Checks switched on, not off.
           {"on.mk", changed("'value': '0'", "'value': '1'")},
           // A rule for another host too.
           {"other.mk", changed("'condition': {'host_name': ['web01.example.org']}, 'options': "
                                "{'description': 'automon: host web01.example.org disabled",
                                "'condition': {'host_name': ['web01.example.org', 'x']}, "
                                "'options': {'description': 'automon: host web01.example.org "
                                "disabled")},
           // The site's rules replaced rather than kept.
           {"replaced.mk", changed("] + extra_host_conf['notifications_enabled']\n", "]\n")},
           // Appended: the site's rules would win.
           {"appended.mk", changed("extra_host_conf['active_checks_enabled'] = [\n",
                                   "extra_host_conf['active_checks_enabled'] = "
                                   "extra_host_conf['active_checks_enabled'] + [\n")},
           // Another ruleset of the same tables.
           {"ruleset.mk", changed("extra_service_conf.setdefault('notifications_enabled', [])",
                                  "extra_service_conf.setdefault('check_command', [])")},
           // An id that is not the ruleset's.
           {"id.mk", changed(rule_id + "extra_host_conf:active", rule_id + "x:active")},
       }) {
    EXPECT_TRUE(SandboxText(name, bad).starts_with("FAIL\tweb01.example.org\t"))
        << name << ": " << SandboxText(name, bad);
  }
  // A passive rule without freshness only on a disabled host.
  const std::string enabled = good.substr(0, good.find("\n# The registrar's lifecycle"));
  EXPECT_NE(enabled.find("'value': {'service_description': 'Backup'}, "), std::string::npos);
  EXPECT_TRUE(SandboxText("stale.mk", enabled + "\n").starts_with("FAIL\tweb01.example.org\t"));
}

// The sandbox applies the effects of the statement kinds automon writes
// and runs none of the file's code: whatever else a statement holds, and
// literals Python accepts that automon never writes (sets, bytes, complex
// numbers), are refused with the line or the table that holds them.
TEST(CheckmkRendererTest, SandboxRefusesWhatAutomonNeverWrites) {
  std::ifstream in("backends/testdata/passive.example.org.mk");
  std::stringstream golden;
  golden << in.rdbuf();
  const std::string good = golden.str();
  ASSERT_EQ(SandboxText("good.mk", good), "OK\tweb01.example.org\n");
  const std::string marker = ::testing::TempDir() + "/sandbox-ran-the-file";
  std::filesystem::remove(marker);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"all_hosts += all_hosts\n", "a statement of a kind automon never writes"},
      {"all_hosts = ['web01.example.org']\n", "a statement of a kind automon never writes"},
      {"del all_hosts\n", "a statement of a kind automon never writes"},
      {"ipaddresses['web01.example.org'] = '1'\n", "a statement of a kind automon never writes"},
      {"while True: pass\n", "a statement of a kind automon never writes"},
      {"open('" + marker + "', 'w')\n", "a statement of a kind automon never writes"},
      {"custom_checks += [open('" + marker + "', 'w')]\n", "custom_checks is not a literal"},
      {"all_hosts += ['x' * 1000000000]\n", "all_hosts is not a literal"},
      {"ipaddresses.update(dict(a=1))\n", "a statement of a kind automon never writes"},
      {"host_labels.update({'web01.example.org': {'a': {1, 2}}})\n",
       "host_labels holds a set, not a literal"},
      {"host_labels.update({'web01.example.org': {'a': b'x'}})\n",
       "host_labels holds a bytes, not a literal"},
      {"host_labels.update({'web01.example.org': {'a': 1j}})\n",
       "host_labels holds a complex, not a literal"},
  };
  for (const auto& [statement, reason] : cases) {
    const std::string verdict = SandboxText("hostile.mk", good + statement);
    EXPECT_TRUE(verdict.starts_with("FAIL\tweb01.example.org\t")) << statement << verdict;
    EXPECT_NE(verdict.find(reason), std::string::npos) << statement << verdict;
  }
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the sandbox ran the file's code";
}

}  // namespace
}  // namespace automon::backends
