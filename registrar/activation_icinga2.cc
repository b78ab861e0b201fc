// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation_icinga2.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "backends/icinga2.h"

namespace automon::registrar {
namespace {

// Rounds of "quarantine the hosts icinga2 names, verify the rest" before
// the bisecting search takes over.
constexpr int kMaxBlameRounds = 8;

std::string HostFileOf(std::string_view host) {
  return backends::Icinga2Renderer(backends::Icinga2Options{}).HostFileName(host);
}

bool IsConf(const DirectoryEntry& e) {
  return e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
         e.name.ends_with(".conf");
}

// A path as a DSL string (include paths are not macro-expanded).
std::string Quoted(const std::string& path) {
  auto quoted = backends::Icinga2String(path, /*macros=*/false);
  return quoted.ok() ? *quoted : "\"/nonexistent\"";
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
    v.remove_suffix(1);
  }
  return v;
}

// `include "X"...` or `include_recursive "X"...`: the directive, X and the
// rest of the line; nullopt for anything else (include <itl>, objects).
struct Include {
  std::string directive;
  std::string path;
  std::string rest;
};
std::optional<Include> ParseInclude(std::string_view line) {
  line = Trim(line);
  for (std::string_view directive : {"include_recursive", "include"}) {
    if (!line.starts_with(directive)) continue;
    std::string_view rest = Trim(line.substr(directive.size()));
    if (!rest.starts_with('"')) return std::nullopt;
    const size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view path = rest.substr(1, close - 1);
    if (path.find('\\') != std::string_view::npos) return std::nullopt;
    return Include{std::string(directive), std::string(path), std::string(rest.substr(close + 1))};
  }
  return std::nullopt;
}

// What icinga2 daemon -C says is wrong: its critical lines and the
// locations that follow them, without timestamps.
std::string Reason(const ProcessResult& result) {
  if (result.timed_out) return "the verify command timed out";
  std::string reason;
  int kept = 0;
  size_t start = 0;
  while (start < result.output.size() && kept < 8) {
    size_t end = result.output.find('\n', start);
    if (end == std::string::npos) end = result.output.size();
    std::string_view line(result.output.data() + start, end - start);
    start = end + 1;
    if (line.starts_with("[")) {
      const size_t close = line.find("] ");
      if (close != std::string_view::npos) line.remove_prefix(close + 2);
    }
    line = Trim(line);
    const bool wanted = (line.starts_with("critical/") && !line.ends_with(" errors") &&
                         !line.ends_with(" error")) ||
                        line.starts_with("Location:");
    if (!wanted) continue;
    if (!reason.empty()) reason += "; ";
    reason += line;
    ++kept;
  }
  if (reason.empty()) {
    std::string tail = result.output.size() > 400 ? result.output.substr(result.output.size() - 400)
                                                  : result.output;
    std::replace(tail.begin(), tail.end(), '\n', ' ');
    reason = fmt::format("exit status {}: {}", result.exit_code, tail);
  }
  return reason;
}

// The part of `output` about `path`: each "critical/config: Error" line
// and the lines after it up to the next one, where they name `path`.
std::string ErrorsAbout(std::string_view output, std::string_view path) {
  std::string kept;
  std::string block;
  auto flush = [&] {
    if (block.find(path) != std::string::npos) kept += block;
    block.clear();
  };
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    const std::string_view line = output.substr(start, end - start);
    start = end + 1;
    if (line.find("critical/") != std::string_view::npos) flush();
    block.append(line);
    block += '\n';
  }
  flush();
  return kept;
}

}  // namespace

std::vector<std::string> Icinga2BlamedFiles(std::string_view output) {
  std::vector<std::string> files;
  for (size_t at = 0; (at = output.find("in /", at)) != std::string_view::npos;) {
    const size_t start = at + 3;
    at = start;
    // The path ends at ": " followed by a digit (LINE:COL).
    size_t end = start;
    while (true) {
      end = output.find(": ", end);
      if (end == std::string_view::npos) break;
      if (end + 2 < output.size() && output[end + 2] >= '0' && output[end + 2] <= '9') break;
      ++end;
    }
    if (end == std::string_view::npos) break;
    const std::string_view path = output.substr(start, end - start);
    if (path.find('\n') != std::string_view::npos) continue;
    if (std::find(files.begin(), files.end(), path) == files.end()) files.emplace_back(path);
    at = end;
  }
  return files;
}

