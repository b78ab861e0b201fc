// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace automon::formats {
namespace {

struct Case {
  ValueKind kind;
  std::string raw;
  std::optional<std::string> normalised;  // nullopt: must be rejected
};

constexpr std::array<std::string_view, 2> kChoices = {"http", "https"};

TEST(NormaliseValueTest, AllowListsPerKind) {
  const Case cases[] = {
      {ValueKind::kBool, "TRUE", "true"},
      {ValueKind::kBool, "Yes", "true"},
      {ValueKind::kBool, "on", "true"},
      {ValueKind::kBool, "1", "true"},
      {ValueKind::kBool, "no", "false"},
      {ValueKind::kBool, "Off", "false"},
      {ValueKind::kBool, "0", "false"},
      {ValueKind::kBool, "2", std::nullopt},
      {ValueKind::kBool, "truee", std::nullopt},
      {ValueKind::kPort, "1", "1"},
      {ValueKind::kPort, "65535", "65535"},
      {ValueKind::kPort, "0080", "80"},
      {ValueKind::kPort, "0", std::nullopt},
      {ValueKind::kPort, "65536", std::nullopt},
      {ValueKind::kPort, "-1", std::nullopt},
      {ValueKind::kPort, "+80", std::nullopt},
      {ValueKind::kPort, "80 ", std::nullopt},
      {ValueKind::kPort, "99999999999999999999", std::nullopt},
      {ValueKind::kSeconds, "604800", "604800"},
      {ValueKind::kSeconds, "604801", std::nullopt},
      {ValueKind::kDays, "3650", "3650"},
      {ValueKind::kDays, "3651", std::nullopt},
      {ValueKind::kHostName, "Web-01.Example.ORG", "web-01.example.org"},
      {ValueKind::kHostName, "192.0.2.1", "192.0.2.1"},
      {ValueKind::kHostName, "localhost", "localhost"},
      {ValueKind::kHostName, "-web.example.org", std::nullopt},
      {ValueKind::kHostName, "web-.example.org", std::nullopt},
      {ValueKind::kHostName, "a..b", std::nullopt},
      {ValueKind::kHostName, "web_01", std::nullopt},
      {ValueKind::kHostName, "x.org.", std::nullopt},
      {ValueKind::kHostName, std::string(64, 'a') + ".org", std::nullopt},
      {ValueKind::kHostName, "$HOSTADDRESS$", std::nullopt},
      {ValueKind::kHostName, "ex\xD0\xB0mple.org", std::nullopt},  // Cyrillic 'а'
      {ValueKind::kAddress, "2001:DB8::1", "2001:db8::1"},
      {ValueKind::kAddress, "::1", "::1"},
      {ValueKind::kAddress, "2001:db8::g", std::nullopt},
      {ValueKind::kAddress, "[::1]", std::nullopt},
      {ValueKind::kUriPath, "/", "/"},
      {ValueKind::kUriPath, "/a/b?c=d&e=f%20g", "/a/b?c=d&e=f%20g"},
      {ValueKind::kUriPath, "a/b", std::nullopt},
      {ValueKind::kUriPath, "/a b", std::nullopt},
      {ValueKind::kUriPath, "/a'b", std::nullopt},
      {ValueKind::kUriPath, "/a!b", std::nullopt},
      {ValueKind::kUriPath, "/a$USER1$", std::nullopt},
      {ValueKind::kUriPath, "/a;b", std::nullopt},
      {ValueKind::kUriPath, "/a\\", std::nullopt},
      {ValueKind::kUriPath, "/%zz", std::nullopt},
      {ValueKind::kUriPath, "/%2", std::nullopt},
      {ValueKind::kUriPath, "/" + std::string(1024, 'a'), std::nullopt},
      {ValueKind::kWebAppPath, "guacamole", "/guacamole"},
      {ValueKind::kWebAppPath, "/guacamole/", "/guacamole"},
      {ValueKind::kWebAppPath, "//a//b//", "/a/b"},
      {ValueKind::kWebAppPath, "/", "/"},
      {ValueKind::kWebAppPath, "/a/../b", std::nullopt},
      {ValueKind::kWebAppPath, "/a?b", std::nullopt},
      {ValueKind::kEmail, "probe@Example.ORG", "probe@example.org"},
      {ValueKind::kEmail, "a.b+c-d_e@x.y", "a.b+c-d_e@x.y"},
      {ValueKind::kEmail, "@x.y", std::nullopt},
      {ValueKind::kEmail, "a@", std::nullopt},
      {ValueKind::kEmail, "a b@x.y", std::nullopt},
      {ValueKind::kEmail, "a@b@c", std::nullopt},
      {ValueKind::kIdentifier, "main-flow_1.x", "main-flow_1.x"},
      {ValueKind::kIdentifier, "_x", std::nullopt},
      {ValueKind::kIdentifier, std::string(65, 'a'), std::nullopt},
      {ValueKind::kUserName, "guac.admin@corp+x-y_z", "guac.admin@corp+x-y_z"},
      {ValueKind::kUserName, "a b", std::nullopt},
      {ValueKind::kUserName, "a;b", std::nullopt},
      {ValueKind::kDistinguishedName, "cn=x, dc=y", "cn=x, dc=y"},
      {ValueKind::kDistinguishedName, "", ""},
      {ValueKind::kDistinguishedName, "cn=$USER3$", std::nullopt},
      {ValueKind::kProbeString, "SSH-2.0 hello!;#", "SSH-2.0 hello!;#"},
      {ValueKind::kProbeString, "a\\nb", std::nullopt},
      {ValueKind::kProbeString, "$USER1$", std::nullopt},
      {ValueKind::kProbeString, "`id`", std::nullopt},
      {ValueKind::kProbeString, "it's", std::nullopt},
      {ValueKind::kProbeString, "\"q\"", std::nullopt},
      {ValueKind::kProbeString, "caf\xC3\xA9", std::nullopt},
      {ValueKind::kRange, "10", "10"},
      {ValueKind::kRange, "10:", "10:"},
      {ValueKind::kRange, "~:10", "~:10"},
      {ValueKind::kRange, "10:20", "10:20"},
      {ValueKind::kRange, "@10:20", "@10:20"},
      {ValueKind::kRange, "-5:5.5", "-5:5.5"},
      {ValueKind::kRange, ":", std::nullopt},
      {ValueKind::kRange, "20:10", std::nullopt},
      {ValueKind::kRange, "@", std::nullopt},
      {ValueKind::kRange, "1.", std::nullopt},
      {ValueKind::kRange, "10%", std::nullopt},
      {ValueKind::kRange, "a", std::nullopt},
      {ValueKind::kRangeOrPercent, "80%", "80%"},
      {ValueKind::kRangeOrPercent, "@10:90%", "@10:90%"},
      {ValueKind::kRangeOrPercent, "%", std::nullopt},
      {ValueKind::kStatsEndpoint, "http://127.0.0.1:8404/stats", "http://127.0.0.1:8404/stats"},
      {ValueKind::kStatsEndpoint, "https://lb.example.org/haproxy?stats",
       "https://lb.example.org/haproxy?stats"},
      {ValueKind::kStatsEndpoint, "http://[::1]:8404/", "http://[::1]:8404/"},
      {ValueKind::kStatsEndpoint, "/run/haproxy/admin.sock", "/run/haproxy/admin.sock"},
      {ValueKind::kStatsEndpoint, "http://:8404/stats", "http://:8404/stats"},
      {ValueKind::kStatsEndpoint, "http:///stats", std::nullopt},
      {ValueKind::kStatsEndpoint, "ftp://x/", std::nullopt},
      {ValueKind::kStatsEndpoint, "http://x:0/", std::nullopt},
      {ValueKind::kStatsEndpoint, "http://user:pw@x/", std::nullopt},
      {ValueKind::kStatsEndpoint, "http://x/stats;csv", std::nullopt},
      {ValueKind::kStatsEndpoint, "relative.sock", std::nullopt},
      {ValueKind::kStatsEndpoint, "/run/a b.sock", std::nullopt},
      {ValueKind::kNameList, "web", "web"},
      {ValueKind::kNameList, " a , b*,,c? ", "a,b*,c?"},
      {ValueKind::kNameList, ",", std::nullopt},
      {ValueKind::kNameList, "a;b", std::nullopt},
      {ValueKind::kSecret, "any thing; at all $USER1$ 'q'", "any thing; at all $USER1$ 'q'"},
      {ValueKind::kSecret, std::string(1025, 'x'), std::nullopt},
      {ValueKind::kSecret, "a\nb", std::nullopt},
      {ValueKind::kDescription, "HTTP www.example.org:443/x", "HTTP www.example.org:443/x"},
      {ValueKind::kDescription, "two  spaces", std::nullopt},
      {ValueKind::kDescription, "semi;colon", std::nullopt},
      {ValueKind::kDescription, "bang!", std::nullopt},
      {ValueKind::kDescription, "quote'", std::nullopt},
      {ValueKind::kDescription, "paren()", std::nullopt},
      {ValueKind::kDescription, "HTTP\xE2\x80\x8B", std::nullopt},  // zero-width space
      {ValueKind::kPackageName, "apache2", "apache2"},
      {ValueKind::kPackageName, "libc6-dev", "libc6-dev"},
      {ValueKind::kPackageName, "g++", "g++"},
      {ValueKind::kPackageName, "Apache2", std::nullopt},
      {ValueKind::kPackageName, "a", std::nullopt},
      {ValueKind::kPackageName, "apache2:amd64", std::nullopt},
      {ValueKind::kChoice, "HTTPS", "https"},
      {ValueKind::kChoice, "ftp", std::nullopt},
  };
  for (const Case& c : cases) {
    const KeySpec spec{"k", c.kind, false, std::nullopt, std::nullopt, kChoices};
    const auto result = NormaliseValue(spec, c.raw);
    if (c.normalised) {
      ASSERT_TRUE(result.ok()) << c.raw << ": " << result.error().message;
      EXPECT_EQ(*result, *c.normalised) << c.raw;
    } else {
      EXPECT_FALSE(result.ok()) << c.raw << " was accepted as " << *result;
    }
  }
}

TEST(NormaliseValueTest, ErrorMessagesQuoteValueAndNameKey) {
  const KeySpec port{"port", ValueKind::kPort};
  EXPECT_EQ(NormaliseValue(port, "http").error().message,
            "invalid value 'http' for 'port': expected a number from 1 to 65535");
  EXPECT_EQ(NormaliseValue(port, "").error().message,
            "empty value for 'port': expected a number from 1 to 65535");
  const KeySpec protocol{"protocol",   ValueKind::kChoice, false,
                         std::nullopt, std::nullopt,       kChoices};
  EXPECT_EQ(NormaliseValue(protocol, "ftp").error().message,
            "invalid value 'ftp' for 'protocol': expected one of 'http', 'https'");
}

TEST(SchemaTest, RegisteredHostNamesLeaveRoomForTheRegistrarsSuffixes) {
  // hosts/<name>.snapshot through .<name>.snapshot.tmp.XXXXXX: 21 bytes
  // more, within NAME_MAX.
  EXPECT_LE(kMaxRegisteredHostNameBytes + std::string_view(".snapshot.tmp.XXXXXX.").size(), 255u);
  EXPECT_TRUE(CheckRegisteredHostNameLength(std::string(230, 'a')).ok());
  EXPECT_FALSE(CheckRegisteredHostNameLength(std::string(231, 'a')).ok());
}

TEST(SchemaTest, EveryTypeIsFoundByNameAndHasItsKeys) {
  for (const TypeSpec& type : AllTypes()) {
    EXPECT_EQ(TypeFromName(type.name), type.type);
    EXPECT_EQ(SpecFor(type.type).name, type.name);
    for (std::string_view key : KeyNames(type.type)) {
      if (key == "type") continue;
      EXPECT_NE(FindKey(type.type, key), nullptr) << type.name << " " << key;
    }
  }
  EXPECT_EQ(TypeFromName("HTTP"), std::nullopt);
  EXPECT_NE(FindKey(ServiceType::kHttp, "ssl"), nullptr);
  EXPECT_EQ(FindKey(ServiceType::kSsh, "ssl"), nullptr);
  EXPECT_EQ(FindKey(ServiceType::kMailflow, "host"), nullptr);
  EXPECT_NE(FindKey(ServiceType::kMailflow, "package"), nullptr);
}

TEST(SchemaTest, DefaultsAreValidValuesOfTheirKind) {
  for (const TypeSpec& type : AllTypes()) {
    for (std::string_view name : KeyNames(type.type)) {
      if (name == "type") continue;
      const KeySpec& spec = *FindKey(type.type, name);
      for (const auto& d : {spec.default_value, spec.ssl_default_value}) {
        if (!d) continue;
        const auto normalised = NormaliseValue(spec, *d);
        ASSERT_TRUE(normalised.ok()) << type.name << "." << name;
        EXPECT_EQ(*normalised, *d) << type.name << "." << name << " default is not canonical";
      }
    }
  }
}

// The block of man-page text that documents `key`: from its ".B key" line
// to the next paragraph macro.
std::string KeyBlock(const std::string& section, std::string_view key) {
  const std::string marker = "\n.B " + std::string(key) + "\n";
  const size_t start = section.find(marker);
  if (start == std::string::npos) return "";
  size_t end = section.size();
  for (const char* next : {"\n.TP", "\n.PP", "\n.SS"}) {
    end = std::min(end, section.find(next, start + marker.size()));
  }
  return section.substr(start, end - start);
}

// monitoring-info(5) must document every key of every type, and each
// default, so the man page cannot drift from this table.
TEST(SchemaTest, ManPageDocumentsEveryKeyAndDefault) {
  std::ifstream in("man/monitoring-info.5");
  ASSERT_TRUE(in) << "run from the source root";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string page = buffer.str();
  auto section = [&](std::string_view title) {
    const size_t start = page.find("\n.SS " + std::string(title) + "\n");
    EXPECT_NE(start, std::string::npos) << title;
    if (start == std::string::npos) return std::string();
    const size_t end = std::min(page.find("\n.SS ", start + 1), page.find("\n.SH ", start + 1));
    return page.substr(start, end - start);
  };
  auto check = [&](const std::string& text, const KeySpec& key, std::string_view where) {
    const std::string block = KeyBlock(text, key.name);
    EXPECT_FALSE(block.empty()) << where << ": key " << key.name << " is not documented";
    for (const auto& d : {key.default_value, key.ssl_default_value}) {
      if (d && !d->empty()) {
        EXPECT_NE(block.find(*d), std::string::npos)
            << where << ": default '" << *d << "' of " << key.name << " is not documented";
      }
    }
  };
  for (const TypeSpec& type : AllTypes()) {
    const std::string text = section(type.name);
    for (const KeySpec& key : type.keys) check(text, key, type.name);
    if (type.ssl_keys) {
      EXPECT_NE(text.find("Also takes the SSL keys"), std::string::npos) << type.name;
    }
  }
  const std::string ssl = section("SSL keys");
  for (const KeySpec& key : SslKeys()) check(ssl, key, "SSL keys");
  const size_t common = page.find("\n.SH COMMON KEYS\n");
  ASSERT_NE(common, std::string::npos);
  const std::string common_text = page.substr(common, page.find("\n.SH ", common + 1) - common);
  for (const KeySpec& key : CommonKeys()) check(common_text, key, "COMMON KEYS");
  check(common_text, HostKey(), "COMMON KEYS");
}

}  // namespace
}  // namespace automon::formats
