#include "backends/checkmk.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "backends/nagios_escape.h"
#include "backends/python_literal.h"

namespace automon::backends {
namespace {

// automon's own programs; every other $USER1$ program is a monitoring-plugin.
constexpr std::string_view kOwnPrograms[] = {"check_guacamole", "check_haproxy_sessions",
                                             "check_mailflow", "automon_password_env"};

struct ServiceBlock {
  std::string name;           // _AUTOMON_SERVICE
  std::string description;    // service_description
  std::string check_command;  // name!ARG1!ARG2...
};

// "    key                     value\n" lines of the Nagios renderer.
std::string_view DirectiveValue(std::string_view line, std::string_view key) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (!line.starts_with(key) || line.size() == key.size() || line[key.size()] != ' ') return {};
  line.remove_prefix(key.size());
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

// The service blocks of a host file written by RenderNagiosHost, in order.
std::vector<ServiceBlock> ServiceBlocks(std::string_view content) {
  std::vector<ServiceBlock> blocks;
  bool inside = false;
  for (std::string_view line : Lines(content)) {
    if (line == "define service {") {
      blocks.emplace_back();
      inside = true;
    } else if (line == "}") {
      inside = false;
    } else if (inside) {
      if (auto v = DirectiveValue(line, "service_description"); !v.empty()) {
        blocks.back().description = v;
      } else if (auto c = DirectiveValue(line, "check_command"); !c.empty()) {
        blocks.back().check_command = c;
      } else if (auto n = DirectiveValue(line, "_AUTOMON_SERVICE"); !n.empty()) {
        blocks.back().name = n;
      }
    }
  }
  return blocks;
}

// command_name -> command_line of RenderNagiosCommon.
std::map<std::string, std::string, std::less<>> CommandLines(std::string_view common) {
  std::map<std::string, std::string, std::less<>> lines;
  std::string name;
  for (std::string_view line : Lines(common)) {
    if (auto n = DirectiveValue(line, "command_name"); !n.empty()) name = n;
    if (auto l = DirectiveValue(line, "command_line"); !l.empty()) lines[name] = l;
  }
  return lines;
}

// Splits name!ARG1!ARG2 at the '!' that are not escaped as "\!".
std::vector<std::string> SplitCheckCommand(std::string_view command) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] == '\\' && i + 1 < command.size() && command[i + 1] == '!') {
      parts.back() += "\\!";
      ++i;
    } else if (command[i] == '!') {
      parts.emplace_back();
    } else {
      parts.back() += command[i];
    }
  }
  return parts;
}

// The command line of one service: the Nagios command_line with each
// $USER1$/program made absolute and each $ARGn$ replaced by the value the
// Nagios renderer encoded for it (so the quoting is exactly Nagios').
Result<std::string> CommandLine(const std::string& check_command,
                                const std::map<std::string, std::string, std::less<>>& commands,
                                const CheckmkRenderOptions& options) {
  const std::vector<std::string> parts = SplitCheckCommand(check_command);
  auto found = commands.find(parts.front());
  if (found == commands.end()) return Error{fmt::format("no command '{}'", parts.front())};
  for (size_t i = 1; i < parts.size(); ++i) {
    // A '!', ';' or '$' reaches the command line of custom_checks escaped
    // for the Nagios core only; what the CMC makes of "\!", "\;" and "$$" is
    // not documented, so such values are refused (doc/decisions.md).
    if (parts[i].find("\\!") != std::string::npos || parts[i].find("\\;") != std::string::npos ||
        parts[i].find("$$") != std::string::npos) {
      return Error{"a value contains '!', ';' or '$', which Checkmk's cores do not read alike"};
    }
  }
  std::string line;
  std::string_view rest = found->second;
  while (!rest.empty()) {
    const size_t dollar = rest.find('$');
    line.append(rest.substr(0, dollar));
    if (dollar == std::string_view::npos) break;
    rest.remove_prefix(dollar);
    const size_t close = rest.find('$', 1);
    if (close == std::string_view::npos) return Error{"unterminated macro in a command line"};
    const std::string_view macro = rest.substr(0, close + 1);
    rest.remove_prefix(close + 1);
    if (macro == "$USER1$") {
      if (!rest.starts_with("/")) return Error{"$USER1$ without a program"};
      const size_t end = rest.find(' ');
      const std::string_view program =
          rest.substr(1, end == std::string_view::npos ? end : end - 1);
      const bool own = std::find(std::begin(kOwnPrograms), std::end(kOwnPrograms), program) !=
                       std::end(kOwnPrograms);
      line += own ? options.probes_dir : options.site_plugins_dir;
    } else if (macro.starts_with("$ARG")) {
      size_t n = 0;
      for (char c : macro.substr(4, macro.size() - 5)) n = n * 10 + static_cast<size_t>(c - '0');
      if (n < 1 || n >= parts.size()) return Error{fmt::format("no value for {}", macro)};
      line += parts[n];
    } else {
      return Error{fmt::format("unexpected macro {} in a command line", macro)};
    }
  }
  return line;
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

}  // namespace

