// SPDX-License-Identifier: GPL-2.0-or-later
// The schema of every service type: its keys, what each accepts, defaults
// and which are mandatory. This table is the single source of truth for the
// parser, the validators, `automon-agent show` and the man page's tables
// (a test compares monitoring-info(5) against it).
#ifndef AUTOMON_FORMATS_SCHEMA_H_
#define AUTOMON_FORMATS_SCHEMA_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "formats/service.h"

namespace automon::formats {

// What a key accepts. Each kind is an allow-list (see NormaliseValue).
enum class ValueKind {
  kBool,               // true/false, yes/no, on/off, 1/0 -> "true"/"false"
  kPort,               // 1-65535
  kSeconds,            // 1-604800
  kDays,               // 1-3650
  kHostName,           // RFC 1123 host name or IPv4 address, lower-cased
  kAddress,            // kHostName or an IPv6 address
  kUriPath,            // "/..." from [A-Za-z0-9._~/%?=&+:@,-]
  kWebAppPath,         // a URL path prefix; normalised to "/x/y" (or "/")
  kEmail,              // local@host
  kIdentifier,         // [A-Za-z0-9][A-Za-z0-9._-]*, at most 64
  kUserName,           // [A-Za-z0-9._@+-], at most 128
  kDistinguishedName,  // LDAP DN: [A-Za-z0-9 =,._@+-], may be empty
  kProbeString,        // printable ASCII except \ $ ` ' ", at most 256
  kRange,              // monitoring-plugins range: 10, 10:, ~:10, 10:20, @10:20
  kRangeOrPercent,     // kRange, optionally ending in '%'
  kStatsEndpoint,      // http(s)://[host][:port][/path] or an absolute socket path
  kNameList,           // names or glob patterns, comma or blank separated
  kChoice,             // one of KeySpec::choices
  kSecret,             // any printable text, never shown
  kDescription,        // [A-Za-z0-9 ._:/@+#-], at most 128, single spaces
  kPackageName,        // Debian package name (Policy 5.6.1)
  kCommandLine,        // program and arguments (formats/command_line.h), re-quoted canonically
  kSchedule,           // a time window (formats/schedule.h), canonical spelling
  kInterval,           // seconds, 10-86400
  kInstances,          // 1-16
  kSystemUser,         // a local user name: [a-z_][a-z0-9_-]*, at most 32
};

struct KeySpec {
  std::string_view name;
  ValueKind kind;
  bool mandatory = false;
  std::optional<std::string_view> default_value = std::nullopt;
  // Default when the service has ssl = true (ports: 443 instead of 80 ...).
  std::optional<std::string_view> ssl_default_value = std::nullopt;
  std::span<const std::string_view> choices = {};
  std::string_view help = {};
};

struct TypeSpec {
  ServiceType type;
  std::string_view name;
  std::span<const KeySpec> keys;  // type-specific keys
  bool ssl_keys;                  // takes ssl, ssl_hostname, ignore_invalid_ssl, expire_before_days
  bool host_key;                  // takes `host` (checking another address)
  std::string_view help;
};

std::span<const TypeSpec> AllTypes();
const TypeSpec& SpecFor(ServiceType type);
std::optional<ServiceType> TypeFromName(std::string_view name);

// Keys valid for every type (description, enabled, package), the `host`
// key, and the SSL keys.
std::span<const KeySpec> CommonKeys();
const KeySpec& HostKey();
std::span<const KeySpec> SslKeys();

// The spec of `key` for `type`, or nullptr when the type has no such key.
const KeySpec* FindKey(ServiceType type, std::string_view key);

// Every key name `type` accepts, in a stable order (for suggestions).
std::vector<std::string_view> KeyNames(ServiceType type);

// Validates `raw` (already trimmed) against the allow-list of `spec` and
// returns its canonical spelling, or an Error whose message quotes the
// value, names the key and says what is allowed, e.g.
//   invalid value 'http' for 'port': expected a number from 1 to 65535
Result<std::string> NormaliseValue(const KeySpec& spec, std::string_view raw);

// A human description of what `kind` accepts ("a number from 1 to 65535").
std::string_view DescribeKind(ValueKind kind);

// The name a host registers as becomes file names on the registrar
// (hosts/<name>.snapshot, written through a temporary .<name>.snapshot.tmp.
// XXXXXX: 21 bytes more), each at most NAME_MAX (255) bytes. A valid host
// name of up to 253 bytes may therefore be too long to register: at most
// this many bytes, which leaves 25 for suffixes (doc/decisions.md).
inline constexpr size_t kMaxRegisteredHostNameBytes = 230;

// An Error saying so when `host` is longer than kMaxRegisteredHostNameBytes.
Result<void> CheckRegisteredHostNameLength(std::string_view host);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_SCHEMA_H_
