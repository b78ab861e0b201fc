// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/unique_fd.h"
#include "probes/lib/curl_http_client.h"
#include "probes/lib/socket_http_client.h"
#include "probes/lib/testing/loopback_server.h"

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

using testing::LoopbackServer;
using testing::Reply;
using testing::ServerConnection;

// The options both implementations share.
struct ClientOptions {
  std::string ca_file;
  bool insecure = false;
  size_t max_body_bytes = 8 << 20;
};

struct CurlImplementation {
  static constexpr const char* kName = "Curl";
  std::unique_ptr<HttpClient> Make(const ClientOptions& o) {
    if (!global) {
      Result<CurlGlobal> init = CurlGlobal::Init();
      AUTOMON_CHECK(init.ok());
      global.emplace(std::move(init).value());
    }
    CurlOptions options;
    options.ca_file = o.ca_file;
    options.insecure = o.insecure;
    options.max_body_bytes = o.max_body_bytes;
    Result<std::unique_ptr<CurlHttpClient>> client = CurlHttpClient::Create(*global, options);
    AUTOMON_CHECK(client.ok());
    return std::move(client).value();
  }
  std::optional<CurlGlobal> global;
};

struct SocketImplementation {
  static constexpr const char* kName = "Socket";
  std::unique_ptr<HttpClient> Make(const ClientOptions& o) {
    SocketHttpOptions options;
    options.ca_file = o.ca_file;
    options.insecure = o.insecure;
    options.max_body_bytes = o.max_body_bytes;
    return std::make_unique<SocketHttpClient>(options);
  }
};

// The HttpClient contract, run against every implementation: the probes'
// Error: lines depend on the classification being the same.
template <class Implementation>
class HttpClientContractTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpClient> Make(const ClientOptions& options = {}) {
    return implementation_.Make(options);
  }
  HttpResult Get(HttpClient& client, const std::string& url,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return client.Send({"GET", url, {}, "", timeout});
  }

  Implementation implementation_;  // outlives the clients the tests make
};

struct ImplementationName {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
using Implementations = ::testing::Types<CurlImplementation, SocketImplementation>;
TYPED_TEST_SUITE(HttpClientContractTest, Implementations, ImplementationName);

constexpr const char* kTestData = "probes/lib/testdata/";

ClientOptions BodyLimit(size_t bytes) {
  ClientOptions options;
  options.max_body_bytes = bytes;
  return options;
}
ClientOptions CaFile(const std::string& file) {
  ClientOptions options;
  options.ca_file = file;
  return options;
}
ClientOptions TrustTestCa() { return CaFile(std::string(kTestData) + "ca.pem"); }
ClientOptions Insecure() {
  ClientOptions options;
  options.insecure = true;
  return options;
}

LoopbackServer::Tls Certificate(const std::string& name) {
  return {std::string(kTestData) + name + ".pem", std::string(kTestData) + name + ".key"};
}

// Answers every request on every connection with `reply`.
LoopbackServer::Handler AlwaysReply(std::string reply) {
  return [reply](ServerConnection& c, int) {
    while (!c.ReadRequest().empty()) {
      if (!c.Write(reply)) return;
    }
  };
}

TYPED_TEST(HttpClientContractTest, RefusedConnectionIsClassified) {
  LoopbackSocket closed = Bind(/*listen_too=*/false);  // bound, so nobody else takes it
  auto client = this->Make();
  HttpResult result = this->Get(*client, "http://127.0.0.1:" + std::to_string(closed.port) + "/x");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kRefused) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, SilentServerTimesOut) {
  LoopbackSocket silent = Bind(/*listen_too=*/true);  // the kernel accepts; nobody answers
  auto client = this->Make();
  auto start = std::chrono::steady_clock::now();
  HttpResult result = this->Get(*client, "http://127.0.0.1:" + std::to_string(silent.port) + "/x",
                                std::chrono::milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTimeout) << result.error().detail;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TYPED_TEST(HttpClientContractTest, ReadsStatusContentTypeAndBody) {
  std::string received;
  LoopbackServer server([&](ServerConnection& c, int) {
    received = c.ReadRequest();
    c.Write(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  });
  auto client = this->Make();
  HttpResult result =
      client->Send({"POST", server.Url(), {"X-Test: 1"}, "a=b", std::chrono::seconds(5)});
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().status, 403);
  EXPECT_EQ(result.response().content_type, "application/json");
  EXPECT_EQ(result.response().body, "{}");
  EXPECT_EQ(result.response().location, "");
  EXPECT_EQ(received.rfind("POST /x HTTP/1.1\r\n", 0), 0u) << received;
  EXPECT_NE(received.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos)
      << received;
  EXPECT_NE(received.find("\r\nX-Test: 1\r\n"), std::string::npos) << received;
  EXPECT_NE(received.find("\r\nContent-Length: 3\r\n"), std::string::npos) << received;
  // libcurl's default for a POST, which Guacamole's login relies on.
  EXPECT_NE(received.find("\r\nContent-Type: application/x-www-form-urlencoded\r\n"),
            std::string::npos)
      << received;
  EXPECT_EQ(received.substr(received.size() - 7), "\r\n\r\na=b") << received;
}

TYPED_TEST(HttpClientContractTest, SendsCustomMethodsWithTheirHeaders) {
  std::string received;
  LoopbackServer server([&](ServerConnection& c, int) {
    received = c.ReadRequest();
    c.Write("HTTP/1.1 204 No Content\r\n\r\n");
    c.WaitForClose();
  });
  auto client = this->Make();
  HttpResult result = client->Send({"DELETE",
                                    server.Url("/api/tokens/ABC?x=1"),
                                    {"Accept: application/json"},
                                    "",
                                    std::chrono::seconds(5)});
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().status, 204);
  EXPECT_EQ(result.response().body, "");
  EXPECT_EQ(received.rfind("DELETE /api/tokens/ABC?x=1 HTTP/1.1\r\n", 0), 0u) << received;
  EXPECT_NE(received.find("\r\nAccept: application/json\r\n"), std::string::npos) << received;
  EXPECT_EQ(received.find("Accept: */*"), std::string::npos) << received;
  EXPECT_EQ(received.find("Content-Length"), std::string::npos) << received;
}

