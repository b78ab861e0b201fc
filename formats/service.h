// SPDX-License-Identifier: GPL-2.0-or-later
// The monitoring-info model: one Service per [section] of a definition file,
// validated and normalised (every default filled in, every value in its
// canonical spelling). Plain value types; compare whole objects with ==.
#ifndef AUTOMON_FORMATS_SERVICE_H_
#define AUTOMON_FORMATS_SERVICE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/source_location.h"

namespace automon::formats {

enum class ServiceType {
  kHttp,
  kUdp,
  kTcp,
  kSmtp,
  kImap,
  kPop3,
  kMailflow,
  kLdap,
  kSsh,
  kGuacamole,
  kHaproxy,
  kCommand,  // a local check the agent runs (passive; issue #15)
};

// A secret value (a password). It has no stream operator and no implicit
// conversion: code must call Reveal() on purpose, which makes every place a
// secret can leak visible in review. Redacted() is for people.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& Reveal() const { return value_; }
  static constexpr std::string_view Redacted() { return "(secret)"; }

  bool operator==(const Secret&) const = default;

 private:
  std::string value_;
};

struct Service {
  std::string name;  // the section name, unique per host
  ServiceType type = ServiceType::kTcp;
  std::string description;  // defaults to `name`
  bool enabled = true;
  std::optional<std::string> package;  // active only while installed
  std::optional<std::string> host;     // check this address instead of the host's own
  // Every other key of the type, normalised, with defaults applied. Keys
  // without a default that were not given are absent.
  std::map<std::string, std::string> settings;
  std::optional<Secret> password;
  SourceLocation loc;  // file and line of the section header

  // The value of a setting, if present.
  std::optional<std::string_view> Get(std::string_view key) const;
  // A boolean or integer setting that the type defines with a default (or
  // that validation made mandatory); AUTOMON_CHECKs that it is present.
  bool GetBool(std::string_view key) const;
  int64_t GetInt(std::string_view key) const;

  bool operator==(const Service&) const = default;
};

std::string_view TypeName(ServiceType type);

// "host:port/uri"-style summary of what the service checks, for tables.
// `host` is shown as "(this host)" when unset; a haproxy stats URL without
// a host gets the same treatment.
std::string DescribeTarget(const Service& service);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_SERVICE_H_
