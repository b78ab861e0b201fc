// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/agent.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "agent/command_context.h"
#include "agent/config.h"
#include "agent/package_database.h"
#include "agent/selection.h"
#include "backends/renderers.h"
#include "common/diagnostic.h"
#include "common/parse_integer.h"
#include "common/text.h"
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
  const size_t errors =
      std::count_if(scan.diagnostics.begin(), scan.diagnostics.end(),
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

// Scans the directory, printing diagnostics (unless told not to); nullopt
// when it cannot be read.
std::optional<formats::ScanResult> Scan(Context& ctx, bool print) {
  auto scan = formats::ScanDirectory(ctx.env.fs, Directory(ctx));
  if (!scan) {
    ctx.env.err << "automon-agent: error: " << scan.error().message << '\n';
    return std::nullopt;
  }
  if (print) PrintDiagnostics(scan->diagnostics, ctx.env.err);
  return std::move(*scan);
}

void PrintSelectedDiagnostics(Context& ctx, const formats::ScanResult& scan,
                              const Selection& selection) {
  // A service that is not registered (package absent, disabled, excluded)
  // needs no advice: its section's warnings are left out. Errors stay.
  auto in_inactive_section = [&](const Diagnostic& d) {
    for (const Inactive& i : selection.inactive) {
      if (i.service.loc.file != d.loc.file || d.loc.line < i.service.loc.line) continue;
      int next = std::numeric_limits<int>::max();  // the next section's header
      for (const formats::Service& s : scan.services) {
        if (s.loc.file == d.loc.file && s.loc.line > i.service.loc.line) {
          next = std::min(next, s.loc.line);
        }
      }
      if (d.loc.line < next) return true;
    }
    return false;
  };
  for (const Diagnostic& d : scan.diagnostics) {
    if (d.severity != Severity::kError && in_inactive_section(d)) continue;
    ctx.env.err << d.Render() << '\n';
  }
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
  if (auto length = formats::CheckRegisteredHostNameLength(*host); !length) {
    ctx.env.err << "automon-agent: " << length.error().message << '\n';
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  snapshot.host = *host;
  if (auto address = Option(ctx, "address") ? Option(ctx, "address") : ctx.config.address) {
    auto normalised =
        formats::NormaliseValue({"--address", formats::ValueKind::kAddress}, *address);
    if (!normalised) {
      ctx.env.err << "automon-agent: " << normalised.error().message << '\n';
      *exit_code = kExitUsage;
      return std::nullopt;
    }
    snapshot.address = *normalised;
  }
  if (auto generation = Option(ctx, "generation")) {
    const Result<uint64_t> n = ParseInteger<uint64_t>(*generation);
    if (!n) {
      ctx.env.err << fmt::format(
          "automon-agent: invalid value '{}' for '--generation': expected "
          "a non-negative integer\n",
          *generation);
      *exit_code = kExitUsage;
      return std::nullopt;
    }
    snapshot.generation = *n;
  } else {
    snapshot.generation = static_cast<uint64_t>(std::max<int64_t>(0, ctx.env.now()));
  }

  auto scan = Scan(ctx, /*print=*/false);
  *exit_code = kExitErrors;
  if (!scan) return std::nullopt;
  if (broken_files != nullptr) {
    for (const Diagnostic& d : scan->diagnostics) {
      if (d.severity == Severity::kError) broken_files->insert(d.loc.file);
    }
  }
  auto selection = Select(ctx, *scan);
  if (!selection) {
    PrintDiagnostics(scan->diagnostics, ctx.env.err);
    return std::nullopt;
  }
  PrintSelectedDiagnostics(ctx, *scan, *selection);
  snapshot.services = selection->active;
  for (const Inactive& i : selection->inactive)
    snapshot.removed.push_back({i.service.name, i.reason});
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
    ctx.env.out << fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", row[0], width[0], row[1], width[1],
                               row[2], width[2], row[3]);
  }
  ctx.env.out << Summary(*scan) << '\n';
  return ExitFor(*scan);
}

// The clock of `show --render`: SOURCE_DATE_EPOCH when set (the
// reproducible-builds convention, so that tests and diffs get the same
// bytes twice), else now. nullopt after a usage message for a bad value.
std::optional<int64_t> RenderClock(Context& ctx) {
  const char* pinned = std::getenv("SOURCE_DATE_EPOCH");
  if (pinned == nullptr) return ctx.env.now();
  const std::string_view text(pinned);
  const Result<int64_t> seconds =
      ParseInteger<int64_t>(text, 0, 253402300799);  // up to 9999-12-31T23:59:59Z
  if (!seconds) {
    ctx.env.err << fmt::format(
        "automon-agent: invalid value '{}' for SOURCE_DATE_EPOCH: "
        "expected seconds since the epoch\n",
        text);
    return std::nullopt;
  }
  return *seconds;
}

