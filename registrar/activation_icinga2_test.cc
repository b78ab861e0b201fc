// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation_icinga2.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "common/testing/fake_process_runner.h"
#include "common/testing/temp_dir.h"

namespace automon::registrar {
namespace {

// A stand-in for icinga2 daemon -C: reads the staged icinga2.conf, every
// file it includes and every *.conf of the zones directory, and fails like
// icinga2 does when a file holds "BROKEN" (naming the file), "HIDDEN"
// (naming none), or a "unique NAME" another file defines too.
class FakeIcinga2 {
 public:
  explicit FakeIcinga2(FileSystem& fs) : fs_(fs) {}

  Result<ProcessResult> Verify(const std::vector<std::string>& argv) {
    ++verifications;
    zones_dir = argv.at(2);
    cache_dir = argv.at(3);
    auto conf = fs_.ReadFile(argv.at(1), 1 << 20);
    if (!conf) return ProcessResult{1, false, "critical/config: cannot open " + argv.at(1)};
    last_conf = *conf;
    std::vector<std::string> files;
    size_t start = 0;
    while (start < conf->size()) {
      size_t end = conf->find('\n', start);
      const std::string line = conf->substr(start, end - start);
      start = end + 1;
      const size_t q = line.find('"');
      if (q == std::string::npos) continue;
      const std::string path = line.substr(q + 1, line.find('"', q + 1) - q - 1);
      if (line.starts_with("include_recursive ")) {
        Collect(path, files);
      } else if (line.starts_with("include ")) {
        files.push_back(path);
      }
    }
    Collect(zones_dir, files);
    std::map<std::string, std::string> uniques;
    std::string errors;
    for (const std::string& file : files) {
      auto content = fs_.ReadFile(file, 1 << 20);
      if (!content) return ProcessResult{1, false, "critical/config: cannot open " + file};
      for (size_t at = 0; (at = content->find("unique ", at)) != std::string::npos; ++at) {
        const std::string name = content->substr(at + 7, content->find('\n', at) - at - 7);
        auto [it, fresh] = uniques.emplace(name, file);
        if (!fresh) {
          errors += "[2026-12-07 08:00:00 +0000] critical/config: Error: Object '" + name +
                    "' of type 'Host' re-defined: in " + file +
                    ": 2:1-2:31; previous definition: in " + it->second + ": 2:1-2:31\n";
        }
      }
      if (content->find("BROKEN") != std::string::npos) {
        errors +=
            "[2026-12-07 08:00:00 +0000] critical/config: Error: Attribute 'x' does not "
            "exist.\nLocation: in " +
            file + ": 3:3-3:9\n" + file + "(3):   BROKEN\n";
      }
      if (content->find("HIDDEN") != std::string::npos) {
        errors += "[2026-12-07 08:00:00 +0000] critical/config: Error: something is wrong\n";
      }
    }
    if (!errors.empty()) return ProcessResult{1, false, errors + "critical/config: 1 errors\n"};
    return ProcessResult{0, false, "information/cli: Finished validating the configuration\n"};
  }

  int verifications = 0;
  std::string last_conf;
  std::string zones_dir;
  std::string cache_dir;

 private:
  void Collect(const std::string& dir, std::vector<std::string>& files) {
    auto entries = fs_.ListDirectory(dir);
    if (!entries) return;
    for (const DirectoryEntry& e : *entries) {
      if (e.kind == DirectoryEntry::Kind::kDirectory) Collect(dir + "/" + e.name, files);
      if (e.kind == DirectoryEntry::Kind::kRegular && e.name.ends_with(".conf")) {
        files.push_back(dir + "/" + e.name);
      }
    }
  }

