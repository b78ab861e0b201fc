// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation.h"

#include <gtest/gtest.h>

#include <set>

#include "backends/nagios.h"
#include "common/testing/fake_process_runner.h"
#include "common/testing/temp_dir.h"
#include "registrar/activation_checkmk.h"
#include "registrar/activation_nagios.h"

namespace automon::registrar {
namespace {

using backends::HostFileName;

// A stand-in for nagios4 -v: reads the staged nagios.cfg and every
// cfg_file it names, and fails when one of them contains "BROKEN".
class FakeNagios {
 public:
  explicit FakeNagios(FileSystem& fs) : fs_(fs) {}

  Result<ProcessResult> Verify(const std::vector<std::string>& argv) {
    ++verifications;
    auto cfg = fs_.ReadFile(argv.at(2), 1 << 20);
    if (!cfg) return ProcessResult{1, false, "Unable to open main config file"};
    last_cfg = *cfg;
    std::set<std::string> uniques;
    size_t start = 0;
    while (start < cfg->size()) {
      size_t end = cfg->find('\n', start);
      const std::string line = cfg->substr(start, end - start);
      start = end + 1;
      std::vector<std::string> files;
      if (line.starts_with("cfg_file=")) files.push_back(line.substr(9));
      if (line.starts_with("cfg_dir=")) {
        auto entries = fs_.ListDirectory(line.substr(8));
        if (!entries) return ProcessResult{1, false, "Error: Cannot open config directory"};
        for (const DirectoryEntry& e : *entries) {
          if (e.name.ends_with(".cfg")) files.push_back(line.substr(8) + "/" + e.name);
        }
      }
      for (const std::string& file : files) {
        auto content = fs_.ReadFile(file, 1 << 20);
        if (!content) return ProcessResult{1, false, "Error: Cannot open config file " + file};
        // "unique NAME": an object two files may not both define.
        for (size_t at = 0; (at = content->find("unique ", at)) != std::string::npos; ++at) {
          const std::string name = content->substr(at + 7, content->find('\n', at) - at - 7);
          if (!uniques.insert(name).second) {
            return ProcessResult{1, false, "Error: Duplicate definition found for '" + name + "'"};
          }
        }
        if (content->find("BROKEN") != std::string::npos) {
          return ProcessResult{1, false,
                               "Reading configuration data...\nError: broken object in " + file +
                                   "\n   Error processing object config files!\n"};
        }
      }
    }
    return ProcessResult{0, false, "Total Warnings: 0\nTotal Errors:   0\n"};
  }

  int verifications = 0;
  std::string last_cfg;

 private:
  FileSystem& fs_;
};

class ActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& t = dir_.path();
    config_.nagios_cfg = t + "/nagios.cfg";
    config_.output_dir = t + "/conf.d/automon";
    config_.verify_command = "verify -v {config}";
    config_.reload_command = "reload now";
    ASSERT_TRUE(disk_.MakeDirectory(t + "/conf.d", 0755).ok());
    ASSERT_TRUE(disk_.MakeDirectory(t + "/state", 0755).ok());
    Write(config_.nagios_cfg, "log_file=/x\ncfg_dir = " + t + "/conf.d/\ncfg_file=" + t +
                                  "/other.cfg\nresource_file=resource.cfg\n");
    Write(t + "/other.cfg", "define host { }\n");
    Write(t + "/conf.d/admin.cfg", "define service { }\n");
    runner_.On("verify",
               [this](const std::vector<std::string>& argv) { return nagios_.Verify(argv); });
    runner_.On("reload", [this](const std::vector<std::string>&) {
      ++reloads_;
      return Result<ProcessResult>(ProcessResult{reload_exit_, false, "reload output"});
    });
  }

  void Write(const std::string& path, const std::string& content) {
    ASSERT_TRUE(fs_.WriteFileAtomic(path, content, 0644).ok()) << path;
  }
  std::string Live(const std::string& rel) {
    auto content = fs_.ReadFile(config_.output_dir + "/" + rel, 1 << 20);
    return content ? *content : "(missing)";
  }
  Result<ActivationOutcome> Activate(const ActivationRequest& request) {
    return activator_.Activate(request, [this](const std::vector<std::string>& hosts) {
      swapped_ = hosts;
      return before_swap_result_;
    });
  }
  ActivationRequest Request(std::map<std::string, std::optional<std::string>> hosts) {
    ActivationRequest r;
    r.common = "# header\ndefine command { common }\n";
    r.templates = "# header\ndefine host { templates }\n";
    r.hosts = std::move(hosts);
    return r;
  }

  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  automon::testing::FakeProcessRunner runner_;
  FakeNagios nagios_{fs_};
  Config config_;
  int reloads_ = 0;
  int reload_exit_ = 0;
  std::vector<std::string> swapped_;
  Result<void> before_swap_result_;
  NagiosActivator activator_{config_,
                             fs_,
                             disk_,
                             runner_,
                             dir_.path() + "/state/staging",
                             dir_.path() + "/state/reload-pending"};
};

