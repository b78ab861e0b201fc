// SPDX-License-Identifier: GPL-2.0-or-later
// The registrar's configuration, /etc/automon/registrar.conf (INI, lexed by
// formats::LexIni so every error carries file:line:col). See
// automon-registrar(8), section CONFIGURATION.
#ifndef AUTOMON_REGISTRAR_CONFIG_H_
#define AUTOMON_REGISTRAR_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "common/diagnostic.h"
#include "common/file_system.h"
#include "common/result.h"
#include "registrar/lifecycle.h"

namespace automon::registrar {

inline constexpr std::string_view kDefaultConfigPath = "/etc/automon/registrar.conf";

// How `serve` treats a key it does not know (see automon-registrar(8)).
enum class EnrollmentPolicy { kManual, kTicket, kOpen };
std::string_view PolicyName(EnrollmentPolicy policy);
std::optional<EnrollmentPolicy> PolicyFromName(std::string_view name);

// `listen`: "host:port", "[v6]:port" or ":port" (all addresses).
Result<std::pair<std::string, int>> ParseListen(std::string_view text);

// Every path is absolute. Defaults fit Debian 12's nagios4 packages.
struct Config {
  // [registrar]
  std::string state_dir = "/var/lib/automon";
  // Which engine (registrar/backend.h); value-initialised: nagios. With
  // `backend = nagios, prometheus`, the first one; `backends` lists them
  // all in order (empty: just `backend`). See ConfiguredBackends().
  backends::BackendKind backend{};
  std::vector<backends::BackendKind> backends;
  // How long `receive` waits at most after validating before it activates,
  // while other registrations are arriving, so that registrations arriving
  // together are verified and reloaded together (doc/decisions.md).
  int quiet_period_ms = 2000;
  // Where `serve` accepts agents, and how it enrolls unknown keys;
  // open_networks limits `open` enrollment (empty: everywhere).
  std::string listen = "0.0.0.0:2222";
  EnrollmentPolicy enrollment = EnrollmentPolicy::kManual;
  std::vector<std::string> open_networks;
  // The monitoring server's own host, where the service "automon
  // registrar" (the self-check) is rendered; empty: this machine's FQDN;
  // "none": no self-check service.
  std::string self_check_host;
  // [lifecycle] (automon-registrar(8), LIFECYCLE).
  LifecyclePolicy lifecycle;
  // [nagios]
  std::string output_dir = "/etc/nagios4/conf.d/automon";
  std::string nagios_cfg = "/etc/nagios4/nagios.cfg";
  // Administrator-owned templates (automon-host, automon-service), copied
  // into output_dir and verified with everything else.
  std::string templates_file = "/etc/automon/nagios-templates.cfg";
  // Run without a shell after splitting like a shell (SplitCommandLine);
  // "{config}" is replaced by the path of the nagios.cfg to verify.
  std::string verify_command = "/usr/sbin/nagios4 -v {config}";
  std::string reload_command = "/bin/systemctl reload nagios4.service";
  // Group that may read secret files (0640); ignored when it does not exist.
  std::string secrets_group = "nagios";
  int command_timeout_seconds = 120;
  // [checkmk] (backend = checkmk; see automon-registrar(8), CHECKMK).
  // "{site}" in the commands below is replaced by `checkmk_site`.
  // The OMD site id; required with backend = checkmk.
  std::string checkmk_site;
  // Where the .mk files go; default /omd/sites/<site>/etc/check_mk/conf.d/automon.
  std::string checkmk_conf_dir;
  // The site's monitoring-plugins; default /omd/sites/<site>/lib/nagios/plugins.
  std::string checkmk_plugins_dir;
  // automon's own probes (check_guacamole, ...), as installed by automon-probes.
  std::string probes_dir = "/usr/lib/nagios/plugins";
  // The interpreter of the sandbox check of every staged .mk file.
  std::string checkmk_python = "/usr/bin/python3";
  // Optional site check of the staged files, run after the sandbox check;
  // "{dir}" is the staged copy of conf_dir. Empty: none.
  std::string checkmk_verify_command;
  // Run (no shell, split like verify_command) after the swap, as the site
  // user: generates the core configuration and restarts the core.
  std::string checkmk_activate_command =
      "/usr/sbin/runuser -u {site} -- /usr/bin/env HOME=/omd/sites/{site} OMD_SITE={site} "
      "OMD_ROOT=/omd/sites/{site} PATH=/omd/sites/{site}/bin:/usr/bin:/bin "
      "/omd/sites/{site}/bin/cmk -R";
  // [icinga2] (backend = icinga2; see automon-registrar(8), ICINGA 2).
  // The main file the staged copy includes and verifies.
  std::string icinga2_conf = "/etc/icinga2/icinga2.conf";
  // Where the .conf files go; default /etc/icinga2/conf.d/automon, or
  // /etc/icinga2/zones.d/<zone>/automon with a zone.
  std::string icinga2_output_dir = "/etc/icinga2/conf.d/automon";
  // The zone of every generated object (distributed setups); empty: none.
  std::string icinga2_zone;
  // Run without a shell; "{config}" is the staged icinga2.conf, "{zonesdir}"
  // the zones directory to read with it, "{cachedir}" a directory of the
  // registrar's own for icinga2.debug and icinga2.vars.
  std::string icinga2_verify_command =
      "/usr/libexec/automon/automon-icinga2-verify {config} {zonesdir} {cachedir}";
  std::string icinga2_reload_command = "/bin/systemctl reload icinga2.service";
  // The administrator's templates automon-host and automon-service; empty:
  // automon's defaults.
  std::string icinga2_templates_file;
  // automon's own probes, as installed by automon-probes.
  std::string icinga2_probes_dir = "/usr/lib/nagios/plugins";
  // Passive results (issue #15) go to the REST API at api_address as
  // api_user, whose password is the first line of api_password_file (no
  // file: results are refused, saying so); api_ca_file verifies the API's
  // certificate (empty: /var/lib/icinga2/certs/ca.crt when it exists).
  std::string icinga2_api_address = "localhost:5665";
  std::string icinga2_api_user = "automon";
  std::string icinga2_api_password_file;
  std::string icinga2_api_ca_file;
  // [checkmk] livestatus_socket: where passive results go; empty:
  // /omd/sites/<site>/tmp/run/live.
  std::string checkmk_livestatus_socket;
  // [prometheus] (backend = prometheus; see automon-registrar(8), PROMETHEUS).
  // Where the file_sd files go, one <host>.json per host.
  std::string prometheus_sd_dir = "/etc/prometheus/automon";
  // host:port of the blackbox exporter and of the Guacamole exporter
  // (check_guacamole --serve): the targets every file_sd group names.
  std::string prometheus_blackbox = "127.0.0.1:9115";
  std::string prometheus_exporter = "127.0.0.1:9623";
  // Run without a shell; "{config}" is a staged prometheus.yml whose job
  // reads exactly the staged files.
  std::string prometheus_verify_command = "/usr/bin/promtool check config {config}";
  // The Guacamole exporter's targets file (check_guacamole --serve --config
  // FILE), rewritten from the live file_sd files after each change; empty:
  // <state_dir>/guacamole-targets.conf.
  std::string prometheus_exporter_targets;
  // Run (no shell) after the targets file changed, e.g. to restart the
  // exporter; empty: none.
  std::string prometheus_exporter_reload_command;

  bool operator==(const Config&) const = default;
};

// Every backend of `config`, the first being config.backend.
std::vector<backends::BackendKind> ConfiguredBackends(const Config& config);

// Replaces every "{site}" in `text` by `site`.
std::string WithSite(std::string text, std::string_view site);

// Parses `text` named `filename`. Unknown sections and keys are errors with
// near-miss suggestions; a missing file is not this function's business.
// On failure the Error holds every rendered diagnostic, one per line.
Result<Config> ParseConfig(std::string_view text, std::string_view filename);

// With backend = checkmk, refuses an activate_command or verify_command
// that switches user (runuser, su, sudo, doas, setpriv) when `euid` is not
// 0: it cannot work then (the Debian unit runs as user automon with
// NoNewPrivileges), and would only fail at the first activation. The
// error names `path`, the key and its value. Defined with the backends
// (registrar/backend.cc), which know whose commands switch user.
Result<void> CheckCommandPrivileges(const Config& config, std::string_view path, unsigned euid);

// Reads and parses `path`. A missing file at the default path gives the
// defaults (a fresh install works); a missing file given explicitly is an
// error.
Result<Config> LoadConfig(FileSystem& fs, const std::string& path, bool explicit_path);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_CONFIG_H_
