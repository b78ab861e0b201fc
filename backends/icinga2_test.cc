// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/icinga2.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "backends/testing/sample_plans.h"
#include "formats/parser.h"

namespace automon::backends {
namespace {

// Goldens in backends/testdata/ (tests run from the source directory);
// AUTOMON_UPDATE_GOLDEN=1 rewrites them: review the diff before committing.
std::string ReadGolden(const std::string& name, const std::string& actual) {
  const std::string path = "backends/testdata/icinga2/" + name;
  if (std::getenv("AUTOMON_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << actual;
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Icinga2Options Options() {
  Icinga2Options options;
  options.generated_at = "2026-11-21T12:00:00Z";
  options.probes_dir = "/usr/lib/automon/probes";
  return options;
}

// Reads back a DSL string literal as Icinga 2 does, then resolves '$$' as
// its runtime macro processor does: what a program would receive.
std::string Decode(std::string_view literal) {
  EXPECT_TRUE(literal.size() >= 2 && literal.front() == '"' && literal.back() == '"') << literal;
  std::string out;
  for (size_t i = 1; i + 1 < literal.size(); ++i) {
    char c = literal[i];
    if (c == '"') ADD_FAILURE() << "unescaped quote in " << literal;
    if (c == '$') {
      EXPECT_EQ(literal[i + 1], '$') << "a macro in " << literal;
      ++i;
    } else if (c == '\\') {
      c = literal[++i];
      switch (c) {
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        default:
          if (c >= '0' && c <= '7') {
            c = static_cast<char>((c - '0') * 64 + (literal[i + 1] - '0') * 8 +
                                  (literal[i + 2] - '0'));
            i += 2;
          }
      }
    }
    out += c;
  }
  return out;
}

TEST(Icinga2StringTest, EscapesByTheDslRules) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "\"plain\""},
      {"a\"b", "\"a\\\"b\""},
      {"a\\b", "\"a\\\\b\""},
      {"$USER1$", "\"$$USER1$$\""},
      {"l1\nl2\r\t", "\"l1\\nl2\\r\\t\""},
      {"\b\f", "\"\\b\\f\""},
      {"\x01\x7f\xc3\xa9", "\"\\001\\177\\303\\251\""},
      {"{{{ }}}", "\"{{{ }}}\""},
  };
  for (const auto& [value, expected] : cases) {
    auto literal = Icinga2String(value);
    ASSERT_TRUE(literal.ok()) << value;
    EXPECT_EQ(*literal, expected) << value;
    EXPECT_EQ(Decode(*literal), value) << value;
  }
  EXPECT_EQ(*Icinga2String("$x$", /*macros=*/false), "\"$x$\"");
}

TEST(Icinga2StringTest, RefusesNulAndOverlongValues) {
  auto nul = Icinga2String(std::string("ab\0c", 4));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().message, "NUL byte at offset 2 is not allowed");
  auto longer = Icinga2String(std::string(4097, 'x'));
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.error().message, "value of 4097 bytes is over the limit of 4096");
  EXPECT_TRUE(Icinga2String(std::string(4096, 'x')).ok());
}

TEST(Icinga2NamesTest, ObjectNamesAreAnAllowList) {
  EXPECT_TRUE(IsIcinga2ObjectName("web01.example.org"));
  EXPECT_TRUE(IsIcinga2ObjectName("a_b-c"));
  for (const char* bad : {"", "a!b", ".x", "-x", "a b", "a\"b", "a$b", "a/b", "é"}) {
    EXPECT_FALSE(IsIcinga2ObjectName(bad)) << bad;
  }
  EXPECT_FALSE(IsIcinga2ObjectName(std::string(254, 'a')));
  EXPECT_TRUE(IsIcinga2DisplayName("Legacy web:8443"));
  for (const char* bad : {"", " x", "x ", "a  b", "a!b", "a\"b", "a$b", "a\nb"}) {
    EXPECT_FALSE(IsIcinga2DisplayName(bad)) << bad;
  }
}

// The same definitions as nagios_test.cc's: every service type, through
// the real plan table.
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