// ISO 8601 UTC, as automon-registrar writes into its headers.
std::string IsoTime(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32] = {};
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// `show --render nagios|checkmk|icinga2`: the host file the registrar would write
// for the snapshot `snapshot` would send, rendered here by the registrar's
// own renderers. Services the registrar would reject are reported on stderr
// (and as comments) and left out, as the registrar leaves them out.
int ShowRendered(Context& ctx, std::string_view backend) {
  const std::optional<backends::BackendKind> kind = backends::ParseBackendName(backend);
  std::unique_ptr<backends::Renderer> renderer = kind ? backends::MakeRenderer(*kind, {}) : nullptr;
  if (renderer == nullptr) {
    const std::vector<backends::BackendKind> kinds = backends::RenderableBackends();
    std::string expected;
    for (size_t i = 0; i < kinds.size(); ++i) {
      if (i > 0) expected += i + 1 == kinds.size() ? " or " : ", ";
      expected += backends::BackendName(kinds[i]);
    }
    ctx.env.err << fmt::format(
        "automon-agent: invalid value '{}' for '--render': expected "
        "{}\n",
        backend, expected);
    return kExitUsage;
  }
  const auto now = RenderClock(ctx);
  if (!now) return kExitUsage;
  // The default generation is the same clock, so that SOURCE_DATE_EPOCH
  // pins the whole output.
  if (!Option(ctx, "generation")) {
    ctx.line.options["generation"] = std::to_string(std::max<int64_t>(0, *now));
  }
  int exit_code = kExitOk;
  auto built = BuildSnapshot(ctx, &exit_code);
  if (!built) return exit_code;

  // Through the wire format, as the registrar receives it.
  auto parsed = formats::ParseSnapshot(formats::SerializeSnapshot(*built), "snapshot");
  if (!parsed) {
    ctx.env.err << "automon-agent: error: the registrar would refuse the snapshot: "
                << parsed.error().message << '\n';
    return kExitErrors;
  }
  formats::Snapshot& snapshot = parsed->snapshot;
  std::vector<std::pair<std::string, std::string>> rejected;  // name, reason
  for (const formats::RejectedService& r : parsed->rejected) {
    std::string reason;
    for (const Diagnostic& d : r.diagnostics) reason += (reason.empty() ? "" : "; ") + d.message;
    rejected.emplace_back(r.name, reason);
  }

  backends::RenderOptions options;
  options.generated_at = IsoTime(std::max<int64_t>(0, *now));
  renderer = backends::MakeRenderer(*kind, options);
  const backends::PlanOptions plan_options;  // the registrar's defaults
  auto rendered = renderer->RenderHost(backends::PlanHost(snapshot, plan_options));
  if (rendered && std::any_of(rendered->services.begin(), rendered->services.end(),
                              [](const backends::RenderedService& r) { return !r.rendered; })) {
    std::vector<formats::Service> kept;
    for (size_t i = 0; i < snapshot.services.size(); ++i) {
      const backends::RenderedService& r = rendered->services[i];
      if (r.rendered) {
        kept.push_back(snapshot.services[i]);
      } else {
        rejected.emplace_back(r.name, r.reason);
      }
    }
    snapshot.services = std::move(kept);
    rendered = renderer->RenderHost(backends::PlanHost(snapshot, plan_options));
  }
  if (!rendered) {
    ctx.env.err << "automon-agent: error: the registrar would refuse the host: "
                << rendered.error().message << '\n';
    return kExitErrors;
  }

  std::string notes;
  for (auto& [name, reason] : rejected) {
    name = OneLine(name);
    reason = OneLine(reason);
    ctx.env.err << fmt::format(
        "automon-agent: error: service '{}' would be rejected by the "
        "registrar: {}\n",
        name, reason);
    notes += fmt::format("# Rejected, not rendered: {}: {}\n", name, reason);
  }
  for (const formats::Removal& r : snapshot.removed) {
    notes +=
        fmt::format("# Not registered: {} ({})\n", r.service, formats::RemovalReasonName(r.reason));
  }
  // rendered->secrets (the secret files' contents) stay in memory.
  ctx.env.out << backends::PreviewPreamble(*kind, plan_options, snapshot.host) << notes << "#\n"
              << rendered->content;
  return rejected.empty() ? exit_code : kExitErrors;
}

