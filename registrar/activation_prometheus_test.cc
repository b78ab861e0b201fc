// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation_prometheus.h"

#include <gtest/gtest.h>

#include "common/testing/fake_process_runner.h"
#include "common/testing/temp_dir.h"

namespace automon::registrar {
namespace {

// A stand-in for `promtool check config`: reads the staged prometheus.yml,
// the glob of its file_sd_configs, and fails as promtool 2.42 does (naming
// the glob, not the file) when a matching file holds "BROKEN".
class FakePromtool {
 public:
  explicit FakePromtool(FileSystem& fs) : fs_(fs) {}

  Result<ProcessResult> Check(const std::vector<std::string>& argv) {
    ++checks;
    auto conf = fs_.ReadFile(argv.at(3), 1 << 20);
    if (!conf) return ProcessResult{1, false, "FAILED: cannot read " + argv.at(3)};
    const size_t at = conf->find("files: ['");
    if (at == std::string::npos) return ProcessResult{1, false, "FAILED: no file_sd_configs"};
    const std::string glob = conf->substr(at + 9, conf->find("'", at + 9) - at - 9);
    const std::string dir = glob.substr(0, glob.rfind('/'));
    checked.clear();
    auto entries = fs_.ListDirectory(dir);
    if (!entries) return ProcessResult{0, false, "SUCCESS"};
    for (const DirectoryEntry& e : *entries) {
      if (!e.name.ends_with(".json")) continue;
      checked.push_back(e.name);
      auto content = fs_.ReadFile(dir + "/" + e.name, 1 << 20);
      if (content.ok() && content->find("BROKEN") != std::string::npos) {
        return ProcessResult{1, false,
                             "Checking " + argv.at(3) + "\n  FAILED: checking SD file \"" + glob +
                                 "\": \"BROKEN\" is not a valid label name\n"};
      }
    }
    return ProcessResult{0, false, "SUCCESS: prometheus.yml is valid\n"};
  }

  int checks = 0;
  std::vector<std::string> checked;

 private:
  FileSystem& fs_;
};

class PrometheusActivatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.state_dir = dir_.path() + "/state";
    config_.prometheus_sd_dir = dir_.path() + "/etc/prometheus/automon";
    config_.prometheus_verify_command = "/fake/promtool check config {config}";
    runner_.On("/fake/promtool", [this](const auto& argv) { return promtool_.Check(argv); });
  }

  Result<ActivationOutcome> Activate(std::map<std::string, std::optional<std::string>> hosts,
                                     bool remove_unlisted = false) {
    PrometheusActivator activator(config_, fs_, disk_, runner_, dir_.path() + "/staging",
                                  dir_.path() + "/pending");
    ActivationRequest request;
    request.hosts = std::move(hosts);
    request.remove_unlisted_hosts = remove_unlisted;
    return activator.Activate(request, [this](const std::vector<std::string>& good) {
      swapped_ = good;
      return Result<void>();
    });
  }

  std::optional<std::string> Live(const std::string& host) {
    auto content = fs_.ReadFile(config_.prometheus_sd_dir + "/" + host + ".json", 1 << 20);
    if (!content) return std::nullopt;
    return *content;
  }

  testing::ScopedTempDir dir_;
  Config config_;
  RealFileSystem fs_;
  RealDisk disk_;
  automon::testing::FakeProcessRunner runner_;
  FakePromtool promtool_{fs_};
  std::vector<std::string> swapped_;
};

