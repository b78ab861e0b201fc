// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/checkmk_wato.h"

#include <fmt/format.h>

#include <cstdint>

namespace automon::registrar {
namespace {

constexpr size_t kMaxHostsFile = 64 << 20;
constexpr int kMaxDepth = 64;
constexpr size_t kMaxFolders = 100000;

struct Token {
  enum class Kind { kName, kString, kOp, kOther };
  Kind kind = Kind::kOther;
  std::string text;  // the name, the string's value, or the operator
  int line = 0;
};

bool IsNameChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         u >= 0x80;
}

bool IsStringPrefix(std::string_view name) {
  if (name.empty() || name.size() > 2) return false;
  for (char c : name) {
    if (std::string_view("rRuUbBfF").find(c) == std::string_view::npos) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Python's tokens, as far as a hosts.mk needs them: names, string literals
// (decoded), operators ("+=" as one), and everything else as kOther.
// Comments and line continuations are skipped.
class Lexer {
 public:
  Lexer(std::string_view text, std::string_view path) : text_(text), path_(path) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\\') {
        ++pos_;  // a '\' outside a string continues the line
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '\'' || c == '"') {
        auto s = String(false);
        if (!s) return s.error();
        tokens.push_back(std::move(*s));
      } else if (IsNameChar(c) && !(c >= '0' && c <= '9')) {
        const size_t start = pos_;
        while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
        const std::string_view name = text_.substr(start, pos_ - start);
        if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"') &&
            IsStringPrefix(name)) {
          auto s = String(name.find_first_of("rR") != std::string_view::npos);
          if (!s) return s.error();
          tokens.push_back(std::move(*s));
        } else {
          tokens.push_back({Token::Kind::kName, std::string(name), line_});
        }
      } else if (IsNameChar(c)) {  // a number
        while (pos_ < text_.size() && (IsNameChar(text_[pos_]) || text_[pos_] == '.')) ++pos_;
        tokens.push_back({Token::Kind::kOther, "", line_});
      } else if (c == '+' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '=') {
        tokens.push_back({Token::Kind::kOp, "+=", line_});
        pos_ += 2;
      } else {
        tokens.push_back({Token::Kind::kOp, std::string(1, c), line_});
        ++pos_;
      }
    }
    return tokens;
  }

 private:
  Error Fail(int line, std::string_view message) const {
    return Error{fmt::format("{}:{}: {}", path_, line, message)};
  }

  // The literal at pos_ (its opening quote).
  Result<Token> String(bool raw) {
    const int start_line = line_;
    const char quote = text_[pos_];
    const bool triple = text_.substr(pos_, 3) == std::string(3, quote);
    pos_ += triple ? 3 : 1;
    Token token{Token::Kind::kString, "", start_line};
    std::string& out = token.text;
    while (true) {
      if (pos_ >= text_.size()) return Fail(start_line, "unterminated string literal");
      const char c = text_[pos_];
      if (c == quote && (!triple || text_.substr(pos_, 3) == std::string(3, quote))) {
        pos_ += triple ? 3 : 1;
        return token;
      }
      if (c == '\n') {
        if (!triple) return Fail(start_line, "unterminated string literal");
        ++line_;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= text_.size()) return Fail(start_line, "unterminated string literal");
      const char e = text_[pos_ + 1];
      pos_ += 2;
      if (e == '\n') ++line_;
      if (raw) {
        out += '\\';
        out += e;
        continue;
      }
      switch (e) {
        case '\n':
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
        case '\'':
        case '"':
          out += e;
          break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t value = 0;
          for (size_t k = 0; k < digits; ++k) {
            const int h = pos_ + k < text_.size() ? HexValue(text_[pos_ + k]) : -1;
            if (h < 0) return Fail(line_, fmt::format("invalid \\{} escape", e));
            value = value * 16 + static_cast<uint32_t>(h);
          }
          pos_ += digits;
          if (value > 0x10ffff) return Fail(line_, "invalid \\U escape");
          AppendUtf8(out, value);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t value = static_cast<uint32_t>(e - '0');
            for (int k = 0;
                 k < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7'; ++k) {
              value = value * 8 + static_cast<uint32_t>(text_[pos_++] - '0');
            }
            AppendUtf8(out, value);
          } else {  // Python keeps an unknown escape (and \N{...}) as it is
            out += '\\';
            out += e;
          }
      }
    }
  }

  std::string_view text_;
  std::string_view path_;
  size_t pos_ = 0;
  int line_ = 1;
};

