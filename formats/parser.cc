// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <map>
#include <memory_resource>
#include <set>

#include "common/parse_integer.h"
#include "common/spelling.h"
#include "common/text.h"
#include "formats/schema.h"

namespace automon::formats {
namespace {

constexpr std::string_view kSourceKey = "source";

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string TypeList() {
  std::string out;
  for (const TypeSpec& t : AllTypes()) {
    if (!out.empty()) out += ", ";
    out += t.name;
  }
  return out;
}

// "source = path:line" of a snapshot section.
std::optional<SourceLocation> ParseSource(std::string_view value) {
  const size_t colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 4096) return std::nullopt;
  const std::string_view path = value.substr(0, colon);
  const std::string_view line = value.substr(colon + 1);
  const bool path_ok = std::all_of(path.begin(), path.end(), [](char c) {
    return IsAlnum(c) || std::string_view("._+/@-").find(c) != std::string_view::npos;
  });
  const Result<int> number = ParseInteger(line, 1, std::numeric_limits<int>::max());
  if (!path_ok || !number) return std::nullopt;
  return SourceLocation{std::string(path), *number, 0};
}

// The keys of another type that `key` belongs to, for "does not apply" hints.
bool IsKeyOfAnyType(std::string_view key) {
  return std::any_of(AllTypes().begin(), AllTypes().end(),
                     [&](const TypeSpec& t) { return FindKey(t.type, key) != nullptr; });
}

class SectionParser {
 public:
  SectionParser(const IniSection& section, ParseMode mode, std::vector<Diagnostic>& diagnostics,
                int* suggestions_left)
      : section_(section),
        mode_(mode),
        diagnostics_(diagnostics),
        suggestions_left_(suggestions_left) {}

  std::optional<Service> Parse();

 private:
  void Error(const SourceLocation& loc, const std::string& line, std::string message) {
    if (IsSecretLine(line)) {  // never show a password, not even in an error
      diagnostics_.push_back({Severity::kError, {loc.file, loc.line, 0}, std::move(message), ""});
    } else {
      diagnostics_.push_back({Severity::kError, loc, std::move(message), line});
    }
    ++errors_;
  }
  void SectionError(std::string message) { Error(section_.loc, section_.line, std::move(message)); }
  // Warnings are advice about a valid section; a section with errors gets
  // only its errors (see Parse()).
  void SectionWarning(std::string message) {
    warnings_.push_back({Severity::kWarning, section_.loc, std::move(message), section_.line});
  }
  bool Given(std::string_view key) const { return given_.count(key) != 0; }
  void Store(const KeySpec& spec, std::string value);
  void ApplyDefaults();
  void CheckCombinations();
  // SuggestNearMiss within the document's budget.
  std::optional<std::string> Suggest(std::string_view word,
                                     std::span<const std::string_view> candidates) {
    if (suggestions_left_ != nullptr) {
      if (*suggestions_left_ <= 0) return std::nullopt;
      --*suggestions_left_;
    }
    return SuggestNearMiss(word, candidates);
  }