TYPED_TEST(HttpClientContractTest, OversizedReplyIsRefused) {
  LoopbackServer server(
      AlwaysReply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x')));
  auto client = this->Make(BodyLimit(10));
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTooLarge) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, BodyOfExactlyTheLimitIsAccepted) {
  LoopbackServer server(
      AlwaysReply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + std::string(10, 'x')));
  auto client = this->Make(BodyLimit(10));
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().body, std::string(10, 'x'));
}

TYPED_TEST(HttpClientContractTest, OversizedChunkedReplyIsRefused) {
  LoopbackServer server(
      AlwaysReply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
  auto client = this->Make(BodyLimit(10));
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTooLarge) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, OversizedReplyWithoutLengthIsRefused) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(100000, 'x'));
  });
  auto client = this->Make(BodyLimit(1000));
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTooLarge) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, DecodesChunkedBody) {
  // Chunks split across writes, a chunk extension, upper-case hex, trailers.
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c.Write("\r\n1;ext=1\r\n:\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c.Write("1A\r\n" + std::string(26, 'z') + "\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n");
    c.WaitForClose();
  });
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().content_type, "application/json");
  EXPECT_EQ(result.response().body, "{\"a\":" + std::string(26, 'z') + "}");
}

TYPED_TEST(HttpClientContractTest, MalformedChunkIsAnError) {
  LoopbackServer server(
      AlwaysReply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "zz\r\nxx\r\n0\r\n\r\n"));
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, ReadsBodyUntilCloseWithoutLength) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst ");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c.Write("second");
  });
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().body, "first second");
}

TYPED_TEST(HttpClientContractTest, ServerClosingMidBodyIsAnError) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
  });
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, TimeoutMidBodyIsATimeout) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    c.WaitForClose();  // and never the rest
  });
  auto client = this->Make();
  auto start = std::chrono::steady_clock::now();
  HttpResult result = this->Get(*client, server.Url(), std::chrono::milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTimeout) << result.error().detail;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TYPED_TEST(HttpClientContractTest, TimeoutMidChunkedBodyIsATimeout) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    c.WaitForClose();
  });
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url(), std::chrono::milliseconds(300));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTimeout) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, NonHttpReplyIsAnError) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("SSH-2.0-OpenSSH_9.2\r\n");
  });
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, EmptyReplyIsAnError) {
  LoopbackServer server([](ServerConnection& c, int) { c.ReadRequest(); });
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << result.error().detail;
  EXPECT_EQ(server.accepted(), 1);  // a fresh connection is not retried
}

