// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/registrar.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "backends/nagios.h"
#include "common/parallel.h"
#include "common/sha256.h"
#include "common/testing/fake_process_runner.h"
#include "common/testing/temp_dir.h"
#include "formats/parser.h"
#include "formats/schema.h"
#include "registrar/store.h"
#include "registrar/testing/registrar_fixture.h"

namespace automon::registrar {
namespace {

using backends::HostFileName;
using testing::Document;

// Recomputes the header hash after a test edited the body, so the edit is
// judged on its own merits, not refused as tampering.
std::string Rehash(std::string text) {
  const size_t key = text.find("sha256 = ");
  const size_t end = text.find('\n', key);
  const std::string body = text.substr(end + 1);
  return text.substr(0, key) + "sha256 = " + Sha256Hex(body) + "\n" + body;
}

// RealDisk, except that ReplaceFiles or PublishStagedFiles of a batch with
// a (live) file under `fail_under` fails with `fail_errno`, as a full disk
// (ENOSPC) or a failing device (EIO) makes the swap fail, before any rename.
class FaultyDisk final : public Disk {
 public:
  Result<void> MakeDirectory(const std::string& path, unsigned mode) override {
    return real_.MakeDirectory(path, mode);
  }
  Result<void> RemoveFile(const std::string& path) override { return real_.RemoveFile(path); }
  Result<void> RemoveDirectory(const std::string& path) override {
    return real_.RemoveDirectory(path);
  }
  Result<bool> SetGroup(const std::string& path, const std::string& group) override {
    return real_.SetGroup(path, group);
  }
  Result<void> ReplaceFiles(const std::vector<std::pair<std::string, std::string>>& files,
                            unsigned mode) override {
    for (const auto& [path, content] : files) {
      if (fail_errno != 0 && !fail_under.empty() && path.starts_with(fail_under)) {
        return SystemError("write", fail_errno, path);
      }
    }
    return real_.ReplaceFiles(files, mode);
  }
  Result<void> PublishStagedFiles(const std::vector<StagedFile>& files, unsigned mode) override {
    for (const StagedFile& f : files) {
      if (fail_errno != 0 && !fail_under.empty() && f.live.starts_with(fail_under)) {
        return SystemError("rename", fail_errno, f.live);
      }
    }
    return real_.PublishStagedFiles(files, mode);
  }
  Result<size_t> WriteGroupFiles(const GroupFiles& batch) override {
    return real_.WriteGroupFiles(batch);
  }
  Result<void> WriteScratchFile(const std::string& path, const std::string& content) override {
    return real_.WriteScratchFile(path, content);
  }
  Result<void> WriteVolatileFile(const std::string& path, const std::string& content,
                                 unsigned mode) override {
    return real_.WriteVolatileFile(path, content, mode);
  }
  Result<std::string> ReadStateFile(const std::string& path, size_t max_bytes) override {
    if (fail_errno != 0 && !fail_reads_under.empty() && path.starts_with(fail_reads_under)) {
      return SystemError("read", fail_errno, path);
    }
    return real_.ReadStateFile(path, max_bytes);
  }
  Result<UniqueFd> Lock(const std::string& path) override { return real_.Lock(path); }
  Result<UniqueFd> LockShared(const std::string& path) override { return real_.LockShared(path); }
  Result<bool> IsLockFree(const std::string& path) override { return real_.IsLockFree(path); }

  std::string fail_under;
  std::string fail_reads_under;  // ReadStateFile fails there
  int fail_errno = 0;

 private:
  RealDisk real_;
};

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::UseNagiosLayout(fs_, disk_, dir_.path(), config_).ok());
    config_.verify_command = "verify {config}";
    // The self-check host has tests of its own; elsewhere it would be one
    // more host in every count.
    config_.self_check_host = "none";
    // Nagios stand-in: refuses any configuration naming a host "broken...".
    runner_.On("verify", [this](const std::vector<std::string>& argv) {
      ++verifications_;
      auto cfg = fs_.ReadFile(argv.at(1), 1 << 20);
      size_t at = 0;
      while ((at = cfg->find("cfg_file=", at)) != std::string::npos) {
        const size_t end = cfg->find('\n', at);
        auto file = fs_.ReadFile(cfg->substr(at + 9, end - at - 9), 1 << 20);
        if (file && file->find("host_name               broken") != std::string::npos) {
          return Result<ProcessResult>(ProcessResult{1, false, "Error: host 'broken' is bad\n"});
        }
        at = end;
      }
      return Result<ProcessResult>(ProcessResult{0, false, "Things look okay\n"});
    });
  }

  // Runs `call` on a Registrar reading `input`, as a command would.
  int Run(const std::function<int(Registrar&)>& call, const std::string& input = "") {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    const Environment env{fs_,
                          disk_,
                          runner_,
                          [] { return std::string("2026-11-21T12:00:00Z"); },
                          in,
                          out_,
                          err_,
                          [this] { return now_; },
                          [this](const std::string& line) { audit_.push_back(line); }};
    Registrar registrar(config_, env);
    return call(registrar);
  }
  int Receive(const std::string& document, const std::string& host = "web01.example.org") {
    return Run([&](Registrar& r) { return r.Receive(host); }, document);
  }
  // backend = checkmk with a private stand-in site under the test's
  // directory; the sandbox's python3 runs for real.
  void UseCheckmkSite() {
    const std::string& t = dir_.path();
    config_.backend = backends::BackendKind::kCheckmk;
    config_.checkmk_site = "mysite";
    config_.checkmk_conf_dir = t + "/site/conf.d/automon";
    config_.checkmk_plugins_dir = "/omd/sites/mysite/lib/nagios/plugins";
    config_.checkmk_activate_command = "activate {site}";
    ASSERT_TRUE(disk_.MakeDirectory(t + "/site", 0755).ok());
    ASSERT_TRUE(disk_.MakeDirectory(t + "/site/conf.d", 0755).ok());
  }
  // Stores `count` hosts h0000.example.org, ... directly (as receive would
  // have), host i with generation i + 1 and the definitions definitions(i).
  static std::string Numbered(int i) { return fmt::format("h{:04d}.example.org", i); }
  void StoreNumberedHosts(HostStore& store, int count,
                          const std::function<std::string(int)>& definitions) {
    ASSERT_TRUE(store.Initialise().ok());
    for (int i = 0; i < count; ++i) {
      formats::Snapshot s;
      s.host = Numbered(i);
      s.generation = static_cast<uint64_t>(i + 1);
      s.services = formats::ParseDefinitions(definitions(i), "/m/x").services;
      ASSERT_TRUE(store.Save(s).ok());
    }
  }
  std::string Secret(const std::string& host, const std::string& service, uint64_t generation) {
    return backends::SecretFilePath(config_.state_dir + "/secrets", host, service, generation);
  }
  std::string Live(const std::string& host = "web01.example.org") {
    auto content = fs_.ReadFile(config_.output_dir + "/" + HostFileName(host), 1 << 20);
    return content ? *content : "(missing)";
  }

  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  FaultyDisk disk_;
  automon::testing::FakeProcessRunner runner_;
  Config config_;
  std::ostringstream out_;
  std::ostringstream err_;
  int verifications_ = 0;
  int64_t now_ = 1'800'000'000;  // the fake clock: 2027-01-15T08:00:00Z
  std::vector<std::string> audit_;
};

TEST_F(RegistrarTest, ReceiveActivatesAndReportsEveryService) {
  EXPECT_EQ(Receive(Document(1, "[web]\ntype = http\n[ssh]\ntype = ssh\n")), kOk) << out_.str();
  EXPECT_EQ(out_.str(), "web: active\nssh: active\n");
  EXPECT_NE(Live().find("service_description     ssh"), std::string::npos);
  EXPECT_NE(fs_.ReadFile(config_.output_dir + "/automon.cfg", 1 << 20).value().find("automon_ssh"),
            std::string::npos);
  EXPECT_NE(fs_.ReadFile(config_.output_dir + "/local-templates.cfg", 1 << 20)
                .value()
                .find("define host { tpl }"),
            std::string::npos);
  EXPECT_EQ(runner_.calls().back(), std::vector<std::string>{"reload"});
}