TEST(ChangesInTest, OnlyTheFilesDirectlyInTheDirectoryInOrder) {
  FileChanges changes;
  for (const char* rel : {"automon.cfg", "hosts/ab/a.cfg", "hosts/ab/deeper/c.cfg", "hosts/ab.cfg",
                          "hosts/abc/e.cfg", "hosts/ac/f.cfg"}) {
    changes[rel] = std::make_shared<const std::string>("x");
  }
  changes["hosts/ab/b.cfg"] = nullptr;  // a removal is a change too
  EXPECT_EQ(ChangesIn(changes, "hosts/ab"),
            (std::vector<std::string_view>{"hosts/ab/a.cfg", "hosts/ab/b.cfg"}));
  EXPECT_EQ(ChangesIn(changes, "hosts"), (std::vector<std::string_view>{"hosts/ab.cfg"}));
  EXPECT_TRUE(ChangesIn(changes, "hosts/zz").empty());
}

TEST_F(ActivationTest, VerifiesAStagedCopyThenSwapsAndReloads) {
  auto outcome = Activate(
      Request({{"a.example.org", "# h\nhost a v1\n"}, {"b.example.org", "# h\nhost b v1\n"}}));
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->reloaded);
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example.org", "b.example.org"}));
  EXPECT_EQ(swapped_, outcome->activated);
  EXPECT_EQ(Live(HostFileName("a.example.org")), "# h\nhost a v1\n");
  EXPECT_EQ(Live("automon.cfg"), "# header\ndefine command { common }\n");
  EXPECT_EQ(nagios_.verifications, 1);
  EXPECT_EQ(reloads_, 1);
  // The staged nagios.cfg: the admin's files, not the live automon tree.
  const std::string& t = dir_.path();
  EXPECT_EQ(nagios_.last_cfg, "# Staged by automon-registrar from " + t +
                                  "/nagios.cfg; not the live file.\n"
                                  "log_file=/x\n"
                                  "cfg_file=" +
                                  t +
                                  "/conf.d/admin.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/other.cfg\n"
                                  "resource_file=" +
                                  t +
                                  "/resource.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/state/staging/automon.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/state/staging/local-templates.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/state/staging/hosts/7e/b.example.org.cfg\n"
                                  "cfg_file=" +
                                  t + "/state/staging/hosts/84/a.example.org.cfg\n");
  EXPECT_FALSE(fs_.ReadFile(t + "/state/reload-pending", 100).ok());
}

// Verifying one host's change names untouched host buckets as directories,
// so staging costs the same with ten hosts or ten thousand.
TEST_F(ActivationTest, UnchangedBucketsAreNamedAsDirectories) {
  ASSERT_TRUE(Activate(Request({{"a.example.org", "# h\nhost a v1\n"},
                                {"b.example.org", "# h\nhost b v1\n"}}))
                  .ok());
  ASSERT_TRUE(Activate(Request({{"b.example.org", "# h\nhost b v2\n"}})).ok());
  const std::string& t = dir_.path();
  EXPECT_EQ(nagios_.last_cfg, "# Staged by automon-registrar from " + t +
                                  "/nagios.cfg; not the live file.\n"
                                  "log_file=/x\n"
                                  "cfg_file=" +
                                  t +
                                  "/conf.d/admin.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/other.cfg\n"
                                  "resource_file=" +
                                  t +
                                  "/resource.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/conf.d/automon/automon.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/conf.d/automon/local-templates.cfg\n"
                                  "cfg_file=" +
                                  t +
                                  "/state/staging/hosts/7e/b.example.org.cfg\n"
                                  "cfg_dir=" +
                                  t + "/conf.d/automon/hosts/84\n");
  EXPECT_EQ(Live(HostFileName("b.example.org")), "# h\nhost b v2\n");
}

