#include "agent/agent.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "agent/command_context.h"
#include "agent/config.h"
#include "agent/package_database.h"
#include "agent/selection.h"
#include "common/diagnostic.h"
#include "formats/directory.h"
#include "formats/parser.h"
#include "formats/schema.h"
#include "formats/snapshot.h"

namespace automon::agent {
namespace {
constexpr size_t kMaxConfigBytes = 1 << 20;
}  // namespace

namespace internal {

void PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, std::ostream& err) {
  for (const Diagnostic& d : diagnostics) err << d.Render() << '\n';
}

bool LoadConfig(Context& ctx) {
  auto text = ctx.env.fs.ReadFile(ctx.config_path, kMaxConfigBytes);
  if (!text && !(text.error().IsNotFound() && !ctx.explicit_config)) {
    ctx.env.err << "automon-agent: error: " << text.error().message << '\n';
    return false;
  }
  AgentConfig config;
  if (text) {
    ConfigParse parsed = ParseAgentConfig(*text, ctx.config_path);
    PrintDiagnostics(parsed.diagnostics, ctx.env.err);
    if (HasErrors(parsed.diagnostics)) return false;
    config = std::move(parsed.config);
  }
  ctx.config = std::move(config);
  return true;
}

std::optional<std::string> Option(const Context& ctx, std::string_view name) {
  auto it = ctx.line.options.find(std::string(name));
  if (it == ctx.line.options.end()) return std::nullopt;
  return it->second;
}

}  // namespace internal

namespace {

using namespace internal;

constexpr std::string_view kVersion = "0.1.0";

std::optional<CommandLine> ParseCommandLine(std::span<const std::string> args,
                                            std::span<const std::string_view> known,
                                            size_t max_positionals, std::ostream& err) {
  CommandLine line;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() > 2 && arg.starts_with("--")) {
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        err << fmt::format("automon-agent: unknown option '--{}'\n", name);
        return std::nullopt;
      }
      if (eq != std::string::npos) {
        line.options[name] = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        line.options[name] = args[++i];
      } else {
        err << fmt::format("automon-agent: option '--{}' needs a value\n", name);
        return std::nullopt;
      }
    } else if (arg.size() > 1 && arg.front() == '-') {
      err << fmt::format("automon-agent: unknown option '{}'\n", arg);
      return std::nullopt;
    } else {
      line.positionals.push_back(arg);
    }
  }
  if (line.positionals.size() > max_positionals) {
    err << fmt::format("automon-agent: unexpected argument '{}'\n",
                       line.positionals[max_positionals]);
    return std::nullopt;
  }
  return line;
}

std::string Plural(size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string Summary(const formats::ScanResult& scan) {
  const size_t errors = std::count_if(scan.diagnostics.begin(), scan.diagnostics.end(),
                                      [](const Diagnostic& d) { return d.severity == Severity::kError; });
  return fmt::format("{} in {}: {}, {}", Plural(scan.services.size(), "service"),
                     Plural(scan.files.size(), "file"), Plural(errors, "error"),
                     Plural(scan.diagnostics.size() - errors, "warning"));
}

}  // namespace

