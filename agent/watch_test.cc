// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/watch.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/temp_dir.h"

namespace automon::agent {
namespace {

using std::chrono::milliseconds;

Result<WatchTimings> Parse(const std::map<std::string, std::string>& given) {
  return ParseTimings([&](std::string_view name) -> std::optional<std::string> {
    auto it = given.find(std::string(name));
    if (it == given.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ParseTimingsTest, DefaultsWhenNothingIsGiven) {
  auto timings = Parse({});
  ASSERT_TRUE(timings.ok()) << timings.error().message;
  const WatchTimings defaults;
  EXPECT_EQ(timings->debounce, defaults.debounce);
  EXPECT_EQ(timings->start_jitter, defaults.start_jitter);
  EXPECT_EQ(timings->retry_base, defaults.retry_base);
  EXPECT_EQ(timings->rescan, defaults.rescan);
}

TEST(ParseTimingsTest, MillisecondsAndSecondsAsTheHelpSays) {
  auto timings =
      Parse({{"debounce", "300"}, {"start-jitter", "0"}, {"retry-base", "250"}, {"rescan", "60"}});
  ASSERT_TRUE(timings.ok()) << timings.error().message;
  EXPECT_EQ(timings->debounce, milliseconds(300));
  EXPECT_EQ(timings->start_jitter, milliseconds(0));
  EXPECT_EQ(timings->retry_base, milliseconds(250));
  EXPECT_EQ(timings->rescan, milliseconds(60'000));
}

TEST(ParseTimingsTest, AMistypedValueIsAnErrorNamingOptionAndValue) {
  const std::map<std::string, std::string> cases[] = {
      {{"debounce", "abc"}},
      {{"debounce", "-5"}},
      {{"debounce", ""}},
      {{"start-jitter", "1.5"}},
      {{"retry-base", "5s"}},
      {{"rescan", "0"}},
      {{"rescan", "99999999999999999999"}},
      {{"debounce", "604800001"}},
  };
  for (const auto& given : cases) {
    auto timings = Parse(given);
    ASSERT_FALSE(timings.ok()) << given.begin()->first << "=" << given.begin()->second;
    const std::string& message = timings.error().message;
    EXPECT_NE(
        message.find("invalid --" + given.begin()->first + " '" + given.begin()->second + "'"),
        std::string::npos)
        << message;
  }
  EXPECT_EQ(Parse({{"rescan", "0"}}).error().message,
            "invalid --rescan '0': expected a whole number of seconds from 1 to 604800");
  EXPECT_EQ(Parse({{"debounce", "x"}}).error().message,
            "invalid --debounce 'x': expected a whole number of milliseconds from 0 to 604800000");
}

// Records each push; stops the loop (SIGTERM to its own thread, which the
// loop's signalfd reads) after `pushes_wanted` of them.
class RecordingHooks : public WatchHooks {
 public:
  explicit RecordingHooks(int pushes_wanted) : wanted_(pushes_wanted) {}
  PushOutcome Push() override {
    times_.push_back(std::chrono::steady_clock::now());
    if (static_cast<int>(times_.size()) >= wanted_) ::pthread_kill(::pthread_self(), SIGTERM);
    return PushOutcome::kOk;
  }
  std::optional<WatchPlan> Reload() override { return std::nullopt; }
  const std::vector<std::chrono::steady_clock::time_point>& times() const { return times_; }

 private:
  int wanted_;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

// A package manager writing file after file, faster than the debounce, for
// much longer than five debounce periods: the push must not wait for the
// stream to end.
TEST(RunWatchLoopTest, AStreamOfChangesDelaysAPushByAtMostFiveDebouncePeriods) {
  automon::testing::ScopedTempDir temp;
  const std::string dir = temp.path();
  WatchTimings timings;
  timings.debounce = milliseconds(200);
  timings.start_jitter = milliseconds(0);
  RecordingHooks hooks(2);  // the start-up push, then the one the stream causes
  std::ostringstream log;
  std::atomic<bool> stop{false};
  std::chrono::steady_clock::time_point first_write;
  std::thread loop([&] {
    RunWatchLoop(WatchPlan{dir, false}, dir + "/no-dpkg", timings, hooks, log);
    stop = true;
  });
  // The start-up push sets the watch up; then write for up to 6 s.
  while (hooks.times().empty() && !stop) std::this_thread::sleep_for(milliseconds(10));
  std::this_thread::sleep_for(milliseconds(100));
  first_write = std::chrono::steady_clock::now();
  for (int i = 0; !stop && i < 150; ++i) {
    std::ofstream(dir + "/def" + std::to_string(i % 5)) << "[x" << i << "]\ntype = ssh\n";
    std::this_thread::sleep_for(milliseconds(40));
  }
  const bool stopped_while_writing = stop;
  loop.join();
  ASSERT_EQ(hooks.times().size(), 2u) << log.str();
  EXPECT_TRUE(stopped_while_writing) << "no push until the writes stopped\n" << log.str();
  const auto waited =
      std::chrono::duration_cast<milliseconds>(hooks.times()[1] - first_write).count();
  // Five debounce periods (1 s) plus scheduling slack on a loaded machine.
  EXPECT_LT(waited, 2500) << log.str();
  EXPECT_GE(waited, 900) << "the debounce did not wait for the stream at all";
}

// A dpkg trigger: the package's file appears and SIGHUP follows. The push
// starts at once, not a debounce period (2 s by default) later, even when
// the file's event and the signal are read together.
TEST(RunWatchLoopTest, SighupPushesAtOnceWhateverTheFileEventsSay) {
  char tmpl[] = "/tmp/automon-watch-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  WatchTimings timings;  // the default debounce
  timings.start_jitter = milliseconds(0);
  ASSERT_GE(timings.debounce, milliseconds(1000));
  // The start-up push is slow, so the file event and the signal are both
  // waiting when it returns.
  class SlowFirstPush : public RecordingHooks {
   public:
    SlowFirstPush() : RecordingHooks(2) {}
    PushOutcome Push() override {
      started = true;
      if (times().empty()) std::this_thread::sleep_for(milliseconds(300));
      return RecordingHooks::Push();
    }
    std::atomic<bool> started{false};
  } hooks;
  std::ostringstream log;
  std::atomic<pthread_t> loop_thread{};
  std::atomic<bool> running{false};
  std::thread loop([&] {
    loop_thread = ::pthread_self();
    running = true;
    RunWatchLoop(WatchPlan{dir, false}, dir + "/no-dpkg", timings, hooks, log);
  });
  while (!hooks.started) std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(50));
  std::ofstream(dir + "/new-package") << "[x]\ntype = ssh\n";
  const auto signalled = std::chrono::steady_clock::now();
  ::pthread_kill(loop_thread, SIGHUP);
  std::ofstream(dir + "/new-package-2") << "[y]\ntype = ssh\n";
  loop.join();
  std::filesystem::remove_all(dir);
  ASSERT_EQ(hooks.times().size(), 2u) << log.str();
  const auto waited =
      std::chrono::duration_cast<milliseconds>(hooks.times()[1] - signalled).count();
  EXPECT_LT(waited, 800) << "the trigger's push waited for the debounce\n" << log.str();
}

}  // namespace
}  // namespace automon::agent
