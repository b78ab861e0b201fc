// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/client.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "probes/lib/testing/fake_http_client.h"

namespace automon::guacamole {
namespace {

using probe::HttpRequest;
using probe::HttpResponse;
using probe::HttpResult;
using probe::TransportError;
using probe::TransportErrorKind;
using probe::testing::FakeHttpClient;
using probe::testing::JsonResponse;

constexpr char kBase[] = "http://guac.test:8080/guacamole";

const char kPermissionDenied[] =
    R"({"message":"Permission Denied.","translatableMessage":{"key":"APP.TEXT_UNTRANSLATED"},"statusCode":null,"expected":null,"type":"PERMISSION_DENIED"})";

std::string ApiErrorBody(const std::string& type, const std::string& message,
                         const std::string& key = "APP.TEXT_UNTRANSLATED") {
  return R"({"message":")" + message + R"(","translatableMessage":{"key":")" + key +
         R"("},"statusCode":null,"expected":null,"type":")" + type + R"("})";
}

bool HasHeader(const HttpRequest& r, const std::string& header) {
  for (const std::string& h : r.headers) {
    if (h == header) return true;
  }
  return false;
}

// A scripted Guacamole that follows the reference closely enough for the
// flow: token issue and validation, header vs ?token=, DELETE. Tests
// override single answers with the hooks.
struct ScriptedServer {
  bool legacy = false;  // 1.0-1.3: reads only ?token=
  int dead_tokens = 0;  // the first N tokens are revoked as soon as issued
  std::vector<std::string> sources = {"mysql", "mysql-shared"};
  std::string sessions = R"({"a":{"username":"alice"},"b":{"username":"bob"}})";
  std::function<std::optional<HttpResult>(const HttpRequest&)> override;

  std::set<std::string> live;
  int logins = 0;
  int issued = 0;

  HttpResult Handle(const HttpRequest& r) {
    if (override) {
      if (std::optional<HttpResult> answer = override(r)) return *answer;
    }
    const std::string tokens = std::string(kBase) + "/api/tokens";
    if (r.method == "POST" && r.url == tokens) {
      ++logins;
      std::string token = "TOKEN" + std::to_string(++issued);
      if (issued > dead_tokens) live.insert(token);
      std::string list;
      for (const std::string& s : sources) list += (list.empty() ? "\"" : ",\"") + s + "\"";
      return JsonResponse(200, R"({"authToken":")" + token +
                                   R"(","username":"guacadmin","dataSource":")" + sources[0] +
                                   R"(","availableDataSources":[)" + list + "]}");
    }
    if (r.method == "DELETE" && r.url.starts_with(tokens + "/")) {
      std::string token = r.url.substr(tokens.size() + 1);
      if (live.erase(token) == 0) {
        return JsonResponse(404, ApiErrorBody("NOT_FOUND", "No such token."));
      }
      return HttpResponse{204, "", "", ""};
    }
    const std::string session = std::string(kBase) + "/api/session/data/";
    if (r.method == "GET" && r.url.starts_with(session)) {
      std::string path = r.url.substr(session.size());
      std::string token;
      size_t query = path.find("?token=");
      if (query != std::string::npos) {
        token = path.substr(query + 7);
        path = path.substr(0, query);
      }
      if (!legacy) {
        for (const std::string& h : r.headers) {
          if (h.starts_with("Guacamole-Token: ")) token = h.substr(17);
        }
      }
      if (live.count(token) == 0) return JsonResponse(403, kPermissionDenied);
      std::string source = path.substr(0, path.find('/'));
      bool known = false;
      for (const std::string& s : sources) known = known || s == source;
      if (!known) {
        return JsonResponse(404, ApiErrorBody("NOT_FOUND",
                                              "Session not associated with "
                                              "authentication provider"));
      }
      std::string what = path.substr(source.size() + 1);
      if (what == "activeConnections") return JsonResponse(200, sessions);
      if (what == "users") return JsonResponse(200, R"({"alice":{},"bob":{},"guacadmin":{}})");
      if (what == "history/connections") return JsonResponse(200, "[{},{},{},{},{}]");
    }
    return HttpResponse{404, "text/html", "", "<html>Not Found</html>"};
  }
};

