// SPDX-License-Identifier: GPL-2.0-or-later
// backends/checkmk: the Checkmk renderer. A pure function from one stored
// snapshot to the content of conf.d/automon/<host>.mk for a Checkmk site
// (reference monitoring-config-formats.md §3); activation.h decides where
// and when it is written.
//
// Checkmk executes .mk files as Python, so every value in them is written by
// the strict encoder of python_literal.h, and a file holds nothing but
// statements that extend the site's own variables with literals:
//
//   all_hosts += [...]                host_tags.update({...})
//   host_labels.update({...})         ipaddresses.update({...}) (or ipv6addresses)
//   explicit_host_conf.setdefault('alias', {})
//   explicit_host_conf['alias'].update({...})
//   custom_checks += [{...rule...}, ...]
//
// and, for a host the registrar's lifecycle disabled (HostPlan::disabled),
// rules prepended to Checkmk's own rulesets, as Setup writes dict-keyed
// rulesets, that switch its checks and notifications off:
//
//   extra_host_conf.setdefault('notifications_enabled', [])
//   extra_host_conf['notifications_enabled'] = [{...rule...},] +
//   extra_host_conf['notifications_enabled']
//
// for extra_host_conf and extra_service_conf, active_checks_enabled and
// notifications_enabled, each rule with the value '0' and the condition
// {'host_name': [host]}; its passive services lose their freshness (never
// stale, as with Nagios' check_freshness 0).
//
// The host is agentless (no agent, no SNMP, no piggyback); its services are
// custom_checks rules ("Integrate Nagios plugins") conditioned on that host
// only, whose command lines are built from the check plans (plan.h) with
// the same programs and options as for Nagios and every value quoted as
// Nagios' command_line quotes it, secrets by file. automon's own probes
// (ProgramSource::kAutomonProbes, and the automon_password_env wrapper)
// run from `probes_dir`, the monitoring-plugins from the site's own plugin
// directory.
#ifndef AUTOMON_BACKENDS_CHECKMK_H_
#define AUTOMON_BACKENDS_CHECKMK_H_

#include <string>
#include <string_view>
#include <utility>

#include "backends/backend.h"
#include "backends/plan.h"
#include "common/result.h"

namespace automon::backends {

struct CheckmkRenderOptions {
  // For headers: when the file was generated (e.g. "2026-11-21T15:00:00Z").
  std::string generated_at;
  // The site id; it is the value of the host tag 'site'.
  std::string site = "mysite";
  // Where the site's monitoring-plugins are (check_http, check_tcp, ...).
  std::string site_plugins_dir = "/omd/sites/mysite/lib/nagios/plugins";
  // Where automon's probes are (check_guacamole, check_haproxy_sessions,
  // check_mailflow, automon_password_env): the automon-probes package.
  std::string probes_dir = "/usr/lib/nagios/plugins";
};

// The label every generated host carries: automon:registered.
inline constexpr std::string_view kCheckmkLabelKey = "automon";
inline constexpr std::string_view kCheckmkLabelValue = "registered";

class CheckmkRenderer final : public Renderer {
 public:
  explicit CheckmkRenderer(CheckmkRenderOptions options) : options_(std::move(options)) {}

  BackendKind kind() const override { return BackendKind::kCheckmk; }
  // One host's .mk file. Fails as a whole when the host's name (Checkmk's
  // ^\w[-0-9a-zA-Z_.]*$, at most 240 bytes) or address is not usable; a
  // service that cannot be written safely is left out and reported in
  // `services`, for the same reasons as by the NagiosRenderer and when a
  // value holds '!', ';' or '$' (doc/decisions.md). `secrets` are those of
  // the rendered services, with the paths the command lines name.
  Result<RenderedHost> RenderHost(const HostPlan& plan) const override;
  // "<host>.mk".
  std::string HostFileName(std::string_view host) const override;

  const CheckmkRenderOptions& options() const { return options_; }

 private:
  CheckmkRenderOptions options_;
};

// The command line of one plan for a Checkmk custom_checks rule; an Error
// says why a value cannot be written.
Result<std::string> CheckmkCommandLine(const CheckPlan& plan, const CheckmkRenderOptions& options);

// "<host>.mk".
std::string CheckmkFileName(std::string_view host);

// True for a name Checkmk accepts as a host name and that is safe in a file
// name: 1-240 bytes of [A-Za-z0-9_.-], starting with a letter, digit or '_'.
bool IsCheckmkHostName(std::string_view host);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_CHECKMK_H_