TEST_F(ActivationTest, UnchangedFilesNeitherVerifyNorReload) {
  ASSERT_TRUE(Activate(Request({{"a.example.org", "# h\nhost a v1\n"}})).ok());
  auto again = Request({{"a.example.org", "# other header time\nhost a v1\n"}});
  again.common = "# new time\ndefine command { common }\n";
  auto outcome = Activate(again);
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->reloaded);
  EXPECT_EQ(outcome->unchanged, std::vector<std::string>{"a.example.org"});
  EXPECT_EQ(nagios_.verifications, 1);
  EXPECT_EQ(reloads_, 1);
}

TEST_F(ActivationTest, QuarantinesTheBreakingHostAndActivatesTheRest) {
  ASSERT_TRUE(Activate(Request({{"b.example.org", "# h\nhost b v1\n"}})).ok());
  auto outcome = Activate(Request({{"a.example.org", "# h\nhost a v1\n"},
                                   {"b.example.org", "# h\nhost b BROKEN\n"},
                                   {"c.example.org", "# h\nhost c v1\n"}}));
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example.org", "c.example.org"}));
  ASSERT_EQ(outcome->quarantined.count("b.example.org"), 1u);
  EXPECT_EQ(outcome->quarantined["b.example.org"],
            "Error: broken object in " + dir_.path() +
                "/state/staging/hosts/7e/b.example.org.cfg; Error processing object config files!");
  EXPECT_EQ(Live(HostFileName("b.example.org")), "# h\nhost b v1\n") << "last good file stays";
  EXPECT_EQ(Live(HostFileName("a.example.org")), "# h\nhost a v1\n");
  EXPECT_EQ(swapped_, outcome->activated);
  EXPECT_EQ(reloads_, 2);
}

// Each host verifies alone, but not together (two objects of one name):
// neither goes live, both are told why.
TEST_F(ActivationTest, HostsThatClashWithEachOtherAreBothQuarantined) {
  auto outcome = Activate(
      Request({{"a.example.org", "# h\nunique web\n"}, {"b.example.org", "# h\nunique web\n"}}));
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->activated.empty());
  ASSERT_EQ(outcome->quarantined.size(), 2u);
  EXPECT_EQ(outcome->quarantined["a.example.org"], "Error: Duplicate definition found for 'web'");
  EXPECT_EQ(outcome->quarantined["b.example.org"], "Error: Duplicate definition found for 'web'");
  EXPECT_EQ(Live(HostFileName("a.example.org")), "(missing)");
  EXPECT_EQ(Live(HostFileName("b.example.org")), "(missing)");
  // All together, the baseline, each alone, the two together again.
  EXPECT_EQ(nagios_.verifications, 5);
}

TEST_F(ActivationTest, ASingleBrokenHostIsQuarantinedWithoutReload) {
  auto outcome = Activate(Request({{"a.example.org", "# h\nBROKEN\n"}}));
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->activated.empty());
  EXPECT_EQ(outcome->quarantined.count("a.example.org"), 1u);
  EXPECT_EQ(Live(HostFileName("a.example.org")), "(missing)");
  // The shared files verified on their own and went live.
  EXPECT_EQ(Live("automon.cfg"), "# header\ndefine command { common }\n");
  EXPECT_EQ(reloads_, 1);
}

TEST_F(ActivationTest, BrokenBaselineActivatesNothingAndBlamesNoHost) {
  Write(dir_.path() + "/conf.d/admin.cfg", "BROKEN by the admin\n");
  auto outcome = Activate(Request({{"a.example.org", "# h\nhost a\n"}}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "the Nagios configuration does not verify even without the hosts' changes, so "
            "nothing was activated: Error: broken object in " +
                dir_.path() + "/conf.d/admin.cfg; Error processing object config files!");
  EXPECT_EQ(Live(HostFileName("a.example.org")), "(missing)");
  EXPECT_EQ(Live("automon.cfg"), "(missing)");
  EXPECT_EQ(reloads_, 0);
}

TEST_F(ActivationTest, FailedReloadIsRetriedByTheNextActivation) {
  reload_exit_ = 1;
  auto failed = Activate(Request({{"a.example.org", "# h\nhost a\n"}}));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "the reload command failed (exit status 1): reload output");
  EXPECT_EQ(Live(HostFileName("a.example.org")), "# h\nhost a\n");
  EXPECT_TRUE(fs_.ReadFile(dir_.path() + "/state/reload-pending", 100).ok());
  reload_exit_ = 0;
  auto retried = Activate(Request({{"a.example.org", "# h\nhost a\n"}}));
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_TRUE(retried->reloaded);
  EXPECT_EQ(nagios_.verifications, 2) << "the live files are verified before the reload";
  EXPECT_EQ(reloads_, 2);
  EXPECT_FALSE(fs_.ReadFile(dir_.path() + "/state/reload-pending", 100).ok());
}