Icinga2Activator::Icinga2Activator(const Config& config, FileSystem& fs, Disk& disk,
                                   ProcessRunner& runner, std::string staging_dir,
                                   std::string reload_marker)
    : StagingActivator(config, fs, disk, runner, std::move(staging_dir), std::move(reload_marker)) {
}

std::string Icinga2Activator::HostFilePath(const std::string& host) const {
  return config_.icinga2_output_dir + "/" + HostFileOf(host);
}

std::string Icinga2Activator::ZonesDir() const {
  return DirectoryOf(config_.icinga2_conf) + "/zones.d";
}

Result<std::vector<std::pair<std::string, std::string>>> Icinga2Activator::LiveHostFiles() {
  std::vector<std::pair<std::string, std::string>> files;
  const std::string hosts_dir(backends::kIcinga2HostsDirName);
  auto top = fs_.ListDirectory(config_.icinga2_output_dir + "/" + hosts_dir);
  if (!top) return files;  // no tree yet: no live hosts
  for (const DirectoryEntry& bucket : *top) {
    if (IsConf(bucket)) {  // not in a bucket: left over, still read by Icinga 2
      files.emplace_back(bucket.name.substr(0, bucket.name.size() - 5),
                         hosts_dir + "/" + bucket.name);
      continue;
    }
    if (bucket.kind != DirectoryEntry::Kind::kDirectory || bucket.name.starts_with(".")) continue;
    auto entries =
        fs_.ListDirectory(config_.icinga2_output_dir + "/" + hosts_dir + "/" + bucket.name);
    if (!entries) return entries.error();
    for (const DirectoryEntry& e : *entries) {
      if (IsConf(e)) {
        files.emplace_back(e.name.substr(0, e.name.size() - 5),
                           hosts_dir + "/" + bucket.name + "/" + e.name);
      }
    }
  }
  return files;
}

Result<std::vector<std::string>> Icinga2Activator::LiveHosts() { return LiveHostsOf(Tree()); }

Result<void> Icinga2Activator::ExpandDirectory(const std::string& dir, std::string& out) {
  // Icinga 2's include_recursive reads every *.conf below `dir`; the
  // directories that do not hold output_dir are named whole.
  auto entries = fs_.ListDirectory(dir);
  if (!entries) return entries.error();
  for (const DirectoryEntry& e : *entries) {
    const std::string path = dir + "/" + e.name;
    if (path == config_.icinga2_output_dir) continue;
    if (e.kind == DirectoryEntry::Kind::kDirectory) {
      if (IsInside(config_.icinga2_output_dir, path)) {
        if (auto r = ExpandDirectory(path, out); !r) return r;
      } else {
        out += fmt::format("include_recursive {}\n", Quoted(path));
      }
    } else if (e.kind == DirectoryEntry::Kind::kRegular && e.name.ends_with(".conf")) {
      out += fmt::format("include {}\n", Quoted(path));
    }
  }
  return {};
}

Result<void> Icinga2Activator::RemoveTree(const std::string& dir) {
  auto entries = fs_.ListDirectory(dir);
  if (!entries) return {};  // nothing there
  for (const DirectoryEntry& e : *entries) {
    const std::string path = dir + "/" + e.name;
    if (e.kind == DirectoryEntry::Kind::kDirectory) {
      if (auto r = RemoveTree(path); !r) return r;
    } else if (auto r = disk_.RemoveFile(path); !r) {
      return r;
    }
  }
  return disk_.RemoveDirectory(dir);
}

Result<void> Icinga2Activator::CopyZones(const std::string& from, const std::string& to) {
  if (auto r = disk_.MakeDirectory(to, 0755); !r) return r;
  auto entries = fs_.ListDirectory(from);
  if (!entries) return {};  // no zones.d: nothing to copy
  for (const DirectoryEntry& e : *entries) {
    const std::string path = from + "/" + e.name;
    if (path == config_.icinga2_output_dir) continue;
    if (e.kind == DirectoryEntry::Kind::kDirectory) {
      if (auto r = CopyZones(path, to + "/" + e.name); !r) return r;
    } else if (e.kind == DirectoryEntry::Kind::kRegular) {
      auto content = fs_.ReadFile(path, kMaxConfigFile);
      if (!content) return content.error();
      if (auto w = disk_.WriteScratchFile(to + "/" + e.name, *content); !w) return w;
    }
  }
  return {};
}

