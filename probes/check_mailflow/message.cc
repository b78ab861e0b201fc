// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/message.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <ctime>

#include "probes/check_mailflow/token_state.h"

namespace automon::mailflow {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  size_t start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t");
  return text.substr(start, end - start + 1);
}

// "flow=ID; token=TOKEN", nothing else.
std::optional<Marker> ParseMarkerValue(std::string_view value) {
  value = Trim(value);
  if (!value.starts_with("flow=")) return std::nullopt;
  size_t semicolon = value.find(';');
  if (semicolon == std::string_view::npos) return std::nullopt;
  std::string_view flow = value.substr(5, semicolon - 5);
  std::string_view rest = Trim(value.substr(semicolon + 1));
  if (!rest.starts_with("token=")) return std::nullopt;
  std::string_view token = Trim(rest.substr(6));
  if (!ValidFlowId(flow) || !ValidToken(token)) return std::nullopt;
  return Marker{std::string(flow), std::string(token)};
}

}  // namespace

bool ValidFlowId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  // Like monitoring-info(5)'s identifiers: the first is a letter or digit,
  // so "." and ".." cannot name a state directory's parent.
  if (!std::isalnum(static_cast<unsigned char>(id.front()))) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string TokenFromBytes(std::span<const unsigned char, 16> bytes) {
  std::string token;
  token.reserve(32);
  for (unsigned char b : bytes) token += fmt::format("{:02x}", b);
  return token;
}

Result<std::string> NewToken() {
  unsigned char bytes[16];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError("getrandom", errno, "16 bytes");
    }
    filled += static_cast<size_t>(n);
  }
  return TokenFromBytes(bytes);
}

std::string FormatMailDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string BuildMessage(const MessageFields& f) {
  std::string out;
  out += fmt::format("Date: {}\r\n", FormatMailDate(f.sent_at));
  out += fmt::format("From: <{}>\r\n", f.from);
  out += fmt::format("To: <{}>\r\n", f.to);
  out += fmt::format("Subject: automon mail flow {} token {}\r\n", f.flow_id, f.token);
  out += fmt::format("Message-ID: <{}.{}@{}>\r\n", f.token, f.flow_id, f.host);
  out += fmt::format("{}: flow={}; token={}\r\n", kMarkerHeader, f.flow_id, f.token);
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += "This mail measures mail delivery for the monitoring system (automon\r\n";
  out += "check_mailflow). The mailbox check collects and deletes it; it needs\r\n";
  out += "no action.\r\n";
  return out;
}

std::string SearchKey(std::string_view flow_id) { return fmt::format("flow={};", flow_id); }

std::optional<Marker> FindMarker(std::string_view headers) {
  // Unfold while walking the lines: a line starting with space or tab
  // continues the previous header.
  std::string current;
  auto check = [&]() -> std::optional<Marker> {
    size_t colon = current.find(':');
    if (colon == std::string::npos) return std::nullopt;
    if (!EqualsIgnoreCase(Trim(std::string_view(current).substr(0, colon)), kMarkerHeader)) {
      return std::nullopt;
    }
    return ParseMarkerValue(std::string_view(current).substr(colon + 1));
  };
  while (!headers.empty()) {
    size_t end = headers.find('\n');
    std::string_view line = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      current += ' ';
      current += Trim(line);
      continue;
    }
    if (std::optional<Marker> marker = check()) return marker;
    current.assign(line);
    if (line.empty()) return std::nullopt;  // end of the header block
  }
  return check();
}

}  // namespace automon::mailflow
