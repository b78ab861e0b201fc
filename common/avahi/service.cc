// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/avahi/service.h"

#include <arpa/inet.h>
#include <avahi-common/alternative.h>
#include <avahi-common/malloc.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/c_deleter.h"

namespace automon::avahi {
namespace {

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string CutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

bool Printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
}

}  // namespace

Result<std::vector<std::string>> BuildTxt(const Announcement& a) {
  const std::pair<std::string_view, std::string_view> pairs[] = {
      {"version", kProtocolVersion},
      {"fingerprint", a.fingerprint},
      {"backend", a.backend},
  };
  std::vector<std::string> txt;
  for (const auto& [key, value] : pairs) {
    if (value.empty() || !Printable(value)) {
      return Error{fmt::format("TXT value for '{}' is empty or not printable: '{}'", key, value)};
    }
    std::string s = fmt::format("{}={}", key, value);
    if (s.size() > 255) {
      return Error{fmt::format("TXT string '{}...' is longer than 255 bytes", s.substr(0, 32))};
    }
    txt.push_back(std::move(s));
  }
  return txt;
}

std::string InstanceName(std::string_view host_name) {
  // Only the first label: "mon1.example.org" and "mon1.local" both give "mon1".
  const std::string_view label = host_name.substr(0, host_name.find('.'));
  return CutUtf8(fmt::format("automon registrar on {}", label.empty() ? "localhost" : label),
                 kMaxInstanceName);
}

std::string AlternativeName(const std::string& name) {
  std::unique_ptr<char, CDeleter<avahi_free>> next(avahi_alternative_service_name(name.c_str()));
  AUTOMON_CHECK(next != nullptr);  // only fails on out-of-memory
  std::string result = next.get();
  if (result.size() <= kMaxInstanceName) return result;
  // Make room for the suffix: cut the base, keep " #N".
  const size_t hash = result.rfind(" #");
  const std::string suffix = hash == std::string::npos ? "" : result.substr(hash);
  return CutUtf8(result.substr(0, hash), kMaxInstanceName - suffix.size()) + suffix;
}

std::map<std::string, std::string> ParseTxt(const std::vector<std::string>& strings) {
  std::map<std::string, std::string> txt;
  for (const std::string& s : strings) {
    const size_t eq = s.find('=');
    std::string key = s.substr(0, eq);
    if (key.empty()) continue;  // RFC 6763 §6.4: silently ignored
    std::transform(key.begin(), key.end(), key.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    txt.emplace(std::move(key), eq == std::string::npos ? "" : s.substr(eq + 1));
  }
  return txt;
}

std::optional<std::string> AdvertisedFingerprint(const Found& found) {
  // Returned as is, well-formed or not: a malformed hint simply never
  // matches a presented key, so it refuses trust on first use.
  const auto it = found.txt.find("fingerprint");
  if (it == found.txt.end()) return std::nullopt;
  return it->second;
}

bool AnnouncesEvery(const std::vector<Found>& found, const std::set<std::string>& fingerprints) {
  if (fingerprints.empty()) return false;
  return std::all_of(fingerprints.begin(), fingerprints.end(), [&](const std::string& key) {
    return std::any_of(found.begin(), found.end(), [&](const Found& f) {
      return f.address.find(':') == std::string::npos && AdvertisedFingerprint(f) == key;
    });
  });
}

InterfaceChoice ChooseInterface(
    const std::string& address,
    const std::function<std::optional<std::string>(const std::string&)>& owner,
    const std::function<unsigned(const std::string&)>& index) {
  if (address == "0.0.0.0" || address == "::") return {0, ""};
  std::optional<std::string> name;
  if (address.starts_with("127.") || address == "::1")
    name = "lo";
  else
    name = owner(address);
  if (!name) {
    return {
        std::nullopt,
        fmt::format("no interface holds the listen address {}; not announcing over mDNS", address)};
  }
  const unsigned i = index(*name);
  if (i == 0) {
    return {std::nullopt,
            fmt::format("the index of interface {} (listen address {}) is unknown; not "
                        "announcing over mDNS",
                        *name, address)};
  }
  return {static_cast<int>(i), ""};
}

std::optional<std::string> InterfaceOwning(const std::string& address) {
  in6_addr want6{};
  in_addr want4{};
  const bool v4 = inet_pton(AF_INET, address.c_str(), &want4) == 1;
  if (!v4 && inet_pton(AF_INET6, address.c_str(), &want6) != 1) return std::nullopt;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::unique_ptr<ifaddrs, CDeleter<freeifaddrs>> owned(list);
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_name == nullptr) continue;
    if (v4 && a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if (sin->sin_addr.s_addr == want4.s_addr) return std::string(a->ifa_name);
    } else if (!v4 && a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (std::memcmp(&sin6->sin6_addr, &want6, sizeof want6) == 0) {
        return std::string(a->ifa_name);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> ScopedAddress(const std::string& address, const char* interface_name) {
  in6_addr a{};
  if (inet_pton(AF_INET6, address.c_str(), &a) != 1 || !IN6_IS_ADDR_LINKLOCAL(&a)) {
    return address;
  }
  if (interface_name == nullptr || *interface_name == '\0') return std::nullopt;
  return address + "%" + interface_name;
}

}  // namespace automon::avahi
