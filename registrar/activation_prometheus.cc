// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/activation_prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "backends/prometheus.h"

namespace automon::registrar {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsHostFile(const DirectoryEntry& e) {
  return e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
         e.name.ends_with(".json") && e.name.size() > 5;
}

// What promtool objects to: its "FAILED: ..." lines (promtool 2.42 puts
// the reason there), else the shared summary of a verifier's output.
std::string PromtoolReason(const ProcessResult& result) {
  if (result.timed_out) return "the verify command timed out";
  std::string reason;
  size_t start = 0;
  int kept = 0;
  while (start < result.output.size() && kept < 6) {
    size_t end = result.output.find('\n', start);
    if (end == std::string::npos) end = result.output.size();
    std::string_view line(result.output.data() + start, end - start);
    start = end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.starts_with("FAILED")) continue;
    if (!reason.empty()) reason += "; ";
    reason += line;
    ++kept;
  }
  return reason.empty() ? VerifierReason(result) : reason;
}

backends::PrometheusOptions Options(const Config& config) {
  backends::PrometheusOptions options;
  options.sd_dir = config.prometheus_sd_dir;
  options.blackbox = config.prometheus_blackbox;
  options.exporter = config.prometheus_exporter;
  return options;
}

}  // namespace

PrometheusActivator::PrometheusActivator(const Config& config, FileSystem& fs, Disk& disk,
                                         ProcessRunner& runner, std::string staging_dir,
                                         std::string reload_marker)
    : StagingActivator(config, fs, disk, runner, std::move(staging_dir), std::move(reload_marker)) {
}

std::string PrometheusActivator::HostFilePath(const std::string& host) const {
  return config_.prometheus_sd_dir + "/" + host + ".json";
}

FileTree PrometheusActivator::Tree() {
  // The host files live directly in sd_dir: the tree's output directory is
  // its parent and sd_dir its hosts directory.
  const std::string dir_name = BaseName(config_.prometheus_sd_dir);
  return FileTree{DirName(config_.prometheus_sd_dir), dir_name,
                  [dir_name](const std::string& host) { return dir_name + "/" + host + ".json"; },
                  [this] { return LiveHostFiles(); }};
}

Result<std::vector<std::pair<std::string, std::string>>> PrometheusActivator::LiveHostFiles() {
  std::vector<std::pair<std::string, std::string>> files;
  auto entries = fs_.ListDirectory(config_.prometheus_sd_dir);
  if (!entries) return files;  // no directory yet: no live hosts
  const std::string dir_name = BaseName(config_.prometheus_sd_dir);
  for (const DirectoryEntry& e : *entries) {
    if (IsHostFile(e)) {
      files.emplace_back(e.name.substr(0, e.name.size() - 5), dir_name + "/" + e.name);
    }
  }
  return files;
}

Result<std::vector<std::string>> PrometheusActivator::LiveHosts() { return LiveHostsOf(Tree()); }

Result<void> PrometheusActivator::Verify(const FileChanges& changes, std::string* reason) {
  const std::string sd = staging_dir_ + "/sd";
  if (auto r = disk_.MakeDirectory(staging_dir_, 0755); !r) return r;
  if (auto r = disk_.MakeDirectory(sd, 0755); !r) return r;
  if (auto entries = fs_.ListDirectory(sd); entries.ok()) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind == DirectoryEntry::Kind::kRegular) {
        if (auto r = disk_.RemoveFile(sd + "/" + e.name); !r) return r;
      }
    }
  }
  for (const auto& [rel, content] : changes) {
    if (!content) continue;  // a removal needs no check
    if (auto w = disk_.WriteScratchFile(sd + "/" + BaseName(rel), *content); !w) return w;
  }
  backends::PrometheusOptions options = Options(config_);
  options.sd_dir = sd;
  const std::string config_path = staging_dir_ + "/prometheus.yml";
  if (auto w = disk_.WriteScratchFile(
          config_path,
          "# Staged by automon-registrar to verify file_sd files; not live.\n"
          "scrape_configs:\n" +
              backends::PrometheusScrapeExample(options));
      !w) {
    return w;
  }
  std::string command = config_.prometheus_verify_command;
  for (size_t at; (at = command.find("{config}")) != std::string::npos;) {
    command.replace(at, 8, config_path);
  }
  auto argv = SplitCommandLine(command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{fmt::format("cannot run the verify command: {}", result.error().message)};
  }
  reason->clear();
  if (result->exit_code == 0 && !result->timed_out) return {};
  *reason = PromtoolReason(*result);
  // The staged paths read as the live ones they stand for.
  for (size_t at = 0; (at = reason->find(sd, at)) != std::string::npos;) {
    reason->replace(at, sd.size(), config_.prometheus_sd_dir);
    at += config_.prometheus_sd_dir.size();
  }
  return {};
}

Result<ActivationOutcome> PrometheusActivator::Activate(
    const ActivationRequest& request,
    const std::function<Result<void>(const std::vector<std::string>&)>& before_swap) {
  ActivationOutcome outcome;
  const FileTree tree = Tree();
  auto changes = CollectTreeChanges(fs_, tree, request, {});
  if (!changes) return changes.error();
  outcome.unchanged = changes->unchanged;
  const bool marker = fs_.ReadFile(reload_marker_, 4096).ok();
  if (changes->hosts.empty() && !marker) return outcome;

  const SubsetCheck check = [&](const std::vector<std::string>& names,
                                std::string* reason) -> Result<bool> {
    if (auto r = Verify(changes->With(names), reason); !r) return r.error();
    return reason->empty();
  };
  auto good = IsolateBreakingHosts(changes->Hosts(), "Prometheus", check, outcome.quarantined);
  if (!good) return good.error();
  if (good->empty() && !marker) return outcome;
  if (auto hook = before_swap(*good); !hook) return hook.error();
  if (auto r = fs_.MakeDirectories(config_.prometheus_sd_dir, 0755); !r) return r.error();
  // No reload: Prometheus reads the files when they change (inotify).
  if (auto r = SwapTree(fs_, disk_, tree, /*staging_dir=*/"", reload_marker_, changes->With(*good),
                        [this] { return disk_.RemoveFile(reload_marker_); });
      !r) {
    return r.error();
  }
  if (auto t = UpdateExporterTargets(); !t) return t.error();
  outcome.reloaded = !good->empty();
  outcome.activated = *good;
  return outcome;
}

