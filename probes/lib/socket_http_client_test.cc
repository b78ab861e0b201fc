// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/socket_http_client.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <string>
#include <thread>

#include "probes/lib/testing/loopback_server.h"

// What only SocketHttpClient has: the contract both HttpClient
// implementations share is tested in http_client_test.cc.

namespace automon::probe {
namespace {

using testing::LoopbackServer;
using testing::Reply;
using testing::ServerConnection;

constexpr std::chrono::seconds kTimeout(5);

TEST(ResolveLocationTest, ResolvesEveryFormServersSend) {
  struct Case {
    const char* base;
    const char* location;
    const char* want;
  } cases[] = {
      {"http://h:8080/a/b?q=1", "https://other/x", "https://other/x"},
      {"http://h:8080/a/b?q=1", "HTTPS://other", "HTTPS://other"},
      {"https://h/a/b", "//cdn.example/x", "https://cdn.example/x"},
      {"http://h:8080/a/b?q=1", "/guacamole/", "http://h:8080/guacamole/"},
      {"http://h:8080/a/b?q=1", "c", "http://h:8080/a/c"},
      {"http://h:8080/a/b/", "c?d=e", "http://h:8080/a/b/c?d=e"},
      {"http://h:8080", "c", "http://h:8080/c"},
      {"http://h:8080/a/b?q=1", "?x=2", "http://h:8080/a/b?x=2"},
      {"http://h/a/b#f", "#g", "http://h/a/b#g"},
      {"http://h/a/b", "../up", "http://h/a/../up"},  // dot segments kept, as documented
      {"http://h/a/b", "", "http://h/a/b"},
      {"http://[::1]:8080/a", "/b", "http://[::1]:8080/b"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ResolveLocation(c.base, c.location), c.want) << c.base << " + " << c.location;
  }
}

TEST(SocketHttpClientTest, MalformedUrlsAreRejectedBeforeConnecting) {
  SocketHttpClient client({});
  for (const char* url :
       {"127.0.0.1/x", "ftp://127.0.0.1/x", "http://127.0.0.1:0/x", "http://127.0.0.1:99999/x",
        "http://127.0.0.1:8a/x", "http:///x", "http://u:p@127.0.0.1/x", "http://127.0.0.1/a b",
        "http://[::1/x", "http://[nope]/x"}) {
    HttpResult result = client.Send({"GET", url, {}, "", kTimeout});
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << url;
    EXPECT_FALSE(result.error().detail.empty()) << url;
  }
  EXPECT_EQ(client.connections_opened(), 0);
}

TEST(SocketHttpClientTest, HeaderWithALineBreakIsRefused) {
  LoopbackServer server([](ServerConnection& c, int) { c.WaitForClose(); });
  SocketHttpClient client({});
  HttpResult result = client.Send({"GET", server.Url(), {"X-A: 1\r\nX-Injected: 2"}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther);
  result = client.Send({"GET", server.Url(), {"no colon"}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  result = client.Send({"GE T", server.Url(), {}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(client.connections_opened(), 0);
}

TEST(SocketHttpClientTest, SendsHostUserAgentAndDefaultPortlessHost) {
  std::string received;
  LoopbackServer server([&](ServerConnection& c, int) {
    received = c.ReadRequest();
    c.Write(Reply("HTTP/1.1 200 OK", "{}"));
    c.WaitForClose();
  });
  SocketHttpOptions options;
  options.user_agent = "check_test/1";
  SocketHttpClient client(options);
  HttpResult result = client.Send({"GET", server.Url("?q=1#frag"), {}, "", kTimeout});
  ASSERT_TRUE(result.ok()) << result.error().detail;
  EXPECT_EQ(received, "GET /?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                          "\r\nUser-Agent: check_test/1\r\nAccept: */*\r\n\r\n");
}

TEST(SocketHttpClientTest, CountsConnectionsAcrossHostsAndReuse) {
  LoopbackServer a([](ServerConnection& c, int) {
    while (!c.ReadRequest().empty()) c.Write(Reply("HTTP/1.1 200 OK", "a"));
  });
  LoopbackServer b([](ServerConnection& c, int) {
    while (!c.ReadRequest().empty()) c.Write(Reply("HTTP/1.1 200 OK", "b"));
  });
  SocketHttpClient client({});
  for (const LoopbackServer* server : {&a, &a, &b, &b, &a}) {
    HttpResult result = client.Send({"GET", server->Url(), {}, "", kTimeout});
    ASSERT_TRUE(result.ok()) << result.error().detail;
    EXPECT_EQ(result.response().body, server == &a ? "a" : "b");
  }
  // One connection at a time: a, then b, then a again.
  EXPECT_EQ(client.connections_opened(), 3);
  EXPECT_EQ(a.accepted(), 2);
  EXPECT_EQ(b.accepted(), 1);
}

TEST(SocketHttpClientTest, ExcessBytesAfterAReplyDropTheConnection) {
  LoopbackServer server([](ServerConnection& c, int) {
    while (!c.ReadRequest().empty()) c.Write(Reply("HTTP/1.1 200 OK", "{}") + "junk");
  });
  SocketHttpClient client({});
  for (int i = 0; i < 2; ++i) {
    HttpResult result = client.Send({"GET", server.Url(), {}, "", kTimeout});
    ASSERT_TRUE(result.ok()) << result.error().detail;
    EXPECT_EQ(result.response().body, "{}");
  }
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST(SocketHttpClientTest, ConflictingContentLengthsAreAnError) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x");
  });
  SocketHttpClient client({});
  HttpResult result = client.Send({"GET", server.Url(), {}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther);
  EXPECT_EQ(result.error().detail, "Invalid Content-Length: value in reply");
}

TEST(SocketHttpClientTest, HugeHeadersAreAnError) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nX-Big: " + std::string(200 * 1024, 'x'));
    c.WaitForClose();
  });
  SocketHttpClient client({});
  HttpResult result = client.Send({"GET", server.Url(), {}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << result.error().detail;
}

TEST(SocketHttpClientTest, TheWholeRequestSharesOneTimeout) {
  // Each part arrives well within the timeout, the whole reply does not.
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!c.Write("x")) return;
    }
  });
  SocketHttpClient client({});
  auto start = std::chrono::steady_clock::now();
  HttpResult result = client.Send({"GET", server.Url(), {}, "", std::chrono::milliseconds(350)});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kTimeout) << result.error().detail;
  EXPECT_EQ(result.error().detail, "Operation timed out after 350 milliseconds");
  EXPECT_LT(took, std::chrono::milliseconds(900));
}

TEST(SocketHttpClientTest, TlsDetailsFollowLibcurlWording) {
  LoopbackServer wrong(
      [](ServerConnection& c, int) { c.WaitForClose(); },
      LoopbackServer::Tls{"probes/lib/testdata/wrong.pem", "probes/lib/testdata/wrong.key"});
  SocketHttpOptions options;
  options.ca_file = "probes/lib/testdata/ca.pem";
  SocketHttpClient client(options);
  HttpResult result = client.Send({"GET", wrong.Url(), {}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().detail,
            "SSL: no alternative certificate subject name matches target host name "
            "'127.0.0.1'");
  SocketHttpClient untrusting({});
  result = untrusting.Send({"GET", wrong.Url(), {}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().detail,
            "SSL certificate problem: unable to get local issuer certificate");
  options.ca_file = "probes/lib/testdata/missing.pem";
  SocketHttpClient missing(options);
  result = missing.Send({"GET", wrong.Url(), {}, "", kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().detail,
            "error setting certificate file: probes/lib/testdata/missing.pem");
}

TEST(SocketHttpClientTest, SystemTrustStoreFollowsSslCertFile) {
  // check_guacamole(1) documents OpenSSL's variables; without them the
  // test CA is unknown (UntrustedCertificateFailsVerification).
  LoopbackServer server(
      [](ServerConnection& c, int) {
        c.ReadRequest();
        c.Write(Reply("HTTP/1.1 200 OK", "{}"));
        c.WaitForClose();
      },
      LoopbackServer::Tls{"probes/lib/testdata/good.pem", "probes/lib/testdata/good.key"});
  ASSERT_EQ(::setenv("SSL_CERT_FILE", "probes/lib/testdata/ca.pem", 1), 0);
  SocketHttpClient client({});
  HttpResult result = client.Send({"GET", server.Url(), {}, "", kTimeout});
  ::unsetenv("SSL_CERT_FILE");
  ASSERT_TRUE(result.ok()) << result.error().detail;
}

TEST(SocketHttpClientTest, BadCaFileDoesNotMatterForPlainHttp) {
  LoopbackServer server([](ServerConnection& c, int) {
    c.ReadRequest();
    c.Write(Reply("HTTP/1.1 200 OK", "{}"));
    c.WaitForClose();
  });
  SocketHttpOptions options;
  options.ca_file = "probes/lib/testdata/missing.pem";
  SocketHttpClient client(options);
  HttpResult result = client.Send({"GET", server.Url(), {}, "", kTimeout});
  ASSERT_TRUE(result.ok()) << result.error().detail;
}

TEST(SocketHttpClientTest, ServerClosingDuringALargeTlsUploadIsAnErrorNotSigpipe) {
  // OpenSSL writes with write(2), which raises SIGPIPE on a closed socket;
  // the default action would kill this test binary.
  LoopbackServer server(
      [](ServerConnection&, int) {},  // handshake, then close
      LoopbackServer::Tls{"probes/lib/testdata/good.pem", "probes/lib/testdata/good.key"});
  SocketHttpOptions options;
  options.ca_file = "probes/lib/testdata/ca.pem";
  SocketHttpClient client(options);
  HttpResult result = client.Send({"POST", server.Url(), {}, std::string(8 << 20, 'x'), kTimeout});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TransportErrorKind::kOther) << result.error().detail;
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "a SIGPIPE was left pending";
  sigset_t mask;
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, nullptr, &mask), 0);
  EXPECT_EQ(sigismember(&mask, SIGPIPE), 0) << "SIGPIPE was left blocked";
}

}  // namespace
}  // namespace automon::probe
