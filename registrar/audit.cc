// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/audit.h"

#include <fmt/format.h>

#include <array>
#include <utility>
#include <vector>

#include "common/text.h"
#include "formats/ini.h"

namespace automon::registrar {
namespace {

constexpr std::array<std::pair<AuditEvent, std::string_view>, 11> kEvents = {{
    {AuditEvent::kEnrollAccepted, "enroll-accepted"},
    {AuditEvent::kEnrollPending, "enroll-pending"},
    {AuditEvent::kEnrollRefused, "enroll-refused"},
    {AuditEvent::kRegistered, "registered"},
    {AuditEvent::kRefused, "refused"},
    {AuditEvent::kQuarantined, "quarantined"},
    {AuditEvent::kRemoved, "removed"},
    {AuditEvent::kDeregistered, "deregistered"},
    {AuditEvent::kReadmitted, "readmitted"},
    {AuditEvent::kState, "state"},
    {AuditEvent::kReturned, "returned"},
}};

// A field value that must stay one word: anything else becomes '?'.
std::string Word(std::string_view text) {
  if (text.empty()) return "-";
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':' || c == '+' || c == '/' ||
                    c == '=';
    out += ok ? c : '?';
  }
  return out;
}

}  // namespace

std::string_view AuditEventName(AuditEvent event) {
  for (const auto& [e, name] : kEvents) {
    if (e == event) return name;
  }
  return "state";
}

std::string AuditLine(const AuditEntry& entry) {
  std::string reason;
  for (char c : OneLine(entry.reason, ' ')) {
    if (c == '"' || c == '\\') reason += '\\';
    reason += c;
  }
  return fmt::format("audit: event={} host={} key={} generation={} reason=\"{}\"",
                     AuditEventName(entry.event), Word(entry.host), Word(entry.key),
                     entry.generation ? std::to_string(*entry.generation) : "-", reason);
}

std::string EnrolledKey(Disk& disk, const std::string& state_dir, const std::string& host) {
  const std::string path = state_dir + "/enrollment/keys/" + host;
  auto text = disk.ReadStateFile(path, 16384);
  if (!text) return "";
  std::vector<Diagnostic> diagnostics;
  for (const formats::IniSection& section : formats::LexIni(*text, path, diagnostics)) {
    for (const formats::IniEntry& e : section.entries) {
      if (e.key == "fingerprint") return e.value;
    }
  }
  return "";
}

}  // namespace automon::registrar
