// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/exporter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/testing/fake_file_system.h"
#include "probes/lib/testing/fake_http_client.h"

namespace automon::guacamole {
namespace {

using probe::HttpRequest;
using probe::HttpResult;
using probe::testing::FakeHttpClient;
using probe::testing::JsonResponse;
using Clock = std::chrono::steady_clock;
using automon::testing::FakeFileSystem;

constexpr char kPermissionDenied[] =
    R"({"message":"Permission Denied.","translatableMessage":{"key":"APP.TEXT_UNTRANSLATED"},)"
    R"("statusCode":null,"expected":null,"type":"PERMISSION_DENIED"})";
constexpr char kInvalidLogin[] =
    R"({"message":"Invalid login","translatableMessage":{"key":"APP.TEXT_UNTRANSLATED"},)"
    R"("statusCode":null,"expected":[],"type":"INVALID_CREDENTIALS"})";

// A minimal Guacamole: tokens, the three queries, and switches for the
// error cases. Counts what it was sent.
struct MiniGuacamole {
  bool accept_password = true;
  std::string live;  // the one live token, "" when none
  int issued = 0;
  int logins = 0;
  int queries = 0;
  int deletes = 0;
  bool fail_users = false;

  HttpResult Handle(const HttpRequest& r) {
    if (r.method == "POST") {
      ++logins;
      if (!accept_password) return JsonResponse(403, kInvalidLogin);
      live = "T" + std::to_string(++issued);
      return JsonResponse(200, R"({"authToken":")" + live +
                                   R"(","username":"u","dataSource":"mysql",)"
                                   R"("availableDataSources":["mysql"]})");
    }
    if (r.method == "DELETE") {
      ++deletes;
      live.clear();
      return probe::HttpResponse{204, "", "", ""};
    }
    ++queries;
    bool authorised = false;
    for (const std::string& h : r.headers) {
      authorised = authorised || (!live.empty() && h == "Guacamole-Token: " + live);
    }
    if (!authorised) return JsonResponse(403, kPermissionDenied);
    if (r.url.ends_with("/activeConnections")) {
      return JsonResponse(200, R"({"a":{},"b":{},"c":{}})");
    }
    if (r.url.ends_with("/users")) {
      if (fail_users) return probe::HttpResponse{502, "text/html", "", "<html>bad</html>"};
      return JsonResponse(200, R"({"u":{},"v":{}})");
    }
    if (r.url.ends_with("/history/connections")) return JsonResponse(200, "[{},{},{},{}]");
    return probe::HttpResponse{404, "text/html", "", "<html></html>"};
  }
};

class TargetTest : public ::testing::Test {
 protected:
  std::unique_ptr<Target> Make(ScrapePolicy policy = {}) {
    TargetSettings settings;
    settings.name = "t";
    settings.config.host = "guac.test";
    settings.config.username = "u";
    settings.config.password = "pw";
    settings.config.data_source = "auto";
    settings.config.format = OutputFormat::kPrometheus;
    auto http = std::make_unique<FakeHttpClient>(
        [this](const HttpRequest& r) { return server_.Handle(r); });
    http_ = http.get();
    return std::make_unique<Target>(settings, std::move(http), policy, [this] { return now_; });
  }

  MiniGuacamole server_;
  FakeHttpClient* http_ = nullptr;
  Clock::time_point now_ = Clock::time_point() + std::chrono::hours(1);
};

TEST_F(TargetTest, SteadyStateIsActiveConnectionsOnly) {
  std::unique_ptr<Target> target = Make();
  MetricsSample first = target->Scrape();
  EXPECT_TRUE(first.up);
  EXPECT_EQ(first.active_connections, 3);
  EXPECT_EQ(first.users, 2);
  EXPECT_EQ(first.history, 4);
  EXPECT_EQ(server_.logins, 1);
  EXPECT_EQ(server_.queries, 3);
  for (int i = 0; i < 5; ++i) {
    now_ += std::chrono::seconds(15);
    MetricsSample later = target->Scrape();
    EXPECT_TRUE(later.up);
    EXPECT_EQ(later.users, 2);  // from the last read
    EXPECT_EQ(later.history, 4);
  }
  // 15 s apart with a 60 s interval: totals again at 60 s, 1 + 5 + 2 queries.
  EXPECT_EQ(server_.logins, 1);
  EXPECT_EQ(server_.queries, 3 + 5 + 2);
  EXPECT_EQ(server_.deletes, 0);
  EXPECT_FALSE(target->Logout().has_value());
  EXPECT_EQ(server_.deletes, 1);
  EXPECT_TRUE(server_.live.empty());
}

