// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/pinning.h"

#include <fmt/format.h>

#include <algorithm>

namespace automon::agent {
namespace {

// In the manner of OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED".
std::string Changed(const PinInputs& in, const std::string& expected, std::string_view where,
                    std::string_view remedy) {
  return fmt::format(
      "WARNING: THE IDENTIFICATION OF REGISTRAR {} HAS CHANGED!\n"
      "Someone could be intercepting this connection (man-in-the-middle), or the registrar's\n"
      "host key has been replaced.\n"
      "The registrar presented the key  {}\n"
      "but the key pinned in {} is   {}\n"
      "{}\n"
      "Refusing to connect.",
      in.registrar, in.presented, where, expected, remedy);
}

}  // namespace

std::string NotPinnedMessage(const std::string& registrar, const std::string& key,
                             const std::string& config_path) {
  return fmt::format(
      "registrar {} (found over mDNS) has the key {}, which is not pinned; not used (to use it "
      "too, list every registrar's key in 'fingerprint =' in {})",
      registrar, key, config_path);
}

PinDecision DecidePin(const PinInputs& in) {
  if (!in.configured.empty()) {
    if (std::find(in.configured.begin(), in.configured.end(), in.presented) !=
        in.configured.end()) {
      return {PinVerdict::kTrusted, ""};
    }
    if (in.discovered) {
      return {PinVerdict::kRefused, NotPinnedMessage(in.registrar, in.presented, in.config_path)};
    }
    std::string expected;
    for (const std::string& k : in.configured) expected += (expected.empty() ? "" : " or ") + k;
    return {PinVerdict::kRefused,
            Changed(in, expected, in.config_path,
                    fmt::format("If the new key is expected, set 'fingerprint = {}' in {}.",
                                in.presented, in.config_path))};
  }
  if (in.discovered) {
    if (in.remembered == in.presented) return {PinVerdict::kTrusted, ""};
    if (in.pinned.count(in.presented)) return {PinVerdict::kTrustedKey, ""};
    // Not the key pinned for this address, nor any other pinned key: once
    // anything is pinned, a new announcer is never trusted on first use.
    if (!in.remembered && !in.pinned.empty()) {
      return {PinVerdict::kRefused, NotPinnedMessage(in.registrar, in.presented, in.config_path)};
    }
  }
  if (in.remembered) {
    if (*in.remembered == in.presented) return {PinVerdict::kTrusted, ""};
    return {PinVerdict::kRefused,
            Changed(in, *in.remembered, in.state_path,
                    fmt::format("If the new key is expected, remove {} (the agent then trusts "
                                "the next key it sees), or set 'fingerprint = {}' in {}.",
                                in.state_path, in.presented, in.config_path))};
  }
  if (in.advertised && *in.advertised != in.presented) {
    return {PinVerdict::kRefused,
            fmt::format("Registrar {} presented the key {}, but its mDNS announcement "
                        "advertises {}.\nThe announcement or the connection is not genuine. "
                        "Refusing to trust the key on first use; set 'fingerprint =' in {} to "
                        "the registrar's real fingerprint.",
                        in.registrar, in.presented, *in.advertised, in.config_path)};
  }
  return {PinVerdict::kTrustFirstUse, ""};
}

}  // namespace automon::agent
