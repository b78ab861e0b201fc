// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/results.h"

#include <gtest/gtest.h>

#include "formats/parser.h"

namespace automon::registrar {
namespace {

using formats::PassiveResult;
using formats::ResultBatch;
using formats::ResultReply;
using formats::ResultStatus;

class RecordingWriter final : public ResultWriter {
 public:
  std::vector<WriteOutcome> Write(const std::vector<CoreResult>& results) override {
    written.insert(written.end(), results.begin(), results.end());
    return std::vector<WriteOutcome>(results.size(), {status, detail});
  }
  std::vector<CoreResult> written;
  ResultStatus status = ResultStatus::kAccepted;
  std::string detail;
};

constexpr int64_t kNow = 1700000000;

formats::Snapshot Registered() {
  const formats::ParseResult parsed = formats::ParseDefinitions(
      "[backup]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_backup\n"
      "description = Nightly backup\n"
      "[ssh]\ntype = ssh\n"
      "[lbsock]\ntype = haproxy\nstats = /run/haproxy/admin.sock\n",
      "/etc/monitoring-info/all");
  EXPECT_TRUE(parsed.diagnostics.empty());
  formats::Snapshot s;
  s.host = "web01.example.org";
  s.generation = 1;
  s.services = parsed.services;
  s.heartbeat_seconds = 60;
  return s;
}

struct Fixture {
  RecordingWriter writer;
  std::optional<formats::Snapshot> snapshot = Registered();
  ResultsHandler handler{
      [this](const std::string& host) -> Result<std::optional<formats::Snapshot>> {
        if (!snapshot || snapshot->host != host) return std::optional<formats::Snapshot>();
        return snapshot;
      },
      writer, [] { return kNow; }};

  std::vector<ResultReply> Send(const ResultBatch& batch, int* status = nullptr,
                                const std::string& key_host = "web01.example.org") {
    const ResultsReply reply = handler.Handle(key_host, formats::SerializeResults(batch));
    if (status != nullptr) *status = reply.status;
    auto replies = formats::ParseReplies(reply.output);
    EXPECT_TRUE(replies.ok()) << reply.output;
    return replies.ok() ? *replies : std::vector<ResultReply>{};
  }
};

ResultBatch Batch(std::vector<PassiveResult> results) {
  return {"web01.example.org", std::move(results)};
}

TEST(ResultsHandlerTest, AcceptsPassiveServicesAndTheHeartbeat) {
  Fixture f;
  int status = -1;
  const auto replies = f.Send(Batch({{"backup", 0, "OK", "line 2", "a=1", kNow - 5, 1},
                                     {"automon agent", 0, "alive", "", "", kNow, 2},
                                     {"lbsock", 1, "WARN", "", "", kNow, 3}}),
                              &status);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(replies.size(), 3u);
  for (const ResultReply& r : replies) EXPECT_EQ(r.status, ResultStatus::kAccepted) << r.detail;
  EXPECT_EQ(replies[2].sequence, 3u);
  ASSERT_EQ(f.writer.written.size(), 3u);
  EXPECT_EQ(f.writer.written[0], (CoreResult{"web01.example.org", "backup", "Nightly backup", 0,
                                             "OK", "line 2", "a=1", kNow - 5}));
  EXPECT_EQ(f.writer.written[1].description, "automon agent");
}

TEST(ResultsHandlerTest, RefusesWhatIsNotThisHostsPassiveService) {
  Fixture f;
  int status = -1;
  const auto replies = f.Send(Batch({{"ssh", 0, "OK", "", "", kNow, 1},
                                     {"nosuch", 0, "OK", "", "", kNow, 2},
                                     {"backup", 0, "OK", "", "", kNow + 61, 3},
                                     {"backup", 0, "OK", "", "", kNow + 60, 4},
                                     {"backup", 2, "OLD", "", "", kNow - 100, 5}}),
                              &status);
  EXPECT_EQ(status, 1);
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(replies[0].status, ResultStatus::kNotPassive);
  EXPECT_EQ(replies[0].detail, "service 'ssh' is checked actively by the server");
  EXPECT_EQ(replies[1].status, ResultStatus::kUnknownService);
  EXPECT_EQ(replies[1].detail, "no service 'nosuch' is registered for web01.example.org");
  EXPECT_EQ(replies[2].status, ResultStatus::kFuture);
  EXPECT_EQ(replies[2].detail,
            "time 1700000061 is 61 s ahead of the registrar's clock (at most 60)");
  EXPECT_EQ(replies[3].status, ResultStatus::kAccepted);
  EXPECT_EQ(replies[4].status, ResultStatus::kStale);
  EXPECT_EQ(replies[4].detail, "a newer result (time 1700000060) was already accepted");
  ASSERT_EQ(f.writer.written.size(), 1u) << "nothing refused reaches the core";
  EXPECT_EQ(f.writer.written[0].time, kNow + 60);
}

TEST(ResultsHandlerTest, AnotherHostsBatchReachesNothing) {
  Fixture f;
  int status = -1;
  ResultBatch batch = Batch({{"backup", 0, "OK", "", "", kNow, 1}});
  batch.host = "db01.example.org";
  const auto replies = f.Send(batch, &status);
  EXPECT_EQ(status, 2);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, ResultStatus::kUnknownService);
  EXPECT_EQ(replies[0].detail, "this key speaks for web01.example.org, not for db01.example.org");
  EXPECT_TRUE(f.writer.written.empty());
}

TEST(ResultsHandlerTest, HeartbeatOnlyWhenTheSnapshotHasOne) {
  Fixture f;
  f.snapshot->heartbeat_seconds.reset();
  const auto replies = f.Send(Batch({{"automon agent", 0, "alive", "", "", kNow, 1}}));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, ResultStatus::kUnknownService);
  EXPECT_TRUE(f.writer.written.empty());
}