bool IsCheckmkHostName(std::string_view host) {
  return !host.empty() && host.size() <= 240 && IsWordStart(host.front()) && IsSafeObjectName(host);
}

std::string CheckmkFileName(std::string_view host) { return fmt::format("{}.mk", host); }

Result<RenderedHost> RenderCheckmkHost(const formats::Snapshot& snapshot,
                                       const CheckmkRenderOptions& options) {
  const std::string& host = snapshot.host;
  if (!IsCheckmkHostName(host)) {
    return Error{
        fmt::format("host name '{}' is not usable in Checkmk: expected letters, digits "
                    "and ._- only, starting with a letter, a digit or '_'",
                    host)};
  }
  if (snapshot.address && !IsSafeAddress(*snapshot.address)) {
    return Error{
        fmt::format("address '{}' is not usable in Checkmk: expected a host name, an "
                    "IPv4 or an IPv6 address",
                    *snapshot.address)};
  }
  NagiosRenderOptions nagios;
  nagios.generated_at = options.generated_at;
  nagios.secrets_dir = options.secrets_dir;
  nagios.mailflow_dir = options.mailflow_dir;
  auto rendered = RenderNagiosHost(snapshot, nagios);
  if (!rendered) return rendered.error();
  const auto commands = CommandLines(RenderNagiosCommon(nagios));
  const std::vector<ServiceBlock> blocks = ServiceBlocks(rendered->content);

  RenderedHost result;
  result.services = rendered->services;
  PyValue rules = PyValue::List();
  std::vector<std::string> rule_lines;
  size_t block = 0;
  for (RenderedService& report : result.services) {
    if (!report.rendered) continue;
    // Nagios rendered this service: it is the next block.
    if (block >= blocks.size() || blocks[block].name != report.name) {
      return Error{fmt::format("internal error: no Nagios service block for '{}'", report.name)};
    }
    const ServiceBlock& b = blocks[block++];
    auto line = CommandLine(b.check_command, commands, options);
    if (!line) {
      report.rendered = false;
      report.reason =
          fmt::format("a value cannot be written safely for Checkmk: {}", line.error().message);
      continue;
    }
    PyValue rule = PyValue::Dict(
        // '/' is in neither a host nor a service name: ids never collide.
        {{"id", PyValue::Str(fmt::format("automon/{}/{}", host, b.name))},
         {"value", PyValue::Dict({{"service_description", PyValue::Str(b.description)},
                                  {"command_line", PyValue::Str(*line)}})},
         {"condition", PyValue::Dict({{"host_name", PyValue::List({PyValue::Str(host)})}})},
         {"options",
          PyValue::Dict({{"description", PyValue::Str(fmt::format("automon: service {} of host {}",
                                                                  b.name, host))}})}});
    auto literal = EncodePython(rule);
    if (!literal) {
      report.rendered = false;
      report.reason =
          fmt::format("a value cannot be written safely for Checkmk: {}", literal.error().message);
      continue;
    }
    rule_lines.push_back(*literal);
    // This service's own files: "<name>.<generation>." exactly (a prefix
    // "<name>." alone would also take service "<name>.x"'s).
    const std::string prefix =
        fmt::format("{}/{}/{}.{}.", options.secrets_dir, host, b.name, snapshot.generation);
    for (const SecretFile& secret : rendered->secrets) {
      if (secret.path.starts_with(prefix)) result.secrets.push_back(secret);
    }
  }

  const bool v6 = snapshot.address && snapshot.address->find(':') != std::string::npos;
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
      host, snapshot.generation, options.generated_at);
  std::vector<Result<std::string>> statements;
  statements.push_back(Statement("all_hosts += {}\n", PyValue::List({name})));
  statements.push_back(Statement("host_tags.update({})\n", of_host(tags)));
  statements.push_back(Statement(
      "host_labels.update({})\n",
      of_host(PyValue::Dict(
          {{std::string(kCheckmkLabelKey), PyValue::Str(std::string(kCheckmkLabelValue))}}))));
  if (snapshot.address) {
    statements.push_back(Statement(v6 ? "ipv6addresses.update({})\n" : "ipaddresses.update({})\n",
                                   of_host(PyValue::Str(*snapshot.address))));
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
  return result;
}

}  // namespace automon::backends
