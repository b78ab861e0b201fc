// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/config.h"

#include <gtest/gtest.h>

#include "common/testing/diagnostics.h"

namespace automon::agent {
namespace {

using ::automon::testing::RenderAll;

TEST(AgentConfigTest, DefaultsWhenEmpty) {
  const ConfigParse p = ParseAgentConfig("", "agent.conf");
  EXPECT_TRUE(p.diagnostics.empty());
  EXPECT_EQ(p.config, AgentConfig{});
  // No registrar key: no registrar, and no mDNS traffic either.
  EXPECT_FALSE(p.config.discover);
  EXPECT_TRUE(p.config.registrars.empty());
  EXPECT_EQ(p.config.discovery_timeout_ms, 3000);
  EXPECT_EQ(p.config.directory, "/etc/monitoring-info");
}

TEST(AgentConfigTest, EveryKey) {
  const ConfigParse p = ParseAgentConfig(
      "[agent]\nregistrar = mon1.example.org mon2:2222, [2001:db8::1]:22 192.0.2.1\n"
      "fingerprint = SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\n"
      "name = Web01.Example.org\naddress = 192.0.2.10\ndirectory = /srv/mi\n"
      "key = /etc/automon/k\nstate_dir = /var/lib/a\nexclude = apache2 *-debug\nenabled = no\n"
      "user = nagios-push\n",
      "agent.conf");
  ASSERT_TRUE(p.diagnostics.empty()) << RenderAll(p.diagnostics);
  EXPECT_FALSE(p.config.discover);
  EXPECT_EQ(p.config.registrars,
            (std::vector<RegistrarAddress>{
                {"mon1.example.org", 0}, {"mon2", 2222}, {"2001:db8::1", 22}, {"192.0.2.1", 0}}));
  EXPECT_EQ(p.config.fingerprints,
            std::vector<std::string>{"SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"});
  EXPECT_EQ(p.config.name, "web01.example.org");
  EXPECT_EQ(p.config.address, "192.0.2.10");
  EXPECT_EQ(p.config.directory, "/srv/mi");
  EXPECT_EQ(p.config.key, "/etc/automon/k");
  EXPECT_EQ(p.config.state_dir, "/var/lib/a");
  EXPECT_EQ(p.config.exclude, (std::vector<std::string>{"apache2", "*-debug"}));
  EXPECT_FALSE(p.config.enabled);
  EXPECT_EQ(p.config.user, "nagios-push");
  EXPECT_EQ(ParseAgentConfig("[agent]\nuser = Root;x\n", "a").diagnostics.size(), 1u);
}

TEST(AgentConfigTest, RepeatedRegistrarIsAnErrorEvenInARepeatedSection) {
  ConfigParse p = ParseAgentConfig("[agent]\nregistrar = auto\nregistrar = mon1\n", "a.conf");
  EXPECT_EQ(RenderAll(p.diagnostics),
            "a.conf:3:1: error: duplicate key 'registrar'\nregistrar = mon1\n^\n");
  p = ParseAgentConfig("[agent]\nregistrar = auto\n[agent]\nregistrar = mon1\n", "a.conf");
  EXPECT_EQ(RenderAll(p.diagnostics),
            "a.conf:4:1: error: duplicate key 'registrar'\nregistrar = mon1\n^\n");
  EXPECT_TRUE(p.config.discover);
  EXPECT_TRUE(p.config.registrars.empty()) << "the duplicate is not applied";
}

TEST(AgentConfigTest, FingerprintTakesSeveralKeys) {
  const std::string a = "SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const std::string b = "SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  ConfigParse p = ParseAgentConfig("[agent]\nfingerprint = " + a + " " + b + "\n", "a");
  EXPECT_TRUE(p.diagnostics.empty());
  EXPECT_EQ(p.config.fingerprints, (std::vector<std::string>{a, b}));
  p = ParseAgentConfig("[agent]\nfingerprint = " + a + ", MD5:aa\n", "a");
  EXPECT_EQ(p.diagnostics.size(), 1u);
  EXPECT_TRUE(p.config.fingerprints.empty()) << "a bad list pins nothing";
}

TEST(AgentConfigTest, ErrorsNameFileLineKeyAndValue) {
  const ConfigParse p = ParseAgentConfig(
      "[agent]\nregistrar = mon1:99999\nfingerprint = MD5:aa\ndirectroy = /x\n"
      "directory = relative\nname = a_b\nenabled = maybe\nname = again\n[other]\n",
      "agent.conf");
  EXPECT_EQ(RenderAll(p.diagnostics),
            "agent.conf:2:13: error: invalid value 'mon1:99999' for 'registrar': expected 'auto' "
            "and/or a list of host[:port]\nregistrar = mon1:99999\n            ^\n"
            "agent.conf:3:15: error: invalid value 'MD5:aa' for 'fingerprint': expected SHA256: "
            "and 43 base64 characters, as ssh-keygen -l prints, one or more\nfingerprint = MD5:aa\n"
            "              ^\n"
            "agent.conf:4:1: error: unknown key 'directroy', did you mean 'directory'?\n"
            "directroy = /x\n^\n"
            "agent.conf:5:13: error: invalid value 'relative' for 'directory': expected an "
            "absolute path of letters, digits and ._+-/@\ndirectory = relative\n            ^\n"
            "agent.conf:6:8: error: invalid value 'a_b' for 'name': expected a host name (RFC "
            "1123: letters, digits, '-' and '.') or an IPv4 address\nname = a_b\n       ^\n"
            "agent.conf:7:11: error: invalid value 'maybe' for 'enabled': expected true or false "
            "(also yes/no, on/off, 1/0)\nenabled = maybe\n          ^\n"
            "agent.conf:8:1: error: duplicate key 'name'\nname = again\n^\n"
            "agent.conf:9:1: error: unknown section [other]; agent.conf has only [agent]\n"
            "[other]\n^\n");
}

TEST(AgentConfigTest, AutoAloneOrWithAddresses) {
  ConfigParse p = ParseAgentConfig("[agent]\nregistrar = auto\n", "agent.conf");
  ASSERT_TRUE(p.diagnostics.empty()) << RenderAll(p.diagnostics);
  EXPECT_TRUE(p.config.discover);
  EXPECT_TRUE(p.config.registrars.empty());
  p = ParseAgentConfig("[agent]\nregistrar = mon1:2223, auto\ndiscovery_timeout = 10\n",
                       "agent.conf");
  ASSERT_TRUE(p.diagnostics.empty()) << RenderAll(p.diagnostics);
  EXPECT_TRUE(p.config.discover);
  EXPECT_EQ(p.config.registrars, (std::vector<RegistrarAddress>{{"mon1", 2223}}));
  EXPECT_EQ(p.config.discovery_timeout_ms, 10000);
}

TEST(AgentConfigTest, DiscoveryTimeoutOutOfRange) {
  for (const char* bad : {"0", "61", "2.5", "-1", "soon"}) {
    const ConfigParse p = ParseAgentConfig(
        std::string("[agent]\nregistrar = auto\ndiscovery_timeout = ") + bad + "\n", "a.conf");
    EXPECT_EQ(RenderAll(p.diagnostics),
              std::string("a.conf:3:21: error: invalid value '") + bad +
                  "' for 'discovery_timeout': expected whole seconds from 1 to 60\n"
                  "discovery_timeout = " +
                  bad + "\n                    ^\n")
        << bad;
  }
}

}  // namespace
}  // namespace automon::agent
