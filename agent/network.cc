// SPDX-License-Identifier: GPL-2.0-or-later
// The agent's network commands: hello, enroll, push, deregister, status.
//
// State under agent.conf's state_dir, one file per registrar, named
// <host>_<port> (see automon-agent(8), FILES):
//   known/<id>       the registrar's key fingerprint, trusted on first use;
//                    once any is there, a registrar found over mDNS is
//                    used only when its key is one of them
//   registered/<id>  service names of the last snapshot it accepted, one
//                    per line (to name deleted services in the next one)
//   reports/<id>     the registrar's last answer to a push
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "agent/command_context.h"
#include "agent/jobs.h"
#include "agent/pinning.h"
#include "agent/remote.h"
#include "agent/send_input.h"
#include "agent/spool.h"
#include "agent/watch.h"
#include "common/file_system.h"
#include "common/parse_integer.h"
#include "common/text.h"
#include "common/utf8.h"
#include "formats/schema.h"

namespace automon::agent::internal {
namespace {

constexpr int kDefaultRegistrarPort = 2222;
constexpr auto kTimeout = std::chrono::seconds(60);

struct Target {
  std::string host;
  int port;
  std::string label;  // host:port, for people
  std::string id;     // host_port, for file names
  // Found over mDNS: its TXT fingerprint, a hint for trust on first use.
  bool discovered = false;
  std::optional<std::string> advertised;
  std::string service;  // the mDNS instance name, for messages
};

Target MakeTarget(const std::string& host, int port) {
  std::string id = fmt::format("{}_{}", host, port);
  std::replace(id.begin(), id.end(), ':', '.');  // IPv6
  const bool v6 = host.find(':') != std::string::npos;
  const std::string label =
      v6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  Target t;
  t.host = host;
  t.port = port;
  t.label = label;
  t.id = id;
  return t;
}

// Says `notice` on stdout unless it was the last thing said about
// discovery: a daemon reports a lasting condition once.
// A push run by automon-agent-run (--daemon 1) is a process of its own
// each time: the last notice is kept in state_dir for the next one.
void Notice(Context& ctx, const std::string& notice) {
  const bool daemon = Option(ctx, "daemon").value_or("0") == "1";
  const std::string path = ctx.config.state_dir + "/discovery-notice";
  if (daemon && ctx.discovery_notice.empty()) {
    if (auto last = ctx.env.fs.ReadFile(path, 4096)) ctx.discovery_notice = *last;
  }
  if (notice == ctx.discovery_notice) return;
  ctx.discovery_notice = notice;
  ctx.env.out << "automon-agent: " << notice << '\n';
  if (daemon && ctx.env.fs.MakeDirectories(ctx.config.state_dir, 0700)) {
    (void)ctx.env.fs.WriteFileAtomic(path, notice, 0600);
  }
}

std::string DiscoveredPath(const Context& ctx) { return ctx.config.state_dir + "/discovered"; }

// Registrars found over mDNS that took a push before, "host port" lines.
std::vector<Target> Remembered(Context& ctx) {
  std::vector<Target> targets;
  auto text = ctx.env.fs.ReadFile(DiscoveredPath(ctx), 1 << 16);
  if (!text) return targets;
  std::istringstream lines(*text);
  std::string host;
  int port = 0;
  while (lines >> host >> port) {
    Target t = MakeTarget(host, port);
    t.discovered = true;
    targets.push_back(std::move(t));
  }
  return targets;
}

bool IsKnown(Context& ctx, const Target& t);

// What a network command knows about pins when it starts.
struct Pins {
  // Keys pinned under state_dir/known/ when the command started.
  std::set<std::string> keys;
  // Nothing at all pinned then (nor in agent.conf): the only time a
  // registrar found over mDNS is trusted on first use.
  bool first_contact = false;
  size_t discovered = 0;  // registrars the discovery found, after the pins
};

// Reads every key pinned under state_dir/known/ into ctx.pinned_keys and
// decides ctx.first_contact. False (after a notice) when the pins cannot
// be read: an unreadable pin must never turn into trust on first use.
bool ReadPins(Context& ctx, Pins& pins) {
  const std::string dir = ctx.config.state_dir + "/known";
  auto entries = ctx.env.fs.ListDirectory(dir);
  if (!entries && !entries.error().IsNotFound()) {
    Notice(ctx, fmt::format("registrar = auto: cannot read the pinned keys: {}; not using "
                            "registrars found over mDNS",
                            entries.error().message));
    return false;
  }
  if (entries) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind != DirectoryEntry::Kind::kRegular) continue;
      auto key = ctx.env.fs.ReadFile(dir + "/" + e.name, 4096);
      if (!key) {
        Notice(ctx, fmt::format("registrar = auto: cannot read the pinned keys: {}; not using "
                                "registrars found over mDNS",
                                key.error().message));
        return false;
      }
      pins.keys.emplace(TrimSpace(*key));
    }
  }
  pins.first_contact = pins.keys.empty() && ctx.config.fingerprints.empty();
  return true;
}

