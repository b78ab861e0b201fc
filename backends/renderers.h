// SPDX-License-Identifier: GPL-2.0-or-later
// backends/renderers: the one place that turns a BackendKind into its
// Renderer. Callers (the registrar's backend factory, `automon-agent show
// --render`) never branch on the kind themselves.
#ifndef AUTOMON_BACKENDS_RENDERERS_H_
#define AUTOMON_BACKENDS_RENDERERS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "backends/checkmk.h"
#include "backends/icinga2.h"
#include "backends/nagios.h"
#include "backends/prometheus.h"

namespace automon::backends {

// Every renderer's options; each renderer reads its own part.
struct RenderOptions {
  // For headers: when the files were generated (e.g. "2026-11-21T15:00:00Z").
  // Overrides the part's own generated_at.
  std::string generated_at;
  NagiosRenderOptions nagios;
  CheckmkRenderOptions checkmk;
  Icinga2Options icinga2;
  PrometheusOptions prometheus;
};

// The renderer of `kind`, or nullptr when this build has none for it.
std::unique_ptr<Renderer> MakeRenderer(BackendKind kind, const RenderOptions& options);

// The kinds MakeRenderer() renders, in BackendKind order: what `show
// --render` accepts.
std::vector<BackendKind> RenderableBackends();

// For `automon-agent show --render`: comment lines saying where the
// registrar would write `host`'s file and which of its defaults the preview
// assumed (`plan`: where secrets and mail-flow state live).
std::string PreviewPreamble(BackendKind kind, const PlanOptions& plan, std::string_view host);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_RENDERERS_H_
