// SPDX-License-Identifier: GPL-2.0-or-later
// check_mailflow's configuration, measurements and their pure evaluation
// (see check_mailflow(1)).
//
// A mail flow is identified by its mailflowid. `send` (the smtp service's
// check) mails a token through the SMTP server, `receive` (the imap or pop3
// service's check) collects and deletes the flow's token mails, and `age`
// (the mailflow service's check) is CRITICAL while a token older than
// --seconds has not been collected.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_MAILFLOW_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_MAILFLOW_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probes/check_mailflow/mail_client.h"
#include "probes/check_mailflow/token_state.h"
#include "probes/lib/check_result.h"
#include "probes/lib/standard_options.h"

namespace automon::mailflow {

enum class Mode { kSend, kReceive, kAge };
enum class Protocol { kSmtp, kImap, kPop3 };
enum class TlsMode {
  kNone,      // plain text
  kStartTls,  // plain connect, then STARTTLS (required: fails if not offered)
  kImplicit,  // TLS from the first byte (smtps, imaps, pop3s)
};

inline constexpr char kDefaultStateRoot[] = "/var/lib/automon/mailflow";

struct Server {
  Protocol protocol = Protocol::kSmtp;
  std::string host;  // name or IP address to connect to
  int port = 0;      // 0: DefaultPort(protocol, tls)
  TlsMode tls = TlsMode::kNone;
  std::string tls_hostname;  // name sent as SNI and verified; "" = host
  std::string ca_file;       // trust these CAs instead of the system's
  bool insecure = false;     // do not verify the certificate
  std::string username;      // "" = no login (SMTP only)
  std::string password;      // never printed

  bool operator==(const Server&) const = default;
};

// 25/465 (smtp), 143/993 (imap), 110/995 (pop3).
int DefaultPort(Protocol protocol, TlsMode tls);
// The port to use: server.port, or the default.
int PortOf(const Server& server);
// "SMTP", "IMAP", "POP3".
std::string ProtocolName(Protocol protocol);

struct Config {
  Mode mode = Mode::kAge;
  std::string flow_id;
  std::string state_dir;            // default kDefaultStateRoot/flow_id
  Server server;                    // send and receive
  std::string to;                   // send: the recipient
  std::string from;                 // send: envelope and From (default: to)
  std::string helo;                 // send: EHLO name ("" = this host's name)
  std::string mailbox = "INBOX";    // receive over IMAP
  std::optional<int> expire_days;   // send, receive: -D
  std::chrono::seconds max_age{0};  // age: --seconds
  probe::Timeout timeout;
  int verbosity = 0;

  bool operator==(const Config&) const = default;
};

// What one `send` did.
struct SendMeasurement {
  std::string token;
  SendReport report;
  double seconds = 0;    // the SMTP dialogue's duration
  int64_t now = 0;       // Unix seconds, when it finished
  bool recorded = true;  // false when the state was full (kMaxTokens)
};

// What one `receive` did.
struct ReceiveMeasurement {
  TlsInfo tls;
  size_t collected = 0;                     // this flow's token mails deleted
  size_t unknown = 0;                       // of which with a token not in the state
  std::optional<int64_t> delivery_seconds;  // the longest (now - sent_at) of known ones
  size_t outstanding = 0;                   // tokens still outstanding afterwards
  double seconds = 0;
  int64_t now = 0;
};

// The smtp service's result: OK with the greeting, TLS and certificate
// facts; WARNING when the certificate ends within --expire-days days;
// CRITICAL when it has ended (WARNING with --insecure, which accepts invalid
// certificates); WARNING when the state was full and the token not recorded.
probe::CheckResult EvaluateSend(const Config& config, const SendMeasurement& m);

// The mailbox service's result: OK with the count collected, WARNING or
// CRITICAL for the certificate as EvaluateSend.
probe::CheckResult EvaluateReceive(const Config& config, const ReceiveMeasurement& m);

// The mailflow service's result at `now` (Unix seconds): CRITICAL when the
// oldest outstanding token is older than config.max_age, OK otherwise;
// UNKNOWN when the flow has never sent a token (its smtp check is not
// running). Perfdata: age (seconds, of the oldest outstanding token, 0 when
// none) and outstanding (count).
probe::CheckResult EvaluateAge(const Config& config, const TokenState& state, int64_t now);

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_MAILFLOW_H_