// Whether `key` is one this agent accepts from a registrar found over
// mDNS once something is pinned: agent.conf's when it lists any, else
// those pinned in the state.
bool Accepted(const Context& ctx, const Pins& pins, const std::string& key) {
  if (!ctx.config.fingerprints.empty()) {
    return std::find(ctx.config.fingerprints.begin(), ctx.config.fingerprints.end(), key) !=
           ctx.config.fingerprints.end();
  }
  return pins.keys.count(key) > 0;
}

// An mDNS name or TXT value for a one-line message: control characters
// (a newline could forge a second message) become '?'.
std::string OneLine(std::string_view text) { return automon::OneLine(text.substr(0, 200)); }

// The registrars to talk to: those configured, then (registrar = auto)
// those announced over mDNS, registrars whose key is pinned first. When
// nothing answers, registrars found before and pinned are used. `browse`
// false: the remembered ones stand in for discovery (status).
std::vector<Target> Targets(Context& ctx, Pins& pins, bool browse = true) {
  std::vector<Target> targets;
  for (const RegistrarAddress& r : ctx.config.registrars) {
    targets.push_back(MakeTarget(r.host, r.port == 0 ? kDefaultRegistrarPort : r.port));
  }
  ctx.discovery = DiscoveryOutcome::kNotAsked;
  pins = Pins();
  if (!ctx.config.discover) return targets;
  if (browse && !ReadPins(ctx, pins)) return targets;
  auto add = [&](Target t) {
    for (const Target& have : targets) {
      if (have.id == t.id) return;
    }
    targets.push_back(std::move(t));
  };
  if (!browse) {
    for (Target& t : Remembered(ctx)) add(std::move(t));
    return targets;
  }
  const auto timeout = std::chrono::milliseconds(ctx.config.discovery_timeout_ms);
  // Once every registrar this agent trusts has answered, the browse ends
  // without waiting for the rest of the network (about a second).
  std::set<std::string> trusted;
  if (!pins.first_contact) {
    trusted =
        ctx.config.fingerprints.empty()
            ? pins.keys
            : std::set<std::string>(ctx.config.fingerprints.begin(), ctx.config.fingerprints.end());
  }
  auto found = ctx.env.discovery.Find(timeout, trusted);
  std::vector<Target> discovered;
  std::string ignored;  // announced, but with a key not pinned
  if (!found) {
    ctx.discovery = found.error().errnum == avahi::kNoDaemon ? DiscoveryOutcome::kUnreachable
                                                             : DiscoveryOutcome::kNoneFound;
  } else {
    for (const avahi::Found& f : *found) {
      const auto version = f.txt.find("version");
      if (version != f.txt.end() && version->second != avahi::kProtocolVersion) {
        Notice(ctx, fmt::format("registrar '{}' at {} speaks protocol version {}, this agent "
                                "version {}; skipped",
                                OneLine(f.name), f.address, OneLine(version->second),
                                avahi::kProtocolVersion));
        continue;
      }
      Target t = MakeTarget(f.address, f.port);
      t.discovered = true;
      t.advertised = avahi::AdvertisedFingerprint(f);
      t.service = OneLine(f.name);
      // Once anything is pinned, an announcer advertising a key that is
      // not is not even contacted (the key it presents is checked anyway).
      if (!pins.first_contact && t.advertised && !Accepted(ctx, pins, *t.advertised) &&
          !IsKnown(ctx, t)) {
        ignored += fmt::format("{}{} ('{}', key {})", ignored.empty() ? "" : ", ", t.label,
                               t.service, OneLine(*t.advertised));
        continue;
      }
      discovered.push_back(std::move(t));
    }
    ctx.discovery = discovered.empty() ? DiscoveryOutcome::kNoneFound : DiscoveryOutcome::kFound;
  }
  pins.discovered = discovered.size();
  const std::string not_pinned = ignored.empty()
                                     ? ""
                                     : fmt::format(
                                           "; not using {}: not pinned (see 'fingerprint =' in "
                                           "automon-agent(8))",
                                           ignored);
  if (discovered.empty()) {
    // mDNS is best effort: a registrar this host already pinned is still
    // worth a try when nothing answers (avahi-daemon restarting, a lost
    // packet). An unpinned one never is.
    for (Target& t : Remembered(ctx)) {
      if (IsKnown(ctx, t)) discovered.push_back(std::move(t));
    }
    const std::string why =
        !found ? found.error().message
        : !ignored.empty()
            ? "no registrar with a pinned key announced " + std::string(avahi::kServiceType)
            : fmt::format("no registrar announced {} (waited at most {} s)", avahi::kServiceType,
                          timeout.count() / 1000.0);
    Notice(ctx, fmt::format("registrar = auto: {}{}; {}", why, not_pinned,
                            discovered.empty() ? "nothing to do until one is found or set in "
                                                 "agent.conf"
                                               : "trying the registrars pinned before"));
  } else {
    std::stable_partition(discovered.begin(), discovered.end(), [&](const Target& t) {
      return IsKnown(ctx, t) || (t.advertised && Accepted(ctx, pins, *t.advertised));
    });
    std::string names;
    for (const Target& t : discovered) {
      names += fmt::format("{}{} ('{}')", names.empty() ? "" : ", ", t.label, t.service);
    }
    Notice(ctx, "registrar = auto: found " + names + not_pinned);
  }
  for (Target& t : discovered) add(std::move(t));
  return targets;
}