TEST_F(ActivationTest, AnErrorBeforeTheSwapChangesNothingLive) {
  before_swap_result_ = Error{"disk full"};
  auto outcome = Activate(Request({{"a.example.org", "# h\nhost a\n"}}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "disk full");
  EXPECT_EQ(Live(HostFileName("a.example.org")), "(missing)");
  EXPECT_EQ(reloads_, 0);
}

TEST_F(ActivationTest, RemovesHostsAndUnlistedHosts) {
  ASSERT_TRUE(Activate(Request({{"a.example.org", "# h\nhost a\n"},
                                {"b.example.org", "# h\nhost b\n"},
                                {"c.example.org", "# h\nhost c\n"}}))
                  .ok());
  ASSERT_TRUE(Activate(Request({{"a.example.org", std::nullopt}})).ok());
  EXPECT_EQ(Live(HostFileName("a.example.org")), "(missing)");
  // A file left directly in hosts/ is read by Nagios, so it is verified
  // with everything else, and `render` removes it.
  Write(config_.output_dir + "/hosts/old.example.org.cfg", "# h\nold flat file\n");
  ASSERT_TRUE(Activate(Request({{"b.example.org", "# h\nhost b v2\n"}})).ok());
  EXPECT_NE(
      nagios_.last_cfg.find("cfg_file=" + config_.output_dir + "/hosts/old.example.org.cfg\n"),
      std::string::npos)
      << nagios_.last_cfg;
  auto render = Request({{"b.example.org", "# h\nhost b v2\n"}});
  render.remove_unlisted_hosts = true;
  ASSERT_TRUE(Activate(render).ok());
  EXPECT_EQ(activator_.LiveHosts().value(), std::vector<std::string>{"b.example.org"});
  EXPECT_FALSE(fs_.ReadFile(config_.output_dir + "/hosts/old.example.org.cfg", 100).ok());
}

TEST_F(ActivationTest, OutputDirectoryNagiosNeverReadsIsAnError) {
  Write(config_.nagios_cfg, "cfg_file=" + dir_.path() + "/other.cfg\n");
  auto outcome = Activate(Request({{"a.example.org", "# h\nhost a\n"}}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "output_dir " + config_.output_dir +
                                         " is not inside any cfg_dir of " + config_.nagios_cfg +
                                         ": Nagios would never read the generated files");
}

TEST_F(ActivationTest, VerifyTimeoutIsReported) {
  runner_.On("slow", [](const std::vector<std::string>&) {
    return Result<ProcessResult>(ProcessResult{137, true, ""});
  });
  config_.verify_command = "slow {config}";
  auto outcome = Activate(Request({}));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "the Nagios configuration does not verify even without the hosts' changes, so "
            "nothing was activated: the verify command timed out");
}

}  // namespace
}  // namespace automon::registrar

