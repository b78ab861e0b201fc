// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/network.h"
#include "common/parse_integer.h"
#include "common/process_runner.h"
#include "common/spelling.h"
#include "formats/ini.h"
#include "registrar/backend.h"
#include "registrar/store.h"

namespace automon::registrar {
namespace {

enum class Kind {
  kPath,
  kCommand,
  kBackend,
  kGroup,
  kSeconds,
  kMilliseconds,
  kListen,
  kPolicy,
  kNetworks,
  kSite,
  kOptionalCommand,
  kOptionalPath,
  kZone,
  kHostPort,
  kDuration,      // [lifecycle] timers
  kPercent,       // silence_guard
  kSelfCheckHost  // a host name, or "none"
};

struct KeyInfo {
  std::string_view section;
  std::string_view key;
  Kind kind;
  std::string Config::*field;  // null for backend/seconds (handled apart)
};

const std::array<KeyInfo, 44> kKeys = {{
    {"registrar", "state_dir", Kind::kPath, &Config::state_dir},
    {"registrar", "backend", Kind::kBackend, nullptr},
    {"registrar", "quiet_period", Kind::kMilliseconds, nullptr},
    {"registrar", "listen", Kind::kListen, &Config::listen},
    {"registrar", "enrollment", Kind::kPolicy, nullptr},
    {"registrar", "open_networks", Kind::kNetworks, nullptr},
    {"registrar", "self_check_host", Kind::kSelfCheckHost, &Config::self_check_host},
    {"lifecycle", "silent_after", Kind::kDuration, nullptr},
    {"lifecycle", "disable_after", Kind::kDuration, nullptr},
    {"lifecycle", "remove_after", Kind::kDuration, nullptr},
    {"lifecycle", "grace_after_start", Kind::kDuration, nullptr},
    {"lifecycle", "silence_guard", Kind::kPercent, nullptr},
    {"nagios", "output_dir", Kind::kPath, &Config::output_dir},
    {"nagios", "nagios_cfg", Kind::kPath, &Config::nagios_cfg},
    {"nagios", "templates_file", Kind::kPath, &Config::templates_file},
    {"nagios", "verify_command", Kind::kCommand, &Config::verify_command},
    {"nagios", "reload_command", Kind::kCommand, &Config::reload_command},
    {"nagios", "secrets_group", Kind::kGroup, &Config::secrets_group},
    {"nagios", "command_timeout", Kind::kSeconds, nullptr},
    {"checkmk", "site", Kind::kSite, &Config::checkmk_site},
    {"checkmk", "conf_dir", Kind::kPath, &Config::checkmk_conf_dir},
    {"checkmk", "plugins_dir", Kind::kPath, &Config::checkmk_plugins_dir},
    {"checkmk", "probes_dir", Kind::kPath, &Config::probes_dir},
    {"checkmk", "python", Kind::kPath, &Config::checkmk_python},
    {"checkmk", "verify_command", Kind::kOptionalCommand, &Config::checkmk_verify_command},
    {"checkmk", "activate_command", Kind::kCommand, &Config::checkmk_activate_command},
    {"icinga2", "config", Kind::kPath, &Config::icinga2_conf},
    {"icinga2", "output_dir", Kind::kPath, &Config::icinga2_output_dir},
    {"icinga2", "zone", Kind::kZone, &Config::icinga2_zone},
    {"icinga2", "verify_command", Kind::kCommand, &Config::icinga2_verify_command},
    {"icinga2", "reload_command", Kind::kCommand, &Config::icinga2_reload_command},
    {"icinga2", "templates_file", Kind::kOptionalPath, &Config::icinga2_templates_file},
    {"icinga2", "probes_dir", Kind::kPath, &Config::icinga2_probes_dir},
    // Passive results (issue #15).
    {"checkmk", "livestatus_socket", Kind::kOptionalPath, &Config::checkmk_livestatus_socket},
    {"icinga2", "api_address", Kind::kListen, &Config::icinga2_api_address},
    {"icinga2", "api_user", Kind::kZone, &Config::icinga2_api_user},
    {"icinga2", "api_password_file", Kind::kOptionalPath, &Config::icinga2_api_password_file},
    {"icinga2", "api_ca_file", Kind::kOptionalPath, &Config::icinga2_api_ca_file},
    {"prometheus", "sd_dir", Kind::kPath, &Config::prometheus_sd_dir},
    {"prometheus", "blackbox", Kind::kHostPort, &Config::prometheus_blackbox},
    {"prometheus", "exporter", Kind::kHostPort, &Config::prometheus_exporter},
    {"prometheus", "verify_command", Kind::kCommand, &Config::prometheus_verify_command},
    {"prometheus", "exporter_targets", Kind::kOptionalPath, &Config::prometheus_exporter_targets},
    {"prometheus", "exporter_reload_command", Kind::kOptionalCommand,
     &Config::prometheus_exporter_reload_command},
}};

constexpr std::array<std::string_view, 6> kSections = {"registrar", "lifecycle", "nagios",
                                                       "checkmk",   "icinga2",   "prometheus"};

// Icinga 2 zone names as automon writes them: an object name without '!'.
bool IsZoneName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && s.front() != '.' && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

// OMD site ids: a letter or '_', then letters, digits and '_', at most 16.
bool IsSiteId(std::string_view s) {
  if (s.empty() || s.size() > 16) return false;
  const auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  return letter(s.front()) && std::all_of(s.begin(), s.end(), [&](char c) {
           return letter(c) || (c >= '0' && c <= '9');
         });
}

bool IsCleanPath(std::string_view p) {
  if (p.size() < 2 || p.front() != '/' || p.back() == '/') return false;
  if (p.find("//") != std::string_view::npos) return false;
  for (char c : p) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '.' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return p.find("/../") == std::string_view::npos && !p.ends_with("/..") &&
         p.find("/./") == std::string_view::npos && !p.ends_with("/.");
}

}  // namespace

namespace {

const std::array<std::pair<EnrollmentPolicy, std::string_view>, 3> kPolicies = {{
    {EnrollmentPolicy::kManual, "manual"},
    {EnrollmentPolicy::kTicket, "ticket"},
    {EnrollmentPolicy::kOpen, "open"},
}};

}  // namespace

std::string_view PolicyName(EnrollmentPolicy policy) {
  for (const auto& [p, name] : kPolicies) {
    if (p == policy) return name;
  }
  return "manual";
}

std::optional<EnrollmentPolicy> PolicyFromName(std::string_view name) {
  for (const auto& [p, n] : kPolicies) {
    if (n == name) return p;
  }
  return std::nullopt;
}

Result<std::pair<std::string, int>> ParseListen(std::string_view text) {
  std::string_view host;
  std::string_view port;
  const auto invalid = [&] {
    return Error{
        fmt::format("invalid value '{}' for 'listen': expected host:port, [v6]:port "
                    "or :port",
                    text)};
  };
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos) return invalid();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!Network::Parse(host)) return invalid();
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid();
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!host.empty() && !Network::Parse(host)) return invalid();
  }
  const Result<int> number = ParseInteger(port, 1, 65535);
  if (!number) return invalid();
  return std::make_pair(host.empty() ? std::string("0.0.0.0") : std::string(host), *number);
}

