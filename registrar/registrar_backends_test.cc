// SPDX-License-Identifier: GPL-2.0-or-later
// The registrar with a list of backends (backend = nagios, prometheus):
// each host rendered and activated for every backend, quarantined per
// backend.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "backends/icinga2.h"
#include "backends/nagios.h"
#include "common/testing/fake_process_runner.h"
#include "common/testing/temp_dir.h"
#include "registrar/registrar.h"
#include "registrar/testing/registrar_fixture.h"

namespace automon::registrar {
namespace {

using testing::Document;

class RegistrarBackendsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::UseNagiosLayout(fs_, disk_, dir_.path(), config_).ok());
    config_.verify_command = "nagios-verify {config}";
    config_.prometheus_sd_dir = dir_.path() + "/prometheus/automon";
    config_.prometheus_verify_command = "promtool check config {config}";
    config_.backend = backends::BackendKind::kNagios;
    config_.backends = {backends::BackendKind::kNagios, backends::BackendKind::kPrometheus};
    // Each engine's stand-in refuses what names a port in `refuse_*`.
    runner_.On("nagios-verify", [this](const std::vector<std::string>& argv) {
      return Refuse(argv.at(1), refuse_nagios_, "cfg_file=", "Error: port refused\n");
    });
    runner_.On("promtool", [this](const std::vector<std::string>& argv) {
      if (promtool_broken_) {
        return Result<ProcessResult>(ProcessResult{1, false, "FAILED: promtool is broken\n"});
      }
      auto cfg = fs_.ReadFile(argv.at(3), 1 << 20);
      const size_t at = cfg->find("files: ['");
      const std::string glob = cfg->substr(at + 9, cfg->find('\'', at + 9) - at - 9);
      const std::string dir = glob.substr(0, glob.rfind('/'));
      auto entries = fs_.ListDirectory(dir);
      if (!entries) return Result<ProcessResult>(ProcessResult{0, false, "SUCCESS\n"});
      for (const DirectoryEntry& e : *entries) {
        auto file = fs_.ReadFile(dir + "/" + e.name, 1 << 20);
        if (!refuse_prometheus_.empty() && file.ok() &&
            file->find(refuse_prometheus_) != std::string::npos) {
          return Result<ProcessResult>(
              ProcessResult{1, false, "FAILED: checking SD file \"" + glob + "\": refused\n"});
        }
      }
      return Result<ProcessResult>(ProcessResult{0, false, "SUCCESS\n"});
    });
  }

  Result<ProcessResult> Refuse(const std::string& cfg_path, const std::string& needle,
                               const std::string& key, const std::string& error) {
    auto cfg = fs_.ReadFile(cfg_path, 1 << 20);
    for (size_t at = 0; (at = cfg->find(key, at)) != std::string::npos;) {
      const size_t end = cfg->find('\n', at);
      auto file = fs_.ReadFile(cfg->substr(at + key.size(), end - at - key.size()), 1 << 20);
      if (!needle.empty() && file && file->find(needle) != std::string::npos) {
        return ProcessResult{1, false, error};
      }
      at = end;
    }
    return ProcessResult{0, false, "Things look okay\n"};
  }

  int Run(const std::function<int(Registrar&)>& call, const std::string& input = "") {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    const Environment env{fs_,
                          disk_,
                          runner_,
                          [] { return std::string("2026-12-07T12:00:00Z"); },
                          in,
                          out_,
                          err_,
                          [this] { return now_; },
                          [this](const std::string& line) { audit_.push_back(line); }};
    Registrar registrar(config_, env);
    return call(registrar);
  }
  int Receive(const std::string& document) {
    return Run([&](Registrar& r) { return r.Receive("web01.example.org"); }, document);
  }
  std::string Nagios() {
    auto content = fs_.ReadFile(
        config_.output_dir + "/" + backends::HostFileName("web01.example.org"), 1 << 20);
    return content ? *content : "(missing)";
  }
  std::string Prometheus(const std::string& host = "web01.example.org") {
    auto content = fs_.ReadFile(config_.prometheus_sd_dir + "/" + host + ".json", 1 << 20);
    return content ? *content : "(missing)";
  }
  std::string NagiosOf(const std::string& host) {
    auto content = fs_.ReadFile(config_.output_dir + "/" + backends::HostFileName(host), 1 << 20);
    return content ? *content : "(missing)";
  }
  std::string Icinga2Of(const std::string& host) {
    auto content = fs_.ReadFile(
        config_.icinga2_output_dir + "/" + backends::Icinga2Renderer({}).HostFileName(host),
        1 << 20);
    return content ? *content : "(missing)";
  }
  // backend = nagios, icinga2: Icinga 2's stand-in takes everything.
  void UseIcinga2() {
    const std::string& t = dir_.path();
    config_.icinga2_conf = t + "/icinga2/icinga2.conf";
    config_.icinga2_output_dir = t + "/icinga2/conf.d/automon";
    config_.icinga2_verify_command = "icinga2-verify {config} {zonesdir} {cachedir}";
    config_.icinga2_reload_command = "icinga2-reload";
    config_.backends = {backends::BackendKind::kNagios, backends::BackendKind::kIcinga2};
    ASSERT_TRUE(fs_.MakeDirectories(t + "/icinga2/conf.d", 0755).ok());
    ASSERT_TRUE(
        fs_.WriteFileAtomic(config_.icinga2_conf, "include_recursive \"conf.d\"\n", 0644).ok());
    runner_.On("icinga2-verify", [](const std::vector<std::string>&) {
      return Result<ProcessResult>(ProcessResult{0, false, "Finished validating\n"});
    });
    runner_.On("icinga2-reload", [](const std::vector<std::string>&) {
      return Result<ProcessResult>(ProcessResult{0, false, ""});
    });
  }
  // One lifecycle tick of `serve` at `at`.
  void Tick(int64_t at, int64_t started) {
    now_ = at;
    ASSERT_EQ(Run([&](Registrar& r) {
                auto p = r.RunLifecycle(started);
                EXPECT_TRUE(p.ok()) << p.error().message;
                return kOk;
              }),
              kOk);
  }

  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  automon::testing::FakeProcessRunner runner_;
  Config config_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::string refuse_nagios_;
  std::string refuse_prometheus_;
  bool promtool_broken_ = false;
  int64_t now_ = 1'800'000'000;  // the fake clock
  std::vector<std::string> audit_;
};