TEST_F(TargetTest, ExpiredTokenMeansOneNewLogin) {
  std::unique_ptr<Target> target = Make();
  ASSERT_TRUE(target->Scrape().up);
  server_.live = "expired-by-guacamole";
  now_ += std::chrono::seconds(15);
  MetricsSample sample = target->Scrape();
  EXPECT_TRUE(sample.up);
  EXPECT_EQ(server_.logins, 2);
  EXPECT_EQ(target->logins(), 2);
}

TEST_F(TargetTest, RefusedCredentialsWaitForTheBanWindow) {
  server_.accept_password = false;
  std::unique_ptr<Target> target = Make();
  for (int i = 0; i < 20; ++i) {  // 20 scrapes, 15 s apart: 285 s
    MetricsSample sample = target->Scrape();
    EXPECT_FALSE(sample.up);
    EXPECT_FALSE(sample.active_connections.has_value());
    EXPECT_FALSE(sample.users.has_value());
    now_ += std::chrono::seconds(15);
  }
  EXPECT_EQ(server_.logins, 1);
  now_ += std::chrono::seconds(15);  // 300 s after the refusal
  server_.accept_password = true;
  EXPECT_TRUE(target->Scrape().up);
  EXPECT_EQ(server_.logins, 2);
}

TEST_F(TargetTest, RefusalIsExplainedInTheOutput) {
  server_.accept_password = false;
  std::unique_ptr<Target> target = Make();
  target->Scrape();
  now_ += std::chrono::seconds(10);
  std::string text = PrometheusText(target->Scrape());
  EXPECT_NE(text.find("\nguacamole_up 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("no new login for 291 more seconds"), std::string::npos) << text;
  EXPECT_EQ(text.find("pw"), std::string::npos);
}

TEST_F(TargetTest, LogsOnlyChangesOfState) {
  std::unique_ptr<Target> target = Make();
  std::vector<std::string> lines;
  target->set_log([&](const std::string& line) { lines.push_back(line); });
  target->Scrape();
  target->Scrape();
  server_.fail_users = true;
  now_ += std::chrono::seconds(61);
  target->Scrape();
  now_ += std::chrono::seconds(1);
  target->Scrape();
  server_.fail_users = false;
  target->Scrape();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "target t: up");
  EXPECT_TRUE(lines[1].starts_with("target t: down: counting users failed: ")) << lines[1];
  EXPECT_EQ(lines[2], "target t: up");
}

TEST_F(TargetTest, AnyFailedQueryIsUpZero) {
  server_.fail_users = true;
  std::unique_ptr<Target> target = Make();
  MetricsSample sample = target->Scrape();
  EXPECT_FALSE(sample.up);
  EXPECT_FALSE(sample.users.has_value());
  EXPECT_EQ(sample.history, 4);
  // Totals are read again on the next scrape, not in 60 s.
  server_.fail_users = false;
  now_ += std::chrono::seconds(1);
  sample = target->Scrape();
  EXPECT_TRUE(sample.up);
  EXPECT_EQ(sample.users, 2);
}

TEST_F(TargetTest, LoginPerScrapeIsGuacamoleExportersWay) {
  ScrapePolicy policy;
  policy.login_per_scrape = true;
  std::unique_ptr<Target> target = Make(policy);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(target->Scrape().up);
  EXPECT_EQ(server_.logins, 3);
  EXPECT_EQ(server_.queries, 9);
  EXPECT_EQ(server_.deletes, 3);
}

class ExporterTest : public TargetTest {
 protected:
  void SetUp() override {
    std::vector<std::unique_ptr<Target>> targets;
    targets.push_back(Make());
    exporter_ = std::make_unique<Exporter>(nullptr, std::move(targets));
  }
  probe::ServerResponse Get(std::string path, std::string query = "") {
    probe::ServerRequest request;
    request.method = "GET";
    request.path = std::move(path);
    request.query = std::move(query);
    return exporter_->Handle(request);
  }
  std::unique_ptr<Exporter> exporter_;
};

TEST_F(ExporterTest, ProbeServesTheNamedTarget) {
  probe::ServerResponse r = Get("/probe", "target=t");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kMetricsContentType);
  EXPECT_NE(r.body.find("\nguacamole_number_of_active_connections 3\n"), std::string::npos);
}

