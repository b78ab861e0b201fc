// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/store.h"

#include <fmt/format.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/plan.h"
#include "common/testing/temp_dir.h"
#include "formats/parser.h"

namespace automon::registrar {
namespace {

formats::Snapshot Example(uint64_t generation, const std::string& definitions) {
  formats::Snapshot s;
  s.host = "web01.example.org";
  s.generation = generation;
  s.services = formats::ParseDefinitions(definitions, "/etc/monitoring-info/x").services;
  return s;
}

class StoreTest : public ::testing::Test {
 protected:
  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  HostStore store_{fs_, disk_, dir_.path() + "/state", "nagios"};

  void SetUp() override { ASSERT_TRUE(store_.Initialise().ok()); }

  std::string Secret(std::string_view host, std::string_view service, uint64_t generation) {
    return backends::SecretFilePath(store_.secrets_dir(), host, service, generation);
  }
  // A secret file as a store from before the buckets kept it.
  std::string LegacySecret(const std::string& host, const std::string& file) {
    const std::string dir = store_.secrets_dir() + "/" + host;
    EXPECT_TRUE(fs_.MakeDirectories(dir, 0750).ok());
    EXPECT_TRUE(fs_.WriteFileAtomic(dir + "/" + file, "old\n", 0640).ok());
    return dir + "/" + file;
  }
};

TEST_F(StoreTest, SavedSnapshotLoadsBackEqual) {
  const formats::Snapshot s =
      Example(3, "[web]\ntype = http\n[guac]\ntype = guacamole\npassword = pw;x\n");
  ASSERT_TRUE(store_.Save(s).ok());
  auto loaded = store_.Load("web01.example.org");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, s);
  EXPECT_EQ(store_.Hosts().value(), std::vector<std::string>{"web01.example.org"});
  struct stat st;
  ASSERT_EQ(::stat((dir_.path() + "/state/hosts/web01.example.org.snapshot").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the snapshot holds secrets";
}

TEST_F(StoreTest, UnknownHostIsEmptyButACorruptFileIsAnError) {
  auto none = store_.Load("nobody.example.org");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(
      fs_.WriteFileAtomic(dir_.path() + "/state/hosts/bad.example.org.snapshot", "garbage\n", 0600)
          .ok());
  auto bad = store_.Load("bad.example.org");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            dir_.path() +
                "/state/hosts/bad.example.org.snapshot: the stored snapshot does not parse (its "
                "content is not shown)");
}

// The answer may go to a host: no state file is followed to another file,
// and no line of one is quoted.
TEST_F(StoreTest, StateFilesAreNeitherFollowedNorQuoted) {
  const std::string target = dir_.path() + "/shadow";
  ASSERT_TRUE(fs_.WriteFileAtomic(target, "root:$6$TOPSECRET:19000::::::\n", 0600).ok());
  for (const char* path :
       {"/state/hosts/web01.example.org.snapshot", "/state/pending/web01.example.org.snapshot",
        "/state/quarantine/web01.example.org", "/state/tombstones/web01.example.org",
        "/state/results/web01.example.org"}) {
    ASSERT_EQ(::symlink(target.c_str(), (dir_.path() + path).c_str()), 0) << path;
  }
  std::vector<std::string> messages;
  messages.push_back(store_.Load("web01.example.org").error().message);
  messages.push_back(store_.LoadPending("web01.example.org").error().message);
  messages.push_back(store_.QuarantineReason("web01.example.org").error().message);
  messages.push_back(store_.LoadTombstone("web01.example.org").error().message);
  messages.push_back(store_.LoadResult("web01.example.org").error().message);
  EXPECT_EQ(messages[0], dir_.path() +
                             "/state/hosts/web01.example.org.snapshot: is a symbolic link; the "
                             "registrar's state files are never followed");
  for (const std::string& m : messages) {
    EXPECT_EQ(m.find("TOPSECRET"), std::string::npos) << m;
    EXPECT_EQ(m.find("shadow"), std::string::npos) << m;
    EXPECT_NE(m.find("symbolic link"), std::string::npos) << m;
  }
  // A regular file holding anything but a snapshot is not quoted either.
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_.path() + "/state/hosts/other.example.org.snapshot",
                                  "[automon:snapshot]\nTOPSECRET line\n", 0600)
                  .ok());
  auto other = store_.Load("other.example.org");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message.find("TOPSECRET"), std::string::npos) << other.error().message;
}

