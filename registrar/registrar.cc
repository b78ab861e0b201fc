// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/registrar.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "backends/plan.h"
#include "common/parallel.h"
#include "common/text.h"
#include "formats/parser.h"
#include "formats/snapshot.h"
#include "registrar/json_output.h"

namespace automon::registrar {

namespace {

// One line, whatever the host put into a value: diagnostics echo values.
std::string OneLine(std::string_view text) { return automon::OneLine(text, ' '); }

// The first few errors of a rejected service: a section of a thousand bad
// keys must not make an answer of a thousand lines' worth.
std::string DiagnosticsText(const std::vector<Diagnostic>& diagnostics) {
  constexpr size_t kShown = 5;
  std::string text;
  size_t errors = 0;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != Severity::kError) continue;
    if (++errors > kShown) continue;
    if (!text.empty()) text += "; ";
    text += fmt::format("{}: {}", d.loc.ToString(), d.message);
  }
  if (errors > kShown) text += fmt::format("; and {} more errors", errors - kShown);
  return OneLine(text.empty() ? "invalid service" : text);
}

const formats::Service* FindService(const formats::Snapshot& s, std::string_view name) {
  for (const formats::Service& service : s.services) {
    if (service.name == name) return &service;
  }
  return nullptr;
}

}  // namespace

Registrar::Registrar(const Config& config, const Environment& env)
    : config_(config),
      env_(env),
      backend_(MakeBackend(config, env.fs, env.disk, env.runner)),
      store_(env.fs, env.disk, config.state_dir, backend_->SecretsGroup()),
      activator_(&backend_->activator()) {
  const std::vector<backends::BackendKind> kinds = ConfiguredBackends(config);
  for (size_t i = 1; i < kinds.size(); ++i) {
    const std::string name(backends::BackendName(kinds[i]));
    more_backends_.push_back(
        {MakeBackend(kinds[i], config, env.fs, env.disk, env.runner), name,
         QuarantineBook(env.fs, env.disk, config.state_dir + "/quarantine-" + name)});
  }
}

Result<RenderedHost> Registrar::RenderHostWith(const Backend& backend,
                                               const formats::Snapshot& snapshot,
                                               bool disabled) const {
  backends::PlanOptions options;
  options.secrets_dir = store_.secrets_dir();
  options.mailflow_dir = config_.state_dir + "/mailflow";
  backends::HostPlan plan = backends::PlanHost(snapshot, options);
  plan.disabled = disabled;
  // The monitoring server registers itself too: its self-check goes with
  // its own services (a second host object of that name would clash).
  if (plan.host == SelfCheckHost() && backend.RunsPlugins()) {
    plan.services.push_back(backends::SelfCheckService());
  }
  return backend.RenderHost(plan, env_.now());
}

bool Registrar::IsDisabled(const std::string& host) {
  auto lifecycle = store_.LoadLifecycle(host);
  return lifecycle.ok() && lifecycle->state == LifecycleState::kDisabled;
}

Result<RenderedHost> Registrar::RenderHost(const formats::Snapshot& snapshot, bool disabled) const {
  auto first = RenderHostWith(*backend_, snapshot, disabled);
  if (!first) return first;
  auto merge = [&](const Backend& backend, const RenderedHost& other) {
    for (size_t i = 0; i < first->services.size() && i < other.services.size(); ++i) {
      RenderedService& s = first->services[i];
      const RenderedService& o = other.services[i];
      if (s.rendered && !o.rendered) {
        s.rendered = false;
        s.reason = more_backends_.empty() ? o.reason
                                          : fmt::format("{}: {}", backend.DisplayName(), o.reason);
      }
      if (!o.note.empty()) {
        if (!s.note.empty()) s.note += "; ";
        s.note += fmt::format("not checked by {}: {}", backend.DisplayName(), o.note);
      }
    }
  };
  for (RenderedService& s : first->services) {
    if (!s.note.empty())
      s.note = fmt::format("not checked by {}: {}", backend_->DisplayName(), s.note);
  }
  for (const MoreBackend& more : more_backends_) {
    auto other = RenderHostWith(*more.backend, snapshot, disabled);
    if (!other) {
      return Error{fmt::format("{}: {}", more.backend->DisplayName(), other.error().message)};
    }
    merge(*more.backend, *other);
  }
  return first;
}

Result<std::map<std::string, std::vector<std::string>>> Registrar::ActivateMoreBackends(
    const std::map<std::string, formats::Snapshot>& snapshots,
    const std::set<std::string>& disabled,
    const std::function<Result<void>(const std::vector<std::string>&)>& commit) {
  std::map<std::string, std::vector<std::string>> refused;
  for (MoreBackend& more : more_backends_) {
    const std::string_view name = more.backend->DisplayName();
    std::map<std::string, std::string> quarantined;  // host -> why, for this backend
    ActivationRequest request;
    auto shared = more.backend->AddSharedFiles(request, env_.now());
    for (const auto& [host, snapshot] : snapshots) {
      if (!shared) {
        quarantined[host] = shared.error().message;
        continue;
      }
      auto rendered = RenderHostWith(*more.backend, snapshot, disabled.count(host) > 0);
      if (!rendered) {
        quarantined[host] = rendered.error().message;
      } else {
        request.hosts[host] = rendered->content;
      }
    }
    if (!request.hosts.empty()) {
      auto outcome = more.backend->activator().Activate(request, commit);
      if (!outcome) {
        for (const auto& [host, content] : request.hosts) {
          quarantined[host] = fmt::format("not activated: {}", outcome.error().message);
        }
      } else {
        if (auto c = commit(outcome->unchanged); !c) return c.error();
        for (const auto& [host, why] : outcome->quarantined) quarantined[host] = why;
      }
    }
    for (const auto& [host, snapshot] : snapshots) {
      auto q = quarantined.find(host);
      if (q == quarantined.end()) {
        if (auto c = more.quarantine.Clear(host); !c) return c.error();
        continue;
      }
      if (auto s = more.quarantine.Set(host, q->second); !s) return s.error();
      refused[host].push_back(fmt::format("{}: {}", name, OneLine(q->second)));
    }
  }
  return refused;
}

