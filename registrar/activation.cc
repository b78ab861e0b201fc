#include "registrar/activation.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "registrar/checkmk_wato.h"
#include "registrar/render/checkmk.h"
#include "registrar/render/checkmk_sandbox.h"
#include "registrar/render/nagios.h"

namespace automon::registrar {
namespace {

constexpr size_t kMaxConfigFile = 64 << 20;

// A check of the configuration with exactly the changes of `hosts` (and
// the backend-wide ones): true when accepted, else false with `why` set to
// what the checker said. An Error when the check itself cannot run.
using SubsetCheck =
    std::function<Result<bool>(const std::vector<std::string>& hosts, std::string* why)>;

// Which of `hosts` may go live: all of them when `check` accepts them
// together. Otherwise the configuration without any host's change is
// checked (failing too is an Error: `what` names that configuration, and
// nothing can be activated); then each host alone, and the hosts that pass
// alone together again (if they clash with each other, none goes live).
// The others are added to `quarantined` with the checker's reason.
Result<std::vector<std::string>> IsolateBreakingHosts(
    std::vector<std::string> hosts, std::string_view what, const SubsetCheck& check,
    std::map<std::string, std::string>& quarantined) {
  std::string why;
  auto all = check(hosts, &why);
  if (!all) return all.error();
  if (*all) return hosts;
  const std::string first_reason = why;
  auto baseline = check({}, &why);
  if (!baseline) return baseline.error();
  if (!*baseline) {
    return Error{
        fmt::format("the {} configuration does not verify even without the hosts' "
                    "changes, so nothing was activated: {}",
                    what, why)};
  }
  if (hosts.size() == 1) {
    quarantined[hosts.front()] = first_reason;
    return std::vector<std::string>{};
  }
  std::vector<std::string> passing;
  for (const std::string& host : hosts) {
    auto alone = check({host}, &why);
    if (!alone) return alone.error();
    if (!*alone) {
      quarantined[host] = why;
    } else {
      passing.push_back(host);
    }
  }
  if (passing.empty()) return passing;
  auto again = check(passing, &why);
  if (!again) return again.error();
  if (!*again) {
    for (const std::string& host : passing) quarantined[host] = why;
    passing.clear();
  }
  return passing;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool IsInside(const std::string& path, const std::string& dir) {
  return path == dir || path.starts_with(dir + "/");
}

// The lines of nagios -v output that say what is wrong.
std::string Reason(const ProcessResult& result) {
  std::string reason;
  int kept = 0;
  size_t start = 0;
  while (start < result.output.size() && kept < 6) {
    size_t end = result.output.find('\n', start);
    if (end == std::string::npos) end = result.output.size();
    std::string_view line(result.output.data() + start, end - start);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.find("Error") != std::string_view::npos ||
        line.find("Warning") != std::string_view::npos ||
        line.find("Unable") != std::string_view::npos) {
      if (!reason.empty()) reason += "; ";
      reason += line;
      ++kept;
    }
    start = end + 1;
  }
  if (result.timed_out) return "the verify command timed out";
  if (reason.empty()) {
    std::string tail = result.output.size() > 400 ? result.output.substr(result.output.size() - 400)
                                                  : result.output;
    for (char& c : tail) {
      if (c == '\n') c = ' ';
    }
    reason = fmt::format("exit status {}: {}", result.exit_code, tail);
  }
  return reason;
}

}  // namespace

NagiosActivator::NagiosActivator(const Config& config, FileSystem& fs, Disk& disk,
                                 ProcessRunner& runner, std::string staging_dir,
                                 std::string reload_marker)
    : config_(config),
      fs_(fs),
      disk_(disk),
      runner_(runner),
      staging_dir_(std::move(staging_dir)),
      reload_marker_(std::move(reload_marker)) {}

Result<std::vector<std::pair<std::string, std::string>>> NagiosActivator::LiveHostFiles() {
  std::vector<std::pair<std::string, std::string>> files;  // (host, path relative to output_dir)
  const std::string hosts_dir(kHostsDirName);
  auto is_cfg = [](const DirectoryEntry& e) {
    return e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
           e.name.ends_with(".cfg");
  };
  auto top = fs_.ListDirectory(config_.output_dir + "/" + hosts_dir);
  if (!top) return files;  // no tree yet: no live hosts
  for (const DirectoryEntry& bucket : *top) {
    if (is_cfg(bucket)) {  // not in a bucket: left over, still read by Nagios
      files.emplace_back(bucket.name.substr(0, bucket.name.size() - 4),
                         hosts_dir + "/" + bucket.name);
      continue;
    }
    if (bucket.kind != DirectoryEntry::Kind::kDirectory || bucket.name.starts_with(".")) continue;
    auto entries = fs_.ListDirectory(config_.output_dir + "/" + hosts_dir + "/" + bucket.name);
    if (!entries) return entries.error();
    for (const DirectoryEntry& e : *entries) {
      if (is_cfg(e)) {
        files.emplace_back(e.name.substr(0, e.name.size() - 4),
                           hosts_dir + "/" + bucket.name + "/" + e.name);
      }
    }
  }
  return files;
}

std::string NagiosActivator::HostFilePath(const std::string& host) const {
  return config_.output_dir + "/" + HostFileName(host);
}

Result<std::vector<std::string>> NagiosActivator::LiveHosts() {
  auto files = LiveHostFiles();
  if (!files) return files.error();
  std::vector<std::string> hosts;
  for (const auto& [host, rel] : *files) hosts.push_back(host);
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

Result<void> NagiosActivator::ExpandCfgDir(const std::string& dir, std::string& out) {
  // Nagios' own rules (xodtemplate_process_config_dir): recurse, read
  // regular files ending in .cfg, skip names starting with '.'.
  auto entries = fs_.ListDirectory(dir);
  if (!entries) return entries.error();
  for (const DirectoryEntry& e : *entries) {
    if (e.name.starts_with(".")) continue;
    const std::string path = dir + "/" + e.name;
    if (path == config_.output_dir) continue;
    if (e.kind == DirectoryEntry::Kind::kDirectory) {
      if (auto r = ExpandCfgDir(path, out); !r) return r;
    } else if (e.kind == DirectoryEntry::Kind::kRegular && e.name.ends_with(".cfg")) {
      out += fmt::format("cfg_file={}\n", path);
    }
  }
  return {};
}

Result<std::string> NagiosActivator::StagedNagiosCfg(const Changes& changes) {
  auto main_cfg = fs_.ReadFile(config_.nagios_cfg, kMaxConfigFile);
  if (!main_cfg) return main_cfg.error();
  const std::string base = DirName(config_.nagios_cfg);
  auto absolute = [&](std::string_view p) {
    return p.starts_with("/") ? std::string(p) : base + "/" + std::string(p);
  };
  std::string out = fmt::format("# Staged by automon-registrar from {}; not the live file.\n",
                                config_.nagios_cfg);
  bool covered = false;
  size_t start = 0;
  while (start < main_cfg->size()) {
    size_t end = main_cfg->find('\n', start);
    if (end == std::string::npos) end = main_cfg->size();
    const std::string_view line(main_cfg->data() + start, end - start);
    start = end + 1;
    // Nagios trims blanks around the name and the value of a main-file line.
    auto trim = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
        v.remove_suffix(1);
      }
      return v;
    };
    const size_t eq = line.find('=');
    const std::string_view key = eq == std::string_view::npos ? "" : trim(line.substr(0, eq));
    const std::string_view value = eq == std::string_view::npos ? "" : trim(line.substr(eq + 1));
    if (key == "cfg_dir") {
      std::string dir = absolute(value);
      while (dir.size() > 1 && dir.ends_with("/")) dir.pop_back();
      if (IsInside(config_.output_dir, dir)) {
        covered = true;
        if (dir != config_.output_dir) {
          if (auto r = ExpandCfgDir(dir, out); !r) return r.error();
        }
      } else {
        out += fmt::format("cfg_dir={}\n", dir);
      }
    } else if (key == "cfg_file") {
      const std::string file = absolute(value);
      if (!IsInside(file, config_.output_dir)) out += fmt::format("cfg_file={}\n", file);
    } else if (key == "resource_file") {
      out += fmt::format("resource_file={}\n", absolute(value));
    } else {
      out.append(line);
      out += '\n';
    }
  }
  if (!covered) {
    return Error{
        fmt::format("output_dir {} is not inside any cfg_dir of {}: Nagios would never "
                    "read the generated files",
                    config_.output_dir, config_.nagios_cfg)};
  }
  // The automon tree: staged files where they change, live ones elsewhere.
  // Host buckets without a change are named as whole directories, so the
  // cost of this part does not grow with the number of hosts.
  auto staged_or_live = [&](const std::string& rel, bool live) {
    auto it = changes.find(rel);
    if (it != changes.end()) {
      if (it->second.content) out += fmt::format("cfg_file={}/{}\n", staging_dir_, rel);
    } else if (live) {
      out += fmt::format("cfg_file={}/{}\n", config_.output_dir, rel);
    }
  };
  std::set<std::string> live_top;
  if (auto entries = fs_.ListDirectory(config_.output_dir); entries.ok()) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
          e.name.ends_with(".cfg")) {
        live_top.insert(e.name);
      }
    }
  }
  std::set<std::string> top = live_top;
  std::set<std::string> changed_buckets;  // "hosts/<bb>"
  for (const auto& [rel, change] : changes) {
    const size_t slash = rel.rfind('/');
    if (slash == std::string::npos) {
      top.insert(rel);
    } else {
      changed_buckets.insert(rel.substr(0, slash));
    }
  }
  for (const std::string& name : top) {
    staged_or_live(name, live_top.count(name) > 0);
  }
  // Files directly in hosts/ (left over from elsewhere) are read by Nagios
  // too: list them one by one, never hosts/ as a whole.
  changed_buckets.insert(std::string(kHostsDirName));
  std::set<std::string> buckets = changed_buckets;
  const std::string hosts_root = config_.output_dir + "/" + std::string(kHostsDirName);
  if (auto entries = fs_.ListDirectory(hosts_root); entries.ok()) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind == DirectoryEntry::Kind::kDirectory && !e.name.starts_with(".")) {
        buckets.insert(std::string(kHostsDirName) + "/" + e.name);
      }
    }
  }
  for (const std::string& bucket : buckets) {
    const std::string live_dir = config_.output_dir + "/" + bucket;
    if (!changed_buckets.count(bucket)) {
      out += fmt::format("cfg_dir={}\n", live_dir);
      continue;
    }
    std::set<std::string> files;
    if (auto entries = fs_.ListDirectory(live_dir); entries.ok()) {
      for (const DirectoryEntry& e : *entries) {
        if (e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
            e.name.ends_with(".cfg")) {
          files.insert(bucket + "/" + e.name);
        }
      }
    }
    for (const std::string& rel : files) staged_or_live(rel, true);
    for (const auto& [rel, change] : changes) {
      const size_t slash = rel.rfind('/');
      if (slash != std::string::npos && rel.compare(0, slash, bucket) == 0 &&
          slash == bucket.size() && !files.count(rel)) {
        staged_or_live(rel, false);
      }
    }
  }
  return out;
}

