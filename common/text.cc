#include "common/text.h"

namespace automon {

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
  std::string line(text);
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = replacement;
  }
  return line;
}

}  // namespace automon