std::vector<std::pair<std::string, std::optional<std::string>>> Registrar::MoreBackendStates(
    const std::string& host) {
  std::vector<std::pair<std::string, std::optional<std::string>>> states;
  for (MoreBackend& more : more_backends_) {
    states.emplace_back(more.name, more.quarantine.Reason(host));
  }
  return states;
}

Result<void> Registrar::AddCommonFiles(ActivationRequest& request) const {
  return backend_->AddSharedFiles(request, env_.now());
}

int Registrar::Receive(const std::string& host_arg) {
  std::optional<uint64_t> generation;  // once the snapshot parsed
  auto host = CheckHostName(host_arg);
  auto refuse = [&](std::string_view why) {
    env_.out << "refused: " << OneLine(std::string(why)) << "\n";
    Audit(AuditEvent::kRefused, host ? *host : OneLine(host_arg), generation, why);
    return kRefused;
  };
  if (!host) return refuse(host.error().message);
  // The state directory first, so that even the first registrations of a
  // new registrar can hold the arrivals lock below.
  if (auto init = store_.Initialise(); !init) return refuse(init.error().message);
  // Held (shared) while this registration is read and validated, so that
  // others know it is arriving and wait for it (the quiet period below).
  // Best effort: a registration that cannot take it is only not waited for.
  auto arriving = env_.disk.LockShared(store_.arrivals_lock_path());

  // Read one byte over the limit so an oversized document is refused as such.
  std::string text;
  {
    std::array<char, 65536> buffer;
    while (text.size() <= formats::kMaxSnapshotBytes &&
           env_.in.read(buffer.data(),
                        std::min(buffer.size(), formats::kMaxSnapshotBytes + 1 - text.size()))
                   .gcount() > 0) {
      text.append(buffer.data(), static_cast<size_t>(env_.in.gcount()));
    }
  }
  auto parsed = formats::ParseSnapshot(text, fmt::format("snapshot from {}", *host));
  if (!parsed) return refuse(parsed.error().message);
  formats::Snapshot incoming = std::move(parsed->snapshot);
  generation = incoming.generation;
  if (incoming.host != *host) {
    return refuse(fmt::format("the snapshot is for host '{}', but this connection registers '{}'",
                              incoming.host, *host));
  }

  auto lock = env_.disk.Lock(store_.lock_path());
  if (!lock) return refuse(lock.error().message);

  auto tombstone = store_.LoadTombstone(*host);
  if (!tombstone) return refuse(tombstone.error().message);
  if (*tombstone && (*tombstone)->automatic()) {
    // The lifecycle removed it for its silence; a host that pushes is not
    // decommissioned after all. Said loudly: if it was, something runs
    // with its key.
    Audit(AuditEvent::kReturned, *host, incoming.generation,
          fmt::format("pushed again after its automatic removal at {} (generation {}: {})",
                      (*tombstone)->removed_at, (*tombstone)->generation, (*tombstone)->reason));
    if (auto e = store_.EraseTombstone(*host); !e) return refuse(e.error().message);
    *tombstone = std::nullopt;
  }
  if (*tombstone) {
    return refuse(
        fmt::format("host '{}' was removed by the administrator at {}; run "
                    "'automon-registrar readmit {}' on the registrar to accept it again",
                    *host, (*tombstone)->removed_at, *host));
  }
  Seen(*host, incoming);
  auto stored = store_.Load(*host);
  if (!stored) return refuse(stored.error().message);

  std::vector<std::string> rejected_names;
  std::map<std::string, std::string> rejected;  // name -> reason
  for (const formats::RejectedService& r : parsed->rejected) {
    rejected_names.push_back(r.name);
    rejected[r.name] = DiagnosticsText(r.diagnostics);
  }
  std::set<std::string> kept_old;  // rejected now, previous definition stays
  if (*stored) {
    const formats::Snapshot& old = **stored;
    if (incoming.generation < old.generation) {
      return refuse(fmt::format("generation {} is older than the accepted generation {}",
                                incoming.generation, old.generation));
    }
    if (auto removals = CheckRemovals(old, incoming, rejected_names); !removals) {
      return refuse(removals.error().message);
    }
    // Nothing already accepted is lost to a bad edit: a service that no
    // longer validates keeps its accepted definition.
    for (const std::string& name : rejected_names) {
      const formats::Service* previous = FindService(old, name);
      if (previous == nullptr) continue;
      bool clash = false;
      for (const formats::Service& s : incoming.services) {
        clash = clash || s.description == previous->description || s.name == previous->name;
      }
      if (!clash) {
        incoming.services.push_back(*previous);
        kept_old.insert(name);
      }
    }
  }

  auto rendered = RenderHost(incoming);
  if (!rendered) return refuse(rendered.error().message);
  // Services the renderer refused are rejected too; the stored snapshot must
  // be exactly what was rendered, so `render` gives the same files.
  if (std::any_of(rendered->services.begin(), rendered->services.end(),
                  [](const RenderedService& r) { return !r.rendered; })) {
    std::vector<formats::Service> kept;
    for (size_t i = 0; i < incoming.services.size(); ++i) {
      const RenderedService& r = rendered->services[i];
      if (r.rendered) {
        kept.push_back(incoming.services[i]);
      } else {
        rejected[r.name] = r.reason;
        kept_old.erase(r.name);
      }
    }
    incoming.services = std::move(kept);
    rendered = RenderHost(incoming);
    if (!rendered) return refuse(rendered.error().message);
  }

  // What is stored is the normalised form (defaults filled in, accepted
  // definitions kept), which can outgrow a document under the limit; the
  // store reads nothing larger back, so refuse it here, saying why.
  if (const size_t stored_size = formats::SerializeSnapshot(incoming).size();
      stored_size > formats::kMaxSnapshotBytes) {
    return refuse(fmt::format(
        "the snapshot's stored form (defaults filled in{}) is {} bytes, over the limit of {}; "
        "register fewer services or shorter values",
        kept_old.empty() ? "" : ", accepted definitions kept", stored_size,
        formats::kMaxSnapshotBytes));
  }
  // A snapshot pushed at the same time with a higher generation wins.
  auto pending = store_.LoadPending(*host);
  if (pending.ok() && *pending && (*pending)->generation > incoming.generation) {
    return refuse(fmt::format("generation {} is older than generation {} waiting for activation",
                              incoming.generation, (*pending)->generation));
  }
  // An older outcome must not be taken for this snapshot's.
  if (auto e = store_.EraseResult(*host); !e) return refuse(e.error().message);
  if (auto p = store_.SavePending(incoming); !p) return refuse(p.error().message);
  lock->Reset();
  if (arriving) arriving->Reset();

  // Coalesce: while other registrations are arriving (for at most the
  // quiet period), wait for them; whatever arrived is activated with this
  // snapshot, by whichever receive takes the lock first. A registration
  // that arrives alone is activated at once.
  // (An error telling whether anyone arrives ends the wait, as a free
  // lock does: the activation's own errors are what counts.)
  (void)env_.disk.WaitUntilLockFree(
      store_.arrivals_lock_path(),
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.quiet_period_ms));
  lock = env_.disk.Lock(store_.lock_path());
  if (!lock) return refuse(lock.error().message);
  auto result = store_.LoadResult(*host);
  if (!result.ok() || !*result) {
    if (auto activated = ActivatePending(); !activated) {
      return refuse(fmt::format("not activated: {}", activated.error().message));
    }
    result = store_.LoadResult(*host);
  }
  if (!result.ok() || !*result) return refuse("not activated: no result was recorded");
  const ActivationResult& outcome = **result;
  // Generation 0 "failed": the pending snapshot could not be read back.
  if (outcome.generation == 0 && outcome.state == "failed" && incoming.generation != 0) {
    return refuse(fmt::format("not activated: {}", outcome.reason));
  }
  if (outcome.generation != incoming.generation) {
    return refuse(fmt::format("superseded by generation {}, registered at the same time",
                              outcome.generation));
  }
  if (outcome.state == "quarantined") {
    return refuse(
        fmt::format("quarantined: {} this host's configuration, so its "
                    "last accepted configuration stays active: {}",
                    more_backends_.empty() ? fmt::format("{} refuses", backend_->DisplayName())
                                           : std::string("every backend refuses"),
                    outcome.reason));
  }
  if (outcome.state != "active") return refuse(fmt::format("not activated: {}", outcome.reason));
  // Active for some backends only: the others keep the last accepted
  // configuration (backend = A, B).
  const bool partly = !outcome.reason.empty();
  if (partly) {
    env_.out << "quarantined for some backends (their last accepted configuration stays "
                "active): "
             << OneLine(outcome.reason) << "\n";
  }

  std::map<std::string, std::string> notes;  // accepted, not checked by the engine
  for (const RenderedService& r : rendered->services) {
    if (!r.note.empty()) notes[r.name] = r.note;
  }
  for (const formats::Service& s : incoming.services) {
    if (kept_old.count(s.name)) continue;
    env_.out << s.name << ": active";
    if (auto n = notes.find(s.name); n != notes.end())
      env_.out << " (" << OneLine(n->second) << ")";
    env_.out << "\n";
  }
  for (const auto& [name, reason] : rejected) {
    env_.out << OneLine(Abbreviate(name)) << ": rejected: " << reason;
    if (kept_old.count(name)) env_.out << " (the accepted definition stays active)";
    env_.out << "\n";
  }
  for (const formats::Removal& r : incoming.removed) {
    env_.out << r.service << ": removed (" << formats::RemovalReasonName(r.reason) << ")\n";
  }
  return rejected.empty() && !partly ? kOk : kPartial;
}

