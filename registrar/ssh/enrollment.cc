// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/enrollment.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/parse_integer.h"
#include "common/sha256.h"
#include "common/ssh/key.h"
#include "formats/ini.h"
#include "registrar/audit.h"
#include "registrar/store.h"

namespace automon::registrar {
namespace {

// A fingerprint as a file name: base64url, without the prefix.
std::string FingerprintFile(std::string_view fp) {
  std::string name(fp.substr(7));
  std::replace(name.begin(), name.end(), '/', '_');
  std::replace(name.begin(), name.end(), '+', '-');
  return name;
}

std::string Base64Url(const unsigned char* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i + 2 < size; i += 3) {  // callers pass multiples of 3
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  return out;
}

// Compares without an early exit, so timing tells nothing about a ticket.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Enrollment::Enrollment(FileSystem& fs, Disk& disk, std::string state_dir, EnrollmentPolicy policy,
                       std::vector<Network> open_networks, EnrollmentClock clock,
                       std::function<void(const std::string&)> log)
    : fs_(fs),
      disk_(disk),
      dir_(std::move(state_dir) + "/enrollment"),
      policy_(policy),
      open_networks_(std::move(open_networks)),
      clock_(std::move(clock)),
      log_(std::move(log)) {}

std::string Enrollment::Dir(std::string_view sub) const { return fmt::format("{}/{}", dir_, sub); }

Result<void> Enrollment::Initialise() {
  if (auto r = disk_.MakeDirectory(dir_, 0700); !r) return r;
  for (std::string_view sub : {"keys", "by-fingerprint", "pending", "tickets"}) {
    if (auto r = disk_.MakeDirectory(Dir(sub), 0700); !r) return r;
  }
  return {};
}

Result<std::optional<KeyRecord>> Enrollment::ReadRecord(const std::string& path) {
  auto text = fs_.ReadFile(path, 64 << 10);
  if (!text) {
    if (text.error().IsNotFound()) return std::optional<KeyRecord>();
    return text.error();
  }
  std::vector<Diagnostic> diagnostics;
  const auto sections = formats::LexIni(*text, path, diagnostics);
  if (!diagnostics.empty() || sections.size() != 1) {
    return Error{fmt::format("{}: damaged enrollment record", path)};
  }
  KeyRecord record;
  for (const formats::IniEntry& e : sections[0].entries) {
    if (e.key == "host")
      record.host = e.value;
    else if (e.key == "fingerprint")
      record.fingerprint = e.value;
    else if (e.key == "public_key")
      record.public_key = e.value;
    else if (e.key == "peer")
      record.peer = e.value;
    else if (e.key == "when")
      record.when = e.value;
    else if (e.key == "how")
      record.how = e.value;
  }
  if (!automon::ssh::IsFingerprint(record.fingerprint)) {
    return Error{fmt::format("{}: damaged enrollment record", path)};
  }
  return std::optional<KeyRecord>(std::move(record));
}

Result<void> Enrollment::WriteRecord(const std::string& path, const KeyRecord& r) {
  return fs_.WriteFileAtomic(
      path,
      fmt::format("[key]\nhost = {}\nfingerprint = {}\npublic_key = {}\npeer = {}\nwhen = {}\n"
                  "how = {}\n",
                  r.host, r.fingerprint, r.public_key, r.peer, r.when, r.how),
      0600);
}

std::optional<std::string> Enrollment::HostOf(const std::string& fingerprint) {
  if (!automon::ssh::IsFingerprint(fingerprint)) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto host = fs_.ReadFile(Dir("by-fingerprint/") + FingerprintFile(fingerprint), 1024);
  if (!host) return std::nullopt;
  // Only a name in its one canonical spelling counts: "WEB01" is not web01.
  auto canonical = CheckHostName(*host);
  if (!canonical || *canonical != *host) return std::nullopt;
  // The index is only a hint: the host's own record must name this key.
  auto record = ReadRecord(Dir("keys/") + *host);
  if (!record || !*record || (*record)->fingerprint != fingerprint) return std::nullopt;
  return *host;
}

Result<void> Enrollment::Bind(KeyRecord record, std::string how) {
  record.how = std::move(how);
  record.when = clock_.iso8601();
  // An old key of this host loses its index entry first, so that it can
  // never speak for the host again, whatever happens next.
  auto old = ReadRecord(Dir("keys/") + record.host);
  if (!old) return old.error();
  if (*old && (*old)->fingerprint != record.fingerprint) {
    if (auto r = disk_.RemoveFile(Dir("by-fingerprint/") + FingerprintFile((*old)->fingerprint));
        !r) {
      return r;
    }
  }
  if (auto r = WriteRecord(Dir("keys/") + record.host, record); !r) return r;
  if (auto r = fs_.WriteFileAtomic(Dir("by-fingerprint/") + FingerprintFile(record.fingerprint),
                                   record.host, 0600);
      !r) {
    return r;
  }
  return disk_.RemoveFile(Dir("pending/") + record.host);
}

// Records `key` as waiting for an administrator. The first request for a
// name stays until accepted or rejected: a second key asking for the same
// name is refused, so `accept NAME` can never bind a key that slipped in
// after the one the administrator expects. The queue is bounded.
EnrollDecision Enrollment::AddPending(const KeyRecord& key, std::string how,
                                      std::string waiting_message) {
  auto denied = [](std::string why) {
    return EnrollDecision{EnrollStatus::kDenied, std::move(why)};
  };
  auto waiting = ReadRecord(Dir("pending/") + key.host);
  if (!waiting) return denied(waiting.error().message);
  if (*waiting && (*waiting)->fingerprint != key.fingerprint) {
    return denied(
        fmt::format("another key ({}) is already waiting to enroll as {}; an "
                    "administrator must accept or reject it first",
                    (*waiting)->fingerprint, key.host));
  }
  if (!*waiting) {
    auto entries = fs_.ListDirectory(Dir("pending"));
    if (entries && entries->size() >= kMaxPending) {
      return denied(fmt::format("{} enrollment requests are already waiting", kMaxPending));
    }
  }
  KeyRecord pending = key;
  pending.when = clock_.iso8601();
  pending.how = std::move(how);
  if (auto r = WriteRecord(Dir("pending/") + key.host, pending); !r)
    return denied(r.error().message);
  return {EnrollStatus::kPending, std::move(waiting_message)};
}

EnrollDecision Enrollment::Decide(const KeyRecord& key, const std::optional<std::string>& ticket) {
  auto refused = [](std::string why) {
    return EnrollDecision{EnrollStatus::kDenied, std::move(why)};
  };
  if (!automon::ssh::IsFingerprint(key.fingerprint)) return refused("malformed key fingerprint");
  // The key may already speak for a host.
  auto indexed = fs_.ReadFile(Dir("by-fingerprint/") + FingerprintFile(key.fingerprint), 1024);
  if (indexed && *indexed != key.host) {
    return refused(
        fmt::format("this key is enrolled as {}; a key speaks for one host only", *indexed));
  }
  auto existing = ReadRecord(Dir("keys/") + key.host);
  if (!existing) return refused(existing.error().message);
  if (*existing && (*existing)->fingerprint == key.fingerprint) {
    return {EnrollStatus::kAccepted, fmt::format("{} is enrolled with this key", key.host)};
  }
  if (*existing) {
    return AddPending(key, "replace",
                      fmt::format("{} is enrolled with another key ({}); this key waits until an "
                                  "administrator runs 'automon-registrar accept {} --replace'",
                                  key.host, (*existing)->fingerprint, key.host));
  }
  switch (policy_) {
    case EnrollmentPolicy::kOpen: {
      const bool allowed = open_networks_.empty() ||
                           std::any_of(open_networks_.begin(), open_networks_.end(),
                                       [&](const Network& n) { return n.Contains(key.peer); });
      if (!allowed)
        return refused(
            fmt::format("{} is not in the networks open for enrollment", PeerAddress(key.peer)));
      if (auto r = Bind(key, "open"); !r) return refused(r.error().message);
      return {EnrollStatus::kAccepted, fmt::format("{} enrolled (open enrollment)", key.host)};
    }
    case EnrollmentPolicy::kTicket: {
      if (!ticket)
        return refused(
            "enrollment needs a ticket: ask an administrator to run "
            "'automon-registrar ticket " +
            key.host + "'");
      auto stored = fs_.ReadFile(Dir("tickets/") + key.host, 4096);
      if (!stored) return refused(fmt::format("no ticket was issued for {}", key.host));
      std::vector<Diagnostic> diagnostics;
      const auto sections = formats::LexIni(*stored, "ticket", diagnostics);
      std::string hash, expires;
      for (const auto& s : sections) {
        for (const auto& e : s.entries) {
          if (e.key == "sha256") hash = e.value;
          if (e.key == "expires") expires = e.value;
        }
      }
      const int64_t expiry = ParseInteger<int64_t>(expires).value_or(0);
      if (!SameSecret(Sha256Hex(*ticket), hash)) {
        return refused(fmt::format("the ticket is not the one issued for {}", key.host));
      }
      if (clock_.unix_seconds() >= expiry) {
        return refused(fmt::format("the ticket for {} has expired", key.host));
      }
      if (auto r = Bind(key, "ticket"); !r) return refused(r.error().message);
      (void)disk_.RemoveFile(Dir("tickets/") + key.host);  // single use
      return {EnrollStatus::kAccepted, fmt::format("{} enrolled with its ticket", key.host)};
    }
    case EnrollmentPolicy::kManual:
      return AddPending(key, "manual",
                        fmt::format("{} waits for an administrator: 'automon-registrar accept {}'",
                                    key.host, key.host));
  }
  return refused("unknown policy");
}

EnrollDecision Enrollment::Enroll(const KeyRecord& key, const std::optional<std::string>& ticket) {
  std::lock_guard lock(mutex_);
  EnrollDecision decision{EnrollStatus::kDenied, ""};
  KeyRecord canonical = key;
  if (auto host = CheckHostName(key.host); !host) {
    decision = {EnrollStatus::kDenied, host.error().message};
  } else {
    // Every later step, and every file name, uses the canonical spelling,
    // so "WEB01.example.org" can never become a second web01.
    canonical.host = *host;
    decision = Decide(canonical, ticket);
  }
  static constexpr std::array<AuditEvent, 3> kEvents = {
      AuditEvent::kEnrollAccepted, AuditEvent::kEnrollPending, AuditEvent::kEnrollRefused};
  log_(AuditLine(
      {kEvents[static_cast<int>(decision.status)], canonical.host, key.fingerprint, std::nullopt,
       fmt::format("from {} (policy {}): {}", key.peer, PolicyName(policy_), decision.message)}));
  return decision;
}

std::vector<KeyRecord> Enrollment::Pending() {
  std::lock_guard lock(mutex_);
  std::vector<KeyRecord> out;
  auto entries = fs_.ListDirectory(Dir("pending"));
  if (!entries) return out;
  for (const DirectoryEntry& e : *entries) {
    if (e.kind != DirectoryEntry::Kind::kRegular || e.name.front() == '.') continue;
    auto record = ReadRecord(Dir("pending/") + e.name);
    if (record && *record) out.push_back(**record);
  }
  return out;
}

Result<KeyRecord> Enrollment::Accept(const std::string& host, bool replace) {
  std::lock_guard lock(mutex_);
  auto name = CheckHostName(host);
  if (!name) return name.error();
  auto pending = ReadRecord(Dir("pending/") + *name);
  if (!pending) return pending.error();
  if (!*pending) return Error{fmt::format("no pending enrollment for {}", *name)};
  auto existing = ReadRecord(Dir("keys/") + *name);
  if (!existing) return existing.error();
  if (*existing && !replace) {
    return Error{
        fmt::format("{} is enrolled with key {}; to bind it to {} instead, use "
                    "'accept {} --replace'",
                    *name, (*existing)->fingerprint, (*pending)->fingerprint, *name)};
  }
  KeyRecord record = **pending;
  if (auto r = Bind(record, *existing ? "replaced" : "manual"); !r) return r.error();
  log_(AuditLine({AuditEvent::kEnrollAccepted, *name, record.fingerprint, std::nullopt,
                  *existing ? "by an administrator, replacing " + (*existing)->fingerprint
                            : std::string("by an administrator")}));
  return record;
}

Result<void> Enrollment::Reject(const std::string& host) {
  std::lock_guard lock(mutex_);
  auto name = CheckHostName(host);
  if (!name) return name.error();
  auto pending = ReadRecord(Dir("pending/") + *name);
  if (!pending) return pending.error();
  if (!*pending) return Error{fmt::format("no pending enrollment for {}", *name)};
  if (auto r = disk_.RemoveFile(Dir("pending/") + *name); !r) return r;
  log_(AuditLine({AuditEvent::kEnrollRefused, *name, (*pending)->fingerprint, std::nullopt,
                  "rejected by an administrator"}));
  return {};
}

Result<std::string> Enrollment::IssueTicket(const std::string& host, int64_t valid_seconds) {
  std::lock_guard lock(mutex_);
  auto name = CheckHostName(host);
  if (!name) return name.error();
  if (valid_seconds <= 0) return Error{"a ticket must be valid for some time"};
  unsigned char random[24];
  if (::getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
    return SystemError("getrandom", errno, "ticket");
  }
  const std::string ticket = Base64Url(random, sizeof random);
  const int64_t expires = clock_.unix_seconds() + valid_seconds;
  if (auto r = fs_.WriteFileAtomic(
          Dir("tickets/") + *name,
          fmt::format("[ticket]\nsha256 = {}\nexpires = {}\n", Sha256Hex(ticket), expires), 0600);
      !r) {
    return r.error();
  }
  log_(fmt::format("ticket issued for host {}, valid until {}", *name, expires));
  return ticket;
}

}  // namespace automon::registrar
