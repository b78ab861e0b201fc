// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/guacamole.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/file_system.h"

namespace automon::guacamole {
namespace {

// Fixtures are read relative to the repository root (ctest's working dir).
std::string Fixture(const std::string& name) {
  RealFileSystem fs;
  Result<std::string> text = fs.ReadFile("probes/check_guacamole/testdata/" + name, 1 << 20);
  AUTOMON_CHECK(text.ok());
  return std::move(text).value();
}

TEST(ParseLoginReplyTest, ReadsAllFields) {
  Result<LoginReply> reply = ParseLoginReply(Fixture("login.json"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(*reply, (LoginReply{"C90FE1163F6A4A1F0C8E27E4F6B1D4D5A7E1E0F2B3C4D5E6F708192A3B4C5D6E",
                                "guacadmin",
                                "postgresql",
                                {"postgresql", "postgresql-shared"}}));
}

TEST(ParseLoginReplyTest, RejectsMissingToken) {
  Result<LoginReply> reply = ParseLoginReply(R"({"username":"u","dataSource":"mysql"})");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().message, "unexpected JSON: no authToken in the login reply");
}

TEST(ParseLoginReplyTest, RejectsEmptyToken) {
  EXPECT_FALSE(ParseLoginReply(R"({"authToken":""})").ok());
}

TEST(ParseLoginReplyTest, RejectsNonObject) {
  Result<LoginReply> reply = ParseLoginReply("[1,2]");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().message, "unexpected JSON: expected the login object, got an array");
}

TEST(ParseLoginReplyTest, MalformedJsonSaysWhere) {
  Result<LoginReply> reply = ParseLoginReply(R"({"authToken":"AB)");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().message.rfind("malformed JSON: parse error at line 1, column ", 0), 0u)
      << reply.error().message;
}

TEST(ParseLoginReplyTest, FallsBackToPrimaryDataSource) {
  Result<LoginReply> reply = ParseLoginReply(R"({"authToken":"T","dataSource":"mysql"})");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->available_data_sources, std::vector<std::string>{"mysql"});
}

TEST(ParseActiveConnectionsTest, AdminViewHasEveryField) {
  Result<std::vector<ActiveConnection>> sessions =
      ParseActiveConnections(Fixture("active_admin.json"));
  ASSERT_TRUE(sessions.ok()) << sessions.error().message;
  ASSERT_EQ(sessions->size(), 3u);
  bool found = false;
  for (const ActiveConnection& s : *sessions) {
    if (s.identifier != "1f0e2d3c-4b5a-5968-8776-655443322110") continue;
    found = true;
    EXPECT_EQ(s, (ActiveConnection{"1f0e2d3c-4b5a-5968-8776-655443322110", "3", 1717100000000,
                                   "10.0.0.5", "alice", true}));
  }
  EXPECT_TRUE(found);
}

TEST(ParseActiveConnectionsTest, NonAdminViewHasNulls) {
  Result<std::vector<ActiveConnection>> sessions =
      ParseActiveConnections(Fixture("active_non_admin.json"));
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 2u);
  const ActiveConnection& hidden =
      (*sessions)[0].identifier == "bb22" ? (*sessions)[0] : (*sessions)[1];
  EXPECT_EQ(hidden,
            (ActiveConnection{"bb22", "3", 1717150000000, std::nullopt, std::nullopt, false}));
}

TEST(ParseActiveConnectionsTest, Version10HasNoConnectable) {
  Result<std::vector<ActiveConnection>> sessions =
      ParseActiveConnections(Fixture("active_1_0.json"));
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_FALSE((*sessions)[0].connectable.has_value());
}

TEST(ParseActiveConnectionsTest, EmptyObjectIsZeroSessions) {
  Result<std::vector<ActiveConnection>> sessions = ParseActiveConnections("{}");
  ASSERT_TRUE(sessions.ok());
  EXPECT_TRUE(sessions->empty());
}

TEST(ParseActiveConnectionsTest, CountsKeysEvenWithOddValues) {
  Result<std::vector<ActiveConnection>> sessions = ParseActiveConnections(R"({"a":null,"b":1})");
  ASSERT_TRUE(sessions.ok());
  EXPECT_EQ(sessions->size(), 2u);
}