TEST_F(RegistrarTest, ReceiveActivatesEverythingPendingTogether) {
  // Another receive validated b and is still in its quiet period.
  HostStore store(fs_, disk_, config_.state_dir, "nagios");
  ASSERT_TRUE(store.Initialise().ok());
  formats::Snapshot b;
  b.host = "b.example.org";
  b.generation = 4;
  b.services = formats::ParseDefinitions("[ssh]\ntype = ssh\n", "/m/x").services;
  ASSERT_TRUE(store.SavePending(b).ok());

  EXPECT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk) << out_.str();
  EXPECT_EQ(verifications_, 1) << "one verification for both hosts";
  EXPECT_NE(Live("b.example.org"), "(missing)");
  EXPECT_EQ(store.LoadResult("b.example.org").value(),
            std::optional<ActivationResult>(ActivationResult{4, "active", ""}));
  EXPECT_TRUE(store.PendingHosts()->empty());
  EXPECT_EQ(store.Load("b.example.org").value()->generation, 4u);
}

TEST_F(RegistrarTest, APendingRegistrationNeverUndoesARemove) {
  HostStore store(fs_, disk_, config_.state_dir, "nagios");
  ASSERT_TRUE(store.Initialise().ok());
  formats::Snapshot b;
  b.host = "b.example.org";
  b.generation = 4;
  b.services = formats::ParseDefinitions("[ssh]\ntype = ssh\n", "/m/x").services;
  // b waits in its quiet period while the administrator removes it ...
  ASSERT_TRUE(store.SavePending(b).ok());
  ASSERT_EQ(Run([&](Registrar& r) { return r.Remove("b.example.org"); }), kOk) << err_.str();
  EXPECT_TRUE(store.PendingHosts()->empty());
  // ... or removes it just after it was validated.
  ASSERT_TRUE(store.SavePending(b).ok());
  EXPECT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  EXPECT_EQ(Live("b.example.org"), "(missing)");
  auto result = store.LoadResult("b.example.org");
  ASSERT_TRUE(result.ok() && result->has_value());
  EXPECT_EQ((*result)->state, "failed");
  EXPECT_EQ((*result)->reason,
            "host 'b.example.org' was removed by the administrator at "
            "2026-11-21T12:00:00Z");
}

TEST_F(RegistrarTest, AnOlderOutcomeIsNeverReportedForANewPush) {
  // The configuration is broken for everyone: the push fails, and so does
  // the identical retry, which is activated again rather than answered
  // from the first outcome.
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_.path() + "/conf.d/admin.cfg",
                                  "host_name               broken\n", 0644)
                  .ok());
  const std::string doc = Document(1, "[ssh]\ntype = ssh\n");
  EXPECT_EQ(Receive(doc), kRefused);
  const int first = verifications_;
  EXPECT_EQ(Receive(doc), kRefused);
  EXPECT_GT(verifications_, first);
  ASSERT_TRUE(disk_.RemoveFile(dir_.path() + "/conf.d/admin.cfg").ok());
  EXPECT_EQ(Receive(doc), kOk) << out_.str();
}

TEST_F(RegistrarTest, ReceivingTheSameSnapshotAgainDoesNotReload) {
  const std::string doc = Document(1, "[ssh]\ntype = ssh\n");
  ASSERT_EQ(Receive(doc), kOk);
  const size_t calls = runner_.calls().size();
  ASSERT_EQ(Receive(doc), kOk);
  EXPECT_EQ(out_.str(), "ssh: active\n");
  EXPECT_EQ(runner_.calls().size(), calls) << "no verify, no reload";
}

TEST_F(RegistrarTest, AnInvalidServiceIsRejectedAloneAndKeepsItsAcceptedDefinition) {
  ASSERT_EQ(Receive(Document(1, "[web]\ntype = http\n[ssh]\ntype = ssh\n")), kOk);
  std::string doc = Document(2, "[web]\ntype = http\nport = 8080\n[ssh]\ntype = ssh\n");
  doc.replace(doc.find("port = 8080"), 11, "port = 99999");
  EXPECT_EQ(Receive(Rehash(doc)), kPartial);
  EXPECT_EQ(out_.str(),
            "ssh: active\n"
            "web: rejected: snapshot from web01.example.org:17:8: invalid value '99999' for "
            "'port': expected a number from 1 to 65535 (the accepted definition stays active)\n");
  EXPECT_NE(Live().find("automon_http!192.0.2.10!web01.example.org!80!"), std::string::npos)
      << Live();
  EXPECT_NE(Live().find("(generation 2)"), std::string::npos);
}

TEST_F(RegistrarTest, MissingServicesNotListedAsRemovedRefuseTheWholeSnapshot) {
  ASSERT_EQ(Receive(Document(1, "[web]\ntype = http\n[ssh]\ntype = ssh\n")), kOk);
  const std::string before = Live();
  EXPECT_EQ(Receive(Document(2, "[ssh]\ntype = ssh\n")), kRefused);
  EXPECT_EQ(out_.str(),
            "refused: 1 service of the accepted generation 1 is missing and not listed as "
            "removed: 'web' (a truncated or partial read on the host must not delete services)\n");
  EXPECT_EQ(Live(), before);
  EXPECT_EQ(Receive(Document(2, "")), kRefused) << "an empty read never wipes a host";
  EXPECT_EQ(
      Receive(Document(2, "[ssh]\ntype = ssh\n", {{"web", formats::RemovalReason::kDeleted}})),
      kOk);
  EXPECT_EQ(out_.str(), "ssh: active\nweb: removed (deleted)\n");
  EXPECT_EQ(Live().find("service_description     web"), std::string::npos);
}

TEST_F(RegistrarTest, RefusesForeignStaleAndTamperedSnapshots) {
  ASSERT_EQ(Receive(Document(5, "[ssh]\ntype = ssh\n")), kOk);
  EXPECT_EQ(Receive(Document(6, "[ssh]\ntype = ssh\n", {}, "other.example.org")), kRefused);
  EXPECT_EQ(out_.str(),
            "refused: the snapshot is for host 'other.example.org', but this "
            "connection registers 'web01.example.org'\n");
  EXPECT_EQ(Receive(Document(4, "[ssh]\ntype = ssh\n")), kRefused);
  EXPECT_EQ(out_.str(), "refused: generation 4 is older than the accepted generation 5\n");
  std::string tampered = Document(6, "[ssh]\ntype = ssh\nport = 22\n");
  tampered.replace(tampered.find("port = 22"), 9, "port = 23");
  EXPECT_EQ(Receive(tampered), kRefused);
  EXPECT_TRUE(
      out_.str().starts_with("refused: snapshot from web01.example.org: snapshot "
                             "refused: content hash mismatch"))
      << out_.str();
  EXPECT_EQ(Receive("", "bad host!"), kRefused);
  EXPECT_TRUE(out_.str().starts_with("refused: invalid host name 'bad host!'")) << out_.str();
}

TEST_F(RegistrarTest, OversizedInputIsRefusedAsSuch) {
  EXPECT_EQ(Receive(std::string(formats::kMaxSnapshotBytes + 10, '#')), kRefused);
  EXPECT_EQ(out_.str(),
            "refused: snapshot from web01.example.org: snapshot refused: 4194305 "
            "bytes is over the limit of 4194304\n");
}

