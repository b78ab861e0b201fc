// SPDX-License-Identifier: GPL-2.0-or-later
// libcurl implementations of MailSender (SMTP) and Mailbox (IMAP, POP3).
// The only check_mailflow file that includes <curl/curl.h>.
//
// Each object owns one easy handle, so all requests of a session reuse one
// connection (and, for POP3, one session: its DELEs take effect at the QUIT
// libcurl sends when the handle is destroyed). Credentials go to libcurl
// only through CURLOPT_USERNAME/PASSWORD, never into a URL. libcurl's trace
// goes to a callback that keeps only the lines the server sent (for error
// messages); the lines sent, which hold the login, are dropped unseen.
// Not thread-safe.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_CURL_MAIL_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_CURL_MAIL_H_

#include <memory>
#include <string>

#include "common/result.h"
#include "probes/check_mailflow/mail_client.h"
#include "probes/check_mailflow/mailflow.h"
#include "probes/lib/curl_http_client.h"

namespace automon::mailflow {

// The state of a libcurl failure (CURLcode) for a mail probe, and the
// message: connection, TLS, login and protocol failures are CRITICAL; a
// --ca-file libcurl cannot use and internal errors are UNKNOWN. `detail` is
// curl's error buffer, `reply` the server's last reply line ("" if none).
probe::ProbeError ClassifyCurlError(int code, long os_errno, const Server& server,
                                    const std::string& detail, const std::string& reply);

class CurlSmtpSender final : public MailSender {
 public:
  // `server` and `helo` are copied. Fails when libcurl cannot make a handle.
  static Result<std::unique_ptr<CurlSmtpSender>> Create(const probe::CurlGlobal& global,
                                                        Server server, std::string helo);

  probe::Outcome<SendReport> Send(std::string_view from, std::string_view to,
                                  std::string_view message, probe::Deadline deadline) override;

 private:
  CurlSmtpSender(probe::CurlEasy easy, Server server, std::string helo)
      : easy_(std::move(easy)), server_(std::move(server)), helo_(std::move(helo)) {}

  probe::CurlEasy easy_;
  Server server_;
  std::string helo_;
};

class CurlMailbox final : public Mailbox {
 public:
  // server.protocol is kImap or kPop3; `mailbox` is the IMAP folder.
  static Result<std::unique_ptr<CurlMailbox>> Create(const probe::CurlGlobal& global, Server server,
                                                     std::string mailbox);

  probe::Outcome<std::vector<MessageId>> Candidates(std::string_view flow_id,
                                                    probe::Deadline deadline) override;
  probe::Outcome<std::string> Headers(MessageId id, probe::Deadline deadline) override;
  probe::Outcome<bool> Delete(const std::vector<MessageId>& ids, probe::Deadline deadline) override;
  TlsInfo Tls() const override { return tls_; }

 private:
  CurlMailbox(probe::CurlEasy easy, Server server, std::string mailbox)
      : easy_(std::move(easy)), server_(std::move(server)), mailbox_(std::move(mailbox)) {}

  // One request: `path` after the authority, an optional custom command,
  // `nobody` for commands without a multi-line reply. Returns the body.
  probe::Outcome<std::string> Request(const std::string& path, const std::string& command,
                                      bool nobody, probe::Deadline deadline);

  probe::CurlEasy easy_;
  Server server_;
  std::string mailbox_;
  TlsInfo tls_;
};

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_CURL_MAIL_H_
