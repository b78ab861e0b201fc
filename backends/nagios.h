// SPDX-License-Identifier: GPL-2.0-or-later
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
// Rendered from check plans (plan.h). Every value a host supplied reaches
// Nagios only as an $ARGn$ of a check_command, encoded by EncodeArgument()
// and single-quoted in the command_line; secrets never appear: they are
// referenced by the path of a file (--password-file, or the
// automon_password_env wrapper for a plan's secret_environment).
#ifndef AUTOMON_BACKENDS_NAGIOS_H_
#define AUTOMON_BACKENDS_NAGIOS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/backend.h"
#include "backends/plan.h"
#include "common/result.h"
#include "formats/snapshot.h"

namespace automon::backends {

inline constexpr std::string_view kCommonFileName = "automon.cfg";
inline constexpr std::string_view kLocalTemplatesFileName = "local-templates.cfg";
inline constexpr std::string_view kHostsDirName = "hosts";

// Nagios 4 expands $ARG1$..$ARG32$ only; a plan that would need more is
// not rendered (doc/decisions.md).
inline constexpr int kMaxNagiosArguments = 32;
// The check_command of a passive service: UNKNOWN, "No result from HOST for
// N s (agent silent?)"; its $ARG1$ is the freshness threshold.
inline constexpr std::string_view kNagiosStaleCommand = "automon_stale";

struct NagiosRenderOptions {
  // For headers: when the file was generated (e.g. "2026-11-21T15:00:00Z").
  std::string generated_at;
  // The administrator's template file named in headers.
  std::string templates_file = "/etc/automon/nagios-templates.cfg";
};

// The automon_* command definitions (one per shape of AllCommandShapes())
// and the hostgroup. Deterministic apart from the header.
std::string RenderNagiosCommon(const NagiosRenderOptions& options);

// The administrator's templates, with a header saying where they came from.
std::string RenderLocalTemplates(std::string_view templates, const NagiosRenderOptions& options);

// The command_line of a shape: $USER1$/program and its arguments, each
// host-supplied value as a single-quoted $ARGn$ numbered in plan order
// (the secret_environment's file first). Also the number of $ARGn$ used.
std::string NagiosCommandLine(const CheckPlan& plan, int* arguments = nullptr);
// That number of $ARGn$ alone, without the command line.
int NagiosArgumentCount(const CheckPlan& plan);

class NagiosRenderer final : public Renderer {
 public:
  explicit NagiosRenderer(NagiosRenderOptions options) : options_(std::move(options)) {}

  BackendKind kind() const override { return BackendKind::kNagios; }
  // hosts/<bb>/<host>.cfg. Fails as a whole when the host's name or address
  // is not usable in Nagios; a service whose name, description or values
  // are not, or whose plan needs more than kMaxNagiosArguments arguments,
  // is left out and reported in `services`.
  Result<RenderedHost> RenderHost(const HostPlan& plan) const override;
  std::string HostFileName(std::string_view host) const override;

  const NagiosRenderOptions& options() const { return options_; }

 private:
  NagiosRenderOptions options_;
};

// "hosts/<bb>/<host>.cfg", <bb> = HostBucket(host) (backends/plan.h).
std::string HostFileName(std::string_view host);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_NAGIOS_H_