  const IniSection& section_;
  ParseMode mode_;
  std::vector<Diagnostic>& diagnostics_;
  int* suggestions_left_;
  int errors_ = 0;
  std::vector<Diagnostic> warnings_;
  Service service_;
  // The section's keys (views into section_, which outlives the parser).
  std::map<std::string_view, const IniEntry*, std::less<>> given_;
};

std::optional<Service> SectionParser::Parse() {
  if (!IsValidServiceName(section_.name)) {
    SectionError(fmt::format(
        "invalid service name '{}': use letters, digits, '.', '_' and '-', starting with a "
        "letter or digit, at most 64",
        Abbreviate(section_.name)));
  }
  service_.name = section_.name;
  service_.loc = {section_.loc.file, section_.loc.line, 0};

  std::vector<const IniEntry*> entries;
  for (const IniEntry& entry : section_.entries) {
    auto [it, inserted] = given_.emplace(entry.key, &entry);
    if (!inserted) {
      Error(entry.key_loc, entry.line,
            fmt::format("duplicate key '{}' in service '{}' (first set at line {})",
                        Abbreviate(entry.key), section_.name, it->second->key_loc.line));
      continue;
    }
    entries.push_back(&entry);
  }

  auto type_entry = given_.find("type");
  if (type_entry == given_.end()) {
    SectionError(
        fmt::format("service '{}' has no 'type'; expected one of: {}", section_.name, TypeList()));
    return std::nullopt;
  }
  const IniEntry& type_line = *type_entry->second;
  const auto type = TypeFromName(type_line.value);
  if (!type) {
    std::vector<std::string_view> names;
    for (const TypeSpec& t : AllTypes()) names.push_back(t.name);
    if (auto near = Suggest(type_line.value, names)) {
      Error(
          type_line.value_loc, type_line.line,
          fmt::format("unknown type '{}', did you mean '{}'?", Abbreviate(type_line.value), *near));
    } else {
      Error(type_line.value_loc, type_line.line,
            fmt::format("unknown type '{}'; expected one of: {}", Abbreviate(type_line.value),
                        TypeList()));
    }
    return std::nullopt;
  }
  service_.type = *type;
  const std::string_view type_name = TypeName(*type);

  for (const IniEntry* entry : entries) {
    if (entry->key == "type") continue;
    if (entry->key == kSourceKey && mode_ == ParseMode::kSnapshot) {
      if (auto loc = ParseSource(entry->value)) {
        service_.loc = *loc;
      } else {
        Error(entry->value_loc, entry->line,
              fmt::format("invalid value '{}' for 'source': expected path:line",
                          Abbreviate(entry->value)));
      }
      continue;
    }
    const KeySpec* spec = FindKey(*type, entry->key);
    if (spec == nullptr) {
      const auto names = KeyNames(*type);
      if (auto near = Suggest(entry->key, names)) {
        Error(entry->key_loc, entry->line,
              fmt::format("unknown key '{}' for type {}, did you mean '{}'?",
                          Abbreviate(entry->key), type_name, *near));
      } else if (IsKeyOfAnyType(entry->key)) {
        Error(entry->key_loc, entry->line,
              fmt::format("key '{}' does not apply to type {}", entry->key, type_name));
      } else {
        Error(entry->key_loc, entry->line,
              fmt::format("unknown key '{}' for type {}", Abbreviate(entry->key), type_name));
      }
      continue;
    }
    auto value = NormaliseValue(*spec, entry->value);
    if (!value) {
      Error(entry->value_loc, entry->line, value.error().message);
      continue;
    }
    Store(*spec, std::move(*value));
  }
  if (mode_ == ParseMode::kSnapshot && !Given(kSourceKey)) {
    SectionError(fmt::format("service '{}' has no 'source'", section_.name));
  }

  for (const KeySpec& spec : SpecFor(*type).keys) {
    if (spec.mandatory && !Given(spec.name)) {
      SectionError(
          fmt::format("service '{}' of type {} needs '{}'", section_.name, type_name, spec.name));
    }
  }
  ApplyDefaults();
  CheckCombinations();
  if (errors_ > 0) return std::nullopt;
  diagnostics_.insert(diagnostics_.end(), warnings_.begin(), warnings_.end());
  return std::move(service_);
}

void SectionParser::Store(const KeySpec& spec, std::string value) {
  if (spec.name == "description")
    service_.description = std::move(value);
  else if (spec.name == "enabled")
    service_.enabled = value == "true";
  else if (spec.name == "package")
    service_.package = std::move(value);
  else if (spec.name == "host")
    service_.host = std::move(value);
  else if (spec.kind == ValueKind::kSecret)
    service_.password = Secret(std::move(value));
  else
    service_.settings[std::string(spec.name)] = std::move(value);
}

void SectionParser::ApplyDefaults() {
  if (!Given("description")) service_.description = service_.name;
  const TypeSpec& type = SpecFor(service_.type);
  // Only a given 'ssl' can be true: its own default is false.
  const bool ssl = service_.Get("ssl") == "true";
  auto fill = [&](const KeySpec& spec) {
    if (Given(spec.name) || !spec.default_value) return;
    service_.settings[std::string(spec.name)] =
        std::string(ssl && spec.ssl_default_value ? *spec.ssl_default_value : *spec.default_value);
  };
  if (type.ssl_keys) {
    for (const KeySpec& spec : SslKeys()) fill(spec);
  }
  for (const KeySpec& spec : type.keys) fill(spec);
  // A command service's freshness follows its interval (contract of #15).
  if (service_.type == ServiceType::kCommand && !Given("freshness") && service_.Get("interval")) {
    if (auto interval = ParseInteger<int64_t>(*service_.Get("interval"))) {
      service_.settings["freshness"] = std::to_string(2 * *interval + 60);
    }
  }
}

void SectionParser::CheckCombinations() {
  const std::string_view name = section_.name;
  const ServiceType type = service_.type;
  // What the file gives, valid or not: a bad value is reported once, as
  // itself, not again as a missing partner key.
  auto has = [&](std::string_view key) { return Given(key); };

  if (type == ServiceType::kUdp) {
    if (has("send") != has("expect")) {
      SectionError(
          fmt::format("udp service '{}': 'send' and 'expect' go together; give both "
                      "or neither",
                      name));
    } else if (!has("send")) {
      SectionWarning(fmt::format(
          "udp service '{}' has no 'send' and 'expect': a UDP port cannot be probed without a "
          "request and its reply, so the service is registered in state UNKNOWN until both "
          "are set",
          name));
    }
  }
  if (SpecFor(type).ssl_keys && service_.Get("ssl") != "true") {
    for (std::string_view key : {"ssl_hostname", "expire_before_days"}) {
      if (has(key)) {
        SectionWarning(
            fmt::format("service '{}': '{}' has no effect without 'ssl = true'", name, key));
      }
    }
    if (has("ignore_invalid_ssl") && service_.Get("ignore_invalid_ssl") == "true") {
      SectionWarning(fmt::format(
          "service '{}': 'ignore_invalid_ssl' has no effect without 'ssl = true'", name));
    }
  }
  if (type == ServiceType::kSmtp && has("mailflowid") && !has("email")) {
    SectionError(fmt::format(
        "smtp service '{}': 'mailflowid' needs 'email', the address the token mail is sent to",
        name));
  }
  if ((type == ServiceType::kImap || type == ServiceType::kPop3) && has("mailflowid") &&
      !(has("username") && has("password"))) {
    SectionError(fmt::format(
        "{} service '{}': 'mailflowid' needs 'username' and 'password' to collect the token "
        "mails",
        TypeName(type), name));
  }
  if ((type == ServiceType::kImap || type == ServiceType::kPop3 || type == ServiceType::kLdap ||
       type == ServiceType::kHaproxy) &&
      has("username") != has("password")) {
    SectionError(fmt::format("{} service '{}': 'username' and 'password' go together",
                             TypeName(type), name));
  }
  if (type == ServiceType::kCommand && has("freshness") && service_.Get("freshness") &&
      service_.Get("interval")) {
    const auto freshness = ParseInteger<int64_t>(*service_.Get("freshness"));
    const auto interval = ParseInteger<int64_t>(*service_.Get("interval"));
    if (freshness && interval && *freshness <= *interval) {
      const IniEntry& entry = *given_.at("freshness");
      Error(entry.value_loc, entry.line,
            fmt::format("command service '{}': freshness {} must be greater than interval {} "
                        "(default: 2 x interval + 60 = {})",
                        name, *freshness, *interval, 2 * *interval + 60));
    }
  }
  if (type == ServiceType::kGuacamole) {
    if (!has("password")) {
      SectionWarning(fmt::format(
          "guacamole service '{}' has no 'password': the check cannot log in to Guacamole as "
          "'{}' until 'password = ...' is added to this section",
          name, service_.Get("username").value_or("guacadmin")));
    }
    if (service_.Get("protocol") == "http" && service_.Get("ignore_invalid_ssl") == "true") {
      SectionWarning(fmt::format(
          "guacamole service '{}': 'ignore_invalid_ssl' has no effect with protocol http", name));
    }
  }
}

}  // namespace

