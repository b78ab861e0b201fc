// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>

#include "common/parse_integer.h"
#include "common/sha256.h"
#include "common/text.h"
#include "formats/ini.h"
#include "formats/parser.h"
#include "formats/schema.h"

namespace automon::formats {
namespace {

constexpr std::string_view kHeaderSection = "automon:snapshot";
constexpr std::string_view kRemovedSection = "automon:removed";
constexpr std::string_view kHashKey = "sha256";
constexpr std::string_view kPreamble = "# automon snapshot; see monitoring-info(5)\n";

constexpr std::array<std::pair<RemovalReason, std::string_view>, 4> kReasons = {{
    {RemovalReason::kDeleted, "deleted"},
    {RemovalReason::kDisabled, "disabled"},
    {RemovalReason::kExcluded, "excluded"},
    {RemovalReason::kPackageRemoved, "package-removed"},
}};

std::string Body(const Snapshot& snapshot) {
  std::string body;
  if (!snapshot.removed.empty()) {
    body += fmt::format("\n[{}]\n", kRemovedSection);
    for (const Removal& r : snapshot.removed) {
      body += fmt::format("{} = {}\n", r.service, RemovalReasonName(r.reason));
    }
  }
  for (const Service& service : snapshot.services) {
    body += '\n';
    body += FormatService(service, /*reveal_secrets=*/true, /*with_source=*/true);
  }
  return body;
}

std::optional<uint64_t> ParseCount(std::string_view s) {
  if (s.size() > 19 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  const Result<uint64_t> n = ParseInteger<uint64_t>(s);
  if (!n) return std::nullopt;
  return *n;
}

// The byte offset just past line `line` (1-based) of `text`.
size_t OffsetAfterLine(std::string_view text, int line) {
  size_t offset = 0;
  for (int i = 0; i < line && offset != std::string_view::npos; ++i) {
    offset = text.find('\n', offset);
    if (offset != std::string_view::npos) ++offset;
  }
  return offset == std::string_view::npos ? text.size() : offset;
}

}  // namespace

std::string_view RemovalReasonName(RemovalReason reason) {
  for (const auto& [r, name] : kReasons) {
    if (r == reason) return name;
  }
  return "deleted";
}

std::optional<RemovalReason> RemovalReasonFromName(std::string_view name) {
  for (const auto& [r, n] : kReasons) {
    if (n == name) return r;
  }
  return std::nullopt;
}

std::string SerializeSnapshot(const Snapshot& snapshot) {
  const std::string body = Body(snapshot);
  std::string out(kPreamble);
  out +=
      fmt::format("[{}]\nformat = {}\nhost = {}\n", kHeaderSection, kSnapshotFormat, snapshot.host);
  if (snapshot.address) out += fmt::format("address = {}\n", *snapshot.address);
  out += fmt::format("generation = {}\n", snapshot.generation);
  if (snapshot.heartbeat_seconds)
    out += fmt::format("heartbeat = {}\n", *snapshot.heartbeat_seconds);
  out +=
      fmt::format("services = {}\n{} = {}\n", snapshot.services.size(), kHashKey, Sha256Hex(body));
  return out + body;
}

Result<ParsedSnapshot> ParseSnapshot(std::string_view text, std::string_view origin) {
  auto refuse = [&](std::string why) {
    return Error{fmt::format("{}: snapshot refused: {}", origin, why)};
  };
  if (text.size() > kMaxSnapshotBytes) {
    return refuse(fmt::format("{} bytes is over the limit of {}", text.size(), kMaxSnapshotBytes));
  }
  // Bound the work before lexing: a document with more sections or lines
  // than kMaxSnapshotServices services can have is refused in one pass,
  // whatever it holds (a 4 MiB run of "a=" lines must not cost gigabytes).
  {
    size_t lines = 0, headers = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if (i == 0 || text[i - 1] == '\n') {
        ++lines;
        if (text[i] == '[') ++headers;
      }
    }
    if (headers > kMaxSnapshotServices + 2 || lines > kMaxSnapshotLines) {
      return refuse(fmt::format("{} sections and {} lines exceed what {} services can take",
                                headers, lines, kMaxSnapshotServices));
    }
  }
  std::vector<Diagnostic> lex_errors;
  const std::vector<IniSection> sections = LexIni(text, origin, lex_errors);
  // Lexing errors in the body are reported after the hash check, which
  // names the likelier cause (a truncated or altered document).
  auto first_lex_error_before = [&](int line) -> std::optional<Error> {
    if (lex_errors.empty() || lex_errors.front().loc.line > line) return std::nullopt;
    return refuse(lex_errors.front().Render());
  };
  if (sections.empty() || sections.front().name != kHeaderSection ||
      sections.front().entries.empty()) {
    if (auto e = first_lex_error_before(INT32_MAX)) return *e;
    return refuse(fmt::format("it does not start with a [{}] section", kHeaderSection));
  }