// Says once, quietly, why nothing happens on a host without a registrar.
bool NoTargets(Context& ctx, const std::vector<Target>& targets) {
  ctx.targets = targets.size();
  if (!targets.empty()) return false;
  if (!ctx.config.discover)
    ctx.env.out << "automon-agent: no registrar configured; nothing to do\n";
  return true;
}

std::string StatePath(const Context& ctx, std::string_view kind, const Target& t) {
  return fmt::format("{}/{}/{}", ctx.config.state_dir, kind, t.id);
}

// The state file, nullopt when it does not exist. Any other failure is an
// error: an unreadable pin must never turn into trust on first use.
Result<std::optional<std::string>> ReadState(Context& ctx, std::string_view kind, const Target& t) {
  auto text = ctx.env.fs.ReadFile(StatePath(ctx, kind, t), 1 << 20);
  if (!text) {
    if (text.error().IsNotFound()) return std::optional<std::string>();
    return text.error();
  }
  return std::optional<std::string>(*text);
}

bool IsKnown(Context& ctx, const Target& t) {
  auto known = ReadState(ctx, "known", t);
  return known && known->has_value();
}

Result<void> WriteState(Context& ctx, std::string_view kind, const Target& t,
                        const std::string& content) {
  const std::string dir = fmt::format("{}/{}", ctx.config.state_dir, kind);
  if (auto made = ctx.env.fs.MakeDirectories(dir, 0700); !made) return made;
  return ctx.env.fs.WriteFileAtomic(StatePath(ctx, kind, t), content, 0600);
}

// Runs `command` on the registrar, checking its host key first (pinned
// in agent.conf, else remembered, else trusted on first use).
Result<ssh::RemoteResult> Call(Context& ctx, Remote& remote, const Pins& pins, const Target& t,
                               const std::string& command, const std::string& input) {
  PinInputs pin;
  pin.registrar = t.label;
  pin.configured = ctx.config.fingerprints;
  pin.discovered = t.discovered;
  pin.pinned = pins.keys;
  pin.config_path = ctx.config_path;
  auto known = ReadState(ctx, "known", t);
  if (!known) return known.error();
  if (*known) pin.remembered = std::string(TrimSpace(**known));
  pin.state_path = StatePath(ctx, "known", t);
  pin.advertised = t.advertised;
  ssh::RemoteCommand rc{t.host, t.port, ctx.config.user, command, input, kTimeout};
  return remote.Run(rc, [&](const std::string& fingerprint) -> Result<void> {
    pin.presented = fingerprint;
    const PinDecision decision = DecidePin(pin);
    if (decision.verdict == PinVerdict::kRefused) return Error{decision.message};
    if (decision.verdict == PinVerdict::kTrustedKey && !pin.remembered) {
      // A pinned registrar at a new address: remember it there too.
      if (auto saved = WriteState(ctx, "known", t, fingerprint + "\n"); !saved) return saved;
    }
    if (decision.verdict == PinVerdict::kTrustFirstUse) {
      if (auto saved = WriteState(ctx, "known", t, fingerprint + "\n"); !saved) return saved;
      ctx.env.err << fmt::format("automon-agent: trusting registrar {} on first use: {}{}\n",
                                 t.label, fingerprint,
                                 t.advertised ? " (as its mDNS announcement advertises)" : "");
    }
    return {};
  });
}

std::unique_ptr<Remote> Connect(Context& ctx) {
  auto remote = ctx.env.remotes.ForKey(ctx.config.key);
  if (!remote) {
    ctx.env.err << "automon-agent: error: " << remote.error().message << '\n';
    return nullptr;
  }
  return std::move(*remote);
}

// A registrar's answer, line by line, each made safe for a terminal or a
// log (control characters, bidi controls and line separators masked).
std::string Lines(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    out += OneLine(std::string_view(text).substr(at, end - at)) + "\n";
    at = end + 1;
  }
  return out;
}

