// SPDX-License-Identifier: GPL-2.0-or-later
// PrometheusActivator: makes rendered file_sd files live without ever
// letting Prometheus read one that promtool has not accepted (reference
// passive-icinga2-prometheus.md §3.2):
//
//   1. stage: the changed host files go to <staging_dir>/sd, and a staged
//      prometheus.yml whose one job (the scrape example's) reads
//      <staging_dir>/sd/*.json;
//   2. verify: verify_command ({config}: the staged prometheus.yml;
//      default `promtool check config {config}`, which checks every file
//      the glob matches). promtool names the glob, not the file, so the
//      hosts that break it are found by checking them alone
//      (IsolateBreakingHosts): a broken host keeps its last good file;
//   3. swap: each verified file is written to <sd_dir>/<host>.json
//      atomically (a temporary ".<name>.tmp.<pid>" beside it, which the
//      `*.json` glob never matches, then rename): Prometheus never reads
//      an empty or torn file, which would drop the host's targets;
//   4. no reload: Prometheus watches file_sd files itself;
//   5. the Guacamole exporter's targets file (exporter_targets) is
//      rewritten from the live files' Guacamole groups (their
//      __automon_guacamole_* labels: endpoint, username, data source,
//      password file) when it differs, then exporter_reload_command runs.
//      A failure there is an Error after the swap: the files are live.
//
// `hosts` of the request are the files' contents; `common` and
// `templates` are ignored (there are no backend-wide files). The caller
// holds the activation lock (HostStore::lock_path) throughout.
#ifndef AUTOMON_REGISTRAR_ACTIVATION_PROMETHEUS_H_
#define AUTOMON_REGISTRAR_ACTIVATION_PROMETHEUS_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "common/result.h"
#include "registrar/activation.h"
#include "registrar/backend.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace automon::registrar {

class PrometheusActivator final : public StagingActivator {
 public:
  // As StagingActivator's.
  PrometheusActivator(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                      std::string staging_dir, std::string reload_marker);

  Result<ActivationOutcome> Activate(
      const ActivationRequest& request,
      const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) override;
  Result<std::vector<std::string>> LiveHosts() override;
  std::string HostFilePath(const std::string& host) const override;

 private:
  // Stages exactly `changes` (the other staged files removed) and runs
  // verify_command; sets *reason to what promtool says (empty: accepted).
  Result<void> Verify(const FileChanges& changes, std::string* reason);
  Result<std::vector<std::pair<std::string, std::string>>> LiveHostFiles();
  Result<void> UpdateExporterTargets();
  FileTree Tree();
};

// backend = prometheus: the Prometheus renderer (file_sd), no shared
// files, and the PrometheusActivator (staging under
// <state_dir>/staging-prometheus).
std::unique_ptr<Backend> MakePrometheusBackend(const Config& config, FileSystem& fs, Disk& disk,
                                               ProcessRunner& runner);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_ACTIVATION_PROMETHEUS_H_