namespace internal {

std::string Directory(const Context& ctx) {
  return ctx.line.positionals.empty() ? ctx.config.directory : ctx.line.positionals.front();
}

// Scans the directory, printing diagnostics; nullopt when it cannot be read.
std::optional<formats::ScanResult> Scan(Context& ctx) {
  auto scan = formats::ScanDirectory(ctx.env.fs, Directory(ctx));
  if (!scan) {
    ctx.env.err << "automon-agent: error: " << scan.error().message << '\n';
    return std::nullopt;
  }
  PrintDiagnostics(scan->diagnostics, ctx.env.err);
  return std::move(*scan);
}

int ExitFor(const formats::ScanResult& scan) {
  return HasErrors(scan.diagnostics) ? kExitErrors : kExitOk;
}

std::optional<Selection> Select(Context& ctx, const formats::ScanResult& scan) {
  const auto admindir = ctx.line.options.find("dpkg-admindir");
  auto packages = ReadInstalledPackages(
      ctx.env.fs, admindir == ctx.line.options.end() ? "/var/lib/dpkg" : admindir->second);
  if (!packages) {
    // Without the package list every `package =` service would look
    // removed; refusing is the only safe answer.
    ctx.env.err << "automon-agent: error: cannot evaluate 'package' conditions: "
                << packages.error().message << '\n';
    return std::nullopt;
  }
  return SelectServices(scan.services, *packages, ctx.config.exclude);
}

std::optional<formats::Snapshot> BuildSnapshot(Context& ctx, int* exit_code,
                                               std::set<std::string>* broken_files) {
  formats::Snapshot snapshot;
  const std::string name = Option(ctx, "name").value_or(ctx.config.name.value_or(""));
  auto host = formats::NormaliseValue({"--name", formats::ValueKind::kHostName},
                                      name.empty() ? ctx.env.host_name() : name);
  if (!host) {
    ctx.env.err << "automon-agent: " << host.error().message << '\n';
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  snapshot.host = *host;
  if (auto address = Option(ctx, "address") ? Option(ctx, "address") : ctx.config.address) {
    auto normalised = formats::NormaliseValue({"--address", formats::ValueKind::kAddress}, *address);
    if (!normalised) {
      ctx.env.err << "automon-agent: " << normalised.error().message << '\n';
      *exit_code = kExitUsage;
      return std::nullopt;
    }
    snapshot.address = *normalised;
  }
  if (auto generation = Option(ctx, "generation")) {
    uint64_t n = 0;
    const auto [end, ec] =
        std::from_chars(generation->data(), generation->data() + generation->size(), n);
    if (generation->empty() || ec != std::errc() || end != generation->data() + generation->size()) {
      ctx.env.err << fmt::format("automon-agent: invalid value '{}' for '--generation': expected "
                                 "a non-negative integer\n",
                                 *generation);
      *exit_code = kExitUsage;
      return std::nullopt;
    }
    snapshot.generation = n;
  } else {
    snapshot.generation = static_cast<uint64_t>(std::max<int64_t>(0, ctx.env.now()));
  }

  auto scan = Scan(ctx);
  *exit_code = kExitErrors;
  if (!scan) return std::nullopt;
  if (broken_files != nullptr) {
    for (const Diagnostic& d : scan->diagnostics) {
      if (d.severity == Severity::kError) broken_files->insert(d.loc.file);
    }
  }
  auto selection = Select(ctx, *scan);
  if (!selection) return std::nullopt;
  snapshot.services = selection->active;
  for (const Inactive& i : selection->inactive) snapshot.removed.push_back({i.service.name, i.reason});
  *exit_code = ExitFor(*scan);
  return snapshot;
}

}  // namespace internal

namespace {

int Check(Context& ctx) {
  auto scan = Scan(ctx);
  if (!scan) return kExitErrors;
  std::vector<std::array<std::string, 4>> rows{{"NAME", "TYPE", "TARGET", "SOURCE"}};
  for (const formats::Service& s : scan->services) {
    rows.push_back({s.name, std::string(formats::TypeName(s.type)), formats::DescribeTarget(s),
                    s.loc.ToString()});
  }
  std::array<size_t, 4> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    ctx.env.out << fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", row[0], width[0], row[1],
                               width[1], row[2], width[2], row[3]);
  }
  ctx.env.out << Summary(*scan) << '\n';
  return ExitFor(*scan);
}

int Show(Context& ctx) {
  auto scan = Scan(ctx);
  if (!scan) return kExitErrors;
  auto selection = Select(ctx, *scan);
  if (!selection) return kExitErrors;
  // Present in scan order, registered or not.
  std::map<std::string, std::string> why_not;
  for (const Inactive& i : selection->inactive) why_not[i.service.name] = i.detail;
  bool first = true;
  for (const formats::Service& s : scan->services) {
    if (!first) ctx.env.out << '\n';
    first = false;
    const auto it = why_not.find(s.name);
    ctx.env.out << fmt::format("# {}: {}\n", s.loc.ToString(),
                               it == why_not.end() ? "registered"
                                                   : "not registered: " + it->second);
    ctx.env.out << formats::FormatService(s, /*reveal_secrets=*/false, /*with_source=*/false);
  }
  ctx.env.out << fmt::format("{}{} registered, {} not registered\n", first ? "" : "\n",
                             selection->active.size(), selection->inactive.size());
  return ExitFor(*scan);
}

int Snapshot(Context& ctx) {
  int exit_code = kExitOk;
  auto snapshot = BuildSnapshot(ctx, &exit_code);
  if (!snapshot) return exit_code;
  ctx.env.out << formats::SerializeSnapshot(*snapshot);
  return exit_code;
}

