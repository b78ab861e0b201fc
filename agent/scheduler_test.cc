// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/scheduler.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "common/testing/temp_dir.h"

namespace automon::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class FakeClock final : public SchedulerClock {
 public:
  SteadyTime Now() override { return now; }
  int64_t WallSeconds() override { return 1700000000 + elapsed().count(); }
  std::tm LocalTime() override { return local; }
  seconds elapsed() const { return std::chrono::duration_cast<seconds>(now - SteadyTime()); }
  void Advance(std::chrono::steady_clock::duration d) { now += d; }

  SteadyTime now{};
  std::tm local{};
};

RunOutcome Out(RunOutcome::Kind kind, int code, std::string output, bool truncated = false) {
  RunOutcome o;
  o.kind = kind;
  o.code = code;
  o.output = std::move(output);
  o.truncated = truncated;
  return o;
}

// Records starts; the test ends runs by hand.
class FakeLauncher final : public Launcher {
 public:
  Result<uint64_t> Start(const Job& job, const std::optional<std::string>& user) override {
    if (fail_start) return Error{"fork: Resource temporarily unavailable"};
    starts.push_back({job.name, user});
    running[next_id] = job.name;
    return next_id++;
  }
  std::vector<std::pair<uint64_t, RunOutcome>> Collect(SteadyTime) override {
    auto out = std::move(finished);
    finished.clear();
    return out;
  }
  std::vector<int> PollFds() const override { return {}; }
  std::optional<SteadyTime> NextDeadline() const override { return std::nullopt; }

  // Ends the oldest run of `name` with exit code `code` and `output`.
  void Finish(const std::string& name, int code, std::string output) {
    for (auto it = running.begin(); it != running.end(); ++it) {
      if (it->second != name) continue;
      finished.push_back({it->first, Out(RunOutcome::Kind::kExited, code, std::move(output))});
      running.erase(it);
      return;
    }
    ADD_FAILURE() << "no run of " << name;
  }

  std::vector<std::pair<std::string, std::optional<std::string>>> starts;
  std::map<uint64_t, std::string> running;
  std::vector<std::pair<uint64_t, RunOutcome>> finished;
  uint64_t next_id = 1;
  bool fail_start = false;
};

Job MakeJob(std::string name, seconds interval) {
  Job job;
  job.name = std::move(name);
  job.argv = {"/usr/lib/nagios/plugins/check_dummy", "0", "fine"};
  job.interval = interval;
  return job;
}

class SchedulerTest : public ::testing::Test {
 protected:
  std::vector<formats::PassiveResult> Tick() { return scheduler_.Tick(); }
  size_t StartsOf(const std::string& name) {
    return static_cast<size_t>(std::count_if(launcher_.starts.begin(), launcher_.starts.end(),
                                             [&](const auto& s) { return s.first == name; }));
  }

  FakeClock clock_;
  FakeLauncher launcher_;
  double random_ = 0.5;
  std::ostringstream log_;
  Result<void> verdict_ = Result<void>();
  Scheduler scheduler_{clock_,
                       launcher_,
                       [this] { return random_; },
                       [](const Job& job) { return job.user; },
                       [this](const Job&) { return verdict_; },
                       log_};
};

TEST_F(SchedulerTest, FirstRunIsSplayedWithinIntervalCappedAtAMinute) {
  random_ = 0.5;
  scheduler_.SetJobs({MakeJob("a", seconds(20)), MakeJob("b", seconds(300))});
  // a: 0.5 x 20 s = 10 s; b: 0.5 x min(300, 60) s = 30 s.
  EXPECT_EQ(scheduler_.NextWake(), clock_.now + seconds(10));
  clock_.Advance(seconds(9));
  Tick();
  EXPECT_TRUE(launcher_.starts.empty());
  clock_.Advance(seconds(1));
  Tick();
  EXPECT_EQ(StartsOf("a"), 1u);
  EXPECT_EQ(StartsOf("b"), 0u);
  EXPECT_EQ(scheduler_.NextWake(), clock_.now + seconds(20));  // a again at 30 s, b at 30 s
  clock_.Advance(seconds(20));
  launcher_.Finish("a", 0, "OK");
  Tick();
  EXPECT_EQ(StartsOf("a"), 2u);
  EXPECT_EQ(StartsOf("b"), 1u);
}

TEST_F(SchedulerTest, SplayCoversTheWholeRange) {
  random_ = 0.0;
  scheduler_.SetJobs({MakeJob("a", seconds(60))});
  EXPECT_EQ(scheduler_.NextWake(), clock_.now);
  random_ = 0.999;
  scheduler_.SetJobs({MakeJob("b", seconds(3600))});
  EXPECT_LT(*scheduler_.NextWake(), clock_.now + seconds(60));
  EXPECT_GT(*scheduler_.NextWake(), clock_.now + seconds(59));
}

