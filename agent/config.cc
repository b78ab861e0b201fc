// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "common/parse_integer.h"
#include "common/spelling.h"
#include "common/ssh/key.h"
#include "common/text.h"
#include "formats/ini.h"
#include "formats/schema.h"

namespace automon::agent {
namespace {

constexpr std::array<std::string_view, 13> kKeys = {
    "registrar",    "fingerprint", "name",    "address", "directory",         "key",
    "state_dir",    "exclude",     "enabled", "user",    "discovery_timeout", "spool_max_bytes",
    "spool_max_age"};

bool IsPath(std::string_view s) {
  return s.size() >= 2 && s.size() <= 1024 && s.front() == '/' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '.' || c == '_' || c == '+' || c == '-' || c == '/' || c == '@';
         });
}

// host, host:port, [IPv6] or [IPv6]:port.
std::optional<RegistrarAddress> ParseRegistrar(std::string_view word) {
  std::string_view host = word;
  std::optional<std::string_view> port;
  if (word.front() == '[') {
    const size_t close = word.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = word.substr(1, close - 1);
    const std::string_view rest = word.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const size_t colon = word.find(':'); colon != std::string_view::npos) {
    host = word.substr(0, colon);
    port = word.substr(colon + 1);
  }
  auto normalised = formats::NormaliseValue(formats::HostKey(), host);
  if (!normalised) return std::nullopt;
  RegistrarAddress address{*normalised, 0};
  if (port) {
    const auto n = formats::NormaliseValue({"port", formats::ValueKind::kPort}, *port);
    if (!n) return std::nullopt;
    address.port = *ParseInteger<decltype(address.port)>(*n, 1, 65535);
  }
  return address;
}

}  // namespace

ConfigParse ParseAgentConfig(std::string_view text, std::string_view filename) {
  ConfigParse result;
  AgentConfig& config = result.config;
  auto& diagnostics = result.diagnostics;
  const auto sections = formats::LexIni(text, filename, diagnostics);
  // Across every [agent] section: a key given twice is an error, even in
  // a repeated section (else `registrar` would accumulate).
  std::vector<std::string> seen;
  for (const formats::IniSection& section : sections) {
    if (section.name != "agent") {
      diagnostics.push_back(
          {Severity::kError, section.loc,
           fmt::format("unknown section [{}]; agent.conf has only [agent]", section.name),
           section.line});
      continue;
    }
    for (const formats::IniEntry& e : section.entries) {
      auto error = [&](std::string message) {
        diagnostics.push_back({Severity::kError, e.value_loc, std::move(message), e.line});
      };
      auto invalid = [&](std::string_view expected) {
        error(fmt::format("invalid value '{}' for '{}': expected {}", e.value, e.key, expected));
      };
      if (std::find(seen.begin(), seen.end(), e.key) != seen.end()) {
        diagnostics.push_back(
            {Severity::kError, e.key_loc, fmt::format("duplicate key '{}'", e.key), e.line});
        continue;
      }
      seen.push_back(e.key);
      if (e.key == "registrar") {
        const auto words = SplitWords(e.value, " \t,");
        bool ok = !words.empty();
        for (std::string_view w : words) {
          if (w == "auto")
            config.discover = true;
          else if (auto r = ParseRegistrar(w))
            config.registrars.push_back(*r);
          else
            ok = false;
        }
        if (!ok) invalid("'auto' and/or a list of host[:port]");
      } else if (e.key == "discovery_timeout") {
        const Result<int> n = ParseInteger(e.value, 1, 60);
        if (!n) {
          invalid("whole seconds from 1 to 60");
        } else {
          config.discovery_timeout_ms = *n * 1000;
        }
      } else if (e.key == "spool_max_bytes") {
        const Result<int64_t> n = ParseInteger<int64_t>(e.value, 4096, int64_t{1} << 30);
        if (!n) {
          invalid("bytes from 4096 to 1073741824");
        } else {
          config.spool_max_bytes = static_cast<size_t>(*n);
        }
      } else if (e.key == "spool_max_age") {
        const Result<int64_t> n = ParseInteger<int64_t>(e.value, 60, 30 * 86400);
        if (!n) {
          invalid("seconds from 60 to 2592000");
        } else {
          config.spool_max_age = *n;
        }
      } else if (e.key == "fingerprint") {
        const auto words = SplitWords(e.value, " \t,");
        bool ok = !words.empty();
        for (std::string_view w : words) {
          if (ssh::IsFingerprint(w))
            config.fingerprints.emplace_back(w);
          else
            ok = false;
        }
        if (!ok) {
          config.fingerprints.clear();
          invalid("SHA256: and 43 base64 characters, as ssh-keygen -l prints, one or more");
        }
      } else if (e.key == "name") {
        auto v = formats::NormaliseValue({"name", formats::ValueKind::kHostName}, e.value);
        if (v)
          config.name = *v;
        else
          error(v.error().message);
      } else if (e.key == "address") {
        auto v = formats::NormaliseValue(formats::HostKey(), e.value);
        if (v)
          config.address = *v;
        else
          error(fmt::format("invalid value '{}' for 'address': expected {}", e.value,
                            formats::DescribeKind(formats::ValueKind::kAddress)));
      } else if (e.key == "directory" || e.key == "key" || e.key == "state_dir") {
        if (!IsPath(e.value)) {
          invalid("an absolute path of letters, digits and ._+-/@");
          continue;
        }
        (e.key == "directory" ? config.directory
         : e.key == "key"     ? config.key
                              : config.state_dir) = e.value;
      } else if (e.key == "exclude") {
        config.exclude.clear();
        for (std::string_view w : SplitWords(e.value, " \t,")) config.exclude.emplace_back(w);
      } else if (e.key == "user") {
        // POSIX portable user names, as adduser accepts them by default.
        const bool ok =
            !e.value.empty() && e.value.size() <= 32 &&
            ((e.value[0] >= 'a' && e.value[0] <= 'z') || e.value[0] == '_') &&
            std::all_of(e.value.begin(), e.value.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            });
        if (ok)
          config.user = e.value;
        else
          invalid("a user name of lower-case letters, digits, '_' and '-'");
      } else if (e.key == "enabled") {
        auto v = formats::NormaliseValue({"enabled", formats::ValueKind::kBool}, e.value);
        if (v)
          config.enabled = *v == "true";
        else
          error(v.error().message);
      } else if (auto near = SuggestNearMiss(e.key, kKeys)) {
        diagnostics.push_back({Severity::kError, e.key_loc,
                               fmt::format("unknown key '{}', did you mean '{}'?", e.key, *near),
                               e.line});
      } else {
        diagnostics.push_back(
            {Severity::kError, e.key_loc, fmt::format("unknown key '{}'", e.key), e.line});
      }
    }
  }
  return result;
}

}  // namespace automon::agent
