// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/text.h"

#include <gtest/gtest.h>

#include <string>

namespace automon {
namespace {

TEST(TextTest, TrimSpace) {
  EXPECT_EQ(TrimSpace("  a b \r\n"), "a b");
  EXPECT_EQ(TrimSpace(" \t\n"), "");
  EXPECT_EQ(TrimSpace(""), "");
  EXPECT_EQ(TrimSpace("x"), "x");
}

TEST(TextTest, SplitWords) {
  EXPECT_EQ(SplitWords("  register --host  web01 "),
            (std::vector<std::string_view>{"register", "--host", "web01"}));
  EXPECT_EQ(SplitWords("a, b,,c", " ,"), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_TRUE(SplitWords("   ").empty());
  EXPECT_TRUE(SplitWords("").empty());
}

TEST(TextTest, OneLineReplacesEveryControlCharacter) {
  EXPECT_EQ(OneLine("a\nb\rc\td\x1b[31me\x7f\x01"), "a?b?c?d?[31me??");
  EXPECT_EQ(OneLine(std::string_view("nul\0x", 5)), "nul?x");
}

TEST(TextTest, OneLineUsesTheGivenReplacement) {
  EXPECT_EQ(OneLine("two\nlines", ' '), "two lines");
}

TEST(TextTest, OneLineKeepsPrintableTextAndUtf8) {
  EXPECT_EQ(OneLine("caf\xc3\xa9 ~ \"q\" #"), "caf\xc3\xa9 ~ \"q\" #");
  EXPECT_EQ(OneLine(""), "");
}

TEST(TextTest, AbbreviateKeepsShortTextAndCutsLongTextAtACharacter) {
  EXPECT_EQ(Abbreviate("short"), "short");
  EXPECT_EQ(Abbreviate(std::string(100, 'a')), std::string(100, 'a'));
  EXPECT_EQ(Abbreviate(std::string(4000, 'a')), std::string(100, 'a') + "... (4000 bytes)");
  // "é" is two bytes; the cut never splits it.
  EXPECT_EQ(Abbreviate("abc\xC3\xA9"
                       "def",
                       4),
            "abc... (8 bytes)");
  EXPECT_EQ(Abbreviate("abcdef", 0), "... (6 bytes)");
}

}  // namespace
}  // namespace automon
