// SPDX-License-Identifier: GPL-2.0-or-later
// HostStore: the registrar's state under state_dir (see automon-registrar(8),
// section FILES):
//
//   hosts/<host>.snapshot       last accepted snapshot (0600; holds secrets)
//   quarantine/<host>           why the host's latest snapshot is not active
//   tombstones/<host>           `remove` was run; registrations are refused
//   pending/<host>.snapshot     validated, waiting for the next activation
//   results/<host>              outcome of the host's last activation
//   lifecycle/<host>            last push, lifecycle state (lifecycle.h);
//                               missing in stores from before it: the host
//                               reads as active, last push unknown
//   last_activation             when the last activation ran, and how
//   secrets/<bucket>/<host>@<service>.<generation>.password
//                               0640 root:<secrets_group>, <bucket> the two
//                               hex digits of backends::HostBucket(host)
//                               (until a host's next activation, a store
//                               from before the buckets may still hold
//                               secrets/<host>/<service>.<generation>.password)
//
// Every write is atomic (FileSystem::WriteFileAtomic): after a crash each
// file holds either its old or its new content. Host names are checked
// before they become paths. Not thread safe; callers serialise with the
// activation lock.
#ifndef AUTOMON_REGISTRAR_STORE_H_
#define AUTOMON_REGISTRAR_STORE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backends/plan.h"
#include "common/file_system.h"
#include "common/result.h"
#include "formats/snapshot.h"
#include "registrar/disk.h"
#include "registrar/lifecycle.h"

namespace automon::registrar {

using backends::SecretFile;

// Accepts RFC 1123 host names and IPv4 addresses (lower-cased), the same
// rule as the snapshot's `host`; anything else is an Error that quotes it.
Result<std::string> CheckHostName(std::string_view name);

// What the store remembers about a removed host.
struct Tombstone {
  std::string removed_at;
  uint64_t generation = 0;  // the last generation accepted before removal
  // Why: empty for an administrator's `remove` (and every tombstone from
  // before the lifecycle), else the lifecycle's reason ("remove_after
  // 30d ..."). A host removed by the lifecycle may come back: its push is
  // accepted and logged as a return.
  std::string reason = {};

  bool automatic() const { return !reason.empty(); }
};

// The outcome of the last activation of any kind (receive, render,
// remove, lifecycle), for the self-check.
struct LastActivation {
  int64_t at = 0;  // unix seconds
  bool ok = true;
  std::string error;  // one line; empty when ok

  bool operator==(const LastActivation&) const = default;
};

// The outcome of one host's activation, for the `receive` waiting on it.
struct ActivationResult {
  uint64_t generation = 0;
  std::string state;   // "active", "quarantined" or "failed"
  std::string reason;  // one line; empty when active

  bool operator==(const ActivationResult&) const = default;
};

// Checks DESIGN.md §4: every service of `stored` that `incoming` no longer
// has must be named in incoming.removed. Services the incoming document
// holds but that failed validation (`rejected_names`) are not missing.
// Returns an Error listing the unaccounted services.
Result<void> CheckRemovals(const formats::Snapshot& stored, const formats::Snapshot& incoming,
                           const std::vector<std::string>& rejected_names);

// What a commit of one host changes in the store (its snapshot, its
// quarantine reason, its secret files), as it was before: HostStore::Restore
// puts it back when the host's files did not go live after all.
struct HostCheckpoint {
  std::string host;
  std::optional<std::string> snapshot;    // the stored file's bytes; nullopt: none
  std::optional<std::string> quarantine;  // nullopt: not quarantined
  std::set<std::string> secret_files;     // paths of the host's secret files
};

class HostStore {
 public:
  // `fs` and `disk` must outlive the store.
  HostStore(FileSystem& fs, Disk& disk, std::string state_dir, std::string secrets_group);

  // Creates the directory tree when missing.
  Result<void> Initialise();

  const std::string& state_dir() const { return state_dir_; }
  std::string secrets_dir() const { return state_dir_ + "/secrets"; }
  std::string lock_path() const { return state_dir_ + "/activation.lock"; }
  // Shared-locked by each registration while it is being received.
  std::string arrivals_lock_path() const { return state_dir_ + "/arrivals.lock"; }
  std::string staging_dir() const { return state_dir_ + "/staging"; }

