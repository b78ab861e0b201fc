// SPDX-License-Identifier: GPL-2.0-or-later
// backends/prometheus: the Prometheus renderer. A pure function from a
// host's check plans to the content of its file_sd file (reference
// passive-icinga2-prometheus.md §3); registrar/activation_prometheus.h
// writes it to <sd_dir>/<host>.json, verified and atomically.
//
// One file per host: a JSON array of target groups, one group per checked
// service. Every group is scraped by one job (PrometheusScrapeExample())
// on metrics_path /probe; the group's target is the exporter that probes
// (the blackbox exporter, or the Guacamole exporter), and what it probes
// travels as URL parameters in labels:
//
//   {"targets": ["127.0.0.1:9115"],
//    "labels": {"__param_module": "ssh_banner",
//               "__param_target": "192.0.2.10:22",
//               "automon_host": "web01.example.org",
//               "automon_service": "ssh", "automon_type": "ssh"}}
//
// The module is chosen per group (a job-level params.module would override
// __param_module). Blackbox types: http (URL target), tcp, ssh, smtp,
// imap, pop3, ldap (host:port targets); modules not in Debian's default
// blackbox.yml are automon_* (PrometheusBlackboxModules()). Guacamole
// services target the Guacamole exporter's /probe?target=<host>_<service>;
// the group also carries the exporter's definition of that target in
// labels starting with "__automon_guacamole_" (endpoint, username, data
// source, password file; never the password), which Prometheus drops after
// relabelling and the exporter reads (doc/decisions.md, 2026-12-07).
//
// A host the registrar's lifecycle disabled (HostPlan::disabled) keeps its
// targets, each labelled automon_state="disabled": Prometheus has no
// switch to stop scraping a target, and a target that vanished would fire
// absent() alerts, so alert rules exclude the label
// (`probe_success{automon_state!="disabled"} == 0`) to silence it, as the
// other backends switch notifications off. Enabled targets carry no
// automon_state label.
//
// Services Prometheus cannot check this way (udp, mailflow, mail-flow
// smtp/imap/pop3, haproxy, passive, plans that stay UNKNOWN) are accepted
// and left out of the file with a note (RenderedService::note), not
// rejected: other backends of the same registrar still check them.
//
// Hostile values cannot reach syntax: the file is written by a JSON
// encoder (strings escaped, invalid UTF-8 refused), every host-supplied
// value is a label value of its own group or its own target's URL
// parameter, and label names are automon's own.
#ifndef AUTOMON_BACKENDS_PROMETHEUS_H_
#define AUTOMON_BACKENDS_PROMETHEUS_H_

#include <string>
#include <string_view>

#include "backends/backend.h"
#include "backends/plan.h"
#include "common/result.h"

namespace automon::backends {

struct PrometheusOptions {
  // Unused: file_sd files cannot hold comments, so no header says when
  // they were generated (two renders of one plan are byte-equal).
  std::string generated_at;
  // host:port of the blackbox exporter and of the Guacamole exporter.
  std::string blackbox = "127.0.0.1:9115";
  std::string exporter = "127.0.0.1:9623";
  // Where the registrar writes the files (for the example only).
  std::string sd_dir = "/etc/prometheus/automon";
};

// The exporter's target name of a Guacamole service: "<host>_<service>"
// (host names have no '_', so the first one ends the host), and whether a
// name is one the exporter accepts (1-100 of [A-Za-z0-9._-]).
std::string PrometheusGuacamoleTarget(std::string_view host, std::string_view service);
bool IsPrometheusGuacamoleTarget(std::string_view name);

// The scrape_configs entry to paste into prometheus.yml, and the blackbox
// modules automon's targets use that Debian's blackbox.yml lacks (to add to
// /etc/prometheus/blackbox.yml), as one commented YAML text.
std::string PrometheusScrapeExample(const PrometheusOptions& options);
std::string PrometheusBlackboxModules();

class PrometheusRenderer final : public Renderer {
 public:
  explicit PrometheusRenderer(PrometheusOptions options) : options_(std::move(options)) {}

  BackendKind kind() const override { return BackendKind::kPrometheus; }
  Result<RenderedHost> RenderHost(const HostPlan& plan) const override;
  // "<host>.json".
  std::string HostFileName(std::string_view host) const override;

 private:
  PrometheusOptions options_;
};

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_PROMETHEUS_H_
