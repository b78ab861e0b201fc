// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_haproxy_sessions/stats_source.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "common/testing/temp_dir.h"
#include "common/unique_fd.h"
#include "probes/lib/testing/fake_http_client.h"

namespace automon::haproxy {
namespace {

using namespace std::chrono_literals;
using probe::HttpRequest;
using probe::HttpResponse;
using probe::HttpResult;
using probe::TransportError;
using probe::TransportErrorKind;
using probe::testing::FakeHttpClient;

constexpr char kCsv[] = "# pxname,svname,scur,slim,status,type,\nweb,FRONTEND,1,10,OPEN,0,\n";

probe::Timeout TimeoutOf(int seconds, probe::State state) {
  return probe::Timeout{std::chrono::seconds(seconds), state};
}

// --- CsvUrl

TEST(CsvUrlTest, AppendsCsvOnlyWhenAbsent) {
  EXPECT_EQ(CsvUrl("http://127.0.0.1:8404/stats"), "http://127.0.0.1:8404/stats;csv");
  EXPECT_EQ(CsvUrl("http://127.0.0.1:8404/stats;csv"), "http://127.0.0.1:8404/stats;csv");
  EXPECT_EQ(CsvUrl("http://h/haproxy?stats"), "http://h/haproxy?stats;csv");
  EXPECT_EQ(CsvUrl("http://h/haproxy?stats;csv;norefresh"), "http://h/haproxy?stats;csv;norefresh");
  EXPECT_EQ(CsvUrl("https://h/stats#top"), "https://h/stats;csv");
}

// --- FetchStatsHttp

TEST(FetchStatsHttpTest, GetsTheCsvUrlWithBasicAuthentication) {
  FakeHttpClient http([](const HttpRequest&) -> HttpResult {
    return HttpResponse{200, "text/csv", "", kCsv};
  });
  HttpSource source{"http://127.0.0.1:8404/stats", "mon", "open sesame"};
  auto csv =
      FetchStatsHttp(http, source, probe::Deadline::After(5s), TimeoutOf(10, probe::kCritical));
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv.value(), kCsv);
  ASSERT_EQ(http.requests().size(), 1u);
  const HttpRequest& request = http.requests()[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://127.0.0.1:8404/stats;csv");
  EXPECT_EQ(request.headers, std::vector<std::string>{"Authorization: Basic bW9uOm9wZW4gc2VzYW1l"});
  EXPECT_GT(request.timeout, 4000ms);
  EXPECT_LE(request.timeout, 5000ms);
}

TEST(FetchStatsHttpTest, SendsNoCredentialsWithoutUsername) {
  FakeHttpClient http([](const HttpRequest&) -> HttpResult {
    return HttpResponse{200, "text/csv", "", kCsv};
  });
  auto csv = FetchStatsHttp(http, HttpSource{"http://h/stats;csv", "", ""},
                            probe::Deadline::After(5s), TimeoutOf(10, probe::kCritical));
  ASSERT_TRUE(csv.ok());
  EXPECT_TRUE(http.requests()[0].headers.empty());
}

TEST(FetchStatsHttpTest, MapsEachFailureToItsStateAndMessage) {
  const std::string password = "s3cret-pw";
  const struct {
    HttpResult reply;
    std::string username;
    probe::State state;
    std::string message;
  } cases[] = {
      {HttpResponse{401, "text/html", "", "401"}, "mon", probe::kCritical,
       "HAProxy refused the credentials of user 'mon' at http://h/stats;csv (HTTP 401): check "
       "'stats auth' and the password file"},
      {HttpResponse{401, "text/html", "", "401"}, "", probe::kUnknown,
       "http://h/stats;csv needs authentication (HTTP 401): give --username and "
       "--password-file (or HAPROXY_PASSWORD)"},
      {HttpResponse{403, "text/html", "", ""}, "mon", probe::kCritical,
       "HAProxy denied access to http://h/stats;csv (HTTP 403)"},
      {HttpResponse{302, "", "https://h/stats;csv", ""}, "", probe::kUnknown,
       "http://h/stats;csv redirects to 'https://h/stats;csv' (HTTP 302): point --url at the "
       "stats page itself"},
      {HttpResponse{301, "", "", ""}, "", probe::kUnknown,
       "http://h/stats;csv redirects to (no Location) (HTTP 301): point --url at the stats page "
       "itself"},
      {HttpResponse{404, "text/html", "", ""}, "", probe::kUnknown,
       "no stats page at http://h/stats;csv (HTTP 404): check --url against HAProxy's 'stats "
       "uri'"},
      {HttpResponse{503, "text/html", "", ""}, "", probe::kCritical,
       "http://h/stats;csv answered HTTP 503: HAProxy or the server behind that URL reports an "
       "error (is 'stats uri' set there?)"},
      {HttpResponse{418, "", "", ""}, "", probe::kUnknown,
       "unexpected HTTP 418 from http://h/stats;csv"},
      {TransportError{TransportErrorKind::kRefused, "Connection refused"}, "", probe::kCritical,
       "connection to http://h/stats;csv refused: is HAProxy running, with its stats page "
       "listening there?"},
      {TransportError{TransportErrorKind::kResolve, "Could not resolve host: h"}, "",
       probe::kUnknown,
       "cannot resolve the host name of http://h/stats;csv: check --url and DNS (Could not "
       "resolve host: h)"},
      {TransportError{TransportErrorKind::kConnect, "No route to host"}, "", probe::kCritical,
       "cannot connect to http://h/stats;csv: No route to host"},
      {TransportError{TransportErrorKind::kTimeout, "timed out"}, "", probe::kWarning,
       "no complete reply from http://h/stats;csv within 7 seconds (-t 7)"},
      {TransportError{TransportErrorKind::kTooLarge, "reply larger than 16 bytes"}, "",
       probe::kUnknown,
       "reply from http://h/stats;csv is too large (reply larger than 16 bytes); is this a "
       "stats page?"},
      {TransportError{TransportErrorKind::kOther, "Connection reset\nby peer"}, "",
       probe::kCritical, "request to http://h/stats;csv failed: Connection reset by peer"},
  };
  for (const auto& c : cases) {
    FakeHttpClient http([&](const HttpRequest&) { return c.reply; });
    auto csv = FetchStatsHttp(http, HttpSource{"http://h/stats", c.username, password},
                              probe::Deadline::After(5s), TimeoutOf(7, probe::kWarning));
    ASSERT_FALSE(csv.ok()) << c.message;
    EXPECT_EQ(csv.error().state, c.state) << c.message;
    EXPECT_EQ(csv.error().message, c.message);
    EXPECT_EQ(csv.error().message.find(password), std::string::npos);
  }
}

TEST(FetchStatsHttpTest, ExpiredDeadlineSendsNothing) {
  FakeHttpClient http([](const HttpRequest&) -> HttpResult {
    return HttpResponse{200, "", "", ""};
  });
  auto csv = FetchStatsHttp(http, HttpSource{"http://h/stats", "", ""},
                            probe::Deadline(probe::Deadline::Clock::now() - 1s),
                            TimeoutOf(3, probe::kUnknown));
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().state, probe::kUnknown);
  EXPECT_EQ(csv.error().message,
            "no time left to query http://h/stats;csv within 3 seconds (-t 3)");
  EXPECT_TRUE(http.requests().empty());
}

// --- ReadStatsSocket, against real UNIX sockets in a temporary directory

UniqueFd BoundSocket(const std::string& path, bool listen_too) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  if (listen_too) {
    EXPECT_EQ(::listen(fd.get(), 8), 0);
  }
  return fd;
}