int Show(Context& ctx) {
  if (auto backend = Option(ctx, "render")) return ShowRendered(ctx, *backend);
  for (std::string_view only : {"name", "address", "generation"}) {
    if (Option(ctx, only)) {
      ctx.env.err << fmt::format("automon-agent: option '--{}' applies to 'show --render' only\n",
                                 only);
      return kExitUsage;
    }
  }
  auto scan = Scan(ctx, /*print=*/false);
  if (!scan) return kExitErrors;
  auto selection = Select(ctx, *scan);
  if (!selection) {
    PrintDiagnostics(scan->diagnostics, ctx.env.err);
    return kExitErrors;
  }
  PrintSelectedDiagnostics(ctx, *scan, *selection);
  // Present in scan order, registered or not.
  std::map<std::string, std::string> why_not;
  for (const Inactive& i : selection->inactive) why_not[i.service.name] = i.detail;
  bool first = true;
  for (const formats::Service& s : scan->services) {
    if (!first) ctx.env.out << '\n';
    first = false;
    const auto it = why_not.find(s.name);
    ctx.env.out << fmt::format(
        "# {}: {}\n", s.loc.ToString(),
        it == why_not.end() ? "registered" : "not registered: " + it->second);
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
  std::string_view usage;  // `COMMAND --help`: synopsis line(s), then what it does
};

constexpr std::array<Command, 9> kCommands = {{
    {"check",
     Check,
     {},
     1,
     "check [DIR]\n\nValidates the definitions in DIR (default: agent.conf's `directory`); prints\n"
     "a table of the services and every error. Exit 1 on any error.\n"},
    {"show",
     Show,
     {"render", "name", "address", "generation", "dpkg-admindir"},
     1,
     "show [--dpkg-admindir DIR] [DIR]\n"
     "       show --render nagios|checkmk [--name NAME] [--address ADDR]\n"
     "            [--generation N] [--dpkg-admindir DIR] [DIR]\n\n"
     "Shows what would be registered, secrets redacted, and why other services are\n"
     "not; with --render, the host file the registrar would write for the snapshot\n"
     "(SOURCE_DATE_EPOCH pins the time).\n"},
    {"snapshot",
     Snapshot,
     {"name", "address", "generation", "dpkg-admindir"},
     1,
     "snapshot [--name NAME] [--address ADDR] [--generation N] [--dpkg-admindir DIR] [DIR]\n\n"
     "Writes the wire document (secrets included) to standard output.\n"},
    {"hello", Hello, {}, 0, "hello\n\nConnects to each registrar and says who we are.\n"},
    {"enroll",
     Enroll,
     {"ticket", "name"},
     0,
     "enroll [--ticket T] [--name NAME]\n\n"
     "Asks each registrar to enroll this host's key. Exit 1 when no registrar was\n"
     "reached (for example `registrar = auto` and none announced).\n"},
    {"push",
     Push,
     {"dpkg-admindir", "daemon"},
     0,
     "push [--dpkg-admindir DIR]\n\n"
     "Sends the snapshot to each registrar and prints its report.\n"},
    {"deregister", Deregister, {}, 0, "deregister\n\nAsks each registrar to remove this host.\n"},
    {"status", Status, {}, 0, "status\n\nPrints each registrar's key and its last report.\n"},
    {"run",
     RunDaemon,
     {"dpkg-admindir", "debounce", "start-jitter", "retry-base", "rescan", "plan", "in-process"},
     0,
     "run [--debounce MS] [--start-jitter S] [--retry-base MS] [--rescan S]\n"
     "           [--dpkg-admindir DIR]\n\n"
     "The daemon: pushes on every change of the definitions or of dpkg's package\n"
     "list and on SIGHUP, retries with backoff, rescans.\n"},
}};

bool IsHelp(std::string_view arg) { return arg == "-h" || arg == "--help"; }

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
  show --render nagios|checkmk|icinga2|prometheus [DIR]
                           the host file the registrar would write for the
                           snapshot (its default paths; secrets by file name
                           only, never printed); SOURCE_DATE_EPOCH pins the time
        [--name NAME] [--address ADDR] [--generation N] [--dpkg-admindir DIR]
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
pinned by `fingerprint =` (one or more keys) or trusted on first use and then
enforced. A registrar found over mDNS is trusted on first use only while
nothing is pinned yet (and only when it matches the fingerprint it
announces); afterwards only with a key already pinned or in `fingerprint =`.

Exit status: 0 all valid (or accepted), 1 errors found or refused, 2 usage error.
See automon-agent(8).
)";
}

int RunAgent(std::span<const std::string> args, Environment& env) {
  std::optional<std::string> config_path;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsHelp(arg)) {
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

  // `COMMAND --help` anywhere before a `--`-less value: this command's usage.
  const auto rest = args.subspan(i + 1);
  if (std::any_of(rest.begin(), rest.end(), [](const std::string& a) { return IsHelp(a); })) {
    env.out << "Usage: automon-agent [--config FILE] " << command->usage
            << "\nSee automon-agent(8).\n";
    return kExitOk;
  }
  std::vector<std::string_view> known;
  for (std::string_view o : command->options) {
    if (!o.empty()) known.push_back(o);
  }
  auto line = ParseCommandLine(rest, known, command->max_positionals, env.err);
  if (!line) return kExitUsage;

  const std::string path = config_path.value_or(std::string(kDefaultConfigPath));
  Context ctx{env, {}, std::move(*line), path, config_path.has_value(), DiscoveryOutcome::kNotAsked,
              0,   {}};
  if (!LoadConfig(ctx)) return kExitErrors;
  return command->run(ctx);
}

}  // namespace automon::agent
