// SPDX-License-Identifier: GPL-2.0-or-later
// Activation: how rendered files become live. The shared core (this file):
// the request and outcome of one activation, the Activator every backend
// implements, the StagingActivator they derive from, and the helpers every
// activator uses alike. The backends' own activators: activation_nagios.h,
// activation_icinga2.h, activation_prometheus.h, activation_checkmk.h.
//
// The caller holds the activation lock (HostStore::lock_path) throughout.
#ifndef AUTOMON_REGISTRAR_ACTIVATION_H_
#define AUTOMON_REGISTRAR_ACTIVATION_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "common/result.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace automon::registrar {

struct ActivationRequest {
  // Wanted content of the backend-wide files (Backend::AddSharedFiles;
  // Nagios: automon.cfg and local-templates.cfg; nullopt: leave).
  std::optional<std::string> common;
  std::optional<std::string> templates;
  // host -> wanted content of its file, nullopt to remove the host.
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

// What the backends' activators hold alike: their collaborators, which must
// outlive the activator, and their own `staging_dir` and `reload_marker`
// (a file that records a swap whose reload or activation has not happened
// yet), under the state directory.
class StagingActivator : public Activator {
 protected:
  StagingActivator(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                   std::string staging_dir, std::string reload_marker);

  // Runs the engine's reload (or activate) `command`, `what` naming it in
  // messages: on success removes reload_marker_ and sets *failure (if
  // given) to the empty string. When the command fails: with `failure`,
  // says why there ("the reload command failed (exit status 1): ...");
  // without, returns that as an Error. An Error also when the command
  // cannot be split or run.
  Result<void> RunReloadCommand(const std::string& command, std::string_view what,
                                std::string* failure = nullptr);

  const Config& config_;
  FileSystem& fs_;
  Disk& disk_;
  ProcessRunner& runner_;
  const std::string staging_dir_;
  const std::string reload_marker_;
};

// A file's wanted content; null: the file is removed. Shared, so that the
// subsets of an activation's changes (TreeChanges::With: what is verified,
// what is swapped) copy no content.
using FileContent = std::shared_ptr<const std::string>;
// Path relative to an output directory -> wanted content.
using FileChanges = std::map<std::string, FileContent>;

// The paths of `changes` of files directly in `dir` (relative, no trailing
// '/'), in order: one run of the sorted map, not a look at every change.
std::vector<std::string_view> ChangesIn(const FileChanges& changes, const std::string& dir);

// The live file tree of an engine that reads one file per host plus a few
// backend-wide files from one output directory (Nagios, Icinga 2).
struct FileTree {
  std::string output_dir;
  std::string hosts_dir_name;  // host files live under output_dir/hosts_dir_name
  // A host's file, relative to output_dir.
  std::function<std::string(const std::string& host)> host_file;
  // Every live host file: (host, path relative to output_dir).
  std::function<Result<std::vector<std::pair<std::string, std::string>>>()> live_host_files;
};

// What an activation changes in a FileTree, compared with the live files
// (headers aside: WithoutHeader).
struct TreeChanges {
  FileChanges shared;  // the backend-wide files that differ
  // host (or, for a stray file, its path) -> (path relative to output_dir,
  // wanted content or nullopt)
  std::map<std::string, std::pair<std::string, FileContent>> hosts;
  std::vector<std::string> unchanged;  // hosts whose live file already matches

  // The keys of `hosts`, sorted.
  std::vector<std::string> Hosts() const;
  // The shared changes and those of `names` (keys of `hosts`).
  FileChanges With(const std::vector<std::string>& names) const;
};

// The hosts with a live file in `tree`, sorted.
Result<std::vector<std::string>> LiveHostsOf(const FileTree& tree);

// The changes `request` asks of `tree`; `shared` are the wanted
// backend-wide files (relative path, content; nullopt entries are left).
Result<TreeChanges> CollectTreeChanges(
    FileSystem& fs, const FileTree& tree, const ActivationRequest& request,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& shared);

// Makes `changes` of `tree` live, then reloads: the reload marker first (so
// that a crash from here on leads to a reload, after verification, on the
// next activation), the backend-wide files (new host files may need new
// commands), the host files as one batch, then the removals; `reload`
// removes the marker when it succeeds. With a `staging_dir`, each host file
// was verified as staging_dir/<relative path> with exactly its content, and
// that file is renamed into place (Disk::PublishStagedFiles); without one
// the content is written (Disk::ReplaceFiles). Staged copies of the other
// changes are removed (best effort: staging is scratch).
Result<void> SwapTree(FileSystem& fs, Disk& disk, const FileTree& tree,
                      const std::string& staging_dir, const std::string& reload_marker,
                      const FileChanges& changes, const std::function<Result<void>()>& reload);

// Files an activator reads in whole are at most this long.
inline constexpr size_t kMaxConfigFile = 64 << 20;

// A check of the configuration with exactly the changes of `hosts` (and
// the backend-wide ones): true when accepted, else false with `why` set to
// what the checker said. An Error when the check itself cannot run.
using SubsetCheck =
    std::function<Result<bool>(const std::vector<std::string>& hosts, std::string* why)>;

// Which of `hosts` may go live: all of them when `check` accepts them
// together. Otherwise the configuration without any host's change is
// checked (failing too is an Error: `what` names that configuration, and
// nothing can be activated); then each host alone, and the hosts that pass
// alone together again (if they clash with each other, none goes live).
// The others are added to `quarantined` with the checker's reason.
Result<std::vector<std::string>> IsolateBreakingHosts(
    std::vector<std::string> hosts, std::string_view what, const SubsetCheck& check,
    std::map<std::string, std::string>& quarantined);

// The directory part of `path` ("/" for a top-level entry).
std::string DirName(const std::string& path);
// True when `path` is `dir` or below it.
bool IsInside(const std::string& path, const std::string& dir);
// The lines of a verifier's output that say what is wrong (at most six), or
// its exit status and the tail of its output.
std::string VerifierReason(const ProcessResult& result);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_ACTIVATION_H_