struct Command {
  std::string_view name;
  int (*run)(Context&);
  std::array<std::string_view, 7> options;  // empty entries unused
  size_t max_positionals;
};

constexpr std::array<Command, 9> kCommands = {{
    {"check", Check, {}, 1},
    {"show", Show, {"dpkg-admindir"}, 1},
    {"snapshot", Snapshot, {"name", "address", "generation", "dpkg-admindir"}, 1},
    {"hello", Hello, {}, 0},
    {"enroll", Enroll, {"ticket", "name"}, 0},
    {"push", Push, {"dpkg-admindir", "daemon"}, 0},
    {"deregister", Deregister, {}, 0},
    {"status", Status, {}, 0},
    {"run", RunDaemon,
     {"dpkg-admindir", "debounce", "start-jitter", "retry-base", "rescan", "plan", "in-process"},
     0},
}};

}  // namespace

std::string Usage() {
  return R"(Usage: automon-agent [--config FILE] COMMAND [ARGS]

Reads service definitions from /etc/monitoring-info (see monitoring-info(5))
for registration with an automon registrar.

Commands:
  check [DIR]              validate the definitions; print a table of the
                           services and every error (exit 1 on any error)
  show [DIR]               what would be registered, secrets redacted, and why
                           other services are not
        [--dpkg-admindir DIR]
  snapshot [DIR]           write the wire document (secrets included) to stdout
        [--name NAME] [--address ADDR] [--generation N] [--dpkg-admindir DIR]
  hello                    connect to each registrar and say who we are
  enroll [--ticket T]      ask each registrar to enroll this host's key
        [--name NAME]
  push                     send the snapshot to each registrar, print its report
        [--dpkg-admindir DIR]
  deregister               ask each registrar to remove this host
  status                   each registrar's key and its last report
  run                      the daemon: push on every change of the definitions or
                           of dpkg's package list, retry with backoff, rescan
                           [--debounce MS] [--start-jitter S] [--retry-base MS]
                           [--rescan S] [--dpkg-admindir DIR]

Options:
  --config FILE            agent configuration (default /etc/automon/agent.conf)
  -h, --help               show this help
  -V, --version            show the version

Registrars are those in agent.conf's `registrar =` list; the word `auto`
there adds every registrar announced over mDNS (Avahi, _automon._tcp) when a
push is due. They are reached over SSH (user "automon") with the key in
agent.conf's `key` (created on first use); each registrar's host key is
pinned by `fingerprint =` or trusted on first use (for a registrar found over
mDNS, only when it matches the fingerprint it announces) and then enforced.

Exit status: 0 all valid (or accepted), 1 errors found or refused, 2 usage error.
See automon-agent(8).
)";
}

int RunAgent(std::span<const std::string> args, Environment& env) {
  std::optional<std::string> config_path;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      env.out << Usage();
      return kExitOk;
    }
    if (arg == "-V" || arg == "--version") {
      env.out << "automon-agent " << kVersion << '\n';
      return kExitOk;
    }
    if (arg == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = arg.substr(9);
    } else if (!arg.empty() && arg.front() == '-') {
      env.err << fmt::format("automon-agent: unknown option '{}'\n{}", arg, Usage());
      return kExitUsage;
    } else {
      break;
    }
  }
  if (i == args.size()) {
    env.err << "automon-agent: missing command\n" << Usage();
    return kExitUsage;
  }
  const auto command = std::find_if(kCommands.begin(), kCommands.end(),
                                    [&](const Command& c) { return c.name == args[i]; });
  if (command == kCommands.end()) {
    env.err << fmt::format("automon-agent: unknown command '{}'\n{}", args[i], Usage());
    return kExitUsage;
  }

  std::vector<std::string_view> known;
  for (std::string_view o : command->options) {
    if (!o.empty()) known.push_back(o);
  }
  auto line = ParseCommandLine(args.subspan(i + 1), known, command->max_positionals, env.err);
  if (!line) return kExitUsage;

  const std::string path = config_path.value_or(std::string(kDefaultConfigPath));
  Context ctx{env, {}, std::move(*line), path, config_path.has_value(),
              DiscoveryOutcome::kNotAsked, 0, {}};
  if (!LoadConfig(ctx)) return kExitErrors;
  return command->run(ctx);
}

}  // namespace automon::agent
