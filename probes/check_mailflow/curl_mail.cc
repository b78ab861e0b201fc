// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/curl_mail.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "probes/check_mailflow/message.h"
#include "probes/lib/http_client.h"

namespace automon::mailflow {
namespace {

constexpr size_t kMaxReplyBytes = 1 << 20;

// Everything one transfer collects; lives on the stack of the call.
struct Transfer {
  std::string body;
  bool overflow = false;
  std::string greeting;    // the first server line (SMTP 220 greeting)
  std::string last_reply;  // the last line the server sent
  std::string refusal;     // the last refusal (SMTP 4xx/5xx, IMAP NO/BAD, POP3 -ERR)
  char error[CURL_ERROR_SIZE] = {};
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (t->body.size() + bytes > kMaxReplyBytes) {
    t->overflow = true;
    return 0;
  }
  t->body.append(data, bytes);
  return bytes;
}

// A server line that refuses something: what an error message should quote
// (the QUIT or LOGOUT reply that follows it says nothing useful).
bool IsRefusal(std::string_view line) {
  if (line.size() >= 3 && (line[0] == '4' || line[0] == '5') &&
      std::isdigit(static_cast<unsigned char>(line[1])) &&
      std::isdigit(static_cast<unsigned char>(line[2]))) {
    return true;  // SMTP
  }
  if (line.starts_with("-ERR")) return true;  // POP3
  // IMAP: "TAG NO ..." or "TAG BAD ...".
  size_t space = line.find(' ');
  if (space == std::string_view::npos || line.starts_with("* ")) return false;
  std::string_view rest = line.substr(space + 1);
  return rest.starts_with("NO ") || rest.starts_with("BAD ") || rest == "NO" || rest == "BAD";
}

// libcurl's trace, used only to learn what the server said. Lines we sent
// (CURLINFO_HEADER_OUT, which include the login) are never looked at.
int Trace(CURL* /*handle*/, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, std::min<size_t>(size, 300));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::string text = probe::SanitizeLine(line);
  if (t->greeting.empty() && t->last_reply.empty()) t->greeting = text;
  if (IsRefusal(text)) t->refusal = text;
  t->last_reply = std::move(text);
  return 0;
}

struct Reader {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* r = static_cast<Reader*>(user);
  const size_t n = std::min(size * count, r->data.size() - r->pos);
  std::memcpy(buffer, r->data.data() + r->pos, n);
  r->pos += n;
  return n;
}

std::string Scheme(const Server& server) {
  const bool implicit = server.tls == TlsMode::kImplicit;
  switch (server.protocol) {
    case Protocol::kSmtp:
      return implicit ? "smtps" : "smtp";
    case Protocol::kImap:
      return implicit ? "imaps" : "imap";
    case Protocol::kPop3:
      return implicit ? "pop3s" : "pop3";
  }
  return "";
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string BaseUrl(const Server& server) {
  const std::string& name = server.tls_hostname.empty() ? server.host : server.tls_hostname;
  return fmt::format("{}://{}:{}", Scheme(server), UrlHost(name), PortOf(server));
}

std::string Where(const Server& server) {
  return fmt::format("{} server {}:{}", ProtocolName(server.protocol), server.host, PortOf(server));
}

// The options every request of a session shares. `connect_to` must outlive
// the transfer.
void SetCommon(CURL* h, const Server& server, Transfer* t, curl_slist* connect_to,
               probe::Deadline deadline) {
  const long ms = std::max<long>(1, static_cast<long>(deadline.Remaining().count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
                   server.protocol == Protocol::kSmtp   ? "smtp,smtps"
                   : server.protocol == Protocol::kImap ? "imap,imaps"
                                                        : "pop3,pop3s");
  // A probe measures the server it names, never a proxy from the
  // environment (which would also see the login).
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   server.tls == TlsMode::kStartTls ? static_cast<long>(CURLUSESSL_ALL)
                                                    : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
  if (!server.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, server.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, server.insecure ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, server.insecure ? 0L : 2L);
  curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
  if (!server.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, server.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, server.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, Trace);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, t);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  // to Trace only, see above
}

// Clears every option that may point into a request's stack frame
// (SetCommon's, and a request's recipients, reader or command), so that
// nothing the handle keeps refers to memory that is gone.
void ClearRequest(CURL* h) {
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_CONNECT_TO, nullptr);
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(h, CURLOPT_READDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, nullptr);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, nullptr);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
}

// Connecting to --host while naming --tls-hostname in the URL (SNI and
// certificate check): "NAME:PORT:HOST:PORT".
Result<probe::CurlSlist> ConnectTo(const Server& server) {
  probe::CurlSlist list;
  if (server.tls_hostname.empty() || server.tls_hostname == server.host) return list;
  const std::string entry = fmt::format("{}:{}:{}:{}", server.tls_hostname, PortOf(server),
                                        UrlHost(server.host), PortOf(server));
  curl_slist* appended = curl_slist_append(nullptr, entry.c_str());
  if (appended == nullptr) return Error{"curl_slist_append: out of memory"};
  list.reset(appended);
  return list;
}