  // Host names with a stored snapshot, sorted.
  Result<std::vector<std::string>> Hosts();
  // The stored snapshot, nullopt when the host has none. A stored file that
  // does not parse is an Error (never silently an empty host).
  Result<std::optional<formats::Snapshot>> Load(const std::string& host);
  Result<void> Save(const formats::Snapshot& snapshot);
  // Save for many hosts at once, flushed together (Disk::ReplaceFiles: one
  // syncfs before and after the renames for 8 files or more); after a
  // crash each host's snapshot is its old or its new one.
  Result<void> SaveAll(const std::vector<const formats::Snapshot*>& snapshots);
  Result<void> Erase(const std::string& host);
  // The `services` count in the header of the stored snapshot, without
  // parsing or checking the rest (for the status file, which counts every
  // host after every activation). 0 when the host has none.
  Result<uint64_t> StoredServiceCount(const std::string& host);

  Result<std::optional<std::string>> QuarantineReason(const std::string& host);
  Result<void> SetQuarantine(const std::string& host, const std::string& reason);
  Result<void> ClearQuarantine(const std::string& host);
  // The hosts with a quarantine reason (one listing, for a render that
  // would otherwise try to clear one per host).
  Result<std::set<std::string>> QuarantinedHosts();

  Result<std::optional<Tombstone>> LoadTombstone(const std::string& host);
  Result<void> SaveTombstone(const std::string& host, const Tombstone& tombstone);
  Result<void> EraseTombstone(const std::string& host);

  // The host's lifecycle record. A host with a snapshot but no record (a
  // store written before the lifecycle) reads as LifecycleRecord{}:
  // active, last push unknown. A damaged record is an Error.
  Result<LifecycleRecord> LoadLifecycle(const std::string& host);
  Result<void> SaveLifecycle(const std::string& host, const LifecycleRecord& record);
  Result<void> EraseLifecycle(const std::string& host);

  Result<std::optional<LastActivation>> LoadLastActivation();
  Result<void> SaveLastActivation(const LastActivation& activation);

  // Snapshots validated by `receive` and waiting for an activation.
  Result<void> SavePending(const formats::Snapshot& snapshot);
  Result<std::optional<formats::Snapshot>> LoadPending(const std::string& host);
  Result<std::vector<std::string>> PendingHosts();
  Result<void> ErasePending(const std::string& host);

  Result<void> SaveResult(const std::string& host, const ActivationResult& result);
  // SaveResult for many hosts, flushed together as SaveAll does.
  Result<void> SaveResults(const std::map<std::string, ActivationResult>& results);
  Result<std::optional<ActivationResult>> LoadResult(const std::string& host);
  Result<void> EraseResult(const std::string& host);

  // Writes each secret file (0640, group secrets_group when it exists;
  // the file has both before it is renamed into place). A file whose
  // content, mode and group are already right is left untouched.
  Result<void> WriteSecrets(const std::string& host, const std::vector<SecretFile>& secrets);
  // WriteSecrets for many hosts, flushed to disk once for all of them.
  Result<void> WriteAllSecrets(const std::map<std::string, std::vector<SecretFile>>& secrets);
  // Removes the host's secret files except those in `keep` (paths), and
  // its directory from before the buckets (see above).
  Result<void> PruneSecrets(const std::string& host, const std::vector<SecretFile>& keep);
  // The hosts that still have a directory of secrets from before the
  // buckets: every directory of secrets/ not named like a bucket, and those
  // named like one that are in `registered`. Each goes with its next
  // PruneSecrets, once no live file of a backend names its old secrets.
  Result<std::vector<std::string>> LegacySecretHosts(const std::set<std::string>& registered);

  // The host's state as it is now, and back to it: Restore rewrites (or
  // removes) the snapshot and the quarantine reason and removes the secret
  // files that were not there. A host is active only once its files are
  // live; the registrar restores the hosts of a batch whose swap failed.
  Result<HostCheckpoint> Checkpoint(const std::string& host);
  Result<void> Restore(const HostCheckpoint& checkpoint);

 private:
  std::string SnapshotPath(const std::string& host) const;
  std::string SecretsBucket(const std::string& host) const;
  std::string LegacySecretsDir(const std::string& host) const;
  struct SecretListing {
    std::set<std::string> paths;  // the host's secret files, in its bucket or its old directory
    bool legacy_dir = false;      // it has a directory from before the buckets
  };
  Result<SecretListing> SecretFilesOf(const std::string& host);
  Result<void> RemoveSecretsExcept(const std::string& host, const std::set<std::string>& keep);
  Result<std::optional<formats::Snapshot>> LoadSnapshotFile(const std::string& path,
                                                            const std::string& host);

  FileSystem& fs_;
  Disk& disk_;
  std::string state_dir_;
  std::string secrets_group_;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_STORE_H_