TEST(ParseActiveConnectionsTest, RejectsWrongShapes) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[]", "unexpected JSON: expected an object of active connections, got an array"},
      {"null", "unexpected JSON: expected an object of active connections, got null"},
      {"\"x\"", "unexpected JSON: expected an object of active connections, got a string"},
      {"42", "unexpected JSON: expected an object of active connections, got a number"},
  };
  for (const Case& c : cases) {
    Result<std::vector<ActiveConnection>> sessions = ParseActiveConnections(c.body);
    ASSERT_FALSE(sessions.ok()) << c.body;
    EXPECT_EQ(sessions.error().message, c.message) << c.body;
  }
}

TEST(ParseActiveConnectionsTest, RejectsMalformedJson) {
  for (const char* body : {"", "{", "{\"a\":", "\x89PNG\r\n", "<html></html>", "{}}"}) {
    Result<std::vector<ActiveConnection>> sessions = ParseActiveConnections(body);
    ASSERT_FALSE(sessions.ok()) << body;
    EXPECT_EQ(sessions.error().message.rfind("malformed JSON: ", 0), 0u) << body;
  }
}

TEST(CountTest, ObjectKeysAndArrayElements) {
  EXPECT_EQ(*CountObjectKeys(R"({"a":{},"b":{}})"), 2);
  EXPECT_EQ(*CountArrayElements("[{},{},{}]"), 3);
  EXPECT_EQ(CountObjectKeys("[]").error().message,
            "unexpected JSON: expected an object, got an array");
  EXPECT_EQ(CountArrayElements("{}").error().message,
            "unexpected JSON: expected an array, got an object");
}

TEST(ParseApiErrorTest, ReadsTypeMessageAndKey) {
  EXPECT_EQ(ParseApiError(Fixture("error_invalid_credentials.json")),
            (ApiError{"Invalid login", "INVALID_CREDENTIALS", "APP.TEXT_UNTRANSLATED"}));
  EXPECT_EQ(ParseApiError(Fixture("error_insufficient_totp.json"))->translation_key,
            "TOTP.INFO_CODE_REQUIRED");
  EXPECT_EQ(ParseApiError(Fixture("error_permission_denied_1_6.json"))->type, "PERMISSION_DENIED");
  EXPECT_EQ(ParseApiError(Fixture("error_banned.json"))->message,
            "Too many failed authentication attempts.");
}

TEST(ParseApiErrorTest, NothingForOtherBodies) {
  EXPECT_FALSE(ParseApiError(Fixture("proxy_502.html")).has_value());
  EXPECT_FALSE(ParseApiError("{}").has_value());
  EXPECT_FALSE(ParseApiError("[]").has_value());
  EXPECT_FALSE(ParseApiError(R"({"type":5})").has_value());
  EXPECT_FALSE(ParseApiError("").has_value());
}

TEST(ContentTypeTest, RecognisesJson) {
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=UTF-8"));
  EXPECT_FALSE(IsJsonContentType("text/html"));
  EXPECT_FALSE(IsJsonContentType(""));
  EXPECT_FALSE(IsJsonContentType("application/jsonp"));
}

TEST(DataSourceTest, OnlyJdbcModulesReportSessions) {
  for (const char* s : {"mysql", "postgresql", "sqlserver"}) EXPECT_TRUE(ReportsSessions(s)) << s;
  for (const char* s : {"mysql-shared", "ldap", "default", "json", "quickconnect", "header",
                        "radius", "cas", "openid", "saml", "ssl", "totp", "", "MySQL"}) {
    EXPECT_FALSE(ReportsSessions(s)) << s;
  }
}

TEST(DataSourceTest, AutoPicksFirstDatabaseSource) {
  EXPECT_EQ(ChooseDataSource("auto", *ParseLoginReply(Fixture("login_ldap_first.json"))), "mysql");
  EXPECT_EQ(ChooseDataSource("auto", *ParseLoginReply(Fixture("login.json"))), "postgresql");
  EXPECT_EQ(ChooseDataSource("auto", *ParseLoginReply(Fixture("login_no_database.json"))),
            std::nullopt);
  EXPECT_EQ(ChooseDataSource("sqlserver", *ParseLoginReply(Fixture("login.json"))), "sqlserver");
}

