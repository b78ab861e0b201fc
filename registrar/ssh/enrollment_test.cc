// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/enrollment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/testing/temp_dir.h"

namespace automon::registrar {
namespace {

constexpr char kKeyA[] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/+AA";
constexpr char kKeyB[] = "SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

class EnrollmentTest : public ::testing::Test {
 protected:
  std::unique_ptr<Enrollment> Make(EnrollmentPolicy policy, std::vector<Network> networks = {}) {
    auto e = std::make_unique<Enrollment>(
        fs_, disk_, dir_.path(), policy, std::move(networks),
        EnrollmentClock{[] { return std::string("2026-11-21T15:00:00Z"); },
                        [this] { return now_; }},
        [this](const std::string& line) { log_.push_back(line); });
    EXPECT_TRUE(e->Initialise().ok());
    return e;
  }
  static KeyRecord Key(const std::string& host, const std::string& fp,
                       const std::string& peer = "192.0.2.5:40000") {
    return {host, fp, "ssh-ed25519 AAAAC3Nza", peer, "", ""};
  }

  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  int64_t now_ = 1'000'000;
  std::vector<std::string> log_;
};

TEST_F(EnrollmentTest, OpenAcceptsAndBindsOneKeyToOneHost) {
  auto e = Make(EnrollmentPolicy::kOpen);
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt).status, EnrollStatus::kAccepted);
  EXPECT_EQ(e->HostOf(kKeyA), "web01");
  // Again: still accepted, nothing changes.
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt),
            (EnrollDecision{EnrollStatus::kAccepted, "web01 is enrolled with this key"}));
  // The same key for another host: refused.
  EXPECT_EQ(e->Enroll(Key("db01", kKeyA), std::nullopt),
            (EnrollDecision{EnrollStatus::kDenied,
                            "this key is enrolled as web01; a key speaks for one host only"}));
  EXPECT_EQ(e->HostOf(kKeyB), std::nullopt);
  ASSERT_EQ(log_.size(), 3u);
  EXPECT_EQ(log_[0], "audit: event=enroll-accepted host=web01 key=" + std::string(kKeyA) +
                         " generation=- reason=\"from 192.0.2.5:40000 (policy open): web01 "
                         "enrolled (open enrollment)\"");
  struct stat st;
  ASSERT_EQ(::stat((dir_.path() + "/enrollment/keys/web01").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(EnrollmentTest, KnownHostWithNewKeyIsNeverReboundSilently) {
  auto e = Make(EnrollmentPolicy::kOpen);
  ASSERT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt).status, EnrollStatus::kAccepted);
  const EnrollDecision d = e->Enroll(Key("web01", kKeyB), std::nullopt);
  EXPECT_EQ(d.status, EnrollStatus::kPending);
  EXPECT_EQ(d.message, "web01 is enrolled with another key (" + std::string(kKeyA) +
                           "); this key waits until an administrator runs 'automon-registrar "
                           "accept web01 --replace'");
  EXPECT_EQ(e->HostOf(kKeyA), "web01") << "the old key keeps working until replaced";
  auto without = e->Accept("web01", false);
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.error().message, "web01 is enrolled with key " + std::string(kKeyA) +
                                         "; to bind it to " + kKeyB +
                                         " instead, use 'accept web01 --replace'");
  ASSERT_TRUE(e->Accept("web01", true).ok());
  EXPECT_EQ(e->HostOf(kKeyB), "web01");
  EXPECT_EQ(e->HostOf(kKeyA), std::nullopt) << "the replaced key speaks for nobody";
  EXPECT_TRUE(e->Pending().empty());
}

TEST_F(EnrollmentTest, HostNameCaseCannotMakeASecondIdentity) {
  auto e = Make(EnrollmentPolicy::kOpen);
  ASSERT_EQ(e->Enroll(Key("web01.example.org", kKeyA), std::nullopt).status,
            EnrollStatus::kAccepted);
  // Another key asking for the same name in capitals is the same name.
  const EnrollDecision d = e->Enroll(Key("WEB01.Example.ORG", kKeyB), std::nullopt);
  EXPECT_EQ(d.status, EnrollStatus::kPending);
  EXPECT_NE(d.message.find("web01.example.org is enrolled with another key"), std::string::npos)
      << d.message;
  EXPECT_EQ(e->HostOf(kKeyB), std::nullopt);
  EXPECT_EQ(e->HostOf(kKeyA), "web01.example.org");
  // And an administrator can act on it under its canonical name.
  EXPECT_TRUE(e->Reject("web01.example.org").ok());
}

