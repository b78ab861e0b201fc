// SPDX-License-Identifier: GPL-2.0-or-later
// Registrar: the automon-registrar subcommands (table-driven; main.cc only
// parses global options and builds the collaborators). See
// automon-registrar(8).
#ifndef AUTOMON_REGISTRAR_REGISTRAR_H_
#define AUTOMON_REGISTRAR_REGISTRAR_H_

#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "common/file_system.h"
#include "common/process_runner.h"
#include "registrar/activation.h"
#include "registrar/audit.h"
#include "registrar/backend.h"
#include "registrar/config.h"
#include "registrar/disk.h"
#include "registrar/lifecycle.h"
#include "registrar/quarantine_book.h"
#include "registrar/self_check.h"
#include "registrar/store.h"

namespace automon::registrar {

using backends::RenderedHost;
using backends::RenderedService;

// Exit statuses. receive: kOk when every service is active, kPartial when
// some were rejected, kRefused when the whole snapshot was refused or could
// not be activated. Other subcommands: kOk, kPartial (render: some hosts
// quarantined), kRefused (failed).
inline constexpr int kOk = 0;
inline constexpr int kPartial = 1;
inline constexpr int kRefused = 2;
inline constexpr int kUsage = 64;

// How hosts, show and pending print: text for people, or one JSON document
// for scripts (schema in automon-registrar(8), JSON OUTPUT). The exit status
// is the same either way.
enum class OutputFormat { kText, kJson };

// Everything the registrar touches outside its own memory. References must
// outlive the Registrar.
struct Environment {
  FileSystem& fs;
  Disk& disk;
  ProcessRunner& runner;
  std::function<std::string()> now;  // ISO 8601 UTC, for headers and tombstones
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  // Unix seconds, for the lifecycle; null: the system clock. Tests pass a
  // fake clock.
  std::function<int64_t()> now_unix = nullptr;
  // Where the audit trail goes (audit.h), one line per call; null: `err`.
  // The SSH service passes its log: `err` goes back to the agent.
  std::function<void(const std::string&)> log = nullptr;
};

class Registrar {
 public:
  Registrar(const Config& config, const Environment& env);

  // The subcommands (their arguments parsed by the command table,
  // registrar/cli/commands.h). Each returns the exit status.
  int Receive(const std::string& host);
  int Hosts(OutputFormat format = OutputFormat::kText);
  int Show(const std::string& host, OutputFormat format = OutputFormat::kText);
  int Remove(const std::string& host) { return RemoveHost(host, /*tombstone=*/true); }
  // The host's own graceful removal (agent `deregister`, e.g. on purge):
  // as Remove, but without a tombstone, so a reinstalled host registers
  // again. Not a command-line subcommand; for the SSH service.
  int Deregister(const std::string& host) { return RemoveHost(host, /*tombstone=*/false); }
  int Readmit(const std::string& host);
  int Render();
  // `check`: the self-check plugin (self_check.h); reads only the status
  // file, so it works as the engine's user.
  int Check();

  // The lifecycle, for `serve`'s timer (registrar_lifecycle.cc): evaluates
  // every host at the current time for a registrar running since
  // `started_at`, applies the transitions (silent: recorded; disabled:
  // re-rendered with checks off; removed: as `remove`, with an automatic
  // tombstone), logs each in the audit trail, and writes the status file.
  Result<LifecyclePlan> RunLifecycle(int64_t started_at);
  // What a caller that has just read every stored host knows of each, so
  // that WriteStatus need not read every snapshot and lifecycle record
  // again (`render` of 10,000 hosts: 20,000 opens).
  struct HostFacts {
    uint64_t services = 0;
    bool active = true;  // the lifecycle's state is `active`
  };
  // Counts the store's hosts, services, waiting enrollments, ... and
  // writes the status file the self-check reads (0640, group of the
  // engine). `guard_holds`: from the last lifecycle evaluation. Hosts in
  // `known` are counted from it, the others from the store.
  Result<RegistrarStatus> WriteStatus(bool guard_holds,
                                      const std::map<std::string, HostFacts>& known = {});
  // A sign of life without a snapshot (the agent daemon's heartbeat, a
  // passive result): recorded as a push is (last seen now, active at
  // once); a host the lifecycle disabled is rendered with its checks on
  // again. A host that is not registered is an Error. Takes the
  // activation lock.
  Result<void> RecordContact(const std::string& host);

