// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation_nagios.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "backends/nagios.h"

namespace automon::registrar {

using backends::HostFileName;
using backends::kCommonFileName;
using backends::kHostsDirName;
using backends::kLocalTemplatesFileName;
using backends::WithoutHeader;

NagiosActivator::NagiosActivator(const Config& config, FileSystem& fs, Disk& disk,
                                 ProcessRunner& runner, std::string staging_dir,
                                 std::string reload_marker)
    : StagingActivator(config, fs, disk, runner, std::move(staging_dir), std::move(reload_marker)) {
}

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

Result<std::vector<std::string>> NagiosActivator::LiveHosts() { return LiveHostsOf(Tree()); }

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
      if (it->second) out += fmt::format("cfg_file={}/{}\n", staging_dir_, rel);
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
    for (std::string_view rel : ChangesIn(changes, bucket)) {
      if (!files.count(std::string(rel))) staged_or_live(std::string(rel), false);
    }
  }
  return out;
}

Result<void> NagiosActivator::Verify(const Changes& changes, std::string* reason,
                                     std::set<std::string>& staged) {
  // nagios4 -v drops privileges to nagios_user before reading the staged
  // files, so they are world-readable like the live ones (no secrets here).
  // Each directory is made once per activation, not once per file.
  if (staged.empty()) {
    if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r;
    if (auto r = disk_.MakeDirectory(staging_dir_ + "/" + std::string(kHostsDirName), 0755); !r) {
      return r;
    }
    staged.insert("");  // the directories above are made
  }
  std::vector<std::pair<std::string, std::string_view>> files;
  for (const auto& [rel, change] : changes) {
    if (!change || staged.count(rel)) continue;
    if (const size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0) {
      const std::string dir = rel.substr(0, slash);
      if (!staged.count(dir)) {
        if (auto r = disk_.MakeDirectory(staging_dir_ + "/" + dir, 0755); !r) return r;
        staged.insert(dir);
      }
    }
    files.emplace_back(staging_dir_ + "/" + rel, *change);
  }
  if (auto w = disk_.WriteScratchFiles(files); !w) return w;
  for (const auto& [rel, change] : changes) {
    if (change) staged.insert(rel);
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
  if (result->exit_code != 0 || result->timed_out) *reason = VerifierReason(*result);
  return {};
}

FileTree NagiosActivator::Tree() {
  return {config_.output_dir, std::string(kHostsDirName),
          [](const std::string& host) { return HostFileName(host); },
          [this] { return LiveHostFiles(); }};
}

Result<ActivationOutcome> NagiosActivator::Activate(
    const ActivationRequest& request,
    const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) {
  ActivationOutcome outcome;
  const FileTree tree = Tree();
  auto changes = CollectTreeChanges(fs_, tree, request,
                                    {{std::string(kCommonFileName), request.common},
                                     {std::string(kLocalTemplatesFileName), request.templates}});
  if (!changes) return changes.error();
  outcome.unchanged = changes->unchanged;
  const bool reload_pending = fs_.ReadFile(reload_marker_, 4096).ok();
  if (changes->shared.empty() && changes->hosts.empty() && !reload_pending) return outcome;

  // Nagios's verdict on the configuration with exactly these hosts' changes.
  std::set<std::string> staged;
  const SubsetCheck check = [&](const std::vector<std::string>& names,
                                std::string* why) -> Result<bool> {
    if (auto r = Verify(changes->With(names), why, staged); !r) return r.error();
    return why->empty();
  };
  auto good = IsolateBreakingHosts(changes->Hosts(), "Nagios", check, outcome.quarantined);
  if (!good) return good.error();
  if (good->empty() && changes->shared.empty() && !reload_pending) return outcome;
  if (auto hook = before_swap(*good); !hook) return hook.error();
  // Every file verified exactly this final state (With(good), or the
  // baseline when good is empty), so the reload is of verified files.
  if (auto r = SwapTree(fs_, disk_, tree, staging_dir_, reload_marker_, changes->With(*good),
                        [this] { return RunReloadCommand(config_.reload_command, "reload"); });
      !r) {
    return r.error();
  }
  outcome.reloaded = true;
  outcome.activated = *good;
  return outcome;
}

namespace {

class NagiosBackend final : public Backend {
 public:
  NagiosBackend(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner)
      : config_(config),
        fs_(fs),
        activator_(config, fs, disk, runner, config.state_dir + "/staging",
                   config.state_dir + "/reload-pending") {}

  std::string_view DisplayName() const override { return "Nagios"; }
  std::string_view ActivatedText() const override { return "Nagios reloaded"; }
  std::string SecretsGroup() const override { return config_.secrets_group; }

  Result<backends::RenderedHost> RenderHost(const backends::HostPlan& plan,
                                            const std::string& generated_at) const override {
    return backends::NagiosRenderer(Options(generated_at)).RenderHost(plan);
  }

  Result<void> AddSharedFiles(ActivationRequest& request,
                              const std::string& generated_at) const override {
    auto templates = fs_.ReadFile(config_.templates_file, 1 << 20);
    if (!templates) {
      return Error{fmt::format("cannot read the Nagios templates file ({}): {}",
                               config_.templates_file, templates.error().message)};
    }
    const backends::NagiosRenderOptions options = Options(generated_at);
    request.common = backends::RenderNagiosCommon(options);
    request.templates = backends::RenderLocalTemplates(*templates, options);
    return {};
  }

  Activator& activator() override { return activator_; }

 private:
  backends::NagiosRenderOptions Options(const std::string& generated_at) const {
    backends::NagiosRenderOptions options;
    options.generated_at = generated_at;
    options.templates_file = config_.templates_file;
    return options;
  }

  const Config& config_;
  FileSystem& fs_;
  NagiosActivator activator_;
};

}  // namespace

std::unique_ptr<Backend> MakeNagiosBackend(const Config& config, FileSystem& fs, Disk& disk,
                                           ProcessRunner& runner) {
  return std::make_unique<NagiosBackend>(config, fs, disk, runner);
}

}  // namespace automon::registrar
