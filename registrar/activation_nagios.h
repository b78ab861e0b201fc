// SPDX-License-Identifier: GPL-2.0-or-later
// NagiosActivator: makes rendered files live without ever reloading a
// configuration Nagios has not verified (reference §1.4):
//
//   1. stage: changed files go to <state_dir>/staging, and a staged copy of
//      nagios.cfg includes the live configuration with the automon tree
//      replaced by the staged one;
//   2. verify: verify_command ({config} = the staged nagios.cfg);
//   3. on failure, find the hosts whose change breaks it (quarantine: their
//      live files stay as they were) and verify the rest again;
//   4. swap: each verified staged host file is renamed into output_dir
//      (one flush before and one after all renames; the file that goes
//      live is the file that was verified), shared files are replaced
//      atomically;
//   5. reload: reload_command. A marker file records a swap whose reload has
//      not happened yet, so a crash in between is repaired (after verifying
//      the live files) by the next activation.
//
// The caller holds the activation lock (HostStore::lock_path) throughout.
#ifndef AUTOMON_REGISTRAR_ACTIVATION_NAGIOS_H_
#define AUTOMON_REGISTRAR_ACTIVATION_NAGIOS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "registrar/activation.h"
#include "registrar/backend.h"

namespace automon::registrar {

class NagiosActivator final : public StagingActivator {
 public:
  // As StagingActivator's.
  NagiosActivator(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                  std::string staging_dir, std::string reload_marker);

  Result<ActivationOutcome> Activate(
      const ActivationRequest& request,
      const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) override;
  Result<std::vector<std::string>> LiveHosts() override;
  std::string HostFilePath(const std::string& host) const override;

 private:
  using Changes = FileChanges;

  // Stages `changes` and runs verify_command; sets *reason to what Nagios
  // objects (empty when it accepts). `staged` holds the paths (relative)
  // already staged during this activation, which are not written again:
  // a change's content is the same in every subset checked.
  Result<void> Verify(const Changes& changes, std::string* reason, std::set<std::string>& staged);
  Result<std::string> StagedNagiosCfg(const Changes& changes);
  // Every live host file: (host, path relative to output_dir).
  Result<std::vector<std::pair<std::string, std::string>>> LiveHostFiles();
  Result<void> ExpandCfgDir(const std::string& dir, std::string& out);
  FileTree Tree();
};

// backend = nagios: the Nagios renderer, automon.cfg and the
// administrator's templates as shared files, and the NagiosActivator.
std::unique_ptr<Backend> MakeNagiosBackend(const Config& config, FileSystem& fs, Disk& disk,
                                           ProcessRunner& runner);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_ACTIVATION_NAGIOS_H_