// A document under the size limit whose stored form (defaults filled in)
// is over it: refused with that reason, not "superseded by generation 0".
TEST_F(RegistrarTest, AStoredFormOverTheLimitIsRefusedAsSuch) {
  auto make = [](size_t source_length) {
    formats::Snapshot s;
    s.host = "web01.example.org";
    s.generation = 1;
    for (int i = 0; i < 1000; ++i) {
      // The length goes into the source and the password (each line of a
      // document is at most 4096 bytes).
      const size_t in_source = std::min<size_t>(source_length, 4000);
      const auto parsed = formats::ParseDefinitions(
          fmt::format("[s{:03}]\ntype = imap\nusername = u\npassword = p{}\n", i,
                      std::string(source_length - in_source, 'p')),
          "/" + std::string(in_source, 'a'));
      s.services.push_back(parsed.services.at(0));
    }
    // The same services, the default lines left out: still valid, smaller.
    std::string text = formats::SerializeSnapshot(s);
    std::string compact;
    size_t at = 0;
    while (at < text.size()) {
      const size_t end = text.find('\n', at) + 1;
      const std::string_view line(text.data() + at, end - at);
      if (!line.starts_with("description = ") && !line.starts_with("enabled = ")) {
        compact += line;
      }
      at = end;
    }
    return std::pair{Rehash(compact), text.size()};
  };
  const auto [small, small_stored] = make(0);
  // Sources long enough for the stored form to be over the limit by half
  // of what the defaults add, so that the document is under it.
  const size_t added = small_stored - small.size();
  const size_t length = (formats::kMaxSnapshotBytes + added / 2 - small_stored) / 1000 + 1;
  const auto [document, stored] = make(length);
  ASSERT_LE(document.size(), formats::kMaxSnapshotBytes);
  ASSERT_GT(stored, formats::kMaxSnapshotBytes);
  EXPECT_EQ(Receive(document), kRefused);
  EXPECT_EQ(out_.str(), fmt::format("refused: the snapshot's stored form (defaults filled in) is "
                                    "{} bytes, over the limit of 4194304; register fewer "
                                    "services or shorter values\n",
                                    stored));
  EXPECT_EQ(Live(), "(missing)");
}

// Whatever keeps the waiting snapshot from being read back, the host is
// told why, not "superseded by generation 0".
TEST_F(RegistrarTest, AnUnreadablePendingSnapshotIsReportedAsSuch) {
  disk_.fail_reads_under = config_.state_dir + "/pending/";
  disk_.fail_errno = EIO;
  EXPECT_EQ(Receive(Document(5, "[ssh]\ntype = ssh\n")), kRefused);
  EXPECT_EQ(out_.str(), "refused: not activated: read(" + config_.state_dir +
                            "/pending/web01.example.org.snapshot): " + std::strerror(EIO) + "\n");
}

TEST_F(RegistrarTest, LongHostNamesWorkUpToTheLimitAndAreRefusedBeyondIt) {
  const std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                              std::string(63, 'c') + "." + std::string(38, 'd');
  ASSERT_EQ(longest.size(), formats::kMaxRegisteredHostNameBytes);
  const std::string services = "[guac]\ntype = guacamole\npassword = pw\n";
  EXPECT_EQ(Receive(Document(1, services, {}, longest), longest), kOk) << out_.str();
  EXPECT_NE(Live(longest), "(missing)");
  EXPECT_EQ(Run([&](Registrar& r) { return r.Show(longest); }), kOk) << err_.str();
  EXPECT_EQ(Run([&](Registrar& r) { return r.Remove(longest); }), kOk) << err_.str();
  EXPECT_EQ(Run([&](Registrar& r) { return r.Readmit(longest); }), kOk) << err_.str();
  // 235 to 253 bytes failed inside (mkostemp: File name too long).
  for (const std::string& name :
       {longest + ".e", longest + ".eeee", longest + "." + std::string(22, 'e')}) {
    EXPECT_EQ(Receive(Document(1, services, {}, name), name), kRefused);
    EXPECT_EQ(out_.str(), fmt::format("refused: host name '{}' is {} bytes long; a registered "
                                      "host name is at most 230 bytes (the registrar's file "
                                      "names are made from it)\n",
                                      name, name.size()));
  }
}

// A registration that arrives alone is activated at once; the quiet
// period is waited only while others are arriving (their receive holds the
// arrivals lock), and no longer than they take.
TEST_F(RegistrarTest, TheQuietPeriodIsWaitedOnlyWhileOthersArrive) {
  config_.quiet_period_ms = 5000;
  using std::chrono::milliseconds;
  using std::chrono::steady_clock;
  auto start = steady_clock::now();
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk) << out_.str();
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000)) << "waited with nobody arriving";

  // Another registration is being received for 600 ms.
  auto other = disk_.LockShared(config_.state_dir + "/arrivals.lock");
  ASSERT_TRUE(other.ok()) << other.error().message;
  std::thread finishes([&] {
    std::this_thread::sleep_for(milliseconds(600));
    other->Reset();
  });
  start = steady_clock::now();
  ASSERT_EQ(Receive(Document(2, "[ssh]\ntype = ssh\n")), kOk) << out_.str();
  const auto waited = steady_clock::now() - start;
  finishes.join();
  EXPECT_GE(waited, milliseconds(550)) << "did not wait for the registration arriving";
  EXPECT_LT(waited, milliseconds(3000)) << "waited for the whole quiet period";
}

// Issue 18 item 6: 17 sections x 60 unknown 4,000-byte keys echoed about
// 4 MB back. Each rejected service now says its first errors, each
// quoting at most 100 bytes of the key.
TEST_F(RegistrarTest, TheAnswerToAHostileDocumentIsSmall) {
  std::string definitions;
  for (int i = 0; i < 17; ++i) definitions += fmt::format("[s{}]\ntype = ssh\n", i);
  std::string text = Document(1, definitions);
  for (int i = 0; i < 17; ++i) {
    std::string keys;
    for (int k = 0; k < 60; ++k) keys += fmt::format("{}{:03} = x\n", std::string(3996, 'k'), k);
    const std::string header = fmt::format("[s{}]\n", i);
    text.insert(text.find(header) + header.size(), keys);
  }
  text = Rehash(text);
  ASSERT_GT(text.size(), 4000000u);
  ASSERT_LE(text.size(), formats::kMaxSnapshotBytes);
  EXPECT_EQ(Receive(text), kPartial) << out_.str().substr(0, 500);
  EXPECT_LT(out_.str().size(), 32u * 1024) << out_.str().substr(0, 500);
  EXPECT_NE(out_.str().find("s0: rejected: snapshot from web01.example.org:"), std::string::npos)
      << out_.str().substr(0, 500);
  EXPECT_NE(out_.str().find("... (3999 bytes)' for type ssh; and 55 more errors"),
            std::string::npos)
      << out_.str().substr(0, 1000);
}

TEST_F(RegistrarTest, ABrokenHostIsQuarantinedAndKeepsItsLastGoodFiles) {
  ASSERT_EQ(
      Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "broken.example.org"), "broken.example.org"),
      kRefused);
  EXPECT_EQ(out_.str(),
            "refused: quarantined: Nagios refuses this host's configuration, so its last "
            "accepted configuration stays active: Error: host 'broken' is bad\n");
  EXPECT_EQ(Live("broken.example.org"), "(missing)");
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(out_.str(),
            "broken.example.org                       quarantined, nothing accepted yet\n");
  // Another host is unaffected.
  EXPECT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
}

// A store from before the buckets kept secrets/<host>/<service>.<gen>.password;
// a render moves the hosts it makes live to the buckets and removes their
// old directories, and those of hosts no longer registered, but not those
// of a host whose old live file still names them.
TEST_F(RegistrarTest, RenderRemovesTheSecretsOfAStoreFromBeforeTheBuckets) {
  ASSERT_EQ(Receive(Document(1, "[guac]\ntype = guacamole\npassword = one\n")), kOk) << out_.str();
  HostStore store(fs_, disk_, config_.state_dir, "nagios");
  formats::Snapshot broken;
  broken.host = "broken.example.org";
  broken.generation = 1;
  broken.services =
      formats::ParseDefinitions("[guac]\ntype = guacamole\npassword = b\n", "/m/x").services;
  ASSERT_TRUE(store.Save(broken).ok());
  const std::string secrets = config_.state_dir + "/secrets/";
  for (const std::string host : {"web01.example.org", "gone.example.org", "broken.example.org"}) {
    ASSERT_TRUE(fs_.MakeDirectories(secrets + host, 0750).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(secrets + host + "/guac.1.password", "old\n", 0640).ok());
  }
  std::filesystem::remove_all(config_.output_dir);
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kPartial) << err_.str();
  EXPECT_NE(out_.str().find("broken.example.org: quarantined"), std::string::npos) << out_.str();
  EXPECT_NE(Live().find(Secret("web01.example.org", "guac", 1)), std::string::npos) << Live();
  EXPECT_EQ(fs_.ReadFile(Secret("web01.example.org", "guac", 1), 100).value(), "one\n");
  EXPECT_FALSE(fs_.ListDirectory(secrets + "web01.example.org").ok());
  EXPECT_FALSE(fs_.ListDirectory(secrets + "gone.example.org").ok());
  EXPECT_EQ(fs_.ReadFile(secrets + "broken.example.org/guac.1.password", 100).value(), "old\n");
  // Nothing left to move: a second render finds no old directory to remove
  // but the quarantined host's.
  EXPECT_EQ(store.LegacySecretHosts({}).value(), std::vector<std::string>{"broken.example.org"});
}

