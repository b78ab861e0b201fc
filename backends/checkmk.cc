// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/checkmk.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <vector>

#include "backends/nagios_escape.h"
#include "backends/python_literal.h"

namespace automon::backends {
namespace {

// One value as Nagios' command_line quotes it: encoded by EncodeArgument,
// inside single quotes. A '!', ';' or '$' reaches the command line of
// custom_checks escaped for the Nagios core only; what the CMC makes of
// "\!", "\;" and "$$" is not documented, so such values are refused
// (doc/decisions.md).
Result<std::string> Quoted(std::string_view value) {
  auto encoded = EncodeArgument(value);
  if (!encoded)
    return Error{fmt::format("a value cannot be written safely: {}", encoded.error().message)};
  if (value.find_first_of("!;$") != std::string_view::npos) {
    return Error{
        "a value cannot be written safely for Checkmk: a value contains '!', ';' or '$', which "
        "Checkmk's cores do not read alike"};
  }
  return fmt::format("'{}'", *encoded);
}

bool IsWordStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "name += [...]\n" and friends, each value through the encoder.
Result<std::string> Statement(std::string_view format, const PyValue& value) {
  auto literal = EncodePython(value);
  if (!literal) return literal.error();
  return fmt::format(fmt::runtime(format), *literal);
}

// The lifecycle's disabled host (plan.h): Checkmk's own rulesets switch its
// checks and notifications off, in the form Setup writes for dict-keyed
// rulesets (reference monitoring-config-formats.md §3.3), prepended so that
// they win over an administrator's rules (the first match wins). The
// values are the strings Setup's dropdowns store.
Result<std::string> DisabledRules(const std::string& host) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kRulesets = {{
      {"extra_host_conf", "active_checks_enabled"},
      {"extra_host_conf", "notifications_enabled"},
      {"extra_service_conf", "active_checks_enabled"},
      {"extra_service_conf", "notifications_enabled"},
  }};
  std::string out =
      "\n# The registrar's lifecycle disabled this host (no push for disable_after):\n"
      "# its checks and notifications are off, ahead of any rule of Setup's.\n";
  for (const auto& [table, attribute] : kRulesets) {
    auto key = EncodePython(PyValue::Str(std::string(attribute)));
    if (!key) return key.error();
    PyValue rule = PyValue::Dict(
        {{"id", PyValue::Str(fmt::format("automon/{}/disabled/{}:{}", host, table, attribute))},
         {"value", PyValue::Str("0")},
         {"condition", PyValue::Dict({{"host_name", PyValue::List({PyValue::Str(host)})}})},
         {"options",
          PyValue::Dict({{"description", PyValue::Str(fmt::format(
                                             "automon: host {} disabled by the registrar's "
                                             "lifecycle ({} {} off)",
                                             host, table == "extra_host_conf" ? "host" : "service",
                                             attribute))}})}});
    auto literal = EncodePython(rule);
    if (!literal) return literal.error();
    out += fmt::format("{0}.setdefault({1}, [])\n{0}[{1}] = [\n    {2},\n] + {0}[{1}]\n", table,
                       *key, *literal);
  }
  return out;
}

}  // namespace

bool IsCheckmkHostName(std::string_view host) {
  return !host.empty() && host.size() <= 240 && IsWordStart(host.front()) && IsSafeObjectName(host);
}

std::string CheckmkFileName(std::string_view host) { return fmt::format("{}.mk", host); }

Result<std::string> CheckmkCommandLine(const CheckPlan& plan, const CheckmkRenderOptions& options) {
  std::string line;
  if (plan.secret_environment) {
    auto file = Quoted(plan.secret_environment->file);
    if (!file) return file.error();
    line = fmt::format("{}/automon_password_env {} {} ", options.probes_dir,
                       plan.secret_environment->variable, *file);
  }
  line +=
      fmt::format("{}/{}",
                  plan.program.source == ProgramSource::kAutomonProbes ? options.probes_dir
                                                                       : options.site_plugins_dir,
                  plan.program.name);
  for (const Argument& a : plan.arguments) {
    switch (a.kind) {
      case ArgumentKind::kFlag:
        line += fmt::format(" {}", a.option);
        break;
      case ArgumentKind::kFixed:
        line += a.option.empty() ? fmt::format(" {}", a.value)
                                 : fmt::format(" {} {}", a.option, a.value);
        break;
      case ArgumentKind::kValue:
      case ArgumentKind::kAddress:
      case ArgumentKind::kSecretFile: {
        if (a.joined) {
          auto value = Quoted(a.value);
          if (!value) return value.error();
          line += fmt::format(" '{}={}", a.option, value->substr(1));
          break;
        }
        auto value = Quoted(a.value);
        if (!value) return value.error();
        line +=
            a.option.empty() ? fmt::format(" {}", *value) : fmt::format(" {} {}", a.option, *value);
        break;
      }
    }
  }
  return line;
}

std::string CheckmkRenderer::HostFileName(std::string_view host) const {
  return CheckmkFileName(host);
}

