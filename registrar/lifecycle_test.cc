// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/lifecycle.h"

#include <gtest/gtest.h>

#include <string>

namespace automon::registrar {
namespace {

constexpr int64_t kStart = 1'700'000'000;  // the registrar started
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

// A fake clock: the fleet is evaluated at whatever time the test says.
class Fleet {
 public:
  explicit Fleet(LifecyclePolicy policy) : policy_(policy) {}
  void Push(const std::string& host, int64_t at) {
    LifecycleRecord& r = hosts_[host];
    if (r.state != LifecycleState::kActive) r.since = at;
    r.state = LifecycleState::kActive;
    r.last_seen = at;
  }
  // Evaluates at `now` and applies the plan, as the registrar does.
  LifecyclePlan At(int64_t now) {
    LifecyclePlan plan = Evaluate(hosts_, policy_, now, kStart);
    for (const Transition& t : plan.transitions) {
      if (!t.to) {
        hosts_.erase(t.host);
        continue;
      }
      hosts_[t.host].state = *t.to;
      hosts_[t.host].since = now;
    }
    return plan;
  }
  std::string State(const std::string& host) const {
    auto it = hosts_.find(host);
    return it == hosts_.end() ? "removed" : std::string(LifecycleStateName(it->second.state));
  }
  std::map<std::string, LifecycleRecord>& hosts() { return hosts_; }

 private:
  LifecyclePolicy policy_;
  std::map<std::string, LifecycleRecord> hosts_;
};

TEST(LifecycleTest, RecordRoundTrips) {
  const LifecycleRecord r{kStart, LifecycleState::kDisabled, kStart + 5, true};
  auto parsed = ParseLifecycle(SerializeLifecycle(r), "lifecycle/a");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, r);
}

TEST(LifecycleTest, DamagedRecordIsAnErrorNamingTheFile) {
  auto bad = ParseLifecycle("[lifecycle]\nstate = asleep\n", "lifecycle/web01");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "lifecycle/web01:2:9: invalid value 'asleep' for 'state' in a lifecycle record");
  EXPECT_FALSE(ParseLifecycle("garbage", "lifecycle/web01").ok());
  EXPECT_FALSE(ParseLifecycle("[lifecycle]\nlast_seen = -4\n", "f").ok());
}

TEST(LifecycleTest, TheSnapshotSaysWhetherTheHostSendsHeartbeats) {
  formats::Snapshot snapshot;
  EXPECT_FALSE(SendsHeartbeat(snapshot));
  snapshot.heartbeat_seconds = 60;
  EXPECT_TRUE(SendsHeartbeat(snapshot));
}

TEST(LifecycleTest, SilentAfterDefaultsToThreeRescansOrTenMinutesWithHeartbeat) {
  LifecyclePolicy policy;
  EXPECT_EQ(SilentAfter({}, policy), 3 * kHour);
  EXPECT_EQ(SilentAfter({0, LifecycleState::kActive, 0, true}, policy), 600);
  policy.silent_after = 42;
  EXPECT_EQ(SilentAfter({0, LifecycleState::kActive, 0, true}, policy), 42);
}

