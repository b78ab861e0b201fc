// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/utf8.h"

#include <gtest/gtest.h>

#include "common/text.h"

namespace automon {
namespace {

TEST(Utf8Test, SequenceLengths) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9", 0), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC", 0), 3u);      // €
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9D\x84\x9E", 0), 4u);  // 𝄞
  EXPECT_EQ(Utf8SequenceLength("\xC3", 0), 0u);              // truncated
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF", 0), 0u);          // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF", 0), 0u);      // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80", 0), 0u);      // surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\x80", 0), 0u);              // lone continuation
  EXPECT_EQ(Utf8SequenceLength("\xC3"
                               "a",
                               0),
            0u);  // bad continuation
}

TEST(Utf8Test, OneLineMasksControlsBidiAndLineSeparators) {
  EXPECT_EQ(OneLine("plain caf\xC3\xA9 \xE2\x82\xAC"), "plain caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(OneLine("a\nb\rc\x1b[31m\x7f"), "a?b?c?[31m?");
  EXPECT_EQ(OneLine("bad\xC3"), "bad?");
  // U+202E RIGHT-TO-LEFT OVERRIDE, U+2028 LINE SEPARATOR, U+2029, U+0085
  // NEXT LINE, U+2066 LEFT-TO-RIGHT ISOLATE, U+200F, U+061C: one mark per byte.
  EXPECT_EQ(OneLine("gpj\xE2\x80\xAE.exe"), "gpj???.exe");
  EXPECT_EQ(OneLine("a\xE2\x80\xA8"
                    "b\xE2\x80\xA9"
                    "c"),
            "a???b???c");
  EXPECT_EQ(OneLine("x\xC2\x85y", ' '), "x  y");
  EXPECT_EQ(OneLine("\xE2\x81\xA6\xE2\x80\x8F\xD8\x9C"), "????????");
  // Neighbours that are ordinary text stay: U+2027, U+202F, U+2065, U+00A0.
  EXPECT_EQ(OneLine("\xE2\x80\xA7\xE2\x80\xAF\xE2\x81\xA5\xC2\xA0"),
            "\xE2\x80\xA7\xE2\x80\xAF\xE2\x81\xA5\xC2\xA0");
}

TEST(Utf8Test, DisplayControls) {
  for (char32_t cp : {0x80u, 0x85u, 0x9fu, 0x61cu, 0x200eu, 0x200fu, 0x202au, 0x202eu, 0x2028u,
                      0x2029u, 0x2066u, 0x2069u}) {
    EXPECT_TRUE(IsDisplayControl(cp)) << std::hex << static_cast<unsigned>(cp);
  }
  for (char32_t cp : {0x41u, 0xa0u, 0xe9u, 0x2027u, 0x202fu, 0x2065u, 0x206au}) {
    EXPECT_FALSE(IsDisplayControl(cp)) << std::hex << static_cast<unsigned>(cp);
  }
}

}  // namespace
}  // namespace automon
