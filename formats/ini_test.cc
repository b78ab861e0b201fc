// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/ini.h"

#include <gtest/gtest.h>

#include <string>

namespace automon::formats {
namespace {

std::vector<IniSection> Lex(std::string_view text, std::vector<Diagnostic>& d) {
  return LexIni(text, "f", d);
}

TEST(IniLexerTest, SectionsEntriesAndLocations) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("# comment\n; other\n\n  [web]  \nport = 80\n  uri=/x ; note\n", d);
  ASSERT_TRUE(d.empty());
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].name, "web");
  EXPECT_EQ(sections[0].loc, (SourceLocation{"f", 4, 3}));
  ASSERT_EQ(sections[0].entries.size(), 2u);
  EXPECT_EQ(sections[0].entries[0].key, "port");
  EXPECT_EQ(sections[0].entries[0].value, "80");
  EXPECT_EQ(sections[0].entries[0].value_loc, (SourceLocation{"f", 5, 8}));
  EXPECT_EQ(sections[0].entries[1].key, "uri");
  EXPECT_EQ(sections[0].entries[1].value, "/x");
  EXPECT_EQ(sections[0].entries[1].key_loc, (SourceLocation{"f", 6, 3}));
  EXPECT_EQ(sections[0].entries[1].value_loc, (SourceLocation{"f", 6, 7}));
}

TEST(IniLexerTest, SemicolonWithoutBlankIsPartOfValue) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("[s]\nsend = a;b\nexpect = x\t;c\n", d);
  ASSERT_TRUE(d.empty());
  EXPECT_EQ(sections[0].entries[0].value, "a;b");
  EXPECT_EQ(sections[0].entries[1].value, "x");
}

TEST(IniLexerTest, CrlfAndBomAreAccepted) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("\xEF\xBB\xBF[s]\r\nport = 22\r\n", d);
  ASSERT_TRUE(d.empty());
  EXPECT_EQ(sections[0].name, "s");
  EXPECT_EQ(sections[0].entries[0].value, "22");
}

TEST(IniLexerTest, EmptyValueKeepsColumnAfterEquals) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("[s]\nport =\n", d);
  ASSERT_TRUE(d.empty());
  EXPECT_EQ(sections[0].entries[0].value, "");
  EXPECT_EQ(sections[0].entries[0].value_loc.column, 7);
}

struct BadLine {
  std::string text;
  std::string rendered;
};

TEST(IniLexerTest, BadLinesAreReportedAndSkipped) {
  const BadLine cases[] = {
      {"[s]\nport 80\n",
       "f:2:1: error: expected 'key = value', '[section]' or a comment, not 'port 80'\nport 80\n^"},
      {"[s\n", "f:1:1: error: section header is missing its closing ']'\n[s\n^"},
      {"[]\n", "f:1:1: error: empty section name\n[]\n^"},
      {"[s] x\n", "f:1:5: error: unexpected text 'x' after section header\n[s] x\n    ^"},
      {"port = 1\n", "f:1:1: error: key 'port' is outside of any [section]\nport = 1\n^"},
      {"[s]\n = 1\n", "f:2:2: error: missing key before '='\n = 1\n ^"},
      {"[s]\nuri = /a\x01"
       "b\n",
       "f:2:9: error: line contains control character 0x01\nuri = /a?b\n        ^"},
      {"[s]\nuri = /a\x7f\n",
       "f:2:9: error: line contains control character 0x7f\nuri = /a?\n        ^"},
      {std::string("[s]\nuri = /a\0b\n", 14),
       "f:2:9: error: line contains a NUL byte\nuri = /a?b\n        ^"},
      {"[s]\ndescription = caf\xC3\n",
       "f:2:18: error: line contains invalid UTF-8\ndescription = caf?\n                 ^"},
      {"[s]\nx = \xC0\xAF\n",  // overlong '/'
       "f:2:5: error: line contains invalid UTF-8\nx = ??\n    ^"},
      {"[s]\nx = \xED\xA0\x80\n",  // UTF-16 surrogate
       "f:2:5: error: line contains invalid UTF-8\nx = ???\n    ^"},
  };
  for (const BadLine& c : cases) {
    std::vector<Diagnostic> d;
    const auto sections = Lex(c.text, d);
    ASSERT_EQ(d.size(), 1u) << c.text;
    EXPECT_EQ(d[0].Render(), c.rendered) << c.text;
    for (const auto& s : sections) {
      EXPECT_TRUE(s.entries.empty()) << c.text;
      EXPECT_TRUE(s.broken) << c.text;
    }
  }
}

TEST(IniLexerTest, BadLineBreaksOnlyItsOwnSection) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("[a]\nport = 1\x1b\nuri = /\n[b]\nport = 2\n", d);
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_TRUE(sections[0].broken);
  EXPECT_FALSE(sections[1].broken);
  EXPECT_EQ(sections[1].entries.size(), 1u);
}

TEST(IniLexerTest, LinesUnderABrokenHeaderDoNotJoinThePreviousSection) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("[a]\nport = 1\n[b\nport = 2\nssl = yes\n[c]\nport = 3\n", d);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[0].name, "a");
  EXPECT_FALSE(sections[0].broken);
  ASSERT_EQ(sections[0].entries.size(), 1u) << "port = 2 must not land in [a]";
  EXPECT_TRUE(sections[1].broken);
  EXPECT_TRUE(sections[1].entries.empty());
  EXPECT_EQ(sections[2].name, "c");
  EXPECT_FALSE(sections[2].broken);
}

TEST(IniLexerTest, UnreadableHeaderDoesNotBreakThePreviousSection) {
  for (const std::string& bad : {std::string("[b\x01]"), "[" + std::string(5000, 'b') + "]"}) {
    std::vector<Diagnostic> d;
    const auto sections =
        Lex("[a]\ntype = tcp\nport = 1\n" + bad + "\nport = 2\n[c]\nport = 3\n", d);
    ASSERT_EQ(d.size(), 1u);
    ASSERT_EQ(sections.size(), 3u) << bad.size();
    EXPECT_FALSE(sections[0].broken) << "[a] is intact";
    EXPECT_EQ(sections[0].entries.size(), 2u);
    EXPECT_TRUE(sections[1].broken);
    EXPECT_TRUE(sections[1].entries.empty()) << "port = 2 belongs to the broken header";
    EXPECT_FALSE(sections[2].broken);
  }
}

TEST(IniLexerTest, LongLineIsAnErrorNotTwoLines) {
  // libinih would cut this at 200 bytes and read the tail as a new key.
  const std::string padding(kMaxLineBytes, 'a');
  const std::string text = "[s]\nuri = /" + padding + " password = stolen\nport = 1\n";
  std::vector<Diagnostic> d;
  const auto sections = Lex(text, d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].Render(), "f:2: error: line is 4121 bytes long; the limit is 4096");
  EXPECT_TRUE(sections[0].broken) << "an overlong line breaks its section";
  for (const IniEntry& e : sections[0].entries)
    EXPECT_EQ(e.key.find("password"), std::string::npos);
}

TEST(IniLexerTest, ValidUtf8IsKept) {
  std::vector<Diagnostic> d;
  const auto sections = Lex("[s]\npassword = pässwörd€𝄞\n", d);
  ASSERT_TRUE(d.empty());
  EXPECT_EQ(sections[0].entries[0].value, "pässwörd€𝄞");
}

}  // namespace
}  // namespace automon::formats