TEST_F(ExporterTest, ClearErrorsAndNoRequestToGuacamole) {
  EXPECT_EQ(Get("/probe", "target=nope").status, 404);
  EXPECT_EQ(Get("/probe", "target=nope").body, "unknown target 'nope': not in the --config file\n");
  EXPECT_EQ(Get("/probe").status, 400);
  EXPECT_EQ(Get("/probe").body, "missing ?target=NAME; configured targets: t\n");
  EXPECT_EQ(Get("/probe", "target=t&target=t").status, 400);
  EXPECT_EQ(Get("/probe", "target=%").status, 400);
  EXPECT_EQ(Get("/metrics").status, 404);  // no GUACAMOLE_ENDPOINT
  EXPECT_EQ(Get("/").status, 404);
  EXPECT_EQ(Get("/probe", "target=%0a%1b[31mx").body,
            "unknown target '  [31mx': not in the --config file\n");
  EXPECT_TRUE(http_->requests().empty());
}

TEST_F(TargetTest, ReloadKeepsUnchangedTargetsAndTheirTokens) {
  auto settings_of = [](std::string name, std::string host) {
    TargetSettings s;
    s.name = std::move(name);
    s.config.host = std::move(host);
    s.config.username = "u";
    s.config.password = "pw";
    s.config.data_source = "auto";
    s.config.format = OutputFormat::kPrometheus;
    return s;
  };
  int made = 0;
  Exporter::TargetFactory make = [&](const TargetSettings& s) {
    ++made;
    auto http = std::make_unique<FakeHttpClient>(
        [this](const HttpRequest& r) { return server_.Handle(r); });
    return std::make_unique<Target>(s, std::move(http), ScrapePolicy{}, [this] { return now_; });
  };
  Exporter exporter(nullptr, {});
  EXPECT_EQ(exporter.Reload(std::nullopt, {settings_of("a", "g1"), settings_of("b", "g2")}, make),
            (std::vector<std::string>{"target a: added", "target b: added"}));
  probe::ServerRequest request;
  request.method = "GET";
  request.path = "/probe";
  request.query = "target=a";
  ASSERT_EQ(exporter.Handle(request).status, 200);
  EXPECT_EQ(server_.logins, 1);
  // a unchanged, b changed, c new, metrics new.
  std::vector<std::string> lines = exporter.Reload(
      settings_of("metrics", "g0"),
      {settings_of("a", "g1"), settings_of("b", "g9"), settings_of("c", "g3")}, make);
  EXPECT_EQ(lines, (std::vector<std::string>{"target metrics: added",
                                             "target b: changed, logged out", "target c: added"}));
  EXPECT_EQ(made, 5);
  ASSERT_EQ(exporter.Handle(request).status, 200);
  EXPECT_EQ(server_.logins, 1);  // a kept its token
  // a removed: logged out.
  lines = exporter.Reload(std::nullopt, {settings_of("b", "g9")}, make);
  EXPECT_EQ(lines, (std::vector<std::string>{"target metrics: removed, logged out",
                                             "target a: removed, logged out",
                                             "target c: removed, logged out"}));
  EXPECT_EQ(server_.deletes, 1);
  EXPECT_EQ(exporter.Handle(request).status, 404);
}

TEST(ScrapeLimitTest, HalfASecondBeforePrometheusGivesUp) {
  EXPECT_EQ(ScrapeLimit("10"), std::chrono::milliseconds(9500));
  EXPECT_EQ(ScrapeLimit("2.5"), std::chrono::milliseconds(2000));
  EXPECT_EQ(ScrapeLimit("0.3"), std::chrono::milliseconds(100));
  EXPECT_EQ(ScrapeLimit(""), std::nullopt);
  EXPECT_EQ(ScrapeLimit("-1"), std::nullopt);
  EXPECT_EQ(ScrapeLimit("nan"), std::nullopt);
  EXPECT_EQ(ScrapeLimit("1e9"), std::nullopt);
  EXPECT_EQ(ScrapeLimit("10s"), std::nullopt);
}

TEST_F(ExporterTest, ScrapeTimeoutHeaderShortensTheRequests) {
  probe::ServerRequest request;
  request.method = "GET";
  request.path = "/probe";
  request.query = "target=t";
  request.headers = {{"x-prometheus-scrape-timeout-seconds", "2"}};
  EXPECT_EQ(exporter_->Handle(request).status, 200);
  ASSERT_FALSE(http_->requests().empty());
  for (const HttpRequest& r : http_->requests()) {
    EXPECT_LE(r.timeout, std::chrono::milliseconds(1500)) << r.url;
    EXPECT_GT(r.timeout, std::chrono::milliseconds(1000)) << r.url;
  }
}