  // The header: exactly these keys, in this order (address and heartbeat
  // optional).
  const IniSection& header = sections.front();
  if (auto e = first_lex_error_before(header.entries.back().key_loc.line)) return *e;
  const std::vector<std::pair<std::string_view, bool>> keys = {
      {"format", false},   {"host", false},     {"address", true}, {"generation", false},
      {"heartbeat", true}, {"services", false}, {kHashKey, false}};
  size_t entry = 0;
  for (const auto& [key, optional] : keys) {
    if (entry < header.entries.size() && header.entries[entry].key == key) {
      ++entry;
    } else if (!optional) {
      if (entry >= header.entries.size()) {
        return refuse(
            "the header must hold format, host, [address,] generation, [heartbeat,] services "
            "and sha256, in this order");
      }
      return refuse(fmt::format("{}: expected '{}' in the header, found '{}'",
                                header.entries[entry].key_loc.ToString(), key,
                                Abbreviate(header.entries[entry].key)));
    }
  }
  if (entry != header.entries.size()) {
    return refuse(fmt::format("{}: unexpected '{}' in the header",
                              header.entries[entry].key_loc.ToString(),
                              Abbreviate(header.entries[entry].key)));
  }
  auto has = [&](std::string_view key) {
    for (const IniEntry& e : header.entries) {
      if (e.key == key) return true;
    }
    return false;
  };
  auto value = [&](std::string_view key) -> const IniEntry& {
    for (const IniEntry& e : header.entries) {
      if (e.key == key) return e;
    }
    return header.entries.front();  // unreachable: the keys were checked above
  };
  if (value("format").value != std::to_string(kSnapshotFormat)) {
    return refuse(fmt::format("format '{}' is not supported (this registrar reads format {})",
                              Abbreviate(value("format").value), kSnapshotFormat));
  }

  ParsedSnapshot parsed;
  Snapshot& snapshot = parsed.snapshot;
  const KeySpec host_spec{"host", ValueKind::kHostName};
  auto host = NormaliseValue(host_spec, value("host").value);
  if (!host) return refuse(host.error().message);
  if (auto length = CheckRegisteredHostNameLength(*host); !length) {
    return refuse(length.error().message);
  }
  snapshot.host = *host;
  if (has("address")) {
    auto address = NormaliseValue(HostKey(), value("address").value);
    if (!address) return refuse(address.error().message);
    snapshot.address = *address;
  }
  const auto generation = ParseCount(value("generation").value);
  if (!generation) {
    return refuse(fmt::format("invalid generation '{}'", Abbreviate(value("generation").value)));
  }
  snapshot.generation = *generation;
  if (has("heartbeat")) {
    const std::string& raw = value("heartbeat").value;
    const auto heartbeat = ParseCount(raw);
    if (!heartbeat || *heartbeat < kMinHeartbeatSeconds || *heartbeat > kMaxHeartbeatSeconds) {
      return refuse(fmt::format("invalid heartbeat '{}' (seconds, {} to {})", Abbreviate(raw),
                                kMinHeartbeatSeconds, kMaxHeartbeatSeconds));
    }
    snapshot.heartbeat_seconds = static_cast<int>(*heartbeat);
  }
  const auto count = ParseCount(value("services").value);
  if (!count || *count > kMaxSnapshotServices) {
    return refuse(fmt::format("invalid service count '{}' (at most {})",
                              Abbreviate(value("services").value), kMaxSnapshotServices));
  }

  const IniEntry& hash = value(kHashKey);
  const std::string_view body = text.substr(OffsetAfterLine(text, hash.key_loc.line));
  const std::string actual = Sha256Hex(body);
  if (hash.value != actual) {
    return refuse(
        fmt::format("content hash mismatch: the header says {}, the content is {} "
                    "(truncated or altered in transit?)",
                    Abbreviate(hash.value), actual));
  }
  if (auto e = first_lex_error_before(INT32_MAX)) return *e;

  size_t service_sections = 0;
  snapshot.services.reserve(std::min<size_t>(*count, sections.size()));
  std::set<std::string> removed_names;
  int suggestions_left = kMaxSuggestionsPerDocument;
  for (size_t i = 1; i < sections.size(); ++i) {
    const IniSection& section = sections[i];
    if (section.name == kRemovedSection) {
      if (i != 1) return refuse(fmt::format("[{}] must follow the header", kRemovedSection));
      for (const IniEntry& e : section.entries) {
        const auto reason = RemovalReasonFromName(e.value);
        if (!IsValidServiceName(e.key) || !reason) {
          return refuse(fmt::format("{}: invalid removal '{} = {}'", e.key_loc.ToString(),
                                    Abbreviate(e.key), Abbreviate(e.value)));
        }
        if (!removed_names.insert(e.key).second) {
          return refuse(
              fmt::format("{}: service '{}' is removed twice", e.key_loc.ToString(), e.key));
        }
        snapshot.removed.push_back({e.key, *reason});
      }
      continue;
    }
    if (section.name.starts_with("automon:")) {
      return refuse(fmt::format("{}: unknown section [{}]", section.loc.ToString(),
                                Abbreviate(section.name)));
    }
    ++service_sections;
    std::vector<Diagnostic> diagnostics;
    if (auto service =
            ParseService(section, ParseMode::kSnapshot, diagnostics, &suggestions_left)) {
      if (removed_names.count(service->name)) {
        return refuse(fmt::format("service '{}' is both present and removed", service->name));
      }
      parsed.warnings.insert(parsed.warnings.end(), diagnostics.begin(), diagnostics.end());
      snapshot.services.push_back(std::move(*service));
    } else {
      parsed.rejected.push_back({section.name, std::move(diagnostics)});
    }
  }
  if (service_sections != *count) {
    return refuse(fmt::format("the header announces {} services but {} are present", *count,
                              service_sections));
  }
  std::vector<Diagnostic> duplicates;
  RejectDuplicateServices(snapshot.services, duplicates);
  if (!duplicates.empty()) {
    return refuse(
        fmt::format("{}: {}", duplicates.front().loc.ToString(), duplicates.front().message));
  }
  return parsed;
}

}  // namespace automon::formats
