// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/flow.h"

#include <gtest/gtest.h>

#include <map>

#include "common/testing/temp_dir.h"
#include "probes/check_mailflow/message.h"

namespace automon::mailflow {
namespace {

constexpr int64_t kNow = 1795275076;
const std::string kTokenA = "0123456789abcdef0123456789abcdef";
const std::string kTokenB = "fedcba9876543210fedcba9876543210";
const std::string kTokenC = "11111111111111111111111111111111";

probe::Deadline Soon() { return probe::Deadline::After(std::chrono::seconds(5)); }
int64_t Now() { return kNow; }
double Watch() { return 0; }

// Records what it was asked to send, and what the state held meanwhile.
class FakeSender final : public MailSender {
 public:
  FakeSender(StateDirectory& state, probe::Outcome<SendReport> reply)
      : state_(state), reply_(std::move(reply)) {}

  probe::Outcome<SendReport> Send(std::string_view from, std::string_view to,
                                  std::string_view message, probe::Deadline) override {
    from_ = from;
    to_ = to;
    message_ = message;
    Result<TokenState> during = state_.Read(Soon());
    AUTOMON_CHECK(during.ok());
    state_during_send_ = *during;
    ++calls_;
    return reply_;
  }

  StateDirectory& state_;
  probe::Outcome<SendReport> reply_;
  std::string from_, to_, message_;
  TokenState state_during_send_;
  int calls_ = 0;
};

class FlowTest : public ::testing::Test {
 protected:
  FlowTest() : state_(temp_.path() + "/mx1", fs_) {
    config_.flow_id = "mx1";
    config_.to = "flow@example.org";
    config_.from = "probe@example.org";
    config_.server.host = "127.0.0.1";
    config_.server.username = "flow";
    config_.max_age = std::chrono::seconds(60);
  }

  TokenState Current() {
    Result<TokenState> read = state_.Read(Soon());
    AUTOMON_CHECK(read.ok());
    return *read;
  }

  automon::testing::ScopedTempDir temp_;
  RealFileSystem fs_;
  StateDirectory state_;
  Config config_;
};

TEST_F(FlowTest, SendRecordsTheTokenBeforeTheMailLeaves) {
  FakeSender sender(state_, SendReport{"220 mx ESMTP", {}});
  probe::CheckResult result = RunSend(config_, kTokenA, sender, state_, Now, Watch, Soon());
  EXPECT_EQ(result.state, probe::kOk) << result.summary;
  EXPECT_EQ(sender.calls_, 1);
  EXPECT_EQ(sender.state_during_send_.outstanding, (std::vector<Token>{{kTokenA, kNow}}));
  EXPECT_EQ(sender.from_, "probe@example.org");
  EXPECT_EQ(sender.to_, "flow@example.org");
  EXPECT_EQ(FindMarker(sender.message_), (Marker{"mx1", kTokenA}));
  TokenState after = Current();
  EXPECT_EQ(after.outstanding, (std::vector<Token>{{kTokenA, kNow}}));
  EXPECT_EQ(after.last_sent, kNow);
}

TEST_F(FlowTest, AFailedSendWithdrawsItsTokenAndReportsTheError) {
  ASSERT_TRUE(state_
                  .Update(Soon(),
                          [](TokenState& s) {
                            s.outstanding.push_back(Token{kTokenB, kNow - 5});
                          })
                  .ok());
  FakeSender sender(state_, probe::ProbeError{probe::kCritical, "cannot connect: refused"});
  probe::CheckResult result = RunSend(config_, kTokenA, sender, state_, Now, Watch, Soon());
  EXPECT_EQ(probe::FormatNagios(result), "Error: cannot connect: refused\n");
  EXPECT_EQ(result.state, probe::kCritical);
  // The earlier token stays; the one not sent is gone.
  EXPECT_EQ(Current().outstanding, (std::vector<Token>{{kTokenB, kNow - 5}}));
}

TEST_F(FlowTest, SendWithAnUnusableStateDirectoryIsUnknownAndSendsNothing) {
  StateDirectory broken(temp_.path() + "/missing/host/flow", fs_);
  FakeSender sender(state_, SendReport{});
  probe::CheckResult result = RunSend(config_, kTokenA, sender, broken, Now, Watch, Soon());
  EXPECT_EQ(result.state, probe::kUnknown);
  EXPECT_EQ(result.summary, "Error: mail flow state: mkdir(" + temp_.path() +
                                "/missing/host): No such file or directory");
  EXPECT_EQ(sender.calls_, 0);
}

TEST_F(FlowTest, AFullStateStillSendsButWarns) {
  ASSERT_TRUE(state_
                  .Update(Soon(),
                          [](TokenState& s) {
                            for (size_t i = 0; i < kMaxTokens; ++i)
                              s.outstanding.push_back(Token{kTokenB, kNow});
                          })
                  .ok());
  FakeSender sender(state_, SendReport{});
  probe::CheckResult result = RunSend(config_, kTokenA, sender, state_, Now, Watch, Soon());
  EXPECT_EQ(result.state, probe::kWarning);
  EXPECT_EQ(sender.calls_, 1);
  EXPECT_EQ(Current().outstanding.size(), kMaxTokens);
}

// A mailbox of (id -> header text); deletions are recorded.
class FakeMailbox final : public Mailbox {
 public:
  probe::Outcome<std::vector<MessageId>> Candidates(std::string_view flow_id,
                                                    probe::Deadline) override {
    if (candidates_error_) return *candidates_error_;
    searched_ = flow_id;
    std::vector<MessageId> ids;
    for (const auto& [id, headers] : messages_) ids.push_back(id);
    return ids;
  }
  probe::Outcome<std::string> Headers(MessageId id, probe::Deadline) override {
    return messages_.at(id);
  }
  probe::Outcome<bool> Delete(const std::vector<MessageId>& ids, probe::Deadline) override {
    if (delete_error_) return *delete_error_;
    deleted_ = ids;
    for (MessageId id : ids) messages_.erase(id);
    return true;
  }
  TlsInfo Tls() const override { return {}; }

