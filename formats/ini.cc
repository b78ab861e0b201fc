// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/ini.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace automon::formats {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Offset of the first byte that is not valid UTF-8 or is a forbidden
// control byte, or npos; `what` says which.
size_t FindBadByte(std::string_view s, std::string* what) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      *what = c == 0 ? "a NUL byte" : fmt::format("control character 0x{:02x}", c);
      return i;
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      *what = "invalid UTF-8";
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// Strips an inline comment: ';' preceded by a blank.
std::string_view StripInlineComment(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ';' && IsBlank(s[i - 1])) return s.substr(0, i);
  }
  return s;
}

}  // namespace

bool IsSecretLine(std::string_view line) {
  const size_t equals = line.find('=');
  return equals != std::string_view::npos && Trim(line.substr(0, equals)) == "password";
}

std::vector<IniSection> LexIni(std::string_view text, std::string_view filename,
                               std::vector<Diagnostic>& diagnostics) {
  std::vector<IniSection> sections;
  const std::string file(filename);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    auto error = [&](size_t offset, std::string message) {
      // A line holding a password is never shown, even in an error about it.
      std::string shown = IsSecretLine(raw) ? std::string() : std::string(raw);
      const int column = shown.empty() ? 0 : static_cast<int>(offset) + 1;
      diagnostics.push_back(
          {Severity::kError, {file, line_number, column}, std::move(message), std::move(shown)});
      if (!sections.empty()) sections.back().broken = true;
    };
    // A header that cannot be read still ends the previous section.
    auto broken_header = [&](size_t offset, std::string message) {
      sections.push_back({std::string(raw),
                          {file, line_number, static_cast<int>(offset) + 1},
                          std::string(raw),
                          {},
                          true});
      error(offset, std::move(message));
    };
    // A bad line that starts like a header is taken for one: the lines
    // under it must not join (and break) the section before it.
    const bool header_like = !Trim(raw).empty() && Trim(raw).front() == '[';

    if (raw.size() > kMaxLineBytes) {
      if (header_like) sections.push_back({"", {file, line_number, 1}, "", {}, true});
      diagnostics.push_back(
          {Severity::kError,
           {file, line_number, 0},
           fmt::format("line is {} bytes long; the limit is {}", raw.size(), kMaxLineBytes),
           ""});
      if (!sections.empty()) sections.back().broken = true;
      continue;
    }
    std::string what;
    if (size_t bad = FindBadByte(raw, &what); bad != std::string_view::npos) {
      if (header_like) {
        broken_header(bad, fmt::format("line contains {}", what));
      } else {
        error(bad, fmt::format("line contains {}", what));
      }
      continue;
    }

    const std::string_view content = Trim(raw);
    if (content.empty() || content.front() == '#' || content.front() == ';') continue;
    const size_t start = static_cast<size_t>(content.data() - raw.data());

    if (content.front() == '[') {
      const size_t close = content.find(']');
      if (close == std::string_view::npos) {
        broken_header(start, "section header is missing its closing ']'");
        continue;
      }
      const std::string_view rest = Trim(content.substr(close + 1));
      if (!rest.empty() && rest.front() != ';' && rest.front() != '#') {
        broken_header(start + close + 1 + (rest.data() - content.substr(close + 1).data()),
                      fmt::format("unexpected text '{}' after section header", rest));
        continue;
      }
      const std::string_view name = Trim(content.substr(1, close - 1));
      if (name.empty()) {
        broken_header(start, "empty section name");
        continue;
      }
      sections.push_back({std::string(name),
                          {file, line_number, static_cast<int>(start) + 1},
                          std::string(raw),
                          {}});
      continue;
    }

    const size_t equals = content.find('=');
    if (equals == std::string_view::npos) {
      error(start,
            fmt::format("expected 'key = value', '[section]' or a comment, not '{}'", content));
      continue;
    }
    const std::string_view key = Trim(content.substr(0, equals));
    if (key.empty()) {
      error(start, "missing key before '='");
      continue;
    }
    std::string_view after = content.substr(equals + 1);
    std::string_view value = Trim(StripInlineComment(after));
    // A value that was only a comment (" = ; x") leaves no blanks to trim to.
    size_t value_offset = static_cast<size_t>(after.data() - raw.data());
    while (value_offset < raw.size() && IsBlank(raw[value_offset])) ++value_offset;
    if (!value.empty()) value_offset = static_cast<size_t>(value.data() - raw.data());
    if (sections.empty()) {
      error(start, fmt::format("key '{}' is outside of any [section]", key));
      continue;
    }
    if (sections.back().broken) continue;  // already reported
    sections.back().entries.push_back({std::string(key),
                                       std::string(value),
                                       {file, line_number, static_cast<int>(start) + 1},
                                       {file, line_number, static_cast<int>(value_offset) + 1},
                                       std::string(raw)});
  }
  return sections;
}

}  // namespace automon::formats
