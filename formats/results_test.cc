// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/results.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace automon::formats {
namespace {

ResultBatch Example() {
  ResultBatch batch;
  batch.host = "web01.example.org";
  batch.results.push_back(
      {"backup", 0, "BACKUP OK - 3 files", "line two\nline three", "files=3;;;0", 1700000000, 12});
  batch.results.push_back({std::string(kHeartbeatService), 3, "", "", "", 1700000001, 13});
  // Everything that could forge a field, a line or a core command.
  batch.results.push_back({"raid", 2, "a\tb\\c\r\x01\x7f|[0] DISABLE_NOTIFICATIONS",
                           "x\n[1700000000] DISABLE_NOTIFICATIONS;\n", "\\n", 0, 0});
  return batch;
}

std::string Refusal(std::string_view document) {
  auto parsed = ParseResults(document);
  EXPECT_FALSE(parsed.ok()) << document;
  return parsed.ok() ? "" : parsed.error().message;
}

TEST(ResultsTest, RoundTripsExactly) {
  const ResultBatch batch = Example();
  const std::string text = SerializeResults(batch);
  auto parsed = ParseResults(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, batch);
  EXPECT_EQ(SerializeResults(*parsed), text);
}

TEST(ResultsTest, DocumentLayoutEscapesEveryControl) {
  EXPECT_EQ(SerializeResults(Example()),
            "automon-results 1 web01.example.org 3\n"
            "12\t1700000000\t0\tbackup\tBACKUP OK - 3 files\tline two\\nline three\tfiles=3;;;0\n"
            "13\t1700000001\t3\tautomon agent\t\t\t\n"
            "0\t0\t2\traid\ta\\tb\\\\c\\r\\x01\\x7f|[0] DISABLE_NOTIFICATIONS\t"
            "x\\n[1700000000] DISABLE_NOTIFICATIONS;\\n\t\\\\n\n"
            "end 3\n");
  const std::string text = SerializeResults(Example());
  // One header, three results, one trailer: no value added a line.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);
}

TEST(ResultsTest, EmptyBatch) {
  ResultBatch batch;
  batch.host = "h";
  EXPECT_EQ(SerializeResults(batch), "automon-results 1 h 0\nend 0\n");
  auto parsed = ParseResults(SerializeResults(batch));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, batch);
}

TEST(ResultsTest, RefusesMalformedDocuments) {
  const std::string good = SerializeResults(Example());
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_EQ(Refusal(""), "results refused: the document is empty or has no complete line");
  EXPECT_EQ(Refusal("hello\n"),
            "results refused: line 1: expected 'automon-results 1 <host> <count>', found 'hello'");
  EXPECT_EQ(Refusal(replace("results 1 ", "results 2 ")),
            "results refused: line 1: format '2' is not supported (this side reads format 1)");
  EXPECT_EQ(Refusal(replace("web01.example.org", "web_01")),
            "results refused: line 1: invalid host name 'web_01'");
  EXPECT_EQ(Refusal(replace(".org 3", ".org  3")),
            "results refused: line 1: expected 'automon-results 1 <host> <count>', found "
            "'automon-results 1 web01.example.org  3'");
  EXPECT_EQ(Refusal(replace(".org 3", ".org 03")), "results refused: line 1: invalid count '03'");
  EXPECT_EQ(Refusal(replace(".org 3", ".org 1001")),
            "results refused: line 1: invalid count '1001' (at most 1000)");
  EXPECT_EQ(Refusal(replace(".org 3", ".org 4")),
            "results refused: line 5: expected 7 TAB-separated fields (sequence, time, state, "
            "service, output, long output, perfdata)");
  EXPECT_EQ(Refusal(replace(".org 3", ".org 2")),
            "results refused: line 4: expected 'end 2', found '0?0?2?raid?a\\tb\\\\c\\r\\x01\\x7f|"
            "[0] DISABLE_NOTIFICATIONS?x\\n[1700000000] DISABLE_NOTIFICATIONS;\\n?\\\\n'");
  EXPECT_EQ(Refusal(good.substr(0, good.size() - 1)),
            "results refused: the document ends without the line 'end 3' (truncated?)");
  EXPECT_EQ(Refusal(good.substr(0, good.find("13\t"))),
            "results refused: the header announces 3 results but 1 are present (truncated?)");
  EXPECT_EQ(Refusal(good + "x\n"), "results refused: line 6: text after the end of the document");
  EXPECT_EQ(Refusal(replace("12\t", "012\t")), "results refused: line 2: invalid sequence '012'");
  EXPECT_EQ(Refusal(replace("12\t", "-1\t")), "results refused: line 2: invalid sequence '-1'");
  EXPECT_EQ(Refusal(replace("\t1700000000\t0", "\t-5\t0")),
            "results refused: line 2: invalid time '-5'");
  EXPECT_EQ(Refusal(replace("\t1700000000\t0", "\t99999999999999999999\t0")),
            "results refused: line 2: invalid time '99999999999999999999'");
  EXPECT_EQ(Refusal(replace("1700000000\t0\t", "1700000000\t4\t")),
            "results refused: line 2: invalid state '4' (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)");
  EXPECT_EQ(Refusal(replace("1700000000\t0\t", "1700000000\t\t")),
            "results refused: line 2: invalid state '' (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)");
  EXPECT_EQ(Refusal(replace("\tbackup\t", "\tback;up\t")),
            "results refused: line 2: invalid service name 'back;up'");
  EXPECT_EQ(Refusal(replace("\tbackup\t", "\t\t")),
            "results refused: line 2: invalid service name ''");
  EXPECT_EQ(Refusal(replace("files=3;;;0", "files=3\t")),
            "results refused: line 2: expected 7 TAB-separated fields (sequence, time, state, "
            "service, output, long output, perfdata)");
}

