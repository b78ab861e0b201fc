// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/schema.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "common/check.h"
#include "common/parse_integer.h"
#include "common/text.h"
#include "formats/command_line.h"
#include "formats/schedule.h"

namespace automon::formats {
namespace {

using K = ValueKind;

constexpr std::array<std::string_view, 2> kProtocols = {"http", "https"};

constexpr std::array<KeySpec, 3> kCommonKeys = {{
    {"description",
     K::kDescription,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "service name shown in the monitoring UI (default: the section name)"},
    {"enabled",
     K::kBool,
     false,
     "true",
     std::nullopt,
     {},
     "false opts the service out without deleting the file"},
    {"package",
     K::kPackageName,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "register only while this Debian package is installed"},
}};

constexpr KeySpec kHostKey = {"host",
                              K::kAddress,
                              false,
                              std::nullopt,
                              std::nullopt,
                              {},
                              "address to check instead of the host's own"};

constexpr std::array<KeySpec, 4> kSslKeys = {{
    {"ssl", K::kBool, false, "false", std::nullopt, {}, "use TLS from the first byte"},
    {"ssl_hostname",
     K::kHostName,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "name sent as SNI and verified in the certificate"},
    {"ignore_invalid_ssl",
     K::kBool,
     false,
     "false",
     std::nullopt,
     {},
     "accept certificates that do not verify"},
    {"expire_before_days",
     K::kDays,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "warn this many days before the certificate expires"},
}};

constexpr std::array<KeySpec, 4> kHttpKeys = {{
    {"port", K::kPort, false, "80", "443"},
    {"uri", K::kUriPath, false, "/"},
    {"accept_redirection",
     K::kBool,
     false,
     "true",
     std::nullopt,
     {},
     "a 3xx reply is OK (redirects are followed on the same address)"},
    {"hostname",
     K::kHostName,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "virtual host name sent in the Host header"},
}};

constexpr std::array<KeySpec, 3> kUdpKeys = {{
    {"port", K::kPort, true},
    {"send", K::kProbeString, false, std::nullopt, std::nullopt, {}, "datagram to send"},
    {"expect",
     K::kProbeString,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "text the reply must contain"},
}};

constexpr std::array<KeySpec, 1> kTcpKeys = {{{"port", K::kPort, true}}};

constexpr std::array<KeySpec, 3> kSmtpKeys = {{
    {"port", K::kPort, false, "25", "465"},
    {"email", K::kEmail, false, std::nullopt, std::nullopt, {}, "mail-flow recipient"},
    {"mailflowid",
     K::kIdentifier,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "mail-flow this server sends for"},
}};

constexpr std::array<KeySpec, 4> kImapKeys = {{
    {"port", K::kPort, false, "143", "993"},
    {"username", K::kUserName},
    {"password", K::kSecret},
    {"mailflowid",
     K::kIdentifier,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "mail-flow this mailbox receives"},
}};

constexpr std::array<KeySpec, 4> kPop3Keys = {{
    {"port", K::kPort, false, "110", "995"},
    {"username", K::kUserName},
    {"password", K::kSecret},
    {"mailflowid",
     K::kIdentifier,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "mail-flow this mailbox receives"},
}};

constexpr std::array<KeySpec, 2> kMailflowKeys = {{
    {"seconds", K::kSeconds, true, std::nullopt, std::nullopt, {}, "maximum delivery time"},
    {"id",
     K::kIdentifier,
     true,
     std::nullopt,
     std::nullopt,
     {},
     "the mailflowid this service watches"},
}};

constexpr std::array<KeySpec, 4> kLdapKeys = {{
    {"port", K::kPort, false, "389", "636"},
    {"username", K::kDistinguishedName, false, std::nullopt, std::nullopt, {}, "bind DN"},
    {"password", K::kSecret},
    {"base",
     K::kDistinguishedName,
     false,
     "",
     std::nullopt,
     {},
     "search base (default: the root DSE)"},
}};

constexpr std::array<KeySpec, 1> kSshKeys = {{{"port", K::kPort, false, "22"}}};

constexpr std::array<KeySpec, 9> kGuacamoleKeys = {{
    {"port", K::kPort, false, "8080"},
    {"protocol", K::kChoice, false, "http", std::nullopt, kProtocols},
    {"uri",
     K::kWebAppPath,
     false,
     "/guacamole",
     std::nullopt,
     {},
     "where the web application lives"},
    {"data_source",
     K::kIdentifier,
     false,
     "mysql",
     std::nullopt,
     {},
     "authentication back end to count sessions of, or 'auto'"},
    {"username", K::kUserName, false, "guacadmin"},
    {"password", K::kSecret},
    {"warning", K::kRange, false, std::nullopt, std::nullopt, {}, "range of active sessions"},
    {"critical", K::kRange, false, std::nullopt, std::nullopt, {}, "range of active sessions"},
    {"ignore_invalid_ssl",
     K::kBool,
     false,
     "false",
     std::nullopt,
     {},
     "with protocol https: accept certificates that do not verify"},
}};

constexpr std::array<KeySpec, 6> kHaproxyKeys = {{
    {"stats",
     K::kStatsEndpoint,
     true,
     std::nullopt,
     std::nullopt,
     {},
     "stats page URL (http or https; http://:PORT/PATH means this host) or stats socket "
     "path on the monitoring server"},
    {"username", K::kUserName},
    {"password", K::kSecret},
    {"proxies",
     K::kNameList,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "frontends/backends to check, names or glob patterns (default: all)"},
    {"warning",
     K::kRangeOrPercent,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "sessions, or percent of the session limit with '%'"},
    {"critical",
     K::kRangeOrPercent,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "sessions, or percent of the session limit with '%'"},
}};

// freshness has no default in this table: it depends on interval, so the
// parser fills it in (2 x interval + 60) and checks freshness > interval.
constexpr std::array<KeySpec, 7> kCommandKeys = {{
    {"command",
     K::kCommandLine,
     true,
     std::nullopt,
     std::nullopt,
     {},
     "absolute path of the plugin and its arguments, split like shell words, never run by a "
     "shell"},
    {"interval", K::kInterval, false, "300", std::nullopt, {}, "seconds between runs"},
    {"schedule",
     K::kSchedule,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "window of local time to run in, e.g. hour=9-17 day_of_week=mon-fri"},
    {"timeout",
     K::kSeconds,
     false,
     "60",
     std::nullopt,
     {},
     "seconds before the run is killed and reported UNKNOWN"},
    {"max_instances", K::kInstances, false, "1", std::nullopt, {}, "runs allowed at the same time"},
    {"user",
     K::kSystemUser,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "user to run as (default: nagios if it exists, else nobody)"},
    {"freshness",
     K::kSeconds,
     false,
     std::nullopt,
     std::nullopt,
     {},
     "seconds without a result before the server says so (default: 2 x interval + 60)"},
}};

constexpr std::array<TypeSpec, 12> kTypes = {{
    {ServiceType::kHttp, "http", kHttpKeys, true, true, "a web server"},
    {ServiceType::kUdp, "udp", kUdpKeys, false, true, "a UDP service"},
    {ServiceType::kTcp, "tcp", kTcpKeys, true, true, "any TCP service"},
    {ServiceType::kSmtp, "smtp", kSmtpKeys, true, true, "a mail server (SMTP)"},
    {ServiceType::kImap, "imap", kImapKeys, true, true, "a mailbox server (IMAP)"},
    {ServiceType::kPop3, "pop3", kPop3Keys, true, true, "a mailbox server (POP3)"},
    {ServiceType::kMailflow, "mailflow", kMailflowKeys, false, false,
     "end-to-end mail delivery time"},
    {ServiceType::kLdap, "ldap", kLdapKeys, true, true, "a directory server"},
    {ServiceType::kSsh, "ssh", kSshKeys, false, true, "an SSH server"},
    {ServiceType::kGuacamole, "guacamole", kGuacamoleKeys, false, true,
     "Apache Guacamole active sessions"},
    {ServiceType::kHaproxy, "haproxy", kHaproxyKeys, false, true,
     "HAProxy sessions per frontend/backend"},
    {ServiceType::kCommand, "command", kCommandKeys, false, false,
     "a local check the agent runs on a schedule (passive)"},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool AllOf(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return IsAlnum(c) || extra.find(c) != std::string_view::npos; });
}

std::optional<long> ParseUnsigned(std::string_view s, long max) {
  if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), IsDigit)) return std::nullopt;
  const Result<long> value = ParseInteger(s, 1L, max);
  if (!value) return std::nullopt;
  return *value;
}

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) dot = s.size();
    const std::string_view label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !AllOf(label, "-")) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