TEST_F(RegistrarTest, AReceiveRemovesTheHostsSecretsFromBeforeTheBuckets) {
  ASSERT_EQ(Receive(Document(1, "[guac]\ntype = guacamole\npassword = one\n")), kOk) << out_.str();
  const std::string old = config_.state_dir + "/secrets/web01.example.org";
  ASSERT_TRUE(fs_.MakeDirectories(old, 0750).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(old + "/guac.1.password", "one\n", 0640).ok());
  ASSERT_EQ(Receive(Document(2, "[guac]\ntype = guacamole\npassword = two\n")), kOk) << out_.str();
  EXPECT_FALSE(fs_.ListDirectory(old).ok());
  EXPECT_FALSE(fs_.ReadFile(Secret("web01.example.org", "guac", 1), 100).ok());
  EXPECT_EQ(fs_.ReadFile(Secret("web01.example.org", "guac", 2), 100).value(), "two\n");
}

// A render that makes a quarantined host's file live again clears its
// quarantine, and leaves the others' alone.
TEST_F(RegistrarTest, RenderClearsTheQuarantineOfAHostItMakesLive) {
  ASSERT_EQ(Receive(Document(1, "[guac]\ntype = guacamole\npassword = one\n")), kOk) << out_.str();
  ASSERT_EQ(
      Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "other.example.org"), "other.example.org"),
      kOk);
  HostStore store(fs_, disk_, config_.state_dir, "nagios");
  ASSERT_TRUE(store.SetQuarantine("web01.example.org", "was broken\n").ok());
  ASSERT_TRUE(store.SetQuarantine("gone.example.org", "not registered\n").ok());
  EXPECT_EQ(store.QuarantinedHosts().value(),
            (std::set<std::string>{"gone.example.org", "web01.example.org"}));
  std::filesystem::remove_all(config_.output_dir);
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << err_.str();
  EXPECT_EQ(store.QuarantineReason("web01.example.org").value(), std::nullopt);
  EXPECT_EQ(store.QuarantinedHosts().value(), std::set<std::string>{"gone.example.org"});
}

TEST_F(RegistrarTest, AFailedSwapLeavesEveryHostOfTheBatchAsItWas) {
  const std::string first = Document(1, "[guac]\ntype = guacamole\npassword = one\n");
  ASSERT_EQ(Receive(first), kOk) << out_.str();
  auto listing = [&] {
    Run([](Registrar& r) { return r.Hosts(); });
    return out_.str();
  };
  const std::string hosts_before = listing();
  const std::string live_before = Live();
  for (int error : {ENOSPC, EIO}) {
    disk_.fail_under = config_.output_dir + "/hosts/";
    disk_.fail_errno = error;
    // An update of a known host, then a first registration.
    EXPECT_EQ(Receive(Document(2, "[guac]\ntype = guacamole\npassword = two\n")), kRefused);
    EXPECT_TRUE(out_.str().starts_with("refused: not activated: rename(")) << out_.str();
    EXPECT_NE(out_.str().find(std::strerror(error)), std::string::npos) << out_.str();
    EXPECT_EQ(
        Receive(Document(1, "[guac]\ntype = guacamole\npassword = new\n", {}, "new.example.org"),
                "new.example.org"),
        kRefused);
    EXPECT_EQ(listing(), hosts_before) << strerror(error);
    EXPECT_EQ(Live(), live_before);
    EXPECT_EQ(Live("new.example.org"), "(missing)");
    EXPECT_EQ(fs_.ReadFile(Secret("web01.example.org", "guac", 1), 100).value(), "one\n");
    EXPECT_FALSE(fs_.ReadFile(Secret("web01.example.org", "guac", 2), 100).ok());
    EXPECT_FALSE(fs_.ReadFile(Secret("new.example.org", "guac", 1), 100).ok());
  }
  // With the disk repaired, the same pushes work.
  disk_.fail_errno = 0;
  EXPECT_EQ(Receive(Document(2, "[guac]\ntype = guacamole\npassword = two\n")), kOk) << out_.str();
  EXPECT_EQ(fs_.ReadFile(Secret("web01.example.org", "guac", 2), 100).value(), "two\n");
}

TEST_F(RegistrarTest, ASymlinkedBucketActivatesNothingOfTheHost) {
  const std::string host = "new.example.org";
  const std::string bucket = config_.output_dir + "/" + HostFileName(host);
  ASSERT_TRUE(disk_.MakeDirectory(config_.output_dir, 0755).ok());
  ASSERT_TRUE(disk_.MakeDirectory(config_.output_dir + "/hosts", 0755).ok());
  const std::string elsewhere = dir_.path() + "/elsewhere";
  ASSERT_TRUE(disk_.MakeDirectory(elsewhere, 0755).ok());
  const std::string bucket_dir = bucket.substr(0, bucket.rfind('/'));
  ASSERT_EQ(::symlink(elsewhere.c_str(), bucket_dir.c_str()), 0);
  EXPECT_EQ(Receive(Document(1, "[guac]\ntype = guacamole\npassword = pw\n", {}, host), host),
            kRefused);
  EXPECT_TRUE(out_.str().starts_with("refused: not activated: ")) << out_.str();
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(out_.str().find(host), std::string::npos) << out_.str();
  EXPECT_FALSE(fs_.ReadFile(Secret(host, "guac", 1), 100).ok());
  EXPECT_TRUE(fs_.ListDirectory(elsewhere).value().empty());
}

TEST_F(RegistrarTest, ARefusalNeverQuotesAStateFile) {
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  const std::string target = dir_.path() + "/shadow";
  ASSERT_TRUE(fs_.WriteFileAtomic(target, "[x\nroot:$6$TOPSECRET:19000::::::\n", 0600).ok());
  const std::string stored = config_.state_dir + "/hosts/web01.example.org.snapshot";
  ASSERT_TRUE(disk_.RemoveFile(stored).ok());
  ASSERT_EQ(::symlink(target.c_str(), stored.c_str()), 0);
  EXPECT_EQ(Receive(Document(2, "[ssh]\ntype = ssh\n")), kRefused);
  EXPECT_EQ(out_.str(), "refused: " + stored +
                            ": is a symbolic link; the registrar's state files are never "
                            "followed\n");
  // A damaged regular file: refused, and its content is not shown.
  ASSERT_TRUE(disk_.RemoveFile(stored).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(stored, "[x\nroot:$6$TOPSECRET:19000::::::\n", 0600).ok());
  EXPECT_EQ(Receive(Document(2, "[ssh]\ntype = ssh\n")), kRefused);
  EXPECT_EQ(out_.str().find("TOPSECRET"), std::string::npos) << out_.str();
}

TEST_F(RegistrarTest, RefusalsMaskBidiAndLineSeparators) {
  // U+202E and U+2028 in the host name the host claims.
  EXPECT_EQ(Receive("", "evil\xE2\x80\xAEgro.elpmaxe\xE2\x80\xA8x"), kRefused);
  EXPECT_EQ(out_.str(),
            "refused: invalid host name 'evil   gro.elpmaxe   x': expected a host "
            "name (RFC 1123: letters, digits, '-' and '.') or an IPv4 address\n");
}

