// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/jobs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "formats/parser.h"

namespace automon::agent {
namespace {

formats::Snapshot SnapshotOf(const std::string& definitions) {
  const formats::ParseResult parsed = formats::ParseDefinitions(definitions, "/mi/x");
  EXPECT_EQ(parsed.diagnostics.size(), 0u);
  formats::Snapshot snapshot;
  snapshot.host = "web01.example.org";
  snapshot.services = parsed.services;
  return snapshot;
}

TEST(JobsTest, CommandServicesAndStatsSockets) {
  const formats::Snapshot snapshot = SnapshotOf(
      "[web]\ntype = http\n"
      "[disk]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_disk -w '10%' -p /\n"
      "interval = 120\ntimeout = 20\nmax_instances = 2\nuser = backup\n"
      "schedule = hour=9-17\nfreshness = 400\n"
      "[lb]\ntype = haproxy\nstats = /run/haproxy/admin.sock\nproxies = www\n"
      "[lb-remote]\ntype = haproxy\nstats = http://:8404/stats\n");
  const std::vector<Job> jobs = JobsFor(snapshot);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].name, "disk");
  EXPECT_EQ(jobs[0].argv, (std::vector<std::string>{"/usr/lib/nagios/plugins/check_disk", "-w",
                                                    "10%", "-p", "/"}));
  EXPECT_EQ(jobs[0].interval, std::chrono::seconds(120));
  EXPECT_EQ(jobs[0].timeout, std::chrono::seconds(20));
  EXPECT_EQ(jobs[0].max_instances, 2);
  EXPECT_EQ(jobs[0].user, "backup");
  ASSERT_TRUE(jobs[0].schedule.has_value());
  EXPECT_EQ(formats::ToString(*jobs[0].schedule), "hour=9-17");
  // The socket is the host's: the check runs here, with the plan's argv.
  EXPECT_EQ(jobs[1].name, "lb");
  ASSERT_FALSE(jobs[1].argv.empty());
  EXPECT_EQ(jobs[1].argv[0], "/usr/lib/nagios/plugins/check_haproxy_sessions");
  EXPECT_NE(std::find(jobs[1].argv.begin(), jobs[1].argv.end(), "/run/haproxy/admin.sock"),
            jobs[1].argv.end());
  EXPECT_EQ(jobs[1].interval, std::chrono::seconds(kHaproxySocketInterval));

  const auto freshness = FreshnessFor(snapshot);
  EXPECT_EQ(freshness.at("disk"), 400);
  EXPECT_EQ(freshness.at("lb"), 2 * kHaproxySocketInterval + 60);
  EXPECT_EQ(freshness.at("automon agent"), 180);
  EXPECT_EQ(freshness.count("web"), 0u);
}

TEST(JobsTest, NoLocalChecksNoJobs) {
  EXPECT_TRUE(JobsFor(SnapshotOf("[web]\ntype = http\n[ssh]\ntype = ssh\n")).empty());
}

}  // namespace
}  // namespace automon::agent