TEST_F(SchedulerTest, RunsEveryIntervalAndReportsResults) {
  random_ = 0.0;
  scheduler_.SetJobs({MakeJob("a", seconds(60))});
  Tick();
  launcher_.Finish("a", 1, "DISK WARNING - 9% free|/=91%;90;95\nsda1 ok\n");
  clock_.Advance(seconds(2));
  const auto results = Tick();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].service, "a");
  EXPECT_EQ(results[0].state, 1);
  EXPECT_EQ(results[0].output, "DISK WARNING - 9% free");
  EXPECT_EQ(results[0].perfdata, "/=91%;90;95");
  EXPECT_EQ(results[0].long_output, "sda1 ok");
  EXPECT_EQ(results[0].time, 1700000002);
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(seconds(60));
    Tick();
    launcher_.Finish("a", 0, "OK");
  }
  EXPECT_EQ(StartsOf("a"), 11u);
}

TEST_F(SchedulerTest, MaxInstancesSkipsRunsWhileBusy) {
  random_ = 0.0;
  Job job = MakeJob("slow", seconds(10));
  job.max_instances = 2;
  scheduler_.SetJobs({job});
  Tick();
  clock_.Advance(seconds(10));
  Tick();
  EXPECT_EQ(StartsOf("slow"), 2u);
  clock_.Advance(seconds(10));
  Tick();  // two still running: skipped
  EXPECT_EQ(StartsOf("slow"), 2u);
  EXPECT_EQ(scheduler_.counts().skipped_busy, 1u);
  EXPECT_NE(log_.str().find("slow: run skipped, 2 still running (max_instances = 2)"),
            std::string::npos);
  launcher_.Finish("slow", 0, "done");
  clock_.Advance(seconds(10));
  Tick();
  EXPECT_EQ(StartsOf("slow"), 3u);
}

TEST_F(SchedulerTest, ScheduleWindowsWithTheLocalTime) {
  random_ = 0.0;
  Job job = MakeJob("office", seconds(600));
  job.schedule = *formats::ParseSchedule("hour=9-17 day_of_week=mon-fri");
  scheduler_.SetJobs({job});
  clock_.local.tm_wday = 1;  // Monday
  clock_.local.tm_hour = 8;
  clock_.local.tm_min = 59;
  clock_.local.tm_sec = 15;
  Tick();
  EXPECT_EQ(StartsOf("office"), 0u);
  EXPECT_EQ(scheduler_.counts().outside_window, 1u);
  // Looked at again at the next minute, when the window opens.
  EXPECT_EQ(scheduler_.NextWake(), clock_.now + seconds(45));
  clock_.Advance(seconds(45));
  clock_.local.tm_hour = 9;
  clock_.local.tm_min = 0;
  clock_.local.tm_sec = 0;
  Tick();
  EXPECT_EQ(StartsOf("office"), 1u);
  launcher_.Finish("office", 0, "OK");
  // Saturday: nothing.
  clock_.Advance(seconds(600));
  clock_.local.tm_wday = 6;
  Tick();
  EXPECT_EQ(StartsOf("office"), 1u);
}

TEST_F(SchedulerTest, ReloadKeepsUnchangedJobsAndSplaysNewOnes) {
  random_ = 0.0;
  scheduler_.SetJobs({MakeJob("a", seconds(60))});
  Tick();
  EXPECT_EQ(StartsOf("a"), 1u);
  clock_.Advance(seconds(30));
  random_ = 0.5;
  Job changed = MakeJob("b", seconds(60));
  scheduler_.SetJobs({MakeJob("a", seconds(60)), changed});
  // a keeps its time (30 s from now), b is new (30 s splay).
  clock_.Advance(seconds(29));
  Tick();
  EXPECT_EQ(StartsOf("a"), 1u);
  clock_.Advance(seconds(1));
  launcher_.Finish("a", 0, "OK");
  const auto results = Tick();
  EXPECT_EQ(StartsOf("a"), 2u);
  EXPECT_EQ(StartsOf("b"), 1u);
  EXPECT_EQ(results.size(), 1u);
  // A removed job's run still finishes, but its result is dropped.
  scheduler_.SetJobs({changed});
  launcher_.Finish("a", 0, "OK");
  EXPECT_TRUE(Tick().empty());
  EXPECT_EQ(scheduler_.jobs().size(), 1u);
}

TEST_F(SchedulerTest, NoJobsMeansNoWakeUps) {
  EXPECT_EQ(scheduler_.NextWake(), std::nullopt);
  scheduler_.SetJobs({});
  EXPECT_EQ(scheduler_.NextWake(), std::nullopt);
  EXPECT_TRUE(Tick().empty());
}