TEST_F(PrometheusActivatorTest, WritesVerifiedFilesIntoSdDir) {
  auto outcome = Activate({{"a.example.org", "[]\n"}, {"b.example.org", "[{}]\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"a.example.org", "b.example.org"}));
  EXPECT_TRUE(outcome->reloaded);
  EXPECT_EQ(promtool_.checks, 1);
  EXPECT_EQ(promtool_.checked,
            (std::vector<std::string>{"a.example.org.json", "b.example.org.json"}));
  EXPECT_EQ(Live("b.example.org"), "[{}]\n");
  PrometheusActivator activator(config_, fs_, disk_, runner_, "", "");
  EXPECT_EQ(*activator.LiveHosts(), (std::vector<std::string>{"a.example.org", "b.example.org"}));
  // Unchanged: no check, nothing written.
  auto again = Activate({{"a.example.org", "[]\n"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, (std::vector<std::string>{"a.example.org"}));
  EXPECT_EQ(promtool_.checks, 1);
}

TEST_F(PrometheusActivatorTest, BrokenHostIsQuarantinedAndKeepsItsLastGoodFile) {
  ASSERT_TRUE(Activate({{"a.example.org", "[1]\n"}}).ok());
  auto outcome = Activate({{"a.example.org", "BROKEN\n"}, {"b.example.org", "[2]\n"}});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->activated, (std::vector<std::string>{"b.example.org"}));
  ASSERT_EQ(outcome->quarantined.count("a.example.org"), 1u);
  // promtool names the glob; the reason names the live directory.
  EXPECT_NE(outcome->quarantined["a.example.org"].find(config_.prometheus_sd_dir + "/*.json"),
            std::string::npos)
      << outcome->quarantined["a.example.org"];
  EXPECT_EQ(swapped_, (std::vector<std::string>{"b.example.org"}));
  EXPECT_EQ(Live("a.example.org"), "[1]\n");
  EXPECT_EQ(Live("b.example.org"), "[2]\n");
}

TEST_F(PrometheusActivatorTest, RemovesHostsAndUnlistedFiles) {
  ASSERT_TRUE(Activate({{"a.example.org", "[1]\n"}, {"b.example.org", "[2]\n"}}).ok());
  auto removed = Activate({{"a.example.org", std::nullopt}});
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(Live("a.example.org"));
  // `render`: b is not listed any more, c is new.
  auto render = Activate({{"c.example.org", "[3]\n"}}, /*remove_unlisted=*/true);
  ASSERT_TRUE(render.ok());
  EXPECT_FALSE(Live("b.example.org"));
  EXPECT_EQ(Live("c.example.org"), "[3]\n");
  // Files that are not host files stay.
  ASSERT_TRUE(fs_.WriteFileAtomic(config_.prometheus_sd_dir + "/README", "x", 0644).ok());
  ASSERT_TRUE(Activate({{"c.example.org", "[3]\n"}}, true).ok());
  EXPECT_TRUE(fs_.ReadFile(config_.prometheus_sd_dir + "/README", 10).ok());
}

TEST_F(PrometheusActivatorTest, WritesTheExportersTargetsFromTheLiveFiles) {
  config_.prometheus_exporter_targets = dir_.path() + "/targets.conf";
  config_.prometheus_exporter_reload_command = "/fake/restart exporter";
  int restarts = 0;
  runner_.On("/fake/restart", [&](const auto&) {
    ++restarts;
    return Result<ProcessResult>(ProcessResult{0, false, ""});
  });
  const std::string guac = R"([{"targets": ["127.0.0.1:9623"], "labels": {
      "__param_target": "a.example.org_guac",
      "__automon_guacamole_endpoint": "http://192.0.2.1:8080/guacamole",
      "__automon_guacamole_username": "guacadmin",
      "__automon_guacamole_data_source": "mysql",
      "__automon_guacamole_password_file": "/s/a.example.org/guac.1.password",
      "__automon_guacamole_insecure": "true", "automon_host": "a.example.org"}},
    {"targets": ["127.0.0.1:9115"], "labels": {"__param_target": "192.0.2.1:22"}}])";
  // A value with a newline (never rendered) is left out, not written.
  const std::string bad = R"([{"targets": ["x"], "labels": {"__param_target": "b.example.org_g",
      "__automon_guacamole_endpoint": "http://x
[evil]"}}])";
  ASSERT_TRUE(Activate({{"a.example.org", guac}, {"b.example.org", bad}}).ok());
  auto targets = fs_.ReadFile(config_.prometheus_exporter_targets, 1 << 20);
  ASSERT_TRUE(targets.ok());
  EXPECT_NE(targets->find("\n[a.example.org_guac]\n"
                          "endpoint = http://192.0.2.1:8080/guacamole\n"
                          "username = guacadmin\n"
                          "password_file = /s/a.example.org/guac.1.password\n"
                          "data_source = mysql\n"
                          "insecure = yes\n"),
            std::string::npos)
      << *targets;
  EXPECT_EQ(targets->find("evil"), std::string::npos) << *targets;
  EXPECT_EQ(restarts, 1);
  // Removing the host removes its target; unchanged file: no restart.
  ASSERT_TRUE(Activate({{"a.example.org", std::nullopt}}).ok());
  EXPECT_EQ(fs_.ReadFile(config_.prometheus_exporter_targets, 1 << 20)->find("[a.example"),
            std::string::npos);
  EXPECT_EQ(restarts, 2);
  ASSERT_TRUE(Activate({{"c.example.org", "[]\n"}}).ok());
  EXPECT_EQ(restarts, 2);
}

TEST_F(PrometheusActivatorTest, VerifierThatCannotRunIsAnError) {
  config_.prometheus_verify_command = "/nonexistent/promtool check config {config}";
  runner_.On("/nonexistent/promtool", [](const auto&) -> Result<ProcessResult> {
    return Error{"execve /nonexistent/promtool: No such file or directory"};
  });
  auto outcome = Activate({{"a.example.org", "[]\n"}});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("cannot run the verify command"), std::string::npos)
      << outcome.error().message;
  EXPECT_FALSE(Live("a.example.org"));
}

}  // namespace
}  // namespace automon::registrar