TEST_F(RegistrarTest, RemoveWritesATombstoneUntilReadmit) {
  ASSERT_EQ(Receive(Document(3, "[guac]\ntype = guacamole\npassword = pw\n")), kOk);
  const std::string secret = Secret("web01.example.org", "guac", 3);
  EXPECT_EQ(fs_.ReadFile(secret, 100).value(), "pw\n");
  ASSERT_EQ(Run([&](Registrar& r) { return r.Remove("web01.example.org"); }), kOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "removed web01.example.org; its registrations are refused until "
            "'automon-registrar readmit web01.example.org'\n");
  EXPECT_EQ(Live(), "(missing)");
  EXPECT_FALSE(fs_.ReadFile(secret, 100).ok());
  EXPECT_EQ(Receive(Document(4, "[ssh]\ntype = ssh\n")), kRefused);
  EXPECT_EQ(out_.str(),
            "refused: host 'web01.example.org' was removed by the administrator at "
            "2026-11-21T12:00:00Z; run 'automon-registrar readmit "
            "web01.example.org' on the registrar to accept it again\n");
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(out_.str(),
            "web01.example.org                        removed at 2026-11-21T12:00:00Z\n");
  ASSERT_EQ(Run([&](Registrar& r) { return r.Readmit("web01.example.org"); }), kOk);
  EXPECT_EQ(Receive(Document(4, "[ssh]\ntype = ssh\n")), kOk);
}

TEST_F(RegistrarTest, DeregisterRemovesWithoutATombstone) {
  ASSERT_EQ(Receive(Document(3, "[ssh]\ntype = ssh\n")), kOk);
  std::istringstream in;
  const Environment env{fs_, disk_, runner_, [] { return std::string("T"); }, in, out_, err_};
  Registrar registrar(config_, env);
  out_.str("");
  ASSERT_EQ(registrar.Deregister("web01.example.org"), kOk) << err_.str();
  EXPECT_EQ(out_.str(), "deregistered web01.example.org\n");
  EXPECT_EQ(Live(), "(missing)");
  EXPECT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk) << "a reinstalled host starts over";
}

TEST_F(RegistrarTest, HostsAndShowNeverPrintSecrets) {
  ASSERT_EQ(Receive(Document(3, "[guac]\ntype = guacamole\npassword = hunter2\n")), kOk);
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(out_.str(),
            "web01.example.org                        generation 3        services 1    active\n");
  ASSERT_EQ(Run([&](Registrar& r) { return r.Show("web01.example.org"); }), kOk);
  EXPECT_EQ(out_.str().find("hunter2"), std::string::npos);
  EXPECT_NE(out_.str().find("password = (secret)"), std::string::npos) << out_.str();
  EXPECT_TRUE(
      out_.str().starts_with("host web01.example.org\naddress 192.0.2.10\ngeneration 3\n"
                             "state active\n"))
      << out_.str();
  EXPECT_EQ(Live().find("hunter2"), std::string::npos);
  EXPECT_EQ(Run([&](Registrar& r) { return r.Show("nobody.example.org"); }), kRefused);
  EXPECT_EQ(err_.str(), "automon-registrar: no host 'nobody.example.org' is registered\n");
}

TEST_F(RegistrarTest, HostsJsonDescribesEveryHostWithItsServices) {
  ASSERT_EQ(Receive(Document(3,
                             "[guac]\ntype = guacamole\npassword = hunter2\n"
                             "[ssh]\ntype = ssh\ndescription = Secure shell\n")),
            kOk)
      << out_.str();
  ASSERT_EQ(
      Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "broken.example.org"), "broken.example.org"),
      kRefused);
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "gone.example.org"), "gone.example.org"),
            kOk);
  ASSERT_EQ(Run([&](Registrar& r) { return r.Remove("gone.example.org"); }), kOk);

  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(OutputFormat::kJson); }), kOk) << err_.str();
  const std::string text = out_.str();
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  const nlohmann::json doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["version"], 1);
  ASSERT_EQ(doc["hosts"].size(), 3u) << text;
  std::map<std::string, nlohmann::json> hosts;
  for (const nlohmann::json& h : doc["hosts"]) hosts[h["name"]] = h;

  const nlohmann::json& web = hosts["web01.example.org"];
  EXPECT_EQ(web["state"], "active");
  EXPECT_EQ(web["reason"], nullptr);
  EXPECT_EQ(web["address"], "192.0.2.10");
  EXPECT_EQ(web["generation"], 3);
  EXPECT_EQ(web["last_seen"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(web["lifecycle"], "active");
  EXPECT_EQ(web["removed_at"], nullptr);
  EXPECT_EQ(web["services"], nlohmann::json::parse(R"([
      {"name": "guac", "type": "guacamole", "description": "guac", "state": "active"},
      {"name": "ssh", "type": "ssh", "description": "Secure shell",
       "state": "active"}])"));

  const nlohmann::json& broken = hosts["broken.example.org"];
  EXPECT_EQ(broken["state"], "quarantined");
  EXPECT_EQ(broken["generation"], nullptr);
  EXPECT_EQ(broken["services"], nlohmann::json::array());
  EXPECT_NE(broken["reason"].get<std::string>().find("host 'broken' is bad"), std::string::npos);
  // show exits as its text form does: nothing of that host is accepted.
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("broken.example.org", OutputFormat::kJson); }),
            kRefused);
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("broken.example.org"); }), kRefused);

  const nlohmann::json& gone = hosts["gone.example.org"];
  EXPECT_EQ(gone["state"], "removed");
  EXPECT_EQ(gone["removed_at"], "2026-11-21T12:00:00Z");
  EXPECT_EQ(gone["generation"], 1);
}

TEST_F(RegistrarTest, ShowJsonIsOneHostAndFailsAsTheTextDoes) {
  ASSERT_EQ(Receive(Document(2, "[web]\ntype = http\n")), kOk);
  ASSERT_EQ(Run([](Registrar& r) { return r.Show("web01.example.org", OutputFormat::kJson); }), kOk)
      << err_.str();
  const nlohmann::json doc = nlohmann::json::parse(out_.str());
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["host"], nlohmann::json::parse(R"({
      "name": "web01.example.org", "state": "active", "reason": null,
      "address": "192.0.2.10", "generation": 2, "last_seen": "2027-01-15T08:00:00Z",
      "removed_at": null, "lifecycle": "active",
      "services": [{"name": "web", "type": "http", "description": "web", "state": "active"}]})"))
      << out_.str();
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("nobody.example.org", OutputFormat::kJson); }),
            kRefused);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "automon-registrar: no host 'nobody.example.org' is registered\n");
  EXPECT_EQ(Run([](Registrar& r) { return r.Show("-x", OutputFormat::kJson); }), kRefused);
  EXPECT_EQ(out_.str(), "");

  ASSERT_EQ(Run([&](Registrar& r) { return r.Remove("web01.example.org"); }), kOk);
  ASSERT_EQ(Run([](Registrar& r) { return r.Show("web01.example.org", OutputFormat::kJson); }),
            kOk);
  const nlohmann::json removed = nlohmann::json::parse(out_.str())["host"];
  EXPECT_EQ(removed["state"], "removed");
  EXPECT_EQ(removed["generation"], 2);
  EXPECT_EQ(removed["services"], nlohmann::json::array());
}

TEST_F(RegistrarTest, RenderRegeneratesEveryHostAndRemovesStrayFiles) {
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "b.example.org"), "b.example.org"), kOk);
  ASSERT_TRUE(disk_.MakeDirectory(config_.output_dir + "/hosts/00", 0755).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(config_.output_dir + "/hosts/00/stray.example.org.cfg",
                                  "define host { stray }\n", 0644)
                  .ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(config_.templates_file, "define host { tpl2 }\n", 0644).ok());
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << err_.str();
  EXPECT_EQ(out_.str(), "3 hosts active (1 changed, 2 unchanged), Nagios reloaded\n");
  EXPECT_FALSE(fs_.ReadFile(config_.output_dir + "/hosts/00/stray.example.org.cfg", 100).ok());
  EXPECT_NE(fs_.ReadFile(config_.output_dir + "/local-templates.cfg", 1 << 20).value().find("tpl2"),
            std::string::npos);
}

