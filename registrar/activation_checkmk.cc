// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation_checkmk.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "backends/checkmk.h"
#include "backends/checkmk_sandbox.h"
#include "common/parallel.h"
#include "common/process_runner.h"
#include "registrar/checkmk_wato.h"

namespace automon::registrar {

using backends::CheckmkFileName;
using backends::CheckmkSandboxSource;
using backends::IsCheckmkHostName;
using backends::WithoutHeader;

CheckmkActivator::CheckmkActivator(const Config& config, FileSystem& fs, Disk& disk,
                                   ProcessRunner& runner, std::string staging_dir,
                                   std::string activate_marker)
    : StagingActivator(config, fs, disk, runner, std::move(staging_dir),
                       std::move(activate_marker)) {}

std::string CheckmkActivator::HostFilePath(const std::string& host) const {
  return config_.checkmk_conf_dir + "/" + CheckmkFileName(host);
}

Result<std::vector<std::string>> CheckmkActivator::LiveHosts() {
  std::vector<std::string> hosts;
  auto entries = fs_.ListDirectory(config_.checkmk_conf_dir);
  if (!entries) return hosts;  // no directory yet: no live hosts
  for (const DirectoryEntry& e : *entries) {
    if (e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
        e.name.ends_with(".mk") && e.name.size() > 3) {
      hosts.push_back(e.name.substr(0, e.name.size() - 3));
    }
  }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

namespace {

// Reads one sandbox process's verdicts ("OK\tHOST", "FAIL\tHOST\tREASON")
// about the hosts of `share` into `refused`; an error unless the process
// ended well and judged every one of them.
Result<void> TakeVerdicts(const ProcessResult& result, const std::set<std::string>& share,
                          std::map<std::string, std::string>& refused) {
  std::set<std::string> answered;
  for (std::string_view rest = result.output; !rest.empty();) {
    const size_t end = std::min(rest.find('\n'), rest.size());
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    const std::string_view verdict = line.substr(0, tab);
    const std::string_view after = line.substr(tab + 1);
    const size_t tab2 = after.find('\t');
    const std::string host(after.substr(0, tab2));
    if (!share.count(host) || (verdict != "OK" && verdict != "FAIL")) continue;
    answered.insert(host);
    if (verdict == "FAIL") {
      refused[host] =
          tab2 == std::string_view::npos ? "refused" : std::string(after.substr(tab2 + 1));
    }
  }
  if (result.exit_code != 0 || result.timed_out || answered != share) {
    return Error{
        fmt::format("the sandbox check did not judge every file: {}", VerifierReason(result))};
  }
  return {};
}

}  // namespace

Result<std::map<std::string, std::string>> CheckmkActivator::Sandbox(const Changes& changes) {
  std::map<std::string, std::string> refused;
  std::vector<std::pair<std::string, std::string>> files;  // (host, staged path)
  bool made = false;
  for (const auto& [host, content] : changes) {
    if (!content) continue;
    if (!IsCheckmkHostName(host)) {  // never a path of our choosing otherwise
      refused[host] = "the host name is not usable in Checkmk";
      continue;
    }
    if (!made) {
      if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r.error();
      made = true;
    }
    files.emplace_back(host, staging_dir_ + "/" + CheckmkFileName(host));
  }
  if (files.empty()) return refused;
  {
    std::vector<std::pair<std::string, std::string_view>> writes;
    for (const auto& [host, path] : files) writes.emplace_back(path, *changes.at(host));
    if (auto w = disk_.WriteScratchFiles(writes); !w) return w.error();
  }
  // Python parses and checks each file (about 0.4 ms of CPU each):
  // a large batch is split into one sandbox process per core, each judging
  // a contiguous share.
  constexpr size_t kFilesPerProcess = 64;  // fewer: one process is sooner done
  const size_t processes =
      files.size() < 2 * kFilesPerProcess
          ? 1
          : std::min<size_t>(files.size() / kFilesPerProcess, size_t{Workers()});
  std::vector<std::vector<std::string>> commands;
  std::vector<std::set<std::string>> shares;  // the hosts each command judges
  for (size_t p = 0; p < processes; ++p) {
    std::vector<std::string> argv = {config_.checkmk_python, "-I", "-S", "-c",
                                     std::string(CheckmkSandboxSource())};
    std::set<std::string>& share = shares.emplace_back();
    for (size_t i = files.size() * p / processes; i < files.size() * (p + 1) / processes; ++i) {
      argv.push_back(files[i].first);
      argv.push_back(files[i].second);
      share.insert(files[i].first);
    }
    commands.push_back(std::move(argv));
  }
  auto results = runner_.RunAll(commands, std::chrono::seconds(config_.command_timeout_seconds));
  for (size_t p = 0; p < processes; ++p) {
    if (!results[p]) {
      return Error{fmt::format("cannot run the sandbox check ({}): {}", config_.checkmk_python,
                               results[p].error().message)};
    }
    if (auto judged = TakeVerdicts(*results[p], shares[p], refused); !judged) return judged.error();
  }
  return refused;
}

Result<void> CheckmkActivator::SiteCheck(const Changes& changes, std::string* reason) {
  const std::string dir = staging_dir_ + "/site";
  if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r;
  if (auto r = disk_.MakeDirectory(dir, 0755); !r) return r;
  if (auto old = fs_.ListDirectory(dir); old.ok()) {
    for (const DirectoryEntry& e : *old) {
      if (auto r = disk_.RemoveFile(dir + "/" + e.name); !r) return r;
    }
  }
  auto live = LiveHosts();
  if (!live) return live.error();
  for (const std::string& host : *live) {
    if (changes.count(host)) continue;
    auto content = fs_.ReadFile(HostFilePath(host), kMaxConfigFile);
    if (!content) return content.error();
    if (auto w = disk_.WriteScratchFile(dir + "/" + CheckmkFileName(host), *content); !w) return w;
  }
  for (const auto& [host, content] : changes) {
    if (!content) continue;
    if (auto w = disk_.WriteScratchFile(dir + "/" + CheckmkFileName(host), *content); !w) return w;
  }
  std::string command = WithSite(config_.checkmk_verify_command, config_.checkmk_site);
  for (size_t at; (at = command.find("{dir}")) != std::string::npos;) command.replace(at, 5, dir);
  auto argv = SplitCommandLine(command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{fmt::format("cannot run the verify command: {}", result.error().message)};
  }
  reason->clear();
  if (result->exit_code != 0 || result->timed_out) *reason = VerifierReason(*result);
  return {};
}

Result<void> CheckmkActivator::RunActivate(std::string* reason) {
  return RunReloadCommand(WithSite(config_.checkmk_activate_command, config_.checkmk_site),
                          "activate", reason);
}

Result<void> CheckmkActivator::PutLive(
    const std::map<std::string, std::optional<std::string>>& files) {
  std::vector<std::pair<std::string, std::string>> writes;
  std::vector<std::string> removals;
  for (const auto& [host, content] : files) {
    if (content) {
      writes.emplace_back(HostFilePath(host), *content);
    } else {
      removals.push_back(HostFilePath(host));
    }
  }
  if (auto w = disk_.ReplaceFiles(writes, 0644); !w) return w.error();
  for (const std::string& path : removals) {
    if (auto r = disk_.RemoveFile(path); !r) return r.error();
  }
  return {};
}

Result<ActivationOutcome> CheckmkActivator::Activate(
    const ActivationRequest& request,
    const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) {
  ActivationOutcome outcome;
  // Never a host that the site's Setup manages (checkmk_wato.h).
  auto setup = SetupManagedHosts(fs_, CheckmkSetupDir(config_), request.hosts);
  if (!setup) return setup.error();
  outcome.quarantined = *setup;
  Changes changes;
  // The live content each change replaces, to go back to when Checkmk
  // refuses the new files at activation.
  std::map<std::string, std::optional<std::string>> previous;
  for (const auto& [host, content] : request.hosts) {
    if (outcome.quarantined.count(host)) continue;
    auto live = fs_.ReadFile(HostFilePath(host), kMaxConfigFile);
    const bool differs =
        content ? !live.ok() || WithoutHeader(*live) != WithoutHeader(*content) : live.ok();
    if (differs) {
      changes[host] = content;
      previous[host] = live.ok() ? std::optional<std::string>(std::move(*live)) : std::nullopt;
    } else {
      outcome.unchanged.push_back(host);
    }
  }
  if (request.remove_unlisted_hosts) {
    auto live = LiveHosts();
    if (!live) return live.error();
    for (const std::string& host : *live) {
      if (!request.hosts.count(host) && !request.keep_hosts.count(host)) {
        changes[host] = std::nullopt;
        auto content = fs_.ReadFile(HostFilePath(host), kMaxConfigFile);
        previous[host] =
            content.ok() ? std::optional<std::string>(std::move(*content)) : std::nullopt;
      }
    }
  }
  const bool pending = fs_.ReadFile(reload_marker_, 4096).ok();
  if (changes.empty() && !pending) return outcome;

  // 1. Each file alone, in the sandbox.
  auto refused = Sandbox(changes);
  if (!refused) return refused.error();
  std::vector<std::string> good;
  for (const auto& [host, content] : changes) {
    auto r = refused->find(host);
    if (r != refused->end()) {
      outcome.quarantined[host] =
          fmt::format("the sandbox check refuses the generated file: {}", r->second);
    } else {
      good.push_back(host);
    }
  }
  auto with = [&](const std::vector<std::string>& names) {
    Changes subset;
    for (const std::string& h : names) subset[h] = changes[h];
    return subset;
  };
  // 2. The site's own check of everything together, when configured.
  if (!config_.checkmk_verify_command.empty() && (!good.empty() || pending)) {
    const SubsetCheck check = [&](const std::vector<std::string>& names,
                                  std::string* why) -> Result<bool> {
      if (auto r = SiteCheck(with(names), why); !r) return r.error();
      return why->empty();
    };
    auto live = IsolateBreakingHosts(good, "Checkmk", check, outcome.quarantined);
    if (!live) return live.error();
    good = *live;
  }
  if (good.empty() && !pending) return outcome;
  if (auto hook = before_swap(good); !hook) return hook.error();

  // 3. Swap; the marker first, so that a crash from here on leads to an
  // activation (after verification) next time.
  if (auto m = fs_.WriteFileAtomic(reload_marker_, "activation pending\n", 0600); !m) {
    return m.error();
  }
  if (auto r = disk_.MakeDirectory(config_.checkmk_conf_dir, 0755); !r) return r.error();
  // The files the sandbox checked are renamed into place (one flush for
  // all of them); removals follow.
  std::vector<StagedFile> staged;
  std::vector<std::string> removals;
  for (const std::string& host : good) {
    const std::optional<std::string>& content = changes[host];
    if (content) {
      staged.push_back({staging_dir_ + "/" + CheckmkFileName(host), HostFilePath(host), &*content});
    } else {
      removals.push_back(HostFilePath(host));
    }
  }
  if (auto w = disk_.PublishStagedFiles(staged, 0644); !w) return w.error();
  for (const std::string& path : removals) {
    if (auto r = disk_.RemoveFile(path); !r) return r.error();
  }
  const std::set<std::string> published(good.begin(), good.end());
  for (const auto& [host, content] : changes) {
    if (published.count(host) || !IsCheckmkHostName(host)) continue;  // renamed away
    (void)disk_.RemoveFile(staging_dir_ + "/" + CheckmkFileName(host));
  }
  // 4. Activate what is live now. The sandbox (and the site check, when
  // configured) cannot see everything Checkmk checks (tag groups, rule
  // sets of the site), so a failure here is handled like a failed check:
  // back to the previous files, activate those, then find the host(s) whose
  // file breaks the activation, one by one, and quarantine them.
  std::string why;
  if (auto r = RunActivate(&why); !r) return r.error();
  if (!why.empty()) {
    if (good.empty()) return Error{why};
    const std::string first_reason = why;
    auto restore = [&](const std::vector<std::string>& hosts) -> Result<void> {
      std::map<std::string, std::optional<std::string>> old;
      for (const std::string& h : hosts) old[h] = previous[h];
      if (auto w = PutLive(old); !w) return w;
      if (auto r = RunActivate(&why); !r) return r;
      if (!why.empty()) {
        return Error{
            fmt::format("{} with the new files; after the previous files were put back "
                        "it still fails, so the site's own configuration is broken: {}",
                        first_reason, why)};
      }
      return {};
    };
    if (auto r = restore(good); !r) return r.error();
    std::vector<std::string> passing;
    if (good.size() == 1) {
      outcome.quarantined[good.front()] = first_reason;
    } else {
      for (const std::string& host : good) {
        if (auto w = PutLive(with({host})); !w) return w.error();
        if (auto r = RunActivate(&why); !r) return r.error();
        if (why.empty()) {
          passing.push_back(host);
          continue;
        }
        outcome.quarantined[host] = why;
        if (auto r = restore({host}); !r) return r.error();
      }
    }
    good = passing;
  }
  outcome.reloaded = true;
  outcome.activated = good;
  return outcome;
}

namespace {

class CheckmkBackend final : public Backend {
 public:
  CheckmkBackend(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner)
      : config_(config),
        activator_(config, fs, disk, runner, config.state_dir + "/staging-checkmk",
                   config.state_dir + "/activate-pending") {}

  std::string_view DisplayName() const override { return "Checkmk"; }
  std::string_view ActivatedText() const override { return "Checkmk activated"; }
  // Checkmk's checks run as the site user, whose group is the site's.
  std::string SecretsGroup() const override { return config_.checkmk_site; }

  Result<backends::RenderedHost> RenderHost(const backends::HostPlan& plan,
                                            const std::string& generated_at) const override {
    backends::CheckmkRenderOptions options;
    options.generated_at = generated_at;
    options.site = config_.checkmk_site;
    options.site_plugins_dir = config_.checkmk_plugins_dir;
    options.probes_dir = config_.probes_dir;
    return backends::CheckmkRenderer(options).RenderHost(plan);
  }

  // Checkmk has no backend-wide files of automon's.
  Result<void> AddSharedFiles(ActivationRequest&, const std::string&) const override { return {}; }

  Activator& activator() override { return activator_; }

 private:
  const Config& config_;
  CheckmkActivator activator_;
};

}  // namespace

std::unique_ptr<Backend> MakeCheckmkBackend(const Config& config, FileSystem& fs, Disk& disk,
                                            ProcessRunner& runner) {
  return std::make_unique<CheckmkBackend>(config, fs, disk, runner);
}

void CompleteCheckmkConfig(Config& config, const SourceLocation& backend_loc,
                           const std::string& backend_line, std::vector<Diagnostic>& diagnostics) {
  if (config.checkmk_site.empty()) {
    diagnostics.push_back({Severity::kError, backend_loc,
                           "backend = checkmk needs the site: set 'site' in [checkmk]",
                           backend_line});
    return;
  }
  const std::string root = "/omd/sites/" + config.checkmk_site;
  if (config.checkmk_conf_dir.empty())
    config.checkmk_conf_dir = root + "/etc/check_mk/conf.d/automon";
  if (config.checkmk_plugins_dir.empty()) config.checkmk_plugins_dir = root + "/lib/nagios/plugins";
}

Result<void> CheckCheckmkCommandPrivileges(const Config& config, std::string_view path,
                                           unsigned euid) {
  if (euid == 0) return {};
  static constexpr std::string_view kSwitchers[] = {"runuser", "su", "sudo", "doas", "setpriv"};
  const std::pair<std::string_view, const std::string*> keys[] = {
      {"activate_command", &config.checkmk_activate_command},
      {"verify_command", &config.checkmk_verify_command}};
  for (const auto& [key, value] : keys) {
    auto argv = SplitCommandLine(*value);
    if (!argv || argv->empty()) continue;  // the parser reported it already
    const std::string& program = argv->front();
    const std::string_view base = std::string_view(program).substr(program.rfind('/') + 1);
    if (std::find(std::begin(kSwitchers), std::end(kSwitchers), base) == std::end(kSwitchers)) {
      continue;
    }
    return Error{fmt::format(
        "{}: [checkmk] {} = '{}' runs {} to become the site user, which needs root, but "
        "automon-registrar runs as uid {}: run the registrar as root, or set {} to a command "
        "that works without privileges (see automon-registrar(8), CHECKMK)",
        path, key, *value, base, euid, key)};
  }
  return {};
}

}  // namespace automon::registrar