  FileSystem& fs_;
};

class Icinga2ActivatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etc_ = dir_.path() + "/etc";
    config_.icinga2_conf = etc_ + "/icinga2.conf";
    config_.icinga2_output_dir = etc_ + "/conf.d/automon";
    config_.icinga2_verify_command = "/fake/icinga2 {config} {zonesdir} {cachedir}";
    config_.icinga2_reload_command = "/fake/reload";
    ASSERT_TRUE(fs_.MakeDirectories(etc_ + "/conf.d/other", 0755).ok());
    ASSERT_TRUE(fs_.MakeDirectories(etc_ + "/zones.d", 0755).ok());
    Write(config_.icinga2_conf,
          "include \"constants.conf\"\ninclude <itl>\ninclude_recursive \"conf.d\"\n");
    Write(etc_ + "/constants.conf", "const X = 1\n");
    Write(etc_ + "/conf.d/hosts.conf", "unique localhost\n");
    Write(etc_ + "/conf.d/other/x.conf", "object Y\n");
    runner_.On("/fake/icinga2", [this](const auto& argv) { return icinga2_.Verify(argv); });
    runner_.On("/fake/reload", [this](const auto&) {
      ++reloads_;
      return Result<ProcessResult>(ProcessResult{0, false, ""});
    });
  }

  void Write(const std::string& path, const std::string& content) {
    ASSERT_TRUE(fs_.WriteFileAtomic(path, content, 0644).ok()) << path;
  }

  Result<ActivationOutcome> Activate(std::map<std::string, std::optional<std::string>> hosts,
                                     std::optional<std::string> common = "// header\nobject C\n") {
    Icinga2Activator activator(config_, fs_, disk_, runner_, dir_.path() + "/staging",
                               dir_.path() + "/reload-pending");
    ActivationRequest request;
    request.common = std::move(common);
    request.hosts = std::move(hosts);
    return activator.Activate(request, [](const auto&) { return Result<void>(); });
  }

  std::string Live(const std::string& host) {
    Icinga2Activator activator(config_, fs_, disk_, runner_, "", "");
    auto content = fs_.ReadFile(activator.HostFilePath(host), 1 << 20);
    return content.ok() ? *content : "";
  }

  testing::ScopedTempDir dir_;
  std::string etc_;
  Config config_;
  RealFileSystem fs_;
  RealDisk disk_;
  automon::testing::FakeProcessRunner runner_;
  FakeIcinga2 icinga2_{fs_};
  int reloads_ = 0;
};

