#include "agent/pinning.h"

#include <fmt/format.h>

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

PinDecision DecidePin(const PinInputs& in) {
  if (in.configured) {
    if (*in.configured == in.presented) return {PinVerdict::kTrusted, ""};
    return {PinVerdict::kRefused,
            Changed(in, *in.configured, in.config_path,
                    fmt::format("If the new key is expected, set 'fingerprint = {}' in {}.",
                                in.presented, in.config_path))};
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
