// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/plan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "backends/checkmk.h"
#include "backends/nagios.h"
#include "formats/parser.h"

namespace automon::backends {
namespace {

formats::Snapshot Parse(const std::string& definitions, const std::string& host = "h.example.org",
                        std::optional<std::string> address = "192.0.2.10") {
  const formats::ParseResult parsed = formats::ParseDefinitions(definitions, "/mi/all");
  EXPECT_FALSE(HasErrors(parsed.diagnostics)) << parsed.diagnostics.front().Render();
  formats::Snapshot s;
  s.host = host;
  s.address = std::move(address);
  s.generation = 3;
  s.services = parsed.services;
  return s;
}

const Argument* Find(const CheckPlan& plan, std::string_view option) {
  for (const Argument& a : plan.arguments) {
    if (a.option == option) return &a;
  }
  return nullptr;
}

// Issue #18 item 10: monitoring-info(5) says an empty host in a stats URL
// means the registered host; the probe needs the address itself.
TEST(PlanTest, StatsUrlWithoutHostGetsTheAddressToCheck) {
  const struct {
    std::string stats;
    std::optional<std::string> address;
    std::string service_host;
    std::string want;
  } cases[] = {
      {"http://:8404/stats", "192.0.2.10", "", "http://192.0.2.10:8404/stats"},
      {"https://:8404/stats", "2001:db8::10", "", "https://[2001:db8::10]:8404/stats"},
      {"http://:8404/stats", std::nullopt, "", "http://h.example.org:8404/stats"},
      {"http://:8404/stats", "192.0.2.10", "lb.example.org", "http://lb.example.org:8404/stats"},
      {"http://lb.example.org:8404/stats", "192.0.2.10", "", "http://lb.example.org:8404/stats"},
      {"/run/haproxy/admin.sock", "192.0.2.10", "", "/run/haproxy/admin.sock"},
  };
  for (const auto& c : cases) {
    std::string text = "[lb]\ntype = haproxy\nstats = " + c.stats + "\n";
    if (!c.service_host.empty()) text += "host = " + c.service_host + "\n";
    const HostPlan plan = PlanHost(Parse(text, "h.example.org", c.address), {});
    ASSERT_EQ(plan.services.size(), 1u) << c.stats;
    const CheckPlan& check = plan.services[0].plan;
    const Argument* endpoint = Find(check, c.stats.starts_with("/") ? "--socket" : "--url");
    ASSERT_NE(endpoint, nullptr) << c.stats;
    EXPECT_EQ(endpoint->value, c.want) << c.stats;
  }
}

// Issue #18 item 12: a host naming another host's mailflowid gets its own
// state directory, so it can neither join nor spoil the other's flow.
TEST(PlanTest, MailFlowStateIsScopedToTheHost) {
  const std::string text =
      "[flow]\ntype = mailflow\nseconds = 300\nid = main\n"
      "[mx]\ntype = smtp\nemail = probe@example.org\nmailflowid = main\n";
  PlanOptions options;
  options.mailflow_dir = "/var/lib/automon/mailflow";
  const HostPlan a = PlanHost(Parse(text, "a.example.org"), options);
  const HostPlan b = PlanHost(Parse(text, "b.example.org"), options);
  for (const HostPlan* plan : {&a, &b}) {
    for (const PlannedService& s : plan->services) {
      const Argument* dir = Find(s.plan, "--state-dir");
      ASSERT_NE(dir, nullptr) << s.name;
      EXPECT_EQ(dir->value, "/var/lib/automon/mailflow/" + plan->host + "/main") << s.name;
    }
  }
}

TEST(PlanTest, SecretsAreReferencesNeverValues) {
  const HostPlan plan =
      PlanHost(Parse("[g]\ntype = guacamole\npassword = s3cr3t\n"
                     "[d]\ntype = ldap\nbase = dc=x\nusername = cn=m\npassword = s3cr3t-2\n"),
               {});
  ASSERT_EQ(plan.secrets.size(), 2u);
  EXPECT_EQ(plan.secrets[0],
            (SecretFile{"/var/lib/automon/secrets/36/h.example.org@g.3.password", "s3cr3t\n"}));
  EXPECT_EQ(SecretPathsOf(plan.services[0].plan), std::vector<std::string>{plan.secrets[0].path});
  ASSERT_TRUE(plan.services[1].plan.secret_environment.has_value());
  EXPECT_EQ(*plan.services[1].plan.secret_environment,
            (SecretEnvironment{"LDAP_PASSWORD", plan.secrets[1].path}));
  for (const PlannedService& s : plan.services) {
    for (const Argument& a : s.plan.arguments) {
      EXPECT_EQ(a.value.find("s3cr3t"), std::string::npos) << a.option;
    }
  }
}

TEST(PlanTest, EveryShapeHasAUniqueNameAndFitsNagiosArguments) {
  std::set<std::string> names;
  for (const CheckPlan& shape : AllCommandShapes()) {
    EXPECT_TRUE(names.insert(shape.command).second) << shape.command;
    EXPECT_TRUE(std::regex_match(shape.command, std::regex("[a-z0-9_]+"))) << shape.command;
    int arguments = 0;
    const std::string line = NagiosCommandLine(shape, &arguments);
    EXPECT_LE(arguments, kMaxNagiosArguments) << shape.command;
    // The count RenderHost checks is the $ARGn$ the command line uses.
    EXPECT_EQ(NagiosArgumentCount(shape), arguments) << shape.command;
    if (arguments > 0) {
      EXPECT_NE(line.find(fmt::format("$ARG{}$", arguments)), std::string::npos) << line;
    }
    EXPECT_EQ(line.find(fmt::format("$ARG{}$", arguments + 1)), std::string::npos) << line;
  }
}

// The plans of any host have shapes of AllCommandShapes(): what Nagios'
// common file defines.
TEST(PlanTest, PlannedShapesAreAmongAllCommandShapes) {
  std::map<std::string, CheckPlan> shapes;
  for (const CheckPlan& shape : AllCommandShapes()) shapes[shape.command] = shape;
  const HostPlan plan =
      PlanHost(Parse("[a]\ntype = http\nssl = true\nexpire_before_days = 3\n"
                     "[b]\ntype = haproxy\nstats = /run/h.sock\nproxies = x,y\n"
                     "[c]\ntype = imap\nusername = u\npassword = p\nmailflowid = m\nssl = true\n"),
               {});
  for (const PlannedService& s : plan.services) {
    ASSERT_TRUE(shapes.count(s.plan.command)) << s.plan.command;
    const CheckPlan& shape = shapes[s.plan.command];
    EXPECT_EQ(NagiosCommandLine(shape), NagiosCommandLine(s.plan)) << s.plan.command;
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Issue #18 item 10: every shipped definition, rendered, gives complete
// command lines: no empty value, no host left out of a URL, no macro left
// unexpanded once Nagios has put in the arguments.
TEST(PlanTest, ShippedDefinitionsRenderCompleteCommandLines) {
  std::map<std::string, std::string> command_lines;
  const std::string common = RenderNagiosCommon({});
  const std::regex command(R"(command_name\s+(\S+)\n\s+command_line\s+(.*)\n)");
  for (std::sregex_iterator it(common.begin(), common.end(), command), end; it != end; ++it) {
    command_lines[(*it)[1]] = (*it)[2];
  }
  int files = 0;
  int services = 0;
  for (const auto& entry : std::filesystem::directory_iterator("monitoring-info.d")) {
    ++files;
    const formats::ParseResult parsed =
        formats::ParseDefinitions(ReadFile(entry.path()), entry.path().string());
    ASSERT_FALSE(HasErrors(parsed.diagnostics)) << entry.path();
    for (const std::optional<std::string>& address :
         {std::optional<std::string>("192.0.2.10"), std::optional<std::string>("2001:db8::10"),
          std::optional<std::string>()}) {
      formats::Snapshot snapshot;
      snapshot.host = "h.example.org";
      snapshot.address = address;
      snapshot.generation = 1;
      snapshot.services = parsed.services;
      for (formats::Service& s : snapshot.services) {
        if (!s.password) s.password = formats::Secret("pw");  // as the administrator sets it
      }
      const HostPlan plan = PlanHost(snapshot, {});
      for (const PlannedService& s : plan.services) {
        ++services;
        const std::string where = entry.path().string() + " " + s.name;
        EXPECT_NE(s.plan.command, "unknown") << where;
        for (const Argument& a : s.plan.arguments) {
          // An empty LDAP base is the root DSE (monitoring-info(5)).
          if (a.kind != ArgumentKind::kFlag && a.option != "-b") {
            EXPECT_FALSE(a.value.empty()) << where << a.option;
          }
          EXPECT_EQ(a.value.find("://:"), std::string::npos) << where;
        }
      }
      auto nagios = NagiosRenderer({}).RenderHost(plan);
      ASSERT_TRUE(nagios.ok()) << nagios.error().message;
      const std::regex check(R"(check_command\s+(.*)\n)");
      for (std::sregex_iterator it(nagios->content.begin(), nagios->content.end(), check), end;
           it != end; ++it) {
        // Expanded as Nagios does: $ARGn$ from the check_command, "$$" as
        // '$' (no value here holds one).
        std::vector<std::string> parts(1);
        for (char c : (*it)[1].str()) {
          if (c == '!') {
            parts.emplace_back();
          } else {
            parts.back() += c;
          }
        }
        ASSERT_TRUE(command_lines.count(parts[0])) << parts[0];
        std::string line = command_lines[parts[0]];
        for (size_t n = parts.size() - 1; n >= 1; --n) {
          const std::string macro = "$ARG" + std::to_string(n) + "$";
          for (size_t at; (at = line.find(macro)) != std::string::npos;) {
            line.replace(at, macro.size(), parts[n]);
          }
        }
        const std::string rest = line.substr(line.find('/'));  // after $USER1$
        EXPECT_EQ(rest.find('$'), std::string::npos) << line;
        if (line.find("check_ldap") == std::string::npos) {
          EXPECT_EQ(line.find("''"), std::string::npos) << "empty argument: " << line;
        }
        EXPECT_EQ(line.find("://:"), std::string::npos) << line;
      }
      auto checkmk = CheckmkRenderer({}).RenderHost(plan);
      ASSERT_TRUE(checkmk.ok()) << checkmk.error().message;
      for (const RenderedService& r : checkmk->services) EXPECT_TRUE(r.rendered) << r.reason;
      EXPECT_EQ(checkmk->content.find("://:"), std::string::npos);
    }
  }
  EXPECT_GE(files, 9);
  EXPECT_GE(services, 27);
}

// Issue #15: command services and haproxy stats sockets are checked on the
// host; the registrar never points a probe at a socket path of its own.
TEST(PlanTest, CommandAndHaproxySocketArePassiveWithFreshness) {
  formats::Snapshot s = Parse(
      "[backup]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_backup -w 1\n"
      "interval = 60\n"
      "[raid]\ntype = command\ncommand = /usr/local/bin/check_raid\nfreshness = 1000\n"
      "[lbsock]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n"
      "[lburl]\ntype = haproxy\nstats = http://:8404/stats\n");
  const HostPlan plan = PlanHost(s, {});
  ASSERT_EQ(plan.services.size(), 4u);
  const CheckPlan& backup = plan.services[0].plan;
  EXPECT_EQ(backup.mode, CheckMode::kPassive);
  EXPECT_EQ(backup.interval_seconds, 60);
  EXPECT_EQ(backup.freshness_seconds, 180);
  EXPECT_TRUE(backup.arguments.empty()) << "the host's command line is never the server's";
  const CheckPlan& raid = plan.services[1].plan;
  EXPECT_EQ(raid.mode, CheckMode::kPassive);
  EXPECT_EQ(raid.interval_seconds, 300);
  EXPECT_EQ(raid.freshness_seconds, 1000);
  const CheckPlan& lbsock = plan.services[2].plan;
  EXPECT_EQ(lbsock.mode, CheckMode::kPassive);
  EXPECT_EQ(lbsock.freshness_seconds, 660);
  EXPECT_EQ(plan.services[3].plan.mode, CheckMode::kActive);
  EXPECT_FALSE(plan.services[3].plan.freshness_seconds);
  EXPECT_FALSE(plan.heartbeat_seconds);
  for (const PlannedService& p : plan.services) EXPECT_FALSE(IsHeartbeat(p)) << p.name;
}

TEST(PlanTest, HeartbeatIsALastPassiveService) {
  formats::Snapshot s = Parse("[ssh]\ntype = ssh\n");
  s.heartbeat_seconds = 60;
  const HostPlan plan = PlanHost(s, {});
  ASSERT_EQ(plan.services.size(), 2u);
  EXPECT_EQ(plan.heartbeat_seconds, 60);
  const PlannedService& heartbeat = plan.services[1];
  EXPECT_TRUE(IsHeartbeat(heartbeat));
  EXPECT_EQ(heartbeat.name, "automon agent");
  EXPECT_EQ(heartbeat.description, "automon agent");
  EXPECT_EQ(heartbeat.plan.mode, CheckMode::kPassive);
  EXPECT_EQ(heartbeat.plan.interval_seconds, 60);
  EXPECT_EQ(heartbeat.plan.freshness_seconds, 180);
  EXPECT_FALSE(IsHeartbeat(plan.services[0]));
  EXPECT_EQ(StaleText("h", 180), "No result from h for 180 s (agent silent?)");
}

}  // namespace
}  // namespace automon::backends
