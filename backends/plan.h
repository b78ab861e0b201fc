// SPDX-License-Identifier: GPL-2.0-or-later
// backends/plan: what to run for a service, independent of any monitoring
// engine. The one table (plan.cc) that turns each formats::ServiceType into
// a CheckPlan is the single place that says how a type is checked; every
// backend (Nagios, Checkmk, Icinga 2, ...) renders plans and nothing else,
// so adding a service type touches the format's schema, that table and
// tests, never a backend.
//
// A plan is a value: it holds no secret (a secret is referred to by the path
// of the file the registrar writes it to), no engine syntax and no quoting.
// Every value a host supplied is kept apart from automon's own literal text
// by its ArgumentKind, so a backend can pass the first only through its
// escaping and never as syntax.
#ifndef AUTOMON_BACKENDS_PLAN_H_
#define AUTOMON_BACKENDS_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/source_location.h"
#include "formats/results.h"
#include "formats/snapshot.h"

namespace automon::backends {

// Where a program lives; each backend resolves it to a path (Nagios:
// $USER1$, Checkmk: the site's plugin directory or the probes directory,
// Icinga 2: PluginDir or the probes directory).
enum class ProgramSource {
  kMonitoringPlugins,  // Debian's monitoring-plugins: check_http, check_tcp, ...
  kAutomonProbes,      // the automon-probes package: check_guacamole, ...
};

struct Program {
  std::string name;  // a file name, never a path: "check_http"
  ProgramSource source = ProgramSource::kMonitoringPlugins;

  bool operator==(const Program&) const = default;
};

enum class ArgumentKind {
  kFlag,        // `option` alone, automon's own text ("--ssl", "-3")
  kFixed,       // `option value`, both automon's own text ("--mode send");
                // with an empty option, one positional word ("3")
  kValue,       // `option value`, the value from the definition (or derived
                // from it): host-supplied, to be escaped by the backend
  kAddress,     // `option value`, the address to check (the service's host,
                // else the host's address, else its name): host-supplied
  kSecretFile,  // `option value`, the value the path of a SecretFile of the
                // HostPlan: the secret itself never appears in a plan
};

// One argument of the program's argv. An empty `option` gives a positional
// argument (kFixed, kValue, kAddress, kSecretFile).
struct Argument {
  std::string option;
  ArgumentKind kind = ArgumentKind::kValue;
  std::string value;    // empty for kFlag
  bool joined = false;  // one word "option=value" instead of two

  bool operator==(const Argument&) const = default;
};

// A secret a program reads from its environment rather than from a file
// (check_ldap's LDAP_PASSWORD): backends run the program through the
// automon_password_env wrapper, which reads `file` into `variable`.
struct SecretEnvironment {
  std::string variable;  // automon's own text: "LDAP_PASSWORD"
  std::string file;      // the path of a SecretFile of the HostPlan

  bool operator==(const SecretEnvironment&) const = default;
};

enum class CheckMode {
  kActive,   // the engine runs `program` on its schedule
  kPassive,  // results arrive from the host (issue #15); `freshness` applies
};

// What to run for one service.
struct CheckPlan {
  // The shape's name: plans with equal `command` have the same program, the
  // same option words and the same argument kinds in the same order, and
  // differ only in values. Backends name their command objects after it
  // ("https_verify_cert" -> Nagios automon_https_verify_cert). Letters,
  // digits and '_' only.
  std::string command;
  Program program;
  std::vector<Argument> arguments;
  std::optional<SecretEnvironment> secret_environment;
  // Engine defaults apply where these are unset.
  std::optional<int> timeout_seconds;
  std::optional<int> interval_seconds;
  CheckMode mode = CheckMode::kActive;
  // Passive only: seconds without a result before the engine says so.
  std::optional<int> freshness_seconds;

  bool operator==(const CheckPlan&) const = default;
};

// A secret the plans refer to by path; the registrar writes it 0640.
struct SecretFile {
  std::string path;
  std::string content;  // the secret and a newline