TEST(ApplyEndpointTest, Forms) {
  Config c;
  ASSERT_TRUE(ApplyEndpoint("http://guac.example.org:8080/guacamole/", c).ok());
  EXPECT_EQ(c.protocol, "http");
  EXPECT_EQ(c.host, "guac.example.org");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.uri, "/guacamole");
  ASSERT_TRUE(ApplyEndpoint("https://[2001:db8::1]", c).ok());
  EXPECT_EQ(c.protocol, "https");
  EXPECT_EQ(c.host, "2001:db8::1");
  EXPECT_FALSE(c.port.has_value());
  EXPECT_EQ(c.uri, "");
  EXPECT_EQ(BaseUrl(c), "https://[2001:db8::1]");
  for (const char* bad : {"guac:8080", "ftp://x/", "http://u:p@x/", "http://x:0/", "http://x/a b",
                          "http://x/?token=1", "http://x y/", "http://[::1/"}) {
    EXPECT_FALSE(ApplyEndpoint(bad, c).ok()) << bad;
  }
}

class ServeCommandLineTest : public ::testing::Test {
 protected:
  Result<ExporterSettings> Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "check_guacamole");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Environment env = [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    return ParseServeCommandLine(static_cast<int>(argv.size() - 1), argv.data(), env, fs_);
  }
  std::map<std::string, std::string> env_ = {{"GUACAMOLE_ENDPOINT", "http://g:8080/guacamole"},
                                             {"GUACAMOLE_USERNAME", "monitor"},
                                             {"GUACAMOLE_PASSWORD", "pw"}};
  FakeFileSystem fs_;
};