Result<void> Registrar::ActivatePending() {
  auto pending_hosts = store_.PendingHosts();
  if (!pending_hosts) return pending_hosts.error();
  ActivationRequest request;
  auto common = AddCommonFiles(request);
  std::map<std::string, formats::Snapshot> snapshots;
  std::map<std::string, RenderedHost> rendered;
  std::set<std::string> disabled;  // by the lifecycle: every backend renders them so
  auto finish = [&](const std::string& host, ActivationResult result) -> Result<void> {
    if (auto w = store_.SaveResult(host, result); !w) return w;
    return store_.ErasePending(host);
  };
  for (const std::string& host : *pending_hosts) {
    auto snapshot = store_.LoadPending(host);
    if (!snapshot || !*snapshot) {
      if (auto f = finish(host, {0, "failed", snapshot ? "vanished" : snapshot.error().message});
          !f) {
        return f;
      }
      continue;
    }
    const uint64_t generation = (*snapshot)->generation;
    auto fail = [&](const std::string& why) { return finish(host, {generation, "failed", why}); };
    // `remove` may have run while this snapshot waited.
    auto tombstone = store_.LoadTombstone(host);
    if (!tombstone || *tombstone) {
      if (auto f = fail(tombstone ? fmt::format("host '{}' was removed by the administrator at {}",
                                                host, (*tombstone)->removed_at)
                                  : tombstone.error().message);
          !f) {
        return f;
      }
      continue;
    }
    // Checked again: another registration of this host may have been
    // accepted since this one was validated.
    auto stored = store_.Load(host);
    if (!stored) {
      if (auto f = fail(stored.error().message); !f) return f;
      continue;
    }
    if (*stored) {
      if ((*stored)->generation > generation) {
        if (auto f = fail(fmt::format("generation {} is older than the accepted generation {}",
                                      generation, (*stored)->generation));
            !f) {
          return f;
        }
        continue;
      }
      if (auto removals = CheckRemovals(**stored, **snapshot, {}); !removals) {
        if (auto f = fail(removals.error().message); !f) return f;
        continue;
      }
    }
    if (IsDisabled(host)) disabled.insert(host);
    auto host_file = RenderHost(**snapshot, disabled.count(host) > 0);
    if (!host_file) {
      if (auto f = fail(host_file.error().message); !f) return f;
      continue;
    }
    request.hosts[host] = host_file->content;
    rendered[host] = std::move(*host_file);
    snapshots[host] = std::move(**snapshot);
  }
  if (snapshots.empty()) return {};
  auto fail_all = [&](const std::string& why) -> Result<void> {
    for (const auto& [host, snapshot] : snapshots) {
      if (auto f = finish(host, {snapshot.generation, "failed", why}); !f) return f;
    }
    return {};
  };
  if (!common) {
    RecordActivation(false, common.error().message);
    return fail_all(common.error().message);
  }

  std::map<std::string, HostCheckpoint> before;  // hosts committed ahead of the swap
  std::set<std::string> committed;               // by any backend's activation
  // The hosts of one activation are committed together: their secrets,
  // then their snapshots, each kind flushed once for the whole batch
  // (WriteAllSecrets, SaveAll) instead of a few fsyncs per host under the
  // lock. After a crash each file is old or new, as with one host.
  auto commit = [&](const std::vector<std::string>& all) -> Result<void> {
    std::vector<std::string> hosts;
    for (const std::string& host : all) {
      if (committed.insert(host).second) hosts.push_back(host);
    }
    std::map<std::string, std::vector<SecretFile>> secrets;
    std::vector<const formats::Snapshot*> saved;
    for (const std::string& host : hosts) {
      auto checkpoint = store_.Checkpoint(host);
      if (!checkpoint) return checkpoint.error();
      before.emplace(host, std::move(*checkpoint));
      secrets[host] = rendered[host].secrets;
      saved.push_back(&snapshots[host]);
    }
    if (auto w = store_.WriteAllSecrets(secrets); !w) return w;
    if (auto s = store_.SaveAll(saved); !s) return s;
    for (const std::string& host : hosts) {
      if (auto q = store_.ClearQuarantine(host); !q) return q;
    }
    return {};
  };
  auto outcome = activator_->Activate(request, commit);
  if (!outcome) {
    // A host is active only once its file is live: a failed swap (full
    // disk, I/O error, a symlink in the way) leaves the store as it was.
    for (const auto& [host, checkpoint] : before) {
      auto live = env_.fs.ReadFile(activator_->HostFilePath(host), formats::kMaxSnapshotBytes * 4);
      const auto& wanted = request.hosts[host];
      if (live && wanted && backends::WithoutHeader(*live) == backends::WithoutHeader(*wanted)) {
        continue;
      }
      if (auto r = store_.Restore(checkpoint); !r) {
        env_.err << "automon-registrar: warning: " << r.error().message << "\n";
      }
    }
    RecordActivation(false, outcome.error().message);
    for (const auto& [host, snapshot] : snapshots) {
      Audit(AuditEvent::kRefused, host, snapshot.generation,
            "activation failed: " + outcome.error().message);
    }
    RefreshStatusAfterReceive(/*trouble=*/true);
    return fail_all(outcome.error().message);
  }
  RecordActivation(true, "");
  if (auto c = commit(outcome->unchanged); !c) return c;
  // The other backends (backend = A, B): a host one of them refuses stays
  // live in the others.
  auto more = ActivateMoreBackends(snapshots, disabled, commit);
  if (!more) return more.error();
  // The outcomes, flushed once for the batch, then the pending snapshots go.
  std::map<std::string, ActivationResult> results;
  for (const auto& [host, snapshot] : snapshots) {
    auto q = outcome->quarantined.find(host);
    std::vector<std::string> refusals;
    if (q != outcome->quarantined.end()) {
      if (auto s = store_.SetQuarantine(host, q->second); !s) return s;
      refusals.push_back(more_backends_.empty()
                             ? q->second
                             : fmt::format("{}: {}", backend_->DisplayName(), OneLine(q->second)));
    }
    if (auto m = more->find(host); m != more->end()) {
      refusals.insert(refusals.end(), m->second.begin(), m->second.end());
    }
    std::string reasons;
    for (const std::string& r : refusals) reasons += (reasons.empty() ? "" : "; ") + r;
    if (refusals.size() == 1 + more_backends_.size()) {
      results[host] = {snapshot.generation, "quarantined", reasons};
      Audit(AuditEvent::kQuarantined, host, snapshot.generation, reasons);
      continue;
    }
    // A quarantined backend's live file still names the old secrets.
    if (refusals.empty()) {
      if (auto p = store_.PruneSecrets(host, rendered[host].secrets); !p) {
        env_.err << "automon-registrar: warning: " << p.error().message << "\n";
      }
    }
    results[host] = {snapshot.generation, "active", reasons};
    Audit(AuditEvent::kRegistered, host, snapshot.generation,
          reasons.empty()
              ? fmt::format("{} services active", snapshot.services.size())
              : fmt::format("{} services active; {}", snapshot.services.size(), reasons));
  }
  if (auto w = store_.SaveResults(results); !w) return w;
  for (const auto& [host, result] : results) {
    if (auto e = store_.ErasePending(host); !e) return e;
  }
  RefreshStatusAfterReceive(!outcome->quarantined.empty());
  return {};
}