Result<std::string> Icinga2Activator::StagedConf(const Changes& changes) {
  auto main_conf = fs_.ReadFile(config_.icinga2_conf, kMaxConfigFile);
  if (!main_conf) return main_conf.error();
  const std::string base = DirectoryOf(config_.icinga2_conf);
  const std::string& output_dir = config_.icinga2_output_dir;
  const bool in_zones = IsInside(output_dir, ZonesDir());
  std::string out = fmt::format("// Staged by automon-registrar from {}; not the live file.\n",
                                config_.icinga2_conf);
  bool covered = in_zones;
  size_t start = 0;
  while (start < main_conf->size()) {
    size_t end = main_conf->find('\n', start);
    if (end == std::string::npos) end = main_conf->size();
    const std::string_view line(main_conf->data() + start, end - start);
    start = end + 1;
    auto include = ParseInclude(line);
    if (!include) {
      out.append(line);
      out += '\n';
      continue;
    }
    std::string path = include->path.starts_with("/") ? include->path : base + "/" + include->path;
    while (path.size() > 1 && path.ends_with("/")) path.pop_back();
    if (include->directive == "include_recursive" && IsInside(output_dir, path)) {
      covered = true;
      if (path != output_dir) {
        if (auto r = ExpandDirectory(path, out); !r) return r.error();
      }
    } else if (!IsInside(path, output_dir)) {
      out += fmt::format("{} {}{}\n", include->directive, Quoted(path), include->rest);
    }
  }
  if (!covered) {
    return Error{
        fmt::format("output_dir {} is neither inside an include_recursive directory of {} nor "
                    "inside {}: Icinga 2 would never read the generated files",
                    output_dir, config_.icinga2_conf, ZonesDir())};
  }
  // The automon tree: staged files where they change, live ones elsewhere;
  // host buckets without a change are named whole, so this part does not
  // grow with the number of hosts.
  const std::string tree = staging_dir_ + "/tree";
  auto staged_or_live = [&](const std::string& rel, bool live) {
    auto it = changes.find(rel);
    if (it != changes.end()) {
      if (it->second) out += fmt::format("include {}\n", Quoted(tree + "/" + rel));
    } else if (live) {
      out += fmt::format("include {}\n", Quoted(output_dir + "/" + rel));
    }
  };
  std::set<std::string> live_top;
  if (auto entries = fs_.ListDirectory(output_dir); entries.ok()) {
    for (const DirectoryEntry& e : *entries) {
      if (IsConf(e)) live_top.insert(e.name);
    }
  }
  std::set<std::string> top = live_top;
  const std::string hosts_dir(backends::kIcinga2HostsDirName);
  std::set<std::string> changed_buckets = {hosts_dir};  // loose files in hosts/ one by one
  for (const auto& [rel, change] : changes) {
    const size_t slash = rel.rfind('/');
    if (slash == std::string::npos) {
      top.insert(rel);
    } else {
      changed_buckets.insert(rel.substr(0, slash));
    }
  }
  for (const std::string& name : top) staged_or_live(name, live_top.count(name) > 0);
  std::set<std::string> buckets = changed_buckets;
  if (auto entries = fs_.ListDirectory(output_dir + "/" + hosts_dir); entries.ok()) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind == DirectoryEntry::Kind::kDirectory && !e.name.starts_with(".")) {
        buckets.insert(hosts_dir + "/" + e.name);
      }
    }
  }
  for (const std::string& bucket : buckets) {
    const std::string live_dir = output_dir + "/" + bucket;
    if (!changed_buckets.count(bucket)) {
      out += fmt::format("include_recursive {}\n", Quoted(live_dir));
      continue;
    }
    std::set<std::string> files;
    if (auto entries = fs_.ListDirectory(live_dir); entries.ok()) {
      for (const DirectoryEntry& e : *entries) {
        if (IsConf(e)) files.insert(bucket + "/" + e.name);
      }
    }
    for (const std::string& rel : files) staged_or_live(rel, true);
    for (std::string_view rel : ChangesIn(changes, bucket)) {
      if (!files.count(std::string(rel))) staged_or_live(std::string(rel), false);
    }
  }
  return out;
}

std::string Icinga2Activator::Explain(std::string text) const {
  // Staged paths read as the live paths they stand for.
  const std::string tree = staging_dir_ + "/tree/";
  for (size_t at = 0; (at = text.find(tree, at)) != std::string::npos;) {
    text.replace(at, tree.size(), config_.icinga2_output_dir + "/");
    at += config_.icinga2_output_dir.size() + 1;
  }
  return text;
}