Result<void> NagiosActivator::Verify(const Changes& changes, std::string* reason) {
  // nagios4 -v drops privileges to nagios_user before reading the staged
  // files, so they are world-readable like the live ones (no secrets here).
  if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r;
  if (auto r = disk_.MakeDirectory(staging_dir_ + "/" + std::string(kHostsDirName), 0755); !r) {
    return r;
  }
  for (const auto& [rel, change] : changes) {
    if (!change.content) continue;
    if (const size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0) {
      if (auto r = disk_.MakeDirectory(staging_dir_ + "/" + rel.substr(0, slash), 0755); !r)
        return r;
    }
    if (auto w = disk_.WriteScratchFile(staging_dir_ + "/" + rel, *change.content); !w) return w;
  }
  auto cfg = StagedNagiosCfg(changes);
  if (!cfg) return cfg.error();
  const std::string cfg_path = staging_dir_ + "/nagios.cfg";
  if (auto w = disk_.WriteScratchFile(cfg_path, *cfg); !w) return w;
  std::string command = config_.verify_command;
  for (size_t at; (at = command.find("{config}")) != std::string::npos;) {
    command.replace(at, 8, cfg_path);
  }
  auto argv = SplitCommandLine(command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result)
    return Error{fmt::format("cannot run the verify command: {}", result.error().message)};
  reason->clear();
  if (result->exit_code != 0 || result->timed_out) *reason = Reason(*result);
  return {};
}