TEST(UrlTest, NormalizesUri) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"/guacamole", "/guacamole"},
      {"guacamole", "/guacamole"},
      {"/guacamole/", "/guacamole"},
      {"guacamole/", "/guacamole"},
      {"//a//b/", "/a/b"},
      {"/", ""},
      {"", ""},
      {"a/b/c", "/a/b/c"},
  };
  for (const Case& c : cases) EXPECT_EQ(NormalizeUri(c.in), c.out) << c.in;
}

TEST(UrlTest, BaseUrl) {
  Config config;
  config.host = "guac.example.org";
  EXPECT_EQ(BaseUrl(config), "http://guac.example.org/guacamole");
  config.protocol = "https";
  config.port = 8443;
  config.uri = "";
  EXPECT_EQ(BaseUrl(config), "https://guac.example.org:8443");
  config.host = "::1";
  EXPECT_EQ(BaseUrl(config), "https://[::1]:8443");
  EXPECT_EQ(EffectivePort(config), 8443);
  config.port.reset();
  EXPECT_EQ(EffectivePort(config), 443);
}

TEST(RedactTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(Redact("a s3cret b s3cret", "s3cret"), "a ******** b ********");
  EXPECT_EQ(Redact("nothing", ""), "nothing");
}

Measurement ThreeSessions() {
  Measurement m;
  m.data_source = "postgresql";
  m.sessions = *ParseActiveConnections(Fixture("active_admin.json"));
  return m;
}

TEST(EvaluateTest, SuccessLineWithoutThresholds) {
  Config config;
  probe::CheckResult result = Evaluate(config, ThreeSessions());
  EXPECT_EQ(result.state, probe::kOk);
  EXPECT_EQ(probe::FormatNagios(result),
            "Apache Guacamole Active Sessions: 3 | active_sessions=3;;;0;\n");
}

TEST(EvaluateTest, ThresholdsDecideTheState) {
  struct Case {
    std::string warning, critical;
    probe::State state;
    std::string perf;
  };
  const std::vector<Case> cases = {
      {"5", "10", probe::kOk, "active_sessions=3;5;10;0;"},
      {"2", "10", probe::kWarning, "active_sessions=3;2;10;0;"},
      {"1", "2", probe::kCritical, "active_sessions=3;1;2;0;"},
      {"", "@3:5", probe::kCritical, "active_sessions=3;;@3:5;0;"},
      {"4:", "", probe::kWarning, "active_sessions=3;4:;;0;"},
  };
  for (const Case& c : cases) {
    Config config;
    config.thresholds = *probe::ParseThresholds(c.warning, c.critical);
    probe::CheckResult result = Evaluate(config, ThreeSessions());
    EXPECT_EQ(result.state, c.state) << c.warning << " " << c.critical;
    EXPECT_EQ(probe::FormatNagios(result),
              "Apache Guacamole Active Sessions: 3 | " + c.perf + "\n");
  }
}

TEST(EvaluateTest, VerboseListsSessionsOldestFirst) {
  Config config;
  config.verbosity = 1;
  EXPECT_EQ(
      probe::FormatNagios(Evaluate(config, ThreeSessions())),
      "Apache Guacamole Active Sessions: 3 | active_sessions=3;;;0;\n"
      "user alice, remote host 10.0.0.5, connection 3, started 2024-05-30 20:13:20 UTC\n"
      "user bob, remote host 10.0.0.9, connection 7, started 2024-05-31 16:08:37 UTC\n"
      "user carol, remote host 192.168.1.20, connection 3, started 2024-06-01 00:00:00 UTC\n");
}

TEST(EvaluateTest, VerboseExplainsHiddenSessions) {
  Config config;
  config.username = "monitor";
  config.verbosity = 1;
  Measurement m;
  m.sessions = *ParseActiveConnections(Fixture("active_non_admin.json"));
  probe::CheckResult result = Evaluate(config, m);
  ASSERT_EQ(result.long_output.size(), 3u);
  EXPECT_EQ(result.long_output[1],
            "user (hidden), remote host (hidden), connection 3, started 2024-05-31 10:06:40 UTC");
  EXPECT_EQ(result.long_output[2],
            "1 session(s) show no user: 'monitor' lacks the ADMINISTER permission, so only "
            "sessions on connections it may READ are visible and counted");
}

TEST(EvaluateTest, NotesAlwaysShow) {
  Config config;
  Measurement m;
  m.notes = {"could not release the session token"};
  EXPECT_EQ(probe::FormatNagios(Evaluate(config, m)),
            "Apache Guacamole Active Sessions: 0 | active_sessions=0;;;0;\n"
            "could not release the session token\n");
}

