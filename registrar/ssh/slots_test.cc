// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/slots.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace automon::registrar::ssh {
namespace {

using namespace std::chrono_literals;

std::vector<int> Ids(const std::vector<Slots::Entry>& entries) {
  std::vector<int> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

std::vector<int> Ids(const std::vector<Slots::Refusal>& refusals) {
  std::vector<int> ids;
  for (const auto& r : refusals) ids.push_back(r.entry.id);
  return ids;
}

const SteadyTime kT0 = SteadyTime() + 1000s;

TEST(SourceOfTest, IPv4AddressIPv6PrefixAndMappedAddresses) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(40000);
  ::inet_pton(AF_INET, "192.0.2.7", &in->sin_addr);
  EXPECT_EQ(SourceOf(ss), "192.0.2.7");

  ss = {};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  in6->sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", &in6->sin6_addr);
  EXPECT_EQ(SourceOf(ss), "2001:db8:1:2::/64");
  ::inet_pton(AF_INET6, "2001:db8:1:2::99", &in6->sin6_addr);
  EXPECT_EQ(SourceOf(ss), "2001:db8:1:2::/64") << "the same /64";
  ::inet_pton(AF_INET6, "::ffff:198.51.100.4", &in6->sin6_addr);
  EXPECT_EQ(SourceOf(ss), "198.51.100.4");
}

TEST(SlotsTest, StartsAtOnceWhileTheSourceIsWithinItsShare) {
  Slots slots({.max_connections = 10, .per_source = 2, .max_waiting = 10, .max_wait = 5s});
  EXPECT_EQ(Ids(slots.Arrive(1, "a", kT0).start), std::vector<int>{1});
  EXPECT_EQ(Ids(slots.Arrive(2, "a", kT0).start), std::vector<int>{2});
  // The third of "a" waits; "b" does not wait for "a".
  const auto third = slots.Arrive(3, "a", kT0);
  EXPECT_TRUE(third.start.empty());
  EXPECT_TRUE(third.refuse.empty());
  EXPECT_EQ(Ids(slots.Arrive(4, "b", kT0).start), std::vector<int>{4});
  EXPECT_EQ(slots.running(), 3);
  EXPECT_EQ(slots.waiting(), 1u);
  EXPECT_EQ(slots.unauthenticated("a"), 2);
  // Once one of "a" authenticates, its waiting connection starts.
  EXPECT_EQ(Ids(slots.Authenticated("a", kT0).start), std::vector<int>{3});
  EXPECT_EQ(slots.unauthenticated("a"), 2);
  EXPECT_EQ(slots.running(), 4);
  // An authenticated connection ending frees its slot, not a share.
  EXPECT_TRUE(slots.Finished("a", true, kT0).start.empty());
  EXPECT_EQ(slots.running(), 3);
  EXPECT_EQ(slots.unauthenticated("a"), 2);
  slots.Finished("a", false, kT0);
  slots.Finished("a", false, kT0);
  slots.Finished("b", false, kT0);
  EXPECT_EQ(slots.running(), 0);
  EXPECT_EQ(slots.unauthenticated("a"), 0);
}

TEST(SlotsTest, AllSlotsBusyMeansWaitingThenStartingInTurn) {
  Slots slots({.max_connections = 2, .per_source = 2, .max_waiting = 10, .max_wait = 5s});
  slots.Arrive(1, "a", kT0);
  slots.Arrive(2, "a", kT0);
  slots.Arrive(3, "a", kT0);
  slots.Arrive(4, "a", kT0);
  slots.Arrive(5, "b", kT0);
  slots.Arrive(6, "b", kT0);
  EXPECT_EQ(slots.waiting(), 4u);
  // Sources take turns: "b" was not served last, so it goes first.
  EXPECT_EQ(Ids(slots.Finished("a", false, kT0).start), std::vector<int>{5});
  EXPECT_EQ(Ids(slots.Finished("a", false, kT0).start), std::vector<int>{3});
  EXPECT_EQ(Ids(slots.Finished("b", false, kT0).start), std::vector<int>{6});
  EXPECT_EQ(Ids(slots.Finished("a", false, kT0).start), std::vector<int>{4});
  EXPECT_EQ(slots.waiting(), 0u);
}

TEST(SlotsTest, WaitingIsBoundedInTime) {
  Slots slots({.max_connections = 1, .per_source = 1, .max_waiting = 10, .max_wait = 5s});
  slots.Arrive(1, "a", kT0);
  slots.Arrive(2, "a", kT0 + 1s);
  slots.Arrive(3, "b", kT0 + 3s);
  EXPECT_TRUE(slots.Tick(kT0 + 5999ms).refuse.empty());
  const auto step = slots.Tick(kT0 + 6s);
  EXPECT_EQ(Ids(step.refuse), std::vector<int>{2});
  EXPECT_EQ(step.refuse[0].reason, "no free slot within 5.0 s");
  EXPECT_EQ(Ids(slots.Finished("a", false, kT0 + 7s).start), std::vector<int>{3});
}

TEST(SlotsTest, TheLongestQueueGivesWayWhenWaitingIsFull) {
  Slots slots({.max_connections = 1, .per_source = 1, .max_waiting = 3, .max_wait = 5s});
  slots.Arrive(1, "flood", kT0);  // runs
  slots.Arrive(2, "flood", kT0);
  slots.Arrive(3, "flood", kT0);
  slots.Arrive(4, "flood", kT0);
  // Full: the flood's own newest is refused, and the agent still waits.
  auto step = slots.Arrive(5, "agent", kT0);
  EXPECT_EQ(Ids(step.refuse), std::vector<int>{4});
  EXPECT_EQ(step.refuse[0].reason,
            "3 connections already wait for a slot, 2 of them from this address");
  step = slots.Arrive(6, "flood", kT0);
  EXPECT_EQ(Ids(step.refuse), std::vector<int>{6});
  EXPECT_EQ(slots.waiting(), 3u);
  EXPECT_EQ(Ids(slots.Finished("flood", false, kT0).start), std::vector<int>{5});
}

TEST(SlotsTest, DrainRefusesEveryWaitingConnection) {
  Slots slots({.max_connections = 1, .per_source = 1, .max_waiting = 10, .max_wait = 5s});
  slots.Arrive(1, "a", kT0);
  slots.Arrive(2, "a", kT0);
  slots.Arrive(3, "b", kT0);
  EXPECT_EQ(Ids(slots.Drain().refuse), (std::vector<int>{2, 3}));
  EXPECT_EQ(slots.waiting(), 0u);
  EXPECT_EQ(slots.running(), 1);
}

TEST(RefusalLogTest, OneLinePerSourcePerIntervalWithACount) {
  std::vector<std::string> lines;
  RefusalLog log([&](const std::string& line) { lines.push_back(line); }, 10s, 2);
  log.Refused("192.0.2.1", "busy", kT0);
  log.Refused("192.0.2.1", "busy", kT0 + 1s);
  log.Refused("192.0.2.1", "busy", kT0 + 2s);
  log.Refused("192.0.2.2", "busy", kT0 + 2s);
  log.Flush(kT0 + 9s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "refused a connection from 192.0.2.1: busy");
  EXPECT_EQ(lines[1], "refused a connection from 192.0.2.2: busy");
  log.Flush(kT0 + 10s);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], "refused 2 connections from 192.0.2.1 in the last 10 s: busy");
  // Beyond the bound on addresses, the rest are counted together.
  log.Refused("192.0.2.3", "busy", kT0 + 11s);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3], "refused a connection from other addresses: busy");
  // Quiet sources are forgotten, and logged at once when they come back.
  log.Flush(kT0 + 30s);
  log.Flush(kT0 + 50s);
  log.Refused("192.0.2.1", "waited", kT0 + 51s);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[4], "refused a connection from 192.0.2.1: waited");
}

}  // namespace
}  // namespace automon::registrar::ssh
