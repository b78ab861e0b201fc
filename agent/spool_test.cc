// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/spool.h"

#include <gtest/gtest.h>

namespace automon::agent {
namespace {

formats::PassiveResult R(std::string service, int64_t time, uint64_t sequence, int state = 0,
                         std::string output = "OK") {
  formats::PassiveResult r;
  r.service = std::move(service);
  r.time = time;
  r.sequence = sequence;
  r.state = state;
  r.output = std::move(output);
  return r;
}

TEST(SpoolTest, CollapsesToTheNewestResultPerService) {
  Spool spool;
  spool.Add({R("disk", 100, 1, 2), R("raid", 100, 2), R("disk", 160, 3, 0)});
  // An older result arriving late never replaces a newer one.
  spool.Add({R("disk", 130, 4, 1)});
  EXPECT_EQ(spool.size(), 2u);
  EXPECT_EQ(spool.dropped(), 2u);
  const auto results = spool.Results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].service, "raid");  // oldest first
  EXPECT_EQ(results[1].service, "disk");
  EXPECT_EQ(results[1].time, 160);
  EXPECT_EQ(results[1].state, 0);
}

TEST(SpoolTest, RoundTripsThroughItsFile) {
  Spool spool;
  spool.Add({R("disk", 100, 1, 2, "DISK CRITICAL"), R("automon agent", 101, 2)});
  auto back = Spool::Parse(spool.Serialize("web01.example.org"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->Results(), spool.Results());
  EXPECT_EQ(back->dropped(), 0u);
  EXPECT_TRUE(Spool::Parse("").ok());
  EXPECT_FALSE(Spool::Parse("garbage\n").ok());
}

TEST(SpoolTest, DropsWhatIsOlderThanItsFreshnessOrTheAgeBound) {
  Spool spool;
  spool.Add({R("fast", 1000, 1), R("slow", 1000, 2), R("other", 1000, 3)});
  const std::map<std::string, int64_t> freshness = {{"fast", 180}, {"slow", 3600}};
  SpoolLimits limits;
  limits.max_age = 2000;
  spool.Expire(1180, freshness, 600, limits);
  EXPECT_EQ(spool.size(), 3u);
  spool.Expire(1181, freshness, 600, limits);
  EXPECT_EQ(spool.size(), 2u);  // fast is stale
  spool.Expire(1601, freshness, 600, limits);
  EXPECT_EQ(spool.size(), 1u);  // other (default 600) too
  limits.max_age = 1000;
  spool.Expire(2000, freshness, 600, limits);
  EXPECT_EQ(spool.size(), 1u);
  spool.Expire(2001, freshness, 600, limits);  // the age bound, below slow's freshness
  EXPECT_EQ(spool.size(), 0u);
  EXPECT_EQ(spool.dropped(), 3u);
}

TEST(SpoolTest, TheByteBoundDropsTheOldestFirst) {
  Spool spool;
  for (int i = 0; i < 10; ++i) {
    spool.Add({R("s" + std::to_string(i), 1000 + i, static_cast<uint64_t>(i), 0,
                 std::string(1000, 'x'))});
  }
  SpoolLimits limits;
  limits.max_bytes = 5500;
  spool.Expire(1010, {}, 3600, limits);
  EXPECT_LE(spool.Serialize("h").size(), 5500u);
  EXPECT_GE(spool.size(), 4u);
  EXPECT_LT(spool.size(), 10u);
  EXPECT_EQ(spool.Results().back().service, "s9");  // the newest stay
  EXPECT_EQ(spool.dropped(), 10u - spool.size());
}

TEST(SpoolTest, RemoveTakesAnsweredResults) {
  Spool spool;
  spool.Add({R("a", 1, 10), R("b", 1, 11), R("c", 1, 12)});
  spool.Remove({10, 12, 99});
  ASSERT_EQ(spool.size(), 1u);
  EXPECT_EQ(spool.Results()[0].service, "b");
}

TEST(SpoolTest, CountsRoundTripAndToleratesGarbage) {
  SpoolCounts c{5, 3, 1, 2, 1700000000};
  EXPECT_EQ(SerializeCounts(c, 7),
            "queued 7\nsent 5\ndropped 3\nrefused 1\nfailures 2\nnext_attempt 1700000000\n");
  EXPECT_EQ(ParseCounts(SerializeCounts(c, 7)), c);
  EXPECT_EQ(ParseCounts("sent x\nnonsense\n\ndropped -1\n"), SpoolCounts{});
}

}  // namespace
}  // namespace automon::agent
