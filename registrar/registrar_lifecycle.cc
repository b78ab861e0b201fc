// SPDX-License-Identifier: GPL-2.0-or-later
// The Registrar's lifecycle, audit trail and self-check (registrar.h):
// kept apart from registrar.cc, which receives, renders and removes.
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "backends/plan.h"
#include "common/text.h"
#include "registrar/registrar.h"

namespace automon::registrar {

int64_t Registrar::NowUnix() const {
  return env_.now_unix ? env_.now_unix() : static_cast<int64_t>(std::time(nullptr));
}

void Registrar::Audit(AuditEvent event, const std::string& host, std::optional<uint64_t> generation,
                      std::string_view reason) {
  const std::string key = host.empty() ? "" : EnrolledKey(env_.disk, config_.state_dir, host);
  const std::string line = AuditLine({event, host, key, generation, reason});
  if (env_.log) {
    env_.log(line);
  } else {
    env_.err << "automon-registrar: " << line << "\n";
  }
}

void Registrar::Seen(const std::string& host, const formats::Snapshot& snapshot) {
  auto record = store_.LoadLifecycle(host);
  if (!record) {
    // A damaged record is replaced: this push is what it would say.
    env_.err << "automon-registrar: warning: " << record.error().message << "\n";
    record = LifecycleRecord{};
  }
  const int64_t now = NowUnix();
  LifecycleRecord& r = *record;
  if (r.state != LifecycleState::kActive) {
    Audit(AuditEvent::kState, host, snapshot.generation,
          fmt::format("{} -> active: pushed again", LifecycleStateName(r.state)));
    r.state = LifecycleState::kActive;
    r.since = now;
    lifecycle_changed_ = true;
  } else if (r.since == 0) {
    r.since = now;
  }
  r.last_seen = now;
  r.heartbeat = SendsHeartbeat(snapshot);
  if (auto s = store_.SaveLifecycle(host, r); !s) {
    env_.err << "automon-registrar: warning: " << s.error().message << "\n";
  }
}

void Registrar::RecordActivation(bool ok, std::string_view error) {
  if (auto s = store_.SaveLastActivation({NowUnix(), ok, std::string(error)}); !s) {
    env_.err << "automon-registrar: warning: " << s.error().message << "\n";
  }
}

const std::string& Registrar::SelfCheckHost() const {
  std::call_once(self_check_once_, [this] {
    self_check_host_ = config_.self_check_host.empty()     ? MachineFqdn()
                       : config_.self_check_host == "none" ? std::string()
                                                           : config_.self_check_host;
  });
  return self_check_host_;
}

Result<RenderedHost> Registrar::RenderSelfCheckHost(const Backend& backend) const {
  return backend.RenderHost(backends::SelfCheckHostPlan(SelfCheckHost()), env_.now());
}

Result<RegistrarStatus> Registrar::WriteStatus(bool guard_holds,
                                               const std::map<std::string, HostFacts>& known) {
  RegistrarStatus status;
  status.updated = NowUnix();
  status.guard_holds = guard_holds;
  auto hosts = store_.Hosts();
  if (!hosts) return hosts.error();
  status.hosts = hosts->size();
  for (const std::string& host : *hosts) {
    if (auto fact = known.find(host); fact != known.end()) {
      status.services += fact->second.services;
      if (!fact->second.active) ++status.silent;
      continue;
    }
    if (auto services = store_.StoredServiceCount(host)) status.services += *services;
    if (auto r = store_.LoadLifecycle(host); r.ok() && r->state != LifecycleState::kActive) {
      ++status.silent;
    }
  }
  auto count = [&](const std::string& dir, std::string* first) {
    uint64_t n = 0;
    if (auto entries = env_.fs.ListDirectory(dir)) {
      for (const DirectoryEntry& e : *entries) {
        if (e.kind != DirectoryEntry::Kind::kRegular || e.name.starts_with(".")) continue;
        if (first != nullptr && (first->empty() || e.name < *first)) *first = e.name;
        ++n;
      }
    }
    return n;
  };
  status.pending = count(config_.state_dir + "/enrollment/pending", nullptr);
  status.quarantined = count(config_.state_dir + "/quarantine", &status.first_quarantined);
  if (auto last = store_.LoadLastActivation(); last.ok() && *last) {
    status.last_activation = (*last)->at;
    status.last_activation_ok = (*last)->ok;
    status.last_activation_error = (*last)->error;
  }
  GroupFiles file;
  file.group = backend_->SecretsGroup();
  file.files.emplace_back(StatusPath(), SerializeStatus(status));
  if (auto w = env_.disk.WriteGroupFiles(file); !w) return w.error();
  return status;
}

std::string Registrar::StatusPath() const { return config_.state_dir + "/status"; }

void Registrar::RefreshStatusAfterReceive(bool trouble) {
  if (!trouble && !lifecycle_changed_) {
    auto text = env_.fs.ReadFile(StatusPath(), 1 << 16);
    auto status = text ? ParseStatus(*text, StatusPath()) : Result<RegistrarStatus>(text.error());
    if (status && status->quarantined == 0 && status->last_activation_ok) return;
  }
  if (auto s = WriteStatus(StatusGuard()); !s) {
    env_.err << "automon-registrar: warning: " << s.error().message << "\n";
  }
}

bool Registrar::StatusGuard() {
  auto text = env_.fs.ReadFile(StatusPath(), 1 << 16);
  if (!text) return false;
  auto status = ParseStatus(*text, StatusPath());
  return status.ok() && status->guard_holds;
}

int Registrar::Check() {
  const int64_t now = NowUnix();
  auto text = env_.fs.ReadFile(StatusPath(), 1 << 16);
  PluginResult result;
  if (!text) {
    result.text = fmt::format("AUTOMON REGISTRAR UNKNOWN - {}", OneLine(text.error().message));
  } else if (auto status = ParseStatus(*text, StatusPath()); !status) {
    result.text = fmt::format("AUTOMON REGISTRAR UNKNOWN - {}", OneLine(status.error().message));
  } else {
    result = EvaluateStatus(*status, now);
  }
  env_.out << result.text << "\n";
  return result.code;
}

Result<std::vector<std::string>> Registrar::ActivateHostState(const formats::Snapshot& snapshot,
                                                              bool disabled) {
  auto rendered = RenderHost(snapshot, disabled);
  if (!rendered) return rendered.error();
  ActivationRequest request;
  if (auto common = AddCommonFiles(request); !common) return common.error();
  request.hosts[snapshot.host] = rendered->content;
  auto commit = [&](const std::vector<std::string>&) {
    return store_.WriteAllSecrets({{snapshot.host, rendered->secrets}});
  };
  auto outcome = activator_->Activate(request, commit);
  RecordActivation(outcome.ok(), outcome ? "" : outcome.error().message);
  if (!outcome) return outcome.error();
  if (auto q = outcome->quarantined.find(snapshot.host); q != outcome->quarantined.end()) {
    return Error{q->second};
  }
  // The other backends in the same activation, not at the next render.
  std::set<std::string> disabled_hosts;
  if (disabled) disabled_hosts.insert(snapshot.host);
  auto more = ActivateMoreBackends({{snapshot.host, snapshot}}, disabled_hosts, commit);
  if (!more) return more.error();
  if (auto m = more->find(snapshot.host); m != more->end()) return m->second;
  return std::vector<std::string>{};
}

Result<void> Registrar::RecordContact(const std::string& host_arg) {
  auto host = CheckHostName(host_arg);
  if (!host) return host.error();
  if (auto init = store_.Initialise(); !init) return init;
  auto lock = env_.disk.Lock(store_.lock_path());
  if (!lock) return lock.error();
  auto snapshot = store_.Load(*host);
  if (!snapshot) return snapshot.error();
  if (!*snapshot) return Error{fmt::format("no host '{}' is registered", *host)};
  auto before = store_.LoadLifecycle(*host);
  Seen(*host, **snapshot);
  if (before.ok() && before->state == LifecycleState::kDisabled) {
    auto a = ActivateHostState(**snapshot, /*disabled=*/false);
    if (!a) {
      Audit(AuditEvent::kState, *host, (*snapshot)->generation,
            fmt::format("not enabled again: {}", a.error().message));
      return a.error();
    }
    for (const std::string& refused : *a) {
      Audit(AuditEvent::kState, *host, (*snapshot)->generation,
            fmt::format("not enabled again in {}", refused));
    }
  }
  return {};
}

Result<LifecyclePlan> Registrar::RunLifecycle(int64_t started_at) {
  if (auto init = store_.Initialise(); !init) return init.error();
  const bool guard_was_holding = StatusGuard();
  LifecyclePlan plan;
  std::vector<Transition> removals;
  {
    auto lock = env_.disk.Lock(store_.lock_path());
    if (!lock) return lock.error();
    auto hosts = store_.Hosts();
    if (!hosts) return hosts.error();
    std::map<std::string, LifecycleRecord> records;
    for (const std::string& host : *hosts) {
      auto record = store_.LoadLifecycle(host);
      if (!record) {
        env_.err << "automon-registrar: warning: " << record.error().message << "\n";
        continue;
      }
      records[host] = *record;
    }
    const int64_t now = NowUnix();
    plan = Evaluate(records, config_.lifecycle, now, started_at);
    if (plan.guard_holds != guard_was_holding) {
      Audit(
          AuditEvent::kState, "", std::nullopt,
          plan.guard_holds
              ? fmt::format("mass-silence guard holds: {} of {} hosts went silent within {}; "
                            "no host changes state",
                            plan.going_silent, records.size(), DurationText(kSilenceWindowSeconds))
              : std::string("mass-silence guard released"));
    }
    for (const Transition& t : plan.transitions) {
      if (!t.to) {
        removals.push_back(t);
        continue;
      }
      LifecycleRecord after = records[t.host];
      after.state = *t.to;
      after.since = now;
      auto snapshot = store_.Load(t.host);
      const std::optional<uint64_t> generation =
          snapshot.ok() && *snapshot ? std::optional<uint64_t>((*snapshot)->generation)
                                     : std::nullopt;
      std::string partly;  // the backends after the first that kept the old file
      if (*t.to == LifecycleState::kDisabled) {
        // The host's file again, with its checks and notifications off, in
        // every backend.
        if (!snapshot || !*snapshot) continue;
        auto a = ActivateHostState(**snapshot, /*disabled=*/true);
        if (!a) {
          Audit(AuditEvent::kState, t.host, generation,
                fmt::format("not disabled: {}", a.error().message));
          continue;
        }
        for (const std::string& refused : *a)
          partly += fmt::format("; not disabled in {}", refused);
      }
      if (auto s = store_.SaveLifecycle(t.host, after); !s) return s.error();
      Audit(AuditEvent::kState, t.host, generation,
            fmt::format("{} -> {}: {}{}", LifecycleStateName(t.from), LifecycleStateName(*t.to),
                        t.reason, partly));
    }
  }
  for (const Transition& t : removals) {
    (void)RemoveHost(t.host, /*tombstone=*/true,
                     fmt::format("{} -> removed: {}", LifecycleStateName(t.from), t.reason));
  }
  if (auto s = WriteStatus(plan.guard_holds); !s) return s.error();
  return plan;
}

}  // namespace automon::registrar
