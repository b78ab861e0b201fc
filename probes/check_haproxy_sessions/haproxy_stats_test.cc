// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_haproxy_sessions/haproxy_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "probes/lib/check_result.h"

namespace automon::haproxy {
namespace {

using probe::kCritical;
using probe::kOk;
using probe::kUnknown;
using probe::kWarning;

std::string ReadTestdata(const std::string& name) {
  // ctest runs the tests from the source root (automon_add_test).
  std::ifstream in("probes/check_haproxy_sessions/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

StatsRow Row(std::string px, std::string sv, ProxyKind kind, std::optional<uint64_t> scur,
             std::optional<uint64_t> slim, std::string status, int line = 0) {
  return StatsRow{std::move(px), std::move(sv), kind, scur, slim, std::move(status), line};
}

// --- ParseStatsCsv

TEST(ParseStatsCsvTest, ParsesRealSocketReplyOfHaproxy26) {
  // `show stat` of haproxy 2.6.12 (Debian 12) with two connections held
  // open on fe1: 129 columns, trailing commas, a blank last line.
  Result<std::vector<StatsRow>> rows = ParseStatsCsv(ReadTestdata("show_stat_2.6.12.csv"));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::vector<StatsRow> expected = {
      Row("fe1", "FRONTEND", ProxyKind::kFrontend, 2, 10, "OPEN", 2),
      Row("be1", "s1", ProxyKind::kServer, 0, 4, "no check", 3),
      Row("be1", "BACKEND", ProxyKind::kBackend, 2, 1, "UP", 4),
      Row("be2", "s2", ProxyKind::kServer, 0, std::nullopt, "DOWN", 5),
      Row("be2", "BACKEND", ProxyKind::kBackend, 0, 7, "DOWN", 6),
      Row("stats", "FRONTEND", ProxyKind::kFrontend, 0, 9985, "OPEN", 7),
      Row("stats", "BACKEND", ProxyKind::kBackend, 0, 999, "UP", 8),
  };
  EXPECT_EQ(*rows, expected);
}

TEST(ParseStatsCsvTest, KeepsTheLastRowOfTheStatsPage) {
  // The ;csv page has no blank last line; the classic check_haproxy plugins
  // drop its last row. Here the stats frontend counts the request itself.
  Result<std::vector<StatsRow>> rows = ParseStatsCsv(ReadTestdata("stats_page_2.6.12.csv"));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 7u);
  EXPECT_EQ(rows->back(), Row("stats", "BACKEND", ProxyKind::kBackend, 0, 999, "UP", 8));
  EXPECT_EQ((*rows)[5].scur, 1u);
}

TEST(ParseStatsCsvTest, FindsColumnsByNameNotByPosition) {
  Result<std::vector<StatsRow>> rows = ParseStatsCsv(
      "# type,status,slim,extra,scur,svname,pxname,\n"
      "1,UP,50,x,7,BACKEND,app,\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front(), Row("app", "BACKEND", ProxyKind::kBackend, 7, 50, "UP", 2));
}

TEST(ParseStatsCsvTest, AcceptsHeaderVariantsLineEndsAndMissingTrailingCommas) {
  const std::vector<std::string> inputs = {
      "# pxname,svname,scur,slim,status,type,\nweb,FRONTEND,3,10,OPEN,0,\n",
      "#pxname,svname,scur,slim,status,type,\nweb,FRONTEND,3,10,OPEN,0,\n",
      "pxname,svname,scur,slim,status,type\nweb,FRONTEND,3,10,OPEN,0\n",
      "# pxname,svname,scur,slim,status,type,\r\nweb,FRONTEND,3,10,OPEN,0,\r\n\r\n",
      "# pxname,svname,scur,slim,status,type,\nweb,FRONTEND,3,10,OPEN,0",
      "\n# pxname,svname,scur,slim,status,type\n\nweb,FRONTEND,3,10,OPEN,0,\n\n",
  };
  for (const std::string& input : inputs) {
    Result<std::vector<StatsRow>> rows = ParseStatsCsv(input);
    ASSERT_TRUE(rows.ok()) << input << ": " << rows.error().message;
    ASSERT_EQ(rows->size(), 1u) << input;
    EXPECT_EQ(rows->front().Label(), "web/FRONTEND") << input;
    EXPECT_EQ(rows->front().scur, 3u) << input;
    EXPECT_EQ(rows->front().slim, 10u) << input;
    EXPECT_EQ(rows->front().status, "OPEN") << input;
  }
}

TEST(ParseStatsCsvTest, UnquotesFieldsWithCommasQuotesAndNewlines) {
  Result<std::vector<StatsRow>> rows = ParseStatsCsv(
      "# pxname,svname,scur,slim,status,type,\n"
      "\"a,b\",\"say \"\"hi\"\"\",1,,\"multi\nline\",2,\n"
      "c,d,2,,UP,2,\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0),
            Row("a,b", "say \"hi\"", ProxyKind::kServer, 1, std::nullopt, "multi\nline", 2));
  EXPECT_EQ(rows->at(1).line, 4);  // the quoted newline counts
}

TEST(ParseStatsCsvTest, EmptyNumbersAreAbsentNotZero) {
  Result<std::vector<StatsRow>> rows =
      ParseStatsCsv("# pxname,svname,scur,slim,status,type,\nbe,s1,,,no check,2,\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->front().scur, std::nullopt);
  EXPECT_EQ(rows->front().slim, std::nullopt);
}

TEST(ParseStatsCsvTest, DerivesTheKindFromSvnameWithoutTypeColumn) {
  Result<std::vector<StatsRow>> rows = ParseStatsCsv(
      "# pxname,svname,scur,slim,status,\n"
      "p,FRONTEND,1,2,OPEN,\np,BACKEND,1,2,UP,\np,web1,1,,UP,\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ(rows->at(0).kind, ProxyKind::kFrontend);
  EXPECT_EQ(rows->at(1).kind, ProxyKind::kBackend);
  EXPECT_EQ(rows->at(2).kind, ProxyKind::kServer);
}

TEST(ParseStatsCsvTest, HeaderOnlyGivesNoRows) {
  Result<std::vector<StatsRow>> rows = ParseStatsCsv("# pxname,svname,scur,slim,status,\n\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_TRUE(rows->empty());
}

TEST(ParseStatsCsvTest, RejectsWhatIsNotStatsCsvWithTheLine) {
  const std::string header = "# pxname,svname,scur,slim,status,type,\n";
  const struct {
    std::string input;
    std::string error;
  } cases[] = {
      {"", "empty reply: no stats header"},
      {"\n\n", "empty reply: no stats header"},
      {"Permission denied\n\n",
       "reply is not HAProxy stats CSV: the first line is 'Permission denied'"},
      {"\r\n\nPermission denied\r\n",
       "reply is not HAProxy stats CSV: the first line is 'Permission denied'"},
      {"Unknown command: 'show stats'\n\n",
       "reply is not HAProxy stats CSV: the first line is 'Unknown command: 'show stats''"},
      {"<html><head><title>Statistics Report for HAProxy</title>" + std::string(100, 'x'),
       "reply is not HAProxy stats CSV: the first line is '<html><head><title>Statistics "
       "Report for HAProxy</title>xxxx...'"},
      {"# pxname,svname,slim,status,\np,FRONTEND,1,OPEN,\n",
       "line 1: the stats header has no 'scur' column"},
      {"# pxname,svname,scur,status,\np,FRONTEND,1,OPEN,\n",
       "line 1: the stats header has no 'slim' column"},
      {"# pxname,svname,scur,slim,\np,FRONTEND,1,2,\n",
       "line 1: the stats header has no 'status' column"},
      {header + "web,FRONTEND,3,10,OPEN,0,\nweb,BACK",
       "line 3: 2 fields where the header has 6 (truncated reply?)"},
      {header + "web,FRONTEND,3,10,OPEN,0,extra,\n",
       "line 2: 7 fields where the header has 6 (truncated reply?)"},
      {header + "\"web,FRONTEND,3,10,OPEN,0,\n", "line 2: unterminated quoted field"},
      {header + "\"web\"x,FRONTEND,3,10,OPEN,0,\n",
       "line 2: unexpected text after a closing quote"},
      {header + "web,FRONTEND,three,10,OPEN,0,\n", "line 2: scur 'three' is not a whole number"},
      {header + "web,FRONTEND,-1,10,OPEN,0,\n", "line 2: scur '-1' is not a whole number"},
      {header + "web,FRONTEND,1,1e3,OPEN,0,\n", "line 2: slim '1e3' is not a whole number"},
      {header + "web,FRONTEND,1,10,OPEN,7,\n", "line 2: type '7' is not 0, 1, 2 or 3"},
      {header + "web,FRONTEND,1,10,OPEN,,\n", "line 2: type '' is not 0, 1, 2 or 3"},
  };
  for (const auto& c : cases) {
    Result<std::vector<StatsRow>> rows = ParseStatsCsv(c.input);
    ASSERT_FALSE(rows.ok()) << c.input;
    EXPECT_EQ(rows.error().message, c.error) << c.input;
  }
}

// --- Kinds, thresholds, patterns

TEST(ParseKindsTest, AcceptsEachKindAndLists) {
  EXPECT_EQ(*ParseKinds("frontend"), (KindSet{true, false, false}));
  EXPECT_EQ(*ParseKinds("server,backend"), (KindSet{false, true, true}));
  EXPECT_EQ(*ParseKinds("frontend,backend,server,frontend"), (KindSet{true, true, true}));
  EXPECT_EQ(ParseKinds("server,backend")->ToString(), "backend,server");
}

TEST(ParseKindsTest, RejectsUnknownAndEmptyWords) {
  const struct {
    std::string input;
    std::string error;
  } cases[] = {
      {"frontends", "invalid --kind 'frontends': 'frontends' is not frontend, backend or server"},
      {"", "invalid --kind '': '' is not frontend, backend or server"},
      {"frontend,", "invalid --kind 'frontend,': '' is not frontend, backend or server"},
      {"Backend", "invalid --kind 'Backend': 'Backend' is not frontend, backend or server"},
      {"listener", "invalid --kind 'listener': 'listener' is not frontend, backend or server"},
  };
  for (const auto& c : cases) {
    Result<KindSet> kinds = ParseKinds(c.input);
    ASSERT_FALSE(kinds.ok()) << c.input;
    EXPECT_EQ(kinds.error().message, c.error) << c.input;
  }
}

TEST(ParseSessionThresholdTest, TrailingPercentMakesItRelative) {
  Result<SessionThreshold> absolute = ParseSessionThreshold("80", "-w");
  ASSERT_TRUE(absolute.ok());
  EXPECT_FALSE(absolute->percent);
  EXPECT_EQ(absolute->range.end, 80);

  Result<SessionThreshold> percent = ParseSessionThreshold("@10:20%", "-c");
  ASSERT_TRUE(percent.ok());
  EXPECT_TRUE(percent->percent);
  EXPECT_TRUE(percent->range.alert_inside);
  EXPECT_EQ(percent->range.start, 10);
  EXPECT_EQ(percent->range.end, 20);
  EXPECT_EQ(percent->range.text, "@10:20");
}

TEST(ParseSessionThresholdTest, ErrorsNameTheOptionAndTheWholeText) {
  EXPECT_EQ(ParseSessionThreshold("8x%", "-w").error().message,
            "invalid -w range '8x%': '8x' is not a number");
  EXPECT_EQ(ParseSessionThreshold("%", "-c").error().message, "invalid -c range '%': empty");
  EXPECT_EQ(ParseSessionThreshold("80%%", "-c").error().message,
            "invalid -c range '80%%': '80%' is not a number");
}

TEST(SessionThresholdTest, ForLimitScalesPercentIntoSessions) {
  const struct {
    std::string text;
    uint64_t slim;
    std::string scaled;
  } cases[] = {
      {"80%", 10, "8"},   {"80%", 7, "5.6"},         {"@10:20%", 50, "@5:10"}, {"~:90%", 10, "~:9"},
      {"50:%", 10, "5:"}, {"20:90%", 200, "40:180"}, {"0.5%", 1000, "5"},      {"80", 10, "80"},
  };
  for (const auto& c : cases) {
    Result<SessionThreshold> t = ParseSessionThreshold(c.text, "-w");
    ASSERT_TRUE(t.ok()) << c.text;
    probe::Range scaled = t->ForLimit(c.slim);
    EXPECT_EQ(scaled.text, c.scaled) << c.text;
    // The scaled range must mean what it says: reparsing gives the same one.
    Result<probe::Range> reparsed = probe::ParseRange(scaled.text);
    ASSERT_TRUE(reparsed.ok()) << c.text;
    EXPECT_EQ(*reparsed, scaled) << c.text;
  }
}

TEST(MatchesTest, GlobsOnProxyNameOrOnLabelWithSlash) {
  StatsRow server = Row("web_back", "app1", ProxyKind::kServer, 1, 2, "UP");
  EXPECT_TRUE(Matches("web_back", server));
  EXPECT_TRUE(Matches("web*", server));
  EXPECT_TRUE(Matches("web_bac?", server));
  EXPECT_TRUE(Matches("[vw]eb_*", server));
  EXPECT_FALSE(Matches("web", server));
  EXPECT_FALSE(Matches("app1", server));
  EXPECT_TRUE(Matches("web_back/app1", server));
  EXPECT_TRUE(Matches("*/app*", server));
  EXPECT_FALSE(Matches("web_back/app2", server));
}

// --- Evaluate

std::vector<StatsRow> Site() {
  return {
      Row("web", "FRONTEND", ProxyKind::kFrontend, 3, 10, "OPEN"),
      Row("app", "s1", ProxyKind::kServer, 2, std::nullopt, "UP"),
      Row("app", "s2", ProxyKind::kServer, 1, 4, "DOWN"),
      Row("app", "BACKEND", ProxyKind::kBackend, 3, 20, "UP"),
      Row("stats", "FRONTEND", ProxyKind::kFrontend, 1, 1000, "OPEN"),
  };
}

Selection Thresholds(const std::string& warning, const std::string& critical) {
  Selection selection;
  if (!warning.empty()) selection.warning = *ParseSessionThreshold(warning, "-w");
  if (!critical.empty()) selection.critical = *ParseSessionThreshold(critical, "-c");
  return selection;
}

TEST(EvaluateTest, AllOkNamesTheBusiestProxyInFullOutput) {
  Selection selection = Thresholds("5", "8");
  EXPECT_EQ(probe::FormatNagios(Evaluate(selection, Site())),
            "HAPROXY SESSIONS OK - 3 proxies OK; busiest web/FRONTEND 3 of 10 sessions (30%) | "
            "web/FRONTEND=3;5;8;0;10 app/BACKEND=3;5;8;0;20 stats/FRONTEND=1;5;8;0;1000\n"
            "OK (frontend): web/FRONTEND 3 of 10 sessions (30%), status OPEN\n"
            "OK (backend): app/BACKEND 3 of 20 sessions (15%), status UP\n"
            "OK (frontend): stats/FRONTEND 1 of 1000 sessions (0.1%), status OPEN\n");
}

TEST(EvaluateTest, AbsoluteThresholdsApplyToEachProxy) {
  const struct {
    std::string warning, critical;
    probe::State state;
  } cases[] = {
      {"5", "8", kOk},      {"2", "8", kWarning}, {"2", "2", kCritical},
      {"", "2", kCritical}, {"3", "", kOk},       {"@3:3", "", kWarning},
      {"", "", kOk},        {"4:", "", kWarning}, {"", "~:0", kCritical},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Evaluate(Thresholds(c.warning, c.critical), Site()).state, c.state)
        << "-w " << c.warning << " -c " << c.critical;
  }
}

TEST(EvaluateTest, PercentThresholdsUseEachProxysOwnLimit) {
  // web: 3 of 10 (30%), app/BACKEND 3 of 20 (15%), stats 1 of 1000 (0.1%).
  const struct {
    std::string warning, critical;
    probe::State state;
    std::string summary;
  } cases[] = {
      {"40%", "50%", kOk,
       "HAPROXY SESSIONS OK - 3 proxies OK; busiest web/FRONTEND 3 of 10 "
       "sessions (30%)"},
      {"20%", "50%", kWarning,
       "HAPROXY SESSIONS WARNING - web/FRONTEND 3 of 10 sessions (30%) "
       "WARNING; 2 of 3 OK"},
      {"10%", "25%", kCritical,
       "HAPROXY SESSIONS CRITICAL - web/FRONTEND 3 of 10 sessions "
       "(30%) CRITICAL, app/BACKEND 3 of 20 sessions (15%) WARNING; 1 "
       "of 3 OK"},
      {"", "30%", kOk,
       "HAPROXY SESSIONS OK - 3 proxies OK; busiest web/FRONTEND 3 of 10 "
       "sessions (30%)"},
  };
  for (const auto& c : cases) {
    probe::CheckResult result = Evaluate(Thresholds(c.warning, c.critical), Site());
    EXPECT_EQ(result.state, c.state) << c.warning << " " << c.critical;
    EXPECT_EQ(result.summary, c.summary) << c.warning << " " << c.critical;
  }
}

TEST(EvaluateTest, PerfdataCarriesPercentThresholdsInSessions) {
  probe::CheckResult result = Evaluate(Thresholds("80%", "90%"), Site());
  ASSERT_EQ(result.perfdata.size(), 3u);
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[0]), "web/FRONTEND=3;8;9;0;10");
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[1]), "app/BACKEND=3;16;18;0;20");
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[2]), "stats/FRONTEND=1;800;900;0;1000");
}