TEST_F(SchedulerTest, ProgramsThatFailTheCheckOrCannotStartAreUnknown) {
  random_ = 0.0;
  verdict_ = Error{"program '/opt/x' is owned by uid 1000, not by root"};
  scheduler_.SetJobs({MakeJob("a", seconds(60))});
  auto results = Tick();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, 3);
  EXPECT_EQ(results[0].output,
            "cannot run /usr/lib/nagios/plugins/check_dummy: program '/opt/x' is owned by uid "
            "1000, not by root");
  EXPECT_TRUE(launcher_.starts.empty());
  verdict_ = Result<void>();
  launcher_.fail_start = true;
  clock_.Advance(seconds(60));
  results = Tick();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].output.find("Resource temporarily unavailable"), std::string::npos);
}

TEST(SchedulerResultTest, ExitCodesSignalsAndTimeouts) {
  Job job = MakeJob("x", seconds(60));
  job.timeout = seconds(7);
  auto r = ResultOf(job, Out(RunOutcome::Kind::kExited, 2, "CRIT - down\n"), 5);
  EXPECT_EQ(r.state, 2);
  EXPECT_EQ(r.output, "CRIT - down");
  EXPECT_EQ(r.time, 5);
  r = ResultOf(job, Out(RunOutcome::Kind::kExited, 0, ""), 5);
  EXPECT_EQ(r.state, 0);
  EXPECT_EQ(r.output, "check_dummy printed nothing");
  r = ResultOf(job, Out(RunOutcome::Kind::kExited, 127, "oops"), 5);
  EXPECT_EQ(r.state, 3);
  EXPECT_EQ(r.output, "check_dummy exited with code 127, not 0-3: oops");
  r = ResultOf(job, Out(RunOutcome::Kind::kSignalled, SIGSEGV, ""), 5);
  EXPECT_EQ(r.state, 3);
  EXPECT_EQ(r.output, "check_dummy was killed by signal 11 (SIGSEGV)");
  r = ResultOf(job, Out(RunOutcome::Kind::kTimedOut, 0, "partial"), 5);
  EXPECT_EQ(r.state, 3);
  EXPECT_EQ(r.output, "timed out after 7 s");
  r = ResultOf(job, Out(RunOutcome::Kind::kExited, 0, std::string(kMaxChildOutput, 'a'), true), 5);
  EXPECT_LE(r.output.size() + r.long_output.size() + r.perfdata.size(), formats::kMaxResultBytes);
}

TEST(SchedulerResultTest, EffectiveUser) {
  Job job = MakeJob("x", seconds(60));
  auto has_nagios = [](const std::string& u) { return u == "nagios"; };
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(EffectiveUser(job, 1000, has_nagios), std::nullopt);
  EXPECT_EQ(EffectiveUser(job, 0, has_nagios), "nagios");
  EXPECT_EQ(EffectiveUser(job, 0, none), "nobody");
  job.user = "backup";
  EXPECT_EQ(EffectiveUser(job, 0, has_nagios), "backup");
  EXPECT_EQ(EffectiveUser(job, 1000, has_nagios), std::nullopt);
}

TEST(SchedulerJobTest, FormatAndParseRoundTrip) {
  Job job = MakeJob("disk space", seconds(60));
  job.argv = {"/opt/my checks/x", "it's", "", "a ;b", "$HOME"};
  job.timeout = seconds(5);
  job.max_instances = 3;
  job.user = "backup";
  job.schedule = *formats::ParseSchedule("hour=22-6 day_of_week=sat,sun");
  auto back = ParseJob(FormatJob(job));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, job);
  Job plain = MakeJob("a", seconds(300));
  EXPECT_EQ(*ParseJob(FormatJob(plain)), plain);
  EXPECT_FALSE(ParseJob("a 60 5 1 - -").ok());
  EXPECT_FALSE(ParseJob("a 60 5 1 - - relative/x").ok());
  EXPECT_FALSE(ParseJob("a sixty 5 1 - - /x").ok());
  EXPECT_FALSE(ParseJob("a 60 5 1 - hours=1 /x").ok());
  EXPECT_FALSE(ParseJob("a 60 5 1 - - '/x").ok());
}

// ---------------------------------------------------------------------------
// Real children.

// Runs `job` on a RealLauncher until it ends (at most `limit`).
RunOutcome RunReal(const Job& job, milliseconds limit = milliseconds(20000)) {
  RealLauncher launcher;
  auto id = launcher.Start(job, std::nullopt);
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    auto done = launcher.Collect(std::chrono::steady_clock::now());
    if (!done.empty()) return done.front().second;
    std::vector<pollfd> fds;
    for (int fd : launcher.PollFds()) fds.push_back({fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 50);
  }
  ADD_FAILURE() << "the child did not end";
  return {};
}

