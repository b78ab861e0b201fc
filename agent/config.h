// SPDX-License-Identifier: GPL-2.0-or-later
// /etc/automon/agent.conf: the agent's own configuration.
//
//   [agent]
//   registrar = auto                 # or: host[:port] ..., or both
//   discovery_timeout = 3            # seconds to wait for mDNS answers
//   fingerprint = SHA256:... ...     # optional pins of the registrars' keys
//   name = web01.example.org         # default: this host's FQDN
//   address = 192.0.2.10             # optional
//   directory = /etc/monitoring-info
//   key = /etc/automon/agent_key
//   state_dir = /var/lib/automon-agent
//   exclude = apache2 *-debug        # service-name globs to opt out
//   user = automon                   # SSH user on the registrar
//   spool_max_bytes = 1048576        # passive results kept per registrar
//   spool_max_age = 86400            # ... and for at most this many seconds
//   enabled = true
//
// Every key is optional. See automon-agent(8).
#ifndef AUTOMON_AGENT_CONFIG_H_
#define AUTOMON_AGENT_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"

namespace automon::agent {

inline constexpr std::string_view kDefaultConfigPath = "/etc/automon/agent.conf";

struct RegistrarAddress {
  std::string host;
  int port = 0;  // 0: the default port

  bool operator==(const RegistrarAddress&) const = default;
};

struct AgentConfig {
  // `registrar = auto` (alone or among addresses): also push to every
  // registrar announced over mDNS. No `registrar` key: no registrar at all.
  bool discover = false;
  std::vector<RegistrarAddress> registrars;  // registrar = host[:port] ...
  int discovery_timeout_ms = 3000;
  // Pinned registrar keys: any of them is accepted, no other.
  std::vector<std::string> fingerprints;
  std::optional<std::string> name;
  std::optional<std::string> address;
  std::string directory = "/etc/monitoring-info";
  std::string key = "/etc/automon/agent_key";
  std::string state_dir = "/var/lib/automon-agent";
  // The SSH user name on the registrar: automon for `automon-registrar
  // serve`; the account of an OpenSSH forced command otherwise.
  std::string user = "automon";
  std::vector<std::string> exclude;
  bool enabled = true;
  // The spool of passive results per registrar (agent/spool.h).
  size_t spool_max_bytes = 1 << 20;
  int64_t spool_max_age = 86400;

  bool operator==(const AgentConfig&) const = default;
};

struct ConfigParse {
  AgentConfig config;  // defaults where a key was absent or invalid
  std::vector<Diagnostic> diagnostics;
};

// Parses agent.conf text named `filename`. Invalid keys and values are
// errors with file:line:col; the caller refuses to run when there are any.
ConfigParse ParseAgentConfig(std::string_view text, std::string_view filename);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_CONFIG_H_