class GuacamoleClientTest : public ::testing::Test {
 protected:
  GuacamoleClientTest() : http_([this](const HttpRequest& r) { return server_.Handle(r); }) {
    config_.host = "guac.test";
    config_.port = 8080;
    config_.username = "guacadmin";
    config_.password = "p@ss w0rd&";
  }

  probe::Outcome<Measurement> Measure() {
    GuacamoleClient client(http_, config_);
    return client.Measure(BudgetFor(std::chrono::seconds(10)));
  }

  std::vector<std::string> Calls() const {
    std::vector<std::string> calls;
    for (const HttpRequest& r : http_.requests()) {
      std::string url = r.url.substr(std::string(kBase).size());
      calls.push_back(r.method + " " + url);
    }
    return calls;
  }

  ScriptedServer server_;
  FakeHttpClient http_;
  Config config_;
};

TEST_F(GuacamoleClientTest, HappyPathSendsHeaderOnlyAndReleasesToken) {
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->sessions.size(), 2u);
  EXPECT_EQ(m->data_source, "mysql");
  EXPECT_FALSE(m->legacy_token_query);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"POST /api/tokens",
                                               "GET /api/session/data/mysql/activeConnections",
                                               "DELETE /api/tokens/TOKEN1"}));
  const HttpRequest& login = http_.requests()[0];
  EXPECT_EQ(login.body, "username=guacadmin&password=p%40ss%20w0rd%26");
  EXPECT_TRUE(HasHeader(login, "Content-Type: application/x-www-form-urlencoded"));
  EXPECT_TRUE(HasHeader(http_.requests()[1], "Guacamole-Token: TOKEN1"));
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, RequestTimeoutsComeFromTheBudget) {
  ASSERT_TRUE(Measure().ok());
  for (const HttpRequest& r : http_.requests()) {
    EXPECT_GT(r.timeout, std::chrono::milliseconds(0)) << r.url;
    EXPECT_LE(r.timeout, std::chrono::seconds(10)) << r.url;
  }
  // The work deadline keeps 2 s of the 10 s for releasing tokens.
  EXPECT_LE(http_.requests()[0].timeout, std::chrono::seconds(8));
}

TEST_F(GuacamoleClientTest, LegacyServerGetsTokenInQuery) {
  server_.legacy = true;
  config_.format = OutputFormat::kPrometheus;
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->legacy_token_query);
  EXPECT_FALSE(m->relogged_in);
  EXPECT_EQ(Calls(), (std::vector<std::string>{
                         "POST /api/tokens", "GET /api/session/data/mysql/activeConnections",
                         "GET /api/session/data/mysql/activeConnections?token=TOKEN1",
                         "GET /api/session/data/mysql/users?token=TOKEN1",
                         "GET /api/session/data/mysql/history/connections?token=TOKEN1",
                         "DELETE /api/tokens/TOKEN1"}));
  EXPECT_EQ(m->users, 3);
  EXPECT_EQ(m->history, 5);
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, ModernServerNeverGetsTokenInQuery) {
  config_.format = OutputFormat::kPrometheus;
  ASSERT_TRUE(Measure().ok());
  for (const HttpRequest& r : http_.requests()) {
    EXPECT_EQ(r.url.find("token="), std::string::npos) << r.url;
  }
  EXPECT_EQ(http_.requests().size(), 5u);
}

