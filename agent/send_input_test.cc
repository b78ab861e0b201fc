// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/send_input.h"

#include <gtest/gtest.h>

#include "formats/results.h"

namespace automon::agent {
namespace {

std::string ErrorOf(std::string_view line, char d = '\t') {
  auto parsed = ParseSendLine(line, d);
  EXPECT_FALSE(parsed.ok()) << line;
  return parsed.ok() ? "" : parsed.error().message;
}

TEST(SendInputTest, ServiceResults) {
  auto r = ParseSendLine("web01\tdisk\t2\tDISK CRITICAL - 1% free|/=99%", '\t');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (SendLine{"web01", "disk", 2, "DISK CRITICAL - 1% free|/=99%"}));
  // The output is the rest of the line, delimiters and all; CR ignored.
  r = ParseSendLine("h\ts\t0\ta\tb\r", '\t');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "a\tb");
  r = ParseSendLine("h;s;1;x;y", ';');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (SendLine{"h", "s", 1, "x;y"}));
  r = ParseSendLine("h\ts\t0\t", '\t');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "");
}

TEST(SendInputTest, BackslashNIsALineBreak) {
  auto r = ParseSendLine("h\ts\t0\tOK\\nline two\\nC:\\\\dir\\x", '\t');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "OK\nline two\nC:\\dir\\x");
}

TEST(SendInputTest, HostResultsAreRefusedClearly) {
  EXPECT_NE(ErrorOf("web01\t0\tPING OK").find("is a host result"), std::string::npos);
  EXPECT_NE(ErrorOf("web01;2;down", ';').find("host';'code';'output"), std::string::npos);
}

TEST(SendInputTest, HostileAndMalformedLines) {
  EXPECT_NE(ErrorOf("web01").find("expected host"), std::string::npos);
  EXPECT_NE(ErrorOf("web01\tdisk").find("expected host"), std::string::npos);
  EXPECT_NE(ErrorOf("h\ts\t4\tx").find("invalid return code '4'"), std::string::npos);
  EXPECT_NE(ErrorOf("h\ts\t-1\tx").find("invalid return code"), std::string::npos);
  EXPECT_NE(ErrorOf("h\ts\t00\tx").find("invalid return code"), std::string::npos);
  EXPECT_NE(ErrorOf("h\ts\tOK\tx").find("invalid return code"), std::string::npos);
  EXPECT_NE(ErrorOf("\ts\t0\tx").find("empty host"), std::string::npos);
  EXPECT_NE(ErrorOf("h\t\t0\tx").find("empty service"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("h\ts\t0\ta\0b", 9)).find("NUL"), std::string::npos);
  const std::string big = "h\ts\t0\t" + std::string(formats::kMaxResultBytes + 1, 'x');
  EXPECT_NE(ErrorOf(big).find("at most 65536 bytes"), std::string::npos);
  EXPECT_TRUE(ParseSendLine("h\ts\t0\t" + std::string(formats::kMaxResultBytes, 'x'), '\t').ok());
  // A terminal escape in the line is not echoed raw in the error.
  const std::string msg = ErrorOf("\x1b[31mh\ts\t9\tx");
  EXPECT_EQ(msg.find('\x1b'), std::string::npos) << msg;
}

TEST(SendInputTest, Delimiters) {
  EXPECT_EQ(*ParseDelimiter("\\t"), '\t');
  EXPECT_EQ(*ParseDelimiter(";"), ';');
  EXPECT_EQ(*ParseDelimiter(","), ',');
  EXPECT_FALSE(ParseDelimiter("").ok());
  EXPECT_FALSE(ParseDelimiter("ab").ok());
  EXPECT_FALSE(ParseDelimiter("\\").ok());
}

}  // namespace
}  // namespace automon::agent