Result<Config> ParseConfig(std::string_view text, std::string_view filename) {
  std::vector<Diagnostic> diagnostics;
  const std::vector<formats::IniSection> sections = formats::LexIni(text, filename, diagnostics);
  Config config;
  std::vector<std::string> seen;
  SourceLocation backend_loc{std::string(filename), 0, 0};
  std::string backend_line;
  for (const formats::IniSection& section : sections) {
    if (std::find(kSections.begin(), kSections.end(), section.name) == kSections.end()) {
      std::string message = fmt::format("unknown section [{}]", section.name);
      if (auto near = SuggestNearMiss(section.name, kSections)) {
        message += fmt::format(", did you mean [{}]?", *near);
      } else {
        message += " (expected [registrar], [nagios], [checkmk], [icinga2] or [prometheus])";
      }
      diagnostics.push_back({Severity::kError, section.loc, message, section.line});
      continue;
    }
    for (const formats::IniEntry& entry : section.entries) {
      auto error = [&](const SourceLocation& loc, std::string message) {
        diagnostics.push_back({Severity::kError, loc, std::move(message), entry.line});
      };
      const KeyInfo* info = nullptr;
      std::vector<std::string_view> names;
      for (const KeyInfo& k : kKeys) {
        if (k.section != section.name) continue;
        names.push_back(k.key);
        if (k.key == entry.key) info = &k;
      }
      if (info == nullptr) {
        std::string message = fmt::format("unknown key '{}' in [{}]", entry.key, section.name);
        if (auto near = SuggestNearMiss(entry.key, names)) {
          message += fmt::format(", did you mean '{}'?", *near);
        }
        error(entry.key_loc, message);
        continue;
      }
      const std::string qualified = fmt::format("{}.{}", section.name, entry.key);
      if (std::find(seen.begin(), seen.end(), qualified) != seen.end()) {
        error(entry.key_loc, fmt::format("'{}' is set twice in [{}]", entry.key, section.name));
        continue;
      }
      seen.push_back(qualified);
      const std::string& v = entry.value;
      switch (info->kind) {
        case Kind::kOptionalPath:
          if (v.empty()) {
            config.*(info->field) = v;
            break;
          }
          [[fallthrough]];
        case Kind::kPath:
          if (!IsCleanPath(v)) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for '{}': expected an absolute path of "
                              "letters, digits and /._+- without a trailing '/'",
                              v, entry.key));
          } else {
            config.*(info->field) = v;
          }
          break;
        case Kind::kSite:
          if (!IsSiteId(v)) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for 'site': expected an OMD site id (a "
                              "letter or '_', then letters, digits and '_', at most 16)",
                              v));
          } else {
            config.checkmk_site = v;
          }
          break;
        case Kind::kZone:
          if (!IsZoneName(v)) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for '{}': expected an Icinga 2 {} name "
                              "(letters, digits and ._-)",
                              v, info->key, info->key == "zone" ? "zone" : "object"));
          } else {
            config.*(info->field) = v;
          }
          break;
        case Kind::kOptionalCommand:
          if (v.empty()) {
            config.*(info->field) = v;
            break;
          }
          [[fallthrough]];
        case Kind::kCommand: {
          auto words = SplitCommandLine(v);
          if (!words) {
            error(entry.value_loc,
                  fmt::format("invalid value for '{}': {}", entry.key, words.error().message));
          } else if (section.name == "nagios" && entry.key == "verify_command" &&
                     v.find("{config}") == std::string::npos) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for 'verify_command': it must contain "
                              "{{config}}, the nagios.cfg to verify",
                              v));
          } else if ((section.name == "icinga2" || section.name == "prometheus") &&
                     entry.key == "verify_command" && v.find("{config}") == std::string::npos) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for 'verify_command': it must contain "
                              "{{config}}, the {} to verify",
                              v, section.name == "icinga2" ? "icinga2.conf" : "prometheus.yml"));
          } else {
            config.*(info->field) = v;
          }
          break;
        }
        case Kind::kBackend: {
          // One name, or several separated by commas or blanks: each host
          // is rendered and activated for every one of them.
          const std::vector<backends::BackendKind> kinds = RegistrarBackends();
          std::vector<backends::BackendKind> chosen;
          std::string_view rest = v;
          bool ok = true;
          while (ok && !rest.empty()) {
            const size_t cut = rest.find_first_of(" ,");
            const std::string_view word = rest.substr(0, cut);
            rest = cut == std::string_view::npos ? "" : rest.substr(cut + 1);
            if (word.empty()) continue;
            const std::optional<backends::BackendKind> kind = backends::ParseBackendName(word);
            if (!kind || std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
              std::string expected;
              for (size_t i = 0; i < kinds.size(); ++i) {
                if (i > 0) expected += i + 1 == kinds.size() ? " or " : ", ";
                expected += fmt::format("'{}'", backends::BackendName(kinds[i]));
              }
              error(entry.value_loc,
                    fmt::format("invalid value '{}' for 'backend': expected {}{}", word, expected,
                                word == v ? "" : " (one or more, separated by commas)"));
              ok = false;
            } else if (std::find(chosen.begin(), chosen.end(), *kind) != chosen.end()) {
              error(entry.value_loc,
                    fmt::format("backend '{}' is listed twice in 'backend'", word));
              ok = false;
            } else {
              chosen.push_back(*kind);
            }
          }
          if (ok && chosen.empty()) {
            error(entry.value_loc, "'backend' is empty: name one or more backends");
            ok = false;
          }
          if (ok) {
            config.backend = chosen.front();
            config.backends = chosen.size() > 1 ? chosen : std::vector<backends::BackendKind>{};
            backend_loc = entry.value_loc;
            backend_line = entry.line;
          }
          break;
        }
        case Kind::kGroup: {
          const bool ok =
              !v.empty() && v.size() <= 32 && std::all_of(v.begin(), v.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
              });
          if (!ok) {
            error(entry.value_loc, fmt::format("invalid value '{}' for 'secrets_group': expected "
                                               "a group name",
                                               v));
          } else {
            config.secrets_group = v;
          }
          break;
        }
        case Kind::kMilliseconds: {
          const Result<int> n = ParseInteger(v, 0, 60000);
          if (!n) {
            error(entry.value_loc, fmt::format("invalid value '{}' for 'quiet_period': "
                                               "expected milliseconds from 0 to 60000",
                                               v));
          } else {
            config.quiet_period_ms = *n;
          }
          break;
        }
        case Kind::kHostPort:
          // An address to connect to: host:port or [v6]:port, never ":port".
          if (auto parsed = ParseListen(v); !parsed || v.starts_with(":")) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for '{}': expected host:port or [v6]:port", v,
                              entry.key));
          } else {
            config.*(info->field) = v;
          }
          break;
        case Kind::kListen:
          if (auto parsed = ParseListen(v); !parsed) {
            error(entry.value_loc, parsed.error().message);
          } else {
            config.*(info->field) = v;
          }
          break;
        case Kind::kPolicy:
          if (auto policy = PolicyFromName(v)) {
            config.enrollment = *policy;
          } else {
            error(entry.value_loc, fmt::format("invalid value '{}' for 'enrollment': expected "
                                               "'manual', 'ticket' or 'open'",
                                               v));
          }
          break;
        case Kind::kNetworks: {
          config.open_networks.clear();
          std::string_view rest = v;
          while (!rest.empty()) {
            const size_t cut = rest.find_first_of(" ,");
            const std::string_view word = rest.substr(0, cut);
            rest = cut == std::string_view::npos ? "" : rest.substr(cut + 1);
            if (word.empty()) continue;
            if (!Network::Parse(word)) {
              error(entry.value_loc, fmt::format("invalid network '{}' in 'open_networks': "
                                                 "expected an address or address/prefix",
                                                 word));
              break;
            }
            config.open_networks.emplace_back(word);
          }
          break;
        }
        case Kind::kDuration: {
          // disable_after and remove_after are off by default, and may
          // say so.
          const bool may_be_off = entry.key == "disable_after" || entry.key == "remove_after";
          const std::optional<int64_t> seconds = ParseLifecycleDuration(v);
          if (may_be_off && v == "off") {
            (entry.key == "disable_after" ? config.lifecycle.disable_after
                                          : config.lifecycle.remove_after) = std::nullopt;
          } else if (!seconds) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for '{}': expected a number and s, m, h or d "
                              "(like 30m, 12h, 30d), at most 3650d{}",
                              v, entry.key, may_be_off ? ", or 'off'" : ""));
          } else if (entry.key == "silent_after") {
            config.lifecycle.silent_after = *seconds;
          } else if (entry.key == "disable_after") {
            config.lifecycle.disable_after = *seconds;
          } else if (entry.key == "remove_after") {
            config.lifecycle.remove_after = *seconds;
          } else {
            config.lifecycle.grace_after_start = *seconds;
          }
          break;
        }
        case Kind::kPercent: {
          std::string_view number = v;
          if (number.ends_with('%')) number.remove_suffix(1);
          const Result<int> n = ParseInteger(number, 1, 100);
          if (!n) {
            error(entry.value_loc, fmt::format("invalid value '{}' for 'silence_guard': expected "
                                               "a percentage from 1% to 100%",
                                               v));
          } else {
            config.lifecycle.silence_guard_percent = *n;
          }
          break;
        }
        case Kind::kSelfCheckHost:
          if (v == "none") {
            config.self_check_host = v;
          } else if (auto name = CheckHostName(v); !name) {
            error(entry.value_loc,
                  fmt::format("invalid value '{}' for 'self_check_host': expected a host name "
                              "(RFC 1123), or 'none'",
                              v));
          } else {
            config.self_check_host = *name;
          }
          break;
        case Kind::kSeconds: {
          const Result<int> n = ParseInteger(v, 1, 3600);
          if (!n) {
            error(entry.value_loc, fmt::format("invalid value '{}' for 'command_timeout': "
                                               "expected seconds from 1 to 3600",
                                               v));
          } else {
            config.command_timeout_seconds = *n;
          }
          break;
        }
      }
    }
  }
  CompleteBackendConfig(config, backend_loc, backend_line, diagnostics);
  // The default output directory follows the main file and the zone.
  if (std::find(seen.begin(), seen.end(), "icinga2.output_dir") == seen.end()) {
    config.icinga2_output_dir =
        config.icinga2_zone.empty()
            ? DirectoryOf(config.icinga2_conf) + "/conf.d/automon"
            : fmt::format("{}/zones.d/{}/automon", DirectoryOf(config.icinga2_conf),
                          config.icinga2_zone);
  }
  if (HasErrors(diagnostics)) {
    std::string message;
    for (const Diagnostic& d : diagnostics) {
      if (!message.empty()) message += '\n';
      message += d.Render();
    }
    return Error{message};
  }
  return config;
}

std::vector<backends::BackendKind> ConfiguredBackends(const Config& config) {
  if (config.backends.empty()) return {config.backend};
  return config.backends;
}

std::string WithSite(std::string text, std::string_view site) {
  for (size_t at = 0; (at = text.find("{site}", at)) != std::string::npos; at += site.size()) {
    text.replace(at, 6, site);
  }
  return text;
}

Result<Config> LoadConfig(FileSystem& fs, const std::string& path, bool explicit_path) {
  auto text = fs.ReadFile(path, 1 << 20);
  if (!text) {
    if (!explicit_path && text.error().message.find(std::strerror(ENOENT)) != std::string::npos) {
      return Config{};
    }
    return text.error();
  }
  return ParseConfig(*text, path);
}

}  // namespace automon::registrar