TEST_F(RegistrarTest, RenderKeepsTheLiveFileOfAHostItCannotLoad) {
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "b.example.org"), "b.example.org"), kOk);
  const std::string b_live = Live("b.example.org");
  ASSERT_NE(b_live, "(missing)");
  // b's stored snapshot cannot be read this time (damaged, or an I/O error).
  auto stored = fs_.ListDirectory(config_.state_dir + "/hosts");
  ASSERT_TRUE(stored.ok());
  int damaged = 0;
  for (const DirectoryEntry& e : *stored) {
    if (!e.name.starts_with("b.example.org")) continue;
    ASSERT_TRUE(
        fs_.WriteFileAtomic(config_.state_dir + "/hosts/" + e.name, "garbage\n", 0600).ok());
    ++damaged;
  }
  ASSERT_EQ(damaged, 1);
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kPartial);
  EXPECT_NE(err_.str().find("automon-registrar: b.example.org: "), std::string::npos) << err_.str();
  EXPECT_EQ(Live("b.example.org"), b_live);  // not removed as "unlisted"
  EXPECT_NE(Live(), "(missing)");
}

// A store large enough that render reads and renders its hosts on several
// threads: the outcome is still one host's at a time, in order (the messages
// of hosts it cannot read in host order, every other host live with its own
// services and secret, a disabled host's checks switched off).
TEST_F(RegistrarTest, RenderOfAStoreReadOnSeveralThreadsIsTheSameAsInOrder) {
  HostStore store(fs_, disk_, config_.state_dir, "nagios");
  constexpr int kHosts = 600;
  const auto name = Numbered;
  ASSERT_NO_FATAL_FAILURE(StoreNumberedHosts(store, kHosts, [](int i) {
    return fmt::format("[ssh]\ntype = ssh\nport = {}\n[guac]\ntype = guacamole\npassword = pw{}\n",
                       2000 + i, i);
  }));
  ASSERT_TRUE(store.SaveLifecycle(name(7), {1, LifecycleState::kDisabled, 1, false}).ok());
  for (int i : {433, 17}) {  // damaged, named out of order
    ASSERT_TRUE(fs_.WriteFileAtomic(config_.state_dir + "/hosts/" + name(i) + ".snapshot",
                                    "garbage\n", 0600)
                    .ok());
  }
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kPartial);
  EXPECT_EQ(out_.str(), fmt::format("{} hosts active ({} changed, 0 unchanged), Nagios reloaded\n",
                                    kHosts - 2, kHosts - 2));
  const std::string err = err_.str();
  const size_t first = err.find("automon-registrar: " + name(17) + ": ");
  const size_t second = err.find("automon-registrar: " + name(433) + ": ");
  ASSERT_NE(first, std::string::npos) << err;
  ASSERT_NE(second, std::string::npos) << err;
  EXPECT_LT(first, second) << "messages in host order";
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err;
  for (int i = 0; i < kHosts; ++i) {
    const std::string live = Live(name(i));
    if (i == 17 || i == 433) {
      EXPECT_EQ(live, "(missing)") << name(i);
      continue;
    }
    EXPECT_NE(live.find("host_name               " + name(i) + "\n"), std::string::npos) << live;
    EXPECT_NE(live.find(fmt::format("automon_ssh!{}!{}\n", name(i), 2000 + i)), std::string::npos)
        << live;
    EXPECT_EQ(live.find("active_checks_enabled   0") != std::string::npos, i == 7) << name(i);
    auto secret = fs_.ReadFile(Secret(name(i), "guac", i + 1), 100);
    ASSERT_TRUE(secret.ok()) << name(i);
    EXPECT_EQ(*secret, fmt::format("pw{}\n", i));
  }
}

// backend = checkmk: the .mk file goes through the real sandbox check
// (python3), then the site's activate command runs; show, render and remove
// work on the .mk files; no Nagios file is written or verified.
TEST_F(RegistrarTest, CheckmkBackendWritesVerifiedMkFilesAndActivates) {
  ASSERT_NO_FATAL_FAILURE(UseCheckmkSite());
  RealProcessRunner real;
  runner_.On("/usr/bin/python3", [&real](const std::vector<std::string>& argv) {
    return real.Run(argv, std::chrono::seconds(60));
  });
  EXPECT_EQ(Receive(Document(1, "[web]\ntype = http\n[ssh]\ntype = ssh\n")), kOk) << out_.str();
  EXPECT_EQ(out_.str(), "web: active\nssh: active\n");
  auto mk = fs_.ReadFile(config_.checkmk_conf_dir + "/web01.example.org.mk", 1 << 20);
  ASSERT_TRUE(mk.ok());
  EXPECT_NE(mk->find("all_hosts += ['web01.example.org']"), std::string::npos);
  EXPECT_NE(mk->find("/omd/sites/mysite/lib/nagios/plugins/check_ssh"), std::string::npos);
  EXPECT_EQ(runner_.calls().back(), (std::vector<std::string>{"activate", "mysite"}));
  EXPECT_EQ(verifications_, 0);
  EXPECT_EQ(Live(), "(missing)");

  EXPECT_EQ(Run([&](Registrar& r) { return r.Show("web01.example.org"); }), kOk);
  EXPECT_NE(out_.str().find("config " + config_.checkmk_conf_dir + "/web01.example.org.mk"),
            std::string::npos);
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk);
  EXPECT_EQ(out_.str(), "1 hosts active (0 changed, 1 unchanged)\n");
  EXPECT_EQ(Run([&](Registrar& r) { return r.Remove("web01.example.org"); }), kOk);
  EXPECT_FALSE(fs_.ReadFile(config_.checkmk_conf_dir + "/web01.example.org.mk", 1 << 20).ok());
}

// A large batch goes to the sandbox as one process per core, each with a
// contiguous share of the files; a refusal in any share quarantines its host
// alone.
TEST_F(RegistrarTest, CheckmkSandboxOfALargeBatchRunsOneProcessPerCore) {
  ASSERT_NO_FATAL_FAILURE(UseCheckmkSite());
  HostStore store(fs_, disk_, config_.state_dir, "automon");
  constexpr int kHosts = 300;
  const auto name = Numbered;
  ASSERT_NO_FATAL_FAILURE(
      StoreNumberedHosts(store, kHosts, [](int) { return std::string("[ssh]\ntype = ssh\n"); }));
  RealProcessRunner real;
  std::vector<std::vector<std::string>> judged;  // the hosts of each sandbox process
  runner_.On("/usr/bin/python3", [&](const std::vector<std::string>& argv) {
    judged.emplace_back();
    for (size_t i = 5; i + 1 < argv.size(); i += 2) judged.back().push_back(argv[i]);
    auto result = real.Run(argv, std::chrono::seconds(60));
    const std::string ok = "OK\t" + name(250) + "\n";
    if (result && result->output.find(ok) != std::string::npos) {
      result->output.replace(result->output.find(ok), ok.size(),
                             "FAIL\t" + name(250) + "\tfaked refusal\n");
    }
    return result;
  });
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kPartial) << err_.str();
  const size_t processes = std::min<size_t>(Workers(), kHosts / 64);
  ASSERT_EQ(judged.size(), processes);
  std::vector<std::string> all;
  for (const auto& share : judged) {
    EXPECT_GE(share.size(), kHosts / processes - 1);
    all.insert(all.end(), share.begin(), share.end());
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kHosts)) << "each file judged once";
  for (int i = 0; i < kHosts; ++i) EXPECT_EQ(all[i], name(i)) << "contiguous shares, in order";
  EXPECT_NE(
      out_.str().find(name(250) + ": quarantined: the sandbox check refuses the generated file: "
                                  "faked refusal\n"),
      std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find(fmt::format("{} hosts active", kHosts - 1)), std::string::npos)
      << out_.str();
  EXPECT_FALSE(fs_.ReadFile(config_.checkmk_conf_dir + "/" + name(250) + ".mk", 1 << 20).ok());
  EXPECT_TRUE(fs_.ReadFile(config_.checkmk_conf_dir + "/" + name(249) + ".mk", 1 << 20).ok());
  EXPECT_TRUE(fs_.ReadFile(config_.checkmk_conf_dir + "/" + name(0) + ".mk", 1 << 20).ok());
}

