// SPDX-License-Identifier: GPL-2.0-or-later
// The shared core of activation: what every backend's activator does alike
// (activation_nagios.cc, activation_icinga2.cc, activation_prometheus.cc,
// activation_checkmk.cc).
#include "registrar/activation.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "backends/backend.h"

namespace automon::registrar {

StagingActivator::StagingActivator(const Config& config, FileSystem& fs, Disk& disk,
                                   ProcessRunner& runner, std::string staging_dir,
                                   std::string reload_marker)
    : config_(config),
      fs_(fs),
      disk_(disk),
      runner_(runner),
      staging_dir_(std::move(staging_dir)),
      reload_marker_(std::move(reload_marker)) {}

Result<void> StagingActivator::RunReloadCommand(const std::string& command, std::string_view what,
                                                std::string* failure) {
  auto argv = SplitCommandLine(command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{fmt::format("cannot run the {} command: {}", what, result.error().message)};
  }
  if (result->exit_code != 0 || result->timed_out) {
    std::string why =
        fmt::format("the {} command failed (exit status {}{}): {}", what, result->exit_code,
                    result->timed_out ? ", timed out" : "", result->output);
    if (failure == nullptr) return Error{std::move(why)};
    *failure = std::move(why);
    return {};
  }
  if (failure != nullptr) failure->clear();
  return disk_.RemoveFile(reload_marker_);
}

Result<std::vector<std::string>> LiveHostsOf(const FileTree& tree) {
  auto files = tree.live_host_files();
  if (!files) return files.error();
  std::vector<std::string> hosts;
  for (const auto& [host, path] : *files) hosts.push_back(host);
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

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

std::string VerifierReason(const ProcessResult& result) {
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

std::vector<std::string_view> ChangesIn(const FileChanges& changes, const std::string& dir) {
  const std::string prefix = dir + "/";
  std::vector<std::string_view> in;
  for (auto it = changes.lower_bound(prefix); it != changes.end() && it->first.starts_with(prefix);
       ++it) {
    if (it->first.find('/', prefix.size()) == std::string::npos) in.push_back(it->first);
  }
  return in;
}

std::vector<std::string> TreeChanges::Hosts() const {
  std::vector<std::string> names;
  for (const auto& [host, change] : hosts) names.push_back(host);
  return names;
}

FileChanges TreeChanges::With(const std::vector<std::string>& names) const {
  FileChanges changes = shared;
  for (const std::string& name : names) {
    const auto& [rel, content] = hosts.at(name);
    changes[rel] = content;
  }
  return changes;
}

Result<TreeChanges> CollectTreeChanges(
    FileSystem& fs, const FileTree& tree, const ActivationRequest& request,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& shared) {
  TreeChanges out;
  // A render lists the live host files anyway (to remove the unlisted
  // ones); a host file missing from that listing is new, and is not looked
  // for (10,000 failed opens on a first render).
  std::optional<std::vector<std::pair<std::string, std::string>>> live_hosts;
  std::set<std::string> live_files;
  if (request.remove_unlisted_hosts) {
    auto live = tree.live_host_files();
    if (!live) return live.error();
    live_hosts = std::move(*live);
    for (const auto& [host, rel] : *live_hosts) live_files.insert(rel);
  }
  auto differs = [&](const std::string& rel, const std::optional<std::string>& wanted) {
    auto live = fs.ReadFile(tree.output_dir + "/" + rel, kMaxConfigFile);
    if (!wanted) return live.ok();
    return !live.ok() || backends::WithoutHeader(*live) != backends::WithoutHeader(*wanted);
  };
  auto shared_copy = [](const std::optional<std::string>& content) {
    return content ? std::make_shared<const std::string>(*content) : FileContent();
  };
  for (const auto& [rel, content] : shared) {
    if (content && differs(rel, content)) out.shared[rel] = shared_copy(content);
  }
  for (const auto& [host, content] : request.hosts) {
    const std::string rel = tree.host_file(host);
    const bool known_new = live_hosts && content && !live_files.count(rel);
    if (known_new || differs(rel, content)) {
      out.hosts[host] = {rel, shared_copy(content)};
    } else {
      out.unchanged.push_back(host);
    }
  }
  if (live_hosts) {
    for (const auto& [host, rel] : *live_hosts) {
      if (request.keep_hosts.count(host)) continue;
      if (!request.hosts.count(host)) {
        out.hosts[host] = {rel, nullptr};
      } else if (rel != tree.host_file(host)) {
        out.hosts[rel] = {rel, nullptr};  // a copy in the wrong place
      }
    }
  }
  return out;
}

Result<void> SwapTree(FileSystem& fs, Disk& disk, const FileTree& tree,
                      const std::string& staging_dir, const std::string& reload_marker,
                      const FileChanges& changes, const std::function<Result<void>()>& reload) {
  if (auto m = fs.WriteFileAtomic(reload_marker, "reload pending\n", 0600); !m) return m.error();
  if (auto r = disk.MakeDirectory(tree.output_dir, 0755); !r) return r.error();
  if (auto r = disk.MakeDirectory(tree.output_dir + "/" + tree.hosts_dir_name, 0755); !r) {
    return r.error();
  }
  std::vector<std::pair<std::string, std::string>> shared;
  std::vector<StagedFile> staged_host_files;
  std::vector<std::pair<std::string, std::string>> host_files;
  std::vector<std::string> removals;
  std::set<std::string> buckets;
  for (const auto& [rel, content] : changes) {
    const std::string path = tree.output_dir + "/" + rel;
    if (!rel.starts_with(tree.hosts_dir_name + "/")) {
      shared.emplace_back(path, *content);
    } else if (content) {
      if (const std::string bucket = DirName(path); buckets.insert(bucket).second) {
        if (auto r = disk.MakeDirectory(bucket, 0755); !r) return r.error();
      }
      if (staging_dir.empty()) {
        host_files.emplace_back(path, *content);
      } else {
        staged_host_files.push_back({staging_dir + "/" + rel, path, &*content});
      }
    } else {
      removals.push_back(path);
    }
  }
  if (auto w = disk.ReplaceFiles(shared, 0644); !w) return w.error();
  if (auto w = disk.PublishStagedFiles(staged_host_files, 0644); !w) return w.error();
  if (auto w = disk.ReplaceFiles(host_files, 0644); !w) return w.error();
  for (const std::string& path : removals) {
    if (auto r = disk.RemoveFile(path); !r) return r.error();
  }
  if (!staging_dir.empty()) {
    for (const auto& [rel, content] : changes) {
      if (rel.starts_with(tree.hosts_dir_name + "/") && content) continue;  // renamed away
      (void)disk.RemoveFile(staging_dir + "/" + rel);
    }
  }
  return reload();
}

}  // namespace automon::registrar
