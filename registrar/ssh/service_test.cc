// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/testing/temp_dir.h"
#include "formats/results.h"
#include "formats/snapshot.h"

namespace automon::registrar::ssh {
namespace {

constexpr char kKeyA[] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
constexpr char kKeyB[] = "SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

class RecordingActions : public HostActions {
 public:
  Reply Register(const std::string& host, const std::string& snapshot) override {
    calls.push_back("register " + host + " " + snapshot);
    return {0, "svc: active\n", ""};
  }
  Reply Deregister(const std::string& host) override {
    calls.push_back("deregister " + host);
    return {0, "removed\n", ""};
  }
  Reply Results(const std::string& host, const std::string& document) override {
    calls.push_back("results " + host + " " + document);
    return {0, "replies\n", ""};
  }
  UniqueFd Arriving() override {
    calls.push_back("arriving");
    return UniqueFd(::dup(0));
  }
  std::vector<std::string> calls;
};

class RegistrarServiceTest : public ::testing::Test {
 protected:
  RegistrarServiceTest()
      : enrollment_(fs_, disk_, dir_.path(), EnrollmentPolicy::kOpen, {},
                    EnrollmentClock{[] { return std::string("T"); }, [] { return int64_t{0}; }},
                    [](const std::string&) {}),
        service_(enrollment_, actions_, "automon-registrar 0.1.0") {
    EXPECT_TRUE(enrollment_.Initialise().ok());
  }
  Reply Call(const std::string& fingerprint, std::string verb, std::vector<std::string> args,
             std::string input = "") {
    Request r;
    r.verb = std::move(verb);
    r.args = std::move(args);
    r.fingerprint = fingerprint;
    r.public_key = "ssh-ed25519 AAAA";
    r.peer = "127.0.0.1:5000";
    r.input = std::move(input);
    return service_.Handle(r);
  }