void ReadTls(CURL* h, const Server& server, TlsInfo* tls) {
  if (server.tls == TlsMode::kNone) return;
  tls->used = true;
  curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr ||
      info->num_of_certs < 1) {
    return;  // a reused connection reports nothing; keep what we had
  }
  for (curl_slist* item = info->certinfo[0]; item != nullptr; item = item->next) {
    std::string_view field = item->data;
    constexpr std::string_view kExpire = "Expire date:";
    if (field.starts_with(kExpire)) {
      tls->not_after = ParseCertificateDate(field.substr(kExpire.size()));
    }
  }
}

probe::ProbeError Failure(CURL* h, CURLcode code, const Server& server, const Transfer& t) {
  long os_errno = 0;
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
  std::string detail = t.error[0] != '\0' ? t.error : curl_easy_strerror(code);
  if (t.overflow) detail = fmt::format("reply larger than {} bytes", kMaxReplyBytes);
  return ClassifyCurlError(code, os_errno, server, detail,
                           t.refusal.empty() ? t.last_reply : t.refusal);
}

}  // namespace

probe::ProbeError ClassifyCurlError(int code, long os_errno, const Server& server,
                                    const std::string& detail, const std::string& reply) {
  const std::string where = Where(server);
  const std::string said = reply.empty() ? "" : fmt::format(" (server said: {})", reply);
  switch (static_cast<CURLcode>(code)) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return {probe::kCritical, fmt::format("cannot resolve '{}': {}", server.host, detail)};
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) {
        return {probe::kCritical,
                fmt::format("cannot connect to the {}: connection refused", where)};
      }
      return {probe::kCritical, fmt::format("cannot connect to the {}: {}", where, detail)};
    case CURLE_OPERATION_TIMEDOUT:
      return {probe::kCritical, fmt::format("no answer from the {} in time: {}", where, detail)};
    case CURLE_LOGIN_DENIED:
      // libcurl reports a failed IMAP SELECT with this code too.
      if (detail.find("Select") != std::string::npos) {
        return {probe::kCritical,
                fmt::format("the {} cannot open the mailbox: {}{}", where, detail, said)};
      }
      return {probe::kCritical,
              fmt::format("the {} refused the login as '{}'{}", where, server.username, said)};
    case CURLE_PEER_FAILED_VERIFICATION:
      return {probe::kCritical,
              fmt::format("the TLS certificate of the {} does not verify: {} (see --ca-file, "
                          "--tls-hostname)",
                          where, detail)};
    case CURLE_SSL_CONNECT_ERROR:
      return {probe::kCritical,
              fmt::format("TLS handshake with the {} failed: {} (does --tls match the port?)",
                          where, detail)};
    case CURLE_USE_SSL_FAILED:
      return {probe::kCritical, fmt::format("the {} does not offer STARTTLS{}", where, said)};
    case CURLE_SSL_CACERT_BADFILE:
      return {probe::kUnknown,
              fmt::format("cannot use --ca-file '{}': {}", server.ca_file, detail)};
    case CURLE_WEIRD_SERVER_REPLY:
      return {probe::kCritical,
              fmt::format("unexpected reply from the {}: {}{}", where, detail, said)};
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return {probe::kCritical, fmt::format("the {} failed: {}{}", where, detail, said)};
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {probe::kUnknown, fmt::format("libcurl: {}", detail)};
    default:
      return {probe::kCritical, fmt::format("the {} failed: {}{}", where, detail, said)};
  }
}

Result<std::unique_ptr<CurlSmtpSender>> CurlSmtpSender::Create(const probe::CurlGlobal& /*g*/,
                                                               Server server, std::string helo) {
  probe::CurlEasy easy(curl_easy_init());
  if (!easy) return Error{"curl_easy_init: cannot create a libcurl handle"};
  return std::unique_ptr<CurlSmtpSender>(
      new CurlSmtpSender(std::move(easy), std::move(server), std::move(helo)));
}