bool IsIpv6(std::string_view s) {
  if (s.empty() || s.size() > 45 || !AllOf(s, ":.")) return false;
  unsigned char buffer[16];
  return ::inet_pton(AF_INET6, std::string(s).c_str(), buffer) == 1;
}

// A percent-encoded path or query from the allow-list.
bool IsUriChars(std::string_view s, std::string_view extra) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return false;
      i += 2;
      continue;
    }
    if (!IsAlnum(s[i]) && extra.find(s[i]) == std::string_view::npos) return false;
  }
  return true;
}

bool IsNumber(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty() || s.size() > 20) return false;
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  if (whole.empty() || !std::all_of(whole.begin(), whole.end(), IsDigit)) return false;
  if (dot == std::string_view::npos) return true;
  const std::string_view frac = s.substr(dot + 1);
  return !frac.empty() && std::all_of(frac.begin(), frac.end(), IsDigit);
}

double NumberValue(std::string_view s) {
  // Only called on IsNumber() strings; strtod needs a terminated copy.
  return std::strtod(std::string(s).c_str(), nullptr);
}

// monitoring-plugins range syntax: [@][start:][end], start may be '~'.
bool IsRange(std::string_view s) {
  if (!s.empty() && s.front() == '@') s.remove_prefix(1);
  if (s.empty()) return false;
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return IsNumber(s);
  const std::string_view start = s.substr(0, colon);
  const std::string_view end = s.substr(colon + 1);
  const bool start_ok = start.empty() || start == "~" || IsNumber(start);
  const bool end_ok = end.empty() || IsNumber(end);
  if (!start_ok || !end_ok || (start.empty() && end.empty())) return false;
  if (IsNumber(start) && IsNumber(end) && NumberValue(start) > NumberValue(end)) return false;
  return true;
}