TEST(ResultsHandlerTest, UnregisteredHostAndMalformedBatch) {
  Fixture f;
  f.snapshot.reset();
  int status = -1;
  auto replies = f.Send(Batch({{"backup", 0, "OK", "", "", kNow, 7}}), &status);
  EXPECT_EQ(status, 2);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].detail, "web01.example.org is not registered here");
  const ResultsReply reply = f.handler.Handle("web01.example.org", "hello\n");
  EXPECT_EQ(reply.status, 2);
  replies = *formats::ParseReplies(reply.output);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, ResultStatus::kMalformed);
  EXPECT_EQ(replies[0].detail,
            "results refused: line 1: expected 'automon-results 1 <host> <count>', found 'hello'");
  EXPECT_TRUE(f.writer.written.empty());
}

TEST(ResultsHandlerTest, CoreRefusalIsReported) {
  Fixture f;
  f.writer.status = ResultStatus::kRefusedByCore;
  f.writer.detail = "core said no";
  int status = -1;
  const auto replies = f.Send(Batch({{"backup", 0, "OK", "", "", kNow, 1}}), &status);
  EXPECT_EQ(status, 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, ResultStatus::kRefusedByCore);
  EXPECT_EQ(replies[0].detail, "core said no");
}

TEST(ResultsHandlerTest, TextIsMadeSafeForTheCore) {
  Fixture f;
  f.Send(Batch(
      {{"backup", 0, std::string("first\nsecond\r\0x", 15), "l1\r\nl2", "a=1\nb=2", kNow, 1}}));
  ASSERT_EQ(f.writer.written.size(), 1u);
  const CoreResult& r = f.writer.written[0];
  EXPECT_EQ(r.output, std::string("first secondx"));
  EXPECT_EQ(r.long_output, "l1\nl2");
  EXPECT_EQ(r.perfdata, "a=1 b=2");
}

TEST(ResultsTest, NagiosLinesCannotCarryASecondCommand) {
  CoreResult r{"h",   "s",          "Nightly backup",
               2,     "bad; [0] x", "x\n[1700000000] DISABLE_NOTIFICATIONS",
               "a=1", 1700000000};
  EXPECT_EQ(NagiosCommandLine(r),
            "[1700000000] PROCESS_SERVICE_CHECK_RESULT;h;Nightly backup;2;bad; [0] x|a=1\\nx\\n"
            "[1700000000] DISABLE_NOTIFICATIONS\n");
  r.output = "back\\slash";
  r.long_output = "";
  r.perfdata = "";
  EXPECT_EQ(NagiosPluginText(r), "back\\\\slash");
}

TEST(ResultsTest, CoreTextDropsCrAndNulAndCapsAtACharacter) {
  EXPECT_EQ(CoreText(std::string("a\rb\0c", 5)), "abc");
  EXPECT_EQ(CoreText("caf\xc3\xa9", 4), "caf");
  EXPECT_EQ(CoreText("caf\xc3\xa9", 5), "caf\xc3\xa9");
  EXPECT_EQ(CoreText(std::string(100000, 'x')).size(), formats::kMaxResultBytes);
}

}  // namespace
}  // namespace automon::registrar