TEST(EvaluateTest, PercentThresholdOnProxyWithoutLimitIsUnknown) {
  Selection selection = Thresholds("80%", "");
  selection.kinds = KindSet{false, false, true};
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.state, kUnknown);
  EXPECT_EQ(result.summary, "HAPROXY SESSIONS UNKNOWN - app/s1 2 sessions UNKNOWN; 1 of 2 OK");
  EXPECT_EQ(result.long_output[0],
            "UNKNOWN (server): app/s1 2 sessions, no limit, status UP - no session limit, so "
            "the warning threshold '80%' cannot apply");
  // Still measured: the value is in the perfdata, without thresholds or max.
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[0]), "app/s1=2;;;0;");
  EXPECT_EQ(probe::FormatPerfdata(result.perfdata[1]), "app/s2=1;3.2;;0;4");
}

TEST(EvaluateTest, AbsoluteThresholdOnProxyWithoutLimitWorks) {
  Selection selection = Thresholds("1", "");
  selection.kinds = KindSet{false, false, true};
  selection.proxy_patterns = {"app/s1"};
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.state, kWarning);
  EXPECT_EQ(result.summary, "HAPROXY SESSIONS WARNING - app/s1 2 sessions WARNING; 0 of 1 OK");
}

TEST(EvaluateTest, CriticalOutranksUnknown) {
  Selection selection = Thresholds("80%", "1");
  selection.kinds = KindSet{false, false, true};
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.state, kCritical);
  EXPECT_EQ(result.summary, "HAPROXY SESSIONS CRITICAL - app/s1 2 sessions CRITICAL; 1 of 2 OK");
}

