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
    case BackendKind::kIcinga2:
      // Icinga 2 plugs in here: return its renderer (backends/icinga2.h).
      return nullptr;
  }
  return nullptr;
}

std::vector<BackendKind> RenderableBackends() {
  std::vector<BackendKind> kinds;
  for (BackendKind kind : {BackendKind::kNagios, BackendKind::kCheckmk, BackendKind::kIcinga2}) {
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
    case BackendKind::kIcinga2:
      // Icinga 2 plugs in here: where its files go and what it assumed.
      break;
  }
  return fmt::format("# automon-agent show --render {}: host {}\n", BackendName(kind), host);
}

}  // namespace automon::backends