// Every share must be judged whole: a sandbox process that leaves out one
// host of its share fails the activation, and nothing goes live.
TEST_F(RegistrarTest, CheckmkSandboxShareThatSkipsAHostActivatesNothing) {
  ASSERT_NO_FATAL_FAILURE(UseCheckmkSite());
  HostStore store(fs_, disk_, config_.state_dir, "automon");
  constexpr int kHosts = 300;
  ASSERT_NO_FATAL_FAILURE(
      StoreNumberedHosts(store, kHosts, [](int) { return std::string("[ssh]\ntype = ssh\n"); }));
  RealProcessRunner real;
  int processes = 0;
  runner_.On("/usr/bin/python3", [&](const std::vector<std::string>& argv) {
    ++processes;
    auto result = real.Run(argv, std::chrono::seconds(60));
    const std::string ok = "OK\t" + Numbered(kHosts - 1) + "\n";  // in the last share
    if (result && result->output.find(ok) != std::string::npos) {
      result->output.erase(result->output.find(ok), ok.size());
    }
    return result;
  });
  EXPECT_EQ(Run([](Registrar& r) { return r.Render(); }), kRefused) << out_.str();
  EXPECT_EQ(processes, static_cast<int>(std::min<size_t>(Workers(), kHosts / 64)));
  EXPECT_NE(err_.str().find("the sandbox check did not judge every file"), std::string::npos)
      << err_.str();
  for (int i : {0, 150, kHosts - 1}) {
    EXPECT_FALSE(fs_.ReadFile(config_.checkmk_conf_dir + "/" + Numbered(i) + ".mk", 1 << 20).ok())
        << Numbered(i);
  }
}

// Every line of the audit trail that starts with `prefix`.
std::vector<std::string> Lines(const std::vector<std::string>& lines, std::string_view prefix) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    if (l.starts_with(prefix)) out.push_back(l);
  }
  return out;
}

TEST_F(RegistrarTest, AuditTrailHasOneLinePerDecision) {
  ASSERT_TRUE(disk_.MakeDirectory(config_.state_dir, 0755).ok());
  ASSERT_TRUE(disk_.MakeDirectory(config_.state_dir + "/enrollment", 0700).ok());
  ASSERT_TRUE(disk_.MakeDirectory(config_.state_dir + "/enrollment/keys", 0700).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(config_.state_dir + "/enrollment/keys/web01.example.org",
                                  "[key]\nhost = web01.example.org\nfingerprint = SHA256:k1\n",
                                  0600)
                  .ok());
  ASSERT_EQ(Receive(Document(3, "[ssh]\ntype = ssh\n")), kOk);
  ASSERT_EQ(Receive(Document(2, "[ssh]\ntype = ssh\n")), kRefused);
  ASSERT_EQ(
      Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "broken.example.org"), "broken.example.org"),
      kRefused);
  ASSERT_EQ(Run([&](Registrar& r) { return r.Remove("web01.example.org"); }), kOk);
  ASSERT_EQ(Run([&](Registrar& r) { return r.Readmit("web01.example.org"); }), kOk);
  // NOLINTBEGIN(bugprone-suspicious-missing-comma): long lines, split on purpose
  EXPECT_EQ(audit_,
            (std::vector<std::string>{
                "audit: event=registered host=web01.example.org key=SHA256:k1 generation=3 "
                "reason=\"1 services active\"",
                "audit: event=refused host=web01.example.org key=SHA256:k1 generation=2 "
                "reason=\"generation 2 is older than the accepted generation 3\"",
                "audit: event=quarantined host=broken.example.org key=- generation=1 "
                "reason=\"Error: host 'broken' is bad\"",
                "audit: event=refused host=broken.example.org key=- generation=1 "
                "reason=\"quarantined: Nagios refuses this host's configuration, so its last "
                "accepted configuration stays active: Error: host 'broken' is bad\"",
                "audit: event=removed host=web01.example.org key=SHA256:k1 generation=3 "
                "reason=\"by the administrator; registrations refused until readmit\"",
                "audit: event=readmitted host=web01.example.org key=SHA256:k1 generation=- "
                "reason=\"by the administrator\"",
            }));
  // NOLINTEND(bugprone-suspicious-missing-comma)
  EXPECT_EQ(err_.str(), "");  // the trail goes to the log, not to the agent
}

TEST_F(RegistrarTest, FakeClockDrivesAHostThroughEveryLifecycleState) {
  config_.lifecycle.silent_after = 3600;
  config_.lifecycle.disable_after = 2 * 86400;
  config_.lifecycle.remove_after = 30 * 86400;
  const int64_t start = now_;
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  auto tick = [&](int64_t at) {
    now_ = at;
    LifecyclePlan plan;
    EXPECT_EQ(Run([&](Registrar& r) {
                auto p = r.RunLifecycle(start);
                EXPECT_TRUE(p.ok()) << p.error().message;
                if (p) plan = *p;
                return kOk;
              }),
              kOk);
    return plan;
  };
  EXPECT_TRUE(tick(start + 3599).transitions.empty());
  EXPECT_EQ(Live().find("active_checks_enabled"), std::string::npos);
  audit_.clear();
  LifecyclePlan plan = tick(start + 3600);
  ASSERT_EQ(plan.transitions.size(), 1u);
  EXPECT_EQ(plan.next_due, start + 2 * 86400);
  EXPECT_EQ(Lines(audit_, "audit: event=state"),
            (std::vector<std::string>{"audit: event=state host=web01.example.org key=- "
                                      "generation=1 reason=\"active -> silent: no push "
                                      "for 1h (last push 1h ago)\""}));
  ASSERT_EQ(Run([](Registrar& r) { return r.Check(); }), 1);
  EXPECT_TRUE(out_.str().starts_with("AUTOMON REGISTRAR WARNING - 1 silent |")) << out_.str();

  tick(start + 2 * 86400);
  EXPECT_NE(Live().find("active_checks_enabled   0"), std::string::npos) << Live();
  EXPECT_NE(Live().find("notifications_enabled   0"), std::string::npos) << Live();
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(OutputFormat::kJson); }), kOk);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["hosts"][0]["lifecycle"], "disabled");
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(); }), kOk);
  EXPECT_EQ(
      out_.str(),
      "web01.example.org                        generation 1        services 1    disabled\n");

  // A heartbeat (a contact without a snapshot) re-enables it too.
  now_ = start + 2 * 86400 + 60;
  ASSERT_EQ(Run([&](Registrar& r) {
              auto c = r.RecordContact("web01.example.org");
              EXPECT_TRUE(c.ok()) << c.error().message;
              return kOk;
            }),
            kOk);
  EXPECT_EQ(Live().find("active_checks_enabled"), std::string::npos) << Live();
  EXPECT_EQ(Run([&](Registrar& r) {
              return r.RecordContact("nobody.example.org").ok() ? kOk : kRefused;
            }),
            kRefused);
  tick(start + 2 * 86400 + 60 + 3600);  // silent again
  tick(start + 2 * 86400 + 60 + 2 * 86400);
  EXPECT_NE(Live().find("active_checks_enabled   0"), std::string::npos) << Live();

  // A push re-enables it at once.
  now_ = start + 5 * 86400;
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  EXPECT_EQ(Live().find("active_checks_enabled"), std::string::npos) << Live();
  EXPECT_EQ(Lines(audit_, "audit: event=state").back(),
            "audit: event=state host=web01.example.org key=- generation=1 "
            "reason=\"disabled -> active: pushed again\"");

  const int64_t pushed = now_;
  tick(pushed + 3600);
  tick(pushed + 2 * 86400);
  tick(pushed + 30 * 86400);
  EXPECT_EQ(Live(), "(missing)");
  EXPECT_EQ(Lines(audit_, "audit: event=removed").back(),
            "audit: event=removed host=web01.example.org key=- generation=1 reason=\"disabled "
            "-> removed: remove_after 30d (last push 30d ago)\"");
  // A late push is accepted, and the log says it came back.
  ASSERT_EQ(Receive(Document(2, "[ssh]\ntype = ssh\n")), kOk) << out_.str();
  EXPECT_EQ(Lines(audit_, "audit: event=returned").size(), 1u);
  EXPECT_NE(Lines(audit_, "audit: event=returned")[0].find("remove_after 30d"), std::string::npos);
}