TEST_F(GuacamoleClientTest, ExpiredTokenLogsInAgainOnce) {
  server_.dead_tokens = 1;
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->relogged_in);
  EXPECT_FALSE(m->legacy_token_query);
  EXPECT_EQ(server_.logins, 2);
  EXPECT_EQ(Calls(), (std::vector<std::string>{
                         "POST /api/tokens", "GET /api/session/data/mysql/activeConnections",
                         "GET /api/session/data/mysql/activeConnections?token=TOKEN1",
                         "POST /api/tokens", "GET /api/session/data/mysql/activeConnections",
                         // Guacamole dropped the refused TOKEN1 itself.
                         "DELETE /api/tokens/TOKEN2"}));
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, ExpiredTokenOnLegacyServer) {
  server_.legacy = true;
  server_.dead_tokens = 1;
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_TRUE(m->relogged_in);
  EXPECT_TRUE(m->legacy_token_query);
  EXPECT_EQ(server_.logins, 2);
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, FreshTokenRejectedStopsAfterOneRelogin) {
  server_.dead_tokens = 2;
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               "Guacamole rejected a freshly issued token while listing active "
                               "connections (HTTP 403 PERMISSION_DENIED) even after a new login; "
                               "are several Guacamole nodes behind a load balancer without "
                               "sticky sessions?"}));
  EXPECT_EQ(server_.logins, 2);
  EXPECT_EQ(Calls().back(), "DELETE /api/tokens/TOKEN2");
}

TEST_F(GuacamoleClientTest, InvalidCredentialsAreNeverRetried) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(403, ApiErrorBody("INVALID_CREDENTIALS", "Invalid login"));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kCritical,
                               "Guacamole rejected the login of user 'guacadmin': invalid "
                               "username or password (HTTP 403 INVALID_CREDENTIALS); not retried, "
                               "as Guacamole 1.6 bans an address after 5 failed logins"}));
  EXPECT_EQ(Calls(), std::vector<std::string>{"POST /api/tokens"});
}

TEST_F(GuacamoleClientTest, ReloginWithBadCredentialsIsNotRetriedEither) {
  server_.dead_tokens = 1;
  server_.override = [this](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST" && server_.logins >= 1) {
      ++server_.logins;
      return JsonResponse(403, ApiErrorBody("INVALID_CREDENTIALS", "Invalid login"));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().state, probe::kCritical);
  EXPECT_EQ(server_.logins, 2);
}

TEST_F(GuacamoleClientTest, MfaIsUnknown) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(403, ApiErrorBody("INSUFFICIENT_CREDENTIALS", "TOTP required",
                                            "TOTP.INFO_CODE_REQUIRED"));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               "the login of user 'guacadmin' needs more than a password (HTTP "
                               "403 INSUFFICIENT_CREDENTIALS, TOTP.INFO_CODE_REQUIRED): "
                               "multi-factor authentication such as TOTP, or an expired "
                               "password; use a monitoring account without MFA"}));
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(GuacamoleClientTest, BanIsCritical) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(429,
                          ApiErrorBody("BAD_REQUEST", "Too many failed authentication attempts."));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kCritical,
                               "Guacamole refuses logins from this address after too many failed "
                               "attempts (HTTP 429: \"Too many failed authentication attempts.\"); "
                               "fix the password, then wait until the ban ends (5 minutes by "
                               "default); users behind the same address are locked out too"}));
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(GuacamoleClientTest, DisabledAccountIsCritical) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(400, ApiErrorBody("BAD_REQUEST", "User account is no longer valid."));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kCritical,
                               "Guacamole refused the login of user 'guacadmin' (HTTP "
                               "400 BAD_REQUEST: \"User account is no longer valid.\")"}));
}

TEST_F(GuacamoleClientTest, UnknownDataSourceReleasesToken) {
  config_.data_source = "postgresql";
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               "data source 'postgresql' does not exist for user 'guacadmin' "
                               "(HTTP 404 NOT_FOUND); the login offers: mysql, mysql-shared; use "
                               "--data-source auto or one of those"}));
  EXPECT_EQ(Calls().back(), "DELETE /api/tokens/TOKEN1");
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, NonDatabaseSourceFailsWithoutLogin) {
  config_.data_source = "ldap";
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               "data source 'ldap' never reports active sessions: Guacamole "
                               "tracks them only in its database modules (mysql, postgresql, "
                               "sqlserver); use --data-source auto or a database data source"}));
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(GuacamoleClientTest, AutoPicksFirstDatabaseSource) {
  server_.sources = {"ldap", "postgresql", "postgresql-shared"};
  config_.data_source = "auto";
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->data_source, "postgresql");
  EXPECT_EQ(Calls()[1], "GET /api/session/data/postgresql/activeConnections");
}