TYPED_TEST(HttpClientContractTest, RedirectIsReturnedWithAnAbsoluteLocation) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 302 Found", "", "Location: /elsewhere\r\n")));
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url("/a/b"));
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().status, 302);
  EXPECT_EQ(result.response().location, server.Url("/elsewhere"));
  EXPECT_EQ(server.accepted(), 1);  // not followed
}

TYPED_TEST(HttpClientContractTest, LocationOfANonRedirectIsIgnored) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 201 Created", "{}", "Location: /new\r\n")));
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().location, "");
}

TYPED_TEST(HttpClientContractTest, SkipsInterimReplies) {
  LoopbackServer server(
      AlwaysReply("HTTP/1.1 100 Continue\r\n\r\n" + Reply("HTTP/1.1 200 OK", "{}")));
  auto client = this->Make();
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().body, "{}");
}

TYPED_TEST(HttpClientContractTest, ReusesOneConnectionForConsecutiveRequests) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")));
  auto client = this->Make();
  for (int i = 0; i < 3; ++i) {
    HttpResult result = this->Get(*client, server.Url());
    ASSERT_TRUE(result.ok()) << i << ": " << result.error().detail;
    EXPECT_EQ(result.response().body, "{}");
  }
  EXPECT_EQ(server.accepted(), 1);
}

TYPED_TEST(HttpClientContractTest, ReconnectsAfterTheServerClosedTheIdleConnection) {
  // Connection 0 answers once and closes without a "Connection: close".
  LoopbackServer server([](ServerConnection& c, int index) {
    for (int n = 0; !c.ReadRequest().empty(); ++n) {
      c.Write(Reply("HTTP/1.1 200 OK", "{\"n\":" + std::to_string(index) + "}"));
      if (index == 0) return;
    }
  });
  auto client = this->Make();
  HttpResult first = this->Get(*client, server.Url());
  ASSERT_TRUE(first.ok()) << first.error().detail;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the close arrive
  HttpResult second = this->Get(*client, server.Url());
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_EQ(second.response().body, "{\"n\":1}");
  EXPECT_EQ(server.accepted(), 2);
}

TYPED_TEST(HttpClientContractTest, RetriesOnceWhenAReusedConnectionDiesBeforeTheReply) {
  // Connection 0 answers the first request, then reads the second and
  // closes without a reply: the race of a server's keep-alive timeout.
  LoopbackServer server([](ServerConnection& c, int index) {
    c.ReadRequest();
    c.Write(Reply("HTTP/1.1 200 OK", "{\"n\":" + std::to_string(index) + "}"));
    if (index == 0) {
      c.ReadRequest();
      return;
    }
    c.WaitForClose();
  });
  auto client = this->Make();
  ASSERT_TRUE(this->Get(*client, server.Url()).ok());
  HttpResult second = this->Get(*client, server.Url());
  ASSERT_TRUE(second.ok()) << second.error().detail;
  EXPECT_EQ(second.response().body, "{\"n\":1}");
  EXPECT_EQ(server.accepted(), 2);
}

TYPED_TEST(HttpClientContractTest, ConnectionCloseIsHonoured) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}", "Connection: close\r\n")));
  auto client = this->Make();
  for (int i = 0; i < 2; ++i) {
    HttpResult result = this->Get(*client, server.Url());
    ASSERT_TRUE(result.ok()) << i << ": " << result.error().detail;
  }
  EXPECT_EQ(server.accepted(), 2);
}

TYPED_TEST(HttpClientContractTest, Http10ReplyIsNotKeptAlive) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.0 200 OK", "{}")));
  auto client = this->Make();
  for (int i = 0; i < 2; ++i) {
    HttpResult result = this->Get(*client, server.Url());
    ASSERT_TRUE(result.ok()) << i << ": " << result.error().detail;
  }
  EXPECT_EQ(server.accepted(), 2);
}