TEST_F(RegistrarBackendsTest, EveryBackendGetsTheHost) {
  EXPECT_EQ(Receive(Document(1,
                             "[db]\ntype = tcp\nport = 5432\n[echo]\ntype = udp\nport = 7\n"
                             "send = a\nexpect = b\n")),
            kOk)
      << out_.str();
  EXPECT_EQ(out_.str(),
            "db: active\necho: active (not checked by Prometheus: Prometheus has no probe for "
            "udp services; the service is not in its file)\n");
  EXPECT_NE(Nagios().find("automon_udp"), std::string::npos);
  EXPECT_NE(Prometheus().find("\"192.0.2.10:5432\""), std::string::npos) << Prometheus();
  EXPECT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(out_.str(), fmt::format("{:<40} generation {:<8} services {:<4} active\n",
                                    "web01.example.org", 1, 2));
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("web01.example.org"); }), kOk);
  EXPECT_NE(out_.str().find("state for Nagios active\nstate for Prometheus active\n"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("config " + config_.prometheus_sd_dir + "/web01.example.org.json\n"),
            std::string::npos);
}

TEST_F(RegistrarBackendsTest, AHostOneBackendRefusesStaysLiveInTheOther) {
  ASSERT_EQ(Receive(Document(1, "[db]\ntype = tcp\nport = 5432\n")), kOk) << out_.str();
  refuse_prometheus_ = "5433";
  EXPECT_EQ(Receive(Document(2, "[db]\ntype = tcp\nport = 5433\n")), kPartial) << out_.str();
  EXPECT_NE(out_.str().find("quarantined for some backends (their last accepted configuration "
                            "stays active): Prometheus: FAILED: checking SD file \"" +
                            config_.prometheus_sd_dir + "/*.json\": refused"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("db: active\n"), std::string::npos);
  EXPECT_NE(Nagios().find("!5433"), std::string::npos) << Nagios();
  EXPECT_NE(Prometheus().find(":5432\""), std::string::npos) << Prometheus();  // last good
  EXPECT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_NE(out_.str().find("active (nagios active, prometheus quarantined)\n"), std::string::npos)
      << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Hosts(OutputFormat::kJson); }), kOk);
  const auto doc = nlohmann::json::parse(out_.str());
  EXPECT_EQ(doc["hosts"][0]["backends"],
            nlohmann::json::parse(R"({"nagios": "active", "prometheus": "quarantined"})"));

  // The other way round: Nagios refuses, Prometheus takes it.
  refuse_prometheus_.clear();
  refuse_nagios_ = "5434";
  EXPECT_EQ(Receive(Document(3, "[db]\ntype = tcp\nport = 5434\n")), kPartial) << out_.str();
  EXPECT_NE(out_.str().find("Nagios: Error: port refused"), std::string::npos) << out_.str();
  EXPECT_NE(Nagios().find("!5433"), std::string::npos);
  EXPECT_NE(Prometheus().find(":5434\""), std::string::npos);
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("web01.example.org"); }), kOk);
  EXPECT_NE(out_.str().find("generation 3\n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("state for Nagios quarantined: Error: port refused\n"
                            "state for Prometheus active\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("web01.example.org", OutputFormat::kJson); }),
            kOk);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["host"]["backends"],
            nlohmann::json::parse(R"({"nagios": "quarantined", "prometheus": "active"})"));

  // Both refuse: the host is quarantined, nothing changes.
  refuse_prometheus_ = "5435";
  refuse_nagios_ = "5435";
  EXPECT_EQ(Receive(Document(4, "[db]\ntype = tcp\nport = 5435\n")), kRefused) << out_.str();
  EXPECT_NE(out_.str().find("refused: quarantined: every backend refuses this host's "
                            "configuration"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(Prometheus().find(":5434\""), std::string::npos);

  // Both accept again: both quarantines clear; `render` keeps them so.
  refuse_prometheus_.clear();
  refuse_nagios_.clear();
  EXPECT_EQ(Receive(Document(5, "[db]\ntype = tcp\nport = 5436\n")), kOk) << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << out_.str() << err_.str();
  EXPECT_NE(out_.str().find("Prometheus: 1 hosts active (0 changed, 1 unchanged)\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(out_.str().find("quarantined"), std::string::npos) << out_.str();
}

TEST_F(RegistrarBackendsTest, ABackendThatCannotVerifyLeavesTheOtherActive) {
  promtool_broken_ = true;
  EXPECT_EQ(Receive(Document(1, "[db]\ntype = tcp\nport = 5432\n")), kPartial) << out_.str();
  EXPECT_NE(out_.str().find("Prometheus: not activated: the Prometheus configuration does not "
                            "verify even without the hosts' changes"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(Nagios().find("!5432"), std::string::npos);
  EXPECT_EQ(Prometheus(), "(missing)");
  // `render` says so too, and activates Prometheus once it verifies.
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kPartial);
  EXPECT_NE(err_.str().find("automon-registrar: Prometheus: the Prometheus configuration does "
                            "not verify"),
            std::string::npos)
      << err_.str();
  promtool_broken_ = false;
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << out_.str() << err_.str();
  EXPECT_NE(Prometheus().find(":5432\""), std::string::npos);
  // remove takes the host out of every backend.
  EXPECT_EQ(Run([](Registrar& r) { return r.Remove("web01.example.org"); }), kOk) << err_.str();
  EXPECT_EQ(Nagios(), "(missing)");
  EXPECT_EQ(Prometheus(), "(missing)");
}

// Issue #17: the lifecycle's disable reaches every backend in the same
// activation, not only the first until the next `render`; a contact
// enables the host again everywhere.
TEST_F(RegistrarBackendsTest, ADisableReachesEveryBackendAtOnce) {
  config_.self_check_host = "none";
  config_.lifecycle.silent_after = 3600;
  config_.lifecycle.disable_after = 2 * 86400;
  const int64_t start = now_;
  ASSERT_EQ(Receive(Document(1, "[db]\ntype = tcp\nport = 5432\n")), kOk) << out_.str();
  const std::string nagios = Nagios();
  const std::string prometheus = Prometheus();
  EXPECT_EQ(nagios.find("notifications_enabled"), std::string::npos) << nagios;
  EXPECT_EQ(prometheus.find("automon_state"), std::string::npos) << prometheus;
  Tick(start + 3600, start);  // silent: nothing rendered
  EXPECT_EQ(Nagios(), nagios);
  EXPECT_EQ(Prometheus(), prometheus);

  Tick(start + 2 * 86400, start);
  EXPECT_NE(Nagios().find("active_checks_enabled   0"), std::string::npos) << Nagios();
  EXPECT_NE(Nagios().find("notifications_enabled   0"), std::string::npos) << Nagios();
  const auto groups = nlohmann::json::parse(Prometheus());
  ASSERT_EQ(groups.size(), 1u) << Prometheus();
  EXPECT_EQ(groups[0]["labels"]["automon_state"], "disabled") << Prometheus();
  EXPECT_EQ(groups[0]["labels"]["__param_target"], "192.0.2.10:5432");  // kept
  EXPECT_EQ(audit_.back(),
            "audit: event=state host=web01.example.org key=- generation=1 reason=\"silent -> "
            "disabled: disable_after 2d (last push 2d ago)\"");
  // `render` keeps both so.
  const std::string disabled_nagios = Nagios();
  const std::string disabled_prometheus = Prometheus();
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << err_.str();
  EXPECT_EQ(backends::WithoutHeader(Nagios()), backends::WithoutHeader(disabled_nagios));
  EXPECT_EQ(Prometheus(), disabled_prometheus);

  // A backend that refuses the disabled file keeps its last one, and the
  // trail says so; the others are disabled.
  ASSERT_EQ(Receive(Document(1, "[db]\ntype = tcp\nport = 5432\n")), kOk) << out_.str();
  EXPECT_EQ(Prometheus(), prometheus);
  EXPECT_EQ(Nagios().find("notifications_enabled"), std::string::npos);
  Tick(now_ + 3600, start);
  refuse_prometheus_ = "automon_state";
  Tick(now_ + 2 * 86400 - 3600, start);
  EXPECT_NE(Nagios().find("notifications_enabled   0"), std::string::npos) << Nagios();
  EXPECT_EQ(Prometheus(), prometheus);
  EXPECT_NE(audit_.back().find("reason=\"silent -> disabled: disable_after 2d (last push 2d "
                               "ago); not disabled in Prometheus: FAILED: checking SD file"),
            std::string::npos)
      << audit_.back();
  refuse_prometheus_.clear();

  // A contact (the daemon's heartbeat) enables it again in both.
  ASSERT_EQ(Run([&](Registrar& r) {
              auto c = r.RecordContact("web01.example.org");
              EXPECT_TRUE(c.ok()) << c.error().message;
              return kOk;
            }),
            kOk);
  EXPECT_EQ(backends::WithoutHeader(Nagios()), backends::WithoutHeader(nagios));
  EXPECT_EQ(Prometheus(), prometheus);
}

// Issue #17: the registrar's self-check is in every backend that runs
// plugins; Prometheus runs none, so it has no self-check host, and the
// server's own registered host has no self-check target there.
TEST_F(RegistrarBackendsTest, TheSelfCheckIsInEveryPluginBackend) {
  config_.self_check_host = "monitor.example.org";
  UseIcinga2();
  ASSERT_EQ(Receive(Document(1, "[db]\ntype = tcp\nport = 5432\n")), kOk) << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << out_.str() << err_.str();
  EXPECT_NE(out_.str().find("Icinga 2: 2 hosts active"), std::string::npos) << out_.str();
  EXPECT_NE(NagiosOf("monitor.example.org").find("service_description     automon registrar"),
            std::string::npos)
      << NagiosOf("monitor.example.org");
  const std::string icinga2 = Icinga2Of("monitor.example.org");
  EXPECT_NE(icinga2.find("  display_name = \"automon registrar\"\n"
                         "  check_command = \"automon_registrar_self_check\"\n"),
            std::string::npos)
      << icinga2;
  EXPECT_EQ(Icinga2Of("web01.example.org").find("automon registrar"), std::string::npos);
  // A second render changes nothing.
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk);
  EXPECT_NE(out_.str().find("Icinga 2: 2 hosts active (0 changed, 2 unchanged)"), std::string::npos)
      << out_.str();
  // The server registers itself: the service joins its own host in both.
  ASSERT_EQ(Run([](Registrar& r) { return r.Receive("monitor.example.org"); },
                Document(1, "[ssh]\ntype = ssh\n", {}, "monitor.example.org")),
            kOk)
      << out_.str();
  EXPECT_NE(Icinga2Of("monitor.example.org").find("automon registrar"), std::string::npos);
  EXPECT_NE(NagiosOf("monitor.example.org").find("automon registrar"), std::string::npos);
  EXPECT_NE(Icinga2Of("monitor.example.org").find("ssh"), std::string::npos);
}

TEST_F(RegistrarBackendsTest, PrometheusHasNoSelfCheck) {
  config_.self_check_host = "monitor.example.org";
  ASSERT_EQ(Receive(Document(1, "[db]\ntype = tcp\nport = 5432\n")), kOk) << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << out_.str() << err_.str();
  EXPECT_NE(NagiosOf("monitor.example.org").find("automon registrar"), std::string::npos);
  EXPECT_EQ(Prometheus("monitor.example.org"), "(missing)");
  EXPECT_NE(out_.str().find("Prometheus: 1 hosts active"), std::string::npos) << out_.str();
  // Registered, the server's own host has its services' targets only.
  ASSERT_EQ(Run([](Registrar& r) { return r.Receive("monitor.example.org"); },
                Document(1, "[db]\ntype = tcp\nport = 5432\n", {}, "monitor.example.org")),
            kOk)
      << out_.str();
  EXPECT_EQ(out_.str(), "db: active\n");
  const auto groups = nlohmann::json::parse(Prometheus("monitor.example.org"));
  ASSERT_EQ(groups.size(), 1u) << Prometheus("monitor.example.org");
  EXPECT_EQ(groups[0]["labels"]["automon_service"], "db");
  EXPECT_NE(NagiosOf("monitor.example.org").find("automon registrar"), std::string::npos);
}

TEST(ConfigBackendListTest, ParsesAListAndRefusesRepeatsAndUnknownNames) {
  auto config = ParseConfig("[registrar]\nbackend = nagios, prometheus\n", "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->backend, backends::BackendKind::kNagios);
  EXPECT_EQ(ConfiguredBackends(*config),
            (std::vector<backends::BackendKind>{backends::BackendKind::kNagios,
                                                backends::BackendKind::kPrometheus}));
  auto single = ParseConfig("[registrar]\nbackend = prometheus\n", "r.conf");
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->backends.empty());
  EXPECT_EQ(ConfiguredBackends(*single),
            std::vector<backends::BackendKind>{backends::BackendKind::kPrometheus});
  auto twice = ParseConfig("[registrar]\nbackend = nagios nagios\n", "r.conf");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("backend 'nagios' is listed twice in 'backend'"),
            std::string::npos);
  auto unknown = ParseConfig("[registrar]\nbackend = nagios, zabbix\n", "r.conf");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find(
                "invalid value 'zabbix' for 'backend': expected 'nagios', 'checkmk', 'icinga2' "
                "or 'prometheus' (one or more, separated by commas)"),
            std::string::npos)
      << unknown.error().message;
  EXPECT_FALSE(ParseConfig("[registrar]\nbackend = ,\n", "r.conf").ok());
}

}  // namespace
}  // namespace automon::registrar