namespace automon::registrar {
namespace {

using backends::HostFileName;

// CheckmkActivator with the real sandbox check (python3) and stand-ins for
// the site's verify and activate commands.
class CheckmkActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& t = dir_.path();
    config_.backend = backends::BackendKind::kCheckmk;
    config_.checkmk_site = "mysite";
    config_.checkmk_conf_dir = t + "/conf.d/automon";
    config_.checkmk_activate_command = "activate {site}";
    ASSERT_TRUE(disk_.MakeDirectory(t + "/conf.d", 0755).ok());
    ASSERT_TRUE(disk_.MakeDirectory(t + "/state", 0755).ok());
    runner_.On("/usr/bin/python3", [this](const std::vector<std::string>& argv) {
      ++sandbox_runs_;
      return real_.Run(argv, std::chrono::seconds(60));
    });
    runner_.On("verify", [this](const std::vector<std::string>& argv) {
      ++verifications_;
      // Fails when any staged file holds "BROKEN".
      auto entries = fs_.ListDirectory(argv.at(1));
      if (!entries) return Result<ProcessResult>(ProcessResult{2, false, "no dir"});
      for (const DirectoryEntry& e : *entries) {
        auto content = fs_.ReadFile(argv.at(1) + "/" + e.name, 1 << 20);
        if (content && content->find("BROKEN") != std::string::npos) {
          return Result<ProcessResult>(ProcessResult{1, false, "Error: broken " + e.name});
        }
      }
      return Result<ProcessResult>(ProcessResult{0, false, ""});
    });
    runner_.On("activate", [this](const std::vector<std::string>& argv) {
      activations_.push_back(argv.at(1));
      // Like cmk -R with a tag group the site does not have: fails while
      // any live file holds "UNKNOWN-TAG".
      if (auto entries = fs_.ListDirectory(config_.checkmk_conf_dir)) {
        for (const DirectoryEntry& e : *entries) {
          auto content = fs_.ReadFile(config_.checkmk_conf_dir + "/" + e.name, 1 << 20);
          if (content && content->find("UNKNOWN-TAG") != std::string::npos) {
            return Result<ProcessResult>(ProcessResult{1, false, "Unknown tag group in " + e.name});
          }
        }
      }
      return Result<ProcessResult>(ProcessResult{activate_exit_, false, "cmk output"});
    });
  }

  static std::string Mk(const std::string& host, const std::string& extra = "") {
    return "# header " + host + "\nall_hosts += ['" + host + "']\nhost_labels.update({'" + host +
           "': {'automon': 'registered'}})\n" + extra;
  }
  static std::string Rule(const std::string& host, const std::string& id) {
    return "{'id': '" + id + "', 'value': {'service_description': 'x', 'command_line': 'x'}, " +
           "'condition': {'host_name': ['" + host + "']}}";
  }
  std::string Live(const std::string& host) {
    auto content = fs_.ReadFile(config_.checkmk_conf_dir + "/" + host + ".mk", 1 << 20);
    return content ? *content : "(missing)";
  }
  Result<ActivationOutcome> Activate(std::map<std::string, std::optional<std::string>> hosts,
                                     bool remove_unlisted = false) {
    ActivationRequest r;
    r.hosts = std::move(hosts);
    r.remove_unlisted_hosts = remove_unlisted;
    return activator_.Activate(r, [this](const std::vector<std::string>& going_live) {
      swapped_ = going_live;
      return Result<void>();
    });
  }

  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  RealProcessRunner real_;
  automon::testing::FakeProcessRunner runner_;
  Config config_;
  int sandbox_runs_ = 0;
  int verifications_ = 0;
  int activate_exit_ = 0;
  std::vector<std::string> activations_;
  std::vector<std::string> swapped_;
  CheckmkActivator activator_{config_,
                              fs_,
                              disk_,
                              runner_,
                              dir_.path() + "/state/staging-checkmk",
                              dir_.path() + "/state/activate-pending"};
};