TEST_F(GuacamoleClientTest, AutoWithoutDatabaseSourceReleasesToken) {
  server_.sources = {"default", "quickconnect"};
  config_.data_source = "auto";
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               "none of the data sources of user 'guacadmin' (default, "
                               "quickconnect) reports active sessions: Guacamole tracks them only "
                               "in its database modules (mysql, postgresql, sqlserver); give the "
                               "account a database data source"}));
  EXPECT_EQ(Calls(), (std::vector<std::string>{"POST /api/tokens", "DELETE /api/tokens/TOKEN1"}));
  EXPECT_TRUE(server_.live.empty());
}

struct TransportCase {
  TransportErrorKind kind;
  probe::State state;
  std::string message;
};

TEST_F(GuacamoleClientTest, TransportErrorsOnLogin) {
  const std::string url = std::string(kBase) + "/api/tokens";
  const std::vector<TransportCase> cases = {
      {TransportErrorKind::kResolve, probe::kUnknown,
       "cannot resolve host name 'guac.test': check --host and the DNS configuration"},
      {TransportErrorKind::kRefused, probe::kCritical,
       "connection refused by guac.test port 8080: is Guacamole (its servlet container) running "
       "and listening there?"},
      {TransportErrorKind::kConnect, probe::kCritical,
       "cannot connect to guac.test port 8080: DETAIL"},
      {TransportErrorKind::kTimeout, probe::kCritical,
       "no complete reply from " + url +
           " within 10 seconds (-t 10) while logging in: the server or a proxy in front of it "
           "hangs"},
      {TransportErrorKind::kTlsVerify, probe::kCritical,
       "TLS certificate of guac.test port 8080 failed verification (DETAIL); trust its CA with "
       "--ca-file FILE, or skip verification with --insecure"},
      {TransportErrorKind::kTlsHandshake, probe::kCritical,
       "TLS handshake with guac.test port 8080 failed (DETAIL): does the server speak HTTPS on "
       "that port? check --protocol and --port"},
      {TransportErrorKind::kCaFile, probe::kUnknown, "cannot use --ca-file '': DETAIL"},
      {TransportErrorKind::kTooLarge, probe::kUnknown,
       "reply from " + url + " while logging in is too large (DETAIL); is this really Guacamole?"},
      {TransportErrorKind::kOther, probe::kCritical,
       "request to " + url + " failed while logging in: DETAIL"},
  };
  for (const TransportCase& c : cases) {
    FakeHttpClient http([&](const HttpRequest&) -> HttpResult {
      return TransportError{c.kind, "DETAIL"};
    });
    GuacamoleClient client(http, config_);
    probe::Outcome<Measurement> m = client.Measure(BudgetFor(std::chrono::seconds(10)));
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error(), (probe::ProbeError{c.state, c.message}));
    EXPECT_EQ(http.requests().size(), 1u);  // no token, nothing to release, no retry
  }
}

TEST_F(GuacamoleClientTest, TimeoutStateFollowsDashT) {
  config_.timeout = probe::Timeout{std::chrono::seconds(3), probe::kUnknown};
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "GET") return TransportError{TransportErrorKind::kTimeout, "timed out"};
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().state, probe::kUnknown);
  EXPECT_EQ(m.error().message,
            "no complete reply from " + std::string(kBase) +
                "/api/session/data/mysql/activeConnections within 3 seconds (-t 3) while listing "
                "active connections: the server or a proxy in front of it hangs");
  EXPECT_EQ(Calls().back(), "DELETE /api/tokens/TOKEN1");
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, ExpiredBudgetSendsNothing) {
  GuacamoleClient client(http_, config_);
  auto past = probe::Deadline::Clock::now() - std::chrono::seconds(1);
  probe::Outcome<Measurement> m = client.Measure({probe::Deadline(past), probe::Deadline(past)});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().state, probe::kCritical);
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(GuacamoleClientTest, ProxyHtmlOnListIsCriticalAndReleases) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "GET") {
      return HttpResponse{502, "text/html; charset=utf-8", "", "<html>Bad Gateway</html>"};
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kCritical,
                               std::string(kBase) +
                                   "/api/session/data/mysql/activeConnections answered HTTP 502 "
                                   "with text/html instead of JSON while listing active "
                                   "connections: a proxy in front of Guacamole reports an error; "
                                   "is the Guacamole web application running?"}));
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, HtmlPageOnLoginPointsAtUri) {
  server_.override = [](const HttpRequest&) -> std::optional<HttpResult> {
    return HttpResponse{404, "text/html", "", "<html>Not Found</html>"};
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               std::string(kBase) +
                                   "/api/tokens answered HTTP 404 with text/html instead of JSON "
                                   "while logging in: is Guacamole really at this address? check "
                                   "--uri (now '/guacamole') and --port"}));
}

