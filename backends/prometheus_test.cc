// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/prometheus.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/testing/sample_plans.h"
#include "formats/parser.h"

namespace automon::backends {
namespace {

using nlohmann::json;

const char kEveryType[] =
    "[web]\ntype = http\n"
    "[shop]\ntype = http\nssl = true\nhostname = shop.example.org\nexpire_before_days = 30\n"
    "uri = /health?full=1&x=y\n"
    "[legacy]\ntype = http\nssl = true\nignore_invalid_ssl = true\nhost = 192.0.2.99\n"
    "port = 8443\n"
    "[v6]\ntype = tcp\nhost = 2001:db8::1\nport = 443\n"
    "[echo]\ntype = udp\nport = 7\nsend = ping\nexpect = ping\n"
    "[db]\ntype = tcp\nport = 5432\n"
    "[tls]\ntype = tcp\nport = 6514\nssl = true\n"
    "[mx]\ntype = smtp\n"
    "[mxs]\ntype = smtp\nssl = true\n"
    "[imap]\ntype = imap\nssl = true\n"
    "[pop]\ntype = pop3\n"
    "[pops]\ntype = pop3\nssl = true\n"
    "[dir]\ntype = ldap\nbase = dc=example,dc=org\n"
    "[dirs]\ntype = ldap\nssl = true\nbase = dc=example,dc=org\n"
    "[ssh]\ntype = ssh\nport = 2222\n"
    "[flow]\ntype = mailflow\nseconds = 300\nid = main\n"
    "[guac]\ntype = guacamole\npassword = s3cr3t-guac\nprotocol = https\n"
    "ignore_invalid_ssl = true\n"
    "[lb]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n"
    "[mxflow]\ntype = smtp\nemail = probe@example.org\nmailflowid = main\n";

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

PrometheusOptions Options() {
  PrometheusOptions options;
  options.blackbox = "127.0.0.1:19115";
  options.exporter = "127.0.0.1:19623";
  return options;
}

// service name -> its group's labels (the target is checked alongside).
std::map<std::string, json> Groups(const std::string& content, const PrometheusOptions& options) {
  std::map<std::string, json> groups;
  const json doc = json::parse(content);
  EXPECT_TRUE(doc.is_array());
  for (const json& group : doc) {
    EXPECT_EQ(group.size(), 2u) << group.dump();
    EXPECT_EQ(group.at("targets").size(), 1u) << group.dump();
    const std::string target = group.at("targets")[0];
    EXPECT_TRUE(target == options.blackbox || target == options.exporter) << target;
    const json& labels = group.at("labels");
    const std::string name = labels.at("automon_service");
    EXPECT_EQ(groups.count(name), 0u) << name;
    groups[name] = labels;
    groups[name]["(target)"] = target;
  }
  return groups;
}

TEST(PrometheusRendererTest, EveryTypeMapsToItsModuleAndTarget) {
  const HostPlan plan = PlanEveryType();
  auto host = PrometheusRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok()) << host.error().message;
  auto groups = Groups(host->content, Options());
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"web", {"http_2xx", "http://192.0.2.10:80/"}},
      {"shop", {"http_2xx", "https://192.0.2.10:443/health?full=1&x=y"}},
      {"legacy", {"automon_http_insecure", "https://192.0.2.99:8443/"}},
      {"v6", {"tcp_connect", "[2001:db8::1]:443"}},
      {"db", {"tcp_connect", "192.0.2.10:5432"}},
      {"tls", {"automon_tcp_tls", "192.0.2.10:6514"}},
      {"mx", {"automon_smtp", "192.0.2.10:25"}},
      {"mxs", {"automon_smtps", "192.0.2.10:465"}},
      {"imap", {"automon_imaps", "192.0.2.10:993"}},
      {"pop", {"automon_pop3", "192.0.2.10:110"}},
      {"pops", {"pop3s_banner", "192.0.2.10:995"}},
      {"dir", {"tcp_connect", "192.0.2.10:389"}},
      {"dirs", {"automon_tcp_tls", "192.0.2.10:636"}},
      {"ssh", {"ssh_banner", "192.0.2.10:2222"}},
  };
  for (const auto& [name, module_target] : expected) {
    ASSERT_EQ(groups.count(name), 1u) << name << "\n" << host->content;
    const json& labels = groups[name];
    EXPECT_EQ(labels.at("__param_module"), module_target.first) << name;
    EXPECT_EQ(labels.at("__param_target"), module_target.second) << name;
    EXPECT_EQ(labels.at("(target)"), "127.0.0.1:19115") << name;
    EXPECT_EQ(labels.at("automon_host"), "web01.example.org") << name;
  }
  EXPECT_EQ(groups["mxs"].at("automon_type"), "smtp");
  // Guacamole: the exporter, its target name and definition, no password.
  const json& guac = groups.at("guac");
  EXPECT_EQ(guac.at("(target)"), "127.0.0.1:19623");
  EXPECT_EQ(guac.count("__param_module"), 0u);
  EXPECT_EQ(guac.at("__param_target"), "web01.example.org_guac");
  EXPECT_EQ(guac.at("__automon_guacamole_endpoint"), "https://192.0.2.10:8080/guacamole");
  EXPECT_EQ(guac.at("__automon_guacamole_username"), "guacadmin");
  EXPECT_EQ(guac.at("__automon_guacamole_data_source"), "mysql");
  EXPECT_EQ(guac.at("__automon_guacamole_password_file"),
            "/var/lib/automon/secrets/1a/web01.example.org@guac.7.password");
  EXPECT_EQ(guac.at("__automon_guacamole_insecure"), "true");
  EXPECT_EQ(host->content.find("s3cr3t"), std::string::npos);
  ASSERT_EQ(host->secrets.size(), 1u);
  // Skipped with a note, not rejected: udp, mail flows, haproxy.
  for (const RenderedService& s : host->services) {
    EXPECT_TRUE(s.rendered) << s.name << ": " << s.reason;
    const bool skipped =
        s.name == "echo" || s.name == "flow" || s.name == "lb" || s.name == "mxflow";
    EXPECT_EQ(!s.note.empty(), skipped) << s.name << ": " << s.note;
    EXPECT_EQ(groups.count(s.name), skipped ? 0u : 1u) << s.name;
  }
  EXPECT_EQ(host->services.size(), plan.services.size());
}

