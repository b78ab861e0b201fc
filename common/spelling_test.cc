// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/spelling.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>

namespace automon {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("port", "port"), 0);
  EXPECT_EQ(EditDistance("prt", "port"), 1);
  EXPECT_EQ(EditDistance("portt", "port"), 1);
  EXPECT_EQ(EditDistance("pirt", "port"), 1);
  EXPECT_EQ(EditDistance("hostnmae", "hostname"), 1);
  EXPECT_EQ(EditDistance("abc", ""), 3);
}

TEST(SuggestNearMissTest, SuggestsCloseCandidateOnly) {
  constexpr std::array<std::string_view, 4> kKeys = {"hostname", "host", "port", "uri"};
  EXPECT_EQ(SuggestNearMiss("hostnmae", kKeys), "hostname");
  EXPECT_EQ(SuggestNearMiss("HOSTNAME", kKeys), "hostname");
  EXPECT_EQ(SuggestNearMiss("prot", kKeys), "port");
  EXPECT_EQ(SuggestNearMiss("password", kKeys), std::nullopt);
  // Short words allow one edit only: "ur" -> "uri", but "ab" -> nothing.
  EXPECT_EQ(SuggestNearMiss("ur", kKeys), "uri");
  EXPECT_EQ(SuggestNearMiss("ab", kKeys), std::nullopt);
}

TEST(SuggestNearMissTest, WordsFarLongerThanEveryCandidateCostNothing) {
  constexpr std::array<std::string_view, 4> kKeys = {"hostname", "host", "port", "uri"};
  const std::string huge(1 << 20, 'h');
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) EXPECT_EQ(SuggestNearMiss(huge, kKeys), std::nullopt);
  // 100,000 x 4 distances over a MiB would take days; the length test, milliseconds.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(SuggestNearMiss("hostnamexx", kKeys), "hostname");  // 2 longer: still a candidate
  EXPECT_EQ(SuggestNearMiss("hostnamexxx", kKeys), std::nullopt);
}

}  // namespace
}  // namespace automon
