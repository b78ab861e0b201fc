// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/mail_client.h"

#include <gtest/gtest.h>

namespace automon::mailflow {
namespace {

TEST(MailClientTest, ImapSearchRepliesGiveTheirNumbers) {
  EXPECT_EQ(*ParseImapSearch("* SEARCH 2 7 101\r\n"), (std::vector<MessageId>{2, 7, 101}));
  EXPECT_EQ(*ParseImapSearch("* SEARCH\r\n"), std::vector<MessageId>{});
  EXPECT_EQ(*ParseImapSearch(""), std::vector<MessageId>{});
  // Other untagged lines (EXISTS, FLAGS) are not SEARCH results.
  EXPECT_EQ(*ParseImapSearch("* 3 EXISTS\r\n* SEARCH 3\r\n* OK done\r\n"),
            std::vector<MessageId>{3});
}

TEST(MailClientTest, ImapSearchWithAStrangeWordIsAnError) {
  Result<std::vector<MessageId>> ids = ParseImapSearch("* SEARCH 2 x\r\n");
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.error().message, "unexpected IMAP SEARCH reply '* SEARCH 2 x'");
  EXPECT_FALSE(ParseImapSearch("* SEARCH 0\r\n").ok());
  EXPECT_FALSE(ParseImapSearch("* SEARCH 99999999999\r\n").ok());
}

TEST(MailClientTest, Pop3ListGivesTheMessageNumbers) {
  EXPECT_EQ(*ParsePop3List("1 518\r\n2 519\r\n"), (std::vector<MessageId>{1, 2}));
  EXPECT_EQ(*ParsePop3List(""), std::vector<MessageId>{});
  Result<std::vector<MessageId>> bad = ParsePop3List("1 518\r\n+OK 2 messages\r\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "unexpected POP3 LIST line '+OK 2 messages'");
}

TEST(MailClientTest, ImapSetJoinsWithCommas) {
  EXPECT_EQ(ImapSet({}), "");
  EXPECT_EQ(ImapSet({4}), "4");
  EXPECT_EQ(ImapSet({4, 9, 12}), "4,9,12");
}

TEST(MailClientTest, CertificateDatesAreReadAsUtc) {
  EXPECT_EQ(ParseCertificateDate("Jan  1 00:00:00 1970 GMT"), 0);
  EXPECT_EQ(ParseCertificateDate("Nov 21 15:31:16 2026 GMT"), 1795275076);
  EXPECT_EQ(ParseCertificateDate("Nov 21 15:31:16 2026"), std::nullopt);
  EXPECT_EQ(ParseCertificateDate("2026-11-21"), std::nullopt);
  EXPECT_EQ(ParseCertificateDate("Nov 21 15:31:16 2026 GMT trailing"), std::nullopt);
}

}  // namespace
}  // namespace automon::mailflow
