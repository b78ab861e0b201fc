#include "registrar/activation.h"

#include <gtest/gtest.h>

#include "common/testing/fake_process_runner.h"
#include "registrar/render/nagios.h"
#include "registrar/testing/temp_dir.h"

namespace automon::registrar {
namespace {

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
    runner_.On("verify", [this](const std::vector<std::string>& argv) { return nagios_.Verify(argv); });
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
  NagiosActivator activator_{config_, fs_, disk_, runner_, dir_.path() + "/state/staging",
                             dir_.path() + "/state/reload-pending"};
};

TEST_F(ActivationTest, VerifiesAStagedCopyThenSwapsAndReloads) {
  auto outcome = Activate(Request({{"a.example.org", "# h\nhost a v1\n"},
                                   {"b.example.org", "# h\nhost b v1\n"}}));
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
  EXPECT_EQ(nagios_.last_cfg,
            "# Staged by automon-registrar from " + t + "/nagios.cfg; not the live file.\n"
            "log_file=/x\n"
            "cfg_file=" + t + "/conf.d/admin.cfg\n"
            "cfg_file=" + t + "/other.cfg\n"
            "resource_file=" + t + "/resource.cfg\n"
            "cfg_file=" + t + "/state/staging/automon.cfg\n"
            "cfg_file=" + t + "/state/staging/local-templates.cfg\n"
            "cfg_file=" + t + "/state/staging/hosts/7e/b.example.org.cfg\n"
            "cfg_file=" + t + "/state/staging/hosts/84/a.example.org.cfg\n");
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
  EXPECT_EQ(nagios_.last_cfg,
            "# Staged by automon-registrar from " + t + "/nagios.cfg; not the live file.\n"
            "log_file=/x\n"
            "cfg_file=" + t + "/conf.d/admin.cfg\n"
            "cfg_file=" + t + "/other.cfg\n"
            "resource_file=" + t + "/resource.cfg\n"
            "cfg_file=" + t + "/conf.d/automon/automon.cfg\n"
            "cfg_file=" + t + "/conf.d/automon/local-templates.cfg\n"
            "cfg_file=" + t + "/state/staging/hosts/7e/b.example.org.cfg\n"
            "cfg_dir=" + t + "/conf.d/automon/hosts/84\n");
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
  EXPECT_EQ(failed.error().message,
            "the reload command failed (exit status 1): reload output");
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
  EXPECT_NE(nagios_.last_cfg.find("cfg_file=" + config_.output_dir + "/hosts/old.example.org.cfg\n"),
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
  EXPECT_EQ(outcome.error().message,
            "output_dir " + config_.output_dir + " is not inside any cfg_dir of " +
                config_.nagios_cfg + ": Nagios would never read the generated files");
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