int Registrar::Hosts(OutputFormat format) {
  if (auto init = store_.Initialise(); !init) {
    env_.err << "automon-registrar: " << init.error().message << "\n";
    return kRefused;
  }
  auto hosts = store_.Hosts();
  if (!hosts) {
    env_.err << "automon-registrar: " << hosts.error().message << "\n";
    return kRefused;
  }
  const bool json = format == OutputFormat::kJson;
  nlohmann::json list = nlohmann::json::array();
  int status = kOk;
  for (const std::string& host : *hosts) {
    auto snapshot = store_.Load(host);
    auto quarantine = store_.QuarantineReason(host);
    if (!snapshot || !*snapshot) {
      const std::string why = snapshot ? "missing" : snapshot.error().message;
      if (json) {
        list.push_back(HostJson(host, "unreadable"));
        list.back()["reason"] = why;
      } else {
        env_.out << fmt::format("{:<40} unreadable: {}\n", host, why);
      }
      status = kRefused;
      continue;
    }
    const bool quarantined = quarantine.ok() && quarantine->has_value();
    // backend = A, B: each backend's state, said when they differ.
    const auto more = MoreBackendStates(host);
    const bool differs = std::any_of(more.begin(), more.end(), [&](const auto& m) {
      return m.second.has_value() != quarantined;
    });
    std::string per_backend;
    if (differs) {
      per_backend = fmt::format(" ({} {}", backends::BackendName(config_.backend),
                                quarantined ? "quarantined" : "active");
      for (const auto& [name, reason] : more) {
        per_backend += fmt::format(", {} {}", name, reason ? "quarantined" : "active");
      }
      per_backend += ")";
    }
    if (json) {
      list.push_back(HostJson(host, quarantined ? "quarantined" : "active"));
      if (quarantined) list.back()["reason"] = OneLine(**quarantine);
      if (!more.empty()) {
        nlohmann::json per = nlohmann::json::object();
        per[std::string(backends::BackendName(config_.backend))] =
            quarantined ? "quarantined" : "active";
        for (const auto& [name, reason] : more) per[name] = reason ? "quarantined" : "active";
        list.back()["backends"] = std::move(per);
      }
      AddSnapshotJson(list.back(), **snapshot);
      if (auto r = store_.LoadLifecycle(host)) AddLifecycleJson(list.back(), *r);
      continue;
    }
    // Silent and disabled hosts say so; a quarantine says more.
    auto lifecycle = store_.LoadLifecycle(host);
    env_.out << fmt::format("{:<40} generation {:<8} services {:<4} {}{}\n", host,
                            (*snapshot)->generation, (*snapshot)->services.size(),
                            quarantined      ? std::string_view("quarantined")
                            : lifecycle.ok() ? LifecycleStateName(lifecycle->state)
                                             : std::string_view("active"),
                            per_backend);
  }
  // Hosts whose first registration Nagios refused have nothing accepted.
  if (auto quarantined = env_.fs.ListDirectory(config_.state_dir + "/quarantine")) {
    for (const DirectoryEntry& e : *quarantined) {
      if (e.name.starts_with(".") ||
          std::find(hosts->begin(), hosts->end(), e.name) != hosts->end()) {
        continue;
      }
      if (json) {
        list.push_back(HostJson(e.name, "quarantined"));
        auto reason = store_.QuarantineReason(e.name);
        if (reason.ok() && reason->has_value()) list.back()["reason"] = OneLine(**reason);
        continue;
      }
      env_.out << fmt::format("{:<40} quarantined, nothing accepted yet\n", e.name);
    }
  }
  auto tombstones = env_.fs.ListDirectory(config_.state_dir + "/tombstones");
  if (tombstones) {
    for (const DirectoryEntry& e : *tombstones) {
      if (e.name.starts_with(".")) continue;
      auto t = store_.LoadTombstone(e.name);
      const bool known = t.ok() && t->has_value();
      if (json) {
        list.push_back(HostJson(e.name, "removed"));
        if (known) {
          list.back()["removed_at"] = (*t)->removed_at;
          list.back()["generation"] = (*t)->generation;
        }
        continue;
      }
      env_.out << fmt::format("{:<40} removed at {}\n", e.name, known ? (*t)->removed_at : "?");
    }
  }
  if (json) env_.out << JsonText({{"version", kJsonVersion}, {"hosts", std::move(list)}});
  return status;
}