TEST_F(RegistrarTest, GuardHoldsTheFleetAndTheSelfCheckSaysSo) {
  config_.lifecycle.silent_after = 3600;
  const int64_t start = now_;
  for (int i = 0; i < 10; ++i) {
    const std::string host = fmt::format("h{}.example.org", i);
    ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, host), host), kOk);
  }
  now_ = start + 3000;
  for (int i = 3; i < 10; ++i) {
    const std::string host = fmt::format("h{}.example.org", i);
    ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, host), host), kOk);
  }
  now_ = start + 3600;
  audit_.clear();
  ASSERT_EQ(Run([&](Registrar& r) { return r.RunLifecycle(start).ok() ? kOk : kRefused; }), kOk);
  EXPECT_EQ(audit_, (std::vector<std::string>{
                        "audit: event=state host=- key=- generation=- reason=\"mass-silence guard "
                        "holds: 3 of 10 hosts went silent within 1h; no host changes state\""}));
  ASSERT_EQ(Run([](Registrar& r) { return r.Check(); }), 1);
  EXPECT_TRUE(out_.str().starts_with("AUTOMON REGISTRAR WARNING - mass-silence guard holds"))
      << out_.str();
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(OutputFormat::kJson); }), kOk);
  // A named value: a range-for over a member of a temporary would read freed memory.
  const auto listing = nlohmann::json::parse(out_.str());
  ASSERT_EQ(listing["hosts"].size(), 10u);
  for (const auto& h : listing["hosts"]) EXPECT_EQ(h["lifecycle"], "active");
}

// `render` counts from what it has just read (Registrar::HostFacts); the
// status file says the same as when every host is read again.
TEST_F(RegistrarTest, RenderCountsServicesAndSilentHostsInTheStatusFile) {
  config_.lifecycle.silent_after = 3600;
  config_.lifecycle.silence_guard_percent = 100;
  const int64_t start = now_;
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n[web]\ntype = http\n")), kOk);
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "b.example.org"), "b.example.org"), kOk);
  now_ = start + 3000;
  ASSERT_EQ(Receive(Document(2,
                             "[ssh]\ntype = ssh\n[web]\ntype = http\n[t]\ntype = tcp\n"
                             "port = 7\n")),
            kOk);
  now_ = start + 3700;  // b.example.org has been quiet for longer than silent_after
  ASSERT_EQ(Run([&](Registrar& r) { return r.RunLifecycle(start).ok() ? kOk : kRefused; }), kOk);
  ASSERT_TRUE(disk_.RemoveFile(config_.state_dir + "/status").ok());
  ASSERT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << err_.str();
  auto text = fs_.ReadFile(config_.state_dir + "/status", 1 << 16);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto status = ParseStatus(*text, "status");
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->hosts, 2u);
  EXPECT_EQ(status->services, 4u);
  EXPECT_EQ(status->silent, 1u);
}

TEST_F(RegistrarTest, AStoreFromBeforeTheLifecycleIsReadAndUpgraded) {
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "b.example.org"), "b.example.org"), kOk);
  // The old store: no lifecycle records, no last activation, a tombstone
  // without a reason.
  ASSERT_TRUE(disk_.RemoveFile(config_.state_dir + "/lifecycle/web01.example.org").ok());
  ASSERT_TRUE(disk_.RemoveFile(config_.state_dir + "/lifecycle/b.example.org").ok());
  ASSERT_TRUE(disk_.RemoveFile(config_.state_dir + "/last_activation").ok());
  ASSERT_TRUE(
      fs_.WriteFileAtomic(config_.state_dir + "/tombstones/old.example.org",
                          "[tombstone]\nremoved_at = 2025-01-01T00:00:00Z\ngeneration = 4\n", 0600)
          .ok());
  ASSERT_EQ(Run([](Registrar& r) { return r.Hosts(OutputFormat::kJson); }), kOk);
  const nlohmann::json doc = nlohmann::json::parse(out_.str());
  EXPECT_EQ(doc["hosts"][0]["last_seen"], nullptr);
  EXPECT_EQ(doc["hosts"][0]["lifecycle"], "active");
  // The registrar starts on it: nobody is silenced for the missing
  // records, each gets its full silent_after from the start.
  const int64_t start = now_ + 86400;
  now_ = start + 3 * 3600 - 1;
  ASSERT_EQ(Run([&](Registrar& r) { return r.RunLifecycle(start).ok() ? kOk : kRefused; }), kOk);
  EXPECT_TRUE(Lines(audit_, "audit: event=state").empty());
  // An administrator's old tombstone still refuses.
  EXPECT_EQ(Receive(Document(5, "[ssh]\ntype = ssh\n", {}, "old.example.org"), "old.example.org"),
            kRefused);
  EXPECT_NE(out_.str().find("removed by the administrator"), std::string::npos) << out_.str();
  // A damaged record is an error the tick reports, not an empty host.
  ASSERT_TRUE(
      fs_.WriteFileAtomic(config_.state_dir + "/lifecycle/b.example.org", "junk", 0600).ok());
  ASSERT_EQ(Run([&](Registrar& r) { return r.RunLifecycle(start).ok() ? kOk : kRefused; }), kOk);
  EXPECT_NE(err_.str().find("lifecycle/b.example.org: damaged lifecycle record"), std::string::npos)
      << err_.str();
}

TEST_F(RegistrarTest, SelfCheckHostIsRenderedAndTheCheckReadsTheStatus) {
  config_.self_check_host = "monitor.example.org";
  ASSERT_EQ(Receive(Document(1, "[ssh]\ntype = ssh\n")), kOk);
  ASSERT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << err_.str();
  const std::string self = Live("monitor.example.org");
  EXPECT_NE(self.find("service_description     automon registrar"), std::string::npos) << self;
  EXPECT_NE(self.find("check_command           automon_registrar_self_check"), std::string::npos);
  ASSERT_EQ(Run([](Registrar& r) { return r.Check(); }), 0);
  EXPECT_EQ(out_.str(),
            "AUTOMON REGISTRAR OK - 1 hosts, 1 services active | hosts=1 services=1 pending=0 "
            "quarantined=0 silent=0 last_activation_seconds=0s\n");
  // The server registers itself: the service joins its own host.
  ASSERT_EQ(
      Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "monitor.example.org"), "monitor.example.org"),
      kOk);
  EXPECT_NE(Live("monitor.example.org").find("service_description     ssh"), std::string::npos);
  EXPECT_NE(Live("monitor.example.org").find("automon registrar"), std::string::npos);
  ASSERT_EQ(Run([](Registrar& r) { return r.Render(); }), kOk) << err_.str();
  // A quarantined host is critical, and so is a failed activation.
  ASSERT_EQ(
      Receive(Document(1, "[ssh]\ntype = ssh\n", {}, "broken.example.org"), "broken.example.org"),
      kRefused);
  now_ += 120;
  ASSERT_EQ(Run([](Registrar& r) { return r.Check(); }), 2);
  EXPECT_TRUE(
      out_.str().starts_with("AUTOMON REGISTRAR CRITICAL - 1 quarantined (e.g. "
                             "broken.example.org)"))
      << out_.str();
  EXPECT_NE(out_.str().find("last_activation_seconds=120s"), std::string::npos) << out_.str();
  // No status file at all: UNKNOWN, saying why.
  ASSERT_TRUE(disk_.RemoveFile(config_.state_dir + "/status").ok());
  ASSERT_EQ(Run([](Registrar& r) { return r.Check(); }), 3);
  EXPECT_TRUE(out_.str().starts_with("AUTOMON REGISTRAR UNKNOWN - ")) << out_.str();
}

}  // namespace
}  // namespace automon::registrar