 private:
  int RemoveHost(const std::string& host, bool tombstone, const std::string& reason = "");
  // The host's file for the first backend, its services refused where any
  // backend refuses them and noted where a backend does not check them.
  // `disabled`: the lifecycle's disabled state (checks and notifications
  // off).
  Result<RenderedHost> RenderHost(const formats::Snapshot& snapshot, bool disabled = false) const;
  // The host's file for `backend`; the server's own host gets the
  // self-check service there when `backend` runs plugins.
  Result<RenderedHost> RenderHostWith(const Backend& backend, const formats::Snapshot& snapshot,
                                      bool disabled = false) const;
  // Whether the lifecycle disabled `host` (its record says so; an
  // unreadable record reads as not disabled).
  bool IsDisabled(const std::string& host);
  // Activates the hosts of `snapshots` for each backend after the first
  // (`backend = nagios, prometheus`), those in `disabled` with their checks
  // and notifications off; `commit` commits hosts going live. Returns
  // host -> "Name: why" for each backend that did not take it.
  Result<std::map<std::string, std::vector<std::string>>> ActivateMoreBackends(
      const std::map<std::string, formats::Snapshot>& snapshots,
      const std::set<std::string>& disabled,
      const std::function<Result<void>(const std::vector<std::string>&)>& commit);
  // How the backends after the first see `host`, for hosts and show:
  // (name, quarantine reason or nullopt).
  std::vector<std::pair<std::string, std::optional<std::string>>> MoreBackendStates(
      const std::string& host);
  // The self-check host (self_check.h) for `backend`, one that runs
  // plugins.
  Result<RenderedHost> RenderSelfCheckHost(const Backend& backend) const;
  int64_t NowUnix() const;
  // The host the self-check service goes to; empty: none.
  const std::string& SelfCheckHost() const;
  std::string StatusPath() const;
  // Whether the status file says the mass-silence guard holds: activations
  // between two lifecycle ticks keep what the last tick found.
  bool StatusGuard();
  // After a registration's activation: rewrites the status file only when
  // the check's answer may change (`trouble`: a quarantine or a failure;
  // a silent host that pushed again; or the file is missing or reports a
  // quarantine or a failure), so that a healthy fleet's
  // registrations do not each count the whole store. `serve` refreshes it
  // every minute anyway.
  void RefreshStatusAfterReceive(bool trouble);
  void Audit(AuditEvent event, const std::string& host, std::optional<uint64_t> generation,
             std::string_view reason);
  // Records a push from `host` (its lifecycle record: last seen now,
  // active again at once).
  void Seen(const std::string& host, const formats::Snapshot& snapshot);
  void RecordActivation(bool ok, std::string_view error);
  // Activates `snapshot`'s host file rendered with `disabled` (the
  // lifecycle's disabled state) on its own, in every backend; an Error
  // when the first backend could not activate it or quarantined it.
  // Returns "Name: why" for each other backend that did not take it (it
  // keeps its last file there, as with a registration). The caller holds
  // the lock.
  Result<std::vector<std::string>> ActivateHostState(const formats::Snapshot& snapshot,
                                                     bool disabled);
  // Sets the backend-wide files of a request (Backend::AddSharedFiles).
  Result<void> AddCommonFiles(ActivationRequest& request) const;
  // Activates every pending snapshot together and records each host's
  // ActivationResult. The caller holds the activation lock.
  Result<void> ActivatePending();
  // Render's last step: removes the secrets of a store from before the
  // buckets (HostStore) of the hosts whose live files, in every backend, no
  // longer name them (not in `old_live`, not unreadable), keeping `secrets`.
  Result<void> RemoveLegacySecrets(const std::map<std::string, formats::Snapshot>& loaded,
                                   const std::set<std::string>& unreadable,
                                   const std::set<std::string>& old_live,
                                   const std::map<std::string, std::vector<SecretFile>>& secrets);

  const Config& config_;
  Environment env_;
  // Chosen once from the configuration; declared before store_, which
  // takes its secrets group.
  std::unique_ptr<Backend> backend_;
  HostStore store_;
  Activator* activator_;  // backend_'s
  // SelfCheckHost(), looked up once, possibly from render's threads.
  mutable std::once_flag self_check_once_;
  mutable std::string self_check_host_;
  bool lifecycle_changed_ = false;  // Seen made a host active again: the status changes
  // `backend = A, B, ...`: the backends after the first, each with its
  // quarantine (<state_dir>/quarantine-<name>/); the first keeps the
  // store's, so single-backend state is unchanged.
  struct MoreBackend {
    std::unique_ptr<Backend> backend;
    std::string name;  // "prometheus"
    QuarantineBook quarantine;
  };
  std::vector<MoreBackend> more_backends_;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_REGISTRAR_H_