int Registrar::Show(const std::string& host_arg, OutputFormat format) {
  auto fail = [&](std::string_view why) {
    env_.err << "automon-registrar: " << why << "\n";
    return kRefused;
  };
  auto host = CheckHostName(host_arg);
  if (!host) return fail(host.error().message);
  auto snapshot = store_.Load(*host);
  if (!snapshot) return fail(snapshot.error().message);
  auto tombstone = store_.LoadTombstone(*host);
  const bool removed = tombstone.ok() && tombstone->has_value();
  auto quarantine = store_.QuarantineReason(*host);
  const bool quarantined = quarantine.ok() && quarantine->has_value();
  if (format == OutputFormat::kJson) {
    // As the text: a host with nothing accepted and no tombstone is not
    // registered, even if its first registration is quarantined.
    if (!*snapshot && !removed) return fail(fmt::format("no host '{}' is registered", *host));
    nlohmann::json json = HostJson(*host, removed       ? "removed"
                                          : quarantined ? "quarantined"
                                                        : "active");
    if (*snapshot) AddSnapshotJson(json, **snapshot);
    if (auto r = store_.LoadLifecycle(*host); r.ok() && *snapshot) AddLifecycleJson(json, *r);
    if (removed) {
      json["removed_at"] = (*tombstone)->removed_at;
      if (!*snapshot) json["generation"] = (*tombstone)->generation;
    } else if (quarantined) {
      json["reason"] = OneLine(**quarantine);
    }
    if (!more_backends_.empty() && !removed) {
      nlohmann::json per = nlohmann::json::object();
      per[std::string(backends::BackendName(config_.backend))] =
          quarantined ? "quarantined" : "active";
      for (const auto& [name, reason] : MoreBackendStates(*host)) {
        per[name] = reason ? "quarantined" : "active";
      }
      json["backends"] = std::move(per);
    }
    env_.out << JsonText({{"version", kJsonVersion}, {"host", std::move(json)}});
    return kOk;
  }
  if (removed) {
    env_.out << fmt::format("host {}: removed at {}\n", *host, (*tombstone)->removed_at);
  }
  if (!*snapshot) {
    if (removed) return kOk;
    return fail(fmt::format("no host '{}' is registered", *host));
  }
  const formats::Snapshot& s = **snapshot;
  env_.out << fmt::format("host {}\naddress {}\ngeneration {}\n", s.host,
                          s.address.value_or("(by name)"), s.generation);
  const auto more = MoreBackendStates(s.host);
  const std::string first =
      more.empty() ? std::string() : fmt::format(" for {}", backend_->DisplayName());
  if (quarantined) {
    env_.out << "state" << first << " quarantined: " << OneLine(**quarantine) << "\n";
  } else {
    env_.out << "state" << first << " active\n";
  }
  for (size_t i = 0; i < more.size(); ++i) {
    const std::string_view name = more_backends_[i].backend->DisplayName();
    if (more[i].second) {
      env_.out << "state for " << name << " quarantined: " << OneLine(*more[i].second) << "\n";
    } else {
      env_.out << "state for " << name << " active\n";
    }
  }
  env_.out << fmt::format("config {}\n", activator_->HostFilePath(s.host));
  for (MoreBackend& m : more_backends_) {
    env_.out << fmt::format("config {}\n", m.backend->activator().HostFilePath(s.host));
  }
  for (const formats::Service& service : s.services) {
    env_.out << "\n"
             << formats::FormatService(service, /*reveal_secrets=*/false,
                                       /*with_source=*/true);
  }
  return kOk;
}