void Print(Context& ctx, const Target& t, const ssh::RemoteResult& r) {
  if (!r.out.empty()) ctx.env.out << fmt::format("{}: ", t.label) << Lines(r.out);
  if (!r.err.empty()) ctx.env.err << t.label << ": " << Lines(r.err);
}

}  // namespace

std::vector<std::string> AddDeletions(const std::string& previous,
                                      const std::set<std::string>& broken_files,
                                      formats::Snapshot& document) {
  std::set<std::string> accounted;
  for (const auto& s : document.services) accounted.insert(s.name);
  for (const auto& r : document.removed) accounted.insert(r.service);
  std::vector<std::string> unsure;
  std::istringstream lines(previous);
  for (std::string line; std::getline(lines, line);) {
    const size_t tab = line.find('\t');
    const std::string name = line.substr(0, tab);
    if (name.empty() || accounted.count(name)) continue;
    accounted.insert(name);
    // Unknown source (an older state file) with errors anywhere, or a
    // source file with errors: the service may still be there, unread.
    const bool file_unknown = tab == std::string::npos;
    if ((file_unknown && !broken_files.empty()) ||
        (!file_unknown && broken_files.count(line.substr(tab + 1)))) {
      unsure.push_back(name);
      continue;
    }
    document.removed.push_back({name, formats::RemovalReason::kDeleted});
  }
  return unsure;
}

namespace {

std::string HostName(Context& ctx) {
  return Option(ctx, "name").value_or(ctx.config.name.value_or(ctx.env.host_name()));
}

}  // namespace

// Runs `command` with `input` on every configured registrar, printing each
// answer; `after` sees each successful exchange. kExitErrors when any
// registrar could not be reached or answered with a non-zero status.
int OnEachRegistrar(Context& ctx, const Pins& pins, const std::vector<Target>& targets,
                    const std::string& command, const std::string& input,
                    const std::function<void(const Target&, const ssh::RemoteResult&)>& after) {
  if (NoTargets(ctx, targets)) return kExitOk;
  auto remote = Connect(ctx);
  if (!remote) return kExitErrors;
  int exit = kExitOk;
  for (const Target& t : targets) {
    auto result = Call(ctx, *remote, pins, t, command, input);
    if (!result) {
      ctx.env.err << fmt::format("automon-agent: {}: {}\n", t.label, result.error().message);
      exit = kExitErrors;
      continue;
    }
    Print(ctx, t, *result);
    if (after) after(t, *result);
    if (result->exit_status != 0) exit = kExitErrors;
  }
  return exit;
}

int Hello(Context& ctx) {
  Pins pins;
  const auto targets = Targets(ctx, pins);
  return OnEachRegistrar(ctx, pins, targets, "hello", "", nullptr);
}

int Enroll(Context& ctx) {
  auto name = formats::NormaliseValue({"name", formats::ValueKind::kHostName}, HostName(ctx));
  if (!name) {
    ctx.env.err << "automon-agent: " << name.error().message << '\n';
    return kExitUsage;
  }
  if (auto length = formats::CheckRegisteredHostNameLength(*name); !length) {
    ctx.env.err << "automon-agent: " << length.error().message << '\n';
    return kExitUsage;
  }
  const auto ticket = Option(ctx, "ticket");
  Pins pins;
  const auto targets = Targets(ctx, pins);
  // A ticket is spent by whoever takes it first. On the first contact,
  // when nothing is pinned, every registrar found over mDNS would be
  // trusted: any host announcing _automon._tcp could take it. Only one
  // found is unambiguous. Once something is pinned, a registrar whose key
  // is not pinned is refused before authentication, so before the ticket.
  if (ticket && pins.first_contact && pins.discovered > 1) {
    std::string names;
    for (const Target& t : targets) {
      if (t.discovered) names += fmt::format("{}{}", names.empty() ? "" : ", ", t.label);
    }
    ctx.env.err << fmt::format(
        "automon-agent: error: enroll --ticket: {} registrars announced themselves ({}) and "
        "none is pinned; the ticket is not sent to any. Name the registrar in 'registrar =' "
        "or its key in 'fingerprint =' in {}\n",
        pins.discovered, names, ctx.config_path);
    return kExitErrors;
  }
  // Enrolling nowhere is a failure: a preseeded install (postinst running
  // `enroll --ticket`) must not look successful when no registrar was found.
  if (targets.empty()) {
    NoTargets(ctx, targets);
    ctx.env.err << fmt::format(
        "automon-agent: error: enroll: enrolled nowhere: {}; set 'registrar =' in {}{}\n",
        ctx.config.discover ? "no registrar configured and none announced over mDNS"
                            : "no registrar configured",
        ctx.config_path, ctx.config.discover ? " or start a registrar that announces itself" : "");
    return kExitErrors;
  }
  return OnEachRegistrar(ctx, pins, targets, "enroll " + *name, ticket.value_or(""), nullptr);
}