TEST(ResultsTest, RefusesNonCanonicalEscapesAndRawControls) {
  const std::string good = SerializeResults(Example());
  const std::vector<std::string_view> bads = {"\\q",   "\\x0A", "\\x0a", "\\x09",
                                              "\\x0d", "\\xzz", "\\x41", "\\x4",
                                              "\r",    "\x1b",  "\\",    std::string_view("\0", 1)};
  for (const std::string_view bad : bads) {
    std::string s = good;
    s.replace(s.find("BACKUP OK"), 9, bad);
    EXPECT_EQ(Refusal(s), "results refused: line 2: invalid escape or control character in field 5")
        << bad;
  }
}

TEST(ResultsTest, RefusesOversizedDocumentsAndResults) {
  EXPECT_EQ(Refusal(std::string(kMaxResultsDocumentBytes + 1, 'a')),
            "results refused: 8388609 bytes is over the limit of 8388608");
  ResultBatch batch;
  batch.host = "h";
  batch.results.push_back({"s", 0, std::string(kMaxResultBytes - 2, 'o'), "l", "p", 1, 1});
  EXPECT_TRUE(ParseResults(SerializeResults(batch)).ok());
  batch.results[0].perfdata = "pp";
  EXPECT_EQ(Refusal(SerializeResults(batch)),
            "results refused: line 2: result of 65537 bytes is over the limit of 65536");
  // Escapes count as the bytes they stand for.
  batch.results[0] = {"s", 0, std::string(kMaxResultBytes, '\n'), "", "", 1, 1};
  EXPECT_TRUE(ParseResults(SerializeResults(batch)).ok());
  ResultBatch many;
  many.host = "h";
  many.results.assign(kMaxResultsPerBatch, {"s", 0, "ok", "", "", 1, 1});
  EXPECT_TRUE(ParseResults(SerializeResults(many)).ok());
  many.results.push_back({"s", 0, "ok", "", "", 1, 1});
  EXPECT_EQ(Refusal(SerializeResults(many)),
            "results refused: line 1: invalid count '1001' (at most 1000)");
}