bool IsValidServiceName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && IsAlnum(name.front()) &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::optional<Service> ParseService(const IniSection& section, ParseMode mode,
                                    std::vector<Diagnostic>& diagnostics, int* suggestions_left) {
  if (section.broken) return std::nullopt;  // the lexer reported why
  return SectionParser(section, mode, diagnostics, suggestions_left).Parse();
}

ParseResult ParseDefinitions(std::string_view text, std::string_view filename) {
  ParseResult result;
  const std::vector<IniSection> sections = LexIni(text, filename, result.diagnostics);
  std::map<std::string, int> first_line;
  int suggestions_left = kMaxSuggestionsPerDocument;
  for (const IniSection& section : sections) {
    if (section.broken) continue;  // the lexer reported why
    auto [it, inserted] = first_line.emplace(section.name, section.loc.line);
    if (!inserted) {
      result.diagnostics.push_back({Severity::kError, section.loc,
                                    fmt::format("duplicate service '{}' (first defined at line {})",
                                                section.name, it->second),
                                    section.line});
      continue;
    }
    if (auto service =
            ParseService(section, ParseMode::kDefinitions, result.diagnostics, &suggestions_left)) {
      result.services.push_back(std::move(*service));
    }
  }
  // Lexer diagnostics come first; present everything in line order.
  std::stable_sort(
      result.diagnostics.begin(), result.diagnostics.end(),
      [](const Diagnostic& a, const Diagnostic& b) { return a.loc.line < b.loc.line; });
  return result;
}

