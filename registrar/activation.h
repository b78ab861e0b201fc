// NagiosActivator: makes rendered files live without ever reloading a
// configuration Nagios has not verified (reference §1.4):
//
//   1. stage: changed files go to <state_dir>/staging, and a staged copy of
//      nagios.cfg includes the live configuration with the automon tree
//      replaced by the staged one;
//   2. verify: verify_command ({config} = the staged nagios.cfg);
//   3. on failure, find the hosts whose change breaks it (quarantine: their
//      live files stay as they were) and verify the rest again;
//   4. swap: each changed file is renamed into output_dir atomically;
//   5. reload: reload_command. A marker file records a swap whose reload has
//      not happened yet, so a crash in between is repaired (after verifying
//      the live files) by the next activation.
//
// The caller holds the activation lock (HostStore::lock_path) throughout.
#ifndef AUTOMON_REGISTRAR_ACTIVATION_H_
#define AUTOMON_REGISTRAR_ACTIVATION_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "common/result.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace automon::registrar {

struct ActivationRequest {
  // Wanted content of automon.cfg and local-templates.cfg (nullopt: leave).
  std::optional<std::string> common;
  std::optional<std::string> templates;
  // host -> wanted content of hosts/<host>.cfg, nullopt to remove the host.
  std::map<std::string, std::optional<std::string>> hosts;
  // Remove every live host file not named in `hosts` (for `render`)...
  bool remove_unlisted_hosts = false;
  // ...except these hosts' (stored hosts `render` could not load or render
  // this time: their last good file stays live).
  std::set<std::string> keep_hosts;
};

struct ActivationOutcome {
  std::vector<std::string> activated;              // hosts whose change is now live
  std::vector<std::string> unchanged;              // hosts whose live file already matched
  std::map<std::string, std::string> quarantined;  // host -> why (nagios -v)
  bool reloaded = false;
};

// What the registrar needs of a backend's activation. The caller holds the
// activation lock (HostStore::lock_path) throughout.
class Activator {
 public:
  virtual ~Activator() = default;

  // Activates what verifies. `before_swap` runs after verification with the
  // hosts about to go live (the caller stores snapshots and writes secret
  // files there); an Error from it aborts before anything live changes.
  // Returns an Error when nothing could be activated for a reason that is
  // not one host's fault (the live configuration does not verify, a file
  // cannot be written, the reload failed), with the verifier's own words.
  virtual Result<ActivationOutcome> Activate(
      const ActivationRequest& request,
      const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) = 0;

  // The hosts with a live file, sorted.
  virtual Result<std::vector<std::string>> LiveHosts() = 0;

  // Where a host's live file is, for `show`.
  virtual std::string HostFilePath(const std::string& host) const = 0;
};

class NagiosActivator final : public Activator {
 public:
  // Collaborators must outlive the activator. `staging_dir` and
  // `reload_marker` are the activator's own, under the state directory.
  NagiosActivator(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                  std::string staging_dir, std::string reload_marker);

  Result<ActivationOutcome> Activate(
      const ActivationRequest& request,
      const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) override;
  Result<std::vector<std::string>> LiveHosts() override;
  std::string HostFilePath(const std::string& host) const override;

 private:
  struct Change {
    std::optional<std::string> content;
  };
  using Changes = std::map<std::string, Change>;  // path relative to output_dir -> change

  // Stages `changes` and runs verify_command; sets *reason to what Nagios
  // objects (empty when it accepts).
  Result<void> Verify(const Changes& changes, std::string* reason);
  Result<std::string> StagedNagiosCfg(const Changes& changes);
  // Every live host file: (host, path relative to output_dir).
  Result<std::vector<std::pair<std::string, std::string>>> LiveHostFiles();
  Result<void> ExpandCfgDir(const std::string& dir, std::string& out);
  Result<void> Reload();

  const Config& config_;
  FileSystem& fs_;
  Disk& disk_;
  ProcessRunner& runner_;
  std::string staging_dir_;
  std::string reload_marker_;
};

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
//   4. swap: each changed file is renamed into conf_dir atomically;
//   5. activate: activate_command ({site} replaced), with the same
//      pending-marker repair as the Nagios reload.
class CheckmkActivator final : public Activator {
 public:
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

  const Config& config_;
  FileSystem& fs_;
  Disk& disk_;
  ProcessRunner& runner_;
  std::string staging_dir_;
  std::string activate_marker_;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_ACTIVATION_H_
