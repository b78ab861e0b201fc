// SPDX-License-Identifier: GPL-2.0-or-later
// The `_automon._tcp` DNS-SD service: what a registrar announces and what an
// agent reads back (DESIGN.md §5). Pure functions, no Avahi calls except the
// library's own name-alternation helper; tested without a daemon.
//
// TXT record (each string "key=value", RFC 6763 §6):
//   version=1                  the agent<->registrar protocol version
//   fingerprint=SHA256:...     the registrar's SSH host key, as ssh-keygen -l
//                              prints it; only a trust-on-first-use hint
//   backend=nagios|checkmk     what the registrar renders to
#ifndef AUTOMON_COMMON_AVAHI_SERVICE_H_
#define AUTOMON_COMMON_AVAHI_SERVICE_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace automon::avahi {

inline constexpr std::string_view kServiceType = "_automon._tcp";
inline constexpr std::string_view kProtocolVersion = "1";
// Error::errnum of a lookup that found no avahi-daemon (AVAHI_ERR_NO_DAEMON).
inline constexpr int kNoDaemon = -26;
// RFC 6763 §4.1.1: an instance name is at most 63 bytes.
inline constexpr size_t kMaxInstanceName = 63;

// What the registrar publishes.
struct Announcement {
  std::string name;  // the instance name, e.g. "automon registrar on mon1"
  int port = 0;
  std::string fingerprint;  // SHA256:...
  std::string backend;      // nagios | checkmk
  // Where to announce: 0 for every interface avahi-daemon uses, else an
  // interface index (e.g. loopback's, for a registrar listening there).
  int interface = 0;

  bool operator==(const Announcement&) const = default;
};

// The TXT strings for `a`, in a fixed order. An error when a value would
// not fit a TXT string or could be mistaken for another key (it contains
// '=' in a key, a control character, or is longer than 255 bytes).
Result<std::vector<std::string>> BuildTxt(const Announcement& a);

// "automon registrar on HOST", cut at a UTF-8 boundary to fit 63 bytes.
std::string InstanceName(std::string_view host_name);

// The name to try after `name` collided: "X" -> "X #2" -> "X #3" ...
// (avahi_alternative_service_name), still at most 63 bytes.
std::string AlternativeName(const std::string& name);

// A service an agent found: resolved address, port and TXT.
struct Found {
  std::string name;       // instance name
  std::string host_name;  // e.g. mon1.local
  std::string address;    // numeric IPv4 or IPv6
  int port = 0;
  std::map<std::string, std::string> txt;

  bool operator==(const Found&) const = default;
};

// Where a server listening on `address` is announced (Announcement::
// interface): 0 (every interface) only for the wildcard 0.0.0.0 or ::;
// loopback's index for 127.0.0.0/8 and ::1; else the index of the
// interface that owns `address`. nullopt, with `warning` saying why, when
// there is no such interface or its index is unknown (if_nametoindex 0):
// never every interface for an address reachable on one only.
struct InterfaceChoice {
  std::optional<int> interface;
  std::string warning;
};
// owner(address): the name of the interface holding that address, if any;
// index(name): its index, 0 when unknown.
InterfaceChoice ChooseInterface(
    const std::string& address,
    const std::function<std::optional<std::string>(const std::string&)>& owner,
    const std::function<unsigned(const std::string&)>& index);
// The real owner() for ChooseInterface: getifaddrs(3).
std::optional<std::string> InterfaceOwning(const std::string& address);

// The address to connect to for a resolved `address` (numeric) that
// arrived on interface `interface_name` (nullptr if unknown): a link-local
// IPv6 address (fe80::/10) gets its scope, "%name", without which it
// cannot be reached; nullopt when it needs one and the name is unknown
// (the result is skipped). Other addresses are returned as they are.
std::optional<std::string> ScopedAddress(const std::string& address, const char* interface_name);

// The TXT record's fingerprint, if it has one (not checked for form: a
// malformed one matches no key, so it only ever refuses).
std::optional<std::string> AdvertisedFingerprint(const Found& found);

// Whether `found` has, for each of `fingerprints`, a service advertising
// it at an IPv4 address (IPv4 is what a browse prefers; an IPv6 answer may
// still be followed by its IPv4 one). False for an empty set: a browse
// that knows no key waits for everything avahi-daemon knows.
bool AnnouncesEvery(const std::vector<Found>& found, const std::set<std::string>& fingerprints);

// Parses "key=value" TXT strings; a string without '=' is a boolean
// attribute with an empty value (RFC 6763 §6.4); keys are lower-cased;
// the first occurrence of a key wins (§6.4).
std::map<std::string, std::string> ParseTxt(const std::vector<std::string>& strings);

}  // namespace automon::avahi

#endif  // AUTOMON_COMMON_AVAHI_SERVICE_H_
