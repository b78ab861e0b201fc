// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/service.h"

#include <fmt/format.h>

#include "common/check.h"
#include "common/parse_integer.h"
#include "formats/schema.h"

namespace automon::formats {

std::optional<std::string_view> Service::Get(std::string_view key) const {
  auto it = settings.find(std::string(key));
  if (it == settings.end()) return std::nullopt;
  return it->second;
}

bool Service::GetBool(std::string_view key) const {
  const auto value = Get(key);
  AUTOMON_CHECK(value.has_value());
  return *value == "true";
}

int64_t Service::GetInt(std::string_view key) const {
  const auto value = Get(key);
  AUTOMON_CHECK(value.has_value());
  const Result<int64_t> n = ParseInteger<int64_t>(*value);
  AUTOMON_CHECK(n.ok());
  return *n;
}

std::string_view TypeName(ServiceType type) { return SpecFor(type).name; }

std::string DescribeTarget(const Service& service) {
  std::string host = service.host.value_or("(this host)");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  switch (service.type) {
    case ServiceType::kMailflow:
      return fmt::format("mail flow '{}' within {}s", *service.Get("id"), *service.Get("seconds"));
    case ServiceType::kHaproxy: {
      const std::string stats(*service.Get("stats"));
      const size_t scheme_end = stats.find("://:");
      if (scheme_end == std::string::npos) return stats;
      return stats.substr(0, scheme_end + 3) + host + stats.substr(scheme_end + 3);
    }
    case ServiceType::kCommand:
      return std::string(service.Get("command").value_or(""));
    case ServiceType::kHttp:
      return fmt::format("{}://{}:{}{}", service.GetBool("ssl") ? "https" : "http",
                         service.Get("hostname").value_or(host), *service.Get("port"),
                         *service.Get("uri"));
    case ServiceType::kGuacamole:
      return fmt::format("{}://{}:{}{}", *service.Get("protocol"), host, *service.Get("port"),
                         *service.Get("uri"));
    default:
      return fmt::format("{}:{}", host, *service.Get("port"));
  }
}

}  // namespace automon::formats
