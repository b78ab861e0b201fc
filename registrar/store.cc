// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

#include "common/parse_integer.h"
#include "common/text.h"
#include "formats/ini.h"
#include "formats/schema.h"

namespace automon::registrar {
namespace {

constexpr std::string_view kSnapshotSuffix = ".snapshot";
constexpr size_t kMaxStateFile = formats::kMaxSnapshotBytes + 4096;

bool IsNotFound(const Error& e) { return e.message.ends_with(std::strerror(ENOENT)); }

}  // namespace

Result<std::string> CheckHostName(std::string_view name) {
  const formats::KeySpec spec{"host", formats::ValueKind::kHostName};
  auto normalised = formats::NormaliseValue(spec, name);
  if (!normalised) {
    return Error{fmt::format("invalid host name '{}': expected {}", name,
                             formats::DescribeKind(formats::ValueKind::kHostName))};
  }
  if (auto length = formats::CheckRegisteredHostNameLength(*normalised); !length) {
    return length.error();
  }
  return normalised;
}

Result<void> CheckRemovals(const formats::Snapshot& stored, const formats::Snapshot& incoming,
                           const std::vector<std::string>& rejected_names) {
  std::set<std::string> present(rejected_names.begin(), rejected_names.end());
  for (const formats::Service& s : incoming.services) present.insert(s.name);
  for (const formats::Removal& r : incoming.removed) present.insert(r.service);
  std::vector<std::string> missing;
  for (const formats::Service& s : stored.services) {
    if (!present.count(s.name)) missing.push_back(s.name);
  }
  if (missing.empty()) return {};
  std::string list;
  for (const std::string& m : missing) list += fmt::format("{}'{}'", list.empty() ? "" : ", ", m);
  return Error{fmt::format(
      "{} {} of the accepted generation {} {} missing and not listed as removed: {} (a truncated "
      "or partial read on the host must not delete services)",
      missing.size(), missing.size() == 1 ? "service" : "services", stored.generation,
      missing.size() == 1 ? "is" : "are", list)};
}

HostStore::HostStore(FileSystem& fs, Disk& disk, std::string state_dir, std::string secrets_group)
    : fs_(fs),
      disk_(disk),
      state_dir_(std::move(state_dir)),
      secrets_group_(std::move(secrets_group)) {}

Result<void> HostStore::Initialise() {
  for (const char* sub :
       {"", "/hosts", "/quarantine", "/tombstones", "/pending", "/results", "/lifecycle"}) {
    if (auto r = disk_.MakeDirectory(state_dir_ + sub, sub[0] == 0 ? 0755 : 0700); !r) return r;
  }
  // The checks run as the nagios user and must reach their secret files.
  if (auto r = disk_.MakeDirectory(secrets_dir(), 0750); !r) return r;
  if (auto g = disk_.SetGroup(secrets_dir(), secrets_group_); !g) return g.error();
  return {};
}

std::string HostStore::SnapshotPath(const std::string& host) const {
  return fmt::format("{}/hosts/{}{}", state_dir_, host, kSnapshotSuffix);
}

Result<std::vector<std::string>> HostStore::Hosts() {
  auto entries = fs_.ListDirectory(state_dir_ + "/hosts");
  if (!entries) return entries.error();
  std::vector<std::string> hosts;
  for (const DirectoryEntry& e : *entries) {
    if (e.kind != DirectoryEntry::Kind::kRegular || e.name.starts_with(".") ||
        !e.name.ends_with(kSnapshotSuffix)) {
      continue;
    }
    hosts.push_back(e.name.substr(0, e.name.size() - kSnapshotSuffix.size()));
  }
  return hosts;
}

Result<std::optional<formats::Snapshot>> HostStore::LoadSnapshotFile(const std::string& path,
                                                                     const std::string& host) {
  auto text = disk_.ReadStateFile(path, kMaxStateFile);
  if (!text) {
    if (IsNotFound(text.error())) return std::optional<formats::Snapshot>();
    return text.error();
  }
  auto parsed = formats::ParseSnapshot(*text, path);
  // The parser quotes the offending line; this answer may go to a host, and
  // a file of the state directory is never quoted (whatever put it there).
  if (!parsed) {
    return Error{
        fmt::format("{}: the stored snapshot does not parse (its content is not shown)", path)};
  }
  if (!parsed->rejected.empty()) {
    return Error{fmt::format("{}: stored snapshot holds a service that no longer validates: {}",
                             path, parsed->rejected.front().name)};
  }
  if (parsed->snapshot.host != host) {
    return Error{fmt::format("{}: stored snapshot is for host '{}'", path, parsed->snapshot.host)};
  }
  return std::optional<formats::Snapshot>(std::move(parsed->snapshot));
}

Result<std::optional<formats::Snapshot>> HostStore::Load(const std::string& host) {
  return LoadSnapshotFile(SnapshotPath(host), host);
}

Result<void> HostStore::SavePending(const formats::Snapshot& snapshot) {
  // Not flushed: written and read under the store's lock, and lost in a
  // crash only with its registration unanswered (the agent pushes again).
  // Two fsyncs here, under the lock, were the ceiling of registrations per
  // second on a real disk (bench/ssh).
  return disk_.WriteVolatileFile(
      fmt::format("{}/pending/{}{}", state_dir_, snapshot.host, kSnapshotSuffix),
      formats::SerializeSnapshot(snapshot), 0600);
}

Result<std::optional<formats::Snapshot>> HostStore::LoadPending(const std::string& host) {
  return LoadSnapshotFile(fmt::format("{}/pending/{}{}", state_dir_, host, kSnapshotSuffix), host);
}

Result<std::vector<std::string>> HostStore::PendingHosts() {
  auto entries = fs_.ListDirectory(state_dir_ + "/pending");
  if (!entries) return entries.error();
  std::vector<std::string> hosts;
  for (const DirectoryEntry& e : *entries) {
    if (e.kind == DirectoryEntry::Kind::kRegular && !e.name.starts_with(".") &&
        e.name.ends_with(kSnapshotSuffix)) {
      hosts.push_back(e.name.substr(0, e.name.size() - kSnapshotSuffix.size()));
    }
  }
  return hosts;
}

Result<void> HostStore::ErasePending(const std::string& host) {
  return disk_.RemoveFile(fmt::format("{}/pending/{}{}", state_dir_, host, kSnapshotSuffix));
}

namespace {

std::string ResultText(const ActivationResult& result) {
  std::string reason = result.reason;
  for (char& c : reason) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return fmt::format("{}\n{}\n{}\n", result.generation, result.state, reason);
}

}  // namespace

Result<void> HostStore::SaveResult(const std::string& host, const ActivationResult& result) {
  return fs_.WriteFileAtomic(state_dir_ + "/results/" + host, ResultText(result), 0600);
}

Result<void> HostStore::SaveResults(const std::map<std::string, ActivationResult>& results) {
  std::vector<std::pair<std::string, std::string>> files;
  files.reserve(results.size());
  for (const auto& [host, result] : results) {
    files.emplace_back(state_dir_ + "/results/" + host, ResultText(result));
  }
  if (files.empty()) return {};
  return disk_.ReplaceFiles(files, 0600);
}

Result<void> HostStore::EraseResult(const std::string& host) {
  return disk_.RemoveFile(state_dir_ + "/results/" + host);
}

Result<std::optional<ActivationResult>> HostStore::LoadResult(const std::string& host) {
  auto text = disk_.ReadStateFile(state_dir_ + "/results/" + host, 1 << 20);
  if (!text) {
    if (IsNotFound(text.error())) return std::optional<ActivationResult>();
    return text.error();
  }
  ActivationResult result;
  const size_t first = text->find('\n');
  const size_t second = first == std::string::npos ? first : text->find('\n', first + 1);
  if (second == std::string::npos) return std::optional<ActivationResult>();
  result.generation = ParseInteger<uint64_t>(text->substr(0, first)).value_or(0);
  result.state = text->substr(first + 1, second - first - 1);
  result.reason = text->substr(second + 1);
  if (result.reason.ends_with('\n')) result.reason.pop_back();
  return std::optional<ActivationResult>(result);
}

Result<void> HostStore::Save(const formats::Snapshot& snapshot) {
  return fs_.WriteFileAtomic(SnapshotPath(snapshot.host), formats::SerializeSnapshot(snapshot),
                             0600);
}

Result<void> HostStore::SaveAll(const std::vector<const formats::Snapshot*>& snapshots) {
  std::vector<std::pair<std::string, std::string>> files;
  files.reserve(snapshots.size());
  for (const formats::Snapshot* s : snapshots) {
    files.emplace_back(SnapshotPath(s->host), formats::SerializeSnapshot(*s));
  }
  if (files.empty()) return {};
  return disk_.ReplaceFiles(files, 0600);
}

Result<uint64_t> HostStore::StoredServiceCount(const std::string& host) {
  auto text = disk_.ReadStateFile(SnapshotPath(host), formats::kMaxSnapshotBytes);
  if (!text) {
    if (IsNotFound(text.error())) return uint64_t{0};
    return text.error();
  }
  // The header (monitoring-info(5), SNAPSHOT FORMAT) ends at the first
  // blank line; its `services` line is what SerializeSnapshot wrote.
  const std::string_view header = std::string_view(*text).substr(0, text->find("\n\n"));
  const size_t at = header.find("\nservices = ");
  if (at == std::string_view::npos) {
    return Error{fmt::format("{}: no services count in the header", SnapshotPath(host))};
  }
  const std::string_view rest = header.substr(at + 12);
  auto count = ParseInteger<uint64_t>(rest.substr(0, rest.find('\n')));
  if (!count) return Error{fmt::format("{}: bad services count", SnapshotPath(host))};
  return *count;
}

Result<void> HostStore::Erase(const std::string& host) {
  return disk_.RemoveFile(SnapshotPath(host));
}

Result<std::optional<std::string>> HostStore::QuarantineReason(const std::string& host) {
  auto text = disk_.ReadStateFile(state_dir_ + "/quarantine/" + host, 1 << 20);
  if (!text) {
    if (IsNotFound(text.error())) return std::optional<std::string>();
    return text.error();
  }
  return std::optional<std::string>(std::move(*text));
}

Result<void> HostStore::SetQuarantine(const std::string& host, const std::string& reason) {
  return fs_.WriteFileAtomic(state_dir_ + "/quarantine/" + host, reason, 0600);
}

Result<void> HostStore::ClearQuarantine(const std::string& host) {
  return disk_.RemoveFile(state_dir_ + "/quarantine/" + host);
}

Result<std::set<std::string>> HostStore::QuarantinedHosts() {
  auto entries = fs_.ListDirectory(state_dir_ + "/quarantine");
  if (!entries) {
    if (IsNotFound(entries.error())) return std::set<std::string>();
    return entries.error();
  }
  std::set<std::string> hosts;
  for (const DirectoryEntry& e : *entries) {
    if (!e.name.starts_with(".")) hosts.insert(e.name);
  }
  return hosts;
}

Result<std::optional<Tombstone>> HostStore::LoadTombstone(const std::string& host) {
  const std::string path = state_dir_ + "/tombstones/" + host;
  auto text = disk_.ReadStateFile(path, 4096);
  if (!text) {
    if (IsNotFound(text.error())) return std::optional<Tombstone>();
    return text.error();
  }
  std::vector<Diagnostic> diagnostics;
  const auto sections = formats::LexIni(*text, path, diagnostics);
  Tombstone t;
  for (const auto& section : sections) {
    for (const auto& e : section.entries) {
      if (e.key == "removed_at") t.removed_at = e.value;
      if (e.key == "reason") t.reason = e.value;
      if (e.key == "generation") {
        t.generation = ParseInteger<uint64_t>(e.value).value_or(0);
      }
    }
  }
  return std::optional<Tombstone>(t);
}

Result<void> HostStore::SaveTombstone(const std::string& host, const Tombstone& t) {
  std::string text =
      fmt::format("[tombstone]\nremoved_at = {}\ngeneration = {}\n", t.removed_at, t.generation);
  if (t.automatic()) text += fmt::format("reason = {}\n", OneLine(t.reason, ' '));
  return fs_.WriteFileAtomic(state_dir_ + "/tombstones/" + host, text, 0600);
}

Result<LifecycleRecord> HostStore::LoadLifecycle(const std::string& host) {
  const std::string path = state_dir_ + "/lifecycle/" + host;
  auto text = disk_.ReadStateFile(path, 4096);
  if (!text) {
    if (IsNotFound(text.error())) return LifecycleRecord{};
    return text.error();
  }
  return ParseLifecycle(*text, path);
}

Result<void> HostStore::SaveLifecycle(const std::string& host, const LifecycleRecord& record) {
  return fs_.WriteFileAtomic(state_dir_ + "/lifecycle/" + host, SerializeLifecycle(record), 0600);
}

Result<void> HostStore::EraseLifecycle(const std::string& host) {
  return disk_.RemoveFile(state_dir_ + "/lifecycle/" + host);
}

Result<std::optional<LastActivation>> HostStore::LoadLastActivation() {
  const std::string path = state_dir_ + "/last_activation";
  auto text = disk_.ReadStateFile(path, 4096);
  if (!text) {
    if (IsNotFound(text.error())) return std::optional<LastActivation>();
    return text.error();
  }
  std::vector<Diagnostic> diagnostics;
  LastActivation a;
  for (const auto& section : formats::LexIni(*text, path, diagnostics)) {
    for (const auto& e : section.entries) {
      if (e.key == "at") a.at = ParseInteger<int64_t>(e.value).value_or(0);
      if (e.key == "ok") a.ok = e.value != "false";
      if (e.key == "error") a.error = e.value;
    }
  }
  return std::optional<LastActivation>(a);
}

Result<void> HostStore::SaveLastActivation(const LastActivation& a) {
  return fs_.WriteFileAtomic(state_dir_ + "/last_activation",
                             fmt::format("[activation]\nat = {}\nok = {}\nerror = {}\n", a.at,
                                         a.ok ? "true" : "false", OneLine(a.error, ' ')),
                             0600);
}

Result<void> HostStore::EraseTombstone(const std::string& host) {
  return disk_.RemoveFile(state_dir_ + "/tombstones/" + host);
}

Result<void> HostStore::WriteSecrets(const std::string& host,
                                     const std::vector<SecretFile>& secrets) {
  return WriteAllSecrets({{host, secrets}});
}

Result<void> HostStore::WriteAllSecrets(
    const std::map<std::string, std::vector<SecretFile>>& secrets) {
  // One batch: the group is looked up once, files already right are not
  // rewritten (a second `render` touches none), the rest are flushed once.
  GroupFiles batch;
  batch.group = secrets_group_;
  batch.directory_mode = 0750;
  batch.file_mode = 0640;
  std::set<std::string> buckets;
  for (const auto& [host, list] : secrets) {
    if (list.empty()) continue;
    const std::string dir = SecretsBucket(host);
    const std::string prefix = dir + "/" + backends::SecretFilePrefix(host);
    buckets.insert(dir);
    for (const SecretFile& s : list) {
      if (!s.path.starts_with(prefix) || s.path.find('/', prefix.size()) != std::string::npos) {
        return Error{
            fmt::format("secret file '{}' is not one of host {}'s in {}", s.path, host, dir)};
      }
      batch.files.emplace_back(s.path, s.content);
    }
  }
  batch.directories.assign(buckets.begin(), buckets.end());
  auto written = disk_.WriteGroupFiles(batch);
  if (!written) return written.error();
  return {};
}

namespace {

// Two lower-case hex digits, as backends::HostBucket gives.
bool IsBucketName(std::string_view name) {
  return name.size() == 2 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string HostStore::SecretsBucket(const std::string& host) const {
  return secrets_dir() + "/" + backends::HostBucket(host);
}

std::string HostStore::LegacySecretsDir(const std::string& host) const {
  return secrets_dir() + "/" + host;
}

Result<HostStore::SecretListing> HostStore::SecretFilesOf(const std::string& host) {
  SecretListing found;
  const std::string bucket = SecretsBucket(host);
  const std::string prefix = backends::SecretFilePrefix(host);
  auto entries = fs_.ListDirectory(bucket);
  if (!entries && !IsNotFound(entries.error())) return entries.error();
  if (entries) {
    for (const DirectoryEntry& e : *entries) {
      if (e.kind == DirectoryEntry::Kind::kRegular && e.name.starts_with(prefix)) {
        found.paths.insert(bucket + "/" + e.name);
      }
    }
  }
  // A store from before the buckets kept them in secrets/<host>/, named
  // without an '@' (which a host named like a bucket tells apart).
  const std::string legacy = LegacySecretsDir(host);
  auto old = fs_.ListDirectory(legacy);
  if (!old && !IsNotFound(old.error())) return old.error();
  if (old) {
    found.legacy_dir = !IsBucketName(host);
    for (const DirectoryEntry& e : *old) {
      if (e.kind == DirectoryEntry::Kind::kRegular && e.name.find('@') == std::string::npos) {
        found.paths.insert(legacy + "/" + e.name);
      }
    }
  }
  return found;
}

Result<void> HostStore::RemoveSecretsExcept(const std::string& host,
                                            const std::set<std::string>& keep) {
  auto found = SecretFilesOf(host);
  if (!found) return found.error();
  for (const std::string& path : found->paths) {
    if (keep.count(path)) continue;
    if (auto r = disk_.RemoveFile(path); !r) return r;
  }
  if (!found->legacy_dir) return {};
  const std::string legacy = LegacySecretsDir(host) + "/";
  if (std::any_of(keep.begin(), keep.end(),
                  [&](const std::string& path) { return path.starts_with(legacy); })) {
    return {};
  }
  return disk_.RemoveDirectory(LegacySecretsDir(host));
}

Result<void> HostStore::PruneSecrets(const std::string& host, const std::vector<SecretFile>& keep) {
  std::set<std::string> kept;
  for (const SecretFile& s : keep) kept.insert(s.path);
  return RemoveSecretsExcept(host, kept);
}

Result<std::vector<std::string>> HostStore::LegacySecretHosts(
    const std::set<std::string>& registered) {
  auto entries = fs_.ListDirectory(secrets_dir());
  std::vector<std::string> hosts;
  if (!entries) {
    if (IsNotFound(entries.error())) return hosts;
    return entries.error();
  }
  for (const DirectoryEntry& e : *entries) {
    if (e.kind != DirectoryEntry::Kind::kDirectory || e.name.starts_with(".")) continue;
    // A host named like a bucket has its old directory where the bucket
    // is, found only when it is registered.
    if (!IsBucketName(e.name) || registered.count(e.name)) hosts.push_back(e.name);
  }
  return hosts;
}

Result<HostCheckpoint> HostStore::Checkpoint(const std::string& host) {
  HostCheckpoint checkpoint;
  checkpoint.host = host;
  auto snapshot = disk_.ReadStateFile(SnapshotPath(host), kMaxStateFile);
  if (snapshot) {
    checkpoint.snapshot = std::move(*snapshot);
  } else if (!IsNotFound(snapshot.error())) {
    return snapshot.error();
  }
  auto quarantine = QuarantineReason(host);
  if (!quarantine) return quarantine.error();
  checkpoint.quarantine = std::move(*quarantine);
  auto secrets = SecretFilesOf(host);
  if (!secrets) return secrets.error();
  checkpoint.secret_files = std::move(secrets->paths);
  return checkpoint;
}

Result<void> HostStore::Restore(const HostCheckpoint& checkpoint) {
  const std::string& host = checkpoint.host;
  if (auto r = checkpoint.snapshot
                   ? fs_.WriteFileAtomic(SnapshotPath(host), *checkpoint.snapshot, 0600)
                   : Erase(host);
      !r) {
    return r;
  }
  if (auto r = checkpoint.quarantine ? SetQuarantine(host, *checkpoint.quarantine)
                                     : ClearQuarantine(host);
      !r) {
    return r;
  }
  return RemoveSecretsExcept(host, checkpoint.secret_files);
}

}  // namespace automon::registrar
