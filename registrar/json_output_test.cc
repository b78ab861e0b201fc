// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/json_output.h"

#include <gtest/gtest.h>

namespace automon::registrar {
namespace {

TEST(JsonOutputTest, HostileStringsAreEscapedAndReadBackUnchanged) {
  const std::string hostile = "a\"b\\c\x01\n\x1b[31m\u202e\u2028d";
  nlohmann::json host = HostJson("web01.example.org", "quarantined");
  host["reason"] = hostile;
  const std::string text = JsonText({{"version", kJsonVersion}, {"host", host}});
  EXPECT_TRUE(text.ends_with("}\n"));
  for (char c : text) {
    EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << "raw byte " << int(c) << " in " << text;
  }
  EXPECT_NE(text.find(R"("a\"b\\c\u0001\n\u001b[31m\u202e\u2028d")"), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(text)["host"]["reason"], hostile);
}

TEST(JsonOutputTest, InvalidUtf8BecomesAReplacementCharacterNotAnException) {
  const std::string text = JsonText({{"reason", std::string("ab\xff\xfe")}});
  EXPECT_EQ(nlohmann::json::parse(text)["reason"], "ab\ufffd\ufffd") << text;
}

TEST(JsonOutputTest, AHostObjectHasEveryKeyOfTheSchema) {
  formats::Snapshot s;
  s.host = "web01.example.org";
  s.generation = 7;
  formats::Service ssh;
  ssh.name = "ssh";
  ssh.type = formats::ServiceType::kSsh;
  ssh.description = "Secure shell";
  ssh.enabled = false;
  s.services.push_back(ssh);
  nlohmann::json host = HostJson(s.host, "active");
  AddSnapshotJson(host, s);
  EXPECT_EQ(host, nlohmann::json::parse(R"({
      "name": "web01.example.org", "state": "active", "reason": null, "address": null,
      "generation": 7, "last_seen": null, "removed_at": null, "lifecycle": null,
      "services": [{"name": "ssh", "type": "ssh", "description": "Secure shell",
                    "state": "disabled"}]})"));
}

TEST(JsonOutputTest, LifecycleSetsLastSeenAndState) {
  nlohmann::json host = HostJson("a", "active");
  AddLifecycleJson(host, {1700000000, LifecycleState::kSilent, 1700000100, false});
  EXPECT_EQ(host["last_seen"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(host["lifecycle"], "silent");
  nlohmann::json upgraded = HostJson("b", "active");
  AddLifecycleJson(upgraded, LifecycleRecord{});
  EXPECT_EQ(upgraded["last_seen"], nullptr);
  EXPECT_EQ(upgraded["lifecycle"], "active");
}

}  // namespace
}  // namespace automon::registrar
