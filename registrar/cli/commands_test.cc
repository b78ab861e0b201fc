// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/cli/commands.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "common/file_system.h"
#include "common/testing/fake_process_runner.h"
#include "common/testing/temp_dir.h"
#include "registrar/disk.h"
#include "registrar/ssh/enrollment.h"

namespace automon::registrar::cli {
namespace {

constexpr char kFingerprint[] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/+AA";

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() {
    config_.state_dir = dir_.path() + "/state";
    config_.output_dir = dir_.path() + "/out";
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    const Environment env{fs_, disk_, runner_, [] { return std::string("2026-11-21T12:00:00Z"); },
                          in_, out_,  err_};
    const ssh::ServeDependencies serve{fs_,
                                       disk_,
                                       runner_,
                                       [] { return std::string("2026-11-21T12:00:00Z"); },
                                       [] { return int64_t{1763726400}; },
                                       err_,
                                       "test"};
    return cli::Run({config_, env, serve}, args);
  }

  automon::testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  automon::testing::FakeProcessRunner runner_;
  Config config_;
  std::istringstream in_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST(CommandTableTest, NamesAreUniqueAndEachSynopsisStartsWithItsName) {
  std::set<std::string_view> names;
  for (const Command& c : Commands()) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_TRUE(c.synopsis.starts_with(c.name)) << c.synopsis;
    EXPECT_FALSE(c.help.empty()) << c.name;
    EXPECT_NE(c.run, nullptr) << c.name;
    EXPECT_EQ(FindCommand(c.name), &c);
  }
  EXPECT_EQ(names.size(), 12u);
  EXPECT_EQ(FindCommand("serv"), nullptr);
  EXPECT_EQ(FindCommand("deregister"), nullptr);  // an SSH verb, not a command
}

TEST(CommandTableTest, UsageListsEveryCommandWithItsHelp) {
  const std::string usage = Usage();
  for (const Command& c : Commands()) {
    EXPECT_NE(usage.find("\n  " + std::string(c.synopsis)), std::string::npos) << c.name;
  }
  EXPECT_NE(usage.find("  ticket NAME [--valid DURATION]\n"
                       "                              print a single-use enrollment ticket for "
                       "NAME\n"
                       "                              (DURATION like 30m, 12h, 7d; default 1d)\n"),
            std::string::npos)
      << usage;
}

TEST(CommandTableTest, CommandUsageShowsOneCommand) {
  EXPECT_EQ(CommandUsage(*FindCommand("serve")),
            "usage: automon-registrar [--config FILE] serve\n\n"
            "  serve [--no-announce]       run the SSH endpoint for agents (listen, enrollment),\n"
            "                              announced over mDNS as _automon._tcp unless told not "
            "to\n");
  EXPECT_EQ(CommandUsage(*FindCommand("hosts")),
            "usage: automon-registrar [--config FILE] hosts\n\n"
            "  hosts [--json]              list registered, quarantined and removed hosts\n");
}

TEST(CommandTableTest, OnlyCommandsThatChangeTheLiveConfigurationActivate) {
  std::set<std::string_view> activating;
  for (const Command& c : Commands()) {
    if (c.activates) activating.insert(c.name);
  }
  EXPECT_EQ(activating, (std::set<std::string_view>{"receive", "remove", "render", "serve"}));
}

TEST_F(CommandsTest, UnknownCommandsAndWrongArgumentsAreUsageErrors) {
  EXPECT_EQ(Run({}), kUsage);
  EXPECT_TRUE(err_.str().starts_with("usage: automon-registrar")) << err_.str();
  EXPECT_EQ(Run({"frobnicate"}), kUsage);
  EXPECT_TRUE(err_.str().starts_with("automon-registrar: unknown command 'frobnicate'\nusage:"));
  EXPECT_EQ(Run({"fro\x1b[31mb"}), kUsage);
  EXPECT_TRUE(err_.str().starts_with("automon-registrar: unknown command 'fro?[31mb'"));
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"receive"},
                                             {"receive", "--host"},
                                             {"receive", "--hots", "a"},
                                             {"show"},
                                             {"show", "a", "b"},
                                             {"show", "--all"},
                                             {"hosts", "x"},
                                             {"hosts", "--json", "x"},
                                             {"hosts", "--jsno"},
                                             {"show", "--json"},
                                             {"show", "a", "--json", "--json"},
                                             {"render", "--now"},
                                             {"serve", "--announce"},
                                             {"pending", "x"},
                                             {"pending", "--json", "--json"},
                                             {"accept"},
                                             {"accept", "a", "--force"},
                                             {"reject"},
                                             {"ticket"},
                                             {"ticket", "a", "--valid"},
                                             {"ticket", "a", "--until", "1d"}}) {
    EXPECT_EQ(Run(args), kUsage) << args[0] << " " << args.size();
    EXPECT_NE(err_.str().find("automon-registrar: wrong arguments\nusage: automon-registrar "
                              "[--config FILE] " +
                              args[0] + "\n"),
              std::string::npos)
        << err_.str();
  }
}