int Registrar::RemoveHost(const std::string& host_arg, bool tombstone, const std::string& reason) {
  auto fail = [&](std::string_view why) {
    env_.err << "automon-registrar: " << why << "\n";
    return kRefused;
  };
  auto host = CheckHostName(host_arg);
  if (!host) return fail(host.error().message);
  if (auto init = store_.Initialise(); !init) return fail(init.error().message);
  auto lock = env_.disk.Lock(store_.lock_path());
  if (!lock) return fail(lock.error().message);
  auto stored = store_.Load(*host);
  if (!stored) return fail(stored.error().message);

  ActivationRequest request;
  request.hosts[*host] = std::nullopt;
  // A registration of this host waiting for activation must not bring it
  // back.
  if (auto p = store_.ErasePending(*host); !p) return fail(p.error().message);
  auto record = [&]() -> Result<void> {
    if (!tombstone) return {};
    return store_.SaveTombstone(*host, {env_.now(), *stored ? (*stored)->generation : 0, reason});
  };
  auto outcome = activator_->Activate(request, [&](const std::vector<std::string>&) {
    if (auto w = record(); !w) return w;
    if (auto e = store_.Erase(*host); !e) return e;
    return store_.ClearQuarantine(*host);
  });
  RecordActivation(outcome.ok(), outcome ? "" : outcome.error().message);
  if (!outcome) return fail(fmt::format("not removed: {}", outcome.error().message));
  if (auto q = outcome->quarantined.find(*host); q != outcome->quarantined.end()) {
    return fail(
        fmt::format("not removed: the configuration does not verify without this host "
                    "(does another object refer to it?): {}",
                    q->second));
  }
  if (std::find(outcome->unchanged.begin(), outcome->unchanged.end(), *host) !=
      outcome->unchanged.end()) {
    // No live file: still record the removal.
    if (auto w = record(); !w) return fail(w.error().message);
    if (auto e = store_.Erase(*host); !e) return fail(e.error().message);
  }
  // The other backends: the host's file goes there too.
  for (MoreBackend& more : more_backends_) {
    ActivationRequest more_request;
    more_request.hosts[*host] = std::nullopt;
    auto removed = more.backend->activator().Activate(
        more_request, [](const std::vector<std::string>&) { return Result<void>(); });
    if (!removed) {
      return fail(fmt::format("not removed from {}: {}", more.backend->DisplayName(),
                              removed.error().message));
    }
    if (auto c = more.quarantine.Clear(*host); !c) return fail(c.error().message);
  }
  if (auto p = store_.PruneSecrets(*host, {}); !p) return fail(p.error().message);
  if (auto e = store_.EraseLifecycle(*host); !e) return fail(e.error().message);
  Audit(tombstone ? AuditEvent::kRemoved : AuditEvent::kDeregistered, *host,
        *stored ? std::optional<uint64_t>((*stored)->generation) : std::nullopt,
        !reason.empty() ? reason
        : tombstone     ? "by the administrator; registrations refused until readmit"
                        : "by the host itself");
  if (auto s = WriteStatus(StatusGuard()); !s) {
    env_.err << "automon-registrar: warning: " << s.error().message << "\n";
  }
  if (!reason.empty()) {
    env_.out << fmt::format("removed {}: {}\n", *host, reason);
  } else if (tombstone) {
    env_.out << fmt::format(
        "removed {}; its registrations are refused until 'automon-registrar readmit {}'\n", *host,
        *host);
  } else {
    env_.out << fmt::format("deregistered {}\n", *host);
  }
  return kOk;
}