TEST(ResultsTest, StatusNames) {
  EXPECT_EQ(ResultStatusName(ResultStatus::kAccepted), "accepted");
  EXPECT_EQ(ResultStatusName(ResultStatus::kUnknownService), "unknown-service");
  EXPECT_EQ(ResultStatusName(ResultStatus::kNotPassive), "not-passive");
  EXPECT_EQ(ResultStatusName(ResultStatus::kStale), "stale");
  EXPECT_EQ(ResultStatusName(ResultStatus::kFuture), "future");
  EXPECT_EQ(ResultStatusName(ResultStatus::kRefusedByCore), "refused-by-core");
  EXPECT_EQ(ResultStatusName(ResultStatus::kQueued), "queued");
  EXPECT_EQ(ResultStatusName(ResultStatus::kMalformed), "malformed");
}

TEST(ResultsTest, RepliesRoundTrip) {
  const std::vector<ResultReply> replies = {
      {12, ResultStatus::kAccepted, ""},
      {13, ResultStatus::kUnknownService, "no service 'x'\nforged line"},
      {14, ResultStatus::kQueued, "core down"},
  };
  const std::string text = SerializeReplies(replies);
  EXPECT_EQ(text,
            "automon-replies 1 3\n12\taccepted\t\n13\tunknown-service\tno service 'x'\\nforged "
            "line\n14\tqueued\tcore down\nend 3\n");
  auto parsed = ParseReplies(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, replies);
  auto empty = ParseReplies(SerializeReplies({}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ResultsTest, RefusesMalformedReplies) {
  auto refusal = [](std::string_view text) {
    auto parsed = ParseReplies(text);
    EXPECT_FALSE(parsed.ok()) << text;
    return parsed.ok() ? "" : parsed.error().message;
  };
  EXPECT_EQ(refusal("automon-replies 1 1\n1\tgreat\t\nend 1\n"),
            "replies refused: line 2: unknown status 'great'");
  EXPECT_EQ(refusal("automon-replies 1 1\n1\taccepted\nend 1\n"),
            "replies refused: line 2: expected 3 TAB-separated fields (sequence, status, detail)");
  EXPECT_EQ(refusal("automon-replies 1 1\n1\taccepted\t\\z\nend 1\n"),
            "replies refused: line 2: invalid detail");
  EXPECT_EQ(refusal("automon-replies 1 1\n1\taccepted\t\n"),
            "replies refused: the document ends without the line 'end 1' (truncated?)");
  EXPECT_EQ(refusal("automon-results 1 1\nend 1\n"),
            "replies refused: line 1: expected 'automon-replies 1 <count>', found "
            "'automon-results 1 1'");
}

PassiveResult Split(std::string_view text) {
  PassiveResult r;
  r.output = "stale";
  SplitPluginOutput(text, r);
  return r;
}

TEST(ResultsTest, SplitPluginOutputFollowsNagios) {
  PassiveResult r = Split("BACKUP OK - 3 files | files=3;;;0\nline two\nline three\n");
  EXPECT_EQ(r.output, "BACKUP OK - 3 files");
  EXPECT_EQ(r.long_output, "line two\nline three");
  EXPECT_EQ(r.perfdata, "files=3;;;0");

  r = Split("DISK OK|/=1GB\r\nfirst\r\nsecond | /var=2GB\n/home=3GB\n");
  EXPECT_EQ(r.output, "DISK OK");
  EXPECT_EQ(r.long_output, "first\nsecond");
  EXPECT_EQ(r.perfdata, "/=1GB /var=2GB /home=3GB");

  r = Split("only a line");
  EXPECT_EQ(r.output, "only a line");
  EXPECT_EQ(r.long_output, "");
  EXPECT_EQ(r.perfdata, "");

  r = Split("");
  EXPECT_EQ(r.output, "");
  EXPECT_EQ(r.long_output, "");
  EXPECT_EQ(r.perfdata, "");

  r = Split("  OK  |  \n  indented\n\n");
  EXPECT_EQ(r.output, "OK");
  EXPECT_EQ(r.long_output, "  indented");
  EXPECT_EQ(r.perfdata, "");

  r = Split("no perf\nlong | a=1");
  EXPECT_EQ(r.long_output, "long");
  EXPECT_EQ(r.perfdata, "a=1");
}

}  // namespace
}  // namespace automon::formats