bool IsOp(const Token& t, std::string_view op) {
  return t.kind == Token::Kind::kOp && t.text == op;
}
bool IsOpening(const Token& t) { return IsOp(t, "(") || IsOp(t, "[") || IsOp(t, "{"); }
bool IsClosing(const Token& t) { return IsOp(t, ")") || IsOp(t, "]") || IsOp(t, "}"); }

// Reads the entries of the list or dict whose first token is tokens[i]
// (just after the opening bracket) up to its `close`: for each entry (each
// key of a dict) the string literal it starts with, up to the first '|'.
// Returns the index of `close`.
Result<size_t> ReadEntries(const std::vector<Token>& tokens, size_t i, std::string_view close,
                           std::string_view what, std::string_view path,
                           std::vector<std::string>& names) {
  const int open_line = i > 0 ? tokens[i - 1].line : 1;
  int depth = 0;
  bool entry_start = true;
  for (; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (depth == 0 && IsOp(t, close)) return i;
    if (depth == 0 && entry_start) {
      entry_start = false;
      if (t.kind != Token::Kind::kString) {
        return Error{
            fmt::format("{}:{}: cannot tell which host an entry of {} names: it does "
                        "not start with a string literal",
                        path, t.line, what)};
      }
      std::string value = t.text;
      while (i + 1 < tokens.size() && tokens[i + 1].kind == Token::Kind::kString) {
        value += tokens[++i].text;  // 'a' 'b' is 'ab'
      }
      names.push_back(value.substr(0, value.find('|')));
      continue;
    }
    if (IsOpening(t)) {
      ++depth;
    } else if (IsClosing(t)) {
      if (--depth < 0) {
        return Error{fmt::format("{}:{}: unbalanced '{}' in {}", path, t.line, t.text, what)};
      }
    } else if (depth == 0 && IsOp(t, ",")) {
      entry_start = true;
    }
  }
  return Error{fmt::format("{}:{}: {} is not closed", path, open_line, what)};
}