HostPlan PlanEveryType() {
  const formats::ParseResult parsed =
      formats::ParseDefinitions(kEveryType, "/etc/monitoring-info/all");
  EXPECT_FALSE(HasErrors(parsed.diagnostics));
  formats::Snapshot s;
  s.host = "web01.example.org";
  s.address = "192.0.2.10";
  s.generation = 7;
  s.services = parsed.services;
  return PlanHost(s, {});
}

// Goldens of the real plans; tests/icinga2 (ValidationTest) runs icinga2
// daemon -C on exactly these two files.
TEST(Icinga2RendererTest, PlannedHostMatchesGolden) {
  const HostPlan plan = PlanEveryType();
  ASSERT_EQ(plan.services.size(), 22u);
  auto host = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok()) << host.error().message;
  EXPECT_EQ(host->content, ReadGolden("web01.example.org.conf", host->content));
  for (const RenderedService& s : host->services) EXPECT_TRUE(s.rendered) << s.name << s.reason;
  for (const char* secret :
       {"s3cr3t-ldap", "s3cr3t-guac", "s3cr3t-lb", "s3cr3t-imap", "s3cr3t-pop"}) {
    EXPECT_EQ(host->content.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(host->secrets.size(), 5u);
}

TEST(Icinga2RendererTest, ADisabledHostKeepsItsObjectsWithoutChecksOrNotifications) {
  HostPlan plan = PlanEveryType();
  plan.disabled = true;
  auto host = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok()) << host.error().message;
  size_t objects = 0, off = 0;
  for (size_t at = 0; (at = host->content.find("\nobject ", at)) != std::string::npos; ++at) {
    ++objects;
  }
  for (size_t at = 0;
       (at = host->content.find("  enable_active_checks = false\n  enable_notifications = false\n",
                                at)) != std::string::npos;
       ++at) {
    ++off;
  }
  EXPECT_EQ(off, objects);  // the host and every service
  EXPECT_EQ(objects, 23u);
}

TEST(Icinga2RendererTest, EveryShapeMatchesGolden) {
  auto common = RenderIcinga2Common(AllCommandShapes(), std::nullopt, Options());
  ASSERT_TRUE(common.ok()) << common.error().message;
  EXPECT_EQ(*common, ReadGolden("automon.conf", *common));
}

TEST(Icinga2RendererTest, EveryTypeHostMatchesGolden) {
  const Icinga2Renderer renderer(Options());
  auto host = renderer.RenderHost(testing::EveryTypeHost());
  ASSERT_TRUE(host.ok()) << host.error().message;
  EXPECT_EQ(host->content, ReadGolden("sample-host.conf", host->content));
  for (const RenderedService& s : host->services) EXPECT_TRUE(s.rendered) << s.name << s.reason;
  EXPECT_EQ(host->secrets.size(), 3u);
  EXPECT_EQ(renderer.kind(), BackendKind::kIcinga2);
  EXPECT_EQ(renderer.HostFileName("web01.example.org"), "hosts/1a/web01.example.org.conf");
}

TEST(Icinga2RendererTest, CommonFileMatchesGolden) {
  auto common = RenderIcinga2Common(testing::SampleShapes(), std::nullopt, Options());
  ASSERT_TRUE(common.ok()) << common.error().message;
  EXPECT_EQ(*common, ReadGolden("sample-automon.conf", *common));
}

TEST(Icinga2RendererTest, CommandsAreArgvArraysNeverStrings) {
  auto common = RenderIcinga2Common(testing::SampleShapes(), std::nullopt, Options());
  ASSERT_TRUE(common.ok());
  std::istringstream lines(*common);
  int commands = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("  command =")) {
      ++commands;
      EXPECT_TRUE(line.starts_with("  command = [ \"/") ||
                  line.starts_with("  command = [ PluginDir + \"/"))
          << line;
      EXPECT_TRUE(line.ends_with(" ]")) << line;
    }
  }
  EXPECT_EQ(commands, 11);
  // The password wrapper gets the file by macro, the password never.
  EXPECT_NE(common->find("command = [ \"/usr/lib/automon/probes/automon_password_env\", "
                         "\"LDAP_PASSWORD\", \"$automon_secret_file$\", "
                         "PluginDir + \"/check_ldap\" ]"),
            std::string::npos);
}