int Push(Context& ctx) {
  if (!ctx.config.enabled) {
    ctx.env.out << "automon-agent: registration is disabled in agent.conf (enabled = false)\n";
    return kExitOk;
  }
  Pins pins;
  const auto targets = Targets(ctx, pins);
  if (NoTargets(ctx, targets)) {
    // For automon-agent-run: look again later, or wait for a change.
    if (Option(ctx, "daemon").value_or("0") != "1") return kExitOk;
    if (ctx.discovery == DiscoveryOutcome::kNoneFound) return kExitNobodyYet;
    if (ctx.discovery == DiscoveryOutcome::kUnreachable) return kExitNobodyEver;
    return kExitOk;
  }
  int exit_code = kExitOk;
  std::set<std::string> broken_files;
  auto snapshot = BuildSnapshot(ctx, &exit_code, &broken_files);
  if (!snapshot) return exit_code;
  // The daemon feeds the "automon agent" heartbeat when it runs local
  // checks; the registrar then expects it (and makes them depend on it).
  if (Option(ctx, "daemon").value_or("0") == "1" &&
      std::any_of(snapshot->services.begin(), snapshot->services.end(), IsLocalCheck)) {
    snapshot->heartbeat_seconds = kHeartbeatSeconds;
  }
  // The generation must grow even when the clock steps back, or every
  // registrar refuses the push as older than what it holds.
  const std::string generation_path = ctx.config.state_dir + "/generation";
  if (auto last = ctx.env.fs.ReadFile(generation_path, 64)) {
    const uint64_t n = ParseInteger<uint64_t>(TrimSpace(*last)).value_or(0);
    if (snapshot->generation <= n) snapshot->generation = n + 1;
  }
  if (auto made = ctx.env.fs.MakeDirectories(ctx.config.state_dir, 0700); !made) {
    ctx.env.err << "automon-agent: error: " << made.error().message << '\n';
    return kExitErrors;
  }
  if (auto saved = ctx.env.fs.WriteFileAtomic(generation_path,
                                              std::to_string(snapshot->generation) + "\n", 0600);
      !saved) {
    ctx.env.err << "automon-agent: error: " << saved.error().message << '\n';
    return kExitErrors;
  }
  auto remote = Connect(ctx);
  if (!remote) return kExitErrors;
  int exit = kExitOk;
  std::string took;  // discovered registrars that took the snapshot
  for (const Target& t : targets) {
    // Services this registrar accepted last time and that are neither in
    // the snapshot nor opted out were deleted: say so, or the registrar
    // refuses the snapshot rather than lose them (DESIGN.md §4).
    formats::Snapshot document = *snapshot;
    auto previous = ReadState(ctx, "registered", t);
    if (!previous) {
      ctx.env.err << fmt::format("automon-agent: {}: {}\n", t.label, previous.error().message);
      exit = kExitErrors;
      continue;
    }
    const std::vector<std::string> unsure =
        AddDeletions(previous->value_or(""), broken_files, document);
    for (const std::string& name : unsure) {
      ctx.env.err << fmt::format(
          "automon-agent: {}: service '{}' is not sent: its file has errors (see above); the "
          "registrar keeps its accepted definition until the file is fixed\n",
          t.label, name);
    }
    auto result = Call(ctx, *remote, pins, t, "register", formats::SerializeSnapshot(document));
    if (!result) {
      ctx.env.err << fmt::format("automon-agent: {}: {}\n", t.label, result.error().message);
      exit = kExitErrors;
      continue;
    }
    Print(ctx, t, *result);
    (void)WriteState(ctx, "reports", t,
                     fmt::format("exit = {}\n{}{}", result->exit_status, result->out, result->err));
    // 0: all active; 1: some services rejected, the snapshot itself taken.
    if (result->exit_status == 0 || result->exit_status == 1) {
      if (t.discovered) took += fmt::format("{} {}\n", t.host, t.port);
      std::string names;
      for (const auto& s : document.services) names += s.name + "\t" + s.loc.file + "\n";
      // Not sent but still registered there: keep them, so that their
      // deletion can be reported once the file is fixed or removed.
      std::istringstream lines(previous->value_or(""));
      for (std::string line; std::getline(lines, line);) {
        if (std::find(unsure.begin(), unsure.end(), line.substr(0, line.find('\t'))) !=
            unsure.end()) {
          names += line + "\n";
        }
      }
      if (auto saved = WriteState(ctx, "registered", t, names); !saved) {
        ctx.env.err << "automon-agent: error: " << saved.error().message << '\n';
        exit = kExitErrors;
      }
    }
    if (result->exit_status != 0) exit = kExitErrors;
  }
  if (ctx.discovery == DiscoveryOutcome::kFound && !took.empty()) {
    // Remembered for the days mDNS does not answer (see Targets).
    (void)ctx.env.fs.WriteFileAtomic(DiscoveredPath(ctx), took, 0600);
  }
  return exit == kExitOk ? exit_code : exit;
}