Result<void> NagiosActivator::Reload() {
  auto argv = SplitCommandLine(config_.reload_command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result)
    return Error{fmt::format("cannot run the reload command: {}", result.error().message)};
  if (result->exit_code != 0 || result->timed_out) {
    return Error{fmt::format("the reload command failed (exit status {}{}): {}", result->exit_code,
                             result->timed_out ? ", timed out" : "", result->output)};
  }
  return disk_.RemoveFile(reload_marker_);
}

Result<ActivationOutcome> NagiosActivator::Activate(
    const ActivationRequest& request,
    const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) {
  ActivationOutcome outcome;
  // Keep only what differs from the live files (headers aside).
  Changes global;
  auto differs = [&](const std::string& rel, const std::optional<std::string>& wanted) {
    auto live = fs_.ReadFile(config_.output_dir + "/" + rel, kMaxConfigFile);
    if (!wanted) return live.ok();
    return !live.ok() || WithoutHeader(*live) != WithoutHeader(*wanted);
  };
  if (request.common && differs(std::string(kCommonFileName), request.common)) {
    global[std::string(kCommonFileName)] = {request.common};
  }
  if (request.templates && differs(std::string(kLocalTemplatesFileName), request.templates)) {
    global[std::string(kLocalTemplatesFileName)] = {request.templates};
  }
  // host (or, for a stray file, its path) -> (path relative to output_dir, change)
  std::map<std::string, std::pair<std::string, Change>> hosts;
  for (const auto& [host, content] : request.hosts) {
    if (differs(HostFileName(host), content)) {
      hosts[host] = {HostFileName(host), {content}};
    } else {
      outcome.unchanged.push_back(host);
    }
  }
  if (request.remove_unlisted_hosts) {
    auto live = LiveHostFiles();
    if (!live) return live.error();
    for (const auto& [host, rel] : *live) {
      if (request.keep_hosts.count(host)) continue;
      if (!request.hosts.count(host)) {
        hosts[host] = {rel, {std::nullopt}};
      } else if (rel != HostFileName(host)) {
        hosts[rel] = {rel, {std::nullopt}};  // a copy in the wrong place
      }
    }
  }
  const bool reload_pending = fs_.ReadFile(reload_marker_, 4096).ok();
  if (global.empty() && hosts.empty() && !reload_pending) return outcome;

  auto with = [&](const std::vector<std::string>& names) {
    Changes changes = global;
    for (const std::string& h : names) changes[hosts[h].first] = hosts[h].second;
    return changes;
  };
  std::vector<std::string> good;
  for (const auto& [host, change] : hosts) good.push_back(host);

  // Nagios's verdict on the configuration with exactly these hosts' changes.
  const SubsetCheck check = [&](const std::vector<std::string>& names,
                                std::string* why) -> Result<bool> {
    if (auto r = Verify(with(names), why); !r) return r.error();
    return why->empty();
  };
  auto live = IsolateBreakingHosts(good, "Nagios", check, outcome.quarantined);
  if (!live) return live.error();
  good = *live;
  if (good.empty() && global.empty() && !reload_pending) return outcome;
  if (auto hook = before_swap(good); !hook) return hook.error();

  // Swap. The marker goes first so that a crash from here on leads to a
  // reload (after verification) on the next activation.
  if (auto m = fs_.WriteFileAtomic(reload_marker_, "reload pending\n", 0600); !m) return m.error();
  if (auto r = disk_.MakeDirectory(config_.output_dir, 0755); !r) return r.error();
  if (auto r = disk_.MakeDirectory(config_.output_dir + "/" + std::string(kHostsDirName), 0755);
      !r) {
    return r.error();
  }
  Changes final_changes = with(good);
  // Shared files first: new host files may need new commands. Then the
  // host files as one batch (one flush for all of them), then removals.
  std::vector<std::pair<std::string, std::string>> shared;
  std::vector<std::pair<std::string, std::string>> host_files;
  std::vector<std::string> removals;
  for (const auto& [rel, change] : final_changes) {
    const std::string path = config_.output_dir + "/" + rel;
    if (!rel.starts_with(kHostsDirName)) {
      shared.emplace_back(path, *change.content);
    } else if (change.content) {
      if (auto r = disk_.MakeDirectory(path.substr(0, path.rfind('/')), 0755); !r) {
        return r.error();
      }
      host_files.emplace_back(path, *change.content);
    } else {
      removals.push_back(path);
    }
  }
  if (auto w = disk_.ReplaceFiles(shared, 0644); !w) return w.error();
  if (auto w = disk_.ReplaceFiles(host_files, 0644); !w) return w.error();
  for (const std::string& path : removals) {
    if (auto r = disk_.RemoveFile(path); !r) return r.error();
  }
  for (const auto& [rel, change] : final_changes) {
    (void)disk_.RemoveFile(staging_dir_ + "/" + rel);  // best effort: staging is scratch
  }
  // Every path above verified exactly this final state (with(good), or the
  // baseline when good is empty), so the reload below is of verified files.
  if (auto r = Reload(); !r) return r.error();
  outcome.reloaded = true;
  outcome.activated = good;
  return outcome;
}