  std::map<MessageId, std::string> messages_;
  std::optional<probe::ProbeError> candidates_error_;
  std::optional<probe::ProbeError> delete_error_;
  std::string searched_;
  std::vector<MessageId> deleted_;
};

std::string Marked(const std::string& flow, const std::string& token) {
  return "Subject: x\r\nX-Automon-Mailflow: flow=" + flow + "; token=" + token + "\r\n\r\n";
}

TEST_F(FlowTest, ReceiveCollectsOnlyThisFlowsMailsAndForgetsTheirTokens) {
  ASSERT_TRUE(state_
                  .Update(Soon(),
                          [](TokenState& s) {
                            s.last_sent = kNow - 10;
                            s.outstanding = {Token{kTokenA, kNow - 30}, Token{kTokenB, kNow - 10}};
                          })
                  .ok());
  FakeMailbox mailbox;
  mailbox.messages_[3] = Marked("mx1", kTokenA);
  mailbox.messages_[4] = Marked("mx1-b", kTokenB);  // another flow, a longer id
  mailbox.messages_[5] = "Subject: hello\r\n\r\n";  // a person's mail
  mailbox.messages_[6] = Marked("mx1", kTokenC);    // a token the state forgot
  probe::CheckResult result = RunReceive(config_, mailbox, state_, Now, Watch, Soon());
  EXPECT_EQ(result.state, probe::kOk);
  EXPECT_EQ(mailbox.searched_, "mx1");
  EXPECT_EQ(mailbox.deleted_, (std::vector<MessageId>{3, 6}));
  EXPECT_EQ(mailbox.messages_.size(), 2u);
  TokenState after = Current();
  EXPECT_EQ(after.outstanding, (std::vector<Token>{{kTokenB, kNow - 10}}));
  EXPECT_EQ(after.last_received, kNow);
  EXPECT_NE(result.summary.find("2 token mails of flow 'mx1' collected"), std::string::npos)
      << result.summary;
  EXPECT_NE(result.summary.find("(1 with an unknown token)"), std::string::npos);
  ASSERT_EQ(result.perfdata.size(), 4u);
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[2]), "outstanding=1;;;0;");
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[3]), "delivery=30s;;;0;");
}

TEST_F(FlowTest, AnEmptyMailboxChangesNothingButIsOk) {
  FakeMailbox mailbox;
  probe::CheckResult result = RunReceive(config_, mailbox, state_, Now, Watch, Soon());
  EXPECT_EQ(result.state, probe::kOk);
  EXPECT_TRUE(mailbox.deleted_.empty());
  EXPECT_EQ(Current().last_received, std::nullopt);
}

TEST_F(FlowTest, AMailboxErrorIsTheResultAndTheStateStays) {
  ASSERT_TRUE(
      state_.Update(Soon(),
                    [](TokenState& s) {
                      s.outstanding = {Token{kTokenA, kNow - 30}};
                    })
          .ok());
  FakeMailbox mailbox;
  mailbox.messages_[1] = Marked("mx1", kTokenA);
  mailbox.candidates_error_ = probe::ProbeError{probe::kCritical, "login refused"};
  probe::CheckResult result = RunReceive(config_, mailbox, state_, Now, Watch, Soon());
  EXPECT_EQ(probe::FormatNagios(result), "Error: login refused\n");
  EXPECT_EQ(result.state, probe::kCritical);
  EXPECT_EQ(Current().outstanding.size(), 1u);
}

TEST_F(FlowTest, AFailedDeletionStillForgetsTheTokensFound) {
  ASSERT_TRUE(
      state_.Update(Soon(),
                    [](TokenState& s) {
                      s.outstanding = {Token{kTokenA, kNow - 30}};
                    })
          .ok());
  FakeMailbox mailbox;
  mailbox.messages_[1] = Marked("mx1", kTokenA);
  mailbox.delete_error_ = probe::ProbeError{probe::kCritical, "EXPUNGE failed"};
  probe::CheckResult result = RunReceive(config_, mailbox, state_, Now, Watch, Soon());
  EXPECT_EQ(result.summary, "Error: EXPUNGE failed");
  // The mail arrived, so the flow is healthy; the next run deletes it.
  EXPECT_TRUE(Current().outstanding.empty());
}

TEST_F(FlowTest, AgeReadsTheSharedState) {
  ASSERT_TRUE(state_
                  .Update(Soon(),
                          [](TokenState& s) {
                            s.last_sent = kNow - 61;
                            s.outstanding = {Token{kTokenA, kNow - 61}};
                          })
                  .ok());
  probe::CheckResult result = RunAge(config_, state_, Now, Soon());
  EXPECT_EQ(result.state, probe::kCritical) << result.summary;
}

TEST_F(FlowTest, AgeWithACorruptStateIsUnknown) {
  ASSERT_TRUE(state_.Update(Soon(), [](TokenState&) {}).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(state_.dir() + "/state", "nonsense\n", 0600).ok());
  probe::CheckResult result = RunAge(config_, state_, Now, Soon());
  EXPECT_EQ(result.state, probe::kUnknown);
  EXPECT_EQ(result.summary,
            "Error: mail flow state: " + state_.dir() + "/state:1: unknown record: 'nonsense'");
}

}  // namespace
}  // namespace automon::mailflow