TEST(RenderTest, NagiosError) {
  Config config;
  Output out = Render(config, probe::ProbeError{probe::kCritical, "connection refused"});
  EXPECT_EQ(out.text, "Error: connection refused\n");
  EXPECT_EQ(out.state, probe::kCritical);
}

TEST(RenderTest, Checkmk) {
  Config config;
  config.format = OutputFormat::kCheckmk;
  config.thresholds = *probe::ParseThresholds("2", "5");
  Output out = Render(config, ThreeSessions());
  EXPECT_EQ(out.text,
            "1 \"Guacamole Active Sessions\" active_sessions=3;2;5;0; Apache Guacamole Active "
            "Sessions: 3\n");
  EXPECT_EQ(out.state, probe::kWarning);
  Output error = Render(config, probe::ProbeError{probe::kUnknown, "x"});
  EXPECT_EQ(error.text, "3 \"Guacamole Active Sessions\" - Error: x\n");
}

TEST(RenderTest, PrometheusUsesGoExporterNames) {
  Config config;
  config.format = OutputFormat::kPrometheus;
  Measurement m = ThreeSessions();
  m.users = 4;
  m.history = 1000;
  Output out = Render(config, m);
  EXPECT_EQ(out.state, probe::kOk);
  EXPECT_EQ(out.text,
            "# HELP guacamole_up Was the last Guacamole query successful.\n"
            "# TYPE guacamole_up gauge\n"
            "guacamole_up 1\n"
            "# HELP guacamole_connection_history_total The total number of established "
            "connections\n"
            "# TYPE guacamole_connection_history_total counter\n"
            "guacamole_connection_history_total 1000\n"
            "# HELP guacamole_number_of_users The current number of registered users\n"
            "# TYPE guacamole_number_of_users gauge\n"
            "guacamole_number_of_users 4\n"
            "# HELP guacamole_number_of_active_connections The current number of active "
            "connections\n"
            "# TYPE guacamole_number_of_active_connections gauge\n"
            "guacamole_number_of_active_connections 3\n");
}

TEST(RenderTest, PrometheusFailedQueryIsUpZeroAndOmitted) {
  Config config;
  config.format = OutputFormat::kPrometheus;
  Measurement m = ThreeSessions();
  m.notes = {"counting users failed: x"};
  m.failed_queries = 1;
  Output out = Render(config, m);
  EXPECT_NE(out.text.find("\nguacamole_up 0\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("\nguacamole_number_of_active_connections 3\n"), std::string::npos);
  EXPECT_EQ(out.text.find("guacamole_number_of_users"), std::string::npos);
  EXPECT_EQ(out.text.find("guacamole_connection_history_total"), std::string::npos);
  EXPECT_NE(out.text.find("# counting users failed: x\n"), std::string::npos);
}

TEST(RenderTest, PrometheusErrorIsUpZero) {
  Config config;
  config.format = OutputFormat::kPrometheus;
  Output out = Render(config, probe::ProbeError{probe::kCritical, "down"});
  EXPECT_EQ(out.state, probe::kCritical);
  EXPECT_EQ(out.text,
            "# HELP guacamole_up Was the last Guacamole query successful.\n"
            "# TYPE guacamole_up gauge\n"
            "guacamole_up 0\n"
            "# Error: down\n");
}

TEST(RenderTest, PrometheusScrapeDuration) {
  Config config;
  config.format = OutputFormat::kPrometheus;
  Output out = Render(config, ThreeSessions(), 0.0125);
  EXPECT_TRUE(out.text.ends_with(
      "# HELP guacamole_scrape_duration_seconds How long the queries to Guacamole took, in "
      "seconds.\n"
      "# TYPE guacamole_scrape_duration_seconds gauge\n"
      "guacamole_scrape_duration_seconds 0.012500\n"))
      << out.text;
}

TEST(PrometheusTextTest, CommentsAreOneLineEach) {
  MetricsSample sample;
  sample.comments = {"line one\nguacamole_up 1"};
  std::string text = PrometheusText(sample);
  EXPECT_EQ(text.find("\nguacamole_up 1"), std::string::npos) << text;
  EXPECT_NE(text.find("\nguacamole_up 0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace automon::guacamole