TEST(Icinga2RendererTest, TemplatesFileReplacesTheDefaultTemplates) {
  auto common =
      RenderIcinga2Common({}, std::string("template Host \"automon-host\" {}\n"), Options());
  ASSERT_TRUE(common.ok());
  EXPECT_NE(common->find("// From /etc/automon/icinga2-templates.conf:\n"
                         "template Host \"automon-host\" {}\n"),
            std::string::npos);
  EXPECT_EQ(common->find("max_check_attempts"), std::string::npos);
}

TEST(Icinga2RendererTest, ZoneGoesOnEveryObject) {
  Icinga2Options options = Options();
  options.zone = "satellite-1";
  const Icinga2Renderer renderer(options);
  auto host = renderer.RenderHost(testing::EveryTypeHost());
  ASSERT_TRUE(host.ok());
  size_t objects = 0;
  size_t zones = 0;
  for (size_t at = 0; (at = host->content.find("\nobject ", at)) != std::string::npos; ++at) {
    ++objects;
  }
  for (size_t at = 0;
       (at = host->content.find("  zone = \"satellite-1\"\n", at)) != std::string::npos; ++at) {
    ++zones;
  }
  EXPECT_EQ(objects, 12u);
  EXPECT_EQ(zones, objects);
  auto common = RenderIcinga2Common({}, std::nullopt, options);
  ASSERT_TRUE(common.ok());
  EXPECT_NE(common->find("zone = \"satellite-1\""), std::string::npos);
  auto commands = RenderIcinga2Common(testing::SampleShapes(), std::nullopt, options);
  ASSERT_TRUE(commands.ok());
  size_t zoned_commands = 0;
  for (size_t at = 0;
       (at = commands->find("  import \"plugin-check-command\"\n  zone = \"satellite-1\"\n", at)) !=
       std::string::npos;
       ++at) {
    ++zoned_commands;
  }
  EXPECT_EQ(zoned_commands, 11u);

  options.zone = "bad!zone";
  EXPECT_FALSE(Icinga2Renderer(options).RenderHost(testing::EveryTypeHost()).ok());
  auto bad = RenderIcinga2Common({}, std::nullopt, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "zone 'bad!zone' is not usable as an Icinga 2 name");
}

// Every line of a host file is an object header, an attribute whose value
// is one string literal (or the fixed group list, or a number), a comment
// or a brace: host-supplied text can never become syntax. Each value
// decodes back to the plan's value exactly.
TEST(Icinga2RendererTest, HostileValuesStayInsideStrings) {
  const HostPlan plan = testing::HostileValuesHost("hostile.example.org", "127.0.0.1");
  auto host = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok()) << host.error().message;
  const std::regex allowed(
      R"re(^(// .*|object (Host|Service) "[A-Za-z0-9._-]+" \{|  import "automon-(host|service)"|)re"
      R"re(  [a-z_]+(\.[a-z0-9_]+)? = ("([^"\\$]|\\.|\$\$)*"|[0-9]+s?|\[ "automon" \])|\}|)$)re");
  std::istringstream lines(host->content);
  std::vector<std::string> values;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(std::regex_match(line, allowed)) << line;
    if (line.starts_with("  vars.automon_arg"))
      values.push_back(Decode(line.substr(line.find('"'))));
  }
  std::vector<std::string> expected;
  for (const PlannedService& s : plan.services) {
    for (const Argument& a : s.plan.arguments) {
      if (a.kind != ArgumentKind::kFlag) expected.push_back(a.value);
    }
  }
  EXPECT_EQ(values, expected);
  // No secret in the configuration: only the files' paths.
  EXPECT_EQ(host->content.find("w0rd"), std::string::npos);
  EXPECT_NE(host->content.find("/var/lib/automon/secrets/37/hostile.example.org@ldap.7.password"),
            std::string::npos);
}

