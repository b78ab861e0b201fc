// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/send_input.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "common/parse_integer.h"
#include "common/text.h"
#include "formats/results.h"

namespace automon::agent {
namespace {

std::string Quoted(std::string_view s) { return Abbreviate(OneLine(s.substr(0, 200)), 60); }

std::optional<int> Code(std::string_view s) {
  if (s.size() != 1 || s[0] < '0' || s[0] > '3') return std::nullopt;
  return s[0] - '0';
}

}  // namespace

Result<char> ParseDelimiter(std::string_view text) {
  if (text == "\\t" || text == "\t") return '\t';
  if (text.size() == 1 && text[0] != '\n' && text[0] != '\\' && text[0] != '\0') return text[0];
  return Error{
      fmt::format("invalid delimiter '{}': expected one character (or \\t)", Quoted(text))};
}

Result<SendLine> ParseSendLine(std::string_view line, char delimiter) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find('\0') != std::string_view::npos) return Error{"the line holds a NUL byte"};
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (fields.size() < 3) {
    const size_t d = line.find(delimiter, start);
    if (d == std::string_view::npos) break;
    fields.push_back(line.substr(start, d - start));
    start = d + 1;
  }
  fields.push_back(line.substr(start));  // the rest: the output
  const std::string delim = delimiter == '\t' ? "TAB" : fmt::format("'{}'", delimiter);
  if (fields.size() == 3 && Code(fields[1])) {
    return Error{fmt::format(
        "'{}' is a host result (host{}code{}output): automon-agent sends service results only "
        "(host{}service{}code{}output)",
        Quoted(line), delim, delim, delim, delim, delim)};
  }
  if (fields.size() < 4) {
    return Error{fmt::format("'{}': expected host{}service{}code{}output", Quoted(line), delim,
                             delim, delim)};
  }
  SendLine out;
  out.host = std::string(fields[0]);
  out.service = std::string(fields[1]);
  if (out.host.empty()) return Error{fmt::format("'{}': empty host name", Quoted(line))};
  if (out.service.empty()) return Error{fmt::format("'{}': empty service name", Quoted(line))};
  const auto code = Code(fields[2]);
  if (!code) {
    return Error{
        fmt::format("'{}': invalid return code '{}': expected 0 (OK), 1 (WARNING), "
                    "2 (CRITICAL) or 3 (UNKNOWN)",
                    Quoted(line), Quoted(fields[2]))};
  }
  out.code = *code;
  const std::string_view raw = fields[3];
  out.output.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == 'n' || raw[i + 1] == '\\')) {
      out.output += raw[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out.output += raw[i];
    }
  }
  if (out.output.size() > formats::kMaxResultBytes) {
    return Error{fmt::format("service '{}': output of {} bytes; at most {} bytes",
                             Quoted(out.service), out.output.size(), formats::kMaxResultBytes)};
  }
  return out;
}

}  // namespace automon::agent
