// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/command_line.h"

#include <fmt/format.h>

#include "common/text.h"

namespace automon::formats {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
}

// Characters a shell would treat specially when unquoted; we refuse them
// rather than silently pass them on literally.
bool IsShellSpecial(char c) {
  return std::string_view("|&;<>()$`*?[]{}").find(c) != std::string_view::npos;
}

}  // namespace

Result<std::vector<std::string>> SplitCommandLine(std::string_view text) {
  if (text.size() > kMaxCommandBytes) {
    return Error{
        fmt::format("command line of {} bytes; at most {} bytes", text.size(), kMaxCommandBytes)};
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if ((u < 0x20 && text[i] != '\t') || u == 0x7f) {
      return Error{
          fmt::format("control character 0x{:02x} at offset {} of the command line", u, i)};
    }
  }
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  auto finish = [&]() {
    if (in_word) words.push_back(std::move(word));
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsBlank(c)) {
      finish();
      continue;
    }
    if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return Error{fmt::format("unterminated single quote at offset {} of the command line", i)};
      }
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close;
      continue;
    }
    if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        // Inside double quotes a backslash escapes only $ ` " and itself.
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("$`\"\\").find(text[j + 1]) != std::string_view::npos) {
          word += text[++j];
          continue;
        }
        if (text[j] == '$' || text[j] == '`') {
          return Error{fmt::format(
              "'{}' inside double quotes at offset {} of the command line: commands are not run "
              "through a shell, so nothing is expanded; use single quotes or \\{}",
              text[j], j, text[j])};
        }
        word += text[j];
      }
      if (j >= text.size()) {
        return Error{fmt::format("unterminated double quote at offset {} of the command line", i)};
      }
      in_word = true;
      i = j;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        return Error{"backslash at the end of the command line: nothing to escape"};
      }
      word += text[++i];
      in_word = true;
      continue;
    }
    if (IsShellSpecial(c) || (c == '~' && !in_word) || (c == '#' && !in_word)) {
      return Error{fmt::format(
          "unquoted '{}' at offset {} of the command line: commands are not run through a shell "
          "(no pipes, redirections, variables or globs); quote it ('{}') to pass it literally",
          c, i, c)};
    }
    word += c;
    in_word = true;
  }
  finish();
  if (words.empty()) return Error{"empty command line"};
  if (words.size() > kMaxCommandWords) {
    return Error{
        fmt::format("command line of {} words; at most {}", words.size(), kMaxCommandWords)};
  }
  return words;
}

Result<std::vector<std::string>> ParseCommandLine(std::string_view text) {
  auto words = SplitCommandLine(text);
  if (!words) return words;
  const std::string& program = words->front();
  if (program.empty() || program.front() != '/') {
    return Error{fmt::format(
        "program '{}' is not an absolute path: commands run with a fixed PATH and no shell, "
        "so name the program in full, e.g. /usr/lib/nagios/plugins/check_disk",
        Abbreviate(program))};
  }
  for (size_t start = 1; start <= program.size();) {
    size_t slash = program.find('/', start);
    if (slash == std::string::npos) slash = program.size();
    const std::string_view part = std::string_view(program).substr(start, slash - start);
    if (part == "." || part == ".." || (part.empty() && slash != program.size())) {
      return Error{fmt::format("program '{}' has an empty, '.' or '..' path component",
                               Abbreviate(program))};
    }
    if (part.empty()) {
      return Error{fmt::format("program '{}' names a directory", Abbreviate(program))};
    }
    start = slash + 1;
  }
  return words;
}

std::string QuoteWord(std::string_view word) {
  bool safe = !word.empty();
  for (char c : word) safe = safe && IsSafe(c);
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == ';') {
      out += "'\\;'";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string JoinCommandLine(std::span<const std::string> words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += QuoteWord(w);
  }
  return out;
}

}  // namespace automon::formats
