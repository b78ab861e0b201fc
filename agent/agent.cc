#include "agent/agent.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

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
constexpr std::string_view kVersion = "0.1.0";

// The command line after the subcommand: positionals plus --key value /
// --key=value options from a fixed set.
struct CommandLine {
  std::vector<std::string> positionals;
  std::map<std::string, std::string> options;
};

struct Context {
  Environment& env;
  AgentConfig config;
  CommandLine line;
};

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

void PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, std::ostream& err) {
  for (const Diagnostic& d : diagnostics) err << d.Render() << '\n';
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
  formats::Snapshot snapshot;
  const auto& opts = ctx.line.options;
  std::vector<Diagnostic> bad;
  auto option = [&](std::string_view name) -> std::optional<std::string> {
    auto it = opts.find(std::string(name));
    if (it == opts.end()) return std::nullopt;
    return it->second;
  };
  const std::string name = option("name").value_or(ctx.config.name.value_or(""));
  auto host = formats::NormaliseValue({"--name", formats::ValueKind::kHostName},
                                      name.empty() ? ctx.env.host_name() : name);
  if (!host) {
    ctx.env.err << "automon-agent: " << host.error().message << '\n';
    return kExitUsage;
  }
  snapshot.host = *host;
  if (auto address = option("address") ? option("address") : ctx.config.address) {
    auto normalised = formats::NormaliseValue({"--address", formats::ValueKind::kAddress}, *address);
    if (!normalised) {
      ctx.env.err << "automon-agent: " << normalised.error().message << '\n';
      return kExitUsage;
    }
    snapshot.address = *normalised;
  }
  if (auto generation = option("generation")) {
    uint64_t n = 0;
    const auto [end, ec] =
        std::from_chars(generation->data(), generation->data() + generation->size(), n);
    if (generation->empty() || ec != std::errc() || end != generation->data() + generation->size()) {
      ctx.env.err << fmt::format("automon-agent: invalid value '{}' for '--generation': expected "
                                 "a non-negative integer\n",
                                 *generation);
      return kExitUsage;
    }
    snapshot.generation = n;
  } else {
    snapshot.generation = static_cast<uint64_t>(std::max<int64_t>(0, ctx.env.now()));
  }

  auto scan = Scan(ctx);
  if (!scan) return kExitErrors;
  auto selection = Select(ctx, *scan);
  if (!selection) return kExitErrors;
  snapshot.services = selection->active;
  for (const Inactive& i : selection->inactive) snapshot.removed.push_back({i.service.name, i.reason});
  ctx.env.out << formats::SerializeSnapshot(snapshot);
  return ExitFor(*scan);
}

struct Command {
  std::string_view name;
  int (*run)(Context&);
  std::array<std::string_view, 4> options;  // empty entries unused
  size_t max_positionals;
};

constexpr std::array<Command, 3> kCommands = {{
    {"check", Check, {}, 1},
    {"show", Show, {"dpkg-admindir"}, 1},
    {"snapshot", Snapshot, {"name", "address", "generation", "dpkg-admindir"}, 1},
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

Options:
  --config FILE            agent configuration (default /etc/automon/agent.conf)
  -h, --help               show this help
  -V, --version            show the version

Exit status: 0 all valid, 1 errors found, 2 usage error.
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

  Context ctx{env, {}, std::move(*line)};
  const std::string path = config_path.value_or(std::string(kDefaultConfigPath));
  auto text = env.fs.ReadFile(path, kMaxConfigBytes);
  if (!text && !(text.error().IsNotFound() && !config_path)) {
    env.err << "automon-agent: error: " << text.error().message << '\n';
    return kExitErrors;
  }
  if (text) {
    ConfigParse parsed = ParseAgentConfig(*text, path);
    PrintDiagnostics(parsed.diagnostics, env.err);
    if (HasErrors(parsed.diagnostics)) return kExitErrors;
    ctx.config = std::move(parsed.config);
  }
  return command->run(ctx);
}

}  // namespace automon::agent