TEST_F(StoreTest, RestoreUndoesACommit) {
  ASSERT_TRUE(store_.Save(Example(1, "[a]\ntype = ssh\n")).ok());
  ASSERT_TRUE(store_.SetQuarantine("web01.example.org", "why").ok());
  const std::string one = Secret("web01.example.org", "a", 1);
  const std::string two = Secret("web01.example.org", "a", 2);
  ASSERT_TRUE(store_.WriteSecrets("web01.example.org", {{one, "one\n"}}).ok());
  auto checkpoint = store_.Checkpoint("web01.example.org");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
  EXPECT_EQ(checkpoint->secret_files, std::set<std::string>{one});
  auto fresh = store_.Checkpoint("new.example.org");
  ASSERT_TRUE(fresh.ok());

  ASSERT_TRUE(store_.Save(Example(2, "[a]\ntype = ssh\n[b]\ntype = ssh\n")).ok());
  ASSERT_TRUE(store_.ClearQuarantine("web01.example.org").ok());
  ASSERT_TRUE(store_.WriteSecrets("web01.example.org", {{two, "two\n"}}).ok());
  formats::Snapshot other = Example(1, "[a]\ntype = ssh\n");
  other.host = "new.example.org";
  ASSERT_TRUE(store_.Save(other).ok());
  const std::string others = Secret("new.example.org", "a", 1);
  ASSERT_TRUE(store_.WriteSecrets("new.example.org", {{others, "x\n"}}).ok());

  ASSERT_TRUE(store_.Restore(*checkpoint).ok());
  ASSERT_TRUE(store_.Restore(*fresh).ok());
  EXPECT_EQ(store_.Load("web01.example.org").value()->generation, 1u);
  EXPECT_EQ(store_.QuarantineReason("web01.example.org").value(), "why");
  EXPECT_EQ(fs_.ReadFile(one, 100).value(), "one\n");
  EXPECT_FALSE(fs_.ReadFile(two, 100).ok());
  EXPECT_EQ(store_.Hosts().value(), std::vector<std::string>{"web01.example.org"});
  EXPECT_FALSE(fs_.ReadFile(others, 100).ok());
}

TEST_F(StoreTest, RestoreKeepsTheSecretsOfAStoreFromBeforeTheBuckets) {
  const std::string old = LegacySecret("web01.example.org", "a.1.password");
  auto checkpoint = store_.Checkpoint("web01.example.org");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error().message;
  EXPECT_EQ(checkpoint->secret_files, std::set<std::string>{old});
  const std::string two = Secret("web01.example.org", "a", 2);
  ASSERT_TRUE(store_.WriteSecrets("web01.example.org", {{two, "two\n"}}).ok());
  ASSERT_TRUE(store_.Restore(*checkpoint).ok());
  EXPECT_EQ(fs_.ReadFile(old, 100).value(), "old\n") << "the live file still names it";
  EXPECT_FALSE(fs_.ReadFile(two, 100).ok());
}

TEST_F(StoreTest, SnapshotOfAnotherHostUnderThisNameIsAnError) {
  formats::Snapshot s = Example(1, "[a]\ntype = ssh\n");
  s.host = "other.example.org";
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_.path() + "/state/hosts/web01.example.org.snapshot",
                                  formats::SerializeSnapshot(s), 0600)
                  .ok());
  auto loaded = store_.Load("web01.example.org");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message,
            dir_.path() +
                "/state/hosts/web01.example.org.snapshot: stored snapshot is for host "
                "'other.example.org'");
}