TEST(EvaluateTest, DownIsCriticalOnlyWithDownCritical) {
  Selection selection;
  selection.kinds = KindSet{false, true, true};
  EXPECT_EQ(Evaluate(selection, Site()).state, kOk);
  selection.down_critical = true;
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.state, kCritical);
  EXPECT_EQ(result.summary,
            "HAPROXY SESSIONS CRITICAL - app/s2 1 of 4 sessions (25%) CRITICAL (DOWN); 2 of 3 OK");
  EXPECT_EQ(result.long_output[1],
            "CRITICAL (server): app/s2 1 of 4 sessions (25%), status DOWN - status DOWN");
}

TEST(EvaluateTest, OnlyDownStatusesCountAsDown) {
  const struct {
    std::string status;
    probe::State state;
  } cases[] = {
      {"DOWN", kCritical}, {"DOWN 1/2", kCritical}, {"UP", kOk},       {"UP 1/3", kOk},
      {"MAINT", kOk},      {"MAINT(via)", kOk},     {"no check", kOk}, {"NOLB", kOk},
      {"OPEN", kOk},       {"DOWNTIME", kOk},
  };
  for (const auto& c : cases) {
    Selection selection;
    selection.down_critical = true;
    selection.kinds = KindSet{true, true, true};
    EXPECT_EQ(Evaluate(selection, {Row("p", "s", ProxyKind::kServer, 0, 1, c.status)}).state,
              c.state)
        << c.status;
  }
}

