// SPDX-License-Identifier: GPL-2.0-or-later
// The one place that knows which backends the registrar has.
#include "registrar/backend.h"

#include "registrar/activation_checkmk.h"
#include "registrar/activation_icinga2.h"
#include "registrar/activation_nagios.h"
#include "registrar/activation_prometheus.h"
#include "registrar/result_writers.h"

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

namespace {

// The writer of `kind`'s core; nullptr for an engine without one.
std::unique_ptr<ResultWriter> ResultWriterOf(BackendKind kind, const Config& config,
                                             FileSystem& fs) {
  constexpr size_t kMaxConfigBytes = 4 << 20;
  auto refusing = [](std::string why) { return std::make_unique<RefusingWriter>(std::move(why)); };
  switch (kind) {
    case BackendKind::kNagios: {
      auto text = fs.ReadFile(config.nagios_cfg, kMaxConfigBytes);
      if (!text) return refusing(text.error().message);
      auto command_file = NagiosCommandFileOf(*text, config.nagios_cfg);
      if (!command_file) return refusing(command_file.error().message);
      return std::make_unique<NagiosCommandFileWriter>(*command_file);
    }
    case BackendKind::kCheckmk:
      return std::make_unique<LivestatusWriter>(
          config.checkmk_livestatus_socket.empty()
              ? WithSite("/omd/sites/{site}/tmp/run/live", config.checkmk_site)
              : config.checkmk_livestatus_socket);
    case BackendKind::kIcinga2: {
      if (config.icinga2_api_password_file.empty()) {
        return refusing(
            "passive results need the Icinga 2 API: set api_password_file in [icinga2] "
            "(automon-registrar(8))");
      }
      auto password = fs.ReadFile(config.icinga2_api_password_file, 4096);
      if (!password) return refusing(password.error().message);
      Icinga2ApiOptions options;
      if (auto address = ParseListen(config.icinga2_api_address); address) {
        options.host = address->first.empty() ? "localhost" : address->first;
        options.port = address->second;
      }
      options.user = config.icinga2_api_user;
      options.password = password->substr(0, password->find('\n'));
      options.ca_file = config.icinga2_api_ca_file;
      if (options.ca_file.empty() && fs.ReadFile("/var/lib/icinga2/certs/ca.crt", 1 << 20)) {
        options.ca_file = "/var/lib/icinga2/certs/ca.crt";
      }
      return std::make_unique<Icinga2ApiWriter>(std::move(options));
    }
    case BackendKind::kPrometheus:
      break;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<ResultWriter> MakeResultWriter(const Config& config, FileSystem& fs) {
  // With a list of backends, the first whose core takes results.
  for (const BackendKind kind : ConfiguredBackends(config)) {
    if (auto writer = ResultWriterOf(kind, config, fs)) return writer;
  }
  return std::make_unique<RefusingWriter>(
      "none of this registrar's backends takes passive results (Nagios, Icinga 2 or Checkmk do)");
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