probe::Outcome<SendReport> CurlSmtpSender::Send(std::string_view from, std::string_view to,
                                                std::string_view message,
                                                probe::Deadline deadline) {
  CURL* h = easy_.get();
  Transfer t;
  Result<probe::CurlSlist> connect_to = ConnectTo(server_);
  if (!connect_to) return probe::ProbeError{probe::kUnknown, connect_to.error().message};
  probe::CurlSlist recipients(curl_slist_append(nullptr, fmt::format("<{}>", to).c_str()));
  if (!recipients) return probe::ProbeError{probe::kUnknown, "curl_slist_append: out of memory"};
  SetCommon(h, server_, &t, connect_to->get(), deadline);
  // The URL path is the EHLO name; empty means this host's name.
  const std::string url = BaseUrl(server_) + "/" + probe::UrlEncode(helo_);
  const std::string mail_from = fmt::format("<{}>", from);
  Reader reader{message};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadMessage);
  curl_easy_setopt(h, CURLOPT_READDATA, &reader);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  const CURLcode code = curl_easy_perform(h);
  probe::Outcome<SendReport> result = [&]() -> probe::Outcome<SendReport> {
    if (code != CURLE_OK) return Failure(h, code, server_, t);
    SendReport report;
    report.greeting = t.greeting;
    ReadTls(h, server_, &report.tls);
    return report;
  }();
  ClearRequest(h);  // nothing on this stack may stay referenced by the handle
  return result;
}

Result<std::unique_ptr<CurlMailbox>> CurlMailbox::Create(const probe::CurlGlobal& /*global*/,
                                                         Server server, std::string mailbox) {
  AUTOMON_CHECK(server.protocol == Protocol::kImap || server.protocol == Protocol::kPop3);
  probe::CurlEasy easy(curl_easy_init());
  if (!easy) return Error{"curl_easy_init: cannot create a libcurl handle"};
  return std::unique_ptr<CurlMailbox>(
      new CurlMailbox(std::move(easy), std::move(server), std::move(mailbox)));
}

probe::Outcome<std::string> CurlMailbox::Request(const std::string& path,
                                                 const std::string& command, bool nobody,
                                                 probe::Deadline deadline) {
  CURL* h = easy_.get();
  Transfer t;
  Result<probe::CurlSlist> connect_to = ConnectTo(server_);
  if (!connect_to) return probe::ProbeError{probe::kUnknown, connect_to.error().message};
  SetCommon(h, server_, &t, connect_to->get(), deadline);
  const std::string url = BaseUrl(server_) + path;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, command.empty() ? nullptr : command.c_str());
  curl_easy_setopt(h, CURLOPT_NOBODY, nobody ? 1L : 0L);
  const CURLcode code = curl_easy_perform(h);
  probe::Outcome<std::string> result = [&]() -> probe::Outcome<std::string> {
    if (code != CURLE_OK) return Failure(h, code, server_, t);
    ReadTls(h, server_, &tls_);
    return std::move(t.body);
  }();
  ClearRequest(h);
  return result;
}

probe::Outcome<std::vector<MessageId>> CurlMailbox::Candidates(std::string_view flow_id,
                                                               probe::Deadline deadline) {
  if (server_.protocol == Protocol::kImap) {
    // Quoted search key: flow ids are letters, digits and "._-" only.
    probe::Outcome<std::string> reply =
        Request("/" + probe::UrlEncode(mailbox_),
                fmt::format("UID SEARCH HEADER {} \"{}\"", kMarkerHeader, SearchKey(flow_id)),
                false, deadline);
    if (!reply) return reply.error();
    Result<std::vector<MessageId>> ids = ParseImapSearch(reply.value());
    if (!ids) return probe::ProbeError{probe::kUnknown, ids.error().message};
    return std::move(ids).value();
  }
  probe::Outcome<std::string> reply = Request("/", "", false, deadline);  // LIST
  if (!reply) return reply.error();
  Result<std::vector<MessageId>> ids = ParsePop3List(reply.value());
  if (!ids) return probe::ProbeError{probe::kUnknown, ids.error().message};
  return std::move(ids).value();
}

probe::Outcome<std::string> CurlMailbox::Headers(MessageId id, probe::Deadline deadline) {
  if (server_.protocol == Protocol::kImap) {
    return Request(fmt::format("/{}/;UID={}/;SECTION=HEADER.FIELDS%20({})",
                               probe::UrlEncode(mailbox_), id, kMarkerHeader),
                   "", false, deadline);
  }
  return Request("/", fmt::format("TOP {} 0", id), false, deadline);
}

probe::Outcome<bool> CurlMailbox::Delete(const std::vector<MessageId>& ids,
                                         probe::Deadline deadline) {
  if (ids.empty()) return true;
  if (server_.protocol == Protocol::kImap) {
    const std::string path = "/" + probe::UrlEncode(mailbox_);
    probe::Outcome<std::string> stored = Request(
        path, fmt::format("UID STORE {} +FLAGS.SILENT (\\Deleted)", ImapSet(ids)), false, deadline);
    if (!stored) return stored.error();
    probe::Outcome<std::string> expunged = Request(path, "EXPUNGE", false, deadline);
    if (!expunged) return expunged.error();
    return true;
  }
  for (MessageId id : ids) {
    probe::Outcome<std::string> deleted = Request(fmt::format("/{}", id), "DELE", true, deadline);
    if (!deleted) return deleted.error();
  }
  return true;
}

}  // namespace automon::mailflow
