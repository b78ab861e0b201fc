// SPDX-License-Identifier: GPL-2.0-or-later
// backends/icinga2: the Icinga 2 renderer. Pure functions from check plans
// to the content of Icinga 2 configuration files (reference
// passive-icinga2-prometheus.md §2); where and when files are written is
// registrar/activation_icinga2.h's job.
//
// Layout under the configured output directory (/etc/icinga2/conf.d/automon,
// or /etc/icinga2/zones.d/ZONE/automon):
//   automon.conf            the HostGroup "automon", the templates
//                           automon-host and automon-service (automon's
//                           defaults or the administrator's templates_file)
//                           and one CheckCommand per plan shape
//   hosts/<bb>/<host>.conf  one Host and its Services; <bb> is the first two
//                           hex digits of SHA-256(host), as for Nagios
//
// No shell anywhere: every CheckCommand's `command` is an argv array and its
// `arguments` a dictionary, so no value is ever split or interpreted by
// /bin/sh. Every value a host supplied stands only in a custom variable of
// its Service (vars.automon_argN), written as a DSL string literal by
// Icinga2String() with '$' doubled, so it can neither end the string nor
// smuggle a runtime macro in; the CheckCommand refers to it as
// "$automon_argN$". Debian's monitoring-plugins are found through the
// PluginDir constant of the administrator's constants.conf, automon's
// probes in the configured probes directory. Secrets never appear: programs get the path of a file
// (ArgumentKind::kSecretFile) or run through the automon_password_env
// wrapper, which reads the file into their environment.
#ifndef AUTOMON_BACKENDS_ICINGA2_H_
#define AUTOMON_BACKENDS_ICINGA2_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "backends/plan.h"
#include "common/result.h"

namespace automon::backends {

inline constexpr std::string_view kIcinga2CommonFileName = "automon.conf";
inline constexpr std::string_view kIcinga2HostsDirName = "hosts";

struct Icinga2Options {
  // For headers: when the file was generated (e.g. "2026-11-21T15:00:00Z").
  std::string generated_at;
  // Where automon-probes installs check_guacamole, ... and
  // automon_password_env.
  std::string probes_dir = "/usr/lib/nagios/plugins";
  // The zone of every object (distributed setups); empty: none.
  std::string zone;
  // The administrator's template file named in headers.
  std::string templates_file = "/etc/automon/icinga2-templates.conf";
};

// A DSL string literal of `value`, quotes included: '\' and '"' escaped,
// control characters as \n \r \t \b \f or three-digit octal, and, unless
// `macros` is false, '$' written "$$" so Icinga 2's runtime macro
// resolution gives back exactly `value`; bytes from 0x7f up as octal too.
// Refuses values over 4096 bytes and NUL (argv words are C strings), the
// Error naming the offset.
Result<std::string> Icinga2String(std::string_view value, bool macros = true);

// Object names (Host, HostGroup, CheckCommand, Service short names):
// 1-253 bytes of [A-Za-z0-9._-], not starting with '.' or '-'; in
// particular never '!', which Icinga 2 uses to join host and service.
bool IsIcinga2ObjectName(std::string_view name);

// display_name of a Service: 1-128 bytes of [A-Za-z0-9 ._:/@+#-], no
// leading or trailing space, no two spaces in a row (the Nagios rule, so a
// host renders the same services for every backend).
bool IsIcinga2DisplayName(std::string_view description);

// The CheckCommand name of a plan: "automon_" + plan.command.
std::string Icinga2CommandName(const CheckPlan& plan);

// The shared file: HostGroup, templates and a CheckCommand for each of
// `shapes` (AllCommandShapes(); equal `command` names once). `templates`:
// the content of the administrator's templates_file, used instead of
// automon's default templates when set. Fails when a shape's name or
// program is not usable (a bug in the plan table, never host input).
Result<std::string> RenderIcinga2Common(const std::vector<CheckPlan>& shapes,
                                        const std::optional<std::string>& templates,
                                        const Icinga2Options& options);

class Icinga2Renderer final : public Renderer {
 public:
  explicit Icinga2Renderer(Icinga2Options options) : options_(std::move(options)) {}

  BackendKind kind() const override { return BackendKind::kIcinga2; }
  Result<RenderedHost> RenderHost(const HostPlan& plan) const override;
  // "hosts/<bb>/<host>.conf".
  std::string HostFileName(std::string_view host) const override;

 private:
  Icinga2Options options_;
};

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_ICINGA2_H_