int Deregister(Context& ctx) {
  Pins pins;
  const auto targets = Targets(ctx, pins);
  return OnEachRegistrar(ctx, pins, targets, "deregister", "",
                         [&](const Target& t, const ssh::RemoteResult& result) {
                           if (result.exit_status == 0) (void)WriteState(ctx, "registered", t, "");
                         });
}

int Status(Context& ctx) {
  Pins pins;
  const auto targets = Targets(ctx, pins, /*browse=*/false);
  if (NoTargets(ctx, targets)) return kExitOk;
  for (const Target& t : targets) {
    const auto known = ReadState(ctx, "known", t);
    const auto report = ReadState(ctx, "reports", t);
    if (!known || !report) {
      ctx.env.err << "automon-agent: error: " << (!known ? known : report).error().message << '\n';
      return kExitErrors;
    }
    std::string configured;
    for (const std::string& k : ctx.config.fingerprints) {
      configured += (configured.empty() ? "" : " or ") + k;
    }
    ctx.env.out << fmt::format("{}: key {}\n", t.label,
                               !configured.empty() ? configured + " (pinned)"
                               : *known
                                   ? std::string(TrimSpace(**known)) + " (trusted on first use)"
                                   : std::string("not seen yet"));
    ctx.env.out << (*report ? Lines(**report) : std::string("never pushed\n"));
    const auto counts = ReadState(ctx, "passive/counts", t);
    if (counts && *counts) {
      const SpoolCounts c = ParseCounts(**counts);
      size_t queued = 0;
      if (auto spool = ReadState(ctx, "passive/spool", t); spool && *spool) {
        if (auto parsed = Spool::Parse(**spool)) queued = parsed->size();
      }
      ctx.env.out << fmt::format(
          "passive results: {} queued, {} sent, {} dropped, {} refused{}\n", queued, c.sent,
          c.dropped, c.refused,
          c.failures > 0 ? fmt::format(" ({} failed deliveries in a row)", c.failures) : "");
    }
  }
  return kExitOk;
}

namespace {

// The name results are sent for: as the snapshot's.
std::optional<std::string> ResultsHost(Context& ctx) {
  auto host = formats::NormaliseValue({"name", formats::ValueKind::kHostName}, HostName(ctx));
  if (!host) {
    ctx.env.err << "automon-agent: " << host.error().message << '\n';
    return std::nullopt;
  }
  return *host;
}

// Next sequence numbers, kept in state_dir/passive/sequence so that they
// grow across runs.
uint64_t TakeSequences(Context& ctx, size_t count) {
  const std::string path = ctx.config.state_dir + "/passive/sequence";
  uint64_t next = 1;
  if (auto text = ctx.env.fs.ReadFile(path, 64)) {
    next = ParseInteger<uint64_t>(TrimSpace(*text)).value_or(0) + 1;
  }
  // Never below the clock in microseconds: a lost state file must not
  // restart the numbers below what a registrar saw.
  next = std::max<uint64_t>(next,
                            static_cast<uint64_t>(std::max<int64_t>(0, ctx.env.now())) * 1000000);
  (void)ctx.env.fs.MakeDirectories(ctx.config.state_dir + "/passive", 0700);
  (void)ctx.env.fs.WriteFileAtomic(path, std::to_string(next + count - 1) + "\n", 0600);
  return next;
}

// Splits results into documents within the batch bounds.
std::vector<formats::ResultBatch> Batches(const std::string& host,
                                          const std::vector<formats::PassiveResult>& results) {
  std::vector<formats::ResultBatch> out;
  size_t bytes = 0;
  for (const formats::PassiveResult& r : results) {
    const size_t size =
        r.service.size() + r.output.size() + r.long_output.size() + r.perfdata.size() + 64;
    if (out.empty() || out.back().results.size() >= formats::kMaxResultsPerBatch ||
        bytes + 2 * size > formats::kMaxResultsDocumentBytes / 2) {
      out.push_back({host, {}});
      bytes = 0;
    }
    out.back().results.push_back(r);
    bytes += 2 * size;  // escaping may double a field
  }
  return out;
}

bool Delivered(formats::ResultStatus status) {
  return status == formats::ResultStatus::kAccepted || status == formats::ResultStatus::kQueued;
}

}  // namespace