TEST_F(CheckmkActivationTest, WritesVerifiedFilesAndActivatesAsTheSite) {
  auto outcome = Activate({{"a.example", Mk("a.example")}, {"b.example", Mk("b.example")}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_TRUE(outcome->reloaded);
  EXPECT_EQ(Live("a.example"), Mk("a.example"));
  EXPECT_EQ(activations_, (std::vector<std::string>{"mysite"}));
  EXPECT_EQ(sandbox_runs_, 1);  // one interpreter for every file
  EXPECT_EQ(*activator_.LiveHosts(), (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(activator_.HostFilePath("a.example"), config_.checkmk_conf_dir + "/a.example.mk");
  EXPECT_FALSE(fs_.ReadFile(dir_.path() + "/state/activate-pending", 100).ok());

  // The same content again (a new header only): nothing to do.
  auto again = Activate({{"a.example", "# other header\n" + Mk("a.example").substr(19)}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, (std::vector<std::string>{"a.example"}));
  EXPECT_EQ(activations_.size(), 1u);
}

TEST_F(CheckmkActivationTest, QuarantinesTheHostWhoseFileTheSandboxRefuses) {
  ASSERT_TRUE(Activate({{"a.example", Mk("a.example")}}).ok());
  const std::map<std::string, std::string> hostile = {
      {"a.example", Mk("a.example", "import os\n")},
      {"b.example", Mk("b.example", "all_hosts += [__import__('os').getcwd()]\n")},
      {"c.example", Mk("c.example", "host_tags.update({'a.example': {}})\n")},
      {"d.example", Mk("d.example", "custom_checks += [{'condition': {}, 'value': {}}]\n")},
      // Rule ids must be automon/<own host>/<service>, each once.
      {"e.example",
       Mk("e.example", "custom_checks += [" + Rule("e.example", "automon/a.example/x") + "]\n")},
      {"f.example",
       Mk("f.example", "custom_checks += [" + Rule("f.example", "automon/f.example/x/y") + "]\n")},
      {"g.example",
       Mk("g.example", "custom_checks += [" + Rule("g.example", "automon/g.example/x") + ", " +
                           Rule("g.example", "automon/g.example/x") + "]\n")},
      {"h.example",
       Mk("h.example", "custom_checks += [" + Rule("h.example", "automon-h.example-x") + "]\n")},
  };
  std::map<std::string, std::optional<std::string>> request(hostile.begin(), hostile.end());
  const std::string ok =
      Mk("ok.example", "custom_checks += [" + Rule("ok.example", "automon/ok.example/x") + ", " +
                           Rule("ok.example", "automon/ok.example/y") + "]\n");
  request["ok.example"] = ok;
  auto outcome = Activate(request);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"ok.example"}));
  ASSERT_EQ(outcome->quarantined.size(), 8u);
  EXPECT_NE(outcome->quarantined["e.example"].find(
                "id 'automon/a.example/x' is not 'automon/e.example/' followed by a service name"),
            std::string::npos)
      << outcome->quarantined["e.example"];
  EXPECT_NE(outcome->quarantined["f.example"].find("id 'automon/f.example/x/y' is not"),
            std::string::npos);
  EXPECT_NE(outcome->quarantined["g.example"].find("two rules with the id 'automon/g.example/x'"),
            std::string::npos);
  EXPECT_NE(outcome->quarantined["h.example"].find("id 'automon-h.example-x' is not"),
            std::string::npos);
  EXPECT_NE(outcome->quarantined["a.example"].find("a statement of a kind automon never writes"),
            std::string::npos);
  EXPECT_NE(outcome->quarantined["b.example"].find("not a literal"), std::string::npos);
  EXPECT_NE(outcome->quarantined["c.example"].find("host_tags gains entries for ['a.example']"),
            std::string::npos)
      << outcome->quarantined["c.example"];
  EXPECT_NE(outcome->quarantined["d.example"].find("not for 'd.example' alone"), std::string::npos);
  EXPECT_EQ(Live("a.example"), Mk("a.example"));  // the last good file stays
  EXPECT_EQ(Live("b.example"), "(missing)");
  EXPECT_EQ(Live("ok.example"), ok);
  EXPECT_EQ(swapped_, (std::vector<std::string>{"ok.example"}));
}

TEST_F(CheckmkActivationTest, SiteCheckFindsTheBrokenHost) {
  config_.checkmk_verify_command = "verify {dir}";
  ASSERT_TRUE(Activate({{"a.example", Mk("a.example")}}).ok());
  auto outcome =
      Activate({{"b.example", Mk("b.example", "# BROKEN\n")}, {"c.example", Mk("c.example")}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"c.example"}));
  ASSERT_EQ(outcome->quarantined.count("b.example"), 1u);
  EXPECT_NE(outcome->quarantined["b.example"].find("Error: broken b.example.mk"),
            std::string::npos);
  EXPECT_EQ(Live("b.example"), "(missing)");
  EXPECT_EQ(Live("c.example"), Mk("c.example"));
}

TEST_F(CheckmkActivationTest, BrokenLiveConfigurationActivatesNothing) {
  config_.checkmk_verify_command = "verify {dir}";
  ASSERT_TRUE(disk_.MakeDirectory(config_.checkmk_conf_dir, 0755).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(config_.checkmk_conf_dir + "/z.mk", "# BROKEN\n", 0644).ok());
  auto outcome = Activate({{"a.example", Mk("a.example")}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("does not verify even without the hosts' changes"),
            std::string::npos);
  EXPECT_TRUE(activations_.empty());
  EXPECT_EQ(Live("a.example"), "(missing)");
}

TEST_F(CheckmkActivationTest, FailedActivationIsRetriedNextTime) {
  activate_exit_ = 1;
  auto outcome = Activate({{"a.example", Mk("a.example")}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("the activate command failed (exit status 1)"),
            std::string::npos);
  EXPECT_NE(outcome.error().message.find("still fails, so the site's own configuration is broken"),
            std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(activations_.size(), 2u);         // the new files, then the previous ones
  EXPECT_EQ(Live("a.example"), "(missing)");  // put back as it was
  activate_exit_ = 0;
  auto retry = Activate({{"a.example", Mk("a.example")}});  // a change again, and pending
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_TRUE(retry->reloaded);
  EXPECT_EQ(activations_.size(), 3u);
  EXPECT_EQ(Live("a.example"), Mk("a.example"));
}

TEST_F(CheckmkActivationTest, FailedActivationRestoresAndQuarantinesTheBreakingHost) {
  // No verify_command: only the activation itself can tell.
  ASSERT_TRUE(Activate({{"a.example", Mk("a.example")}, {"b.example", Mk("b.example")}}).ok());
  activations_.clear();
  auto outcome = Activate({{"a.example", Mk("a.example", "# v2\n")},
                           {"b.example", Mk("b.example", "# UNKNOWN-TAG\n")},
                           {"c.example", Mk("c.example")},
                           {"d.example", std::nullopt}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(outcome->quarantined.size(), 1u);
  EXPECT_NE(outcome->quarantined["b.example"].find("Unknown tag group in b.example.mk"),
            std::string::npos)
      << outcome->quarantined["b.example"];
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example", "c.example"}));
  EXPECT_TRUE(outcome->reloaded);
  // b's previous file is live again, the others' new files too.
  EXPECT_EQ(Live("a.example"), Mk("a.example", "# v2\n"));
  EXPECT_EQ(Live("b.example"), Mk("b.example"));
  EXPECT_EQ(Live("c.example"), Mk("c.example"));
  // all (fails), previous (ok), a (ok), b (fails), previous b (ok), c (ok)
  EXPECT_EQ(activations_.size(), 6u);
  EXPECT_FALSE(fs_.ReadFile(dir_.path() + "/state/activate-pending", 100).ok());
}

TEST_F(CheckmkActivationTest, FailedActivationOfOneNewHostRemovesIt) {
  auto outcome = Activate({{"n.example", Mk("n.example", "# UNKNOWN-TAG\n")}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->activated.empty());
  ASSERT_EQ(outcome->quarantined.count("n.example"), 1u);
  EXPECT_NE(outcome->quarantined["n.example"].find("the activate command failed (exit status 1)"),
            std::string::npos);
  EXPECT_EQ(Live("n.example"), "(missing)");
  EXPECT_EQ(activations_.size(), 2u);  // with the file (fails), without it (ok)
  EXPECT_FALSE(fs_.ReadFile(dir_.path() + "/state/activate-pending", 100).ok());
}

TEST_F(CheckmkActivationTest, RemovesHostsAndUnlistedFiles) {
  ASSERT_TRUE(Activate({{"a.example", Mk("a.example")}, {"b.example", Mk("b.example")}}).ok());
  auto removed = Activate({{"a.example", std::nullopt}});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(Live("a.example"), "(missing)");
  auto render = Activate({{"c.example", Mk("c.example")}}, /*remove_unlisted=*/true);
  ASSERT_TRUE(render.ok());
  EXPECT_EQ(*activator_.LiveHosts(), (std::vector<std::string>{"c.example"}));
}

TEST_F(CheckmkActivationTest, RemoveUnlistedKeepsTheHostsToKeep) {
  ASSERT_TRUE(Activate({{"a.example", Mk("a.example")}, {"b.example", Mk("b.example")}}).ok());
  ActivationRequest r;
  r.hosts["c.example"] = Mk("c.example");
  r.remove_unlisted_hosts = true;
  r.keep_hosts = {"a.example"};
  auto outcome =
      activator_.Activate(r, [](const std::vector<std::string>&) { return Result<void>(); });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(*activator_.LiveHosts(), (std::vector<std::string>{"a.example", "c.example"}));
  EXPECT_EQ(Live("a.example"), Mk("a.example"));
}

TEST_F(CheckmkActivationTest, SandboxThatCannotRunIsAnError) {
  config_.checkmk_python = "/nonexistent/python3";
  auto outcome = Activate({{"a.example", Mk("a.example")}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("sandbox check"), std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(Live("a.example"), "(missing)");
}

}  // namespace
}  // namespace automon::registrar