TEST(EvaluateTest, KindSelectsRows) {
  Selection selection;
  EXPECT_EQ(Evaluate(selection, Site()).perfdata.size(), 3u);  // default frontend,backend
  selection.kinds = KindSet{true, false, false};
  probe::CheckResult frontends = Evaluate(selection, Site());
  ASSERT_EQ(frontends.perfdata.size(), 2u);
  EXPECT_EQ(frontends.perfdata[0].label, "web/FRONTEND");
  EXPECT_EQ(frontends.perfdata[1].label, "stats/FRONTEND");
  selection.kinds = KindSet{false, false, true};
  probe::CheckResult servers = Evaluate(selection, Site());
  ASSERT_EQ(servers.perfdata.size(), 2u);
  EXPECT_EQ(servers.perfdata[0].label, "app/s1");
}

TEST(EvaluateTest, ProxyPatternsSelectAndEachMustMatch) {
  Selection selection;
  selection.proxy_patterns = {"web", "ap*"};
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.state, kOk);
  ASSERT_EQ(result.perfdata.size(), 2u);
  EXPECT_EQ(result.perfdata[0].label, "web/FRONTEND");
  EXPECT_EQ(result.perfdata[1].label, "app/BACKEND");
}

TEST(EvaluateTest, MissingProxyIsAnUnknownErrorListingWhatExists) {
  Selection selection;
  selection.proxy_patterns = {"web", "db*"};
  EXPECT_EQ(probe::FormatNagios(Evaluate(selection, Site())),
            "Error: no frontend/backend matches --proxy 'db*' (HAProxy lists: app, stats, web)\n");
  EXPECT_EQ(Evaluate(selection, Site()).state, kUnknown);

  // A proxy that exists, but not as a selected kind, is missing too.
  selection.proxy_patterns = {"app"};
  selection.kinds = KindSet{true, false, false};
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.state, kUnknown);
  EXPECT_EQ(result.summary, "Error: no frontend matches --proxy 'app' (HAProxy lists: stats, web)");
  EXPECT_TRUE(result.perfdata.empty());
}