int FlushResults(Context& ctx) {
  const int64_t now = ctx.env.now();
  const auto host = ResultsHost(ctx);
  if (!host) return kExitErrors;
  // The inbox: batches the daemon handed over.
  std::vector<formats::PassiveResult> fresh;
  std::vector<std::string> taken;
  const std::string inbox = InboxDirectory(ctx.config.state_dir);
  if (auto entries = ctx.env.fs.ListDirectory(inbox)) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind != DirectoryEntry::Kind::kRegular || e.name.starts_with(".")) continue;
      const std::string path = inbox + "/" + e.name;
      taken.push_back(path);
      auto text = ctx.env.fs.ReadFile(path, formats::kMaxResultsDocumentBytes);
      auto batch = text ? formats::ParseResults(*text) : Result<formats::ResultBatch>(text.error());
      if (!batch) {
        ctx.env.err << fmt::format("automon-agent: {}: {}; dropped\n", path, batch.error().message);
        continue;
      }
      for (auto& r : batch->results) fresh.push_back(std::move(r));
    }
  }
  if (!fresh.empty()) {
    uint64_t sequence = TakeSequences(ctx, fresh.size());
    for (auto& r : fresh) r.sequence = sequence++;
  }
  std::map<std::string, int64_t> freshness;
  if (auto text = ctx.env.fs.ReadFile(FreshnessPath(ctx.config.state_dir), 1 << 20)) {
    freshness = ParseFreshness(*text);
  }
  const SpoolLimits limits{ctx.config.spool_max_bytes, ctx.config.spool_max_age};
  Pins pins;
  const auto targets = Targets(ctx, pins, /*browse=*/false);
  std::unique_ptr<Remote> remote;
  std::mt19937 random(std::random_device{}());
  bool left = false;
  int exit = kExitOk;
  for (const Target& t : targets) {
    Spool spool;
    if (auto text = ReadState(ctx, "passive/spool", t); text && *text) {
      if (auto parsed = Spool::Parse(**text)) {
        spool = std::move(*parsed);
      } else {
        ctx.env.err << fmt::format("automon-agent: {}: spool unreadable ({}); started anew\n",
                                   t.label, parsed.error().message);
      }
    }
    SpoolCounts counts;
    if (auto text = ReadState(ctx, "passive/counts", t); text && *text)
      counts = ParseCounts(**text);
    spool.Add(fresh);
    spool.Expire(now, freshness, 2 * 300 + 60, limits);
    if (spool.size() > 0 && counts.next_attempt <= now) {
      if (!remote) remote = Connect(ctx);
      bool failed = remote == nullptr;
      for (const formats::ResultBatch& batch :
           failed ? std::vector<formats::ResultBatch>() : Batches(*host, spool.Results())) {
        auto result = Call(ctx, *remote, pins, t, "results", formats::SerializeResults(batch));
        // Status 1 with replies: some items were refused, each reply says why.
        auto replies =
            result && (result->exit_status == 0 || result->exit_status == 1)
                ? formats::ParseReplies(result->out)
                : Result<std::vector<formats::ResultReply>>(Error{
                      result ? fmt::format("the registrar answered with status {}: {}",
                                           result->exit_status, OneLine(result->err.substr(0, 300)))
                             : result.error().message});
        if (!replies) {
          ctx.env.err << fmt::format("automon-agent: {}: results not delivered: {}\n", t.label,
                                     replies.error().message);
          failed = true;
          break;
        }
        std::vector<uint64_t> answered;
        for (const formats::ResultReply& reply : *replies) {
          answered.push_back(reply.sequence);
          if (Delivered(reply.status)) {
            ++counts.sent;
            continue;
          }
          ++counts.refused;
          std::string service = "?";
          for (const auto& r : batch.results) {
            if (r.sequence == reply.sequence) service = r.service;
          }
          ctx.env.err << fmt::format("automon-agent: {}: result for '{}' refused: {}{}{}\n",
                                     t.label, OneLine(service), ResultStatusName(reply.status),
                                     reply.detail.empty() ? "" : ": ", OneLine(reply.detail));
        }
        spool.Remove(answered);
      }
      if (failed) {
        ++counts.failures;
        counts.next_attempt =
            now + RetryDelay(counts.failures, std::chrono::milliseconds(5000),
                             std::chrono::milliseconds(15 * 60 * 1000),
                             std::uniform_real_distribution<double>(0.0, 1.0)(random))
                          .count() /
                      1000;
        exit = kExitErrors;
      } else {
        counts.failures = 0;
        counts.next_attempt = 0;
      }
    }
    counts.dropped += spool.dropped();
    if (spool.size() > 0) left = true;
    (void)WriteState(ctx, "passive/spool", t, spool.size() > 0 ? spool.Serialize(*host) : "");
    (void)WriteState(ctx, "passive/counts", t, SerializeCounts(counts, spool.size()));
  }
  for (const std::string& path : taken) (void)ctx.env.fs.RemoveFile(path);
  return left || exit != kExitOk ? kExitErrors : kExitOk;
}

