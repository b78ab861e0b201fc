// SPDX-License-Identifier: GPL-2.0-or-later
// The Checkmk backend's activation (backend = checkmk; see
// automon-registrar(8), CHECKMK).
#ifndef AUTOMON_REGISTRAR_ACTIVATION_CHECKMK_H_
#define AUTOMON_REGISTRAR_ACTIVATION_CHECKMK_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "registrar/activation.h"
#include "registrar/backend.h"

namespace automon::registrar {

// CheckmkActivator: the same discipline for a Checkmk site (backend =
// checkmk). `hosts` of the request are the contents of
// <conf_dir>/<host>.mk; `common` and `templates` are ignored.
//
//   1. stage: each changed file goes to <staging_dir>/<host>.mk;
//   2. verify, per file: the sandbox check of backends/checkmk_sandbox.h,
//      run as `python -I -S`; a host whose file fails is quarantined;
//   3. verify, as a whole (only when [checkmk] verify_command is set): the
//      command on a staged copy of conf_dir ({dir}); on failure the hosts
//      that break it are found and quarantined as for Nagios;
//   4. swap: each staged file the checks accepted is renamed into conf_dir
//      (one flush before and one after all renames);
//   5. activate: activate_command ({site} replaced), with the same
//      pending-marker repair as the Nagios reload.
class CheckmkActivator final : public StagingActivator {
 public:
  // As StagingActivator's; `activate_marker` is its reload_marker.
  CheckmkActivator(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                   std::string staging_dir, std::string activate_marker);

  Result<ActivationOutcome> Activate(
      const ActivationRequest& request,
      const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) override;
  Result<std::vector<std::string>> LiveHosts() override;
  std::string HostFilePath(const std::string& host) const override;

 private:
  using Changes = std::map<std::string, std::optional<std::string>>;  // host -> content

  // host -> why, for each staged file the sandbox refuses.
  Result<std::map<std::string, std::string>> Sandbox(const Changes& changes);
  // Runs verify_command on conf_dir with `changes` applied; sets *reason
  // (empty when it passes).
  Result<void> SiteCheck(const Changes& changes, std::string* reason);
  // Runs the activate command; `reason` is empty when it succeeded, else
  // says why not. An Error means it could not run.
  Result<void> RunActivate(std::string* reason);
  // Writes (or, for nullopt, removes) the live files of the hosts.
  Result<void> PutLive(const std::map<std::string, std::optional<std::string>>& files);
};

// backend = checkmk: the Checkmk renderer and the CheckmkActivator.
std::unique_ptr<Backend> MakeCheckmkBackend(const Config& config, FileSystem& fs, Disk& disk,
                                            ProcessRunner& runner);

// After parsing: the site is required, and the directories default from it.
void CompleteCheckmkConfig(Config& config, const SourceLocation& backend_loc,
                           const std::string& backend_line, std::vector<Diagnostic>& diagnostics);

// CheckCommandPrivileges() for backend = checkmk.
Result<void> CheckCheckmkCommandPrivileges(const Config& config, std::string_view path,
                                           unsigned euid);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_ACTIVATION_CHECKMK_H_