TEST_F(EnrollmentTest, FirstPendingRequestForANameStays) {
  auto e = Make(EnrollmentPolicy::kManual);
  ASSERT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt).status, EnrollStatus::kPending);
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt).status, EnrollStatus::kPending)
      << "asking again is fine";
  const EnrollDecision d = e->Enroll(Key("web01", kKeyB), std::nullopt);
  EXPECT_EQ(d, (EnrollDecision{EnrollStatus::kDenied,
                               "another key (" + std::string(kKeyA) +
                                   ") is already waiting to enroll as web01; an administrator "
                                   "must accept or reject it first"}));
  ASSERT_TRUE(e->Accept("web01", false).ok());
  EXPECT_EQ(e->HostOf(kKeyA), "web01") << "the key the administrator saw is the one bound";
  EXPECT_EQ(e->HostOf(kKeyB), std::nullopt);
}

TEST_F(EnrollmentTest, OpenCanBeLimitedToNetworks) {
  auto e = Make(EnrollmentPolicy::kOpen,
                {*Network::Parse("10.0.0.0/8"), *Network::Parse("2001:db8::/32")});
  EXPECT_EQ(e->Enroll(Key("a", kKeyA, "10.1.2.3:5"), std::nullopt).status, EnrollStatus::kAccepted);
  EXPECT_EQ(e->Enroll(Key("b", kKeyB, "[2001:db8::7]:5"), std::nullopt).status,
            EnrollStatus::kAccepted);
  const EnrollDecision d = e->Enroll(
      Key("c", "SHA256:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "192.0.2.1:9"), std::nullopt);
  EXPECT_EQ(d, (EnrollDecision{EnrollStatus::kDenied,
                               "192.0.2.1 is not in the networks open for enrollment"}));
}

TEST_F(EnrollmentTest, ManualWaitsForAnAdministrator) {
  auto e = Make(EnrollmentPolicy::kManual);
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt),
            (EnrollDecision{EnrollStatus::kPending,
                            "web01 waits for an administrator: 'automon-registrar accept web01'"}));
  EXPECT_EQ(e->HostOf(kKeyA), std::nullopt);
  const auto pending = e->Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].host, "web01");
  EXPECT_EQ(pending[0].fingerprint, kKeyA);
  EXPECT_EQ(pending[0].peer, "192.0.2.5:40000");
  ASSERT_TRUE(e->Accept("web01", false).ok());
  EXPECT_EQ(e->HostOf(kKeyA), "web01");
  EXPECT_EQ(e->Accept("web01", false).error().message, "no pending enrollment for web01");

  e->Enroll(Key("db01", kKeyB), std::nullopt);
  ASSERT_TRUE(e->Reject("db01").ok());
  EXPECT_TRUE(e->Pending().empty());
  EXPECT_EQ(e->HostOf(kKeyB), std::nullopt);
  EXPECT_EQ(e->Reject("db01").error().message, "no pending enrollment for db01");
}

TEST_F(EnrollmentTest, TicketsAreBoundToANameSingleUseAndExpire) {
  auto e = Make(EnrollmentPolicy::kTicket);
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), std::nullopt).message,
            "enrollment needs a ticket: ask an administrator to run 'automon-registrar ticket "
            "web01'");
  auto ticket = e->IssueTicket("web01", 3600);
  ASSERT_TRUE(ticket.ok());
  EXPECT_EQ(ticket->size(), 32u);
  auto other = e->IssueTicket("db01", 3600);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*ticket, *other);
  // A foreign ticket (issued for db01) does not enroll web01.
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), *other),
            (EnrollDecision{EnrollStatus::kDenied, "the ticket is not the one issued for web01"}));
  EXPECT_EQ(e->Enroll(Key("web01", kKeyA), *ticket).status, EnrollStatus::kAccepted);
  EXPECT_EQ(e->HostOf(kKeyA), "web01");
  // Single use: a second key cannot reuse it, not even for the same name.
  EXPECT_EQ(e->Enroll(Key("web01", kKeyB), *ticket).status, EnrollStatus::kPending)
      << "a known host with a new key always waits for --replace";
  // Expiry.
  now_ += 3600;
  EXPECT_EQ(e->Enroll(Key("db01", kKeyB), *other),
            (EnrollDecision{EnrollStatus::kDenied, "the ticket for db01 has expired"}));
  // No ticket stored in clear text.
  auto stored = fs_.ReadFile(dir_.path() + "/enrollment/tickets/db01", 4096);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->find(*other), std::string::npos);
}

TEST_F(EnrollmentTest, HostileNamesAndFingerprintsAreRefused) {
  auto e = Make(EnrollmentPolicy::kOpen);
  for (const char* host : {"../etc", "a b", "", "x/y", "$(id)"}) {
    EXPECT_EQ(e->Enroll(Key(host, kKeyA), std::nullopt).status, EnrollStatus::kDenied) << host;
  }
  EXPECT_EQ(e->Enroll(Key("ok", "SHA256:../../x"), std::nullopt).status, EnrollStatus::kDenied);
  EXPECT_EQ(e->HostOf("SHA256:../../../etc/passwd"), std::nullopt);
  EXPECT_FALSE(e->IssueTicket("../x", 10).ok());
  EXPECT_FALSE(e->Accept("../x", true).ok());
}

}  // namespace
}  // namespace automon::registrar
