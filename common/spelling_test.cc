#include "common/spelling.h"

#include <gtest/gtest.h>

#include <array>
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

}  // namespace
}  // namespace automon
