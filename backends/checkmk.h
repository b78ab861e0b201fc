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
// The host is agentless (no agent, no SNMP, no piggyback); its services are
// custom_checks rules ("Integrate Nagios plugins") conditioned on that host
// only, whose command lines are exactly the Nagios renderer's: the same
// programs and options, the same quoting of every value, secrets by file.
// automon's own probes run from `probes_dir`, the monitoring-plugins from
// the site's own plugin directory.
#ifndef AUTOMON_BACKENDS_CHECKMK_H_
#define AUTOMON_BACKENDS_CHECKMK_H_

#include <string>
#include <string_view>

#include "backends/nagios.h"
#include "common/result.h"
#include "formats/snapshot.h"

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
  // As NagiosRenderOptions: <secrets_dir>/<host>/<service>.<generation>.password
  std::string secrets_dir = "/var/lib/automon/secrets";
  std::string mailflow_dir = "/var/lib/automon/mailflow";
};

// The label every generated host carries: automon:registered.
inline constexpr std::string_view kCheckmkLabelKey = "automon";
inline constexpr std::string_view kCheckmkLabelValue = "registered";

// One host's .mk file. Fails as a whole when the host's name (Checkmk's
// ^\w[-0-9a-zA-Z_.]*$, at most 240 bytes) or address is not usable; a
// service that cannot be written safely is left out and reported in
// `services`, as by RenderNagiosHost. `secrets` are those of the rendered
// services, with the paths the command lines name.
Result<RenderedHost> RenderCheckmkHost(const formats::Snapshot& snapshot,
                                       const CheckmkRenderOptions& options);

// "<host>.mk".
std::string CheckmkFileName(std::string_view host);

// True for a name Checkmk accepts as a host name and that is safe in a file
// name: 1-240 bytes of [A-Za-z0-9_.-], starting with a letter, digit or '_'.
bool IsCheckmkHostName(std::string_view host);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_CHECKMK_H_