Result<void> Icinga2Activator::Verify(const Changes& changes, std::string* reason,
                                      std::map<std::string, std::string>* blamed) {
  // icinga2 reads the staged files as the verifying user (or as nagios
  // when started as root): world-readable, like the live ones (no secrets).
  const std::string tree = staging_dir_ + "/tree";
  if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r;
  if (auto r = disk_.MakeDirectory(tree, 0755); !r) return r;
  // Each directory made once (the set keeps parents ahead of children),
  // then the files as one batch.
  std::set<std::string> dirs;
  std::vector<std::pair<std::string, std::string_view>> files;
  for (const auto& [rel, content] : changes) {
    if (!content) continue;
    for (size_t slash = rel.find('/'); slash != std::string::npos;
         slash = rel.find('/', slash + 1)) {
      dirs.insert(tree + "/" + rel.substr(0, slash));
    }
    files.emplace_back(tree + "/" + rel, *content);
  }
  for (const std::string& dir : dirs) {
    if (auto r = disk_.MakeDirectory(dir, 0755); !r) return r;
  }
  if (auto w = disk_.WriteScratchFiles(files); !w) return w;
  auto conf = StagedConf(changes);
  if (!conf) return conf.error();
  std::string zones_dir = ZonesDir();
  if (IsInside(config_.icinga2_output_dir, zones_dir)) {
    zones_dir = staging_dir_ + "/zones.d";
    if (auto r = RemoveTree(zones_dir); !r) return r;
    if (auto r = CopyZones(ZonesDir(), zones_dir); !r) return r;
  }
  const std::string cache_dir = staging_dir_ + "/cache";
  if (auto r = disk_.MakeDirectory(cache_dir, 0755); !r) return r;
  const std::string conf_path = staging_dir_ + "/icinga2.conf";
  if (auto w = disk_.WriteScratchFile(conf_path, *conf); !w) return w;
  std::string command = config_.icinga2_verify_command;
  for (const auto& [from, to] :
       {std::pair<std::string_view, const std::string&>{"{config}", conf_path},
        {"{zonesdir}", zones_dir},
        {"{cachedir}", cache_dir}}) {
    for (size_t at; (at = command.find(from)) != std::string::npos;) {
      command.replace(at, from.size(), to);
    }
  }
  auto argv = SplitCommandLine(command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{fmt::format("cannot run the verify command: {}", result.error().message)};
  }
  reason->clear();
  blamed->clear();
  if (result->exit_code == 0 && !result->timed_out) return {};
  *reason = Explain(Reason(*result));
  for (const std::string& path : Icinga2BlamedFiles(result->output)) {
    for (const std::string& root : {tree, config_.icinga2_output_dir}) {
      if (!path.starts_with(root + "/")) continue;
      ProcessResult about = *result;
      about.output = ErrorsAbout(result->output, path);
      (*blamed)[path.substr(root.size() + 1)] = Explain(Reason(about));
    }
  }
  return {};
}

FileTree Icinga2Activator::Tree() {
  return {config_.icinga2_output_dir, std::string(backends::kIcinga2HostsDirName),
          [](const std::string& host) { return HostFileOf(host); },
          [this] { return LiveHostFiles(); }};
}

