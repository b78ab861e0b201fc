#include "probes/lib/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/unique_fd.h"
#include "probes/lib/curl_http_client.h"

namespace automon::probe {
namespace {

TEST(UrlEncodeTest, KeepsUnreservedEncodesEverythingElse) {
  EXPECT_EQ(UrlEncode("abcXYZ019-._~"), "abcXYZ019-._~");
  EXPECT_EQ(UrlEncode("a b&c=d+e%"), "a%20b%26c%3Dd%2Be%25");
  EXPECT_EQ(UrlEncode("p\xc3\xa4ss"), "p%C3%A4ss");
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(Base64EncodeTest, MatchesRfc4648TestVectors) {
  // RFC 4648 section 10.
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64EncodeTest, EncodesHighBytesAndBothExtraCharacters) {
  EXPECT_EQ(Base64Encode(std::string_view("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(Base64Encode(std::string_view("\0\0\0", 3)), "AAAA");
}

TEST(BasicAuthorizationHeaderTest, EncodesUserColonPassword) {
  // RFC 7617 section 2.
  EXPECT_EQ(BasicAuthorizationHeader("Aladdin", "open sesame"),
            "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  // The first colon separates: a colon in the password stays in it.
  EXPECT_EQ(BasicAuthorizationHeader("u", "p:w"), "Authorization: Basic dTpwOnc=");
}

// A TCP socket on 127.0.0.1 with an ephemeral port; listening or not.
struct LoopbackSocket {
  UniqueFd fd;
  int port = 0;
};

LoopbackSocket Bind(bool listen_too) {
  LoopbackSocket s{UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)), 0};
  EXPECT_TRUE(s.fd.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::getsockname(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  s.port = ntohs(addr.sin_port);
  if (listen_too) {
    EXPECT_EQ(::listen(s.fd.get(), 4), 0);
  }
  return s;
}

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<CurlGlobal> global = CurlGlobal::Init();
    ASSERT_TRUE(global.ok());
    global_.emplace(std::move(global).value());
    Result<std::unique_ptr<CurlHttpClient>> client = CurlHttpClient::Create(*global_, {});
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }
  std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/x"; }

  std::optional<CurlGlobal> global_;
  std::unique_ptr<CurlHttpClient> client_;
};

TEST_F(CurlHttpClientTest, RefusedConnectionIsClassified) {
  LoopbackSocket closed = Bind(/*listen_too=*/false);  // bound, so nobody else takes it
  HttpResult result = client_->Send({"GET", Url(closed.port), {}, "", std::chrono::seconds(5)});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kRefused) << result.error().detail;
}

TEST_F(CurlHttpClientTest, SilentServerTimesOut) {
  LoopbackSocket silent = Bind(/*listen_too=*/true);  // the kernel accepts; nobody answers
  auto start = std::chrono::steady_clock::now();
  HttpResult result =
      client_->Send({"GET", Url(silent.port), {}, "", std::chrono::milliseconds(300)});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTimeout) << result.error().detail;
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(CurlHttpClientTest, ReadsStatusContentTypeAndBody) {
  LoopbackSocket server = Bind(/*listen_too=*/true);
  std::string received;
  std::thread thread([&] {
    UniqueFd conn(::accept(server.fd.get(), nullptr, nullptr));
    char buffer[4096];
    ssize_t n = ::recv(conn.get(), buffer, sizeof(buffer), 0);
    if (n > 0) received.assign(buffer, static_cast<size_t>(n));
    std::string reply =
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
    (void)::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  });
  HttpResult result = client_->Send(
      {"POST", Url(server.port), {"X-Test: 1"}, "a=b", std::chrono::seconds(5)});
  thread.join();
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().status, 403);
  EXPECT_EQ(result.response().content_type, "application/json");
  EXPECT_EQ(result.response().body, "{}");
  EXPECT_NE(received.find("POST /x HTTP/1.1\r\n"), std::string::npos) << received;
  EXPECT_NE(received.find("X-Test: 1\r\n"), std::string::npos) << received;
}

TEST_F(CurlHttpClientTest, OversizedReplyIsRefused) {
  CurlOptions options;
  options.max_body_bytes = 10;
  Result<std::unique_ptr<CurlHttpClient>> small = CurlHttpClient::Create(*global_, options);
  ASSERT_TRUE(small.ok());
  LoopbackSocket server = Bind(/*listen_too=*/true);
  std::thread thread([&] {
    UniqueFd conn(::accept(server.fd.get(), nullptr, nullptr));
    char buffer[4096];
    (void)::recv(conn.get(), buffer, sizeof(buffer), 0);
    std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" +
        std::string(100, 'x');
    (void)::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  });
  HttpResult result = (*small)->Send({"GET", Url(server.port), {}, "", std::chrono::seconds(5)});
  thread.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTooLarge);
}

}  // namespace
}  // namespace automon::probe
