// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/network.h"

#include <arpa/inet.h>

#include <algorithm>

#include "common/parse_integer.h"

namespace automon {

std::string PeerAddress(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    const size_t close = peer.find(']');
    return std::string(peer.substr(1, close == std::string_view::npos ? peer.size() : close - 1));
  }
  if (std::count(peer.begin(), peer.end(), ':') == 1)
    return std::string(peer.substr(0, peer.find(':')));
  return std::string(peer);
}

std::optional<Network> Network::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Network n;
  if (::inet_pton(AF_INET, address.c_str(), n.bytes) == 1) {
    n.family = AF_INET;
  } else if (::inet_pton(AF_INET6, address.c_str(), n.bytes) == 1) {
    n.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  const int max = n.family == AF_INET ? 32 : 128;
  n.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const Result<int> prefix = ParseInteger(p, 0, max);
    if (!prefix) return std::nullopt;
    n.prefix = *prefix;
  }
  return n;
}

bool Network::Contains(std::string_view peer) const {
  const std::string address = PeerAddress(peer);
  unsigned char candidate[16] = {};
  if (::inet_pton(family, address.c_str(), candidate) != 1) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    const int mask = 0x80 >> (bit % 8);
    if ((candidate[bit / 8] & mask) != (bytes[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace automon