Result<ActivationOutcome> Icinga2Activator::Activate(
    const ActivationRequest& request,
    const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) {
  ActivationOutcome outcome;
  const std::string& output_dir = config_.icinga2_output_dir;
  const FileTree tree = Tree();
  auto changes = CollectTreeChanges(
      fs_, tree, request, {{std::string(backends::kIcinga2CommonFileName), request.common}});
  if (!changes) return changes.error();
  outcome.unchanged = changes->unchanged;
  const bool reload_pending = fs_.ReadFile(reload_marker_, 4096).ok();
  if (changes->shared.empty() && changes->hosts.empty() && !reload_pending) return outcome;

  // First the hosts icinga2 names itself; then, when it names none, the
  // bisecting search.
  std::vector<std::string> good = changes->Hosts();
  std::string why;
  std::map<std::string, std::string> blamed;
  for (int round = 0; round < kMaxBlameRounds; ++round) {
    if (auto r = Verify(changes->With(good), &why, &blamed); !r) return r.error();
    if (why.empty()) break;
    std::vector<std::string> culprits;
    for (const std::string& host : good) {
      auto it = blamed.find(changes->hosts.at(host).first);
      if (it == blamed.end()) continue;
      culprits.push_back(host);
      outcome.quarantined[host] = it->second;
    }
    if (culprits.empty()) break;
    for (const std::string& host : culprits) good.erase(std::find(good.begin(), good.end(), host));
  }
  // Without a search, the last verification was of exactly the hosts that
  // go live, and their staged files are what it verified.
  const bool publish_staged = why.empty();
  if (!why.empty()) {
    const SubsetCheck check = [&](const std::vector<std::string>& names,
                                  std::string* reason) -> Result<bool> {
      std::map<std::string, std::string> ignored;
      if (auto r = Verify(changes->With(names), reason, &ignored); !r) return r.error();
      return reason->empty();
    };
    auto live = IsolateBreakingHosts(good, "Icinga 2", check, outcome.quarantined);
    if (!live) return live.error();
    good = *live;
  }
  if (good.empty() && changes->shared.empty() && !reload_pending) return outcome;
  if (auto hook = before_swap(good); !hook) return hook.error();

  const FileChanges final_changes = changes->With(good);
  // Verified staged files are renamed into place, as for Nagios; after a
  // search the staged tree holds the last subset checked, and the content
  // is written again.
  if (!publish_staged) {
    for (const auto& [rel, content] : final_changes) {
      (void)disk_.RemoveFile(staging_dir_ + "/tree/" + rel);  // best effort: staging is scratch
    }
  }
  if (IsInside(output_dir, ZonesDir())) {
    // zones.d/ZONE may not exist yet: Icinga 2 needs no file there but ours.
    if (auto r = fs_.MakeDirectories(DirectoryOf(output_dir), 0755); !r) return r.error();
  }
  if (auto r =
          SwapTree(fs_, disk_, tree, publish_staged ? staging_dir_ + "/tree" : std::string(),
                   reload_marker_, final_changes,
                   [this] { return RunReloadCommand(config_.icinga2_reload_command, "reload"); });
      !r) {
    return r.error();
  }
  outcome.reloaded = true;
  outcome.activated = good;
  return outcome;
}

namespace {

class Icinga2Backend final : public Backend {
 public:
  Icinga2Backend(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner)
      : config_(config),
        fs_(fs),
        activator_(config, fs, disk, runner, config.state_dir + "/staging-icinga2",
                   config.state_dir + "/reload-pending") {}

  std::string_view DisplayName() const override { return "Icinga 2"; }
  std::string_view ActivatedText() const override { return "Icinga 2 reloaded"; }
  std::string SecretsGroup() const override { return config_.secrets_group; }

  Result<backends::RenderedHost> RenderHost(const backends::HostPlan& plan,
                                            const std::string& generated_at) const override {
    return backends::Icinga2Renderer(Options(generated_at)).RenderHost(plan);
  }

  Result<void> AddSharedFiles(ActivationRequest& request,
                              const std::string& generated_at) const override {
    std::optional<std::string> templates;
    if (!config_.icinga2_templates_file.empty()) {
      auto text = fs_.ReadFile(config_.icinga2_templates_file, 1 << 20);
      if (!text) {
        return Error{fmt::format("cannot read the Icinga 2 templates file ({}): {}",
                                 config_.icinga2_templates_file, text.error().message)};
      }
      templates = *text;
    }
    auto common = backends::RenderIcinga2Common(backends::AllCommandShapes(), templates,
                                                Options(generated_at));
    if (!common) return common.error();
    request.common = *common;
    return {};
  }

  Activator& activator() override { return activator_; }

 private:
  backends::Icinga2Options Options(const std::string& generated_at) const {
    backends::Icinga2Options options;
    options.generated_at = generated_at;
    options.probes_dir = config_.icinga2_probes_dir;
    options.zone = config_.icinga2_zone;
    if (!config_.icinga2_templates_file.empty()) {
      options.templates_file = config_.icinga2_templates_file;
    }
    return options;
  }

  const Config& config_;
  FileSystem& fs_;
  Icinga2Activator activator_;
};

}  // namespace

std::unique_ptr<Backend> MakeIcinga2Backend(const Config& config, FileSystem& fs, Disk& disk,
                                            ProcessRunner& runner) {
  return std::make_unique<Icinga2Backend>(config, fs, disk, runner);
}

}  // namespace automon::registrar