TEST(LifecycleTest, FakeClockDrivesEveryTransition) {
  LifecyclePolicy policy;
  policy.disable_after = 2 * kDay;
  policy.remove_after = 30 * kDay;
  Fleet fleet(policy);
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart + 60);

  EXPECT_TRUE(fleet.At(kStart + 3 * kHour).transitions.empty());
  // Everyone else keeps pushing; h0 stops after its push at kStart + 60.
  auto keep_pushing = [&](int64_t at) {
    for (int i = 1; i < 10; ++i) fleet.Push("h" + std::to_string(i), at);
  };
  keep_pushing(kStart + 3 * kHour);
  LifecyclePlan plan = fleet.At(kStart + 60 + 3 * kHour);
  ASSERT_EQ(plan.transitions.size(), 1u);
  EXPECT_EQ(plan.transitions[0].host, "h0");
  EXPECT_EQ(plan.transitions[0].reason, "no push for 3h (last push 3h ago)");
  EXPECT_EQ(fleet.State("h0"), "silent");
  EXPECT_EQ(plan.silent, 1u);
  EXPECT_EQ(plan.next_due, kStart + 3 * kHour + 3 * kHour);  // h1..h9's silence

  keep_pushing(kStart + 2 * kDay);
  plan = fleet.At(kStart + 60 + 2 * kDay);
  ASSERT_EQ(plan.transitions.size(), 1u);
  EXPECT_EQ(plan.transitions[0].to, LifecycleState::kDisabled);
  EXPECT_EQ(plan.transitions[0].reason, "disable_after 2d (last push 2d ago)");

  keep_pushing(kStart + 30 * kDay);
  plan = fleet.At(kStart + 60 + 30 * kDay);
  ASSERT_EQ(plan.transitions.size(), 1u);
  EXPECT_EQ(plan.transitions[0].to, std::nullopt);
  EXPECT_EQ(fleet.State("h0"), "removed");
  EXPECT_EQ(plan.silent, 0u);
}

TEST(LifecycleTest, NextDueIsTheEarliestTransition) {
  Fleet fleet({});
  fleet.Push("a", kStart + 100);
  fleet.Push("b", kStart + 50);
  EXPECT_EQ(fleet.At(kStart + 100).next_due, kStart + 50 + 3 * kHour);
  EXPECT_EQ(Evaluate({}, {}, kStart, kStart).next_due, std::nullopt);
}

TEST(LifecycleTest, DisabledAndRemovedAreOffByDefault) {
  Fleet fleet({});
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart);
  fleet.Push("h0", kStart - 100 * kDay);
  for (int64_t t = kStart; t < kStart + 200 * kDay; t += kHour) {
    for (int i = 1; i < 10; ++i) fleet.Push("h" + std::to_string(i), t);
    fleet.At(t);
  }
  EXPECT_EQ(fleet.State("h0"), "silent");
}

TEST(LifecycleTest, PushingAgainIsActiveAtOnceAndRestartsTheTimers) {
  LifecyclePolicy policy;
  policy.silent_after = kHour;
  Fleet fleet(policy);
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart + kHour);
  fleet.Push("h0", kStart);
  fleet.At(kStart + kHour);
  EXPECT_EQ(fleet.State("h0"), "silent");
  fleet.Push("h0", kStart + kHour + 5);
  EXPECT_EQ(fleet.State("h0"), "active");
  EXPECT_TRUE(fleet.At(kStart + 2 * kHour).transitions.empty());
}

TEST(LifecycleTest, GuardHoldsWhenThirtyPercentGoSilentAndReleasesWhenTheyReturn) {
  LifecyclePolicy policy;
  policy.remove_after = kDay;
  Fleet fleet(policy);
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart);
  auto push = [&](int from, int to, int64_t at) {
    for (int i = from; i < to; ++i) fleet.Push("h" + std::to_string(i), at);
  };
  // h0..h2 fall silent together (a switch, not three decommissions).
  for (int64_t t = kStart; t <= kStart + 2 * kDay; t += 10 * 60) {
    push(3, 10, t);
    LifecyclePlan plan = fleet.At(t);
    if (t >= kStart + 3 * kHour) {
      EXPECT_TRUE(plan.guard_holds) << t - kStart;
      EXPECT_EQ(plan.going_silent, 3u);
      EXPECT_TRUE(plan.transitions.empty());
      EXPECT_EQ(plan.next_due, t + 60);
    }
  }
  EXPECT_EQ(fleet.State("h0"), "active");  // held, not removed after a day
  push(0, 3, kStart + 2 * kDay + 1);       // the switch is back
  push(3, 10, kStart + 2 * kDay + 1);
  LifecyclePlan plan = fleet.At(kStart + 2 * kDay + 2);
  EXPECT_FALSE(plan.guard_holds);
  EXPECT_EQ(plan.going_silent, 0u);
}

