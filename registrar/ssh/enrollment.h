// SPDX-License-Identifier: GPL-2.0-or-later
// Enrollment: which SSH key may speak for which host (DESIGN.md §5).
//
// State under <state_dir>/enrollment/ (every write atomic):
//   keys/<host>              the enrolled key of <host>: fingerprint, public key, when, how
//   by-fingerprint/<fp>      <host>, an index (fp in base64url, without "SHA256:")
//   pending/<host>           a key that asked to enroll as <host> and waits for an admin
//   tickets/<host>           SHA-256 of a ticket for <host> and its expiry
//
// A key speaks for one host only; a host has one key. A known host name
// presented with another key is never re-bound silently: it becomes a
// pending request that only `accept NAME --replace` grants. Thread safe
// (one mutex); the files are the truth, so decisions made by another
// process (`automon-registrar accept`) are seen at once.
#ifndef AUTOMON_REGISTRAR_SSH_ENROLLMENT_H_
#define AUTOMON_REGISTRAR_SSH_ENROLLMENT_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/network.h"
#include "common/result.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace automon::registrar {

struct KeyRecord {
  std::string host;
  std::string fingerprint;  // SHA256:...
  std::string public_key;   // ssh-ed25519 AAAA...
  std::string peer;         // where it came from
  std::string when;         // ISO 8601 UTC
  std::string how;          // open, ticket, manual, replaced

  bool operator==(const KeyRecord&) const = default;
};

enum class EnrollStatus { kAccepted, kPending, kDenied };

struct EnrollDecision {
  EnrollStatus status;
  std::string message;  // for the agent and the log

  bool operator==(const EnrollDecision&) const = default;
};

struct EnrollmentClock {
  std::function<std::string()> iso8601;  // "2026-11-21T15:00:00Z"
  std::function<int64_t()> unix_seconds;
};

class Enrollment {
 public:
  // `log` receives one line per decision. All references must outlive this.
  Enrollment(FileSystem& fs, Disk& disk, std::string state_dir, EnrollmentPolicy policy,
             std::vector<Network> open_networks, EnrollmentClock clock,
             std::function<void(const std::string&)> log);

  Result<void> Initialise();

  // The host the key with `fingerprint` is enrolled for.
  std::optional<std::string> HostOf(const std::string& fingerprint);

  // An agent asks to enroll `key.host` with `key` (fingerprint, public key,
  // peer filled in). `ticket` is what it presented, if anything.
  EnrollDecision Enroll(const KeyRecord& key, const std::optional<std::string>& ticket);

  std::vector<KeyRecord> Pending();
  // Grants the pending request of `host`. A host that already has a key
  // needs `replace`.
  Result<KeyRecord> Accept(const std::string& host, bool replace);
  Result<void> Reject(const std::string& host);
  // A fresh single-use ticket for `host`, valid for `valid_seconds`. Only
  // its hash is stored.
  Result<std::string> IssueTicket(const std::string& host, int64_t valid_seconds);

 private:
  std::string Dir(std::string_view sub) const;
  Result<std::optional<KeyRecord>> ReadRecord(const std::string& path);
  Result<void> WriteRecord(const std::string& path, const KeyRecord& record);
  Result<void> Bind(KeyRecord record, std::string how);
  EnrollDecision Decide(const KeyRecord& key, const std::optional<std::string>& ticket);
  EnrollDecision AddPending(const KeyRecord& key, std::string how, std::string waiting_message);

  static constexpr size_t kMaxPending = 1000;

  FileSystem& fs_;
  Disk& disk_;
  std::string dir_;
  EnrollmentPolicy policy_;
  std::vector<Network> open_networks_;
  EnrollmentClock clock_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_SSH_ENROLLMENT_H_
