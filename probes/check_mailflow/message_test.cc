// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/message.h"

#include <gtest/gtest.h>

#include <array>

#include "probes/check_mailflow/token_state.h"

namespace automon::mailflow {
namespace {

const std::string kToken = "00112233445566778899aabbccddeeff";

TEST(MessageTest, TokenFromBytesIsLowerHex) {
  std::array<unsigned char, 16> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 0x11);
  EXPECT_EQ(TokenFromBytes(bytes), kToken);
}

TEST(MessageTest, NewTokensAreValidAndDistinct) {
  Result<std::string> a = NewToken();
  Result<std::string> b = NewToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(ValidToken(*a)) << *a;
  EXPECT_NE(*a, *b);
}

TEST(MessageTest, MailDateIsRfc5322InUtc) {
  EXPECT_EQ(FormatMailDate(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(FormatMailDate(1795275076), "Sat, 21 Nov 2026 15:31:16 +0000");
}

TEST(MessageTest, FlowIdsAreLettersDigitsDotUnderscoreDash) {
  EXPECT_TRUE(ValidFlowId("mx1.example_flow-2"));
  EXPECT_FALSE(ValidFlowId(""));
  EXPECT_FALSE(ValidFlowId("a;b"));
  EXPECT_FALSE(ValidFlowId("a b"));
  EXPECT_FALSE(ValidFlowId("a\"b"));
  EXPECT_FALSE(ValidFlowId(std::string(65, 'a')));
  EXPECT_TRUE(ValidFlowId(std::string(64, 'a')));
  // The default state directory is <root>/<id>: an id must never name the
  // root itself or its parent.
  EXPECT_FALSE(ValidFlowId("."));
  EXPECT_FALSE(ValidFlowId(".."));
  EXPECT_FALSE(ValidFlowId(".hidden"));
  EXPECT_FALSE(ValidFlowId("-flag"));
  EXPECT_TRUE(ValidFlowId("9.x"));
}

MessageFields Fields() {
  return MessageFields{.flow_id = "mx1",
                       .token = kToken,
                       .from = "probe@example.org",
                       .to = "flow@example.org",
                       .host = "monitor.example.org",
                       .sent_at = 0};
}

TEST(MessageTest, TheMailHasCrlfLineEndsOnly) {
  const std::string mail = BuildMessage(Fields());
  for (size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\n') {
      ASSERT_TRUE(i > 0 && mail[i - 1] == '\r') << "bare LF at " << i;
    }
  }
  EXPECT_TRUE(mail.ends_with("\r\n"));
}

TEST(MessageTest, TheMailHasTheHeadersAServerExpects) {
  const std::string mail = BuildMessage(Fields());
  const std::string headers = mail.substr(0, mail.find("\r\n\r\n") + 2);
  EXPECT_EQ(headers,
            "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
            "From: <probe@example.org>\r\n"
            "To: <flow@example.org>\r\n"
            "Subject: automon mail flow mx1 token " +
                kToken +
                "\r\n"
                "Message-ID: <" +
                kToken +
                ".mx1@monitor.example.org>\r\n"
                "X-Automon-Mailflow: flow=mx1; token=" +
                kToken +
                "\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\n"
                "Auto-Submitted: auto-generated\r\n");
}

TEST(MessageTest, TheMarkerOfABuiltMailIsFound) {
  EXPECT_EQ(FindMarker(BuildMessage(Fields())), (Marker{"mx1", kToken}));
  EXPECT_EQ(SearchKey("mx1"), "flow=mx1;");
}

TEST(MessageTest, FindMarkerToleratesCaseFoldingAndLfEnds) {
  EXPECT_EQ(FindMarker("Subject: x\nx-automon-mailflow: flow=a; token=" + kToken + "\n\n"),
            (Marker{"a", kToken}));
  EXPECT_EQ(FindMarker("X-AUTOMON-MAILFLOW:flow=a;\r\n\ttoken=" + kToken + "\r\n"),
            (Marker{"a", kToken}));
  // As an IMAP HEADER.FIELDS reply or a POP3 TOP reply ends: no blank line.
  EXPECT_EQ(FindMarker("X-Automon-Mailflow: flow=a; token=" + kToken), (Marker{"a", kToken}));
}

TEST(MessageTest, FindMarkerRejectsLookalikes) {
  const std::string cases[] = {
      "",
      "Subject: automon mail flow a token " + kToken + "\r\n",
      "X-Automon-Mailflow: flow=a; token=XYZ\r\n",
      "X-Automon-Mailflow: flow=a b; token=" + kToken + "\r\n",
      "X-Automon-Mailflow: token=" + kToken + "; flow=a\r\n",
      "X-Automon-Mailflow-Copy: flow=a; token=" + kToken + "\r\n",
      // In the body, not the header block.
      "Subject: x\r\n\r\nX-Automon-Mailflow: flow=a; token=" + kToken + "\r\n",
  };
  for (const std::string& headers : cases) {
    EXPECT_EQ(FindMarker(headers), std::nullopt) << headers;
  }
}

}  // namespace
}  // namespace automon::mailflow
