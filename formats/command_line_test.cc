// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/command_line.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace automon::formats {
namespace {

using Words = std::vector<std::string>;

Words Split(std::string_view text) {
  auto words = SplitCommandLine(text);
  EXPECT_TRUE(words.ok()) << text << ": " << (words.ok() ? "" : words.error().message);
  return words.ok() ? *words : Words{};
}

std::string SplitError(std::string_view text) {
  auto words = SplitCommandLine(text);
  EXPECT_FALSE(words.ok()) << text;
  return words.ok() ? "" : words.error().message;
}

TEST(CommandLineTest, SplitsOnBlanksLikeAShell) {
  EXPECT_EQ(Split("/bin/check_disk -w 20% -c 10%"),
            (Words{"/bin/check_disk", "-w", "20%", "-c", "10%"}));
  EXPECT_EQ(Split("  /bin/x \t a   b  "), (Words{"/bin/x", "a", "b"}));
}

TEST(CommandLineTest, QuotesAndBackslashesAsInSh) {
  EXPECT_EQ(Split("/x 'a b' \"c d\" e\\ f"), (Words{"/x", "a b", "c d", "e f"}));
  EXPECT_EQ(Split("/x 'it'\\''s' \"say \\\"hi\\\" \\\\ \\n\""),
            (Words{"/x", "it's", "say \"hi\" \\ \\n"}));
  EXPECT_EQ(Split("/x '' \"\""), (Words{"/x", "", ""}));
  EXPECT_EQ(Split("/x a'b'\"c\""), (Words{"/x", "abc"}));
  // Quoted, shell characters are plain text.
  EXPECT_EQ(Split("/x '|;&$(id)`*?' \\$HOME"), (Words{"/x", "|;&$(id)`*?", "$HOME"}));
}

TEST(CommandLineTest, RefusesWhatOnlyAShellWouldDo) {
  EXPECT_NE(SplitError("/x | grep y").find("unquoted '|'"), std::string::npos);
  EXPECT_NE(SplitError("/x > /tmp/y").find("not run through a shell"), std::string::npos);
  SplitError("/x; rm -rf /");
  SplitError("/x $HOME");
  SplitError("/x `id`");
  SplitError("/x *.log");
  SplitError("/x ~/y");
  SplitError("/x #comment");
  SplitError("/x && /y");
  EXPECT_NE(SplitError("/x \"$HOME\"").find("nothing is expanded"), std::string::npos);
}

TEST(CommandLineTest, RefusesMalformedInput) {
  EXPECT_EQ(SplitError(""), "empty command line");
  EXPECT_EQ(SplitError("   "), "empty command line");
  EXPECT_NE(SplitError("/x 'open").find("unterminated single quote"), std::string::npos);
  EXPECT_NE(SplitError("/x \"open").find("unterminated double quote"), std::string::npos);
  EXPECT_NE(SplitError("/x \\").find("backslash at the end"), std::string::npos);
  EXPECT_NE(SplitError("/x a\nb").find("control character 0x0a"), std::string::npos);
  EXPECT_NE(SplitError(std::string("/x '\x01'")).find("control character"), std::string::npos);
  EXPECT_NE(SplitError(std::string(5000, 'a')).find("at most 4096 bytes"), std::string::npos);
  std::string many = "/x";
  for (int i = 0; i < 300; ++i) many += " a";
  EXPECT_NE(SplitError(many).find("at most 256"), std::string::npos);
}

TEST(CommandLineTest, ParseCommandLineWantsAnAbsoluteProgram) {
  EXPECT_TRUE(ParseCommandLine("/usr/lib/nagios/plugins/check_load -r").ok());
  EXPECT_TRUE(ParseCommandLine("'/opt/my checks/x'").ok());
  for (std::string_view bad : {"check_load", "./check_load", "/usr/../bin/x", "/usr/./x", "/usr//x",
                               "/usr/lib/", "'' /x"}) {
    EXPECT_FALSE(ParseCommandLine(bad).ok()) << bad;
  }
  EXPECT_NE(ParseCommandLine("check_load").error().message.find("not an absolute path"),
            std::string::npos);
}

TEST(CommandLineTest, CanonicalQuotingRoundTrips) {
  EXPECT_EQ(QuoteWord("/bin/x"), "/bin/x");
  EXPECT_EQ(QuoteWord("20%"), "20%");
  EXPECT_EQ(QuoteWord(""), "''");
  EXPECT_EQ(QuoteWord("a b"), "'a b'");
  EXPECT_EQ(QuoteWord("it's"), "'it'\\''s'");
  EXPECT_EQ(QuoteWord("a ;b"), "'a '\\;'b'");
  EXPECT_EQ(JoinCommandLine(Words{"/x", "-w", "a b"}), "/x -w 'a b'");
  const std::vector<Words> cases = {
      {"/x"},
      {"/x", "", "''", "\"", "\\", "$HOME", "`id`", "a ;b", ";", " ; ", "#", "~", "*?[]{}"},
      {"/opt/my checks/x", "it's", "tab\there", "|&<>()"},
  };
  for (const Words& words : cases) {
    const std::string joined = JoinCommandLine(words);
    EXPECT_EQ(joined.find(" ;"), std::string::npos) << joined;  // never an INI comment
    EXPECT_EQ(Split(joined), words) << joined;
  }
}

TEST(CommandLineTest, NormalisedFormIsStable) {
  for (std::string_view text : {"/x   \"a b\"  c\\ d", "/x 'a'\"b\"", "/x '$HOME' \\;"}) {
    const std::string once = JoinCommandLine(Split(text));
    EXPECT_EQ(JoinCommandLine(Split(once)), once) << text;
  }
}

}  // namespace
}  // namespace automon::formats