TEST_F(CommandsTest, TicketRefusesAnInvalidDuration) {
  EXPECT_EQ(Run({"ticket", "web01", "--valid", "400d"}), kUsage);
  EXPECT_NE(err_.str().find("invalid duration '400d'"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, DispatchesToTheRegistrarAndTheEnrollment) {
  EXPECT_EQ(Run({"hosts"}), kOk) << err_.str();
  EXPECT_EQ(Run({"pending"}), kOk) << err_.str();
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Run({"ticket", "web01.example.org", "--valid", "30m"}), kOk) << err_.str();
  EXPECT_FALSE(out_.str().empty());
  EXPECT_NE(err_.str().find("automon-agent enroll --ticket"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"show", "nosuch.example.org"}), kRefused);
}

TEST_F(CommandsTest, PendingJsonListsEveryWaitingKey) {
  ASSERT_TRUE(fs_.MakeDirectories(config_.state_dir, 0755).ok());
  EXPECT_EQ(Run({"pending", "--json"}), kOk) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str()),
            nlohmann::json::parse(R"({"version": 1, "pending": []})"));
  {
    Enrollment enrollment(
        fs_, disk_, config_.state_dir, EnrollmentPolicy::kManual, {},
        {[] { return std::string("2026-11-21T15:00:00Z"); }, [] { return int64_t{1}; }},
        [](const std::string&) {});
    ASSERT_TRUE(enrollment.Initialise().ok());
    ASSERT_EQ(enrollment
                  .Enroll({"web01.example.org", kFingerprint, "ssh-ed25519 AAAAC3Nza",
                           "192.0.2.5:40000", "", ""},
                          std::nullopt)
                  .status,
              EnrollStatus::kPending);
  }
  EXPECT_EQ(Run({"pending", "--json"}), kOk) << err_.str();
  const std::string text = out_.str();
  const nlohmann::json doc = nlohmann::json::parse(text);
  ASSERT_EQ(doc["pending"].size(), 1u) << text;
  const nlohmann::json& key = doc["pending"][0];
  EXPECT_EQ(key["host"], "web01.example.org");
  EXPECT_EQ(key["fingerprint"], kFingerprint);
  EXPECT_EQ(key["peer"], "192.0.2.5:40000");
  EXPECT_EQ(key["since"], "2026-11-21T15:00:00Z");
  EXPECT_EQ(key["replaces_enrolled_key"], false);
  EXPECT_EQ(Run({"pending"}), kOk);
  EXPECT_TRUE(out_.str().starts_with(std::string("web01.example.org  ") + kFingerprint + "  from "))
      << out_.str();
}

TEST_F(CommandsTest, RenderExamplePrintsTheScrapeJobAndChangesNothing) {
  EXPECT_EQ(Run({"render", "--backend", "prometheus", "--example"}), kOk) << err_.str();
  EXPECT_NE(out_.str().find("  - job_name: automon\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("files: ['/etc/prometheus/automon/*.json']"), std::string::npos);
  EXPECT_NE(out_.str().find("automon_smtp:"), std::string::npos);
  EXPECT_FALSE(fs_.ReadFile(config_.state_dir, 1).ok());
  EXPECT_EQ(Run({"render", "--example"}), kRefused);  // nagios: nothing to add
  EXPECT_EQ(err_.str(),
            "automon-registrar: Nagios needs nothing in its own configuration beyond the files "
            "of automon's package\n");
  EXPECT_EQ(Run({"render", "--backend", "zabbix", "--example"}), kUsage);
  EXPECT_EQ(err_.str(), "automon-registrar: unknown backend 'zabbix'\n");
  EXPECT_EQ(Run({"render", "--backend", "prometheus"}), kUsage);
}

TEST_F(CommandsTest, JsonFlagsReachHostsAndShow) {
  EXPECT_EQ(Run({"hosts", "--json"}), kOk) << err_.str();
  EXPECT_EQ(nlohmann::json::parse(out_.str()),
            nlohmann::json::parse(R"({"version": 1, "hosts": []})"));
  EXPECT_EQ(Run({"show", "nosuch.example.org", "--json"}), kRefused);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "automon-registrar: no host 'nosuch.example.org' is registered\n");
}

}  // namespace
}  // namespace automon::registrar::cli
