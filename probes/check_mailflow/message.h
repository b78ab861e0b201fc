// SPDX-License-Identifier: GPL-2.0-or-later
// The token mail: what `send` writes and what `receive` recognises.
//
// Each mail carries its mail flow and token in one header, whose value has
// a fixed shape so that a substring search for "flow=ID;" can only match
// that flow (mailflowid never contains ';'):
//   X-Automon-Mailflow: flow=ID; token=TOKEN
// The Subject repeats both for a person reading the mailbox.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_MESSAGE_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_MESSAGE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace automon::mailflow {

inline constexpr char kMarkerHeader[] = "X-Automon-Mailflow";

// True for a mailflowid as monitoring-info(5) allows it: 1 to 64 letters,
// digits and "._-", starting with a letter or digit.
bool ValidFlowId(std::string_view id);

// The token for 16 random bytes: 32 lower-case hex digits.
std::string TokenFromBytes(std::span<const unsigned char, 16> bytes);

// A new token from getrandom(2). Errors carry the system call.
Result<std::string> NewToken();

struct MessageFields {
  std::string flow_id;
  std::string token;
  std::string from;  // an address, without angle brackets
  std::string to;
  std::string host;     // the sender's host name, for the Message-ID
  int64_t sent_at = 0;  // Unix seconds, for the Date header
};

// The complete mail, with CRLF line ends (libcurl then dot-stuffs as SMTP
// requires), headers Date, From, To, Subject, Message-ID, the marker
// header, MIME-Version and Content-Type, and a short body saying what it is.
std::string BuildMessage(const MessageFields& fields);

// "Sat, 21 Nov 2026 15:00:00 +0000" (RFC 5322 date-time, always UTC).
std::string FormatMailDate(int64_t unix_seconds);

// The IMAP SEARCH key text selecting this flow's mails: "flow=ID;".
std::string SearchKey(std::string_view flow_id);

struct Marker {
  std::string flow_id;
  std::string token;

  bool operator==(const Marker&) const = default;
};

// Finds the marker header in a mail's header block (the text before the
// first empty line; any CRLF or LF line ends; folded lines unfolded; the
// header name in any case). Nullopt when it is absent or malformed (a flow
// id or token that is not well-formed), so a mail from elsewhere is never
// taken for a token mail.
std::optional<Marker> FindMarker(std::string_view headers);

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_MESSAGE_H_