// A one-connection stats socket: records what the client sends up to the
// first newline, then plays `behaviour` on the accepted connection.
class FakeStatsSocket {
 public:
  using Behaviour = std::function<void(int fd)>;

  FakeStatsSocket(const std::string& path, Behaviour behaviour)
      : listener_(BoundSocket(path, true)), thread_([this, behaviour = std::move(behaviour)] {
          UniqueFd conn(::accept(listener_.get(), nullptr, nullptr));
          if (!conn.valid()) return;
          char c = 0;
          while (::recv(conn.get(), &c, 1, 0) == 1) {
            command_ += c;
            if (c == '\n') break;
          }
          behaviour(conn.get());
        }) {}
  ~FakeStatsSocket() {
    if (thread_.joinable()) thread_.join();
  }
  // Joins the server thread; call before reading command().
  std::string Command() {
    thread_.join();
    return command_;
  }

 private:
  UniqueFd listener_;
  std::string command_;
  std::thread thread_;
};

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

TEST(ReadStatsSocketTest, SendsShowStatAndReadsEveryChunkUntilClose) {
  automon::testing::ScopedTempDir dir;
  const std::string reply = std::string(kCsv) + std::string(40000, 'x') + "\n\n";
  FakeStatsSocket server(dir.File("stats.sock"), [&](int fd) {
    // Several writes with pauses: a reader that stops at the first short
    // read or the first blank line would return a prefix.
    SendAll(fd, reply.substr(0, 10));
    std::this_thread::sleep_for(30ms);
    SendAll(fd, reply.substr(10, 20000));
    std::this_thread::sleep_for(30ms);
    SendAll(fd, reply.substr(20010));
  });
  auto csv = ReadStatsSocket(SocketSource{dir.File("stats.sock")}, probe::Deadline::After(5s),
                             TimeoutOf(10, probe::kCritical));
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv.value(), reply);
  EXPECT_EQ(server.Command(), "show stat\n");
}

