// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/nagios_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace automon::backends {
namespace {

TEST(EncodeArgumentTest, EscapesEverythingNagiosOrTheShellInterprets) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"a!b", "a\\!b"},
      {"$USER1$", "$$USER1$$"},
      {"$HOSTADDRESS$", "$$HOSTADDRESS$$"},
      {"a;b", "a\\;b"},
      {"it's", "it'\\''s"},
      {"x' && touch /tmp/p && echo '", "x'\\'' && touch /tmp/p && echo '\\''"},
      {"$(id)", "$$(id)"},
      {"`id`", "`id`"},
      {"\"q\"", "\"q\""},
      {"/a?b=c&d", "/a?b=c&d"},
  };
  for (const Case& c : cases) {
    auto encoded = EncodeArgument(c.in);
    ASSERT_TRUE(encoded.ok()) << c.in;
    EXPECT_EQ(*encoded, c.out) << c.in;
  }
}

TEST(EncodeArgumentTest, RefusesWhatCannotBeEncoded) {
  struct Case {
    std::string in;
    std::string error;
  };
  const Case cases[] = {
      {"a\\b", "backslash at offset 1 is not allowed"},
      {"trailing\\", "backslash at offset 8 is not allowed"},
      {"a\nb", "byte 0x0a at offset 1 is not printable ASCII"},
      {"a\rb", "byte 0x0d at offset 1 is not printable ASCII"},
      {std::string("a\0b", 3), "byte 0x00 at offset 1 is not printable ASCII"},
      {"a\x7f", "byte 0x7f at offset 1 is not printable ASCII"},
      {"\xd0\xb0", "byte 0xd0 at offset 0 is not printable ASCII"},  // Cyrillic a
      {std::string(4097, 'x'), "value of 4097 bytes is over the limit of 4096"},
  };
  for (const Case& c : cases) {
    auto encoded = EncodeArgument(c.in);
    ASSERT_FALSE(encoded.ok()) << c.in;
    EXPECT_EQ(encoded.error().message, c.error) << c.in;
  }
}

TEST(NagiosNameTest, ObjectNamesComeFromAnAllowList) {
  EXPECT_TRUE(IsSafeObjectName("web01.example.org"));
  EXPECT_TRUE(IsSafeObjectName("192.0.2.1"));
  EXPECT_TRUE(IsSafeObjectName("a_b-c"));
  for (std::string bad :
       {"", ".hidden", "-x", "a b", "a;b", "a!b", "a$b", "a'b", "a/b", "a\\", "a\nb", "\xd0\xb0"}) {
    EXPECT_FALSE(IsSafeObjectName(bad)) << bad;
  }
  EXPECT_FALSE(IsSafeObjectName(std::string(254, 'a')));
}

TEST(NagiosNameTest, ServiceDescriptionsComeFromAnAllowList) {
  EXPECT_TRUE(IsSafeServiceDescription("HTTP www.example.org:8080/x"));
  EXPECT_TRUE(IsSafeServiceDescription("mail@host +1 #2"));
  for (std::string bad : {"", " lead", "trail ", "two  spaces", "a;b", "a!b", "$USER1$", "a'b",
                          "a\"b", "a=b", "a,b", "a(b)", "a\\", "a\tb", "caf\xc3\xa9"}) {
    EXPECT_FALSE(IsSafeServiceDescription(bad)) << bad;
  }
  EXPECT_FALSE(IsSafeServiceDescription(std::string(129, 'a')));
}

TEST(NagiosNameTest, AddressesComeFromAnAllowList) {
  EXPECT_TRUE(IsSafeAddress("2001:db8::1"));
  EXPECT_TRUE(IsSafeAddress("192.0.2.1"));
  EXPECT_FALSE(IsSafeAddress("-oProxyCommand"));
  EXPECT_FALSE(IsSafeAddress("a b"));
  EXPECT_FALSE(IsSafeAddress("a$b"));
}

TEST(ServiceNamesTest, RefusesUnusableAndRepeatedNamesAndDescriptions) {
  ServiceNames names;
  EXPECT_EQ(names.Refusal("web", "Web site"), "");
  EXPECT_EQ(names.Refusal("web", "Other"), "duplicate service name or description");
  EXPECT_EQ(names.Refusal("web2", "Web site"), "duplicate service name or description");
  EXPECT_EQ(names.Refusal("we b", "x"), "the service name is not usable in Nagios");
  EXPECT_EQ(names.Refusal(std::string(65, 'a'), "y"), "the service name is not usable in Nagios");
  EXPECT_EQ(names.Refusal("z", "a;b"), "description 'a;b' is not usable in Nagios");
  EXPECT_EQ(names.Refusal("z", "Zed"), "");  // refusals took nothing
}

}  // namespace
}  // namespace automon::backends
