// SPDX-License-Identifier: GPL-2.0-or-later
// The small mail interfaces check_mailflow's flows talk through, so `send`
// and `receive` are unit-testable with fakes (curl_mail.h has the libcurl
// implementations), plus the pure parsers of the protocol replies.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_MAIL_CLIENT_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_MAIL_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "probes/lib/check_result.h"
#include "probes/lib/deadline.h"

namespace automon::mailflow {

// What the TLS layer of a connection showed.
struct TlsInfo {
  bool used = false;
  std::optional<int64_t> not_after;  // the server certificate's end, Unix seconds

  bool operator==(const TlsInfo&) const = default;
};

struct SendReport {
  std::string greeting;  // the server's 220 line, without the code
  TlsInfo tls;

  bool operator==(const SendReport&) const = default;
};

// Sends one mail. Errors already carry their state: connection refused,
// TLS failures, rejected login or recipient are CRITICAL; local problems
// (an unusable --ca-file) UNKNOWN. Messages never contain the password.
class MailSender {
 public:
  virtual ~MailSender() = default;
  virtual probe::Outcome<SendReport> Send(std::string_view from, std::string_view to,
                                          std::string_view message, probe::Deadline deadline) = 0;
};

// One message in a mailbox: an IMAP UID or a POP3 message number.
using MessageId = uint32_t;

// A logged-in mailbox session (IMAP or POP3). The first call connects and
// logs in; the session lasts as long as the object (POP3 deletions take
// effect when it ends). Errors as for MailSender.
class Mailbox {
 public:
  virtual ~Mailbox() = default;
  // The messages that may belong to `flow_id`: IMAP searches the marker
  // header on the server; POP3 cannot search and lists (up to a limit) all.
  virtual probe::Outcome<std::vector<MessageId>> Candidates(std::string_view flow_id,
                                                            probe::Deadline deadline) = 0;
  // The header block of one message (at least the marker header).
  virtual probe::Outcome<std::string> Headers(MessageId id, probe::Deadline deadline) = 0;
  // Deletes the messages (IMAP: \Deleted and EXPUNGE; POP3: DELE).
  virtual probe::Outcome<bool> Delete(const std::vector<MessageId>& ids,
                                      probe::Deadline deadline) = 0;
  // The TLS facts of the session, once connected.
  virtual TlsInfo Tls() const = 0;
};

// The numbers of an IMAP "* SEARCH 3 7 9" reply (untagged lines; other
// lines are ignored). Errors for a SEARCH line with a non-number.
Result<std::vector<MessageId>> ParseImapSearch(std::string_view reply);

// The message numbers of a POP3 LIST reply ("1 518\r\n2 519\r\n").
Result<std::vector<MessageId>> ParsePop3List(std::string_view reply);

// "7,9,12": an IMAP sequence set of the ids.
std::string ImapSet(const std::vector<MessageId>& ids);

// The certificate end date as libcurl's OpenSSL back end reports it in
// CURLINFO_CERTINFO ("Expire date:Nov 21 15:26:42 2027 GMT"; the text after
// the colon), as Unix seconds.
std::optional<int64_t> ParseCertificateDate(std::string_view text);

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_MAIL_CLIENT_H_