bool IsStatsUrl(std::string_view s) {
  std::string_view rest;
  if (s.substr(0, 7) == "http://")
    rest = s.substr(7);
  else if (s.substr(0, 8) == "https://")
    rest = s.substr(8);
  else
    return false;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    if (!IsIpv6(host)) return false;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
      if (!ParseUnsigned(port, 65535)) return false;
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (!ParseUnsigned(port, 65535)) return false;
    }
    // An empty host ("http://:8404/stats") means the service's own host.
    if (!host.empty() && !IsHostName(host)) return false;
    if (host.empty() && port.empty()) return false;
  }
  return IsUriChars(path, "._~/?=&+:@,-");
}

bool IsSocketPath(std::string_view s) {
  return s.size() >= 2 && s.size() <= 107 && s.front() == '/' && AllOf(s, "._/-") &&
         s.find("//") == std::string_view::npos;
}

std::optional<std::string> NormaliseNameList(std::string_view s) {
  std::string out;
  size_t i = 0;
  int count = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ',' || s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t') ++i;
    const std::string_view item = s.substr(start, i - start);
    if (item.empty()) continue;
    if (item.size() > 64 || !AllOf(item, "._:*?-")) return std::nullopt;
    if (++count > 64) return std::nullopt;
    if (!out.empty()) out += ',';
    out += item;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool IsDescription(std::string_view s) {
  return !s.empty() && s.size() <= 128 && AllOf(s, " ._:/@+#-") && s.front() != ' ' &&
         s.find("  ") == std::string_view::npos;
}

bool IsPrintableText(std::string_view s) {
  // The lexer already refused control bytes and invalid UTF-8; values built
  // in code (snapshots) pass through here too, so check again.
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

std::span<const TypeSpec> AllTypes() { return kTypes; }

const TypeSpec& SpecFor(ServiceType type) {
  for (const TypeSpec& spec : kTypes) {
    if (spec.type == type) return spec;
  }
  AUTOMON_CHECK(false && "every ServiceType has a TypeSpec");
  return kTypes[0];
}

std::optional<ServiceType> TypeFromName(std::string_view name) {
  for (const TypeSpec& spec : kTypes) {
    if (spec.name == name) return spec.type;
  }
  return std::nullopt;
}

std::span<const KeySpec> CommonKeys() { return kCommonKeys; }
const KeySpec& HostKey() { return kHostKey; }
std::span<const KeySpec> SslKeys() { return kSslKeys; }

const KeySpec* FindKey(ServiceType type, std::string_view key) {
  const TypeSpec& spec = SpecFor(type);
  for (const KeySpec& k : spec.keys) {
    if (k.name == key) return &k;
  }
  if (spec.ssl_keys) {
    for (const KeySpec& k : kSslKeys) {
      if (k.name == key) return &k;
    }
  }
  if (spec.host_key && key == kHostKey.name) return &kHostKey;
  for (const KeySpec& k : kCommonKeys) {
    if (k.name == key) return &k;
  }
  return nullptr;
}

std::vector<std::string_view> KeyNames(ServiceType type) {
  const TypeSpec& spec = SpecFor(type);
  std::vector<std::string_view> names{"type"};
  for (const KeySpec& k : kCommonKeys) names.push_back(k.name);
  if (spec.host_key) names.push_back(kHostKey.name);
  for (const KeySpec& k : spec.keys) names.push_back(k.name);
  if (spec.ssl_keys) {
    for (const KeySpec& k : kSslKeys) names.push_back(k.name);
  }
  return names;
}

std::string_view DescribeKind(ValueKind kind) {
  switch (kind) {
    case K::kBool:
      return "true or false (also yes/no, on/off, 1/0)";
    case K::kPort:
      return "a number from 1 to 65535";
    case K::kSeconds:
      return "a number of seconds from 1 to 604800";
    case K::kDays:
      return "a number of days from 1 to 3650";
    case K::kHostName:
      return "a host name (RFC 1123: letters, digits, '-' and '.') or an IPv4 address";
    case K::kAddress:
      return "a host name (RFC 1123), an IPv4 or an IPv6 address";
    case K::kUriPath:
      return "a path starting with '/' made of letters, digits and ._~/?=&+:@,- "
             "or %XX escapes, at most 1024 bytes";
    case K::kWebAppPath:
      return "a path of letters, digits and ._~/- such as /guacamole";
    case K::kEmail:
      return "a mail address user@host, the user part made of letters, digits and ._+-";
    case K::kIdentifier:
      return "letters, digits and ._- (starting with a letter or digit), at most 64";
    case K::kUserName:
      return "letters, digits and ._@+-, at most 128";
    case K::kDistinguishedName:
      return "an LDAP DN of letters, digits, spaces and =,._@+-, at most 512";
    case K::kProbeString:
      return "printable ASCII without \\ $ ` ' or \", at most 256 bytes";
    case K::kRange:
      return "a range such as 10, 10:, ~:10, 10:20 or @10:20";
    case K::kRangeOrPercent:
      return "a range such as 10, 10:, ~:10, 10:20 or @10:20, optionally ending in %";
    case K::kStatsEndpoint:
      return "an http:// or https:// URL (the host may be left out: http://:8404/stats), or "
             "the absolute path of a UNIX socket";
    case K::kNameList:
      return "names or glob patterns of letters, digits and ._:*?-, separated by commas";
    case K::kChoice:
      return "one of the listed choices";
    case K::kSecret:
      return "printable text, at most 1024 bytes";
    case K::kDescription:
      return "letters, digits, single spaces and ._:/@+#-, at most 128";
    case K::kPackageName:
      return "a Debian package name (lower-case letters, digits and +.-)";
    case K::kCommandLine:
      return "an absolute program path and its arguments, quoted like shell words";
    case K::kSchedule:
      return "fields minute, hour, day, month, day_of_week with lists and ranges, e.g. "
             "hour=9-17 day_of_week=mon-fri";
    case K::kInterval:
      return "a number of seconds from 10 to 86400";
    case K::kInstances:
      return "a number from 1 to 16";
    case K::kSystemUser:
      return "a user name of lower-case letters, digits, _ and - (starting with a letter or _), "
             "at most 32";
  }
  return "";
}

Result<std::string> NormaliseValue(const KeySpec& spec, std::string_view raw) {
  auto invalid = [&](std::string_view expected) {
    return Error{fmt::format("invalid value '{}' for '{}': expected {}", Abbreviate(raw), spec.name,
                             expected)};
  };
  if (raw.empty() && !(spec.kind == K::kDistinguishedName)) {
    return Error{
        fmt::format("empty value for '{}': expected {}", spec.name, DescribeKind(spec.kind))};
  }
  if (spec.kind == K::kSecret) {
    // A secret is never quoted back, not even when it is wrong.
    if (!IsPrintableText(raw) || raw.size() > 1024 || raw.front() == ';') {
      return Error{fmt::format("invalid value for '{}': expected {}, not starting with ';'",
                               spec.name, DescribeKind(spec.kind))};
    }
    return std::string(raw);
  }
  if (!IsPrintableText(raw)) return invalid(DescribeKind(spec.kind));
  // "key = ;x" reads back as a comment: no value may start with ';'.
  if (raw.front() == ';') {
    return Error{
        fmt::format("invalid value '{}' for '{}': a value cannot start with ';', which "
                    "starts a comment",
                    Abbreviate(raw), spec.name)};
  }
  switch (spec.kind) {
    case K::kBool: {
      const std::string v = Lower(raw);
      if (v == "true" || v == "yes" || v == "on" || v == "1") return std::string("true");
      if (v == "false" || v == "no" || v == "off" || v == "0") return std::string("false");
      break;
    }
    case K::kPort:
      if (auto n = ParseUnsigned(raw, 65535)) return std::to_string(*n);
      break;
    case K::kSeconds:
      if (auto n = ParseUnsigned(raw, 604800)) return std::to_string(*n);
      break;
    case K::kDays:
      if (auto n = ParseUnsigned(raw, 3650)) return std::to_string(*n);
      break;
    case K::kHostName:
      if (IsHostName(raw)) return Lower(raw);
      break;
    case K::kAddress:
      if (IsHostName(raw) || IsIpv6(raw)) return Lower(raw);
      break;
    case K::kUriPath:
      if (raw.front() == '/' && raw.size() <= 1024 && IsUriChars(raw, "._~/?=&+:@,-")) {
        return std::string(raw);
      }
      break;
    case K::kWebAppPath: {
      if (raw.size() > 256 || !AllOf(raw, "._~/-")) break;
      std::string path;
      for (size_t i = 0; i < raw.size();) {
        while (i < raw.size() && raw[i] == '/') ++i;
        const size_t start = i;
        while (i < raw.size() && raw[i] != '/') ++i;
        if (i == start) continue;
        const std::string_view segment = raw.substr(start, i - start);
        if (segment == "." || segment == "..") return invalid(DescribeKind(spec.kind));
        path += '/';
        path += segment;
      }
      return path.empty() ? std::string("/") : path;
    }
    case K::kEmail: {
      const size_t at = raw.find('@');
      if (at == std::string_view::npos || at == 0 || at > 64) break;
      const std::string_view local = raw.substr(0, at);
      if (AllOf(local, "._+-") && IsHostName(raw.substr(at + 1))) {
        return std::string(local) + "@" + Lower(raw.substr(at + 1));
      }
      break;
    }
    case K::kIdentifier:
      if (raw.size() <= 64 && IsAlnum(raw.front()) && AllOf(raw, "._-")) return std::string(raw);
      break;
    case K::kUserName:
      if (raw.size() <= 128 && AllOf(raw, "._@+-")) return std::string(raw);
      break;
    case K::kDistinguishedName:
      if (raw.size() <= 512 && AllOf(raw, " =,._@+-")) return std::string(raw);
      break;
    case K::kProbeString:
      if (raw.size() <= 256 &&
          std::all_of(raw.begin(), raw.end(), [](char c) { return c >= 0x20 && c < 0x7f; }) &&
          raw.find_first_of("\\$`'\"") == std::string_view::npos) {
        return std::string(raw);
      }
      break;
    case K::kRange:
      if (raw.size() <= 64 && IsRange(raw)) return std::string(raw);
      break;
    case K::kRangeOrPercent: {
      std::string_view body = raw;
      if (body.back() == '%') body.remove_suffix(1);
      if (raw.size() <= 64 && IsRange(body)) return std::string(raw);
      break;
    }
    case K::kStatsEndpoint:
      if (raw.size() <= 1024 && (IsStatsUrl(raw) || IsSocketPath(raw))) return std::string(raw);
      break;
    case K::kNameList:
      if (auto list = NormaliseNameList(raw)) return *list;
      break;
    case K::kChoice: {
      const std::string v = Lower(raw);
      for (std::string_view choice : spec.choices) {
        if (v == choice) return v;
      }
      std::string expected = "one of";
      for (size_t i = 0; i < spec.choices.size(); ++i) {
        expected += fmt::format("{} '{}'", i == 0 ? "" : ",", spec.choices[i]);
      }
      return invalid(expected);
    }
    case K::kSecret:
      break;  // handled above
    case K::kDescription:
      if (IsDescription(raw)) return std::string(raw);
      break;
    case K::kPackageName:
      if (raw.size() >= 2 && raw.size() <= 128 &&
          (IsDigit(raw.front()) || (raw.front() >= 'a' && raw.front() <= 'z')) &&
          std::all_of(raw.begin(), raw.end(), [](char c) {
            return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '+' || c == '.' || c == '-';
          })) {
        return std::string(raw);
      }
      break;
    case K::kCommandLine: {
      auto words = ParseCommandLine(raw);
      if (!words) {
        return Error{fmt::format("invalid value '{}' for '{}': {}", Abbreviate(raw), spec.name,
                                 words.error().message)};
      }
      return JoinCommandLine(*words);
    }
    case K::kSchedule: {
      auto schedule = ParseSchedule(raw);
      if (!schedule) {
        return Error{fmt::format("invalid value '{}' for '{}': {}", Abbreviate(raw), spec.name,
                                 schedule.error().message)};
      }
      return ToString(*schedule);
    }
    case K::kInterval:
      if (raw.size() <= 5 && std::all_of(raw.begin(), raw.end(), IsDigit)) {
        if (auto n = ParseUnsigned(raw, 86400); n && *n >= 10) return std::to_string(*n);
      }
      break;
    case K::kInstances:
      if (auto n = ParseUnsigned(raw, 16)) return std::to_string(*n);
      break;
    case K::kSystemUser:
      if (raw.size() <= 32 && ((raw.front() >= 'a' && raw.front() <= 'z') || raw.front() == '_') &&
          std::all_of(raw.begin(), raw.end(), [](char c) {
            return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
          })) {
        return std::string(raw);
      }
      break;
  }
  return invalid(DescribeKind(spec.kind));
}

Result<void> CheckRegisteredHostNameLength(std::string_view host) {
  if (host.size() <= kMaxRegisteredHostNameBytes) return {};
  return Error{fmt::format(
      "host name '{}' is {} bytes long; a registered host name is at most {} bytes (the "
      "registrar's file names are made from it)",
      host, host.size(), kMaxRegisteredHostNameBytes)};
}

}  // namespace automon::formats