Result<void> PrometheusActivator::UpdateExporterTargets() {
  const std::string path = config_.prometheus_exporter_targets.empty()
                               ? config_.state_dir + "/guacamole-targets.conf"
                               : config_.prometheus_exporter_targets;
  auto files = LiveHostFiles();
  if (!files) return files.error();
  std::sort(files->begin(), files->end());
  std::string out = fmt::format(
      "# Generated by automon-registrar from {}/*.json: the Guacamole exporter's\n"
      "# targets (check_guacamole --serve --config {}). Do not edit.\n",
      config_.prometheus_sd_dir, path);
  // One line of printable text: the values were validated on the way in,
  // and this file is INI, where a newline would start a new key.
  auto plain = [](const nlohmann::json& v) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    return std::none_of(s.begin(), s.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  for (const auto& [host, rel] : *files) {
    auto text = fs_.ReadFile(DirName(config_.prometheus_sd_dir) + "/" + rel, kMaxConfigFile);
    if (!text) return text.error();
    const nlohmann::json groups = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!groups.is_array()) continue;
    for (const nlohmann::json& group : groups) {
      if (!group.is_object() || !group.contains("labels")) continue;
      const nlohmann::json& labels = group["labels"];
      if (!labels.is_object() || !labels.contains("__automon_guacamole_endpoint")) continue;
      const nlohmann::json name = labels.value("__param_target", nlohmann::json());
      if (!plain(name) || !backends::IsPrometheusGuacamoleTarget(name.get<std::string>())) continue;
      std::string section = fmt::format("\n[{}]\n", name.get<std::string>());
      bool ok = true;
      for (const auto& [key, label] : {std::pair<std::string_view, std::string_view>{
                                           "endpoint", "__automon_guacamole_endpoint"},
                                       {"username", "__automon_guacamole_username"},
                                       {"password_file", "__automon_guacamole_password_file"},
                                       {"data_source", "__automon_guacamole_data_source"}}) {
        const nlohmann::json value = labels.value(std::string(label), nlohmann::json(""));
        ok = ok && plain(value);
        if (ok && !value.get<std::string>().empty()) {
          section += fmt::format("{} = {}\n", key, value.get<std::string>());
        }
      }
      if (labels.value("__automon_guacamole_insecure", "") == "true") section += "insecure = yes\n";
      if (ok) out += section;
    }
  }
  auto live = fs_.ReadFile(path, kMaxConfigFile);
  if (live.ok() && *live == out) return {};
  if (auto d = fs_.MakeDirectories(DirectoryOf(path), 0755); !d) return d.error();
  if (auto w = fs_.WriteFileAtomic(path, out, 0644); !w) return w.error();
  if (config_.prometheus_exporter_reload_command.empty()) return {};
  auto argv = SplitCommandLine(config_.prometheus_exporter_reload_command);
  if (!argv) return argv.error();
  auto result = runner_.Run(*argv, std::chrono::seconds(config_.command_timeout_seconds));
  if (!result) {
    return Error{
        fmt::format("cannot run the exporter's reload command: {}", result.error().message)};
  }
  if (result->exit_code != 0 || result->timed_out) {
    return Error{fmt::format("the exporter's reload command failed (exit status {}): {}",
                             result->exit_code, VerifierReason(*result))};
  }
  return {};
}

namespace {

class PrometheusBackend final : public Backend {
 public:
  PrometheusBackend(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner)
      : config_(config),
        activator_(config, fs, disk, runner, config.state_dir + "/staging-prometheus",
                   config.state_dir + "/update-pending-prometheus") {}

  std::string_view DisplayName() const override { return "Prometheus"; }
  std::string_view ActivatedText() const override { return "Prometheus file_sd updated"; }
  std::string SecretsGroup() const override { return config_.secrets_group; }

  Result<backends::RenderedHost> RenderHost(const backends::HostPlan& plan,
                                            const std::string& generated_at) const override {
    backends::PrometheusOptions options = Options(config_);
    options.generated_at = generated_at;
    return backends::PrometheusRenderer(options).RenderHost(plan);
  }

  Result<void> AddSharedFiles(ActivationRequest&, const std::string&) const override { return {}; }

  std::optional<std::string> Example() const override {
    return backends::PrometheusScrapeExample(Options(config_)) + "\n" +
           backends::PrometheusBlackboxModules();
  }

  // Prometheus scrapes exporters: no plugin runs the self-check.
  bool RunsPlugins() const override { return false; }

  Activator& activator() override { return activator_; }

 private:
  const Config& config_;
  PrometheusActivator activator_;
};

}  // namespace

std::unique_ptr<Backend> MakePrometheusBackend(const Config& config, FileSystem& fs, Disk& disk,
                                               ProcessRunner& runner) {
  return std::make_unique<PrometheusBackend>(config, fs, disk, runner);
}

}  // namespace automon::registrar
