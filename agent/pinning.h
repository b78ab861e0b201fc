// Whether to trust the host key a registrar presents (DESIGN.md §5). Pure
// logic; the SSH client calls it after the key exchange and before
// authenticating, and records the key when the verdict says so.
//
// The order of trust:
//   1. `fingerprint =` in agent.conf: strict, nothing else counts;
//   2. else the fingerprint remembered from an earlier connection: strict;
//   3. else trust on first use, but only when the fingerprint advertised
//      in the registrar's mDNS TXT record (if any) matches. mDNS is
//      unauthenticated, so the hint can only refuse, never vouch.
#ifndef AUTOMON_AGENT_PINNING_H_
#define AUTOMON_AGENT_PINNING_H_

#include <optional>
#include <string>

namespace automon::agent {

struct PinInputs {
  std::string registrar;                  // "mon1.example.org:2222", for messages
  std::string presented;                  // SHA256:... of the key just received
  std::optional<std::string> configured;  // agent.conf `fingerprint`
  std::string config_path;                // where `configured` comes from
  std::optional<std::string> remembered;  // from the agent's state
  std::string state_path;                 // where `remembered` is kept
  std::optional<std::string> advertised;  // the TXT record's fingerprint
};

enum class PinVerdict {
  kTrusted,        // matches the configured or remembered pin
  kTrustFirstUse,  // no pin yet: accept, and remember `presented`
  kRefused,        // do not authenticate; show `message`
};

struct PinDecision {
  PinVerdict verdict;
  std::string message;  // for kRefused: what happened and what to do

  bool operator==(const PinDecision&) const = default;
};

PinDecision DecidePin(const PinInputs& in);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_PINNING_H_
