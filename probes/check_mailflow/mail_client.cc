// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/mail_client.h"

#include <fmt/format.h>

#include <ctime>
#include <limits>

#include "common/parse_integer.h"
#include "common/text.h"

namespace automon::mailflow {
namespace {

std::optional<MessageId> ParseId(std::string_view text) {
  const Result<MessageId> value =
      ParseInteger<MessageId>(text, 1, std::numeric_limits<MessageId>::max());
  if (!value) return std::nullopt;
  return *value;
}

template <typename F>
void ForEachLine(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    f(line);
  }
}

}  // namespace

Result<std::vector<MessageId>> ParseImapSearch(std::string_view reply) {
  std::vector<MessageId> ids;
  std::optional<Error> error;
  ForEachLine(reply, [&](std::string_view line) {
    std::vector<std::string_view> words = SplitWords(line, " ");
    if (words.size() < 2 || words[0] != "*" || words[1] != "SEARCH") return;
    for (size_t i = 2; i < words.size(); ++i) {
      std::optional<MessageId> id = ParseId(words[i]);
      if (!id) {
        if (!error)
          error = Error{fmt::format("unexpected IMAP SEARCH reply '{}'",
                                    probe::SanitizeLine(line.substr(0, 100)))};
        return;
      }
      ids.push_back(*id);
    }
  });
  if (error) return *error;
  return ids;
}

Result<std::vector<MessageId>> ParsePop3List(std::string_view reply) {
  std::vector<MessageId> ids;
  std::optional<Error> error;
  ForEachLine(reply, [&](std::string_view line) {
    if (line.empty() || error) return;
    std::vector<std::string_view> words = SplitWords(line, " ");
    std::optional<MessageId> id = words.empty() ? std::nullopt : ParseId(words[0]);
    if (!id) {
      error = Error{
          fmt::format("unexpected POP3 LIST line '{}'", probe::SanitizeLine(line.substr(0, 100)))};
      return;
    }
    ids.push_back(*id);
  });
  if (error) return *error;
  return ids;
}

std::string ImapSet(const std::vector<MessageId>& ids) {
  std::string out;
  for (MessageId id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::optional<int64_t> ParseCertificateDate(std::string_view text) {
  std::string copy(text);
  std::tm tm{};
  const char* end = ::strptime(copy.c_str(), "%b %d %H:%M:%S %Y GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(::timegm(&tm));
}

}  // namespace automon::mailflow