TEST_F(GuacamoleClientTest, MalformedJsonOnListIsUnknownAndReleases) {
  server_.sessions = R"({"a":{"username":"al)";
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().state, probe::kUnknown);
  EXPECT_EQ(m.error().message.rfind("malformed JSON: parse error at line 1", 0), 0u)
      << m.error().message;
  EXPECT_NE(m.error().message.find(" from " + std::string(kBase) +
                                   "/api/session/data/mysql/activeConnections (HTTP 200)"),
            std::string::npos)
      << m.error().message;
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, ArrayInsteadOfObjectIsUnknown) {
  server_.sessions = "[]";
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(),
            (probe::ProbeError{probe::kUnknown,
                               "unexpected JSON: expected an object of active connections, got "
                               "an array from " +
                                   std::string(kBase) +
                                   "/api/session/data/mysql/activeConnections (HTTP 200)"}));
}

TEST_F(GuacamoleClientTest, InternalErrorIsCritical) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(500, ApiErrorBody("INTERNAL_ERROR", "Unexpected internal error"));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), (probe::ProbeError{probe::kCritical,
                                          "Guacamole failed while logging in (HTTP 500 "
                                          "INTERNAL_ERROR: \"Unexpected internal error\"); see "
                                          "the Guacamole server log (database down?)"}));
}

TEST_F(GuacamoleClientTest, RedirectIsUnknown) {
  server_.override = [](const HttpRequest&) -> std::optional<HttpResult> {
    return HttpResponse{302, "text/html", "https://guac.test/guacamole/api/tokens", ""};
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), (probe::ProbeError{probe::kUnknown,
                                          std::string(kBase) +
                                              "/api/tokens redirects to "
                                              "https://guac.test/guacamole/api/tokens (HTTP 302) "
                                              "while logging in: point --protocol, --port and "
                                              "--uri at Guacamole itself"}));
}

TEST_F(GuacamoleClientTest, FailedReleaseBecomesANote) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "DELETE") return HttpResponse{500, "text/html", "", "<html/>"};
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->notes, std::vector<std::string>{
                          "could not release the session token: DELETE " + std::string(kBase) +
                          "/api/tokens/... answered HTTP 500; it stays valid on the server until "
                          "its idle timeout (api-session-timeout, 60 minutes by default)"});
}

TEST_F(GuacamoleClientTest, ServerTextNeverLeaksThePassword) {
  server_.override = [this](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(400, ApiErrorBody("BAD_REQUEST", "bad password " + config_.password));
    }
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message.find(config_.password), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("bad password ********"), std::string::npos)
      << m.error().message;
}

TEST_F(GuacamoleClientTest, PrometheusExtrasFailingAreNotes) {
  config_.format = OutputFormat::kPrometheus;
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.url.ends_with("/users")) return JsonResponse(200, "[]");
    return std::nullopt;
  };
  probe::Outcome<Measurement> m = Measure();
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->users.has_value());
  EXPECT_EQ(m->history, 5);
  EXPECT_EQ(m->notes, std::vector<std::string>{
                          "counting users failed: unexpected JSON: expected an object, got an "
                          "array from " +
                          std::string(kBase) + "/api/session/data/mysql/users"});
}