Job Shell(std::string script, seconds timeout = seconds(10)) {
  Job job = MakeJob("sh", seconds(60));
  job.argv = {"/bin/sh", "-c", std::move(script)};
  job.timeout = timeout;
  return job;
}

TEST(RealLauncherTest, ExitCodeAndOutput) {
  const RunOutcome o = RunReal(Shell("echo 'WARNING - x|a=1'; echo more; exit 1"));
  EXPECT_EQ(o.kind, RunOutcome::Kind::kExited);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.output, "WARNING - x|a=1\nmore\n");
}

TEST(RealLauncherTest, TheChildSeesAnEmptyEnvironmentWithAFixedPath) {
  ::setenv("AUTOMON_SECRET_TEST", "leak", 1);
  const RunOutcome o = RunReal(Shell("env; echo cwd=$(pwd); ls -l /proc/self/fd | wc -l"));
  ::unsetenv("AUTOMON_SECRET_TEST");
  EXPECT_EQ(o.kind, RunOutcome::Kind::kExited);
  EXPECT_EQ(o.output.find("AUTOMON_SECRET_TEST"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("cwd=/\n"), std::string::npos) << o.output;
  // sh adds PWD (and dash SHLVL-like nothing else): nothing inherited.
  for (std::string_view line : {"HOME=", "USER=", "LANG=", "TERM="}) {
    EXPECT_EQ(o.output.find(std::string("\n") + std::string(line)), std::string::npos) << line;
  }
}

TEST(RealLauncherTest, TheChildHasItsOwnProcessGroupAndNoInheritedDescriptors) {
  testing::ScopedTempDir dir;
  const RunOutcome o = RunReal(Shell("ps -o pgid= -p $$; echo $$; ls /proc/self/fd"));
  ASSERT_EQ(o.kind, RunOutcome::Kind::kExited);
  std::istringstream lines(o.output);
  std::string pgid, pid, fd;
  lines >> pgid >> pid;
  EXPECT_EQ(pgid, pid);
  EXPECT_NE(pgid, std::to_string(::getpgrp()));
  std::vector<std::string> fds;
  while (lines >> fd) fds.push_back(fd);
  // 0, 1, 2 and the one ls opens to read the directory.
  EXPECT_LE(fds.size(), 4u) << o.output;
}

TEST(RealLauncherTest, TimeoutKillsTheWholeProcessGroup) {
  testing::ScopedTempDir dir;
  const std::string marker = dir.path() + "/grandchild";
  // A grandchild that would write the marker after 3 s, and a parent that
  // waits for it: both must die at the 1 s timeout.
  const auto start = std::chrono::steady_clock::now();
  const RunOutcome o =
      RunReal(Shell("(sleep 3; echo alive > " + marker + ") & echo started; wait", seconds(1)));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(o.kind, RunOutcome::Kind::kTimedOut);
  EXPECT_LT(took, seconds(3));
  std::this_thread::sleep_for(milliseconds(3500));
  EXPECT_FALSE(std::ifstream(marker).good()) << "the grandchild survived the timeout";
  const auto r = ResultOf(Shell("", seconds(1)), o, 0);
  EXPECT_EQ(r.output, "timed out after 1 s");
}

TEST(RealLauncherTest, KeepsAtMost64KiBOfOutput) {
  const RunOutcome o = RunReal(Shell("head -c 1000000 /dev/zero | tr '\\0' a; echo; exit 0"));
  EXPECT_EQ(o.kind, RunOutcome::Kind::kExited);
  EXPECT_EQ(o.code, 0) << "the child must not block on a full pipe";
  EXPECT_EQ(o.output.size(), kMaxChildOutput);
  EXPECT_TRUE(o.truncated);
}

TEST(RealLauncherTest, SignalsAndMissingPrograms) {
  RunOutcome o = RunReal(Shell("kill -SEGV $$"));
  EXPECT_EQ(o.kind, RunOutcome::Kind::kSignalled);
  EXPECT_EQ(o.code, SIGSEGV);
  Job missing = MakeJob("m", seconds(60));
  missing.argv = {"/nonexistent/check_x"};
  o = RunReal(missing);
  EXPECT_EQ(o.kind, RunOutcome::Kind::kExited);
  EXPECT_EQ(o.code, 3);
  EXPECT_EQ(o.output, "cannot execute /nonexistent/check_x: No such file or directory");
}

TEST(RealLauncherTest, AnUnknownUserIsAnError) {
  RealLauncher launcher;
  auto id = launcher.Start(Shell("true"), std::string("no-such-user-automon"));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().message, "user 'no-such-user-automon' does not exist");
}

}  // namespace
}  // namespace automon::agent
