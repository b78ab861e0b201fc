// SPDX-License-Identifier: GPL-2.0-or-later
// Icinga2Activator: makes rendered Icinga 2 files live without ever
// reloading a configuration `icinga2 daemon -C` has not accepted
// (reference passive-icinga2-prometheus.md §2.4), with the discipline of
// NagiosActivator (activation.h):
//
//   1. stage: changed files go to <staging_dir>/tree; a staged copy of
//      icinga2.conf includes the live configuration with the automon tree
//      (output_dir) replaced by the staged one: the include_recursive that
//      covers output_dir is expanded into its other files and directories,
//      and the automon tree is included file by file where it changes and
//      bucket by bucket where it does not. With a zone, output_dir lies in
//      zones.d/ZONE, which Icinga 2 reads by itself: the staged
//      configuration reads a copy of zones.d without the automon tree
//      ({zonesdir}), and the automon objects, which name their zone, by
//      include;
//   2. verify: verify_command ({config}, {zonesdir}, {cachedir}: a
//      directory of the activator's own, so that icinga2 daemon -C never
//      rewrites /var/cache/icinga2/icinga2.{debug,vars} of the running
//      daemon: -DConfiguration.CacheDir redirects both in 2.13.6);
//   3. on failure, the files icinga2 names ("Location: in PATH: L:C",
//      "re-defined: in PATH ...") are mapped to the hosts whose changes
//      they are: those hosts are quarantined (their live files stay) and
//      the rest is verified again. When the output names no changed host
//      file, the bisecting search of the Nagios activator finds them;
//   4. swap: each changed file is renamed into output_dir atomically;
//   5. reload: reload_command, with the same pending-marker repair as for
//      Nagios.
//
// `hosts` of the request are the contents of hosts/<bb>/<host>.conf,
// `common` the content of automon.conf; `templates` is ignored (the
// templates are part of automon.conf). The caller holds the activation
// lock (HostStore::lock_path) throughout.
#ifndef AUTOMON_REGISTRAR_ACTIVATION_ICINGA2_H_
#define AUTOMON_REGISTRAR_ACTIVATION_ICINGA2_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "common/result.h"
#include "registrar/activation.h"
#include "registrar/backend.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace automon::registrar {

// The configuration files an `icinga2 daemon -C` output blames, in order
// of appearance, each once: the PATH of every "in PATH: LINE:COL".
std::vector<std::string> Icinga2BlamedFiles(std::string_view output);

class Icinga2Activator final : public StagingActivator {
 public:
  // As StagingActivator's.
  Icinga2Activator(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                   std::string staging_dir, std::string reload_marker);

  Result<ActivationOutcome> Activate(
      const ActivationRequest& request,
      const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) override;
  Result<std::vector<std::string>> LiveHosts() override;
  std::string HostFilePath(const std::string& host) const override;

 private:
  using Changes = FileChanges;

  // Stages `changes` and runs verify_command; sets *reason to what Icinga 2
  // objects to (empty when it accepts) and *blamed to the automon files it
  // names (paths relative to output_dir), each with what it says about it.
  Result<void> Verify(const Changes& changes, std::string* reason,
                      std::map<std::string, std::string>* blamed);
  Result<std::string> StagedConf(const Changes& changes);
  Result<void> ExpandDirectory(const std::string& dir, std::string& out);
  Result<void> CopyZones(const std::string& from, const std::string& to);
  Result<void> RemoveTree(const std::string& dir);
  // Every live host file: (host, path relative to output_dir).
  Result<std::vector<std::pair<std::string, std::string>>> LiveHostFiles();
  FileTree Tree();
  std::string ZonesDir() const;
  std::string Explain(std::string text) const;
};

// backend = icinga2: the Icinga 2 renderer, automon.cfg (commands,
// templates, host group) as the shared file, and the Icinga2Activator
// (staging under <state_dir>/staging-icinga2).
std::unique_ptr<Backend> MakeIcinga2Backend(const Config& config, FileSystem& fs, Disk& disk,
                                            ProcessRunner& runner);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_ACTIVATION_ICINGA2_H_