TEST_F(GuacamoleClientTest, ScrapeKeepsTheTokenAcrossScrapes) {
  GuacamoleClient client(http_, config_);
  for (int i = 0; i < 3; ++i) {
    probe::Outcome<Measurement> m = client.Scrape(probe::Deadline::After(std::chrono::seconds(5)),
                                                  /*totals=*/i == 0);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->sessions.size(), 2u);
    EXPECT_EQ(m->failed_queries, 0);
  }
  EXPECT_EQ(client.logins(), 1);
  EXPECT_EQ(server_.live.size(), 1u);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"POST /api/tokens",
                                               "GET /api/session/data/mysql/activeConnections",
                                               "GET /api/session/data/mysql/users",
                                               "GET /api/session/data/mysql/history/connections",
                                               "GET /api/session/data/mysql/activeConnections",
                                               "GET /api/session/data/mysql/activeConnections"}));
  EXPECT_FALSE(client.Logout(probe::Deadline::After(std::chrono::seconds(5))).has_value());
  EXPECT_TRUE(server_.live.empty());
  EXPECT_FALSE(client.has_token());
}

TEST_F(GuacamoleClientTest, ScrapeLogsInAgainOnlyWhenTheTokenExpired) {
  GuacamoleClient client(http_, config_);
  auto deadline = [] { return probe::Deadline::After(std::chrono::seconds(5)); };
  ASSERT_TRUE(client.Scrape(deadline(), false).ok());
  server_.live.clear();  // Guacamole expired the token
  size_t before = http_.requests().size();
  probe::Outcome<Measurement> m = client.Scrape(deadline(), false);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(client.logins(), 2);
  std::vector<std::string> calls = Calls();
  // The header worked before: no ?token= retry, straight to a new login.
  EXPECT_EQ(
      std::vector<std::string>(calls.begin() + static_cast<long>(before), calls.end()),
      (std::vector<std::string>{"GET /api/session/data/mysql/activeConnections", "POST /api/tokens",
                                "GET /api/session/data/mysql/activeConnections"}));
  EXPECT_EQ(server_.live, (std::set<std::string>{"TOKEN2"}));
  client.Logout(deadline());
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(GuacamoleClientTest, ScrapeReportsRefusedCredentials) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.method == "POST") {
      return JsonResponse(403, ApiErrorBody("INVALID_CREDENTIALS", "Invalid login"));
    }
    return std::nullopt;
  };
  GuacamoleClient client(http_, config_);
  probe::Outcome<Measurement> m =
      client.Scrape(probe::Deadline::After(std::chrono::seconds(5)), true);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(client.credentials_refused());
  EXPECT_FALSE(client.has_token());
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(GuacamoleClientTest, ScrapeCountsFailedTotals) {
  server_.override = [](const HttpRequest& r) -> std::optional<HttpResult> {
    if (r.url.ends_with("/history/connections")) {
      return JsonResponse(500, ApiErrorBody("INTERNAL_ERROR", "x"));
    }
    return std::nullopt;
  };
  GuacamoleClient client(http_, config_);
  probe::Outcome<Measurement> m =
      client.Scrape(probe::Deadline::After(std::chrono::seconds(5)), true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->failed_queries, 1);
  EXPECT_FALSE(m->history.has_value());
  EXPECT_EQ(m->users, 3);
  EXPECT_FALSE(client.credentials_refused());
}

TEST(BudgetTest, ReservesTimeForRelease) {
  TimeBudget budget = BudgetFor(std::chrono::seconds(10));
  auto gap = budget.release.at() - budget.work.at();
  EXPECT_GE(gap, std::chrono::milliseconds(1900));
  EXPECT_LE(gap, std::chrono::milliseconds(1950));
  TimeBudget tiny = BudgetFor(std::chrono::seconds(1));
  EXPECT_GE(tiny.release.at() - tiny.work.at(), std::chrono::milliseconds(100));
  EXPECT_GT(tiny.work.Remaining(), std::chrono::milliseconds(700));
}

}  // namespace
}  // namespace automon::guacamole
