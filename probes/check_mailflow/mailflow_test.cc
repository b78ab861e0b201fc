// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/mailflow.h"

#include <gtest/gtest.h>

namespace automon::mailflow {
namespace {

constexpr int64_t kNow = 1795275076;
constexpr int64_t kDay = 86400;
const std::string kTokenA = "0123456789abcdef0123456789abcdef";
const std::string kTokenB = "fedcba9876543210fedcba9876543210";

Config AgeConfig() {
  Config config;
  config.mode = Mode::kAge;
  config.flow_id = "mx1";
  config.max_age = std::chrono::seconds(600);
  return config;
}

Config SendConfig() {
  Config config;
  config.mode = Mode::kSend;
  config.flow_id = "mx1";
  config.to = "flow@example.org";
  config.server.host = "mx.example.org";
  config.server.tls = TlsMode::kStartTls;
  return config;
}

TEST(DefaultPortTest, FollowsTheProtocolAndImplicitTls) {
  EXPECT_EQ(DefaultPort(Protocol::kSmtp, TlsMode::kNone), 25);
  EXPECT_EQ(DefaultPort(Protocol::kSmtp, TlsMode::kStartTls), 25);
  EXPECT_EQ(DefaultPort(Protocol::kSmtp, TlsMode::kImplicit), 465);
  EXPECT_EQ(DefaultPort(Protocol::kImap, TlsMode::kNone), 143);
  EXPECT_EQ(DefaultPort(Protocol::kImap, TlsMode::kImplicit), 993);
  EXPECT_EQ(DefaultPort(Protocol::kPop3, TlsMode::kStartTls), 110);
  EXPECT_EQ(DefaultPort(Protocol::kPop3, TlsMode::kImplicit), 995);
  Server server;
  server.port = 2525;
  EXPECT_EQ(PortOf(server), 2525);
}

TEST(EvaluateAgeTest, AFlowThatNeverSentIsUnknown) {
  probe::CheckResult result = EvaluateAge(AgeConfig(), TokenState{}, kNow);
  EXPECT_EQ(result.state, probe::kUnknown);
  EXPECT_EQ(probe::FormatNagios(result),
            "MAILFLOW UNKNOWN - flow 'mx1' has not sent a token mail yet (is its smtp check "
            "running check_mailflow --mode send --mailflowid mx1?) | age=0s;;600;0; "
            "outstanding=0;;;0;\n");
}

TEST(EvaluateAgeTest, EveryTokenArrivedIsOk) {
  TokenState state;
  state.last_sent = kNow - 30;
  state.last_received = kNow - 10;
  probe::CheckResult result = EvaluateAge(AgeConfig(), state, kNow);
  EXPECT_EQ(probe::FormatNagios(result),
            "MAILFLOW OK - flow 'mx1': every token mail arrived | age=0s;;600;0; "
            "outstanding=0;;;0;\n"
            "Last token sent 30 s ago\n"
            "Last token received 10 s ago\n");
}

TEST(EvaluateAgeTest, TheOldestOutstandingTokenDecidesAtTheLimit) {
  TokenState state;
  state.last_sent = kNow;
  state.outstanding = {Token{kTokenB, kNow - 5}, Token{kTokenA, kNow - 600}};
  probe::CheckResult at_limit = EvaluateAge(AgeConfig(), state, kNow);
  EXPECT_EQ(at_limit.state, probe::kOk);
  EXPECT_EQ(at_limit.summary,
            "MAILFLOW OK - flow 'mx1': 2 token mails in transit, oldest 600 s (limit 600 s)");

  probe::CheckResult late = EvaluateAge(AgeConfig(), state, kNow + 1);
  EXPECT_EQ(late.state, probe::kCritical);
  EXPECT_EQ(probe::FormatNagios(late),
            "MAILFLOW CRITICAL - flow 'mx1': a token mail sent 601 s ago has not arrived "
            "(limit 600 s, 2 outstanding) | age=601s;;600;0; outstanding=2;;;0;\n"
            "Last token sent 1 s ago\n");
}

TEST(EvaluateAgeTest, OutstandingTokensWithoutLastSentStillCount) {
  TokenState state;
  state.outstanding = {Token{kTokenA, kNow - 700}};
  EXPECT_EQ(EvaluateAge(AgeConfig(), state, kNow).state, probe::kCritical);
}

TEST(EvaluateAgeTest, AClockSteppedBackNeverGivesANegativeAge) {
  TokenState state;
  state.last_sent = kNow + 100;
  state.outstanding = {Token{kTokenA, kNow + 100}};
  probe::CheckResult result = EvaluateAge(AgeConfig(), state, kNow);
  EXPECT_EQ(result.state, probe::kOk);
  EXPECT_EQ(result.perfdata[0].value, 0);
}

TEST(EvaluateSendTest, ASentTokenIsOkWithTheCertificateDays) {
  SendMeasurement m;
  m.token = kTokenA;
  m.report.greeting = "220 mx.example.org ESMTP";
  m.report.tls = TlsInfo{true, kNow + 100 * kDay + 5};
  m.seconds = 0.25;
  m.now = kNow;
  probe::CheckResult result = EvaluateSend(SendConfig(), m);
  EXPECT_EQ(probe::FormatNagios(result),
            "SMTP OK - token mail of flow 'mx1' sent to flow@example.org via "
            "mx.example.org:25, STARTTLS, certificate valid for 100 days | time=0.25s;;;0; "
            "certificate_days=100;;0:;;\n"
            "Greeting: 220 mx.example.org ESMTP\n"
            "Token: " +
                kTokenA + "\n");
}

TEST(EvaluateSendTest, ACertificateEndingSoonWarns) {
  Config config = SendConfig();
  config.expire_days = 30;
  config.server.tls_hostname = "smtp.example.org";
  SendMeasurement m;
  m.token = kTokenA;
  m.report.tls = TlsInfo{true, kNow + 29 * kDay};
  m.now = kNow;
  probe::CheckResult result = EvaluateSend(config, m);
  EXPECT_EQ(result.state, probe::kWarning);
  EXPECT_EQ(result.summary,
            "SMTP WARNING - token mail of flow 'mx1' sent to flow@example.org via "
            "smtp.example.org:25, STARTTLS, certificate expires in 29 days (warning below 30)");
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata.back()), "certificate_days=29;30:;0:;;");
  m.report.tls.not_after = kNow + 30 * kDay;
  EXPECT_EQ(EvaluateSend(config, m).state, probe::kOk);
}