TEST(PrometheusRendererTest, RendersAreByteEqualAndNamedAfterTheHost) {
  const PrometheusRenderer renderer(Options());
  const HostPlan plan = PlanEveryType();
  EXPECT_EQ(renderer.RenderHost(plan)->content, renderer.RenderHost(plan)->content);
  EXPECT_EQ(renderer.HostFileName("web01.example.org"), "web01.example.org.json");
  EXPECT_EQ(renderer.kind(), BackendKind::kPrometheus);
}

// Issue #17: a disabled host keeps every target (an absent one would fire
// absent() alerts), each labelled automon_state="disabled" for alert rules
// to exclude; otherwise the groups are the enabled host's.
TEST(PrometheusRendererTest, DisabledHostKeepsItsTargetsLabelledDisabled) {
  const PrometheusRenderer renderer(Options());
  HostPlan plan = PlanEveryType();
  auto enabled = renderer.RenderHost(plan);
  ASSERT_TRUE(enabled.ok());
  EXPECT_EQ(enabled->content.find("automon_state"), std::string::npos);
  plan.disabled = true;
  auto disabled = renderer.RenderHost(plan);
  ASSERT_TRUE(disabled.ok());
  std::map<std::string, json> groups = Groups(enabled->content, Options());
  const std::map<std::string, json> off = Groups(disabled->content, Options());
  ASSERT_EQ(off.size(), groups.size());
  ASSERT_FALSE(off.empty());
  for (auto& [name, labels] : groups) {
    labels["automon_state"] = "disabled";
    EXPECT_EQ(off.at(name), labels) << name;
  }
  EXPECT_EQ(disabled->services, enabled->services);
}

