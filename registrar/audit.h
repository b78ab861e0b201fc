// SPDX-License-Identifier: GPL-2.0-or-later
// The audit trail: every enrollment decision, registration, removal,
// quarantine and lifecycle change is one line in the log (the journal
// under systemd, else stderr), written by AuditLine and nothing else so
// that the format stays the same everywhere (automon-registrar(8), AUDIT
// TRAIL):
//
//   audit: event=EVENT host=NAME key=FINGERPRINT generation=N reason="TEXT"
//
// Fields always appear in this order; an unknown key or generation is "-";
// the reason is one line, with '"' and '\' escaped by a backslash.
#ifndef AUTOMON_REGISTRAR_AUDIT_H_
#define AUTOMON_REGISTRAR_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "registrar/disk.h"

namespace automon::registrar {

// The events, one word each.
enum class AuditEvent {
  kEnrollAccepted,
  kEnrollPending,
  kEnrollRefused,
  kRegistered,    // a snapshot was activated
  kRefused,       // a registration was refused
  kQuarantined,   // the engine refused the host's configuration
  kRemoved,       // by the administrator (`remove`) or the lifecycle
  kDeregistered,  // by the host itself
  kReadmitted,
  kState,     // a lifecycle state change; the reason says which
  kReturned,  // a push from a host the lifecycle had removed
};
std::string_view AuditEventName(AuditEvent event);

struct AuditEntry {
  AuditEvent event = AuditEvent::kState;
  std::string_view host;
  std::string_view key;  // SHA256:... ; empty: unknown
  std::optional<uint64_t> generation;
  std::string_view reason;
};

// The line, without a trailing newline.
std::string AuditLine(const AuditEntry& entry);

// The fingerprint of the key enrolled for `host` (<state_dir>/enrollment/
// keys/<host>), empty when there is none or it cannot be read: the audit
// trail never fails an operation.
std::string EnrolledKey(Disk& disk, const std::string& state_dir, const std::string& host);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_AUDIT_H_
