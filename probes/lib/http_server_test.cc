// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace automon::probe {
namespace {

using Kind = ParsedRequest::Kind;

ParsedRequest Parse(std::string_view text, ServerLimits limits = {}) {
  return ParseRequestHead(text, limits);
}

TEST(ParseRequestHeadTest, CompleteGet) {
  ParsedRequest p = Parse("GET /probe?target=a HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(p.kind, Kind::kComplete);
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.path, "/probe");
  EXPECT_EQ(p.request.query, "target=a");
  ASSERT_EQ(p.request.headers.size(), 2u);
  EXPECT_EQ(p.request.headers[0].first, "host");
  EXPECT_EQ(p.request.headers[1].second, "*/*");
}

TEST(ParseRequestHeadTest, BareLineFeedsAndHttp10) {
  ParsedRequest p = Parse("GET /metrics HTTP/1.0\n\n");
  ASSERT_EQ(p.kind, Kind::kComplete);
  EXPECT_EQ(p.request.path, "/metrics");
}

TEST(ParseRequestHeadTest, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(Parse("GET /metrics HTTP/1.1\r\nHost: x\r\n").kind, Kind::kIncomplete);
  EXPECT_EQ(Parse("").kind, Kind::kIncomplete);
}

TEST(ParseRequestHeadTest, OversizedHeadIs431) {
  ServerLimits limits;
  limits.max_request_bytes = 64;
  ParsedRequest p = Parse("GET /metrics HTTP/1.1\r\nX: " + std::string(100, 'a'), limits);
  ASSERT_EQ(p.kind, Kind::kRefused);
  EXPECT_EQ(p.refusal.status, 431);
  p = Parse("GET /metrics HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", limits);
  EXPECT_EQ(p.refusal.status, 431);
}

TEST(ParseRequestHeadTest, TooManyHeadersIs431) {
  ServerLimits limits;
  limits.max_headers = 3;
  std::string request = "GET /metrics HTTP/1.1\r\n";
  for (int i = 0; i < 4; ++i) request += "X-" + std::to_string(i) + ": y\r\n";
  ParsedRequest p = Parse(request + "\r\n", limits);
  ASSERT_EQ(p.kind, Kind::kRefused);
  EXPECT_EQ(p.refusal.status, 431);
}

TEST(ParseRequestHeadTest, OnlyGet) {
  for (const char* method : {"POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT"}) {
    ParsedRequest p = Parse(std::string(method) + " /metrics HTTP/1.1\r\n\r\n");
    ASSERT_EQ(p.kind, Kind::kRefused) << method;
    EXPECT_EQ(p.refusal.status, 405) << method;
    EXPECT_EQ(p.refusal.headers, std::vector<std::string>{"Allow: GET"});
  }
}

TEST(ParseRequestHeadTest, MalformedRequestsAre400) {
  for (const char* request : {
           "GET\r\n\r\n",
           "GET /metrics\r\n\r\n",
           "GET  /metrics HTTP/1.1\r\n\r\n",
           "GET /metrics HTTP/1.1 x\r\n\r\n",
           "GET http://evil/metrics HTTP/1.1\r\n\r\n",
           "GET * HTTP/1.1\r\n\r\n",
           "GET /met\x01rics HTTP/1.1\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
           "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nBad Name: b\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
           "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "G\xc3\xa9T /metrics HTTP/1.1\r\n\r\n",
           "\x16\x03\x01",
           "\r\n\r\n",
       }) {
    ParsedRequest p = Parse(request);
    ASSERT_EQ(p.kind, Kind::kRefused) << request;
    EXPECT_EQ(p.refusal.status, 400) << request;
  }
}

TEST(ParseRequestHeadTest, OtherVersionsAre505) {
  ParsedRequest p = Parse("GET /metrics HTTP/2.0\r\n\r\n");
  ASSERT_EQ(p.kind, Kind::kRefused);
  EXPECT_EQ(p.refusal.status, 505);
}

TEST(SerializeResponseTest, LengthAndClose) {
  ServerResponse r;
  r.status = 404;
  r.body = "nope\n";
  r.headers = {"Allow: GET"};
  EXPECT_EQ(SerializeResponse(r),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 5\r\nAllow: GET\r\nConnection: close\r\n\r\nnope\n");
}

TEST(QueryParameterTest, DecodesAndRejectsDuplicates) {
  EXPECT_EQ(*QueryParameter("target=a%2Db+c", "target"), std::optional<std::string>("a-b c"));
  EXPECT_EQ(*QueryParameter("x=1&target=b", "target"), std::optional<std::string>("b"));
  EXPECT_EQ(*QueryParameter("x=1", "target"), std::nullopt);
  EXPECT_EQ(*QueryParameter("target", "target"), std::optional<std::string>(""));
  EXPECT_FALSE(QueryParameter("target=a&target=b", "target").ok());
  EXPECT_FALSE(QueryParameter("target=%zz", "target").ok());
  EXPECT_FALSE(QueryParameter("target=%4", "target").ok());
}

TEST(ListenTcpTest, AddressForms) {
  Result<UniqueFd> any = ListenTcp("127.0.0.1:0");
  ASSERT_TRUE(any.ok()) << any.error().message;
  EXPECT_GT(BoundPort(any->get()), 0);
  EXPECT_FALSE(ListenTcp("localhost:80").ok());
  EXPECT_FALSE(ListenTcp("127.0.0.1:99999").ok());
  EXPECT_FALSE(ListenTcp("::1:80").ok());
  EXPECT_FALSE(ListenTcp("[::1]80").ok());
}

// A running server on 127.0.0.1 with a tiny limit set, for the socket tests.
class HttpServerTest : public ::testing::Test {
 protected:
  void Start(ServerLimits limits) {
    Result<UniqueFd> listener = ListenTcp("127.0.0.1:0");
    ASSERT_TRUE(listener.ok());
    port_ = BoundPort(listener->get());
    stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
    server_ = std::make_unique<HttpServer>(std::move(listener).value(), limits,
                                           [this](const ServerRequest& request) {
                                             ++handled_;
                                             ServerResponse r;
                                             r.body = "path " + request.path + "\n";
                                             return r;
                                           });
    thread_ = std::thread([this] { served_ = server_->Serve(stop_.get()).ok(); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      uint64_t one = 1;
      ASSERT_EQ(write(stop_.get(), &one, sizeof(one)), 8);
      thread_.join();
      EXPECT_TRUE(served_);
    }
  }
  UniqueFd Connect() {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    timeval tv{5, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }
  static std::string ReadAll(int fd) {
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(n));
    return out;
  }
  std::string Exchange(std::string_view request) {
    UniqueFd fd = Connect();
    EXPECT_EQ(send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    return ReadAll(fd.get());
  }

  int port_ = 0;
  UniqueFd stop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  bool served_ = false;
  int handled_ = 0;  // written by the server thread; read after it is quiet
};

TEST_F(HttpServerTest, AnswersAndCloses) {
  Start({});
  std::string reply = Exchange("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\npath /metrics\n")) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, RequestInTinyPieces) {
  Start({});
  UniqueFd fd = Connect();
  for (char c : std::string("GET /x HTTP/1.1\r\n\r\n")) {
    ASSERT_EQ(send(fd.get(), &c, 1, MSG_NOSIGNAL), 1);
  }
  EXPECT_TRUE(ReadAll(fd.get()).ends_with("path /x\n"));
}

TEST_F(HttpServerTest, SlowClientIsDroppedAndOthersAreServed) {
  ServerLimits limits;
  limits.request_timeout = std::chrono::milliseconds(300);
  Start(limits);
  UniqueFd slow = Connect();
  ASSERT_EQ(send(slow.get(), "GET /", 5, MSG_NOSIGNAL), 5);
  // Served while the slow one still holds its connection.
  EXPECT_TRUE(Exchange("GET /a HTTP/1.1\r\n\r\n").ends_with("path /a\n"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(slow.get()), "");  // closed by the server, no reply
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(HttpServerTest, ConnectionFloodEvictsTheOldest) {
  ServerLimits limits;
  limits.max_connections = 4;
  Start(limits);
  std::vector<UniqueFd> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(Connect());
  EXPECT_TRUE(Exchange("GET /b HTTP/1.1\r\n\r\n").ends_with("path /b\n"));
  EXPECT_EQ(ReadAll(idle.front().get()), "");  // evicted
}

TEST_F(HttpServerTest, HugeRequestIsRefusedNotBuffered) {
  ServerLimits limits;
  limits.max_request_bytes = 1024;
  Start(limits);
  UniqueFd fd = Connect();
  std::string junk = "GET /metrics HTTP/1.1\r\nX: " + std::string(4000, 'a');
  send(fd.get(), junk.data(), junk.size(), MSG_NOSIGNAL);
  shutdown(fd.get(), SHUT_WR);
  // The server reads and discards the rest, so the reply is not lost to a
  // reset.
  std::string reply = ReadAll(fd.get());
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431 ")) << reply;
  EXPECT_TRUE(Exchange("GET /c HTTP/1.1\r\n\r\n").ends_with("path /c\n"));
}

TEST(HttpServerEventTest, EventsKeepServingUntilTheCallbackSaysStop) {
  Result<UniqueFd> listener = ListenTcp("127.0.0.1:0");
  ASSERT_TRUE(listener.ok());
  UniqueFd events(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  HttpServer server(std::move(listener).value(), {},
                    [](const ServerRequest&) { return ServerResponse{}; });
  int calls = 0;
  std::thread poke([&] {
    for (int i = 0; i < 3; ++i) {
      uint64_t one = 1;
      ASSERT_EQ(write(events.get(), &one, sizeof(one)), 8);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  Result<void> served = server.Serve(events.get(), [&] {
    uint64_t value = 0;
    EXPECT_EQ(read(events.get(), &value, sizeof(value)), 8);
    return ++calls < 3;
  });
  poke.join();
  EXPECT_TRUE(served.ok());
  EXPECT_EQ(calls, 3);
}

TEST_F(HttpServerTest, RefusalsNeverReachTheHandler) {
  Start({});
  EXPECT_TRUE(Exchange("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                  .starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  // The start of a TLS ClientHello: refused at once, not after the timeout.
  const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Exchange(std::string_view(hello, sizeof(hello) - 1)).starts_with("HTTP/1.1 400 "));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(Exchange("GET /d HTTP/1.1\r\n\r\n").ends_with("path /d\n"));
  // Joining the server thread makes handled_ safe to read.
  TearDown();
  EXPECT_EQ(handled_, 1);
}

}  // namespace
}  // namespace automon::probe