TEST(PrometheusRendererTest, HostWithoutProbesGetsAnEmptyListNotAnEmptyFile) {
  HostPlan plan;
  plan.host = "quiet.example.org";
  plan.address = "192.0.2.1";
  auto host = PrometheusRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->content, "[]\n");
}

TEST(PrometheusRendererTest, RefusesUnusableHostName) {
  HostPlan plan;
  plan.host = "a\"b";
  auto host = PrometheusRenderer(Options()).RenderHost(plan);
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().message,
            "host name 'a\"b' is not usable in Prometheus: expected letters, digits and ._- only");
}

// Hostile values stay inside their own label or target: every group has
// exactly automon's label names, its own host, and one exporter target.
TEST(PrometheusRendererTest, HostileValuesChangeNoOtherLabelOrTarget) {
  const HostPlan plan = testing::HostileValuesHost("evil.example.org", "192.0.2.66");
  auto host = PrometheusRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok()) << host.error().message;
  const std::set<std::string> allowed = {"__param_module",
                                         "__param_target",
                                         "automon_host",
                                         "automon_service",
                                         "automon_type",
                                         "__automon_guacamole_endpoint",
                                         "__automon_guacamole_username",
                                         "__automon_guacamole_data_source",
                                         "__automon_guacamole_password_file",
                                         "__automon_guacamole_insecure",
                                         "(target)"};
  auto groups = Groups(host->content, Options());
  EXPECT_FALSE(groups.empty());
  for (const auto& [name, labels] : groups) {
    for (const auto& [key, value] : labels.items()) {
      EXPECT_EQ(allowed.count(key), 1u) << name << ": " << key;
      EXPECT_TRUE(value.is_string()) << name << ": " << key;
    }
    EXPECT_EQ(labels.at("automon_host"), "evil.example.org");
  }
  // Only ASCII in the file: look-alikes and separators are \u escapes.
  for (unsigned char c : host->content) EXPECT_LT(c, 0x80);
  EXPECT_EQ(host->content.find("pa$$w0rd"), std::string::npos);
}

TEST(PrometheusRendererTest, ServiceNamesFollowTheRulesOfEveryBackend) {
  HostPlan plan;
  plan.host = "web01.example.org";
  plan.address = "192.0.2.10";
  PlannedService& s = plan.services.emplace_back();
  s.name = "x\",\"automon_host\":\"victim.example.org";
  s.description = "x";
  s.type = formats::ServiceType::kTcp;
  s.plan.command = "tcp";
  s.plan.arguments = {{"-H", ArgumentKind::kAddress, "192.0.2.10", false},
                      {"-p", ArgumentKind::kValue, "80", false}};
  PlannedService web = s;
  web.name = "web";
  PlannedService twin = s;
  twin.name = "db";  // the description of web again
  plan.services.push_back(web);
  plan.services.push_back(twin);
  auto host = PrometheusRenderer(Options()).RenderHost(plan);
  ASSERT_TRUE(host.ok());
  ASSERT_EQ(host->services.size(), 3u);
  EXPECT_FALSE(host->services[0].rendered);
  EXPECT_NE(host->services[0].reason, "");
  EXPECT_TRUE(host->services[1].rendered);
  EXPECT_FALSE(host->services[2].rendered);
  const json doc = json::parse(host->content);
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["labels"]["automon_service"], "web");
  EXPECT_EQ(host->content.find("victim"), std::string::npos);
}

TEST(PrometheusRendererTest, ExampleNamesTheGlobAndNoJobLevelModule) {
  const std::string example = PrometheusScrapeExample(Options());
  EXPECT_NE(example.find("files: ['/etc/prometheus/automon/*.json']"), std::string::npos);
  EXPECT_NE(example.find("metrics_path: /probe"), std::string::npos);
  EXPECT_EQ(example.find("\n    params:"), std::string::npos);
  EXPECT_NE(PrometheusBlackboxModules().find("automon_smtp:"), std::string::npos);
}

}  // namespace
}  // namespace automon::backends