TEST(Icinga2RendererTest, UnusableServicesAreLeftOutWithAReason) {
  HostPlan plan = testing::EveryTypeHost();
  plan.services[0].name = "we!b";
  plan.services[1].description = "shop\" }";
  plan.services[2].description = plan.services[3].description;
  plan.services[4].plan.arguments[3].value = std::string("a\0b", 3);  // the LDAP service
  auto host = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->services[0].reason, "the service name is not usable in Icinga 2");
  EXPECT_EQ(host->services[1].reason, "description 'shop\" }' is not usable in Icinga 2");
  EXPECT_TRUE(host->services[2].rendered);
  EXPECT_EQ(host->services[3].reason, "duplicate service name or description");
  EXPECT_EQ(host->services[4].reason,
            "a value cannot be written safely: NUL byte at offset 1 is not allowed");
  EXPECT_EQ(host->content.find("we!b"), std::string::npos);
  EXPECT_EQ(host->content.find("object Service \"ldap\""), std::string::npos);
  // Secrets of left-out services are not reported: guacamole and haproxy remain.
  ASSERT_EQ(host->secrets.size(), 2u);
  EXPECT_EQ(host->secrets[0].path,
            "/var/lib/automon/secrets/1a/web01.example.org@guacamole.7.password");
}

TEST(Icinga2RendererTest, UnusableHostNameOrAddressFailsTheHost) {
  HostPlan plan = testing::EveryTypeHost();
  plan.host = "web01!x";
  auto bad_name = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().message,
            "host name 'web01!x' is not usable in Icinga 2: expected letters, digits and ._- only");
  plan = testing::EveryTypeHost();
  plan.address = "192.0.2.1\"; x";
  auto bad_address = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_FALSE(bad_address.ok());
  EXPECT_EQ(bad_address.error().message,
            "address '192.0.2.1\"; x' is not usable in Icinga 2: expected a host name, an IPv4 "
            "or an IPv6 address");
}

// Icinga 2 runs the command of a stale service only when active checks are
// on (passive-icinga2-prometheus.md §1.4): they stay on, with the dummy.
TEST(Icinga2RendererTest, PassivePlanKeepsActiveChecksWithTheDummyCommand) {
  HostPlan plan = testing::EveryTypeHost();
  plan.services.resize(1);
  plan.services[0].plan.mode = CheckMode::kPassive;
  plan.services[0].plan.freshness_seconds = 900;
  auto host = Icinga2Renderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->content.find("enable_active_checks"), std::string::npos);
  EXPECT_NE(host->content.find("  check_command = \"dummy\"\n  check_interval = 900s\n"
                               "  retry_interval = 900s\n  max_check_attempts = 1\n"
                               "  vars.dummy_state = 3\n  vars.dummy_text = \"No result from "
                               "web01.example.org for 900 s (agent silent?)\"\n"),
            std::string::npos)
      << host->content;
  EXPECT_EQ(host->content.find("Dependency"), std::string::npos);
}

TEST(Icinga2RendererTest, UnusableShapeFailsTheCommonFile) {
  std::vector<CheckPlan> shapes = testing::SampleShapes();
  shapes[0].program.name = "../../bin/sh";
  auto common = RenderIcinga2Common(shapes, std::nullopt, Options());
  ASSERT_FALSE(common.ok());
  EXPECT_EQ(common.error().message, "program '../../bin/sh' of shape 'http' is not a file name");
}

// Issue #15: passive services with the dummy command, the heartbeat and the
// Dependency objects (passive-icinga2-prometheus.md §1.4, §1.7).
TEST(Icinga2RendererTest, PassiveHostMatchesGolden) {
  const formats::ParseResult parsed = formats::ParseDefinitions(
      "[backup]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_backup -w 1\n"
      "interval = 60\ndescription = Backup\n"
      "[lbsock]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n"
      "[ssh]\ntype = ssh\n",
      "/etc/monitoring-info/all");
  ASSERT_TRUE(parsed.diagnostics.empty());
  formats::Snapshot s;
  s.host = "passive.example.org";
  s.generation = 7;
  s.services = parsed.services;
  s.heartbeat_seconds = 60;
  auto host = Icinga2Renderer(Options()).RenderHost(PlanHost(s, {}));
  ASSERT_TRUE(host.ok()) << host.error().message;
  ASSERT_EQ(host->services.size(), 4u);
  for (const RenderedService& r : host->services) EXPECT_TRUE(r.rendered) << r.reason;
  EXPECT_EQ(host->content, ReadGolden("passive.example.org.conf", host->content));
  EXPECT_EQ(host->content.find("check_backup"), std::string::npos);
  EXPECT_EQ(host->content.find("enable_active_checks"), std::string::npos);
}

}  // namespace
}  // namespace automon::backends
