// SPDX-License-Identifier: GPL-2.0-or-later
// The snapshot: the one document an agent pushes to a registrar, holding
// the host's identity and every service it registers. It is a protocol
// between machines, and the registrar treats it as hostile: ParseSnapshot
// checks the framing, counts and hash strictly, and re-validates every
// service with the same code that validates definition files.
//
// The exact syntax is specified in monitoring-info(5), section SNAPSHOT
// FORMAT, so that other tools can produce one. In short:
//
//   # automon snapshot; see monitoring-info(5)
//   [automon:snapshot]
//   format = 1
//   host = web01.example.org
//   address = 192.0.2.10          (optional)
//   generation = 42
//   heartbeat = 60                (optional)
//   services = 2
//   sha256 = <64 hex digits: SHA-256 of every byte after this line>
//
//   [automon:removed]             (optional)
//   old-site = deleted
//
//   [apache2]
//   source = /etc/monitoring-info/apache2:1
//   type = http
//   ...
#ifndef AUTOMON_FORMATS_SNAPSHOT_H_
#define AUTOMON_FORMATS_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "common/result.h"
#include "formats/service.h"

namespace automon::formats {

inline constexpr int kSnapshotFormat = 1;
inline constexpr size_t kMaxSnapshotBytes = 4 << 20;
inline constexpr size_t kMaxSnapshotServices = 1000;
// Every service section has at most a few dozen keys.
inline constexpr size_t kMaxSnapshotLines = 64 * (kMaxSnapshotServices + 2);
// The range of the header's `heartbeat` key, in seconds.
inline constexpr int kMinHeartbeatSeconds = 10;
inline constexpr int kMaxHeartbeatSeconds = 3600;

// Why a service the registrar knew is no longer in the snapshot.
enum class RemovalReason {
  kDeleted,         // its file or section is gone
  kDisabled,        // enabled = false
  kExcluded,        // matched the agent's `exclude`
  kPackageRemoved,  // its `package` is not installed
};

std::string_view RemovalReasonName(RemovalReason reason);
std::optional<RemovalReason> RemovalReasonFromName(std::string_view name);

struct Removal {
  std::string service;
  RemovalReason reason = RemovalReason::kDeleted;

  bool operator==(const Removal&) const = default;
};

struct Snapshot {
  std::string host;                    // the host's name (FQDN), RFC 1123
  std::optional<std::string> address;  // where to check it, if not by name
  uint64_t generation = 0;             // grows with every change on the host
  // Set by an agent whose daemon feeds the passive service "automon agent"
  // (formats::kHeartbeatService) every this many seconds; the registrar then
  // renders that service and makes the host's other passive services depend
  // on it. Absent in one-shot pushes and in older agents' snapshots.
  std::optional<int> heartbeat_seconds;
  std::vector<Service> services;
  std::vector<Removal> removed;

  bool operator==(const Snapshot&) const = default;
};

// The wire document, secrets included. Deterministic: the same Snapshot
// always gives the same bytes.
std::string SerializeSnapshot(const Snapshot& snapshot);

// A service section of the document that did not validate: the registrar
// rejects it alone and reports why.
struct RejectedService {
  std::string name;
  std::vector<Diagnostic> diagnostics;

  bool operator==(const RejectedService&) const = default;
};

struct ParsedSnapshot {
  Snapshot snapshot;  // the valid services only
  std::vector<RejectedService> rejected;
  std::vector<Diagnostic> warnings;  // of the valid services

  bool operator==(const ParsedSnapshot&) const = default;
};

// Parses a document named `origin` in diagnostics. Fails as a whole (the
// snapshot is refused) when it is oversized, not in the format, of another
// format version, or when its header, count or hash does not match the
// body: a truncated or altered document can never be taken for a smaller
// host. A section that fails validation rejects that service only.
Result<ParsedSnapshot> ParseSnapshot(std::string_view text, std::string_view origin);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_SNAPSHOT_H_
