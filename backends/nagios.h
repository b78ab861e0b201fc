// backends/nagios: the Nagios 4 renderer. Pure functions from stored
// snapshots to file contents; the caller decides where and when files are
// written (activation.h).
//
// Layout under the configured output_dir:
//   automon.cfg             the automon_* commands and the `automon` hostgroup
//   local-templates.cfg     a verified copy of the administrator's templates
//                           (automon-host, automon-service; /etc/automon/)
//   hosts/<bb>/<host>.cfg   one host and its services; <bb> is the first two
//                           hex digits of SHA-256(host), so that verifying
//                           one host's change can name the 255 untouched
//                           buckets as whole directories (activation.h)
//
// Every value a host supplied reaches Nagios only as an $ARGn$ of a
// check_command, encoded by EncodeArgument() and single-quoted in the
// command_line; secrets never appear: they are referenced by the path of a
// file (--password-file, or the automon_password_env wrapper for check_ldap).
#ifndef AUTOMON_BACKENDS_NAGIOS_H_
#define AUTOMON_BACKENDS_NAGIOS_H_

#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "common/result.h"
#include "formats/snapshot.h"

namespace automon::backends {

inline constexpr std::string_view kCommonFileName = "automon.cfg";
inline constexpr std::string_view kLocalTemplatesFileName = "local-templates.cfg";
inline constexpr std::string_view kHostsDirName = "hosts";

struct NagiosRenderOptions {
  // For headers: when the file was generated (e.g. "2026-11-21T15:00:00Z").
  std::string generated_at;
  // The administrator's template file named in headers.
  std::string templates_file = "/etc/automon/nagios-templates.cfg";
  // Where secret files live: <secrets_dir>/<host>/<service>.<generation>.password
  std::string secrets_dir = "/var/lib/automon/secrets";
  // check_mailflow's state: one directory per mail flow,
  // <mailflow_dir>/<mailflowid>, shared by the send, receive and age checks
  // of that flow (check_mailflow(1) --state-dir).
  std::string mailflow_dir = "/var/lib/automon/mailflow";
};

// The automon_* command definitions and the hostgroup. Deterministic apart
// from the header.
std::string RenderNagiosCommon(const NagiosRenderOptions& options);

// The administrator's templates, with a header saying where they came from.
std::string RenderLocalTemplates(std::string_view templates, const NagiosRenderOptions& options);

// One host's file. Fails as a whole when the host's name or address does not
// pass the renderer's own checks; a service that does not is left out and
// reported in `services` (the caller decides whether that rejects it).
Result<RenderedHost> RenderNagiosHost(const formats::Snapshot& snapshot,
                                      const NagiosRenderOptions& options);

// "hosts/<bb>/<host>.cfg", <bb> = HostBucket(host).
std::string HostFileName(std::string_view host);
// The first two hex digits of SHA-256(host).
std::string HostBucket(std::string_view host);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_NAGIOS_H_