TEST(LifecycleTest, OneSilentHostInTenDoesNotTripTheGuard) {
  Fleet fleet({});
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart + 3 * kHour);
  fleet.Push("h0", kStart);
  LifecyclePlan plan = fleet.At(kStart + 3 * kHour);
  EXPECT_FALSE(plan.guard_holds);
  EXPECT_EQ(fleet.State("h0"), "silent");
}

TEST(LifecycleTest, HostsFallingSilentOneByOneOverHoursDoNotTripTheGuard) {
  LifecyclePolicy policy;
  policy.silent_after = kHour;
  Fleet fleet(policy);
  for (int i = 0; i < 5; ++i) fleet.Push("h" + std::to_string(i), kStart);
  // Host i stops at kStart + i * 2h; the others go on.
  for (int64_t t = kStart; t <= kStart + 12 * kHour; t += 5 * 60) {
    for (int i = 0; i < 5; ++i) {
      if (t < kStart + i * 2 * kHour) fleet.Push("h" + std::to_string(i), t);
    }
    EXPECT_FALSE(fleet.At(t).guard_holds) << (t - kStart);
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fleet.State("h" + std::to_string(i)), "silent");
}

TEST(LifecycleTest, RegistrarRestartSilencesNobody) {
  // Every host last pushed two days before the registrar started (it was
  // down): each still gets its full silent_after from the start.
  Fleet fleet({});
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart - 2 * kDay);
  LifecyclePlan plan = fleet.At(kStart + 10 * 60);
  EXPECT_TRUE(plan.transitions.empty());
  EXPECT_FALSE(plan.guard_holds);
  EXPECT_EQ(plan.next_due, kStart + 3 * kHour);
  // Those that push in time never notice.
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart + kHour);
  EXPECT_TRUE(fleet.At(kStart + 3 * kHour).transitions.empty());
}

TEST(LifecycleTest, NothingChangesDuringTheGracePeriod) {
  LifecyclePolicy policy;
  policy.silent_after = 60;
  policy.grace_after_start = 600;
  Fleet fleet(policy);
  fleet.Push("a", kStart);
  for (int i = 0; i < 20; ++i) fleet.Push("b" + std::to_string(i), kStart + 590);
  EXPECT_TRUE(fleet.At(kStart + 599).transitions.empty());
  EXPECT_EQ(Evaluate(fleet.hosts(), policy, kStart + 599, kStart).next_due, kStart + 600);
  EXPECT_EQ(fleet.At(kStart + 600).transitions.size(), 1u);
}

TEST(LifecycleTest, UpgradedRecordWithoutLastSeenCountsFromTheStart) {
  Fleet fleet({});
  fleet.hosts()["old"] = LifecycleRecord{};  // what an old store reads as
  for (int i = 0; i < 10; ++i) fleet.Push("h" + std::to_string(i), kStart + 3 * kHour);
  EXPECT_TRUE(fleet.At(kStart + 3 * kHour - 1).transitions.empty());
  LifecyclePlan plan = fleet.At(kStart + 3 * kHour);
  ASSERT_EQ(plan.transitions.size(), 1u);
  EXPECT_EQ(plan.transitions[0].reason,
            "no push for 3h (no push recorded since the registrar started)");
}

TEST(LifecycleTest, DurationTextUsesTheLargestUnit) {
  EXPECT_EQ(DurationText(86400 * 30), "30d");
  EXPECT_EQ(DurationText(7200), "2h");
  EXPECT_EQ(DurationText(600), "10m");
  EXPECT_EQ(DurationText(61), "61s");
  EXPECT_EQ(DurationText(0), "0s");
}

}  // namespace
}  // namespace automon::registrar
