// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/avahi/service.h"

#include <gtest/gtest.h>

namespace automon::avahi {
namespace {

constexpr char kFingerprint[] = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

TEST(ServiceTxtTest, BuildsVersionFingerprintBackendInOrder) {
  auto txt = BuildTxt({"automon registrar on mon1", 2222, kFingerprint, "nagios", 0});
  ASSERT_TRUE(txt) << txt.error().message;
  EXPECT_EQ(*txt, (std::vector<std::string>{"version=1", std::string("fingerprint=") + kFingerprint,
                                            "backend=nagios"}));
}

TEST(ServiceTxtTest, RefusesEmptyControlAndOverlongValues) {
  auto empty = BuildTxt({"n", 1, "", "nagios", 0});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "TXT value for 'fingerprint' is empty or not printable: ''");
  auto control = BuildTxt({"n", 1, kFingerprint, "nag\nios", 0});
  ASSERT_FALSE(control);
  EXPECT_EQ(control.error().message,
            "TXT value for 'backend' is empty or not printable: 'nag\nios'");
  auto long_value = BuildTxt({"n", 1, kFingerprint, std::string(250, 'x'), 0});
  ASSERT_FALSE(long_value);
  EXPECT_EQ(long_value.error().message,
            "TXT string 'backend=xxxxxxxxxxxxxxxxxxxxxxxx...' is "
            "longer than 255 bytes");
}

TEST(ServiceTxtTest, ParsesPairsFirstKeyWinsKeysFoldCase) {
  const auto txt = ParseTxt({"Version=1", "version=2", "flag", "=nokey", "fingerprint=a=b"});
  EXPECT_EQ(txt, (std::map<std::string, std::string>{
                     {"version", "1"}, {"flag", ""}, {"fingerprint", "a=b"}}));
}

TEST(ServiceTxtTest, RoundTripsThroughParse) {
  auto txt = BuildTxt({"n", 1, kFingerprint, "checkmk", 0});
  ASSERT_TRUE(txt);
  Found f{"n", "mon1.local", "192.0.2.1", 1, ParseTxt(*txt)};
  EXPECT_EQ(AdvertisedFingerprint(f), kFingerprint);
  EXPECT_EQ(f.txt.at("backend"), "checkmk");
  EXPECT_EQ(f.txt.at("version"), "1");
}

TEST(ServiceTxtTest, AdvertisedFingerprintIsReturnedEvenWhenMalformed) {
  Found f;
  EXPECT_EQ(AdvertisedFingerprint(f), std::nullopt);
  f.txt["fingerprint"] = "MD5:00";
  // A malformed hint never equals a presented SHA256 key: it refuses.
  EXPECT_EQ(AdvertisedFingerprint(f), "MD5:00");
}

TEST(ServiceTxtTest, AnnouncesEveryKeyAtAnIpv4Address) {
  auto found = [](std::string address, std::string key) {
    Found f;
    f.name = "automon registrar on " + key;
    f.address = std::move(address);
    f.port = 2223;
    f.txt["fingerprint"] = std::move(key);
    return f;
  };
  const std::vector<Found> one = {found("192.0.2.1", "SHA256:a")};
  EXPECT_TRUE(AnnouncesEvery(one, {"SHA256:a"}));
  EXPECT_FALSE(AnnouncesEvery(one, {}));                        // no key known: wait for everything
  EXPECT_FALSE(AnnouncesEvery(one, {"SHA256:a", "SHA256:b"}));  // one of a pair
  EXPECT_FALSE(AnnouncesEvery({found("fe80::1%eth0", "SHA256:a")}, {"SHA256:a"}));
  EXPECT_FALSE(AnnouncesEvery({found("192.0.2.1", "SHA256:forged")}, {"SHA256:a"}));
  EXPECT_TRUE(AnnouncesEvery({found("192.0.2.2", "SHA256:b"), found("192.0.2.1", "SHA256:a")},
                             {"SHA256:a", "SHA256:b"}));
}

TEST(ServiceNameTest, InstanceNameUsesFirstLabelAndFits63Bytes) {
  EXPECT_EQ(InstanceName("mon1.example.org"), "automon registrar on mon1");
  EXPECT_EQ(InstanceName(""), "automon registrar on localhost");
  const std::string name = InstanceName(std::string(80, 'h'));
  EXPECT_EQ(name.size(), 63u);
  // Never cuts inside a UTF-8 sequence ("é" is two bytes).
  std::string accents;
  for (int i = 0; i < 30; ++i) accents += "\xc3\xa9";
  const std::string cut = InstanceName(accents);
  EXPECT_LE(cut.size(), 63u);
  EXPECT_EQ((cut.size() - std::string("automon registrar on ").size()) % 2, 0u) << cut;
}

TEST(ServiceNameTest, AlternativeNamesCountUp) {
  EXPECT_EQ(AlternativeName("automon registrar on mon1"), "automon registrar on mon1 #2");
  EXPECT_EQ(AlternativeName("automon registrar on mon1 #2"), "automon registrar on mon1 #3");
  const std::string full(63, 'x');
  const std::string next = AlternativeName(full);
  EXPECT_EQ(next, std::string(60, 'x') + " #2");
  EXPECT_EQ(AlternativeName(next), std::string(60, 'x') + " #3");
}

TEST(ChooseInterfaceTest, EveryInterfaceOnlyForTheWildcard) {
  auto owner = [](const std::string& a) -> std::optional<std::string> {
    if (a == "192.0.2.7") return "eth1";
    return std::nullopt;
  };
  auto index = [](const std::string& name) -> unsigned {
    return name == "lo" ? 1 : name == "eth1" ? 3 : 0;
  };
  EXPECT_EQ(ChooseInterface("0.0.0.0", owner, index).interface, 0);
  EXPECT_EQ(ChooseInterface("::", owner, index).interface, 0);
  EXPECT_EQ(ChooseInterface("127.0.0.1", owner, index).interface, 1);
  EXPECT_EQ(ChooseInterface("::1", owner, index).interface, 1);
  EXPECT_EQ(ChooseInterface("192.0.2.7", owner, index).interface, 3);
  const InterfaceChoice none = ChooseInterface("192.0.2.8", owner, index);
  EXPECT_EQ(none.interface, std::nullopt);
  EXPECT_EQ(none.warning,
            "no interface holds the listen address 192.0.2.8; not announcing over mDNS");
  // if_nametoindex 0 would mean every interface to avahi: never.
  const InterfaceChoice unknown =
      ChooseInterface("127.0.0.1", owner, [](const std::string&) { return 0u; });
  EXPECT_EQ(unknown.interface, std::nullopt);
  EXPECT_NE(unknown.warning.find("index of interface lo"), std::string::npos) << unknown.warning;
}

TEST(ChooseInterfaceTest, LoopbackAddressIsOwnedByLoopback) {
  EXPECT_EQ(InterfaceOwning("127.0.0.1"), "lo");
  EXPECT_EQ(InterfaceOwning("192.0.2.254"), std::nullopt) << "TEST-NET, on no interface here";
  EXPECT_EQ(InterfaceOwning("not an address"), std::nullopt);
}

TEST(ScopedAddressTest, LinkLocalIpv6GetsItsInterface) {
  EXPECT_EQ(ScopedAddress("192.0.2.1", "eth0"), "192.0.2.1");
  EXPECT_EQ(ScopedAddress("2001:db8::1", "eth0"), "2001:db8::1");
  EXPECT_EQ(ScopedAddress("fe80::1", "eth0"), "fe80::1%eth0");
  EXPECT_EQ(ScopedAddress("FEBF::1", "eth0"), "FEBF::1%eth0");
  EXPECT_EQ(ScopedAddress("fe80::1", nullptr), std::nullopt) << "unreachable without a scope";
  EXPECT_EQ(ScopedAddress("fe80::1", ""), std::nullopt);
}

}  // namespace
}  // namespace automon::avahi
