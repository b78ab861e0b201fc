// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/text.h"

#include "common/utf8.h"

namespace automon {

std::string Abbreviate(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t cut = max_bytes;
  // Back to the start of a UTF-8 sequence (never into a continuation byte).
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "... (" + std::to_string(s.size()) + " bytes)";
}

std::string_view TrimSpace(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string_view> SplitWords(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = s.find_first_not_of(separators, i);
    if (start == std::string_view::npos) break;
    const size_t end = s.find_first_of(separators, start);
    words.push_back(
        s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    i = end == std::string_view::npos ? s.size() : end;
  }
  return words;
}

std::string OneLine(std::string_view text, char replacement) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7f))) {
      out += replacement;
      ++i;
    } else if (len > 1 && IsDisplayControl(Utf8Decode(text, i, len))) {
      out.append(len, replacement);
      i += len;
    } else {
      out.append(text, i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace automon