int Send(Context& ctx) {
  char delimiter = '\t';
  if (auto d = Option(ctx, "delimiter")) {
    auto parsed = ParseDelimiter(*d);
    if (!parsed) {
      ctx.env.err << "automon-agent: " << parsed.error().message << '\n';
      return kExitUsage;
    }
    delimiter = *parsed;
  }
  const auto host = ResultsHost(ctx);
  if (!host) return kExitErrors;
  std::istream& in = ctx.env.in != nullptr ? *ctx.env.in : std::cin;
  Pins pins;
  const auto targets = Targets(ctx, pins);
  if (targets.empty()) {
    ctx.env.err << "automon-agent: send: no registrar configured; nothing sent\n";
    return kExitErrors;
  }
  std::unique_ptr<Remote> remote = Connect(ctx);
  if (!remote) return kExitErrors;
  int exit = kExitOk;
  size_t line_number = 0;
  size_t sent = 0;
  std::vector<formats::PassiveResult> pending;
  std::map<uint64_t, size_t> line_of;  // sequence -> input line
  auto flush = [&] {
    if (pending.empty()) return;
    for (const Target& t : targets) {
      auto result =
          Call(ctx, *remote, pins, t, "results", formats::SerializeResults({*host, pending}));
      auto replies =
          result && (result->exit_status == 0 || result->exit_status == 1)
              ? formats::ParseReplies(result->out)
              : Result<std::vector<formats::ResultReply>>(Error{
                    result ? fmt::format("the registrar answered with status {}: {}",
                                         result->exit_status, OneLine(result->err.substr(0, 300)))
                           : result.error().message});
      if (!replies) {
        ctx.env.err << fmt::format("automon-agent: {}: {} results not sent: {}\n", t.label,
                                   pending.size(), replies.error().message);
        exit = kExitErrors;
        continue;
      }
      std::map<uint64_t, const formats::ResultReply*> by_sequence;
      for (const auto& reply : *replies) by_sequence[reply.sequence] = &reply;
      for (const formats::PassiveResult& r : pending) {
        auto it = by_sequence.find(r.sequence);
        if (it == by_sequence.end()) {
          ctx.env.err << fmt::format("automon-agent: line {}: {}: no answer for '{}'\n",
                                     line_of[r.sequence], t.label, OneLine(r.service));
          exit = kExitErrors;
        } else if (!Delivered(it->second->status)) {
          ctx.env.err << fmt::format(
              "automon-agent: line {}: {}: '{}' refused: {}{}{}\n", line_of[r.sequence], t.label,
              OneLine(r.service), ResultStatusName(it->second->status),
              it->second->detail.empty() ? "" : ": ", OneLine(it->second->detail));
          exit = kExitErrors;
        } else {
          ++sent;
        }
      }
    }
    pending.clear();
    line_of.clear();
  };
  size_t pending_bytes = 0;
  uint64_t next_sequence = 0;
  size_t sequences_left = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    auto parsed = ParseSendLine(line, delimiter);
    if (!parsed) {
      ctx.env.err << fmt::format("automon-agent: line {}: {}\n", line_number,
                                 parsed.error().message);
      exit = kExitErrors;
      continue;
    }
    if (parsed->host != *host) {
      ctx.env.err << fmt::format(
          "automon-agent: line {}: result for host '{}': this agent sends results for its own "
          "host only ('{}')\n",
          line_number, OneLine(Abbreviate(parsed->host, 100)), *host);
      exit = kExitErrors;
      continue;
    }
    formats::PassiveResult r;
    r.service = parsed->service;
    r.state = parsed->code;
    formats::SplitPluginOutput(parsed->output, r);
    r.time = ctx.env.now();
    const size_t size = r.output.size() + r.long_output.size() + r.perfdata.size() + 64;
    if (pending.size() >= formats::kMaxResultsPerBatch ||
        pending_bytes + 2 * size > formats::kMaxResultsDocumentBytes / 2) {
      flush();
      pending_bytes = 0;
    }
    if (sequences_left == 0) {
      next_sequence = TakeSequences(ctx, 1000);
      sequences_left = 1000;
    }
    r.sequence = next_sequence++;
    --sequences_left;
    line_of[r.sequence] = line_number;
    pending.push_back(std::move(r));
    pending_bytes += 2 * size;
  }
  flush();
  if (line_number == 0) ctx.env.err << "automon-agent: send: no input\n";
  return exit;
}

}  // namespace automon::agent::internal
