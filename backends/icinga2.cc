// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/icinga2.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/sha256.h"

namespace automon::backends {
namespace {

constexpr size_t kMaxStringBytes = 4096;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllOf(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return IsAlnum(c) || extra.find(c) != std::string_view::npos; });
}

// A host address: a host name, an IPv4 or an IPv6 literal.
bool IsAddress(std::string_view address) {
  return !address.empty() && address.size() <= 253 && address.front() != '-' &&
         AllOf(address, ".:-");
}

// A plan's shape name and program come from automon's own table; they are
// checked anyway, so a bug there fails loudly instead of writing syntax.
bool IsShapeName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && AllOf(name, "_");
}
bool IsProgramName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && name.front() != '.' && AllOf(name, "._-");
}
bool IsEnvironmentVariable(std::string_view name) {
  return !name.empty() && name.size() <= 64 && !(name.front() >= '0' && name.front() <= '9') &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// Source comments are host-supplied text: only a strict allow-list is shown.
bool IsShowableSource(std::string_view s) {
  return !s.empty() && s.size() <= 256 && AllOf(s, "/._-+:@");
}

// Our own text, known to be plain: quoted without macro doubling.
std::string Literal(std::string_view text) {
  auto quoted = Icinga2String(text, /*macros=*/false);
  AUTOMON_CHECK(quoted.ok());
  return *quoted;
}

std::string ArgumentVariable(size_t index) { return fmt::format("automon_arg{}", index + 1); }

constexpr std::string_view kSecretVariable = "automon_secret_file";

// The program as a DSL expression.
std::string ProgramPath(const Program& program, const Icinga2Options& options) {
  if (program.source == ProgramSource::kAutomonProbes) {
    return Literal(options.probes_dir + "/" + program.name);
  }
  return "PluginDir + " + Literal("/" + program.name);
}

// Whether the argument takes its value from the Service (everything except
// a bare flag).
bool HasValue(const Argument& a) { return a.kind != ArgumentKind::kFlag; }

Result<std::string> RenderCommand(const CheckPlan& shape, const Icinga2Options& options) {
  if (!IsShapeName(shape.command)) {
    return Error{
        fmt::format("check plan shape '{}' is not usable as an Icinga 2 name", shape.command)};
  }
  if (!IsProgramName(shape.program.name)) {
    return Error{fmt::format("program '{}' of shape '{}' is not a file name", shape.program.name,
                             shape.command)};
  }
  std::string out = fmt::format("\nobject CheckCommand {} {{\n  import \"plugin-check-command\"\n",
                                Literal(Icinga2CommandName(shape)));
  std::vector<std::string> argv;
  if (shape.secret_environment) {
    if (!IsEnvironmentVariable(shape.secret_environment->variable)) {
      return Error{fmt::format("environment variable '{}' of shape '{}' is not usable",
                               shape.secret_environment->variable, shape.command)};
    }
    argv.push_back(Literal(options.probes_dir + "/automon_password_env"));
    argv.push_back(Literal(shape.secret_environment->variable));
    argv.push_back(Literal(fmt::format("${}$", kSecretVariable)));
  }
  argv.push_back(ProgramPath(shape.program, options));
  // In a zone the files are read from zones.d/ZONE, which gives every
  // object that zone; stating it makes the staged check (which includes
  // the files directly) see exactly what the live configuration holds.
  if (!options.zone.empty()) out += fmt::format("  zone = {}\n", Literal(options.zone));
  out += "  command = [ ";
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) out += ", ";
    out += argv[i];
  }
  out += " ]\n";
  if (!shape.arguments.empty()) {
    out += "  arguments = {\n";
    for (size_t i = 0; i < shape.arguments.size(); ++i) {
      const Argument& a = shape.arguments[i];
      // Dictionary keys are unique per command while options repeat
      // (--proxy), so each entry is keyed by its position and names its
      // option in `key`.
      std::string entry = fmt::format("    \"({})\" = {{", i + 1);
      if (a.option.empty()) {
        entry += " skip_key = true;";
      } else {
        auto key = Icinga2String(a.option);
        if (!key) return key.error();
        entry += fmt::format(" key = {};", *key);
      }
      if (HasValue(a)) {
        entry += fmt::format(" value = {};", Literal(fmt::format("${}$", ArgumentVariable(i))));
        if (a.joined && !a.option.empty()) entry += " separator = \"=\";";
      }
      entry += fmt::format(" order = {} }}\n", i + 1);
      out += entry;
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

std::string Seconds(int seconds) { return fmt::format("{}s", seconds); }

}  // namespace

Result<std::string> Icinga2String(std::string_view value, bool macros) {
  if (value.size() > kMaxStringBytes) {
    return Error{
        fmt::format("value of {} bytes is over the limit of {}", value.size(), kMaxStringBytes)};
  }
  std::string out = "\"";
  out.reserve(value.size() + 8);
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    switch (c) {
      case '\0':
        return Error{fmt::format("NUL byte at offset {} is not allowed", i)};
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '$':
        out += macros ? "$$" : "$";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += fmt::format("\\{:03o}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

bool IsIcinga2ObjectName(std::string_view name) {
  return !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-' &&
         AllOf(name, "._-");
}

bool IsIcinga2DisplayName(std::string_view d) {
  return !d.empty() && d.size() <= 128 && d.front() != ' ' && d.back() != ' ' &&
         d.find("  ") == std::string_view::npos && AllOf(d, " ._:/@+#-");
}

std::string Icinga2CommandName(const CheckPlan& plan) { return "automon_" + plan.command; }

Result<std::string> RenderIcinga2Common(const std::vector<CheckPlan>& shapes,
                                        const std::optional<std::string>& templates,
                                        const Icinga2Options& options) {
  if (!options.zone.empty() && !IsIcinga2ObjectName(options.zone)) {
    return Error{fmt::format("zone '{}' is not usable as an Icinga 2 name", options.zone)};
  }
  std::string out = fmt::format(
      "// Generated by automon-registrar at {}: commands, templates and host group\n"
      "// for every registered host. Do not edit: this file is rewritten on every render.\n"
      "// Override the templates automon-host and automon-service in {}.\n\n",
      options.generated_at, options.templates_file);
  out += "object HostGroup \"automon\" {\n  display_name = \"Hosts registered by automon\"\n";
  if (!options.zone.empty()) out += fmt::format("  zone = {}\n", Literal(options.zone));
  out += "}\n\n";
  if (templates) {
    out += fmt::format("// From {}:\n", options.templates_file);
    out += *templates;
    if (!out.ends_with('\n')) out += '\n';
  } else {
    out +=
        "template Host \"automon-host\" {\n"
        "  check_command = \"hostalive\"\n"
        "  max_check_attempts = 3\n"
        "  check_interval = 5m\n"
        "  retry_interval = 1m\n"
        "}\n\n"
        "template Service \"automon-service\" {\n"
        "  max_check_attempts = 3\n"
        "  check_interval = 5m\n"
        "  retry_interval = 1m\n"
        "}\n";
  }
  std::set<std::string> done;
  for (const CheckPlan& shape : shapes) {
    if (!done.insert(shape.command).second) continue;
    auto command = RenderCommand(shape, options);
    if (!command) return command.error();
    out += *command;
  }
  return out;
}

// The lifecycle's disabled host: kept, but neither checked nor notified.
constexpr std::string_view kDisabledLines =
    "  enable_active_checks = false\n  enable_notifications = false\n";

std::string Icinga2Renderer::HostFileName(std::string_view host) const {
  return fmt::format("{}/{}/{}.conf", kIcinga2HostsDirName, Sha256Hex(host).substr(0, 2), host);
}

Result<RenderedHost> Icinga2Renderer::RenderHost(const HostPlan& plan) const {
  if (!IsIcinga2ObjectName(plan.host)) {
    return Error{
        fmt::format("host name '{}' is not usable in Icinga 2: expected letters, digits "
                    "and ._- only",
                    plan.host)};
  }
  const std::string address = plan.address.empty() ? plan.host : plan.address;
  if (!IsAddress(address)) {
    return Error{
        fmt::format("address '{}' is not usable in Icinga 2: expected a host name, an "
                    "IPv4 or an IPv6 address",
                    address)};
  }
  if (!options_.zone.empty() && !IsIcinga2ObjectName(options_.zone)) {
    return Error{fmt::format("zone '{}' is not usable as an Icinga 2 name", options_.zone)};
  }
  const std::string zone =
      options_.zone.empty() ? "" : fmt::format("  zone = {}\n", Literal(options_.zone));
  RenderedHost result;
  result.services.reserve(plan.services.size());
  std::string& out = result.content;
  out = fmt::format(
      "// Generated by automon-registrar from host {} (generation {}) at {}.\n"
      "// Do not edit: this file is rewritten whenever the host registers.\n"
      "// Override the templates automon-host and automon-service in {},\n"
      "// or change the services on the host in /etc/monitoring-info/.\n\n",
      plan.host, plan.generation, options_.generated_at, options_.templates_file);
  out += fmt::format("object Host {} {{\n", Literal(plan.host));
  out += "  import \"automon-host\"\n";
  out += fmt::format("  display_name = {}\n", Literal(plan.host));
  out += fmt::format("  address = {}\n", Literal(address));
  out += "  groups = [ \"automon\" ]\n";
  out += zone;
  out += fmt::format("  vars.automon_generation = {}\n", plan.generation);
  if (plan.disabled) out += kDisabledLines;
  out += "}\n";

  std::set<std::string> names;
  std::set<std::string> descriptions;
  std::vector<std::string> dependents;  // passive services but the heartbeat
  for (const PlannedService& s : plan.services) {
    RenderedService& report = result.services.emplace_back(RenderedService{s.name, false, ""});
    // The heartbeat's name is automon's own, with its space.
    if ((!IsIcinga2ObjectName(s.name) || s.name.size() > 64) && !IsHeartbeat(s)) {
      report.reason = "the service name is not usable in Icinga 2";
      continue;
    }
    if (!IsIcinga2DisplayName(s.description)) {
      report.reason = fmt::format("description '{}' is not usable in Icinga 2", s.description);
      continue;
    }
    if (!names.insert(s.name).second || !descriptions.insert(s.description).second) {
      report.reason = "duplicate service name or description";
      continue;
    }
    const CheckPlan& p = s.plan;
    if (!IsShapeName(p.command)) {
      report.reason = fmt::format("check '{}' is not usable in Icinga 2", p.command);
      continue;
    }
    std::string vars;
    std::string failure;
    for (size_t i = 0; i < p.arguments.size() && failure.empty(); ++i) {
      const Argument& a = p.arguments[i];
      if (!HasValue(a)) continue;
      auto value = Icinga2String(a.value);
      if (!value) {
        failure = value.error().message;
        break;
      }
      vars += fmt::format("  vars.{} = {}\n", ArgumentVariable(i), *value);
    }
    std::vector<SecretFile> secrets;
    if (failure.empty() && p.secret_environment) {
      auto file = Icinga2String(p.secret_environment->file);
      if (!file) {
        failure = file.error().message;
      } else {
        vars += fmt::format("  vars.{} = {}\n", kSecretVariable, *file);
      }
    }
    if (!failure.empty()) {
      report.reason = fmt::format("a value cannot be written safely: {}", failure);
      continue;
    }
    // The secrets this service's plan refers to (by path), for the caller
    // to write before the swap.
    for (const SecretFile& f : plan.secrets) {
      const bool used =
          std::any_of(p.arguments.begin(), p.arguments.end(),
                      [&](const Argument& a) {
                        return a.kind == ArgumentKind::kSecretFile && a.value == f.path;
                      }) ||
          (p.secret_environment && p.secret_environment->file == f.path);
      if (used) secrets.push_back(f);
    }
    out += "\n";
    if (IsShowableSource(s.loc.ToString())) out += fmt::format("// from {}\n", s.loc.ToString());
    out += fmt::format("object Service {} {{\n", Literal(s.name));
    out += "  import \"automon-service\"\n";
    out += fmt::format("  host_name = {}\n", Literal(plan.host));
    out += fmt::format("  display_name = {}\n", Literal(s.description));
    if (p.mode == CheckMode::kPassive) {
      // Results come from the host. Icinga 2 runs the command of a service
      // whose last result is older than check_interval only when active
      // checks are ON (an OFF one stays OK forever): the ITL's dummy
      // command then turns it UNKNOWN and says why. One attempt makes
      // every result and staleness HARD at once.
      const int freshness = p.freshness_seconds.value_or(DefaultFreshnessSeconds(300));
      out += "  check_command = \"dummy\"\n";
      out += zone;
      if (plan.disabled) out += kDisabledLines;
      out += fmt::format("  check_interval = {}\n", Seconds(freshness));
      out += fmt::format("  retry_interval = {}\n", Seconds(freshness));
      out += "  max_check_attempts = 1\n";
      out += "  vars.dummy_state = 3\n";
      out += fmt::format("  vars.dummy_text = {}\n", Literal(StaleText(plan.host, freshness)));
      out += fmt::format("  vars.automon_service = {}\n", Literal(s.name));
      out += "}\n";
      report.rendered = true;
      if (!IsHeartbeat(s)) dependents.push_back(s.name);
      continue;
    }
    out += fmt::format("  check_command = {}\n", Literal(Icinga2CommandName(p)));
    out += zone;
    if (plan.disabled) out += kDisabledLines;
    if (p.interval_seconds) {
      out += fmt::format("  check_interval = {}\n", Seconds(*p.interval_seconds));
    }
    if (p.timeout_seconds)
      out += fmt::format("  check_timeout = {}\n", Seconds(*p.timeout_seconds));
    out += fmt::format("  vars.automon_service = {}\n", Literal(s.name));
    out += vars;
    out += "}\n";
    report.rendered = true;
    result.secrets.insert(result.secrets.end(), secrets.begin(), secrets.end());
  }
  // A silent agent makes its heartbeat stale: one alert for the host, the
  // notifications of its other passive services wait for it.
  const bool heartbeat = std::any_of(
      result.services.begin(), result.services.end(),
      [](const RenderedService& r) { return r.rendered && r.name == formats::kHeartbeatService; });
  if (plan.heartbeat_seconds && heartbeat) {
    for (const std::string& dependent : dependents) {
      out += "\nobject Dependency \"automon-agent\" {\n";
      out += fmt::format("  parent_host_name = {}\n", Literal(plan.host));
      out += fmt::format("  parent_service_name = {}\n", Literal(formats::kHeartbeatService));
      out += fmt::format("  child_host_name = {}\n", Literal(plan.host));
      out += fmt::format("  child_service_name = {}\n", Literal(dependent));
      out += zone;
      out += "  disable_notifications = true\n";
      out += "}\n";
    }
  }
  return result;
}

}  // namespace automon::backends