TEST(EvaluateSendTest, AnExpiredCertificateIsCriticalUnlessInsecure) {
  Config config = SendConfig();
  SendMeasurement m;
  m.token = kTokenA;
  m.report.tls = TlsInfo{true, kNow - 1};
  m.now = kNow;
  probe::CheckResult result = EvaluateSend(config, m);
  EXPECT_EQ(result.state, probe::kCritical);
  EXPECT_TRUE(result.summary.starts_with("SMTP CRITICAL - ")) << result.summary;
  EXPECT_TRUE(result.summary.ends_with(", certificate expired 1 days ago")) << result.summary;
  config.server.insecure = true;
  EXPECT_EQ(EvaluateSend(config, m).state, probe::kWarning);
}

TEST(EvaluateSendTest, PlainTextHasNoCertificateFacts) {
  Config config = SendConfig();
  config.server.tls = TlsMode::kNone;
  SendMeasurement m;
  m.token = kTokenA;
  m.now = kNow;
  probe::CheckResult result = EvaluateSend(config, m);
  EXPECT_EQ(result.summary,
            "SMTP OK - token mail of flow 'mx1' sent to flow@example.org via mx.example.org:25");
  EXPECT_EQ(result.perfdata.size(), 1u);
}

TEST(EvaluateSendTest, ATokenNotRecordedWarns) {
  SendMeasurement m;
  m.token = kTokenA;
  m.now = kNow;
  m.recorded = false;
  probe::CheckResult result = EvaluateSend(SendConfig(), m);
  EXPECT_EQ(result.state, probe::kWarning);
  EXPECT_TRUE(result.summary.starts_with("SMTP WARNING - ")) << result.summary;
  EXPECT_NE(result.summary.find("1000 tokens are already outstanding"), std::string::npos);
}

TEST(EvaluateReceiveTest, ReportsWhatWasCollected) {
  Config config;
  config.mode = Mode::kReceive;
  config.flow_id = "mx1";
  config.server.protocol = Protocol::kPop3;
  config.server.host = "127.0.0.1";
  config.server.username = "flow";
  ReceiveMeasurement m;
  m.collected = 3;
  m.unknown = 1;
  m.outstanding = 2;
  m.delivery_seconds = 42;
  m.seconds = 0.5;
  m.now = kNow;
  EXPECT_EQ(probe::FormatNagios(EvaluateReceive(config, m)),
            "POP3 OK - 3 token mails of flow 'mx1' collected from flow@127.0.0.1:110 (1 with an "
            "unknown token) | time=0.5s;;;0; collected=3;;;0; outstanding=2;;;0; "
            "delivery=42s;;;0;\n");
  config.server.protocol = Protocol::kImap;
  config.server.tls = TlsMode::kImplicit;
  config.expire_days = 10;
  m = ReceiveMeasurement{};
  m.tls = TlsInfo{true, kNow + 5 * kDay};
  m.now = kNow;
  probe::CheckResult result = EvaluateReceive(config, m);
  EXPECT_EQ(result.state, probe::kWarning);
  EXPECT_EQ(result.summary,
            "IMAP WARNING - 0 token mails of flow 'mx1' collected from flow@127.0.0.1:993, TLS, "
            "certificate expires in 5 days (warning below 10)");
}

}  // namespace
}  // namespace automon::mailflow