TYPED_TEST(HttpClientContractTest, VerifiesCertificateWithCaFile) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")), Certificate("good"));
  auto client = this->Make(TrustTestCa());
  for (int i = 0; i < 2; ++i) {
    HttpResult result = this->Get(*client, server.Url());
    ASSERT_TRUE(result.ok()) << i << ": " << result.error().detail;
    EXPECT_EQ(result.response().body, "{}");
  }
  EXPECT_EQ(server.accepted(), 1);  // keep-alive over TLS too
}

TYPED_TEST(HttpClientContractTest, VerifiesHostNameAgainstTheCertificate) {
  // "localhost" is in good.pem's subjectAltName; it resolves locally.
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")), Certificate("good"));
  auto client = this->Make(TrustTestCa());
  HttpResult result =
      this->Get(*client, "https://localhost:" + std::to_string(server.port()) + "/x");
  // localhost may resolve to ::1 first; the server listens on 127.0.0.1 only.
  ASSERT_TRUE(result.ok()) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, UntrustedCertificateFailsVerification) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")), Certificate("good"));
  auto client = this->Make();  // the system store does not know the test CA
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTlsVerify) << result.error().detail;
  EXPECT_EQ(result.error().detail.rfind("SSL certificate problem: ", 0), 0u)
      << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, HostNameMismatchFailsVerification) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")), Certificate("wrong"));
  auto client = this->Make(TrustTestCa());
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTlsVerify) << result.error().detail;
  EXPECT_NE(result.error().detail.find("127.0.0.1"), std::string::npos) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, InsecureSkipsVerification) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")), Certificate("wrong"));
  auto client = this->Make(Insecure());
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().body, "{}");
}

TYPED_TEST(HttpClientContractTest, UnusableCaFileIsClassified) {
  LoopbackServer server(AlwaysReply(Reply("HTTP/1.1 200 OK", "{}")), Certificate("good"));
  for (std::string file : {"missing.pem", "README"}) {  // absent; no certificate in it
    auto client = this->Make(CaFile(std::string(kTestData) + file));
    HttpResult result = this->Get(*client, server.Url());
    ASSERT_FALSE(result.ok()) << file;
    EXPECT_EQ(result.error().kind, TransportErrorKind::kCaFile)
        << file << ": " << result.error().detail;
  }
}

TYPED_TEST(HttpClientContractTest, TlsToAPlainHttpServerFailsTheHandshake) {
  // Like a web server seeing a ClientHello: an HTTP error, then close.
  LoopbackServer server([](ServerConnection& c, int) {
    c.Write(Reply("HTTP/1.1 400 Bad Request", "{}", "Connection: close\r\n"));
  });
  auto client = this->Make();
  HttpResult result =
      this->Get(*client, "https://127.0.0.1:" + std::to_string(server.port()) + "/x");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTlsHandshake) << result.error().detail;
  EXPECT_FALSE(result.error().detail.empty());
}

TYPED_TEST(HttpClientContractTest, TlsServerThatHangsUpFailsTheHandshake) {
  LoopbackSocket listener = Bind(/*listen_too=*/true);
  std::thread hang_up([&] { UniqueFd conn(::accept(listener.fd.get(), nullptr, nullptr)); });
  auto client = this->Make();
  HttpResult result =
      this->Get(*client, "https://127.0.0.1:" + std::to_string(listener.port) + "/x");
  hang_up.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTlsHandshake) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, SilentTlsServerTimesOutInTheHandshake) {
  LoopbackSocket silent = Bind(/*listen_too=*/true);
  auto client = this->Make(Insecure());
  HttpResult result = this->Get(*client, "https://127.0.0.1:" + std::to_string(silent.port) + "/x",
                                std::chrono::milliseconds(300));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTimeout) << result.error().detail;
}

TYPED_TEST(HttpClientContractTest, ChunkedBodyOverTls) {
  LoopbackServer server(AlwaysReply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "2\r\n{}\r\n0\r\n\r\n"),
                        Certificate("good"));
  auto client = this->Make(TrustTestCa());
  HttpResult result = this->Get(*client, server.Url());
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(result.response().body, "{}");
}

}  // namespace
}  // namespace automon::probe