Result<RenderedHost> CheckmkRenderer::RenderHost(const HostPlan& plan) const {
  const CheckmkRenderOptions& options = options_;
  const std::string& host = plan.host;
  if (!IsCheckmkHostName(host)) {
    return Error{
        fmt::format("host name '{}' is not usable in Checkmk: expected letters, digits "
                    "and ._- only, starting with a letter, a digit or '_'",
                    host)};
  }
  if (!IsSafeAddress(plan.address)) {
    return Error{
        fmt::format("address '{}' is not usable in Checkmk: expected a host name, an "
                    "IPv4 or an IPv6 address",
                    plan.address)};
  }
  // The host has its own address unless it is known by name alone.
  const std::optional<std::string> address =
      plan.address != host ? std::optional<std::string>(plan.address) : std::nullopt;

  RenderedHost result;
  result.services.reserve(plan.services.size());
  std::vector<std::string> rule_lines;
  ServiceNames service_names;
  for (const PlannedService& s : plan.services) {
    RenderedService& report = result.services.emplace_back(RenderedService{s.name, false, ""});
    report.reason = service_names.Refusal(s.name, s.description);
    if (!report.reason.empty()) continue;
    PyValue value;
    if (s.plan.mode == CheckMode::kPassive && plan.disabled) {
      // A disabled host's passive service is never stale, as with Nagios'
      // check_freshness 0: the freshness is in this rule, so it goes.
      value = PyValue::Dict({{"service_description", PyValue::Str(s.description)}});
    } else if (s.plan.mode == CheckMode::kPassive) {
      // A custom check without command_line is passive; Checkmk's freshness
      // is in whole minutes, so the threshold rounds up to one.
      const int seconds = s.plan.freshness_seconds.value_or(DefaultFreshnessSeconds(300));
      const int minutes = (seconds + 59) / 60;
      value = PyValue::Dict(
          {{"service_description", PyValue::Str(s.description)},
           {"freshness",
            PyValue::Dict({{"interval", PyValue::Int(minutes)},
                           {"state", PyValue::Int(3)},
                           {"output", PyValue::Str(StaleText(host, minutes * 60))}})}});
    } else {
      auto line = CheckmkCommandLine(s.plan, options);
      if (!line) {
        report.reason = line.error().message;
        continue;
      }
      value = PyValue::Dict({{"service_description", PyValue::Str(s.description)},
                             {"command_line", PyValue::Str(*line)}});
    }
    PyValue rule = PyValue::Dict(
        // '/' is in neither a host nor a service name: ids never collide.
        {{"id", PyValue::Str(fmt::format("automon/{}/{}", host, s.name))},
         {"value", std::move(value)},
         {"condition", PyValue::Dict({{"host_name", PyValue::List({PyValue::Str(host)})}})},
         {"options",
          PyValue::Dict({{"description", PyValue::Str(fmt::format("automon: service {} of host {}",
                                                                  s.name, host))}})}});
    auto literal = EncodePython(rule);
    if (!literal) {
      report.reason =
          fmt::format("a value cannot be written safely for Checkmk: {}", literal.error().message);
      continue;
    }
    report.rendered = true;
    rule_lines.push_back(*literal);
    for (const std::string& path : SecretPathsOf(s.plan)) {
      for (const SecretFile& secret : plan.secrets) {
        if (secret.path == path) result.secrets.push_back(secret);
      }
    }
  }

  const bool v6 = address && address->find(':') != std::string::npos;
  PyValue tags = PyValue::Dict({{"site", PyValue::Str(options.site)},
                                {"address_family", PyValue::Str(v6 ? "ip-v6-only" : "ip-v4-only")},
                                {v6 ? "ip-v6" : "ip-v4", PyValue::Str(v6 ? "ip-v6" : "ip-v4")},
                                {"agent", PyValue::Str("no-agent")},
                                {"piggyback", PyValue::Str("no-piggyback")},
                                {"snmp_ds", PyValue::Str("no-snmp")}});
  const PyValue name = PyValue::Str(host);
  auto of_host = [&](PyValue value) { return PyValue::Dict({{host, std::move(value)}}); };

  std::string& out = result.content;
  out = fmt::format(
      "# Generated by automon-registrar from host {} (generation {}) at {}.\n"
      "# Do not edit: this file is rewritten whenever the host registers.\n"
      "# Change the services on the host in /etc/monitoring-info/, or override\n"
      "# them with rules of your own in Checkmk's Setup.\n\n",
      host, plan.generation, options.generated_at);
  std::vector<Result<std::string>> statements;
  statements.push_back(Statement("all_hosts += {}\n", PyValue::List({name})));
  statements.push_back(Statement("host_tags.update({})\n", of_host(tags)));
  statements.push_back(Statement(
      "host_labels.update({})\n",
      of_host(PyValue::Dict(
          {{std::string(kCheckmkLabelKey), PyValue::Str(std::string(kCheckmkLabelValue))}}))));
  if (address) {
    statements.push_back(Statement(v6 ? "ipv6addresses.update({})\n" : "ipaddresses.update({})\n",
                                   of_host(PyValue::Str(*address))));
  }
  statements.push_back(std::string("explicit_host_conf.setdefault('alias', {})\n"));
  statements.push_back(
      Statement("explicit_host_conf['alias'].update({})\n", of_host(PyValue::Str(host))));
  for (auto& s : statements) {
    if (!s) return s.error();
    out += *s;
  }
  out += "\ncustom_checks += [\n";
  for (const std::string& rule : rule_lines) out += fmt::format("    {},\n", rule);
  out += "]\n";
  if (plan.disabled) {
    auto rules = DisabledRules(host);
    if (!rules) return rules.error();
    out += *rules;
  }
  return result;
}

}  // namespace automon::backends