TEST(EvaluateTest, NothingOfTheSelectedKindsIsAnUnknownError) {
  Selection selection;
  selection.kinds = KindSet{false, true, false};
  probe::CheckResult result =
      Evaluate(selection, {Row("web", "FRONTEND", ProxyKind::kFrontend, 1, 2, "OPEN")});
  EXPECT_EQ(result.state, kUnknown);
  EXPECT_EQ(result.summary, "Error: the stats list no backend at all");
  EXPECT_EQ(Evaluate(Selection{}, {}).summary, "Error: the stats list no frontend/backend at all");
}

TEST(EvaluateTest, RowWithoutSessionCountIsUnknownWithoutPerfdata) {
  probe::CheckResult result =
      Evaluate(Selection{}, {Row("web", "FRONTEND", ProxyKind::kFrontend, std::nullopt, 10, "OPEN"),
                             Row("app", "BACKEND", ProxyKind::kBackend, 1, 10, "UP")});
  EXPECT_EQ(result.state, kUnknown);
  EXPECT_EQ(result.summary,
            "HAPROXY SESSIONS UNKNOWN - web/FRONTEND (no session count) UNKNOWN; 1 of 2 OK");
  ASSERT_EQ(result.perfdata.size(), 1u);
  EXPECT_EQ(result.perfdata[0].label, "app/BACKEND");
}

