// SPDX-License-Identifier: GPL-2.0-or-later
// The registrar's self-check: `automon-registrar check`, a plugin in the
// monitoring-plugins conventions, rendered as the service "automon
// registrar" on the monitoring server's own host (backends::SelfCheckPlan).
//
// It runs as the engine's user (nagios), who may not read the registrar's
// store. So the registrar writes a small status file,
// <state_dir>/status (0640, group secrets_group: nagios) at every
// lifecycle tick of `serve`, after `render` and `remove`, and after a
// registration that may change the answer (Registrar::
// RefreshStatusAfterReceive); the check reads only that file. The file
// holds counts, never a secret.
#ifndef AUTOMON_REGISTRAR_SELF_CHECK_H_
#define AUTOMON_REGISTRAR_SELF_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace automon::registrar {

struct RegistrarStatus {
  int64_t updated = 0;  // unix seconds
  uint64_t hosts = 0;
  uint64_t services = 0;
  uint64_t pending = 0;  // enrollments waiting for `accept`
  uint64_t quarantined = 0;
  uint64_t silent = 0;  // silent or disabled
  bool guard_holds = false;
  int64_t last_activation = 0;  // unix seconds; 0: none yet
  bool last_activation_ok = true;
  std::string last_activation_error;  // one line
  std::string first_quarantined;      // one of them, for the message

  bool operator==(const RegistrarStatus&) const = default;
};

std::string SerializeStatus(const RegistrarStatus& status);
Result<RegistrarStatus> ParseStatus(std::string_view text, std::string_view filename);

// A status file older than this says the registrar is not updating it.
inline constexpr int64_t kStatusMaxAgeSeconds = 900;

struct PluginResult {
  int code = 3;      // 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  std::string text;  // the one line, perfdata included, without newline
};

// CRITICAL: a host is quarantined or the last activation failed; WARNING:
// enrollments wait, hosts are silent or the mass-silence guard holds;
// UNKNOWN: the status is older than kStatusMaxAgeSeconds. Perfdata:
// hosts, services, pending, quarantined, silent, last_activation_seconds.
PluginResult EvaluateStatus(const RegistrarStatus& status, int64_t now);

// The name of this machine as the engine knows it: the canonical name of
// gethostname() (getaddrinfo AI_CANONNAME), else gethostname() itself.
std::string MachineFqdn();

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_SELF_CHECK_H_