// --- Checkmk

CheckmkActivator::CheckmkActivator(const Config& config, FileSystem& fs, Disk& disk,
                                   ProcessRunner& runner, std::string staging_dir,
                                   std::string activate_marker)
    : config_(config),
      fs_(fs),
      disk_(disk),
      runner_(runner),
      staging_dir_(std::move(staging_dir)),
      activate_marker_(std::move(activate_marker)) {}

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

Result<std::map<std::string, std::string>> CheckmkActivator::Sandbox(const Changes& changes) {
  std::map<std::string, std::string> refused;
  std::vector<std::string> argv = {config_.checkmk_python, "-I", "-S", "-c",
                                   std::string(CheckmkSandboxSource())};
  std::set<std::string> checked;
  for (const auto& [host, content] : changes) {
    if (!content) continue;
    if (!IsCheckmkHostName(host)) {  // never a path of our choosing otherwise
      refused[host] = "the host name is not usable in Checkmk";
      continue;
    }
    if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r.error();
    const std::string path = staging_dir_ + "/" + CheckmkFileName(host);
    if (auto w = disk_.WriteScratchFile(path, *content); !w) return w.error();
    argv.push_back(host);
    argv.push_back(path);
    checked.insert(host);
  }
  if (checked.empty()) return refused;
  auto result = runner_.Run(argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{fmt::format("cannot run the sandbox check ({}): {}", config_.checkmk_python,
                             result.error().message)};
  }
  std::set<std::string> answered;
  size_t start = 0;
  while (start < result->output.size()) {
    size_t end = result->output.find('\n', start);
    if (end == std::string::npos) end = result->output.size();
    const std::string line = result->output.substr(start, end - start);
    start = end + 1;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const std::string verdict = line.substr(0, tab);
    std::string rest = line.substr(tab + 1);
    const size_t tab2 = rest.find('\t');
    const std::string host = rest.substr(0, tab2);
    if (!checked.count(host)) continue;
    if (verdict == "OK") {
      answered.insert(host);
    } else if (verdict == "FAIL") {
      answered.insert(host);
      refused[host] = tab2 == std::string::npos ? "refused" : rest.substr(tab2 + 1);
    }
  }
  if (result->exit_code != 0 || result->timed_out || answered != checked) {
    return Error{fmt::format("the sandbox check did not judge every file: {}", Reason(*result))};
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
  if (result->exit_code != 0 || result->timed_out) *reason = Reason(*result);
  return {};
}

Result<void> CheckmkActivator::RunActivate(std::string* reason) {
  auto argv = SplitCommandLine(WithSite(config_.checkmk_activate_command, config_.checkmk_site));
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{fmt::format("cannot run the activate command: {}", result.error().message)};
  }
  reason->clear();
  if (result->exit_code != 0 || result->timed_out) {
    *reason = fmt::format("the activate command failed (exit status {}{}): {}", result->exit_code,
                          result->timed_out ? ", timed out" : "", result->output);
    return {};
  }
  return disk_.RemoveFile(activate_marker_);
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
  for (const auto& [host, content] : request.hosts) {
    if (outcome.quarantined.count(host)) continue;
    auto live = fs_.ReadFile(HostFilePath(host), kMaxConfigFile);
    const bool differs =
        content ? !live.ok() || WithoutHeader(*live) != WithoutHeader(*content) : live.ok();
    if (differs) {
      changes[host] = content;
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
      }
    }
  }
  const bool pending = fs_.ReadFile(activate_marker_, 4096).ok();
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
  if (auto m = fs_.WriteFileAtomic(activate_marker_, "activation pending\n", 0600); !m) {
    return m.error();
  }
  if (auto r = disk_.MakeDirectory(config_.checkmk_conf_dir, 0755); !r) return r.error();
  // The live content each change replaces, to go back to when Checkmk
  // refuses the new files at activation.
  std::map<std::string, std::optional<std::string>> previous;
  for (const std::string& host : good) {
    auto live = fs_.ReadFile(HostFilePath(host), kMaxConfigFile);
    previous[host] = live.ok() ? std::optional<std::string>(*live) : std::nullopt;
  }
  if (auto w = PutLive(with(good)); !w) return w.error();
  for (const auto& [host, content] : changes) {
    if (IsCheckmkHostName(host)) (void)disk_.RemoveFile(staging_dir_ + "/" + CheckmkFileName(host));
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

}  // namespace automon::registrar
