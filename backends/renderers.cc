// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/renderers.h"

#include <fmt/format.h>

namespace automon::backends {

std::unique_ptr<Renderer> MakeRenderer(BackendKind kind, const RenderOptions& options) {
  switch (kind) {
    case BackendKind::kNagios: {
      NagiosRenderOptions nagios = options.nagios;
      nagios.generated_at = options.generated_at;
      return std::make_unique<NagiosRenderer>(std::move(nagios));
    }
    case BackendKind::kCheckmk: {
      CheckmkRenderOptions checkmk = options.checkmk;
      checkmk.generated_at = options.generated_at;
      return std::make_unique<CheckmkRenderer>(std::move(checkmk));
    }
    case BackendKind::kIcinga2: {
      Icinga2Options icinga2 = options.icinga2;
      icinga2.generated_at = options.generated_at;
      return std::make_unique<Icinga2Renderer>(std::move(icinga2));
    }
    case BackendKind::kPrometheus: {
      PrometheusOptions prometheus = options.prometheus;
      prometheus.generated_at = options.generated_at;
      return std::make_unique<PrometheusRenderer>(std::move(prometheus));
    }
  }
  return nullptr;
}

std::vector<BackendKind> RenderableBackends() {
  std::vector<BackendKind> kinds;
  for (BackendKind kind : {BackendKind::kNagios, BackendKind::kCheckmk, BackendKind::kIcinga2,
                           BackendKind::kPrometheus}) {
    if (MakeRenderer(kind, {}) != nullptr) kinds.push_back(kind);
  }
  return kinds;
}

std::string PreviewPreamble(BackendKind kind, const PlanOptions& plan, std::string_view host) {
  constexpr std::string_view kSecrets = "(passwords by file name, never shown)";
  switch (kind) {
    case BackendKind::kNagios: {
      const NagiosRenderOptions o;
      return fmt::format(
          "# automon-agent show --render nagios: what automon-registrar would write to\n"
          "# /etc/nagios4/conf.d/automon/{} for this snapshot.\n"
          "# Assumed, as the registrar's defaults:\n"
          "#   templates   {}\n"
          "#   secrets     {} {}\n"
          "#   mail flows  {}\n",
          HostFileName(host), o.templates_file, plan.secrets_dir, kSecrets, plan.mailflow_dir);
    }
    case BackendKind::kCheckmk: {
      const CheckmkRenderOptions o;
      return fmt::format(
          "# automon-agent show --render checkmk: what automon-registrar (backend =\n"
          "# checkmk) would write to /omd/sites/{}/etc/check_mk/conf.d/automon/{}\n"
          "# for this snapshot.\n"
          "# Assumed, as the registrar's defaults (the site name is an example):\n"
          "#   site        {}\n"
          "#   plugins     {}\n"
          "#   probes      {}\n"
          "#   secrets     {} {}\n"
          "#   mail flows  {}\n",
          o.site, CheckmkFileName(host), o.site, o.site_plugins_dir, o.probes_dir, plan.secrets_dir,
          kSecrets, plan.mailflow_dir);
    }
    case BackendKind::kIcinga2: {
      const Icinga2Options o;
      return fmt::format(
          "// automon-agent show --render icinga2: what automon-registrar (backend =\n"
          "// icinga2) would write to /etc/icinga2/conf.d/automon/{} for this\n"
          "// snapshot; the CheckCommands it uses are in automon.conf beside it.\n"
          "// Assumed, as the registrar's defaults:\n"
          "//   plugins     PluginDir of constants.conf\n"
          "//   probes      {}\n"
          "//   zone        none\n"
          "//   secrets     {} {}\n"
          "//   mail flows  {}\n",
          Icinga2Renderer(o).HostFileName(host), o.probes_dir, plan.secrets_dir, kSecrets,
          plan.mailflow_dir);
    }
    case BackendKind::kPrometheus: {
      const PrometheusOptions o;
      return fmt::format(
          "# automon-agent show --render prometheus: what automon-registrar (backend =\n"
          "# prometheus) would write to {}/{} for this snapshot\n"
          "# (file_sd JSON; these comment lines are not part of it).\n"
          "# Assumed, as the registrar's defaults:\n"
          "#   blackbox    {}\n"
          "#   exporter    {} (Guacamole)\n"
          "#   secrets     {} {}\n",
          o.sd_dir, PrometheusRenderer(o).HostFileName(host), o.blackbox, o.exporter,
          plan.secrets_dir, kSecrets);
    }
  }
  return fmt::format("# automon-agent show --render {}: host {}\n", BackendName(kind), host);
}

}  // namespace automon::backends
