// SPDX-License-Identifier: GPL-2.0-or-later
// Network: an IPv4 or IPv6 network ("192.0.2.0/24", "2001:db8::/32", or a
// single address), and the address part of a "host:port" peer.
#ifndef AUTOMON_COMMON_NETWORK_H_
#define AUTOMON_COMMON_NETWORK_H_

#include <optional>
#include <string>
#include <string_view>

namespace automon {

struct Network {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char bytes[16] = {};
  int prefix = 0;

  // nullopt unless `text` is a numeric address with an optional /prefix.
  static std::optional<Network> Parse(std::string_view text);
  // `address` is numeric, with or without ":port" / "[...]:port".
  bool Contains(std::string_view address) const;
};

// "192.0.2.1:22" -> "192.0.2.1", "[2001:db8::1]:22" -> "2001:db8::1";
// anything else is returned unchanged.
std::string PeerAddress(std::string_view peer);

}  // namespace automon

#endif  // AUTOMON_COMMON_NETWORK_H_