TEST(ReadStatsSocketTest, MissingSocketIsCritical) {
  automon::testing::ScopedTempDir dir;
  auto csv = ReadStatsSocket(SocketSource{dir.File("none.sock")}, probe::Deadline::After(5s),
                             TimeoutOf(10, probe::kCritical));
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().state, probe::kCritical);
  EXPECT_EQ(csv.error().message, "no stats socket at '" + dir.File("none.sock") +
                                     "': HAProxy is not running, or its 'stats socket' is "
                                     "elsewhere");
}

TEST(ReadStatsSocketTest, LeftOverSocketWithoutListenerIsCritical) {
  automon::testing::ScopedTempDir dir;
  UniqueFd bound = BoundSocket(dir.File("stale.sock"), false);  // exists, nobody listens
  auto csv = ReadStatsSocket(SocketSource{dir.File("stale.sock")}, probe::Deadline::After(5s),
                             TimeoutOf(10, probe::kCritical));
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().state, probe::kCritical);
  EXPECT_EQ(csv.error().message, "stats socket '" + dir.File("stale.sock") +
                                     "' refuses connections: HAProxy is not running (the socket "
                                     "file is left over)");
}

TEST(ReadStatsSocketTest, SilentPeerEndsAtTheDeadlineWithTheTimeoutState) {
  automon::testing::ScopedTempDir dir;
  std::atomic<bool> done{false};
  FakeStatsSocket server(dir.File("slow.sock"), [&](int) {
    while (!done) std::this_thread::sleep_for(5ms);  // holds the connection open
  });
  const auto start = std::chrono::steady_clock::now();
  auto csv = ReadStatsSocket(SocketSource{dir.File("slow.sock")}, probe::Deadline::After(200ms),
                             TimeoutOf(7, probe::kWarning));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  done = true;
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().state, probe::kWarning);
  EXPECT_EQ(csv.error().message, "stats socket '" + dir.File("slow.sock") +
                                     "' did not finish its reply within 7 seconds (-t 7)");
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(ReadStatsSocketTest, RefusesRepliesLargerThanTheLimit) {
  automon::testing::ScopedTempDir dir;
  FakeStatsSocket server(dir.File("big.sock"), [](int fd) { SendAll(fd, std::string(1000, 'x')); });
  auto csv = ReadStatsSocket(SocketSource{dir.File("big.sock")}, probe::Deadline::After(5s),
                             TimeoutOf(10, probe::kCritical), 999);
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.error().state, probe::kUnknown);
  EXPECT_EQ(csv.error().message,
            "reply from stats socket '" + dir.File("big.sock") + "' is larger than 999 bytes");
}

TEST(ReadStatsSocketTest, ReplyOfExactlyTheLimitIsAccepted) {
  automon::testing::ScopedTempDir dir;
  FakeStatsSocket server(dir.File("fit.sock"), [](int fd) { SendAll(fd, std::string(999, 'x')); });
  auto csv = ReadStatsSocket(SocketSource{dir.File("fit.sock")}, probe::Deadline::After(5s),
                             TimeoutOf(10, probe::kCritical), 999);
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv.value().size(), 999u);
}

TEST(ReadStatsSocketTest, PathTooLongOrEmptyIsUnknown) {
  for (const std::string& path : {std::string(200, 'a'), std::string()}) {
    auto csv = ReadStatsSocket(SocketSource{path}, probe::Deadline::After(5s),
                               TimeoutOf(10, probe::kCritical));
    ASSERT_FALSE(csv.ok());
    EXPECT_EQ(csv.error().state, probe::kUnknown);
    EXPECT_EQ(csv.error().message,
              "stats socket path '" + path + "' is empty or longer than 107 bytes");
  }
}

}  // namespace
}  // namespace automon::haproxy