TEST_F(ServeCommandLineTest, DropInEnvironment) {
  Result<ExporterSettings> s = Parse({"--serve"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->listen, ":9623");
  ASSERT_TRUE(s->metrics.has_value());
  EXPECT_EQ(s->metrics->config.host, "g");
  EXPECT_EQ(s->metrics->config.username, "monitor");
  EXPECT_EQ(s->metrics->config.password, "pw");
  EXPECT_EQ(s->metrics->config.data_source, "auto");
  env_["GUACAMOLE_DATASOURCE"] = "postgresql";
  s = Parse({"--serve", "127.0.0.1:9700", "-t", "5", "--totals-interval", "0"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->listen, "127.0.0.1:9700");
  EXPECT_EQ(s->metrics->config.data_source, "postgresql");
  EXPECT_EQ(s->policy.timeout, std::chrono::seconds(5));
  EXPECT_EQ(s->metrics->config.timeout.duration, std::chrono::seconds(5));
  EXPECT_EQ(s->policy.totals_interval, std::chrono::seconds(0));
  s = Parse({"--serve=[::1]:9623", "--login-per-scrape"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->listen, "[::1]:9623");
  EXPECT_TRUE(s->policy.login_per_scrape);
}

TEST_F(ServeCommandLineTest, PasswordFile) {
  env_.erase("GUACAMOLE_PASSWORD");
  env_["GUACAMOLE_PASSWORD_FILE"] = "/run/pw";
  fs_.AddFile("/run/pw", "from-file\n");
  Result<ExporterSettings> s = Parse({"--serve"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->metrics->config.password, "from-file");
  env_["GUACAMOLE_PASSWORD"] = "pw";
  EXPECT_FALSE(Parse({"--serve"}).ok());
}

TEST_F(ServeCommandLineTest, Errors) {
  EXPECT_FALSE(Parse({"--serve", "--bogus"}).ok());
  EXPECT_FALSE(Parse({"--serve", "-t", "0"}).ok());
  EXPECT_FALSE(Parse({"--serve", "--config"}).ok());
  EXPECT_FALSE(Parse({"--serve", "--config", "/missing"}).ok());
  env_["GUACAMOLE_DATASOURCE"] = "my sql";
  EXPECT_FALSE(Parse({"--serve"}).ok());
  env_.clear();
  Result<ExporterSettings> s = Parse({"--serve"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("GUACAMOLE_ENDPOINT"), std::string::npos);
  env_["GUACAMOLE_ENDPOINT"] = "http://g/";
  EXPECT_FALSE(Parse({"--serve"}).ok());  // no username
  EXPECT_TRUE(Parse({"--serve", "-h"}).ok());
}

TEST(ParseTargetsFileTest, Targets) {
  FakeFileSystem fs;
  fs.AddFile("/etc/a.pw", "secret-a\n");
  fs.AddFile("/etc/b.pw", "secret-b");
  Result<std::vector<TargetSettings>> targets = ParseTargetsFile(
      "# comment\n"
      "[office]\n"
      "endpoint = https://guac.office.example:8443/guacamole\n"
      "username = monitor\n"
      "password_file = /etc/a.pw\n"
      "data_source = mysql\n"
      "\n"
      "[lab]\r\n"
      "endpoint = http://10.0.0.5/\r\n"
      "username = m2\r\n"
      "password_file = /etc/b.pw\r\n"
      "insecure = yes\r\n",
      "targets.ini", fs);
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[0].name, "office");
  EXPECT_EQ((*targets)[0].config.port, 8443);
  EXPECT_EQ((*targets)[0].config.password, "secret-a");
  EXPECT_EQ((*targets)[0].config.data_source, "mysql");
  EXPECT_EQ((*targets)[1].config.data_source, "auto");
  EXPECT_EQ((*targets)[1].config.password, "secret-b");
  EXPECT_TRUE((*targets)[1].config.insecure);
}

TEST(ParseTargetsFileTest, ErrorsNameTheLineAndNeverThePassword) {
  FakeFileSystem fs;
  fs.AddFile("/pw", "x");
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {
           Case{"[a]\npassword = hunter2\n",
                "f:2: passwords do not go in this file: use password_file = FILE"},
           Case{"endpoint = http://x/\n", "f:1: a key before the first [NAME]"},
           Case{"[a b]\n", "f:1: a target name is 1 to 100 letters, digits, '-', '_' or '.'"},
           Case{"[a]\nendpoint = http://x/\nusername = u\npassword_file = /pw\n[a]\n",
                "f:5: target 'a' already defined on line 1"},
           Case{"[a]\nusername = u\n", "f:1: target 'a' has no endpoint"},
           Case{"[a]\nendpoint = http://x/\nusername = u\n",
                "f:1: target 'a' has no password_file"},
           Case{"[a]\nport = 1\n",
                "f:2: unknown key 'port' (endpoint, username, password_file, "
                "data_source, ca_file, insecure)"},
           Case{"[a]\njunk\n", "f:2: expected KEY = VALUE or [NAME]"},
       }) {
    Result<std::vector<TargetSettings>> targets = ParseTargetsFile(c.text, "f", fs);
    ASSERT_FALSE(targets.ok()) << c.text;
    EXPECT_EQ(targets.error().message, c.error);
    EXPECT_EQ(targets.error().message.find("hunter2"), std::string::npos);
  }
}

TEST(ParseTargetsFileTest, RelativePasswordFilesComeFromSystemdCredentials) {
  FakeFileSystem fs;
  fs.AddFile("/run/credentials/x.service/office.pw", "from-credential");
  Result<std::vector<TargetSettings>> targets =
      ParseTargetsFile("[office]\nendpoint = http://g/\nusername = u\npassword_file = office.pw\n",
                       "f", fs, "/run/credentials/x.service");
  ASSERT_TRUE(targets.ok()) << targets.error().message;
  EXPECT_EQ((*targets)[0].config.password, "from-credential");
  EXPECT_EQ(SecretPath("/abs", "/run/c"), "/abs");
  EXPECT_EQ(SecretPath("rel", ""), "rel");
}

TEST_F(ServeCommandLineTest, PasswordFileFromCredentialsDirectory) {
  env_.erase("GUACAMOLE_PASSWORD");
  env_["GUACAMOLE_PASSWORD_FILE"] = "guacamole";
  env_["CREDENTIALS_DIRECTORY"] = "/run/credentials/e.service";
  fs_.AddFile("/run/credentials/e.service/guacamole", "cred");
  Result<ExporterSettings> s = Parse({"--serve"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->metrics->config.password, "cred");
}

TEST(WantsServeTest, Detects) {
  char a0[] = "check_guacamole", a1[] = "-H", a2[] = "--serve=:1", a3[] = "--";
  char* yes[] = {a0, a2, nullptr};
  char* no[] = {a0, a1, nullptr};
  char* after_dashes[] = {a0, a3, a2, nullptr};
  EXPECT_TRUE(WantsServe(2, yes));
  EXPECT_FALSE(WantsServe(2, no));
  EXPECT_FALSE(WantsServe(3, after_dashes));
}

}  // namespace
}  // namespace automon::guacamole