TEST_F(Icinga2ActivatorTest, ActivatesVerifiedFilesAndReloads) {
  auto outcome = Activate({{"a.example.org", "unique a\n"}, {"b.example.org", "unique b\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example.org", "b.example.org"}));
  EXPECT_TRUE(outcome->quarantined.empty());
  EXPECT_TRUE(outcome->reloaded);
  EXPECT_EQ(reloads_, 1);
  EXPECT_EQ(icinga2_.verifications, 1);
  EXPECT_EQ(Live("a.example.org"), "unique a\n");
  // The staged configuration: the live files outside the automon tree by
  // absolute path, conf.d expanded around it, the staged files by include.
  const std::string& conf = icinga2_.last_conf;
  EXPECT_NE(conf.find("include \"" + etc_ + "/constants.conf\"\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("include <itl>\n"), std::string::npos);
  EXPECT_NE(conf.find("include \"" + etc_ + "/conf.d/hosts.conf\"\n"), std::string::npos);
  EXPECT_NE(conf.find("include_recursive \"" + etc_ + "/conf.d/other\"\n"), std::string::npos);
  EXPECT_NE(conf.find("include \"" + dir_.path() + "/staging/tree/automon.conf\"\n"),
            std::string::npos);
  EXPECT_EQ(conf.find("include_recursive \"" + etc_ + "/conf.d\""), std::string::npos);
  EXPECT_EQ(icinga2_.zones_dir, etc_ + "/zones.d");
  EXPECT_EQ(icinga2_.cache_dir, dir_.path() + "/staging/cache");

  // Unchanged apart from the header: nothing to do.
  auto again = Activate({{"a.example.org", "unique a\n"}}, "// other time\nobject C\n");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, (std::vector<std::string>{"a.example.org"}));
  EXPECT_EQ(icinga2_.verifications, 1);
  // A third host's change: untouched buckets are read whole from live.
  auto third = Activate({{"c.example.org", "unique c\n"}});
  ASSERT_TRUE(third.ok());
  EXPECT_NE(
      icinga2_.last_conf.find("include_recursive \"" + config_.icinga2_output_dir + "/hosts/"),
      std::string::npos);
}

TEST_F(Icinga2ActivatorTest, QuarantinesTheHostIcingaNamesWithoutBisecting) {
  ASSERT_TRUE(Activate({{"b.example.org", "unique b\n"}}).ok());
  const int before = icinga2_.verifications;
  auto outcome = Activate({{"a.example.org", "unique a\n  BROKEN\n"},
                           {"b.example.org", "unique b2\n"},
                           {"c.example.org", "unique localhost\n"},  // clashes with conf.d
                           {"d.example.org", "unique d\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"b.example.org", "d.example.org"}));
  ASSERT_EQ(outcome->quarantined.size(), 2u);
  // The reason names the live path the staged file stands for.
  // Each reason is what icinga2 said about that host's file, with the live
  // path the staged file stands for.
  EXPECT_EQ(outcome->quarantined["a.example.org"],
            "critical/config: Error: Attribute 'x' does not exist.; Location: in " +
                config_.icinga2_output_dir + "/hosts/84/a.example.org.conf: 3:3-3:9");
  EXPECT_EQ(outcome->quarantined["c.example.org"],
            "critical/config: Error: Object 'localhost' of type 'Host' re-defined: in " +
                config_.icinga2_output_dir +
                "/hosts/28/c.example.org.conf: 2:1-2:31; previous definition: in " + etc_ +
                "/conf.d/hosts.conf: 2:1-2:31");
  // One round names a and c, the next accepts the rest.
  EXPECT_EQ(icinga2_.verifications - before, 2);
  EXPECT_EQ(Live("a.example.org"), "");
  EXPECT_EQ(Live("d.example.org"), "unique d\n");
}

TEST_F(Icinga2ActivatorTest, BisectsWhenIcingaNamesNoHostFile) {
  auto outcome = Activate({{"a.example.org", "unique a\nHIDDEN\n"}, {"b.example.org", "ok\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"b.example.org"}));
  EXPECT_EQ(outcome->quarantined.count("a.example.org"), 1u);
  EXPECT_EQ(outcome->quarantined["a.example.org"], "critical/config: Error: something is wrong");
}

// What was verified goes live by rename, as for Nagios: the live file is the
// staged inode. After a search for a breaking host the staged tree holds the
// last subset checked; what goes live is still exactly the verified content.
TEST_F(Icinga2ActivatorTest, VerifiedFilesAreRenamedIntoPlace) {
  config_.icinga2_verify_command = "/fake/icinga2-inode {config} {zonesdir} {cachedir}";
  const std::string staged_a = dir_.path() + "/staging/tree/hosts/84/a.example.org.conf";
  std::vector<ino_t> staged_inodes;
  runner_.On("/fake/icinga2-inode", [&](const auto& argv) {
    struct stat st;
    staged_inodes.push_back(::stat(staged_a.c_str(), &st) == 0 ? st.st_ino : 0);
    return icinga2_.Verify(argv);
  });
  auto outcome = Activate({{"a.example.org", "unique a\n"}, {"b.example.org", "unique b\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_EQ(staged_inodes.size(), 1u);
  ASSERT_NE(staged_inodes[0], 0u);
  struct stat live;
  Icinga2Activator paths(config_, fs_, disk_, runner_, "", "");
  ASSERT_EQ(::stat(paths.HostFilePath("a.example.org").c_str(), &live), 0);
  EXPECT_EQ(live.st_ino, staged_inodes[0]) << "renamed, not written again";
  EXPECT_EQ(live.st_mode & 07777, 0644u);
  EXPECT_EQ(Live("a.example.org"), "unique a\n");
  EXPECT_FALSE(fs_.ReadFile(staged_a, 100).ok());

  auto searched = Activate({{"a.example.org", "unique a2\n"},
                            {"c.example.org", "unique c\nHIDDEN\n"},
                            {"d.example.org", "unique d\n"}});
  ASSERT_TRUE(searched.ok()) << searched.error().message;
  EXPECT_EQ(searched->activated, (std::vector<std::string>{"a.example.org", "d.example.org"}));
  EXPECT_EQ(Live("a.example.org"), "unique a2\n");
  EXPECT_EQ(Live("d.example.org"), "unique d\n");
  EXPECT_EQ(Live("c.example.org"), "");
}

TEST_F(Icinga2ActivatorTest, BrokenLiveConfigurationActivatesNothing) {
  Write(etc_ + "/conf.d/hosts.conf", "HIDDEN\n");
  auto outcome = Activate({{"a.example.org", "unique a\n"}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "the Icinga 2 configuration does not verify even without the hosts' changes, so "
            "nothing was activated: critical/config: Error: something is wrong");
  EXPECT_EQ(reloads_, 0);
  EXPECT_EQ(Live("a.example.org"), "");
}

TEST_F(Icinga2ActivatorTest, OutputDirIcingaNeverReadsIsAnError) {
  config_.icinga2_output_dir = etc_ + "/automon";
  auto outcome = Activate({{"a.example.org", "unique a\n"}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "output_dir " + etc_ + "/automon is neither inside an include_recursive directory of " +
                config_.icinga2_conf + " nor inside " + etc_ +
                "/zones.d: Icinga 2 would never read the generated files");
}

TEST_F(Icinga2ActivatorTest, ZoneTreeIsVerifiedFromACopyOfZonesD) {
  config_.icinga2_zone = "sat";
  config_.icinga2_output_dir = etc_ + "/zones.d/sat/automon";
  ASSERT_TRUE(fs_.MakeDirectories(etc_ + "/zones.d/sat/automon", 0755).ok());
  Write(etc_ + "/zones.d/sat/admin.conf", "unique admin\n");
  // The live automon tree is read from output_dir, never from the copy.
  Write(etc_ + "/zones.d/sat/automon/stale.conf", "unique stale\n");
  auto outcome = Activate({{"a.example.org", "unique a\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example.org"}));
  EXPECT_EQ(icinga2_.zones_dir, dir_.path() + "/staging/zones.d");
  EXPECT_TRUE(fs_.ReadFile(dir_.path() + "/staging/zones.d/sat/admin.conf", 100).ok());
  EXPECT_FALSE(fs_.ReadFile(dir_.path() + "/staging/zones.d/sat/automon/stale.conf", 100).ok());
  EXPECT_NE(icinga2_.last_conf.find("include \"" + etc_ + "/zones.d/sat/automon/stale.conf\"\n"),
            std::string::npos);
  EXPECT_NE(icinga2_.last_conf.find("include_recursive \"" + etc_ + "/conf.d\"\n"),
            std::string::npos);
  EXPECT_EQ(Live("a.example.org"), "unique a\n");
}

TEST_F(Icinga2ActivatorTest, RemovesUnlistedHostsAndListsLiveOnes) {
  ASSERT_TRUE(Activate({{"a.example.org", "unique a\n"}, {"b.example.org", "unique b\n"}}).ok());
  Icinga2Activator activator(config_, fs_, disk_, runner_, dir_.path() + "/staging",
                             dir_.path() + "/reload-pending");
  EXPECT_EQ(*activator.LiveHosts(), (std::vector<std::string>{"a.example.org", "b.example.org"}));
  ActivationRequest request;
  request.hosts = {{"a.example.org", "unique a\n"}};
  request.remove_unlisted_hosts = true;
  auto outcome = activator.Activate(request, [](const auto&) { return Result<void>(); });
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*activator.LiveHosts(), (std::vector<std::string>{"a.example.org"}));
}

TEST(Icinga2BlamedFilesTest, FindsEveryPathIcingaNames) {
  const std::string output =
      "[2026-12-07 08:00:00 +0000] critical/config: Error: Validation failed for object "
      "'nosuchhost!x' of type 'Service'; Attribute 'host_name': Object 'nosuchhost' of type "
      "'Host' does not exist.\n"
      "Location: in /tmp/s/tree/hosts/ab/bad.example.org.conf: 2:3-2:26\n"
      "/tmp/s/tree/hosts/ab/bad.example.org.conf(2):   host_name = \"x\"\n"
      "critical/config: Error: Object 'w' of type 'Host' re-defined: in /etc/icinga2/conf.d/a "
      "b.conf: 2:1-2:31; previous definition: in /tmp/s/tree/hosts/ab/bad.example.org.conf: "
      "6:1-6:31\n"
      "critical/config: Error: syntax error, unexpected end of file, expecting '}' in nothing\n";
  EXPECT_EQ(Icinga2BlamedFiles(output),
            (std::vector<std::string>{"/tmp/s/tree/hosts/ab/bad.example.org.conf",
                                      "/etc/icinga2/conf.d/a b.conf"}));
  EXPECT_TRUE(
      Icinga2BlamedFiles("critical/config: Error: Attribute 'foo' does not exist.").empty());
}

}  // namespace
}  // namespace automon::registrar
