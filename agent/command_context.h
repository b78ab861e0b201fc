// SPDX-License-Identifier: GPL-2.0-or-later
// Internal to the agent library: what every subcommand gets, and the
// helpers the local and the network commands share. Not for other folders.
#ifndef AUTOMON_AGENT_COMMAND_CONTEXT_H_
#define AUTOMON_AGENT_COMMAND_CONTEXT_H_

#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/selection.h"
#include "common/diagnostic.h"
#include "formats/directory.h"
#include "formats/results.h"
#include "formats/snapshot.h"

namespace automon::agent::internal {

// The command line after the subcommand: positionals plus --key value /
// --key=value options from a fixed set.
struct CommandLine {
  std::vector<std::string> positionals;
  std::map<std::string, std::string> options;
};

// What the last look for registrars (registrar = auto) came to.
enum class DiscoveryOutcome {
  kNotAsked,     // no `auto`, or a command that does not browse
  kFound,        // at least one registrar answered
  kNoneFound,    // avahi-daemon answered, no registrar announced itself
  kUnreachable,  // no avahi-daemon (or no D-Bus)
};

struct Context {
  Environment& env;
  AgentConfig config;
  CommandLine line;
  std::string config_path;  // for messages
  bool explicit_config = false;
  DiscoveryOutcome discovery = DiscoveryOutcome::kNotAsked;
  size_t targets = 0;  // registrars the last network command tried
  // The last discovery notice printed, so that a daemon says it once.
  std::string discovery_notice;
};

// (Re)reads agent.conf into ctx.config; false after printing why.
bool LoadConfig(Context& ctx);

void PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, std::ostream& err);
std::optional<std::string> Option(const Context& ctx, std::string_view name);

// The definitions directory: the first positional, else agent.conf's.
std::string Directory(const Context& ctx);
// Scans it, printing diagnostics unless `print` is false; nullopt (after
// saying why) when the directory cannot be read.
std::optional<formats::ScanResult> Scan(Context& ctx, bool print = true);
int ExitFor(const formats::ScanResult& scan);
// Prints the scan's diagnostics except the warnings about services that
// `selection` does not register (a missing password of a service whose
// package is absent is no news).
void PrintSelectedDiagnostics(Context& ctx, const formats::ScanResult& scan,
                              const Selection& selection);
// Applies enabled/exclude/package; nullopt when dpkg's status is unreadable.
std::optional<Selection> Select(Context& ctx, const formats::ScanResult& scan);
// The snapshot `snapshot` would print; on failure says why and sets
// *exit_code. On success *exit_code is what `check` would return, and
// `broken_files` (when given) receives every file that had an error.
std::optional<formats::Snapshot> BuildSnapshot(Context& ctx, int* exit_code,
                                               std::set<std::string>* broken_files = nullptr);

// Adds to document.removed, as deleted, the services of `previous` (the
// registered/ state: "name<TAB>source file" lines) that the document
// neither holds nor removes, except those whose source file is in
// `broken_files` (or, for lines without a file, when any file is broken):
// a definition that did not parse is not a deleted one. Returns those.
std::vector<std::string> AddDeletions(const std::string& previous,
                                      const std::set<std::string>& broken_files,
                                      formats::Snapshot& document);

// Exit codes of `push --daemon 1` when it had nobody to push to, for
// automon-agent-run: no registrar announced (look again with backoff), no
// avahi-daemon (wait for a change, the rescan or SIGHUP).
inline constexpr int kExitNobodyYet = 75;
inline constexpr int kExitNobodyEver = 76;

// The network commands (network.cc).
int Hello(Context& ctx);
int Enroll(Context& ctx);
int Push(Context& ctx);
int Deregister(Context& ctx);
int Status(Context& ctx);
int RunDaemon(Context& ctx);  // daemon.cc

// Passive results (network.cc): delivers the inbox and the spools
// (`results-flush`); `send`.
int FlushResults(Context& ctx);
int Send(Context& ctx);

}  // namespace automon::agent::internal

#endif  // AUTOMON_AGENT_COMMAND_CONTEXT_H_
