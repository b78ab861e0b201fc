// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/config.h"

#include <gtest/gtest.h>

#include "common/testing/fake_file_system.h"

namespace automon::registrar {
namespace {

TEST(ConfigTest, EmptyFileGivesDebianDefaults) {
  auto config = ParseConfig("", "/etc/automon/registrar.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(*config, Config{});
  EXPECT_EQ(config->state_dir, "/var/lib/automon");
  EXPECT_EQ(config->output_dir, "/etc/nagios4/conf.d/automon");
  EXPECT_EQ(config->nagios_cfg, "/etc/nagios4/nagios.cfg");
  EXPECT_EQ(config->verify_command, "/usr/sbin/nagios4 -v {config}");
  EXPECT_EQ(config->backend, backends::BackendKind::kNagios);
  EXPECT_EQ(config->quiet_period_ms, 2000);
}

TEST(ConfigTest, ReadsEveryKey) {
  auto config = ParseConfig(
      "# comment\n"
      "[registrar]\n"
      "state_dir = /tmp/t/state\n"
      "backend = checkmk\n"
      "quiet_period = 250\n"
      "[nagios]\n"
      "output_dir = /tmp/t/conf.d/automon\n"
      "nagios_cfg = /tmp/t/nagios.cfg\n"
      "templates_file = /tmp/t/templates.cfg\n"
      "verify_command = /usr/sbin/nagios4 -v {config}\n"
      "reload_command = /bin/sh -c 'kill -HUP $(cat /tmp/t/nagios.pid)'\n"
      "secrets_group = nogroup\n"
      "command_timeout = 30\n"
      "[checkmk]\n"
      "site = prod_1\n"
      "conf_dir = /tmp/t/check_mk/conf.d/automon\n"
      "plugins_dir = /tmp/t/plugins\n"
      "probes_dir = /tmp/t/probes\n"
      "python = /usr/bin/python3.11\n"
      "verify_command = /usr/local/bin/check-site {site} {dir}\n"
      "activate_command = /usr/sbin/runuser -u {site} -- cmk -O\n",
      "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->state_dir, "/tmp/t/state");
  EXPECT_EQ(config->backend, backends::BackendKind::kCheckmk);
  EXPECT_EQ(config->quiet_period_ms, 250);
  EXPECT_EQ(config->output_dir, "/tmp/t/conf.d/automon");
  EXPECT_EQ(config->nagios_cfg, "/tmp/t/nagios.cfg");
  EXPECT_EQ(config->templates_file, "/tmp/t/templates.cfg");
  EXPECT_EQ(config->reload_command, "/bin/sh -c 'kill -HUP $(cat /tmp/t/nagios.pid)'");
  EXPECT_EQ(config->secrets_group, "nogroup");
  EXPECT_EQ(config->command_timeout_seconds, 30);
  EXPECT_EQ(config->checkmk_site, "prod_1");
  EXPECT_EQ(config->checkmk_conf_dir, "/tmp/t/check_mk/conf.d/automon");
  EXPECT_EQ(config->checkmk_plugins_dir, "/tmp/t/plugins");
  EXPECT_EQ(config->probes_dir, "/tmp/t/probes");
  EXPECT_EQ(config->checkmk_python, "/usr/bin/python3.11");
  EXPECT_EQ(config->checkmk_verify_command, "/usr/local/bin/check-site {site} {dir}");
  EXPECT_EQ(config->checkmk_activate_command, "/usr/sbin/runuser -u {site} -- cmk -O");
}

TEST(ConfigTest, CheckmkDefaultsFollowTheSite) {
  auto config = ParseConfig("[registrar]\nbackend = checkmk\n[checkmk]\nsite = mon\n", "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->checkmk_conf_dir, "/omd/sites/mon/etc/check_mk/conf.d/automon");
  EXPECT_EQ(config->checkmk_plugins_dir, "/omd/sites/mon/lib/nagios/plugins");
  EXPECT_EQ(config->probes_dir, "/usr/lib/nagios/plugins");
  EXPECT_EQ(config->checkmk_verify_command, "");
  EXPECT_EQ(WithSite(config->checkmk_activate_command, config->checkmk_site),
            "/usr/sbin/runuser -u mon -- /usr/bin/env HOME=/omd/sites/mon OMD_SITE=mon "
            "OMD_ROOT=/omd/sites/mon PATH=/omd/sites/mon/bin:/usr/bin:/bin "
            "/omd/sites/mon/bin/cmk -R");
}

TEST(ConfigTest, CheckmkErrors) {
  auto missing = ParseConfig("[registrar]\nbackend = checkmk\n", "/etc/automon/registrar.conf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "/etc/automon/registrar.conf:2:11: error: backend = checkmk needs the site: set "
            "'site' in [checkmk]\n"
            "backend = checkmk\n"
            "          ^");
  auto bad = ParseConfig(
      "[checkmk]\nsite = my-site\nactivate_command = 'cmk\nsiet = x\nconf_dir = rel\n", "r.conf");
  ASSERT_FALSE(bad.ok());
  for (const char* expected :
       {"r.conf:2:8: error: invalid value 'my-site' for 'site': expected an OMD site id",
        "r.conf:3:20: error: invalid value for 'activate_command'",
        "r.conf:4:1: error: unknown key 'siet' in [checkmk], did you mean 'site'?",
        "r.conf:5:12: error: invalid value 'rel' for 'conf_dir'"}) {
    EXPECT_NE(bad.error().message.find(expected), std::string::npos) << expected << "\n"
                                                                     << bad.error().message;
  }
}

TEST(ConfigTest, CheckmkCommandsThatSwitchUserNeedRoot) {
  auto config = ParseConfig("[registrar]\nbackend = checkmk\n[checkmk]\nsite = mysite\n", "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  // The default activate_command runs runuser: fine as root only.
  EXPECT_TRUE(CheckCommandPrivileges(*config, "r.conf", 0).ok());
  auto refused = CheckCommandPrivileges(*config, "r.conf", 998);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("r.conf: [checkmk] activate_command = "
                                         "'/usr/sbin/runuser -u {site} --"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("runs runuser to become the site user, which needs "
                                         "root, but automon-registrar runs as uid 998"),
            std::string::npos)
      << refused.error().message;
  for (const char* command : {"sudo -u mysite cmk -R", "/bin/su - mysite -c 'cmk -R'",
                              "/usr/bin/doas -u mysite cmk -R"}) {
    config->checkmk_activate_command = command;
    EXPECT_FALSE(CheckCommandPrivileges(*config, "r.conf", 998).ok()) << command;
  }
  // A command that needs no privileges is fine.
  config->checkmk_activate_command = "/usr/bin/systemctl start automon-checkmk-activate@mysite";
  EXPECT_TRUE(CheckCommandPrivileges(*config, "r.conf", 998).ok());
  // verify_command is checked too.
  config->checkmk_verify_command = "runuser -u mysite -- check {dir}";
  auto verify = CheckCommandPrivileges(*config, "r.conf", 998);
  ASSERT_FALSE(verify.ok());
  EXPECT_NE(verify.error().message.find("[checkmk] verify_command = 'runuser -u mysite"),
            std::string::npos);
  // The Nagios back end does not use these keys.
  config->backend = backends::BackendKind::kNagios;
  EXPECT_TRUE(CheckCommandPrivileges(*config, "r.conf", 998).ok());
}

TEST(ConfigTest, ErrorsCarryFileLineColumnAndSuggestions) {
  auto config = ParseConfig(
      "[registrar]\n"
      "state_dri = /x\n"
      "backend = icinga\n"
      "[nagois]\n"
      "[nagios]\n"
      "output_dir = relative/dir\n"
      "verify_command = nagios4 -v\n"
      "reload_command = 'unterminated\n"
      "output_dir = /a\n"
      "command_timeout = 0\n",
      "/etc/automon/registrar.conf");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "/etc/automon/registrar.conf:2:1: error: unknown key 'state_dri' in [registrar], did "
            "you mean 'state_dir'?\n"
            "state_dri = /x\n"
            "^\n"
            "/etc/automon/registrar.conf:3:11: error: invalid value 'icinga' for 'backend': "
            "expected 'nagios', 'checkmk', 'icinga2' or 'prometheus'\n"
            "backend = icinga\n"
            "          ^\n"
            "/etc/automon/registrar.conf:4:1: error: unknown section [nagois], did you mean "
            "[nagios]?\n"
            "[nagois]\n"
            "^\n"
            "/etc/automon/registrar.conf:6:14: error: invalid value 'relative/dir' for "
            "'output_dir': expected an absolute path of letters, digits and /._+- without a "
            "trailing '/'\n"
            "output_dir = relative/dir\n"
            "             ^\n"
            "/etc/automon/registrar.conf:7:18: error: invalid value 'nagios4 -v' for "
            "'verify_command': it must contain {config}, the nagios.cfg to verify\n"
            "verify_command = nagios4 -v\n"
            "                 ^\n"
            "/etc/automon/registrar.conf:8:18: error: invalid value for 'reload_command': "
            "unterminated ' in ''unterminated'\n"
            "reload_command = 'unterminated\n"
            "                 ^\n"
            "/etc/automon/registrar.conf:9:1: error: 'output_dir' is set twice in [nagios]\n"
            "output_dir = /a\n"
            "^\n"
            "/etc/automon/registrar.conf:10:19: error: invalid value '0' for 'command_timeout': "
            "expected seconds from 1 to 3600\n"
            "command_timeout = 0\n"
            "                  ^");
}

TEST(ConfigTest, RefusesPathsWithDotDotOrOddCharacters) {
  for (std::string bad : {"/a/../b", "/a/./b", "/a/", "/a//b", "/a b", "/a;b", "/"}) {
    auto config = ParseConfig("[registrar]\nstate_dir = " + bad + "\n", "c");
    EXPECT_FALSE(config.ok()) << bad;
  }
}

TEST(ConfigTest, MissingDefaultFileGivesDefaultsButMissingExplicitFileIsAnError) {
  testing::FakeFileSystem fs;
  auto defaults = LoadConfig(fs, "/etc/automon/registrar.conf", false);
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(*defaults, Config{});
  auto missing = LoadConfig(fs, "/tmp/none.conf", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "open(/tmp/none.conf): No such file or directory");
  fs.AddFile("/c.conf", "[nagios]\nnagios_cfg = /n.cfg\n");
  auto loaded = LoadConfig(fs, "/c.conf", true);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->nagios_cfg, "/n.cfg");
}

}  // namespace
}  // namespace automon::registrar

namespace automon::registrar {
namespace {

TEST(ConfigIcinga2Test, SectionSetsEveryKey) {
  auto config = ParseConfig(
      "[registrar]\n"
      "backend = icinga2\n"
      "[icinga2]\n"
      "config = /srv/icinga2/icinga2.conf\n"
      "output_dir = /srv/icinga2/conf.d/mine\n"
      "verify_command = /usr/sbin/icinga2 daemon -C -c {config}\n"
      "reload_command = /bin/true\n"
      "templates_file = /etc/automon/icinga2-templates.conf\n"
      "probes_dir = /usr/lib/automon\n",
      "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->backend, backends::BackendKind::kIcinga2);
  EXPECT_EQ(config->icinga2_conf, "/srv/icinga2/icinga2.conf");
  EXPECT_EQ(config->icinga2_output_dir, "/srv/icinga2/conf.d/mine");
  EXPECT_EQ(config->icinga2_verify_command, "/usr/sbin/icinga2 daemon -C -c {config}");
  EXPECT_EQ(config->icinga2_reload_command, "/bin/true");
  EXPECT_EQ(config->icinga2_templates_file, "/etc/automon/icinga2-templates.conf");
  EXPECT_EQ(config->icinga2_probes_dir, "/usr/lib/automon");
  EXPECT_EQ(config->icinga2_zone, "");
}

TEST(ConfigPrometheusTest, SectionSetsEveryKeyAndChecksValues) {
  auto config = ParseConfig(
      "[registrar]\n"
      "backend = prometheus\n"
      "[prometheus]\n"
      "sd_dir = /srv/prometheus/automon\n"
      "blackbox = 127.0.0.1:19115\n"
      "exporter = [::1]:19623\n"
      "verify_command = /usr/bin/promtool check config {config}\n",
      "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->backend, backends::BackendKind::kPrometheus);
  EXPECT_EQ(config->prometheus_sd_dir, "/srv/prometheus/automon");
  EXPECT_EQ(config->prometheus_blackbox, "127.0.0.1:19115");
  EXPECT_EQ(config->prometheus_exporter, "[::1]:19623");
  EXPECT_EQ(Config{}.prometheus_sd_dir, "/etc/prometheus/automon");
  EXPECT_EQ(Config{}.prometheus_blackbox, "127.0.0.1:9115");
  EXPECT_EQ(Config{}.prometheus_exporter, "127.0.0.1:9623");

  auto bad = ParseConfig(
      "[prometheus]\nblackbox = :9115\nexporter = x:y\nverify_command = promtool check\n",
      "r.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "r.conf:2:12: error: invalid value ':9115' for 'blackbox': expected host:port or "
            "[v6]:port\n"
            "blackbox = :9115\n"
            "           ^\n"
            "r.conf:3:12: error: invalid value 'x:y' for 'exporter': expected host:port or "
            "[v6]:port\n"
            "exporter = x:y\n"
            "           ^\n"
            "r.conf:4:18: error: invalid value 'promtool check' for 'verify_command': it must "
            "contain {config}, the prometheus.yml to verify\n"
            "verify_command = promtool check\n"
            "                 ^");
}

TEST(ConfigIcinga2Test, DefaultsFollowTheMainFileAndTheZone) {
  auto plain = ParseConfig("[registrar]\nbackend = icinga2\n", "r.conf");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->icinga2_output_dir, "/etc/icinga2/conf.d/automon");
  EXPECT_EQ(plain->icinga2_output_dir, Config{}.icinga2_output_dir);
  EXPECT_EQ(plain->icinga2_verify_command,
            "/usr/libexec/automon/automon-icinga2-verify {config} {zonesdir} {cachedir}");
  EXPECT_EQ(plain->icinga2_reload_command, "/bin/systemctl reload icinga2.service");
  auto zoned = ParseConfig("[icinga2]\nconfig = /srv/i/icinga2.conf\nzone = sat-1\n", "r.conf");
  ASSERT_TRUE(zoned.ok());
  EXPECT_EQ(zoned->icinga2_zone, "sat-1");
  EXPECT_EQ(zoned->icinga2_output_dir, "/srv/i/zones.d/sat-1/automon");
}

TEST(ConfigIcinga2Test, BadValuesAreErrorsWithLocations) {
  auto config = ParseConfig(
      "[icinga2]\n"
      "zone = master!x\n"
      "verify_command = icinga2 daemon -C\n"
      "output_dir = conf.d\n"
      "templates_fiel = /x\n",
      "r.conf");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "r.conf:2:8: error: invalid value 'master!x' for 'zone': expected an Icinga 2 zone "
            "name (letters, digits and ._-)\n"
            "zone = master!x\n"
            "       ^\n"
            "r.conf:3:18: error: invalid value 'icinga2 daemon -C' for 'verify_command': it must "
            "contain {config}, the icinga2.conf to verify\n"
            "verify_command = icinga2 daemon -C\n"
            "                 ^\n"
            "r.conf:4:14: error: invalid value 'conf.d' for 'output_dir': expected an absolute "
            "path of letters, digits and /._+- without a trailing '/'\n"
            "output_dir = conf.d\n"
            "             ^\n"
            "r.conf:5:1: error: unknown key 'templates_fiel' in [icinga2], did you mean "
            "'templates_file'?\n"
            "templates_fiel = /x\n"
            "^");
}

// Issue #15: where passive results go.
TEST(ConfigPassiveResultsTest, ApiAndLivestatusKeys) {
  auto config = ParseConfig(
      "[registrar]\nbackend = icinga2\n[icinga2]\napi_address = 127.0.0.1:5666\n"
      "api_user = automon-results\napi_password_file = /etc/automon/icinga2-api-password\n"
      "api_ca_file = /var/lib/icinga2/certs/ca.crt\n[checkmk]\n"
      "livestatus_socket = /omd/sites/mon/tmp/run/live\n",
      "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->icinga2_api_address, "127.0.0.1:5666");
  EXPECT_EQ(config->icinga2_api_user, "automon-results");
  EXPECT_EQ(config->icinga2_api_password_file, "/etc/automon/icinga2-api-password");
  EXPECT_EQ(config->icinga2_api_ca_file, "/var/lib/icinga2/certs/ca.crt");
  EXPECT_EQ(config->checkmk_livestatus_socket, "/omd/sites/mon/tmp/run/live");
  const Config defaults;
  EXPECT_EQ(defaults.icinga2_api_address, "localhost:5665");
  EXPECT_EQ(defaults.icinga2_api_user, "automon");
  EXPECT_EQ(defaults.icinga2_api_password_file, "");
  auto bad = ParseConfig("[icinga2]\napi_user = a b\napi_address = nowhere\n", "r.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(
                "invalid value 'a b' for 'api_user': expected an Icinga 2 object name"),
            std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("r.conf:3:"), std::string::npos) << bad.error().message;
}

TEST(ConfigLifecycleTest, DefaultsKeepEveryHostAndGuardAtTwentyPercent) {
  auto config = ParseConfig("", "r.conf");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->lifecycle, LifecyclePolicy{});
  EXPECT_EQ(config->lifecycle.silent_after, std::nullopt);
  EXPECT_EQ(config->lifecycle.disable_after, std::nullopt);
  EXPECT_EQ(config->lifecycle.remove_after, std::nullopt);
  EXPECT_EQ(config->lifecycle.silence_guard_percent, 20);
  EXPECT_EQ(config->lifecycle.grace_after_start, 600);
  EXPECT_EQ(config->self_check_host, "");
}

TEST(ConfigLifecycleTest, SectionSetsEveryKey) {
  auto config = ParseConfig(
      "[registrar]\nself_check_host = Monitor.Example.org\n"
      "[lifecycle]\nsilent_after = 30m\ndisable_after = 2d\nremove_after = 90d\n"
      "silence_guard = 35%\ngrace_after_start = 15m\n",
      "r.conf");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->lifecycle.silent_after, 1800);
  EXPECT_EQ(config->lifecycle.disable_after, 2 * 86400);
  EXPECT_EQ(config->lifecycle.remove_after, 90 * 86400);
  EXPECT_EQ(config->lifecycle.silence_guard_percent, 35);
  EXPECT_EQ(config->lifecycle.grace_after_start, 900);
  EXPECT_EQ(config->self_check_host, "monitor.example.org");
  auto off = ParseConfig(
      "[lifecycle]\ndisable_after = off\nremove_after = off\n"
      "[registrar]\nself_check_host = none\n",
      "r.conf");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->lifecycle.disable_after, std::nullopt);
  EXPECT_EQ(off->self_check_host, "none");
}

TEST(ConfigLifecycleTest, BadValuesAreErrorsWithLocations) {
  auto config = ParseConfig(
      "[lifecycle]\nsilent_after = off\nremove_after = 3 days\nsilence_guard = 0%\n"
      "silent_afterr = 1h\n[registrar]\nself_check_host = not a host\n",
      "r.conf");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "r.conf:2:16: error: invalid value 'off' for 'silent_after': expected a number and s, "
            "m, h or d (like 30m, 12h, 30d), at most 3650d\n"
            "silent_after = off\n"
            "               ^\n"
            "r.conf:3:16: error: invalid value '3 days' for 'remove_after': expected a number and "
            "s, m, h or d (like 30m, 12h, 30d), at most 3650d, or 'off'\n"
            "remove_after = 3 days\n"
            "               ^\n"
            "r.conf:4:17: error: invalid value '0%' for 'silence_guard': expected a percentage "
            "from 1% to 100%\n"
            "silence_guard = 0%\n"
            "                ^\n"
            "r.conf:5:1: error: unknown key 'silent_afterr' in [lifecycle], did you mean "
            "'silent_after'?\n"
            "silent_afterr = 1h\n"
            "^\n"
            "r.conf:7:19: error: invalid value 'not a host' for 'self_check_host': expected a host "
            "name (RFC 1123), or 'none'\n"
            "self_check_host = not a host\n"
            "                  ^");
}

}  // namespace
}  // namespace automon::registrar
