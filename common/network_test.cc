// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/network.h"

#include <gtest/gtest.h>

namespace automon {
namespace {

TEST(NetworkTest, ParseAndContains) {
  const auto v4 = Network::Parse("192.0.2.0/24");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->Contains("192.0.2.200:22"));
  EXPECT_TRUE(v4->Contains("192.0.2.1"));
  EXPECT_FALSE(v4->Contains("192.0.3.1:22"));
  EXPECT_FALSE(v4->Contains("[::1]:22"));
  const auto host = Network::Parse("127.0.0.1");
  ASSERT_TRUE(host.has_value());
  EXPECT_TRUE(host->Contains("127.0.0.1:1"));
  EXPECT_FALSE(host->Contains("127.0.0.2:1"));
  EXPECT_TRUE(Network::Parse("::/0")->Contains("[2001:db8::1]:1"));
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0/8", "::/129", "x", "10.0.0.0/"}) {
    EXPECT_FALSE(Network::Parse(bad).has_value()) << bad;
  }
}

TEST(PeerAddressTest, StripsThePort) {
  EXPECT_EQ(PeerAddress("192.0.2.1:22"), "192.0.2.1");
  EXPECT_EQ(PeerAddress("[2001:db8::1]:22"), "2001:db8::1");
  EXPECT_EQ(PeerAddress("2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(PeerAddress("host"), "host");
}

}  // namespace
}  // namespace automon
