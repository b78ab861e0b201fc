// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/curl_mail.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <cerrno>

namespace automon::mailflow {
namespace {

Server Imap() {
  Server server;
  server.protocol = Protocol::kImap;
  server.host = "mail.example.org";
  server.port = 1143;
  server.username = "flow";
  server.password = "sekret-Pw";
  server.ca_file = "/etc/ssl/ca.pem";
  return server;
}

TEST(ClassifyCurlErrorTest, EachFailureHasItsStateAndAClearMessage) {
  struct Case {
    CURLcode code;
    long os_errno;
    std::string detail;
    std::string reply;
    probe::State state;
    std::string message;
  };
  const Case cases[] = {
      {CURLE_COULDNT_CONNECT, ECONNREFUSED, "Failed to connect", "", probe::kCritical,
       "cannot connect to the IMAP server mail.example.org:1143: connection refused"},
      {CURLE_COULDNT_CONNECT, EHOSTUNREACH, "No route to host", "", probe::kCritical,
       "cannot connect to the IMAP server mail.example.org:1143: No route to host"},
      {CURLE_COULDNT_RESOLVE_HOST, 0, "Could not resolve host", "", probe::kCritical,
       "cannot resolve 'mail.example.org': Could not resolve host"},
      {CURLE_LOGIN_DENIED, 0, "Login denied", "A002 NO [AUTHENTICATIONFAILED] failed.",
       probe::kCritical,
       "the IMAP server mail.example.org:1143 refused the login as 'flow' (server said: A002 "
       "NO [AUTHENTICATIONFAILED] failed.)"},
      {CURLE_LOGIN_DENIED, 0, "Select failed", "A003 NO Mailbox doesn't exist: X", probe::kCritical,
       "the IMAP server mail.example.org:1143 cannot open the mailbox: Select failed (server "
       "said: A003 NO Mailbox doesn't exist: X)"},
      {CURLE_PEER_FAILED_VERIFICATION, 0, "SSL certificate problem: self-signed certificate", "",
       probe::kCritical,
       "the TLS certificate of the IMAP server mail.example.org:1143 does not verify: SSL "
       "certificate problem: self-signed certificate (see --ca-file, --tls-hostname)"},
      {CURLE_SSL_CONNECT_ERROR, 0, "wrong version number", "", probe::kCritical,
       "TLS handshake with the IMAP server mail.example.org:1143 failed: wrong version number "
       "(does --tls match the port?)"},
      {CURLE_USE_SSL_FAILED, 0, "STARTTLS denied", "", probe::kCritical,
       "the IMAP server mail.example.org:1143 does not offer STARTTLS"},
      {CURLE_SSL_CACERT_BADFILE, 0, "error setting certificate file", "", probe::kUnknown,
       "cannot use --ca-file '/etc/ssl/ca.pem': error setting certificate file"},
      {CURLE_OPERATION_TIMEDOUT, 0, "Operation timed out after 8000 ms", "", probe::kCritical,
       "no answer from the IMAP server mail.example.org:1143 in time: Operation timed out "
       "after 8000 ms"},
      {CURLE_QUOTE_ERROR, 0, "Quote command returned error", "A005 BAD Error in IMAP command",
       probe::kCritical,
       "the IMAP server mail.example.org:1143 failed: Quote command returned error (server "
       "said: A005 BAD Error in IMAP command)"},
  };
  for (const Case& c : cases) {
    probe::ProbeError error = ClassifyCurlError(c.code, c.os_errno, Imap(), c.detail, c.reply);
    EXPECT_EQ(error.state, c.state) << c.code;
    EXPECT_EQ(error.message, c.message) << c.code;
    EXPECT_EQ(error.message.find("sekret"), std::string::npos) << c.code;
  }
}

}  // namespace
}  // namespace automon::mailflow