Result<void> Walk(FileSystem& fs, const std::string& dir, const std::string& folder, int depth,
                  size_t& folders, std::map<std::string, std::string>& hosts) {
  if (depth > kMaxDepth || ++folders > kMaxFolders) {
    return Error{fmt::format("{}: too many folders below (a link loop?)", dir)};
  }
  auto entries = fs.ListDirectory(dir);
  if (!entries) return entries.error();
  for (const DirectoryEntry& e : *entries) {
    const std::string path = dir + "/" + e.name;
    if (e.kind == DirectoryEntry::Kind::kDirectory) {
      const std::string sub = folder.empty() ? e.name : folder + "/" + e.name;
      if (auto r = Walk(fs, path, sub, depth + 1, folders, hosts); !r) return r;
    } else if (e.kind == DirectoryEntry::Kind::kRegular && e.name == "hosts.mk") {
      auto text = fs.ReadFile(path, kMaxHostsFile);
      if (!text) return text.error();
      auto names = ParseSetupHostsFile(*text, path);
      if (!names) return names.error();
      for (std::string& name : *names) hosts.emplace(std::move(name), folder);
    }
  }
  return {};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string CheckmkSetupDir(const Config& config) {
  std::string dir = config.checkmk_conf_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  while (!dir.empty()) {
    const size_t slash = dir.rfind('/');
    const std::string_view base = slash == std::string::npos
                                      ? std::string_view(dir)
                                      : std::string_view(dir).substr(slash + 1);
    if (base == "conf.d") return dir + "/wato";
    if (slash == std::string::npos || slash == 0) break;
    dir.resize(slash);
  }
  return fmt::format("/omd/sites/{}/etc/check_mk/conf.d/wato", config.checkmk_site);
}

Result<std::vector<std::string>> ParseSetupHostsFile(std::string_view text, std::string_view path) {
  auto lexed = Lexer(text, path).Run();
  if (!lexed) return lexed.error();
  const std::vector<Token>& tokens = *lexed;
  std::vector<std::string> names;
  auto at = [&](size_t i, std::string_view op) { return i < tokens.size() && IsOp(tokens[i], op); };
  int depth = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (IsOpening(t)) ++depth;
    if (IsClosing(t) && --depth < 0) {
      return Error{fmt::format("{}:{}: unbalanced '{}'", path, t.line, t.text)};
    }
    if (depth != 0 || t.kind != Token::Kind::kName || (i > 0 && IsOp(tokens[i - 1], "."))) {
      continue;
    }
    if (t.text == "all_hosts") {
      if (!at(i + 1, "+=") || !at(i + 2, "[")) {
        return Error{
            fmt::format("{}:{}: cannot tell which hosts this names: expected "
                        "'all_hosts += [...]'",
                        path, t.line)};
      }
      auto end = ReadEntries(tokens, i + 3, "]", "all_hosts", path, names);
      if (!end) return end.error();
      i = *end;
    } else if (t.text == "clusters") {
      if (!at(i + 1, ".") || i + 2 >= tokens.size() || tokens[i + 2].text != "update" ||
          !at(i + 3, "(") || !at(i + 4, "{")) {
        return Error{
            fmt::format("{}:{}: cannot tell which clusters this names: expected "
                        "'clusters.update({{...}})'",
                        path, t.line)};
      }
      auto end = ReadEntries(tokens, i + 5, "}", "clusters", path, names);
      if (!end) return end.error();
      if (!at(*end + 1, ")")) {
        return Error{fmt::format("{}:{}: expected ')' after 'clusters.update({{...}}'", path,
                                 tokens[*end].line)};
      }
      i = *end + 1;
    }
  }
  if (depth != 0) return Error{fmt::format("{}: a bracket is not closed", path)};
  return names;
}

Result<std::map<std::string, std::string>> ReadSetupHosts(FileSystem& fs,
                                                          const std::string& setup_dir) {
  std::map<std::string, std::string> hosts;
  auto top = fs.ListDirectory(setup_dir);
  if (!top) {
    if (top.error().IsNotFound()) return hosts;  // a site without Setup's folders
    return top.error();
  }
  size_t folders = 0;
  if (auto r = Walk(fs, setup_dir, "", 0, folders, hosts); !r) return r.error();
  return hosts;
}

Result<std::map<std::string, std::string>> SetupManagedHosts(
    FileSystem& fs, const std::string& setup_dir,
    const std::map<std::string, std::optional<std::string>>& hosts) {
  std::map<std::string, std::string> refused;
  bool any = false;
  for (const auto& [host, content] : hosts) any = any || content.has_value();
  if (!any) return refused;
  auto setup = ReadSetupHosts(fs, setup_dir);
  if (!setup) {
    return Error{fmt::format(
        "cannot tell which hosts Checkmk's Setup manages, and automon never overrides a host "
        "of Setup: {} (the registrar must be able to read {})",
        setup.error().message, setup_dir)};
  }
  std::map<std::string, std::pair<std::string, std::string>> by_name;  // lower -> name, folder
  for (const auto& [name, folder] : *setup) by_name.emplace(Lower(name), std::pair(name, folder));
  for (const auto& [host, content] : hosts) {
    if (!content) continue;
    auto found = by_name.find(Lower(host));
    if (found == by_name.end()) continue;
    const auto& [name, folder] = found->second;
    refused[host] = fmt::format(
        "host '{}' is managed by Checkmk's Setup ({}{}), and automon never overrides a host of "
        "Setup: to let automon manage it, delete it in Setup, activate the changes and push "
        "again; to keep it in Setup, run 'automon-registrar remove {}' on the registrar",
        host, folder.empty() ? "the main folder" : fmt::format("folder '{}'", folder),
        name == host ? "" : fmt::format(", as '{}'", name), host);
  }
  return refused;
}

}  // namespace automon::registrar
