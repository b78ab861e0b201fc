// SPDX-License-Identifier: GPL-2.0-or-later
// The monitoring engine as the registrar sees it: how a host's plan becomes
// its file(s), which shared files go with them, how they become live, and
// who may read the secret files. Chosen once, from registrar.conf's
// `backend`, by MakeBackend(); the rest of the registrar never asks which
// engine it is.
//
// To add a backend: a renderer in backends/ (backends/renderers.cc), an
// activator and a Make<Name>Backend() beside it (activation_<name>.h), and
// one case in each function of backend.cc.
#ifndef AUTOMON_REGISTRAR_BACKEND_H_
#define AUTOMON_REGISTRAR_BACKEND_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "backends/plan.h"
#include "common/diagnostic.h"
#include "common/file_system.h"
#include "common/process_runner.h"
#include "common/result.h"
#include "registrar/activation.h"
#include "registrar/config.h"
#include "registrar/disk.h"
#include "registrar/results.h"

namespace automon::registrar {

class Backend {
 public:
  virtual ~Backend() = default;

  // The engine's name for people: "Nagios", "Checkmk".
  virtual std::string_view DisplayName() const = 0;
  // What a successful activation did, for `render`'s summary: "Nagios
  // reloaded".
  virtual std::string_view ActivatedText() const = 0;
  // The group that may read secret files (0640): the engine's checks run
  // in it.
  virtual std::string SecretsGroup() const = 0;

  // The host's file, rendered from its plan; `generated_at` for headers.
  virtual Result<backends::RenderedHost> RenderHost(const backends::HostPlan& plan,
                                                    const std::string& generated_at) const = 0;
  // Sets the backend-wide files of `request` (Nagios: automon.cfg and the
  // administrator's templates); nothing for an engine without any. Fails
  // when one cannot be made (the templates cannot be read).
  virtual Result<void> AddSharedFiles(ActivationRequest& request,
                                      const std::string& generated_at) const = 0;

  // What the administrator adds to the engine's own configuration for
  // automon's files (`render --backend NAME --example`); nullopt when
  // nothing is needed beyond the package's files.
  virtual std::optional<std::string> Example() const { return std::nullopt; }

  // Whether the engine runs monitoring plugins (Nagios, Checkmk, Icinga 2):
  // those render the registrar's self-check (the service "automon
  // registrar", backends::SelfCheckService()); Prometheus runs none.
  virtual bool RunsPlugins() const { return true; }

  virtual Activator& activator() = 0;
};

// The backend `config.backend` names, or `kind`. Collaborators must
// outlive it.
std::unique_ptr<Backend> MakeBackend(const Config& config, FileSystem& fs, Disk& disk,
                                     ProcessRunner& runner);
std::unique_ptr<Backend> MakeBackend(backends::BackendKind kind, const Config& config,
                                     FileSystem& fs, Disk& disk, ProcessRunner& runner);

// The one writer of passive results (issue #15) of the core of
// `config.backend` (registrar/result_writers.h): Nagios' command file from
// `nagios_cfg`, Checkmk's livestatus socket, Icinga 2's REST API. When it
// cannot be set up (no command_file, no API password file), a writer that
// refuses every result and says why.
std::unique_ptr<ResultWriter> MakeResultWriter(const Config& config, FileSystem& fs);

// The engines the registrar can run (a subset of backends::BackendKind:
// those with an activator), in BackendKind order.
std::vector<backends::BackendKind> RegistrarBackends();

// After parsing registrar.conf: the chosen backends' defaults that depend
// on other keys, and their checks of them; errors at `backend_loc` (the
// `backend =` line, `backend_line` its text).
void CompleteBackendConfig(Config& config, const SourceLocation& backend_loc,
                           const std::string& backend_line, std::vector<Diagnostic>& diagnostics);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_BACKEND_H_