void RejectDuplicateServices(std::vector<Service>& services, std::vector<Diagnostic>& diagnostics) {
  // The first of each name and of each description is kept; the views
  // point into `services`, which is only rebuilt when one must go. The
  // maps' nodes come from the stack for a host's usual few services.
  std::array<std::byte, 8192> buffer;
  std::pmr::monotonic_buffer_resource arena(buffer.data(), buffer.size());
  std::pmr::map<std::string_view, size_t> names(&arena);
  std::pmr::map<std::string_view, size_t> descriptions(&arena);
  std::pmr::vector<bool> drop(services.size(), false, &arena);
  bool any = false;
  for (size_t i = 0; i < services.size(); ++i) {
    const Service& service = services[i];
    if (auto it = names.find(service.name); it != names.end()) {
      diagnostics.push_back({Severity::kError, service.loc,
                             fmt::format("duplicate service '{}' (first defined at {})",
                                         service.name, services[it->second].loc.ToString()),
                             ""});
      drop[i] = any = true;
      continue;
    }
    if (auto it = descriptions.find(service.description); it != descriptions.end()) {
      const Service& first = services[it->second];
      diagnostics.push_back(
          {Severity::kError, service.loc,
           fmt::format("service '{}' has the same description '{}' as service '{}' at {}; "
                       "the monitoring server needs distinct names",
                       service.name, service.description, first.name, first.loc.ToString()),
           ""});
      drop[i] = any = true;
      continue;
    }
    names.emplace(service.name, i);
    descriptions.emplace(service.description, i);
  }
  if (!any) return;
  std::vector<Service> kept;
  for (size_t i = 0; i < services.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(services[i]));
  }
  services = std::move(kept);
}

std::string FormatService(const Service& service, bool reveal_secrets, bool with_source) {
  std::string out = fmt::format("[{}]\n", service.name);
  if (with_source) out += fmt::format("source = {}:{}\n", service.loc.file, service.loc.line);
  out += fmt::format("type = {}\n", TypeName(service.type));
  out += fmt::format("description = {}\n", service.description);
  out += fmt::format("enabled = {}\n", service.enabled ? "true" : "false");
  if (service.package) out += fmt::format("package = {}\n", *service.package);
  if (service.host) out += fmt::format("host = {}\n", *service.host);
  for (const auto& [key, value] : service.settings) out += fmt::format("{} = {}\n", key, value);
  if (service.password) {
    out += fmt::format("password = {}\n",
                       reveal_secrets ? service.password->Reveal() : Secret::Redacted());
  }
  return out;
}

}  // namespace automon::formats