  testing::ScopedTempDir dir_;
  RealFileSystem fs_;
  RealDisk disk_;
  Enrollment enrollment_;
  RecordingActions actions_;
  RegistrarService service_;
};

TEST_F(RegistrarServiceTest, UnknownKeyMaySayHelloAndEnrollButNotRegister) {
  const Reply hello = Call(kKeyA, "hello", {});
  EXPECT_EQ(hello.exit_status, 0);
  EXPECT_EQ(hello.out, "automon-registrar 0.1.0\nyour key: " + std::string(kKeyA) +
                           "\nenrolled as: (not enrolled)\n");
  const Reply reg = Call(kKeyA, "register", {}, "doc");
  EXPECT_EQ(reg.exit_status, 2);
  EXPECT_EQ(reg.err, "refused: this key is not enrolled; run 'automon-agent enroll' first\n");
  EXPECT_TRUE(actions_.calls.empty());
  const Reply enroll = Call(kKeyA, "enroll", {"web01"});
  EXPECT_EQ(enroll.exit_status, 0);
  EXPECT_EQ(enroll.out, "web01 enrolled (open enrollment)\n");
  EXPECT_EQ(Call(kKeyA, "hello", {}).out.find("enrolled as: web01\n") != std::string::npos, true);
}

TEST_F(RegistrarServiceTest, AKeyOnlyChangesItsOwnHost) {
  ASSERT_EQ(Call(kKeyA, "enroll", {"web01"}).exit_status, 0);
  ASSERT_EQ(Call(kKeyB, "enroll", {"db01"}).exit_status, 0);
  EXPECT_EQ(Call(kKeyA, "register", {}, "doc-a").exit_status, 0);
  EXPECT_EQ(Call(kKeyA, "register", {"--host", "web01"}, "doc-b").exit_status, 0);
  const Reply other = Call(kKeyA, "register", {"--host", "db01"}, "evil");
  EXPECT_EQ(other.exit_status, 2);
  EXPECT_EQ(other.err, "refused: this key speaks for web01, not for db01\n");
  EXPECT_EQ(Call(kKeyA, "deregister", {"--host", "db01"}).exit_status, 2);
  EXPECT_EQ(Call(kKeyA, "register", {"db01"}, "x").exit_status, 2);
  EXPECT_EQ(Call(kKeyB, "deregister", {}).exit_status, 0);
  EXPECT_EQ(actions_.calls, (std::vector<std::string>{"register web01 doc-a",
                                                      "register web01 doc-b", "deregister db01"}));
}

TEST_F(RegistrarServiceTest, EnrollArgumentsAndTickets) {
  EXPECT_EQ(Call(kKeyA, "enroll", {}).err, "refused: usage: enroll NAME\n");
  EXPECT_EQ(Call(kKeyA, "enroll", {"a", "b"}).exit_status, 2);
  EXPECT_EQ(Call(kKeyA, "enroll", {"../x"}).exit_status, 2);
  EXPECT_EQ(Call(kKeyA, "hello", {"x"}).err, "refused: hello takes no arguments\n");
  // A ticket with blanks around it is fine; megabytes of blanks are not.
  EXPECT_EQ(Call(kKeyA, "enroll", {"web01"}, "  \n").exit_status, 0);
  const Reply big = Call(kKeyB, "enroll", {"db01"}, std::string(4 << 20, ' '));
  EXPECT_EQ(big.exit_status, 2);
  EXPECT_EQ(big.err, "refused: enroll takes at most 1024 bytes of input\n");
  EXPECT_EQ(Call(kKeyB, "hello", {}, "x").exit_status, 0) << "small input is ignored";
}

TEST_F(RegistrarServiceTest, OnlyAnEnrolledKeysRegisterMaySendASnapshot) {
  auto admit = [&](const std::string& fingerprint, const std::string& verb) {
    Request r;
    r.verb = verb;
    r.fingerprint = fingerprint;
    return service_.Admit(r);
  };
  for (const char* verb : {"hello", "enroll", "deregister"}) {
    const Admission a = admit(kKeyA, verb);
    EXPECT_EQ(a.max_input, kMaxSmallInput) << verb;
    EXPECT_FALSE(a.refusal) << verb;
  }
  // Not enrolled: refused before any input is read.
  const Admission stranger = admit(kKeyA, "register");
  EXPECT_EQ(stranger.max_input, 0u);
  ASSERT_TRUE(stranger.refusal);
  EXPECT_EQ(stranger.refusal->exit_status, 2);
  EXPECT_EQ(stranger.refusal->err,
            "refused: this key is not enrolled; run 'automon-agent enroll' first\n");
  ASSERT_EQ(Call(kKeyA, "enroll", {"web01"}).exit_status, 0);
  const Admission enrolled = admit(kKeyA, "register");
  EXPECT_EQ(enrolled.max_input, formats::kMaxSnapshotBytes);
  EXPECT_FALSE(enrolled.refusal);
  EXPECT_EQ(admit(kKeyA, "hello").max_input, kMaxSmallInput) << "enrolled or not";
}

TEST_F(RegistrarServiceTest, OnlyAnEnrolledKeysRegisterIsMarkedArriving) {
  auto admit = [&](const std::string& verb) {
    Request r;
    r.verb = verb;
    r.fingerprint = kKeyA;
    return service_.Admit(r);
  };
  EXPECT_FALSE(admit("register").arriving.valid()) << "not enrolled";
  ASSERT_EQ(Call(kKeyA, "enroll", {"web01"}).exit_status, 0);
  EXPECT_FALSE(admit("hello").arriving.valid());
  actions_.calls.clear();
  EXPECT_TRUE(admit("register").arriving.valid());
  EXPECT_EQ(actions_.calls, std::vector<std::string>{"arriving"});
}

// Issue #15: results only from an enrolled key, only for its own host, with
// a results document's worth of input and no more.
TEST_F(RegistrarServiceTest, ResultsOnlyFromAnEnrolledKeyForItsOwnHost) {
  Request r;
  r.verb = "results";
  r.fingerprint = kKeyA;
  const Admission refused = service_.Admit(r);
  ASSERT_TRUE(refused.refusal.has_value());
  EXPECT_EQ(refused.max_input, 0u);
  EXPECT_EQ(Call(kKeyA, "results", {}, "doc").exit_status, 2);
  ASSERT_EQ(Call(kKeyA, "enroll", {"web01"}).exit_status, 0);
  const Admission admitted = service_.Admit(r);
  EXPECT_FALSE(admitted.refusal.has_value());
  EXPECT_EQ(admitted.max_input, formats::kMaxResultsDocumentBytes);
  const Reply ok = Call(kKeyA, "results", {}, "doc");
  EXPECT_EQ(ok.exit_status, 0);
  EXPECT_EQ(ok.out, "replies\n");
  const Reply other = Call(kKeyA, "results", {"--host", "db01"}, "doc");
  EXPECT_EQ(other.exit_status, 2);
  EXPECT_EQ(other.err, "refused: this key speaks for web01, not for db01\n");
  const Reply big =
      Call(kKeyA, "results", {}, std::string(formats::kMaxResultsDocumentBytes + 1, 'x'));
  EXPECT_EQ(big.exit_status, 2);
  EXPECT_EQ(actions_.calls, std::vector<std::string>{"results web01 doc"});
}

}  // namespace
}  // namespace automon::registrar::ssh