int Registrar::Readmit(const std::string& host_arg) {
  auto host = CheckHostName(host_arg);
  if (!host) {
    env_.err << "automon-registrar: " << host.error().message << "\n";
    return kRefused;
  }
  if (auto init = store_.Initialise(); !init) {
    env_.err << "automon-registrar: " << init.error().message << "\n";
    return kRefused;
  }
  auto lock = env_.disk.Lock(store_.lock_path());
  if (!lock) {
    env_.err << "automon-registrar: " << lock.error().message << "\n";
    return kRefused;
  }
  if (auto e = store_.EraseTombstone(*host); !e) {
    env_.err << "automon-registrar: " << e.error().message << "\n";
    return kRefused;
  }
  Audit(AuditEvent::kReadmitted, *host, std::nullopt, "by the administrator");
  env_.out << fmt::format("{} may register again\n", *host);
  return kOk;
}

int Registrar::Render() {
  auto fail = [&](std::string_view why) {
    env_.err << "automon-registrar: " << why << "\n";
    return kRefused;
  };
  if (auto init = store_.Initialise(); !init) return fail(init.error().message);
  auto lock = env_.disk.Lock(store_.lock_path());
  if (!lock) return fail(lock.error().message);
  ActivationRequest request;
  if (auto common = AddCommonFiles(request); !common) return fail(common.error().message);
  auto hosts = store_.Hosts();
  if (!hosts) return fail(hosts.error().message);
  request.remove_unlisted_hosts = true;
  std::map<std::string, std::vector<SecretFile>> secrets;
  std::map<std::string, formats::Snapshot> loaded;  // for the other backends
  std::set<std::string> unreadable;
  std::set<std::string> disabled;          // by the lifecycle
  std::map<std::string, HostFacts> facts;  // for WriteStatus
  int status = kOk;
  // Each host is read and rendered on its own, so the hosts are spread over
  // the machine's cores (the store's files, the backend's renderer and the
  // clock are only read); what each found is then taken in order, so the
  // messages and the request are the same as one thread's.
  struct Read {
    std::optional<Result<std::optional<formats::Snapshot>>> snapshot;
    std::optional<Result<LifecycleRecord>> lifecycle;
    bool disabled = false;  // by the lifecycle
    std::optional<Result<RenderedHost>> rendered;
  };
  std::vector<Read> read(hosts->size());
  constexpr size_t kParallelHosts = 256;  // fewer are done before a thread starts
  ParallelFor(
      hosts->size(), kEveryCore,
      [&](size_t i) {
        Read& r = read[i];
        r.snapshot = store_.Load((*hosts)[i]);
        if (!*r.snapshot || !**r.snapshot) return;
        r.lifecycle = store_.LoadLifecycle((*hosts)[i]);
        r.disabled = r.lifecycle->ok() && (*r.lifecycle)->state == LifecycleState::kDisabled;
        r.rendered = RenderHostWith(*backend_, ***r.snapshot, r.disabled);
      },
      kParallelHosts);
  for (size_t i = 0; i < hosts->size(); ++i) {
    const std::string& host = (*hosts)[i];
    Read& r = read[i];
    auto& snapshot = *r.snapshot;
    if (!snapshot || !*snapshot) {
      env_.err << "automon-registrar: " << host << ": "
               << (snapshot ? "vanished" : snapshot.error().message) << "\n";
      status = kPartial;
      // A snapshot that cannot be read now may be readable later: its
      // live file stays (only a vanished host's goes).
      if (!snapshot) {
        request.keep_hosts.insert(host);
        unreadable.insert(host);
      }
      continue;
    }
    // Read once, for the rendering and the status file.
    const Result<LifecycleRecord>& lifecycle = *r.lifecycle;
    if (r.disabled) disabled.insert(host);
    facts[host] = {(*snapshot)->services.size(),
                   !lifecycle.ok() || lifecycle->state == LifecycleState::kActive};
    loaded.emplace(host, std::move(**snapshot));
    auto& rendered = *r.rendered;
    if (!rendered) {
      env_.err << "automon-registrar: " << host << ": " << rendered.error().message << "\n";
      status = kPartial;
      request.keep_hosts.insert(host);  // its last good file stays live
      continue;
    }
    request.hosts[host] = std::move(rendered->content);
    secrets[host] = std::move(rendered->secrets);
  }
  read.clear();
  // The self-check's own host, unless the server registers itself, in
  // every backend that runs plugins; `where` names the backend in a message.
  const std::string& self = SelfCheckHost();
  auto add_self_check = [&](const Backend& backend, ActivationRequest& into,
                            const std::string& where) {
    if (self.empty() || loaded.count(self) || unreadable.count(self) || !backend.RunsPlugins()) {
      return false;
    }
    auto rendered = RenderSelfCheckHost(backend);
    if (!rendered) {
      env_.err << "automon-registrar: " << self << ": " << where << rendered.error().message
               << "\n";
      status = kPartial;
      return false;
    }
    into.hosts[self] = rendered->content;
    return true;
  };
  add_self_check(*backend_, request, "");
  auto quarantined = store_.QuarantinedHosts();
  if (!quarantined) return fail(quarantined.error().message);
  auto outcome = activator_->Activate(request, [&](const std::vector<std::string>& good) {
    std::map<std::string, std::vector<SecretFile>> batch;
    for (const std::string& host : good) {
      if (!secrets.count(host)) continue;
      batch[host] = secrets[host];
      if (!quarantined->count(host)) continue;
      if (auto c = store_.ClearQuarantine(host); !c) return c;
    }
    return store_.WriteAllSecrets(batch);
  });
  RecordActivation(outcome.ok(), outcome ? "" : outcome.error().message);
  if (!outcome) {
    (void)WriteStatus(StatusGuard(), facts);
    return fail(outcome.error().message);
  }
  // Hosts whose old live file may still name secrets from before the
  // buckets, in some backend (the others' are added below).
  std::set<std::string> old_live = request.keep_hosts;
  bool every_backend_activated = true;
  for (const auto& [host, reason] : outcome->quarantined) {
    old_live.insert(host);
    if (auto s = store_.SetQuarantine(host, reason); !s) return fail(s.error().message);
    Audit(AuditEvent::kQuarantined, host, std::nullopt, reason);
    env_.out << host << ": quarantined: " << OneLine(reason) << "\n";
    status = kPartial;
  }
  std::map<std::string, std::vector<SecretFile>> unchanged;
  for (const std::string& host : outcome->unchanged) {
    if (secrets.count(host)) unchanged[host] = secrets[host];
  }
  if (auto w = store_.WriteAllSecrets(unchanged); !w) return fail(w.error().message);
  if (auto s = WriteStatus(StatusGuard(), facts); !s) {
    env_.err << "automon-registrar: warning: " << s.error().message << "\n";
  }
  const std::string prefix =
      more_backends_.empty() ? std::string() : fmt::format("{}: ", backend_->DisplayName());
  env_.out << fmt::format(
      "{}{} hosts active ({} changed, {} unchanged){}\n", prefix,
      outcome->activated.size() + outcome->unchanged.size(), outcome->activated.size(),
      outcome->unchanged.size(),
      outcome->reloaded ? ", " + std::string(backend_->ActivatedText()) : std::string());
  // The other backends, each on its own: a host one refuses stays live in
  // the others.
  for (MoreBackend& more : more_backends_) {
    ActivationRequest more_request;
    more_request.remove_unlisted_hosts = true;
    more_request.keep_hosts = unreadable;
    if (auto common = more.backend->AddSharedFiles(more_request, env_.now()); !common) {
      env_.err << "automon-registrar: " << more.backend->DisplayName() << ": "
               << common.error().message << "\n";
      status = kPartial;
      every_backend_activated = false;
      continue;
    }
    std::map<std::string, std::vector<SecretFile>> more_secrets;
    std::vector<std::string> listed;  // hosts whose quarantine this render decides
    for (const auto& [host, snapshot] : loaded) {
      listed.push_back(host);
      auto rendered = RenderHostWith(*more.backend, snapshot, disabled.count(host) > 0);
      if (!rendered) {
        env_.err << "automon-registrar: " << host << ": " << more.backend->DisplayName() << ": "
                 << rendered.error().message << "\n";
        status = kPartial;
        more_request.keep_hosts.insert(host);
        continue;
      }
      more_request.hosts[host] = rendered->content;
      more_secrets[host] = rendered->secrets;
      for (const SecretFile& f : rendered->secrets) {
        if (std::find(secrets[host].begin(), secrets[host].end(), f) == secrets[host].end()) {
          secrets[host].push_back(f);
        }
      }
    }
    if (add_self_check(*more.backend, more_request,
                       fmt::format("{}: ", more.backend->DisplayName()))) {
      listed.push_back(self);
    }
    auto more_outcome =
        more.backend->activator().Activate(more_request, [&](const std::vector<std::string>& good) {
          std::map<std::string, std::vector<SecretFile>> batch;
          for (const std::string& host : good) {
            if (more_secrets.count(host)) batch[host] = more_secrets[host];
          }
          return store_.WriteAllSecrets(batch);
        });
    if (!more_outcome) {
      env_.err << "automon-registrar: " << more.backend->DisplayName() << ": "
               << more_outcome.error().message << "\n";
      status = kPartial;
      every_backend_activated = false;
      continue;
    }
    old_live.insert(more_request.keep_hosts.begin(), more_request.keep_hosts.end());
    for (const std::string& host : listed) {
      auto q = more_outcome->quarantined.find(host);
      if (q == more_outcome->quarantined.end()) {
        if (auto c = more.quarantine.Clear(host); !c) return fail(c.error().message);
        continue;
      }
      old_live.insert(host);
      if (auto s = more.quarantine.Set(host, q->second); !s) return fail(s.error().message);
      env_.out << host << ": quarantined for " << more.backend->DisplayName() << ": "
               << OneLine(q->second) << "\n";
      status = kPartial;
    }
    env_.out << fmt::format(
        "{}: {} hosts active ({} changed, {} unchanged){}\n", more.backend->DisplayName(),
        more_outcome->activated.size() + more_outcome->unchanged.size(),
        more_outcome->activated.size(), more_outcome->unchanged.size(),
        more_outcome->reloaded ? ", " + std::string(more.backend->ActivatedText()) : std::string());
  }
  if (every_backend_activated) {
    if (auto legacy = RemoveLegacySecrets(loaded, unreadable, old_live, secrets); !legacy) {
      env_.err << "automon-registrar: warning: " << legacy.error().message << "\n";
      status = kPartial;
    }
  }
  return status;
}

Result<void> Registrar::RemoveLegacySecrets(
    const std::map<std::string, formats::Snapshot>& loaded, const std::set<std::string>& unreadable,
    const std::set<std::string>& old_live,
    const std::map<std::string, std::vector<SecretFile>>& secrets) {
  // A store from before the buckets (HostStore): a host's old directory of
  // secrets goes once no backend's live file can name it, and at once for a
  // host no longer registered.
  std::set<std::string> registered(unreadable);
  for (const auto& [host, snapshot] : loaded) registered.insert(host);
  auto hosts = store_.LegacySecretHosts(registered);
  if (!hosts) return hosts.error();
  for (const std::string& host : *hosts) {
    if (old_live.count(host) || unreadable.count(host)) continue;
    auto keep = secrets.find(host);
    if (auto p = store_.PruneSecrets(
            host, keep == secrets.end() ? std::vector<SecretFile>() : keep->second);
        !p) {
      return p;
    }
  }
  return {};
}

}  // namespace automon::registrar
