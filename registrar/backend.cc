// SPDX-License-Identifier: GPL-2.0-or-later
// The one place that knows which backends the registrar has.
#include "registrar/backend.h"

#include "registrar/activation_checkmk.h"
#include "registrar/activation_icinga2.h"
#include "registrar/activation_nagios.h"
#include "registrar/activation_prometheus.h"

namespace automon::registrar {

using backends::BackendKind;

std::unique_ptr<Backend> MakeBackend(const Config& config, FileSystem& fs, Disk& disk,
                                     ProcessRunner& runner) {
  return MakeBackend(config.backend, config, fs, disk, runner);
}

std::unique_ptr<Backend> MakeBackend(BackendKind kind, const Config& config, FileSystem& fs,
                                     Disk& disk, ProcessRunner& runner) {
  switch (kind) {
    case BackendKind::kNagios:
      return MakeNagiosBackend(config, fs, disk, runner);
    case BackendKind::kCheckmk:
      return MakeCheckmkBackend(config, fs, disk, runner);
    case BackendKind::kIcinga2:
      return MakeIcinga2Backend(config, fs, disk, runner);
    case BackendKind::kPrometheus:
      return MakePrometheusBackend(config, fs, disk, runner);
  }
  AUTOMON_CHECK(false && "a backend without an activator passed the configuration");
  return nullptr;
}

std::vector<BackendKind> RegistrarBackends() {
  return {BackendKind::kNagios, BackendKind::kCheckmk, BackendKind::kIcinga2,
          BackendKind::kPrometheus};
}

void CompleteBackendConfig(Config& config, const SourceLocation& backend_loc,
                           const std::string& backend_line, std::vector<Diagnostic>& diagnostics) {
  for (BackendKind kind : ConfiguredBackends(config)) {
    switch (kind) {
      case BackendKind::kCheckmk:
        CompleteCheckmkConfig(config, backend_loc, backend_line, diagnostics);
        break;
      case BackendKind::kNagios:
      case BackendKind::kIcinga2:
      case BackendKind::kPrometheus:
        break;
    }
  }
}

Result<void> CheckCommandPrivileges(const Config& config, std::string_view path, unsigned euid) {
  for (BackendKind kind : ConfiguredBackends(config)) {
    switch (kind) {
      case BackendKind::kCheckmk:
        if (auto r = CheckCheckmkCommandPrivileges(config, path, euid); !r) return r;
        break;
      case BackendKind::kNagios:
      case BackendKind::kIcinga2:
      case BackendKind::kPrometheus:
        break;
    }
  }
  return {};
}

}  // namespace automon::registrar