TEST(EvaluateTest, SummaryListsAtMostFiveProblemsWorstFirst) {
  std::vector<StatsRow> rows;
  for (int i = 0; i < 7; ++i) {
    rows.push_back(Row("w" + std::to_string(i), "FRONTEND", ProxyKind::kFrontend, 5, 10, "OPEN"));
  }
  rows.push_back(Row("hot", "FRONTEND", ProxyKind::kFrontend, 9, 10, "OPEN"));
  rows.push_back(Row("idle", "FRONTEND", ProxyKind::kFrontend, 0, 10, "OPEN"));
  probe::CheckResult result = Evaluate(Thresholds("40%", "80%"), rows);
  EXPECT_EQ(result.state, kCritical);
  EXPECT_EQ(result.summary,
            "HAPROXY SESSIONS CRITICAL - hot/FRONTEND 9 of 10 sessions (90%) CRITICAL, "
            "w0/FRONTEND 5 of 10 sessions (50%) WARNING, w1/FRONTEND 5 of 10 sessions (50%) "
            "WARNING, w2/FRONTEND 5 of 10 sessions (50%) WARNING, w3/FRONTEND 5 of 10 sessions "
            "(50%) WARNING, and 3 more; 1 of 9 OK");
  EXPECT_EQ(result.long_output.size(), 9u);
}

TEST(EvaluateTest, VerboseAddsTheSelection) {
  Selection selection;
  selection.verbosity = 1;
  selection.proxy_patterns = {"web", "app"};
  probe::CheckResult result = Evaluate(selection, Site());
  EXPECT_EQ(result.long_output.back(),
            "2 of 5 stats rows selected (kinds frontend,backend; proxies 'web', 'app')");
  selection.verbosity = 0;
  EXPECT_EQ(Evaluate(selection, Site()).long_output.size(), 2u);
}

TEST(EvaluateTest, ControlCharactersInNamesCannotBreakTheOutput) {
  probe::CheckResult result = Evaluate(
      Thresholds("0", ""), {Row("evil\nname|x", "FRONTEND", ProxyKind::kFrontend, 1, 2, "OPEN")});
  std::string text = probe::FormatNagios(result);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "HAPROXY SESSIONS WARNING - evil name/x/FRONTEND 1 of 2 sessions (50%) WARNING; 0 of "
            "1 OK | 'evil name/x/FRONTEND'=1;0;;0;2");
}

}  // namespace
}  // namespace automon::haproxy
