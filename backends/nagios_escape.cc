// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/nagios_escape.h"

#include <fmt/format.h>

#include <algorithm>

#include "formats/results.h"

namespace automon::backends {
namespace {

// A definition line's limit (formats/): the longest value, 64 HAProxy proxy
// patterns passed as one argument (plan.cc), stays below it.
constexpr size_t kMaxArgumentBytes = 4096;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllOf(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return IsAlnum(c) || extra.find(c) != std::string_view::npos; });
}

}  // namespace

Result<std::string> EncodeArgument(std::string_view value) {
  if (value.size() > kMaxArgumentBytes) {
    return Error{
        fmt::format("value of {} bytes is over the limit of {}", value.size(), kMaxArgumentBytes)};
  }
  std::string out;
  out.reserve(value.size() + 8);
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c >= 0x7f) {
      return Error{fmt::format("byte 0x{:02x} at offset {} is not printable ASCII", c, i)};
    }
    switch (c) {
      case '\\':
        return Error{fmt::format("backslash at offset {} is not allowed", i)};
      case '!':
        out += "\\!";
        break;
      case '$':
        out += "$$";
        break;
      case ';':
        out += "\\;";
        break;
      case '\'':
        out += "'\\''";
        break;
      default:
        out += static_cast<char>(c);
    }
  }
  return out;
}

bool IsSafeObjectName(std::string_view name) {
  return !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-' &&
         AllOf(name, "._-");
}

bool IsSafeServiceDescription(std::string_view d) {
  return !d.empty() && d.size() <= 128 && d.front() != ' ' && d.back() != ' ' &&
         d.find("  ") == std::string_view::npos && AllOf(d, " ._:/@+#-");
}

bool IsSafeAddress(std::string_view address) {
  return !address.empty() && address.size() <= 253 && address.front() != '-' &&
         AllOf(address, ".:-");
}

std::string ServiceNames::Refusal(const std::string& name, const std::string& description) {
  // The heartbeat's name is automon's own, with its space.
  if ((!IsSafeObjectName(name) || name.size() > 64) && name != formats::kHeartbeatService)
    return "the service name is not usable in Nagios";
  if (!IsSafeServiceDescription(description)) {
    return fmt::format("description '{}' is not usable in Nagios", description);
  }
  if (!names_.insert(name).second || !descriptions_.insert(description).second) {
    return "duplicate service name or description";
  }
  return {};
}

}  // namespace automon::backends