TEST_F(StoreTest, TombstonesAndQuarantineRoundTrip) {
  EXPECT_FALSE(store_.LoadTombstone("h.example.org")->has_value());
  ASSERT_TRUE(store_.SaveTombstone("h.example.org", {"2026-11-21T12:00:00Z", 9}).ok());
  auto t = store_.LoadTombstone("h.example.org");
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->removed_at, "2026-11-21T12:00:00Z");
  EXPECT_EQ((*t)->generation, 9u);
  ASSERT_TRUE(store_.EraseTombstone("h.example.org").ok());
  EXPECT_FALSE(store_.LoadTombstone("h.example.org")->has_value());

  ASSERT_TRUE(store_.SetQuarantine("h.example.org", "Error: x").ok());
  EXPECT_EQ(store_.QuarantineReason("h.example.org")->value(), "Error: x");
  ASSERT_TRUE(store_.ClearQuarantine("h.example.org").ok());
  EXPECT_FALSE(store_.QuarantineReason("h.example.org")->has_value());
}

TEST_F(StoreTest, SecretFilesAre0640ForTheNagiosGroupAndPruned) {
  const SecretFile a{Secret("h.example.org", "guac", 1), "pw\n"};
  const SecretFile b{Secret("h.example.org", "lb", 1), "pw2\n"};
  EXPECT_EQ(a.path, store_.secrets_dir() + "/36/h.example.org@guac.1.password");
  // Another host in the same bucket ("36"): pruning h's never touches its.
  const SecretFile neighbour{Secret("n578.example.org", "guac", 1), "n\n"};
  ASSERT_EQ(backends::HostBucket("n578.example.org"), "36")
      << "pick another neighbour of h.example.org's bucket";
  ASSERT_TRUE(store_.WriteSecrets("h.example.org", {a, b}).ok());
  ASSERT_TRUE(store_.WriteSecrets("n578.example.org", {neighbour}).ok());
  EXPECT_EQ(fs_.ReadFile(a.path, 100).value(), "pw\n");
  struct stat st;
  ASSERT_EQ(::stat(a.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat((store_.secrets_dir() + "/36").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  if (const group* g = ::getgrnam("nagios")) {
    EXPECT_EQ(st.st_gid, g->gr_gid);
    ASSERT_EQ(::stat(a.path.c_str(), &st), 0);
    EXPECT_EQ(st.st_gid, g->gr_gid);
  }
  ASSERT_TRUE(store_.PruneSecrets("h.example.org", {b}).ok());
  EXPECT_FALSE(fs_.ReadFile(a.path, 100).ok());
  EXPECT_TRUE(fs_.ReadFile(b.path, 100).ok());
  ASSERT_TRUE(store_.PruneSecrets("h.example.org", {}).ok());
  EXPECT_FALSE(fs_.ReadFile(b.path, 100).ok());
  EXPECT_EQ(fs_.ReadFile(neighbour.path, 100).value(), "n\n");
}

TEST_F(StoreTest, PruningRemovesTheSecretsOfAStoreFromBeforeTheBuckets) {
  const std::string old = LegacySecret("h.example.org", "guac.1.password");
  const SecretFile now{Secret("h.example.org", "guac", 2), "pw\n"};
  ASSERT_TRUE(store_.WriteSecrets("h.example.org", {now}).ok());
  ASSERT_TRUE(store_.PruneSecrets("h.example.org", {now}).ok());
  EXPECT_FALSE(fs_.ReadFile(old, 100).ok());
  EXPECT_FALSE(fs_.ListDirectory(store_.secrets_dir() + "/h.example.org").ok())
      << "the old directory is gone";
  EXPECT_EQ(fs_.ReadFile(now.path, 100).value(), "pw\n");
}

TEST_F(StoreTest, AHostNamedLikeABucketKeepsItsNeighboursSecrets) {
  // Host "36" had secrets/36/ before the buckets; h.example.org's bucket is
  // "36" now. Pruning host 36 removes its old files, not h's, and not the
  // directory.
  const std::string old = LegacySecret("36", "guac.1.password");
  const SecretFile neighbour{Secret("h.example.org", "guac", 1), "n\n"};
  ASSERT_TRUE(store_.WriteSecrets("h.example.org", {neighbour}).ok());
  EXPECT_EQ(store_.LegacySecretHosts({}).value(), std::vector<std::string>{});
  EXPECT_EQ(store_.LegacySecretHosts({"36"}).value(), std::vector<std::string>{"36"});
  auto checkpoint = store_.Checkpoint("36");
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->secret_files, std::set<std::string>{old});
  ASSERT_TRUE(store_.PruneSecrets("36", {}).ok());
  EXPECT_FALSE(fs_.ReadFile(old, 100).ok());
  EXPECT_EQ(fs_.ReadFile(neighbour.path, 100).value(), "n\n");
}

TEST_F(StoreTest, LegacySecretHostsAreTheDirectoriesNotNamedLikeBuckets) {
  LegacySecret("web01.example.org", "a.1.password");
  ASSERT_TRUE(
      store_.WriteSecrets("h.example.org", {{Secret("h.example.org", "a", 1), "x\n"}}).ok());
  EXPECT_EQ(store_.LegacySecretHosts({"h.example.org", "web01.example.org"}).value(),
            std::vector<std::string>{"web01.example.org"});
}

TEST_F(StoreTest, SecretsOfManyHostsAreWrittenInOneBatch) {
  const std::string a = Secret("a.example.org", "guac", 1);
  const std::string b = Secret("b.example.org", "lb", 2);
  ASSERT_TRUE(store_
                  .WriteAllSecrets({{"a.example.org", {{a, "pa\n"}}},
                                    {"b.example.org", {{b, "pb\n"}}},
                                    {"c.example.org", {}}})
                  .ok());
  EXPECT_EQ(fs_.ReadFile(a, 100).value(), "pa\n");
  EXPECT_EQ(fs_.ReadFile(b, 100).value(), "pb\n");
  struct stat st;
  ASSERT_EQ(::stat(b.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_FALSE(
      fs_.ListDirectory(store_.secrets_dir() + "/" + backends::HostBucket("c.example.org")).ok());
  auto outside = store_.WriteAllSecrets({{"a.example.org", {{b, "x\n"}}}});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(fs_.ReadFile(b, 100).value(), "pb\n") << "nothing written on refusal";
}

// A second `render` with nothing changed must not rewrite (rename over)
// 20,000 secret files; a file whose content or mode is wrong is repaired.
TEST_F(StoreTest, SnapshotsAndResultsOfABatchAreSavedTogether) {
  // 10 hosts: a batch large enough for ReplaceFiles' single flush.
  std::vector<formats::Snapshot> snapshots;
  std::map<std::string, ActivationResult> results;
  for (int i = 0; i < 10; ++i) {
    formats::Snapshot s = Example(static_cast<uint64_t>(i + 1), "[web]\ntype = http\n");
    s.host = fmt::format("web{:02}.example.org", i);
    results[s.host] = {s.generation, i % 2 ? "active" : "failed", i % 2 ? "" : "why\nnot"};
    snapshots.push_back(std::move(s));
  }
  std::vector<const formats::Snapshot*> batch;
  for (const formats::Snapshot& s : snapshots) batch.push_back(&s);
  ASSERT_TRUE(store_.SaveAll(batch).ok());
  ASSERT_TRUE(store_.SaveResults(results).ok());
  EXPECT_EQ(store_.Hosts().value().size(), 10u);
  for (const formats::Snapshot& s : snapshots) {
    EXPECT_EQ(store_.Load(s.host).value(), s);
    const ActivationResult expected{s.generation, results[s.host].state,
                                    results[s.host].reason.empty() ? "" : "why not"};
    EXPECT_EQ(store_.LoadResult(s.host).value(), expected);
    struct stat st;
    ASSERT_EQ(::stat((dir_.path() + "/state/hosts/" + s.host + ".snapshot").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the snapshot holds secrets";
  }
  EXPECT_TRUE(store_.SaveAll({}).ok());
  EXPECT_TRUE(store_.SaveResults({}).ok());
}

TEST_F(StoreTest, ABatchSaveThatCannotWriteIsAnError) {
  ASSERT_EQ(::rmdir((dir_.path() + "/state/results").c_str()), 0);
  auto saved = store_.SaveResults({{"web01.example.org", {1, "active", ""}}});
  ASSERT_FALSE(saved.ok());
  EXPECT_NE(saved.error().message.find("/state/results/"), std::string::npos)
      << saved.error().message;
}

TEST_F(StoreTest, SecretFilesAlreadyRightAreNotRewritten) {
  const std::string a = Secret("a.example.org", "guac", 1);
  const std::string b = Secret("b.example.org", "lb", 2);
  const std::map<std::string, std::vector<SecretFile>> secrets = {{"a.example.org", {{a, "pa\n"}}},
                                                                  {"b.example.org", {{b, "pb\n"}}}};
  ASSERT_TRUE(store_.WriteAllSecrets(secrets).ok());
  auto inode = [](const std::string& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
  };
  const ino_t a1 = inode(a);
  const ino_t b1 = inode(b);
  ASSERT_TRUE(store_.WriteAllSecrets(secrets).ok());
  EXPECT_EQ(inode(a), a1) << "unchanged: not replaced";
  EXPECT_EQ(inode(b), b1);
  ASSERT_TRUE(fs_.WriteFileAtomic(a, "tampered\n", 0640).ok());
  ASSERT_EQ(::chmod(b.c_str(), 0644), 0);
  if (::getgrnam("nagios") != nullptr) {
    ASSERT_EQ(::chown(a.c_str(), static_cast<uid_t>(-1), 0), 0);
  }
  const ino_t a2 = inode(a);
  ASSERT_TRUE(store_.WriteAllSecrets(secrets).ok());
  EXPECT_NE(inode(a), a2) << "wrong content: replaced";
  EXPECT_NE(inode(b), b1) << "wrong mode: replaced";
  EXPECT_EQ(fs_.ReadFile(a, 100).value(), "pa\n");
  struct stat st;
  ASSERT_EQ(::stat(b.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  if (const group* g = ::getgrnam("nagios")) {
    EXPECT_EQ(st.st_gid, g->gr_gid);
  }
}

TEST_F(StoreTest, SecretOutsideTheHostsOwnIsRefused) {
  for (const std::string& path :
       {store_.secrets_dir() + "/other/x", Secret("g.example.org", "a", 1),
        store_.secrets_dir() + "/36/h.example.org@a/b.1.password",
        store_.secrets_dir() + "/36/n578.example.org@a.1.password"}) {
    auto w = store_.WriteSecrets("h.example.org", {{path, "pw\n"}});
    ASSERT_FALSE(w.ok()) << path;
    EXPECT_EQ(w.error().message, "secret file '" + path +
                                     "' is not one of host h.example.org's in " +
                                     store_.secrets_dir() + "/36");
    EXPECT_FALSE(fs_.ReadFile(path, 100).ok());
  }
}

TEST(CheckHostNameTest, AcceptsRfc1123AndRefusesPathTricks) {
  EXPECT_EQ(CheckHostName("Web01.Example.ORG").value(), "web01.example.org");
  EXPECT_EQ(CheckHostName("192.0.2.1").value(), "192.0.2.1");
  for (std::string bad : {"", "..", "../etc", "a/b", ".hidden", "a b", "-x", "a_b"}) {
    EXPECT_FALSE(CheckHostName(bad).ok()) << bad;
  }
}

TEST(CheckRemovalsTest, MissingServicesMustBeAccountedFor) {
  const formats::Snapshot old =
      Example(5, "[a]\ntype = ssh\n[b]\ntype = ssh\nport = 23\n[c]\ntype = ssh\nport = 24\n");
  formats::Snapshot truncated = Example(6, "[a]\ntype = ssh\n");
  auto refused = CheckRemovals(old, truncated, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "2 services of the accepted generation 5 are missing and not listed as removed: "
            "'b', 'c' (a truncated or partial read on the host must not delete services)");

  formats::Snapshot empty = Example(6, "");
  EXPECT_FALSE(CheckRemovals(old, empty, {}).ok()) << "an empty read never wipes a host";

  formats::Snapshot accounted = truncated;
  accounted.removed = {{"b", formats::RemovalReason::kDeleted},
                       {"c", formats::RemovalReason::kPackageRemoved}};
  EXPECT_TRUE(CheckRemovals(old, accounted, {}).ok());

  formats::Snapshot one_rejected = truncated;
  one_rejected.removed = {{"b", formats::RemovalReason::kDisabled}};
  EXPECT_TRUE(CheckRemovals(old, one_rejected, {"c"}).ok()) << "a rejected service is present";
  auto single = CheckRemovals(old, one_rejected, {});
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.error().message,
            "1 service of the accepted generation 5 is missing and not listed as removed: 'c' (a "
            "truncated or partial read on the host must not delete services)");
}

TEST_F(StoreTest, StoredServiceCountReadsOnlyTheHeader) {
  ASSERT_TRUE(store_.Save(Example(3, "[web]\ntype = http\n[ssh]\ntype = ssh\n")).ok());
  auto host = store_.Hosts();
  ASSERT_TRUE(host.ok() && host->size() == 1u);
  EXPECT_EQ(store_.StoredServiceCount(host->front()).value(), 2u);
  EXPECT_EQ(store_.StoredServiceCount("none.example.org").value(), 0u);
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_.path() + "/state/hosts/bad.example.org.snapshot",
                                  "[automon:snapshot]\nformat = 1\n\n", 0600)
                  .ok());
  EXPECT_FALSE(store_.StoredServiceCount("bad.example.org").ok());
}

TEST_F(StoreTest, OldTombstonesAreAnAdministratorsAndNewOnesKeepTheirReason) {
  ASSERT_TRUE(
      fs_.WriteFileAtomic(dir_.path() + "/state/tombstones/old.example.org",
                          "[tombstone]\nremoved_at = 2025-01-01T00:00:00Z\ngeneration = 4\n", 0600)
          .ok());
  auto old = store_.LoadTombstone("old.example.org");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_FALSE((*old)->automatic());
  EXPECT_EQ((*old)->generation, 4u);
  ASSERT_TRUE(store_.SaveTombstone("new.example.org", {"T", 7, "remove_after 30d"}).ok());
  auto now = store_.LoadTombstone("new.example.org");
  ASSERT_TRUE(now.ok() && now->has_value());
  EXPECT_EQ((*now)->reason, "remove_after 30d");
}

TEST_F(StoreTest, LifecycleRecordsAndTheLastActivationRoundTrip) {
  EXPECT_EQ(store_.LoadLifecycle("a.example.org").value(), LifecycleRecord{});
  const LifecycleRecord r{100, LifecycleState::kSilent, 200, false};
  ASSERT_TRUE(store_.SaveLifecycle("a.example.org", r).ok());
  EXPECT_EQ(store_.LoadLifecycle("a.example.org").value(), r);
  ASSERT_TRUE(store_.EraseLifecycle("a.example.org").ok());
  EXPECT_EQ(store_.LoadLifecycle("a.example.org").value(), LifecycleRecord{});
  EXPECT_EQ(store_.LoadLastActivation().value(), std::nullopt);
  const LastActivation a{300, false, "reload failed"};
  ASSERT_TRUE(store_.SaveLastActivation(a).ok());
  EXPECT_EQ(store_.LoadLastActivation().value(), a);
}

}  // namespace
}  // namespace automon::registrar
