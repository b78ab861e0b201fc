// SPDX-License-Identifier: GPL-2.0-or-later
// Whether to trust the host key a registrar presents (DESIGN.md §5). Pure
// logic; the SSH client calls it after the key exchange and before
// authenticating, and records the key when the verdict says so.
//
// The order of trust:
//   1. `fingerprint =` in agent.conf (one or more keys): strict, nothing
//      else counts;
//   2. a registrar found over mDNS: a key pinned before (for any address:
//      the pin follows the key) is trusted; an unpinned key only on the
//      very first contact, when nothing at all is pinned yet;
//   3. else the fingerprint remembered for this address: strict;
//   4. else trust on first use, but only when the fingerprint advertised
//      in the registrar's mDNS TXT record (if any) matches. mDNS is
//      unauthenticated, so the hint can only refuse, never vouch.
#ifndef AUTOMON_AGENT_PINNING_H_
#define AUTOMON_AGENT_PINNING_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace automon::agent {

struct PinInputs {
  std::string registrar;                  // "mon1.example.org:2222", for messages
  std::string presented;                  // SHA256:... of the key just received
  std::vector<std::string> configured;    // agent.conf `fingerprint`, any of them
  std::string config_path;                // where `configured` comes from
  std::optional<std::string> remembered;  // from the agent's state
  std::string state_path;                 // where `remembered` is kept
  std::optional<std::string> advertised;  // the TXT record's fingerprint
  // Found over mDNS (not configured by address).
  bool discovered = false;
  // Every key pinned in the agent's state, for any registrar.
  std::set<std::string> pinned;
};

enum class PinVerdict {
  kTrusted,        // matches the configured or remembered pin
  kTrustedKey,     // discovered; its key is pinned for another address
  kTrustFirstUse,  // no pin yet: accept, and remember `presented`
  kRefused,        // do not authenticate; show `message`
};

struct PinDecision {
  PinVerdict verdict;
  std::string message;  // for kRefused: what happened and what to do

  bool operator==(const PinDecision&) const = default;
};

PinDecision DecidePin(const PinInputs& in);

// The one-line reason a discovered registrar with key `key` is not used
// once other keys are pinned (also said before connecting when its mDNS
// announcement advertises such a key).
std::string NotPinnedMessage(const std::string& registrar, const std::string& key,
                             const std::string& config_path);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_PINNING_H_