  bool operator==(const SecretFile&) const = default;
};

struct PlannedService {
  std::string name;         // the section name, unique per host
  std::string description;  // the service name shown in the UI
  formats::ServiceType type = formats::ServiceType::kTcp;
  SourceLocation loc;  // where the host defined it
  CheckPlan plan;      // a service that cannot be checked as defined gets a
                       // plan that stays UNKNOWN and says why ("unknown")

  bool operator==(const PlannedService&) const = default;
};

struct HostPlan {
  std::string host;
  std::string address;  // the snapshot's address, else the host name
  uint64_t generation = 0;
  // In snapshot order; when `heartbeat_seconds` is set, the passive service
  // formats::kHeartbeatService ("automon agent", IsHeartbeat()) comes last,
  // and renderers make every other passive service depend on it.
  std::vector<PlannedService> services;
  std::optional<int> heartbeat_seconds;  // the snapshot's
  std::vector<SecretFile> secrets;       // referred to by the plans
  // The registrar's lifecycle disabled the host (it has been silent for
  // disable_after): every backend keeps its objects but switches their
  // active checks and notifications off.
  bool disabled = false;

  bool operator==(const HostPlan&) const = default;
};

struct PlanOptions {
  // Secret files: SecretFilePath(secrets_dir, host, service, generation)
  std::string secrets_dir = "/var/lib/automon/secrets";
  // check_mailflow's state, one directory per host and mail flow:
  // <mailflow_dir>/<host>/<mailflowid>.
  std::string mailflow_dir = "/var/lib/automon/mailflow";
};

// The plans of every service of a snapshot. Never fails: a service that
// cannot be checked as defined gets the "unknown" plan saying why.
// Passive services (results come from the host, issue #15): `command`
// services, and `haproxy` services read through a stats socket (the socket
// is the host's: the registrar never points a probe at a path on the
// monitoring server). Their freshness is the service's `freshness`, else
// 2 × interval + 60 s; the heartbeat's is 2 × heartbeat + 60 s.
HostPlan PlanHost(const formats::Snapshot& snapshot, const PlanOptions& options);

// Whether `service` is the host's heartbeat service ("automon agent").
bool IsHeartbeat(const PlannedService& service);

// The freshness of a passive check run every `interval_seconds` when the
// service does not set one: 2 × interval + 60 s (doc/decisions.md).
int DefaultFreshnessSeconds(int interval_seconds);

// The text a passive service shows when no result arrived in time
// ("No result from web01 for 660 s (agent silent?)"): every backend's
// stale check says exactly this.
std::string StaleText(std::string_view host, int freshness_seconds);

// The registrar's self-check (`automon-registrar check`, run through the
// check_automon_registrar wrapper of the probes' directory), and the
// service that runs it: the service "automon registrar" on the
// monitoring server's own host, rendered as any other service.
inline constexpr std::string_view kSelfCheckService = "automon registrar";
CheckPlan SelfCheckPlan();
PlannedService SelfCheckService();
// The monitoring server's own host when it is not a registered host: the
// self-check service alone, checked by name.
HostPlan SelfCheckHostPlan(const std::string& host);

// One plan of every shape the table can produce (values empty), in a fixed
// order: what a backend that defines commands up front (Nagios) defines.
std::vector<CheckPlan> AllCommandShapes();

// The bucket of a host among 256, "00" to "ff": the first two hex digits of
// SHA-256(host). Files of many hosts (Nagios's host files, the secret
// files) are spread over the buckets, so that no directory grows with the
// number of hosts and none is made per host.
std::string HostBucket(std::string_view host);

// Where a service's secret is written:
// <secrets_dir>/<bucket>/<host>@<service>.<generation>.password.
// '@' is in no host name (RFC 1123) and no service name, so the names of
// one host's secret files begin with SecretFilePrefix(host) and no other
// host's do.
std::string SecretFilePath(std::string_view secrets_dir, std::string_view host,
                           std::string_view service, uint64_t generation);
std::string SecretFilePrefix(std::string_view host);

// The paths of the SecretFiles `plan` refers to (its secret_environment's
// and its kSecretFile arguments'), in that order.
std::vector<std::string> SecretPathsOf(const CheckPlan& plan);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_PLAN_H_
